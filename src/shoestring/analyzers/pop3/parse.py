"""Sans-IO POP3 line parsing: stream to lines, lines to commands and status replies."""

from __future__ import annotations

import re
from typing import NamedTuple

from ..lines import next_line  # noqa: F401  (re-exported for the analyzer)
from . import consts as C


class Pop3ParseError(ValueError):
    """A server line that is neither +OK nor -ERR (nor a known word), where one is due."""


class Command(NamedTuple):
    word: str | None            # upper-cased known command, None when unknown
    arg: str


# A "." line inside the reply: after a line end.
_TERMINATOR = re.compile(rb"\n\.\r?\n")


def end_of_multiline(buf: bytes, offset: int = 0) -> int | None:
    """Offset after the lone "." line that ends a multi-line reply whose next line
    starts at ``offset`` (RFC 1939 3), or None while it has not come."""
    for first in (b".\r\n", b".\n"):
        if buf[offset:offset + len(first)] == first:
            return offset + len(first)
    m = _TERMINATOR.search(buf, offset)
    return None if m is None else m.end()


def _word(token: str) -> str:
    # Zeek's ParseCmd drops a leading + or - and compares without case.
    if token[:1] in ("+", "-"):
        token = token[1:]
    return token.upper()


def parse_command(line: bytes) -> Command:
    text = line.decode("latin-1").strip(" \t")
    word, _, arg = text.partition(" ")
    word = _word(word)
    return Command(word if word in C.COMMANDS else None, arg.strip(" "))


def parse_status(line: bytes) -> bool:
    """True for +OK, False for -ERR; Pop3ParseError for anything else."""
    token = line.decode("latin-1").strip(" \t").partition(" ")[0]
    word = _word(token)
    if word == C.OK:
        return True
    if word == C.ERR:
        return False
    raise Pop3ParseError(f"unknown server command ({token or '???'})")


def multiline(cmd: Command) -> bool:
    """Whether this command's +OK reply is multi-line."""
    return cmd.word in C.MULTILINE_ALWAYS or (cmd.word in C.MULTILINE_WITHOUT_ARG
                                              and not cmd.arg)


def looks_like_pop3(data: bytes, is_orig: bool) -> bool:
    """A client's first line is USER, APOP, CAPA, AUTH or STLS (Zeek's dpd_pop3_client).
    Zeek also wants the server's "+OK " greeting; alone, a "+OK" is too common a start
    (detection stops at the first match), so the client's line decides here."""
    if not is_orig:
        return False
    line = data.split(b"\n", 1)[0].strip().upper()
    word = line.split(b" ", 1)[0]
    return word in (b"USER", b"APOP", b"CAPA", b"AUTH", b"STLS") and b"\n" in data
