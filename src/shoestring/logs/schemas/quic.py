"""quic.log: QUIC handshakes. Fields and order as Zeek writes them."""

from ..schema import CONN_ID, declare

SCHEMA = declare("quic", "QUIC handshakes.", f"""
ts time
uid string
{CONN_ID}
version string
client_initial_dcid string
client_scid string
server_scid string
server_name string
client_protocol string
history string
""")
