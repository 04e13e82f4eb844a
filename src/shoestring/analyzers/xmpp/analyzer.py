"""Per-connection XMPP analyzer: confirms XMPP and hands the stream to TLS on STARTTLS.

Theory of operation (after Zeek's XMPP analyzer): each side's bytes are cut into tag
names. The client's stream header confirms XMPP (conn.log service "xmpp"). The client's
<starttls/> and then the server's <proceed/> mean TLS follows on both sides:
``ctx.handoff()`` restarts detection so the TLS analyzer is found on the next bytes
(service "xmpp,ssl", as Zeek's). A <proceed/> without a request is Zeek's weird. Once
the session is past the point where STARTTLS could come (authentication succeeded,
stanzas flow, server dialback), the analyzer stops, as Zeek's skips the rest.
"""

from __future__ import annotations

from ..base import ConnContext
from ..buffered import BufferedAnalyzer
from . import consts as C
from .parse import XmppParseError, parse_tag


class XmppAnalyzer(BufferedAnalyzer):
    service = "xmpp"

    def __init__(self, ctx: ConnContext):
        super().__init__(ctx)
        self.client_starttls = False

    def deliver(self, is_orig: bool, data: bytes, ts: float) -> None:
        if self.stopped or not data:
            return
        buf = self.bufs[is_orig]
        buf += data
        try:
            pos = 0
            while (got := parse_tag(buf, pos)) is not None:
                name, pos = got
                if name is not None:
                    self._tag(is_orig, name, buf, pos, ts)
                    if self.stopped:
                        return
            lt = buf.find(b"<", pos)            # keep an incomplete tag, drop text
            del buf[:lt if lt >= 0 else len(buf)]
        except XmppParseError as exc:
            self._stop()
            self.ctx.violation(str(exc))
        except Exception as exc:            # noqa: BLE001 - an analyzer never raises out
            self.ctx.weird("XMPP_analyzer_error", type(exc).__name__, ts)
            self._stop()

    def _tag(self, is_orig: bool, name: str, buf: bytearray, end: int, ts: float) -> None:
        """One tag; ``buf[end:]`` is what this side sent after it."""
        if is_orig and name == C.STREAM:
            self.ctx.confirm("xmpp")
        if name in C.PAST_STARTTLS:
            self._stop()
            return
        if is_orig and name == C.STARTTLS:
            self.client_starttls = True
        elif not is_orig and name == C.PROCEED:
            if not self.client_starttls:
                self.ctx.weird("XMPP: proceed without starttls", None, ts)
                return
            # The client waited for <proceed/>: its buffer holds at most an unfinished
            # tag; the server's bytes after the tag are TLS already.
            orig, resp = bytes(self.bufs[True]), bytes(buf[end:])
            self._stop()
            self.ctx.handoff(None, orig, resp)
