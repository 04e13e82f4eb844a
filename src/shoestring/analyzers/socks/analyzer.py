"""Per-connection SOCKS analyzer: follows the handshake, then hands the stream on.

Theory of operation (after Zeek's SOCKS analyzer and base/protocols/socks/main.zeek):
- The client's first byte picks the version. SOCKS 4: one request, one reply. SOCKS 5:
  greeting (methods) and the server's choice, then for username/password (RFC 1929) or
  another method a sub-negotiation, then the request and the reply.
- The server's reply confirms the protocol (conn.log service "socks"), whatever its
  status, as Zeek confirms it.
- Once both sides are done, the rest of the connection is what the proxy relays: the
  analyzer calls ``ctx.handoff("Tunnel::SOCKS", ...)`` with the bytes already buffered
  past the handshake, so tunnel.log gets Zeek's DISCOVER line (server endpoint, orig_p 0)
  and detection runs on what follows (TLS, HTTP, ...). Zeek registers the tunnel at the
  request and hands over after the reply; a request never answered is still logged as a
  tunnel when the connection ends.
- socks.log is not written: no schema declares it yet (logs/schemas).
"""

from __future__ import annotations

from typing import Final

from ..base import Analyzer, ConnContext
from . import consts as C
from .parse import (SocksParseError, check_v5_request, parse_userpass_reply,
                    parse_userpass_request, parse_v4_reply, parse_v4_request,
                    parse_v5_greeting, parse_v5_message, parse_v5_method)

# Per-side states (C constants once compiled).
_START: Final = 0
_GREETING: Final = 1
_WAIT_METHOD: Final = 2
_AUTH: Final = 3
_REQUEST: Final = 4
_METHOD: Final = 5
_REPLY: Final = 6
_DONE: Final = 7

#: Bytes a side may send after its part of the handshake before the other side ends
#: its part (a client's optimistic ClientHello): a TLS record's maximum; more is not a
#: SOCKS client waiting for its proxy.
MAX_EARLY_DATA: Final = 16384

TUNNEL: Final = "Tunnel::SOCKS"


