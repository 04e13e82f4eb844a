"""ssh.log: SSH sessions. Fields and order as Zeek writes them."""

from ..schema import CONN_ID, declare

SCHEMA = declare("ssh", "SSH sessions.", f"""
ts time
uid string
{CONN_ID}
version count
auth_success bool
auth_attempts count
direction enum
client string
server string
cipher_alg string
mac_alg string
compression_alg string
kex_alg string
host_key_alg string
host_key_fingerprint string
hassh string HASSH client fingerprint (extra field).
hasshServer string HASSH server fingerprint (extra field).
""")
