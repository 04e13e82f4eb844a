"""Per-connection HTTP analyzer: pairs requests with replies and writes http.log and files.log.

Two :class:`~.parse.HttpStream` parsers (one per direction) turn bytes into events; this
module applies them the way Zeek's base/protocols/http scripts do, so each field comes out
as Zeek writes it: transactions are numbered (trans_depth) as requests and replies arrive,
the record is written when the reply ends (a 1xx reply keeps it open), and whatever is
still pending when the connection ends is written then. Bodies become files
(files/): fuids, filenames from Content-Disposition, MIME types sniffed from content.

Zeek's analyzer reports each direction's end (FIN) separately; the connection table may
call :meth:`HttpAnalyzer.eof` for that. Without it :meth:`finish` ends the server's side
first when its reply runs until the connection closes (the server's FIN ends such a
reply), which is the order Zeek sees on real captures.
"""

from __future__ import annotations

import binascii
from collections import deque
from typing import Any, Final

from ..base import ConnContext
from . import consts
from ..files import emit_file
from .entities import BodyFiles, filename_from_disposition
from .lines import as_text as _s
from .lines import unescape_uri
from .multipart import Multipart, boundary_of
from .parse import (BAD_LINE, BODY, BODY_GAP, BODY_NOT_EXPECTED, DONE, HEADER, HEADERS_DONE,
                    NEED_DATA, REPLY, REQUEST, S_BODY_CLOSE, S_BODY_LINES, S_NOTHING, S_RAW09,
                    S_TUNNEL, WEIRD, ConnFlags, HttpStream)


#: Log Basic-auth passwords (Zeek's HTTP::default_capture_password). Never by default.
#: A module setting read when an analyzer is created (a compiled class's attributes
#: cannot be changed from outside): set ``analyzer.CAPTURE_PASSWORD = True`` to log them.
CAPTURE_PASSWORD = False


# http.log's fields after ts and the id fields, in log order, as a new record starts.
# Copied (one dict merge) rather than spelled as a literal (one store per key).
_RECORD_TAIL: Final[dict[str, Any]] = {
    "trans_depth": 0, "method": None, "host": None, "uri": None, "referrer": None,
    "version": None, "user_agent": None, "origin": None, "request_body_len": 0,
    "response_body_len": 0, "status_code": None, "status_msg": None,
    "info_code": None, "info_msg": None, "tags": None, "username": None,
    "password": None, "proxied": None, "orig_fuids": None, "orig_filenames": None,
    "orig_mime_types": None, "resp_fuids": None, "resp_filenames": None,
    "resp_mime_types": None,
}


def _new_record(ids: dict[str, Any], ts: float, depth: int) -> dict[str, Any]:
    rec: dict[str, Any] = {"ts": ts}
    rec.update(ids)
    rec.update(_RECORD_TAIL)
    rec["trans_depth"] = depth
    rec["tags"] = set()
    return rec


# Header names that feed http.log or body handling (upper-cased, as bytes).
_INTERESTING = frozenset(n.encode() for n in (
    "REFERER", "HOST", "RANGE", "ORIGIN", "USER-AGENT", "AUTHORIZATION",
    "PROXY-AUTHORIZATION", "CONNECTION", "UPGRADE", "CONTENT-TYPE", "CONTENT-DISPOSITION",
    *consts.PROXY_HEADERS))


