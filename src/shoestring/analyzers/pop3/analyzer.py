"""Per-connection POP3 analyzer: confirms POP3 and hands the stream to TLS after STLS.

Theory of operation (after Zeek's POP3.cc, reduced to what conn.log needs): client
commands queue up (clients may pipeline); each server status line answers the oldest.
A +OK to USER, CAPA or STLS confirms POP3 (conn.log service "pop3"); multi-line replies
(RETR, TOP, CAPA, LIST and UIDL without argument) run to their lone "." line. A +OK to
STLS means TLS follows on both sides: ``ctx.handoff()`` restarts detection so the TLS
analyzer is found on the next bytes (service "pop3,ssl", as Zeek's). A server line
that is no status where one is due is Zeek's pop3_server_command_unknown and a
violation. During AUTH the SASL exchange ("+ challenge" lines) is passed over.
"""

from __future__ import annotations

from collections import deque

from ..base import ConnContext
from ..buffered import BufferedAnalyzer
from . import consts as C
from .parse import (Command, Pop3ParseError, end_of_multiline, multiline, next_line,
                    parse_command, parse_status)


class Pop3Analyzer(BufferedAnalyzer):
    service = "pop3"

    def __init__(self, ctx: ConnContext):
        super().__init__(ctx)
        self.pending: deque[Command] = deque()
        self.in_multiline = False
        self.greeted = False

    def deliver(self, is_orig: bool, data: bytes, ts: float) -> None:
        if self.stopped or not data:
            return
        buf = self.bufs[is_orig]
        buf += data
        try:
            pos = 0
            while True:
                if self.in_multiline and not is_orig:
                    # A mail body: jump to its terminating "." line in one search.
                    end = end_of_multiline(buf, pos)
                    if end is None:
                        pos = max(pos, buf.rfind(b"\n") + 1)   # keep the partial line
                        break
                    pos = end
                    self.in_multiline = False
                    if self.pending:
                        self.pending.popleft()
                    continue
                got = next_line(buf, pos)
                if got is None:
                    break
                line, pos = got
                if is_orig:
                    self._command(line, ts)
                else:
                    self._reply(line, buf, pos, ts)
                if self.stopped:
                    return
            del buf[:pos]
        except Exception as exc:            # noqa: BLE001 - an analyzer never raises out
            self.ctx.weird("POP3_analyzer_error", type(exc).__name__, ts)
            self._stop()
            return
        if len(buf) > C.MAX_LINE:
            if self.in_multiline and not is_orig:
                # A long body line: only its end matters. One byte stays so that a
                # "." arriving next is not taken for the start of a line.
                del buf[:-1]
            else:
                self.ctx.weird("pop3_line_too_long", str(len(buf)), ts)
                buf.clear()

    def _command(self, line: bytes, ts: float) -> None:
        if not line:
            return
        if self.pending and self.pending[-1].word == "AUTH":
            return                          # a SASL response line, not a command
        cmd = parse_command(line)
        if cmd.word is None:
            self.ctx.weird("pop3_client_command_unknown", None, ts)
            return
        if len(self.pending) >= C.MAX_PENDING:
            self.ctx.weird("pop3_too_many_pending_commands", None, ts)
            self._stop()
            self.ctx.violation("too many pipelined commands")
            return
        self.pending.append(cmd)

    def _reply(self, line: bytes, buf: bytearray, end: int, ts: float) -> None:
        """One status line; ``buf[end:]`` is what the server sent after it."""
        cmd = self.pending[0] if self.pending else None
        if cmd is not None and cmd.word == "AUTH" and line[:1] == b"+" \
                and line[:3].upper() != b"+OK":
            return                          # "+ challenge": SASL goes on
        try:
            ok = parse_status(line)
        except Pop3ParseError as exc:
            self.ctx.weird("pop3_server_command_unknown", None, ts)
            self._stop()
            self.ctx.violation(str(exc))
            return
        if cmd is None:
            self.greeted = True             # the greeting (or an unasked reply)
            return
        if ok and cmd.word in C.CONFIRMING:
            self.ctx.confirm("pop3")
        if ok and cmd.word == "STLS":
            orig, resp = bytes(self.bufs[True]), bytes(buf[end:])
            self._stop()
            self.ctx.handoff(None, orig, resp)
            return
        if ok and multiline(cmd):
            self.in_multiline = True
            return
        self.pending.popleft()