class SocksAnalyzer(Analyzer):
    """SOCKS 4/4a/5 handshake; tunnel.log and a hand-off once both sides are done."""

    service = "socks"

    def __init__(self, ctx: ConnContext):
        super().__init__(ctx)
        self.bufs: dict[bool, bytearray] = {True: bytearray(), False: bytearray()}
        self.state: dict[bool, int] = {True: _START, False: _START}
        self.version: int | None = None
        self.method: int | None = None      # v5: the server's chosen auth method
        self.requested = False              # a request was seen (Zeek's tunnel register)
        self.dead = False                   # gave up (violation or gap)
        self.handed_off = False

    # -- the contract ------------------------------------------------------------------
    def deliver(self, is_orig: bool, data: bytes, ts: float) -> None:
        if self.dead or self.handed_off or not data:
            return
        buf = self.bufs[is_orig]
        buf += data
        try:
            self._advance()
        except SocksParseError as exc:
            self._give_up(str(exc))
            return
        except Exception as exc:            # noqa: BLE001 - an analyzer never raises out
            self.ctx.weird("SOCKS_analyzer_error", type(exc).__name__, ts)
            self._give_up(f"internal error: {type(exc).__name__}")
            return
        if self.handed_off:
            return
        limit = MAX_EARLY_DATA if self.state[is_orig] == _DONE else C.MAX_MESSAGE
        if len(buf) > limit:
            self.ctx.weird("SOCKS_message_too_long", str(len(buf)), ts)
            self._give_up("handshake message too long")

    def gap(self, is_orig: bool, length: int, ts: float) -> None:
        # Lost handshake bytes leave message boundaries unknown: stop (Zeek's had_gap).
        if not self.handed_off:
            self.dead = True
            self.wants_more = False

    def finish(self, ts: float) -> None:
        if self.requested and not self.handed_off:
            # Zeek registers the tunnel at the request: an unanswered one still counts.
            self.handed_off = True
            self.ctx.handoff(TUNNEL)

    # -- the handshake -----------------------------------------------------------------
    def _give_up(self, reason: str) -> None:
        self.dead = True
        self.wants_more = False
        self.bufs[True].clear()
        self.bufs[False].clear()
        self.ctx.violation(reason)

    def _advance(self) -> None:
        """Parse whatever complete messages both sides hold, in protocol order (the
        client's messages after the greeting depend on the server's method choice)."""
        progress = True
        while progress and not self.handed_off:
            progress = self._step_orig() | self._step_resp()
            if self.state[True] == _DONE and self.state[False] == _DONE:
                self.handed_off = True
                self.wants_more = False     # what follows is the next analyzer's
                orig, resp = bytes(self.bufs[True]), bytes(self.bufs[False])
                self.bufs[True].clear()
                self.bufs[False].clear()
                self.ctx.handoff(TUNNEL, orig, resp)

    def _consume(self, is_orig: bool, end: int) -> None:
        """A message of that side, ``end`` bytes long, was parsed: drop it."""
        del self.bufs[is_orig][:end]

    def _step_orig(self) -> bool:
        buf, state = self.bufs[True], self.state[True]
        if not buf or state == _DONE:
            return False
        if state == _START:
            if buf[0] not in (C.V4, C.V5):
                raise SocksParseError(f"unsupported/unknown SOCKS version {buf[0]}")
            self.version = buf[0]
            self.state[True] = state = _REQUEST if self.version == C.V4 else _GREETING
            self.state[False] = _REPLY if self.version == C.V4 else _METHOD
        if state == _GREETING:
            greeting = parse_v5_greeting(buf)
            if greeting is None:
                return False
            self._consume(True, greeting[1])
            self.state[True] = _WAIT_METHOD
            return True
        if state == _WAIT_METHOD:
            if self.method is None:
                return False                    # the server has not chosen yet
            self.state[True] = _REQUEST if self.method in (
                C.AUTH_NONE, C.AUTH_NO_ACCEPTABLE) else _AUTH
            return True
        if state == _AUTH:
            return self._auth_request(buf)
        if self.version == C.V4:
            request = parse_v4_request(buf)
            if request is None:
                return False
            self._consume(True, request[1])
        else:
            got = parse_v5_message(buf)
            if got is None:
                return False
            msg, end = got
            self._consume(True, end)
            check_v5_request(msg)
        self.requested = True
        self.state[True] = _DONE
        return True

    def _auth_request(self, buf: bytearray) -> bool:
        if self.method != C.AUTH_USERPASS:
            # GSSAPI and private methods: their messages are opaque (Zeek consumes
            # the rest of the data as "unsupported").
            self.ctx.weird("socks5_unsupported_authentication_method", str(self.method))
            buf.clear()
            self.state[True] = _REQUEST
            return True
        got = parse_userpass_request(buf)
        if got is None:
            return False
        up, end = got
        self._consume(True, end)
        if up.version != C.USERPASS_VERSION:
            self.ctx.weird("socks5_unsupported_authentication",
                           f"method {self.method}, version {up.version}")
        self.state[True] = _REQUEST
        return True

    def _step_resp(self) -> bool:
        buf, state = self.bufs[False], self.state[False]
        if not buf or state in (_START, _DONE):
            return False                        # the server never speaks first
        if state == _METHOD:
            choice = parse_v5_method(buf)
            if choice is None:
                return False
            method, end = choice
            self._consume(False, end)
            self.method = method
            self.state[False] = _REPLY if method in (
                C.AUTH_NONE, C.AUTH_NO_ACCEPTABLE) else _AUTH
            return True
        if state == _AUTH:
            if self.method == C.AUTH_USERPASS:
                status = parse_userpass_reply(buf)
                if status is None:
                    return False
                self._consume(False, status[1])
            else:
                buf.clear()
            self.state[False] = _REPLY
            return True
        reply = parse_v4_reply(buf) if self.version == C.V4 else parse_v5_message(buf)
        if reply is None:
            return False
        self._consume(False, reply[1])
        self.ctx.confirm("socks")
        self.state[False] = _DONE
        return True
