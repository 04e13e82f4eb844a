"""Per-connection IRC analyzer: confirms IRC and hands the stream to TLS on STARTTLS.

Theory of operation (after Zeek's IRC.cc): each side is read line by line. A client line
that parses confirms IRC (conn.log service "irc"), as Zeek confirms on client lines; a
line Zeek calls invalid is a weird, and the violations Zeek reports (a numeric reply
that is not three digits, a line too short after its prefix, too many over-long
commands) detach the analyzer. The server's RPL_STARTTLS (670) means TLS follows on
both sides: ``ctx.handoff()`` restarts detection on the next bytes, so the TLS analyzer
is found there and conn.log's service becomes "irc,ssl" as in Zeek. irc.log is not
written (no schema yet).
"""

from __future__ import annotations

from ..base import ConnContext
from ..buffered import BufferedAnalyzer
from . import consts as C
from .parse import IrcParseError, next_line, parse_line


class IrcAnalyzer(BufferedAnalyzer):
    service = "irc"

    def __init__(self, ctx: ConnContext):
        super().__init__(ctx)
        self.invalid = 0

    def deliver(self, is_orig: bool, data: bytes, ts: float) -> None:
        if self.stopped or not data:
            return
        buf = self.bufs[is_orig]
        buf += data
        try:
            pos = 0
            while (got := next_line(buf, pos)) is not None:
                line, pos = got
                self._line(is_orig, line, buf, pos, ts)
                if self.stopped:
                    return
            del buf[:pos]
        except Exception as exc:            # noqa: BLE001 - an analyzer never raises out
            self.ctx.weird("IRC_analyzer_error", type(exc).__name__, ts)
            self._stop()
            return
        if len(buf) > C.MAX_PENDING_LINE:
            self.ctx.weird("irc_line_size_exceeded", None, ts)
            buf.clear()

    def _line(self, is_orig: bool, line: bytes, buf: bytearray, end: int, ts: float) -> None:
        """One line; ``buf[end:]`` is what this side sent after it."""
        try:
            msg = parse_line(line)
        except IrcParseError as exc:
            self.ctx.weird(exc.weird, None, ts)
            if exc.fatal:
                self._stop()
                self.ctx.violation(str(exc))
            return
        if is_orig:
            self.ctx.confirm("irc")
        if msg.code == C.RPL_STARTTLS and not is_orig:
            orig, resp = bytes(self.bufs[True]), bytes(buf[end:])
            self._stop()
            self.ctx.handoff(None, orig, resp)
            return
        if msg.command is not None and len(msg.command) > C.MAX_COMMAND:
            self.ctx.weird("irc_invalid_command", None, ts)
            self.invalid += 1
            if self.invalid > C.MAX_INVALID:
                self.ctx.weird("irc_too_many_invalid", None, ts)
                self._stop()
                self.ctx.violation("too many long lines")