class HttpAnalyzer(BodyFiles):
    """http.log and files.log for one TCP connection."""

    service = "http"

    def __init__(self, ctx: ConnContext):
        super().__init__(ctx)
        self.capture_password = CAPTURE_PASSWORD
        self.flags = ConnFlags()
        self.streams = [HttpStream(False, self.flags), HttpStream(True, self.flags)]
        self.pending: dict[int, dict[str, Any]] = {}
        self.cur_req = self.cur_resp = self.depth = 0
        self.cur: dict[str, Any] | None = None
        self.unanswered: deque[bytes] = deque()
        self.confirmed = False
        self.dead = False
        self.connect_request = False
        self.keep_alive = False
        self.num_requests = 0
        self.upgrade = False
        self.upgrade_proto = False
        self.eof_seen = [False, False]
        self.stopped = [False, False]
        # Content-Type of the current message per direction
        self.ctype: list[bytes | None] = [None, None]

    # --- the contract ---------------------------------------------------------------
    def script_weird(self, name: str, addl: str | None, ts: float) -> None:
        """A weird Zeek raises from its scripts: weird.log's source is unset for those."""
        self.ctx.weird(name, addl, ts, source=None)

    def deliver(self, is_orig: bool, data: bytes, ts: float) -> None:
        if self.dead or not data:
            return
        try:
            stream = self.streams[is_orig]
            taken = stream.take_body(data)
            if taken:
                # Body bytes straight to the file: most segments of an HTTP
                # connection are this, and the event queue costs more than hashing.
                self._body(is_orig, data if taken == len(data) else data[:taken], ts)
                if taken == len(data) and not stream.pending:
                    return
                data = data[taken:]
            if data:
                stream.receive_data(data)
            self._drain(is_orig, ts)
        except Exception as e:     # noqa: BLE001 - an analyzer never raises out
            self._internal_error(e, ts)

    def gap(self, is_orig: bool, length: int, ts: float) -> None:
        if self.dead:
            return
        try:
            p = self.streams[is_orig]
            if not p.gap(length) and is_orig:
                # Whether a reply has a body may depend on the lost request: stop both.
                self.streams[False].eof(interrupted=True)
                self.streams[False].stop()
                self._drain(False, ts)
            self._drain(is_orig, ts)
        except Exception as e:     # noqa: BLE001
            self._internal_error(e, ts)

    def eof(self, is_orig: bool, ts: float) -> None:
        """This direction's sender closed (FIN): its current message ends normally."""
        if self.dead or self.eof_seen[is_orig]:
            return
        self.eof_seen[is_orig] = True
        try:
            self.streams[is_orig].eof()
            self._drain(is_orig, ts)
        except Exception as e:     # noqa: BLE001
            self._internal_error(e, ts)

    def finish(self, ts: float) -> None:
        if self.dead:
            return
        try:
            self._flush(ts)
        except Exception as e:     # noqa: BLE001
            self.ctx.weird("HTTP_analyzer_error", type(e).__name__)
        self.dead = True

    # --- event loop -------------------------------------------------------------------
    def _drain(self, is_orig: bool, ts: float) -> None:
        p = self.streams[is_orig]
        while not self.dead:
            ev = p.next_event()
            if ev is NEED_DATA:
                return
            kind: int = ev[0]
            if kind == BODY:
                self._body(is_orig, ev[1], ts)
            elif kind == HEADER:
                self._header(is_orig, ev[1], ev[2], ts)
            elif kind == WEIRD:
                self.ctx.weird(ev[1], ev[2], ts, source=ev[3])
            elif kind == REQUEST:
                self._request(ev[1], ev[2], ev[3], ts)
            elif kind == REPLY:
                self._reply(ev[1], ev[2], ev[3], ts)
            elif kind == HEADERS_DONE:
                self._headers_done(is_orig, ts)
            elif kind == DONE:
                self._done(is_orig, ev[1], ev[2], ts)
            elif kind == BODY_GAP:
                f = self.files[is_orig]
                if f is not None:
                    f.gap(ev[1], ts)
                    self.file_off[is_orig] += ev[1]
            elif kind == BAD_LINE:
                self._bad_line(is_orig, ts)

    def _confirm(self) -> None:
        if not self.confirmed:
            self.confirmed = True
            self.ctx.confirm("http")

    # --- Zeek's set_state / new_http_session ---------------------------------------
    def _state(self, is_orig: bool, ts: float) -> dict[str, Any]:
        idx = self.cur_req if is_orig else self.cur_resp
        rec = self.pending.get(idx)
        if rec is None:
            self.depth += 1
            rec = self.pending[idx] = _new_record(self.id_fields(), ts, self.depth)
        self.cur = rec
        return rec

    def _request(self, method: bytes, uri: bytes, version: tuple[int, int] | None,
                 ts: float) -> None:
        self.num_requests += 1
        req_version = self.streams[True].version
        if req_version is not None and req_version >= (1, 1):
            self.keep_alive = True
        if not self.keep_alive and self.num_requests > 1:
            self.ctx.weird("unexpected_multiple_HTTP_requests", None, ts)
        self.unanswered.append(method)
        # Zeek confirms HTTP on the first reply to a request, not on a request alone.
        up = method.upper()
        self.connect_request = len(up) <= 7 and b"CONNECT"[:len(up)] == up
        self.filename[True] = None
        unescaped, weirds = unescape_uri(uri)
        for name, addl in weirds:
            self.ctx.weird(name, addl, ts)
        if self.cur_req < self.cur_resp:
            self.script_weird("HTTP_response_before_request", None, ts)
            self.cur_req = self.cur_resp
        if len(self.pending) > consts.MAX_PENDING:
            self.script_weird("HTTP_excessive_pipelining", None, ts)
            if self.cur_resp == 0:
                self.cur_resp += 1
            while self.cur_resp < self.cur_req:
                self._write(self.cur_resp)
                self.cur_resp += 1
        self.cur_req += 1
        rec = self._state(True, ts)
        m = _s(method)
        rec["method"] = m
        rec["uri"] = _s(unescaped)
        if m not in consts.KNOWN_METHODS:
            self.script_weird("unknown_HTTP_method", m, ts)
        if version == (0, 9):
            if method != b"GET":
                self.ctx.weird("invalid_http_09_request_method", m, ts)
            reply = self.streams[False]
            if reply.in_message:
                self.ctx.weird("http_09_reply_before_request", None, ts)
            reply.switch_http09()
            self._drain(False, ts)

    def _reply(self, version: tuple[int, int] | None, code: int, reason: bytes | None,
               ts: float) -> None:
        p = self.streams[False]
        if self.unanswered:
            self._confirm()
            m = self.unanswered[0]
            if code == 0 and version == (0, 9):
                self.unanswered.popleft()          # Zeek pops at the start of a 0.9 reply
            elif m and b"HEAD"[:len(m)] == m.upper():
                p.expect_body = BODY_NOT_EXPECTED
        if self.connect_request and not 200 <= code < 300:
            self.connect_request = False
        self.upgrade = self.upgrade_proto = False
        self.filename[False] = None
        prev = self.pending.get(self.cur_resp)
        if prev is None or (prev["status_code"] is not None
                            and not 100 <= prev["status_code"] <= 199):
            self.cur_resp += 1
        rec = self._state(False, ts)
        rec["status_code"] = code
        rec["status_msg"] = _s(reason) if reason is not None else "<empty>"
        v = p.version or (0, 0)
        rec["version"] = f"{v[0]}.{v[1]}"
        if 100 <= code <= 199:
            rec["info_code"] = code
            rec["info_msg"] = rec["status_msg"]

    def _header(self, is_orig: bool, name: bytes, value: bytes, ts: float,
                part: bool = False) -> None:
        rec = self._state(is_orig, ts)     # Zeek's set_state runs for every header
        if name.upper() not in _INTERESTING:
            return                          # most headers: nothing to log, skip decoding
        n = _s(name).upper()
        v = _s(value)
        if part:
            pass
        elif is_orig:
            if n == "REFERER":
                rec["referrer"] = v
            elif n == "HOST":
                rec["host"] = v
            elif n == "RANGE":
                rec["_range"] = True
            elif n == "ORIGIN":
                rec["origin"] = v
            elif n == "USER-AGENT":
                rec["user_agent"] = v
            elif n in consts.PROXY_HEADERS:
                if rec["proxied"] is None:
                    rec["proxied"] = set()
                rec["proxied"].add(f"{n} -> {v}")
            elif n in ("AUTHORIZATION", "PROXY-AUTHORIZATION"):
                self._basic_auth(rec, v)
            elif n == "CONNECTION" and value.strip().lower().startswith(b"keep-alive"):
                self.keep_alive = True
        else:
            if n == "CONNECTION" and value.strip().lower().startswith(b"upgrade"):
                self.upgrade = True
            elif n == "UPGRADE" and value.strip():
                self.upgrade_proto = True
        if n == "CONTENT-TYPE" and not part:
            self.ctype[is_orig] = value
        if n == "CONTENT-DISPOSITION" or n == "CONTENT-TYPE":
            low = v.lower()
            key = "filename" if n == "CONTENT-DISPOSITION" else "name"
            at = low.find(key)
            while at >= 0:
                rest = low[at + len(key):].lstrip(" \t")
                if rest.startswith("=") or rest.startswith("*="):
                    self.filename[is_orig] = filename_from_disposition(v)
                    break
                at = low.find(key, at + 1)

    def _basic_auth(self, rec: dict[str, Any], value: str) -> None:
        if value[:6].lower() != "basic ":
            return
        b64 = value[6:].lstrip(" \t").encode("latin-1", "replace")
        try:
            userpass = binascii.a2b_base64(b64 + b"=" * (-len(b64) % 4))
        except (binascii.Error, ValueError):
            userpass = b""
        user, sep, password = userpass.partition(b":")
        if sep:
            rec["username"] = _s(user)
            if self.capture_password:
                rec["password"] = _s(password)
        else:
            rec["username"] = f"<problem-decoding> ({value})"
            if self.capture_password:
                rec["password"] = _s(userpass)

    def _headers_done(self, is_orig: bool, ts: float) -> None:
        if not is_orig and self.connect_request and 200 <= self.streams[False].code < 300:
            # CONNECT succeeded: the rest of the connection is a tunnel. Bytes the
            # parsers already hold past the reply headers (a server greeting in the
            # same segment, a ClientHello sent before the reply) belong to what is
            # inside; hand them over before tunnel() drops them.
            orig, resp = (self._pending_bytes(s) for s in (self.streams[True],
                                                           self.streams[False]))
            self.streams[False].tunnel()
            self.streams[True].tunnel()
            self._drain(True, ts)
            # Zeek's http_reply handler registers the tunnel for a 200 only; any 2xx
            # hands the stream over (HTTP.cc), so other 2xx tunnel without a log line.
            kind = "Tunnel::HTTP" if self.streams[False].code == 200 else None
            self.ctx.handoff(kind, orig, resp)
            return
        p = self.streams[is_orig]
        self.range_offset[is_orig] = p.range_first if not is_orig else None
        ct = self.ctype[is_orig]
        self.ctype[is_orig] = None
        self.mp[is_orig] = None
        if ct is not None and p.multipart:
            b = boundary_of(ct)
            if b is not None:
                self.mp[is_orig] = Multipart(b)

    @staticmethod
    def _pending_bytes(p: HttpStream) -> bytes:
        """What a parser has buffered but not consumed (the start of a tunnel's
        payload). A CR that ended the last header line at a segment's end leaves its LF
        to skip: that LF is still HTTP's, not the tunnel's."""
        data = bytes(p.buf)
        if data[:1] == b"\n" and p._skip_lf:
            data = data[1:]
        return data

    def _done(self, is_orig: bool, body_len: int, interrupted: bool, ts: float) -> None:
        mp = self.mp[is_orig]
        if mp is not None:
            self._parts(is_orig, mp.close(), ts)
            self.mp[is_orig] = None
        self._close_file(is_orig, ts)
        rec = self._state(is_orig, ts)
        if is_orig:
            rec["request_body_len"] = body_len
            return
        rec["response_body_len"] = body_len
        code = rec["status_code"]
        if code is None or not 100 <= code <= 199:
            self._write(self.cur_resp)
        p = self.streams[False]
        if (p.code < 100 or p.code >= 200) and self.unanswered and p.code != 0:
            self.unanswered.popleft()
        if p.code == 101 and self.upgrade and self.upgrade_proto and not interrupted:
            # Switching protocols (e.g. WebSocket): the rest is not HTTP.
            p.tunnel()
            self.streams[True].tunnel()

    def _write(self, idx: int) -> None:
        rec = self.pending.pop(idx, None)
        if rec is None:
            return
        rec.pop("_range", None)
        self.ctx.emit("http", rec)

    def _bad_line(self, is_orig: bool, ts: float) -> None:
        self.stopped[is_orig] = True
        reason = "not a http request line" if is_orig else "not a http reply line"
        if self.confirmed:
            # Zeek disables a confirmed analyzer on a violation: flush, then detach.
            self._flush(ts)
            self.dead = True
            self.ctx.violation(reason)
        elif self.stopped[True] and self.stopped[False]:
            self._flush(ts)
            self.dead = True
            self.ctx.violation(reason)

    # --- end of connection --------------------------------------------------------------
    def _flush(self, ts: float) -> None:
        rep = self.streams[False]
        # The server's close is what ends a reply read until close: end that side first.
        order = (False, True) if rep.state in (S_RAW09, S_BODY_CLOSE, S_BODY_LINES) \
            else (True, False)
        for side in order:
            p = self.streams[side]
            if p.state not in (S_NOTHING, S_TUNNEL) or p.in_message:
                p.eof(interrupted=not self.eof_seen[side])
                self._drain(side, ts)
        for side in (True, False):
            f = self.files[side]
            if f is not None and not f.ended and not (not side and rep.code == 206):
                emit_file(self.ctx, f)
            self.files[side] = None
        for idx in sorted(self.pending):
            if idx != 0:
                self._write(idx)
        self.pending.clear()
        self._release_206()

    def _internal_error(self, e: Exception, ts: float) -> None:
        self.ctx.weird("HTTP_analyzer_error", type(e).__name__, ts)
        self.dead = True
