"""ssl.log: TLS and DTLS handshakes. Fields and order as Zeek writes them."""

from ..schema import CONN_ID, declare

SCHEMA = declare("ssl", "TLS and DTLS handshakes.", f"""
ts time
uid string
{CONN_ID}
version string
cipher string
curve string
server_name string
resumed bool
last_alert string
next_protocol string
established bool
ssl_history string
cert_chain_fps vector[string]
client_cert_chain_fps vector[string]
sni_matches_cert bool
ja3 string JA3 client fingerprint (extra field).
ja3s string JA3S server fingerprint (extra field).
ja4 string JA4 client fingerprint (extra field).
""")
