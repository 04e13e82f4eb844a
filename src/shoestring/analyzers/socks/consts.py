"""SOCKS code points (RFC 1928, RFC 1929; SOCKS 4 and 4a from their protocol notes), data only."""

V4, V5 = 4, 5

# Client commands. SOCKS 4 knows CONNECT and BIND; 5 adds UDP ASSOCIATE.
COMMANDS = {1: "CONNECT", 2: "BIND", 3: "UDP ASSOCIATE"}

# RFC 1928 section 5: ATYP.
ATYP_IPV4, ATYP_DOMAIN, ATYP_IPV6 = 1, 3, 4

# RFC 1928 section 3: METHOD. 0x03-0x7f are IANA-assigned, 0x80-0xfe private.
AUTH_NONE, AUTH_GSSAPI, AUTH_USERPASS, AUTH_NO_ACCEPTABLE = 0x00, 0x01, 0x02, 0xFF

# RFC 1929 section 2: the username/password sub-negotiation's own version.
USERPASS_VERSION = 1

# Zeek's SOCKS::v5_status (base/protocols/socks/consts.zeek): RFC 1928 section 6.
V5_STATUS = {
    0: "succeeded", 1: "general SOCKS server failure",
    2: "connection not allowed by ruleset", 3: "Network unreachable",
    4: "Host unreachable", 5: "Connection refused", 6: "TTL expired",
    7: "Command not supported", 8: "Address type not supported",
}

# Zeek's SOCKS::v4_status: the SOCKS 4 reply's CD byte.
V4_STATUS = {
    0x5A: "succeeded", 0x5B: "general SOCKS server failure",
    0x5C: "request failed because client is not running identd",
    0x5D: "request failed because client's identd could not confirm the user ID string "
          "in the request",
}

# A SOCKS 4 request's DSTIP of 0.0.0.x (x non-zero) means "4a": a host name follows.
V4A_MAX_ADDR = 0xFF

# Limits.
# A SOCKS 4 user id or 4a host name: NUL-terminated with no length; 255 is the longest
# DNS name and longer than any user id seen, so more is not SOCKS.
MAX_V4_STRING = 255
# Bytes one side may send before its handshake message is complete: the longest v5
# message is 2 + 255 + 2 + 255 (user/password) and a v4a request 8 + 2 * 256.
MAX_MESSAGE = 1024
# A v5 greeting lists at most this many methods (the count is one byte).
MAX_METHODS = 255
