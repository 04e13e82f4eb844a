"""FTP tables after Zeek's ftp scripts (data only): logged commands, reply codes per
command (for pairing replies with pipelined commands), guest ids, limits."""

# FTP::logged_commands: the commands that get an ftp.log record.
LOGGED_COMMANDS = frozenset({"APPE", "DELE", "RETR", "STOR", "STOU", "ACCT", "PORT",
                             "PASV", "EPRT", "EPSV"})

# FTP::guest_ids: users whose password Zeek logs (it is an e-mail address by custom).
GUEST_IDS = frozenset({"anonymous", "ftp", "ftpuser", "guest"})
HIDDEN_PASSWORD = "<hidden>"
UNKNOWN_USER = "<unknown>"
INIT = "<init>"
MISSING = "<missing>"

# Commands whose argument names a file or directory: logged as an ftp:// URL.
FILE_COMMANDS = frozenset({"APPE", "CWD", "DELE", "MKD", "RETR", "RMD", "RNFR", "RNTO",
                           "STOR", "STOU", "REST", "SIZE", "MDTM"})

# (command, reply code) pairs that move the working directory.
DIRECTORY_COMMANDS = frozenset({("CWD", 250), ("CDUP", 200), ("CDUP", 250),
                                ("PWD", 257), ("XPWD", 257)})

# FTP::cmd_reply_code: the replies each command may get (RFC 959 and extensions).
_R = {
    INIT: (120, 220, 421, 0), MISSING: (0,), "USER": (230, 331, 332, 421, 530, 500, 501),
    "PASS": (230, 202, 332, 421, 530, 500, 501, 503), "ACCT": (230, 202, 421, 530, 500, 501, 503),
    "CWD": (250, 421, 500, 501, 502, 530, 550), "CDUP": (200, 250, 421, 500, 501, 502, 530, 550),
    "SMNT": (202, 250, 421, 500, 501, 502, 530, 550), "REIN": (120, 220, 421, 500, 502),
    "QUIT": (221, 500, 0), "PORT": (200, 421, 500, 501, 530), "PASV": (227, 421, 500, 501, 502, 530),
    "MODE": (200, 421, 500, 501, 502, 504, 530), "TYPE": (200, 421, 500, 501, 504, 530),
    "STRU": (200, 421, 500, 501, 504, 530), "ALLO": (200, 202, 421, 500, 501, 504, 530),
    "REST": (200, 350, 421, 500, 501, 502, 530),
    "STOR": (110, 125, 150, 226, 250, 421, 425, 426, 451, 551, 552, 532, 450, 452, 553, 500,
             501, 530, 550),
    "STOU": (110, 125, 150, 226, 250, 421, 425, 426, 451, 551, 552, 532, 450, 452, 553, 500,
             501, 530, 550),
    "RETR": (110, 125, 150, 226, 250, 421, 425, 426, 451, 450, 500, 501, 530, 550),
    "LIST": (125, 150, 226, 250, 421, 425, 426, 451, 450, 500, 501, 502, 530, 550),
    "NLST": (125, 150, 226, 250, 421, 425, 426, 451, 450, 500, 501, 502, 530, 550),
    "APPE": (125, 150, 226, 250, 421, 425, 426, 451, 551, 552, 532, 450, 550, 452, 553, 500,
             501, 502, 530),
    "RNFR": (350, 421, 450, 550, 500, 501, 502, 530), "RNTO": (250, 421, 532, 553, 500, 501, 502, 503, 530),
    "DELE": (250, 421, 450, 550, 500, 501, 502, 530), "RMD": (250, 421, 500, 501, 502, 530, 550),
    "MKD": (257, 421, 500, 501, 502, 530, 550), "PWD": (257, 421, 500, 501, 502, 550),
    "ABOR": (225, 226, 421, 500, 501, 502), "SYST": (215, 421, 500, 501, 502, 530),
    "STAT": (211, 212, 213, 421, 450, 500, 501, 502, 530), "HELP": (200, 211, 214, 421, 500, 501, 502),
    "SITE": (200, 202, 214, 500, 501, 502, 530), "NOOP": (200, 421, 500),
    "LPRT": (500, 501, 521), "FEAT": (211, 500, 502), "OPTS": (200, 451, 501),
    "EPSV": (229, 500, 501), "EPRT": (200, 500, 501, 522), "SIZE": (213, 500, 501, 550),
    "MDTM": (213, 500, 501, 550), "MLST": (150, 226, 250, 500, 501, 550),
    "MLSD": (150, 226, 250, 500, 501, 550), "CLNT": (200, 500), "MACB": (200, 500, 550),
}
CMD_REPLY_CODES = frozenset((cmd, code) for cmd, codes in _R.items() for code in codes)

# Limits (Zeek's FTP options, with the weird it raises).
MAX_PENDING_COMMANDS = 20       # FTP::max_pending_commands
MAX_USER_LENGTH = 128           # FTP::max_user_length
MAX_PASSWORD_LENGTH = 128       # FTP::max_password_length
MAX_ARG_LENGTH = 4096           # FTP::max_arg_length
MAX_REPLY_MSG_LENGTH = 4096     # FTP::max_reply_msg_length
# A control line longer than this is cut (RFC 959 has no limit; real commands are
# short, and a hostile 1 MB "command" must not be buffered whole).
MAX_LINE = 16 * 1024
# Expected data channels are kept 5 minutes (Zeek's ftp_data_expected &read_expire and
# schedule_analyzer timeout) and at most this many at once (a PORT flood).
EXPECT_TIMEOUT = 300.0
MAX_EXPECTED = 10_000

WEIRD_TOO_MANY_PENDING = "FTP_too_many_pending_commands"
WEIRD_USER_TOO_LONG = "FTP_user_too_long"
WEIRD_PASSWORD_TOO_LONG = "FTP_password_too_long"
WEIRD_ARG_TOO_LONG = "FTP_arg_too_long"
WEIRD_REPLY_TOO_LONG = "FTP_reply_msg_too_long"
WEIRD_LINE_TOO_LONG = "contentline_size_exceeded"
WEIRD_BASE64 = "base64_illegal_encoding"
WEIRD_ADAT_FIRST_TOKEN = "ftp_adat_bad_first_token_encoding"
