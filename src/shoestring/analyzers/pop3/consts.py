"""POP3 constants (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS) and limits, data only."""

# The words Zeek's POP3 analyzer knows (POP3.cc commands[]): replies and commands.
OK, ERR = "OK", "ERR"
COMMANDS = frozenset({"USER", "PASS", "APOP", "AUTH", "STAT", "LIST", "RETR", "DELE", "RSET",
                      "NOOP", "LAST", "QUIT", "TOP", "CAPA", "UIDL", "STLS", "XSENDER"})

# Commands whose +OK reply goes on over several lines up to a lone "." (RFC 1939 3):
# always for these, and for LIST/UIDL without an argument (see parse.multiline).
MULTILINE_ALWAYS = frozenset({"RETR", "TOP", "CAPA"})
MULTILINE_WITHOUT_ARG = frozenset({"LIST", "UIDL"})
# Replies that confirm POP3, as Zeek's ProtocolConfirmation() calls in ProcessReply.
CONFIRMING = frozenset({"USER", "CAPA", "STLS"})

# Limits.
# RFC 2449 4: a reply line is at most 512 bytes; a command line 255. Lines of a mail
# body may be longer (RFC 5322 allows 998): hold up to that, then give the line up.
MAX_LINE = 1000
# Commands a client may pipeline ahead of the replies (RFC 2449 6.6): more is not POP3.
MAX_PENDING = 64

PORTS = frozenset({110})
