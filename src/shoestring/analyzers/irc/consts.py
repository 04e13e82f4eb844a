"""IRC constants (RFC 2812, IRCv3 STARTTLS) and the limits Zeek's IRC analyzer applies."""

# IRCv3 tls extension: RPL_STARTTLS, "STARTTLS successful, proceed with TLS handshake".
RPL_STARTTLS = 670

# RFC 2812 2.3: a message is at most 512 bytes with its CR LF; Zeek's analyzer skips
# longer lines with the weird irc_line_size_exceeded.
MAX_LINE = 512
# Bytes held while waiting for a line's end: Zeek's ContentLine for IRC cuts at 1000.
MAX_PENDING_LINE = 1000
# Commands longer than this are invalid (Zeek: irc_invalid_command); after
# MAX_INVALID of them the connection is not IRC (Zeek's invalid_msg_max_count).
MAX_COMMAND = 20
MAX_INVALID = 20

# Zeek's ports (base/protocols/irc/main.zeek).
PORTS = frozenset({6666, 6667, 6668, 6669})
