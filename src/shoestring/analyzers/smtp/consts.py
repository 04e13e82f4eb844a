"""SMTP commands, reply handling tables, header names and limits (data only)."""

# Commands Zeek's SMTP analyzer knows (SMTP_cmd.def); anything else is "unknown
# command" and raises no request event. RFC 5321, 3207 (STARTTLS), 4954 (AUTH),
# 3030 (BDAT/CHUNKING), plus the historical ones Zeek lists.
KNOWN_COMMANDS = frozenset({
    "EHLO", "HELO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "SEND", "SOML", "SAML",
    "VRFY", "EXPN", "HELP", "NOOP", "QUIT", "TURN", "STARTTLS", "AUTH", "ETRN", "ATRN",
    "X-EXPS", "X-LINK2STATE", "XEXCH50", "XCLIENT", "XFORWARD", "VERB", "ONEX", "XUSR",
    "XQUE", "XSTA", "XTRN", "XADR", "XGEN", "XAUTH", "LHLO", "BURL",
})

# Pseudo-commands Zeek pairs replies with.
CONN_ESTABLISHMENT = ">"        # the server's greeting answers the connection itself
END_OF_DATA = "."
AUTH_ANSWER = "***"             # a line of an AUTH exchange (never logged: credentials)
UNKNOWN = "(UNKNOWN)"

# DATA replies after which Zeek leaves data mode (the server refused the DATA).
DATA_REFUSED = frozenset({421, 500, 501, 503, 451, 554})

# Header name (upper case) -> smtp.log field, for the simple string headers.
STRING_HEADERS = {
    "MESSAGE-ID": "msg_id", "IN-REPLY-TO": "in_reply_to", "SUBJECT": "subject",
    "FROM": "from", "REPLY-TO": "reply_to", "DATE": "date",
    "X-MAILER": "user_agent", "USER-AGENT": "user_agent", "X-USER-AGENT": "user_agent",
}

# Limits.
# RFC 5321 4.5.3.1.6 caps a text line at 1000 octets; real mail breaks that (long
# HTML lines), so 64 KiB, after which the line is cut and a weird raised: a hostile
# 1 MB "line" must not be buffered whole.
MAX_LINE = 64 * 1024
# Zeek's SMTP::max_rcptto_addresses, max_to_addresses, max_cc_addresses, max_path_length.
MAX_RCPTTO = 1000
MAX_TO = 1000
MAX_CC = 1000
MAX_PATH = 1000
# Headers of one message: beyond these the rest are ignored (Zeek's MIME analyzer has no
# limit; a header flood must not cost unbounded memory).
MAX_HEADERS = 1000
MAX_HEADER_LEN = 64 * 1024
# Commands sent ahead of their replies (pipelining) remembered at once.
MAX_PENDING_COMMANDS = 1000
# fuids listed per transaction (each file still gets its files.log record).
MAX_FILES_PER_MESSAGE = 1000
# Zeek's SMTP::max_invalid_mail_transactions: past this the analyzer stops.
MAX_INVALID_TRANSACTIONS = 25

# Weird names (Zeek's).
WEIRD_INVALID_TRANSACTION = "smtp_mail_transaction_invalid"
WEIRD_EXCESSIVE_INVALID = "smtp_excessive_invalid_mail_transactions"
WEIRD_TOO_MANY_RCPTTO = "smtp_too_many_rcptto_addresses"
WEIRD_TOO_MANY_TO = "smtp_too_many_to_addresses"
WEIRD_TOO_MANY_CC = "smtp_too_many_cc_addresses"
WEIRD_PATH_TOO_LONG = "smtp_max_path_length_exceeded"
WEIRD_NESTED_MAIL = "smtp_nested_mail_transaction"
WEIRD_UNMATCHED_END = "smtp_unmatched_end_of_data"
WEIRD_LINE_TOO_LONG = "contentline_size_exceeded"
WEIRD_REPLY_OUT_OF_RANGE = "smtp_reply_code_out_of_range"
WEIRD_BAD_BDAT = "smtp_invalid_bdat_command"
