"""Sans-IO IRC line parsing: split a stream into lines, a line into prefix, command or
numeric reply, and parameters, as Zeek's IRC analyzer reads them (IRC.cc)."""

from __future__ import annotations

from typing import NamedTuple

from ..lines import next_line  # noqa: F401  (re-exported for the analyzer)
from . import consts as C


class IrcParseError(ValueError):
    """A line that is not an IRC message. ``weird`` is Zeek's name for it; ``fatal``
    says whether Zeek also gives up on the connection (a protocol violation)."""

    def __init__(self, weird: str, reason: str, fatal: bool):
        super().__init__(reason)
        self.weird, self.fatal = weird, fatal


class Message(NamedTuple):
    prefix: str | None
    command: str | None         # upper-cased; None for a numeric reply
    code: int | None            # numeric reply code
    params: str


def parse_line(line: bytes) -> Message:
    """One IRC line (without its terminator)."""
    if len(line) > C.MAX_LINE:
        raise IrcParseError("irc_line_size_exceeded", "line too long", False)
    text = line.decode("latin-1").lstrip(" ")
    if len(text) < 3:
        raise IrcParseError("irc_line_too_short", "line too short", False)
    prefix = None
    if text[0] == ":":
        space = text.find(" ")
        if space < 0:
            raise IrcParseError("irc_invalid_line", "prefix without a command", False)
        prefix, text = text[1:space], text[space + 1:].lstrip(" ")
    if len(text) < 3:
        raise IrcParseError("irc_invalid_line", "line too short", True)
    if text[0].isdigit():
        if not (text[:3].isdigit() and text[3:4] == " "):
            raise IrcParseError("irc_invalid_reply_number", "invalid reply number", True)
        return Message(prefix, None, int(text[:3]), text[4:])
    command, _, params = text.partition(" ")
    return Message(prefix, command.upper(), None, params.lstrip(" "))


def looks_like_irc(data: bytes, is_orig: bool) -> bool:
    """A client registering (NICK and USER lines, in either order, perhaps after PASS or
    CAP), as Zeek's dpd.sig irc_client1/2 look for it."""
    if not is_orig:
        return False
    head = data[:512].upper()
    if b"\n" not in head:
        return False
    starts = [line.lstrip(b" ")[:5] for line in head.split(b"\n")[:6]]
    return b"NICK " in starts and b"USER " in starts
