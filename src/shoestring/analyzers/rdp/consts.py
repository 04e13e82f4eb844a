"""RDP code points ([MS-RDPBCGR], X.224/ISO 8073, T.125 MCS, T.124 GCC), data only."""

TPKT_VERSION = 3                     # RFC 1006 section 6

# X.224 TPDU codes (high nibble of the second header byte).
X224_CONNECT_REQUEST = 0xE0
X224_CONNECT_CONFIRM = 0xD0
X224_DATA = 0xF0

# [MS-RDPBCGR] 2.2.1.1.1 / 2.2.1.2.1 / 2.2.1.2.2: negotiation structure types.
NEG_REQUEST, NEG_RESPONSE, NEG_FAILURE = 0x01, 0x02, 0x03
NEG_LENGTH = 8

# Selected/requested security protocols. Anything but PROTOCOL_RDP means the rest of the
# connection is TLS (CredSSP and RDSTLS run inside TLS too).
PROTOCOL_RDP = 0x00
PROTOCOLS = {0x00: "RDP", 0x01: "SSL", 0x02: "HYBRID", 0x04: "RDSTLS", 0x08: "HYBRID_EX"}

# T.125 MCS BER tags: Connect-Initial is [APPLICATION 101], Connect-Response [APPLICATION 102].
MCS_CONNECT_INITIAL = b"\x7f\x65"
MCS_CONNECT_RESPONSE = b"\x7f\x66"
BER_OCTET_STRING = 0x04

# T.124 GCC: the ConnectData key (object identifier { 0 0 20 124 0 1 }, PER encoded)
# and the H.221 non-standard keys that open the client's and the server's user data.
T124_OID = b"\x00\x05\x00\x14\x7c\x00\x01"
H221_CLIENT_KEY = b"Duca"
H221_SERVER_KEY = b"McDn"

# [MS-RDPBCGR] 2.2.1.3.1 / 2.2.1.4: user data block types.
CS_CORE, CS_SECURITY, CS_NET, CS_CLUSTER = 0xC001, 0xC002, 0xC003, 0xC004
SC_CORE, SC_SECURITY, SC_NET = 0x0C01, 0x0C02, 0x0C03

# [MS-RDPBCGR] 2.2.1.4.3.1: server certificate chain versions (dwVersion & 0x7fffffff).
CERT_CHAIN_PROPRIETARY, CERT_CHAIN_X509 = 1, 2
CERT_TEMPORARY = 0x80000000

# Limits.
# Bytes after the T.124 object identifier before the H.221 key: the PER-encoded
# connectPDU length and ConferenceCreateRequest/Response fields take 14 at most.
MAX_GCC_PREAMBLE = 32
# BER length octets in an MCS header: the whole PDU fits a TPKT (65535 bytes), so more
# than 4 length octets is not MCS.
MAX_BER_LENGTH_OCTETS = 4
# Certificates in an X.509 chain: Windows sends 2 (licensing CA and server); 16 leaves
# room for deeper chains, and a forged count cannot make us loop on.
MAX_CERTS = 16
# User data blocks in a GCC PDU: [MS-RDPBCGR] defines fewer than 10 per side.
MAX_BLOCKS = 32
