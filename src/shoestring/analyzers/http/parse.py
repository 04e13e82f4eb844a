"""Sans-IO HTTP/0.9-1.1 message parser, one per direction, in the h11 style.

Feed bytes with :meth:`HttpStream.receive_data`, then call :meth:`HttpStream.next_event`
until it returns ``NEED_DATA``. Events are plain tuples (cheap on the per-message path):

    (REQUEST, method, raw_uri, version)     version (1, 1) | (0, 9) | None (unreadable)
    (REPLY, version, code, reason)          reason None when absent; HTTP/0.9 replies
                                            arrive as (REPLY, (0, 9), 0, None)
    (HEADER, name, value)                   raw bytes; name as sent
    (HEADERS_DONE,)                         body framing decided after this
    (BODY, data)                            decoded (gunzipped/inflated) body bytes
    (BODY_GAP, length)                      body bytes never seen (capture loss)
    (DONE, body_length, interrupted)        end of the message (Zeek's body_length)
    (WEIRD, name, addl, source)             an anomaly; parsing goes on (source: weird.log's
                                            source column, "" for the HTTP analyzer)
    (BAD_LINE, weird)                       not a request/status line: this direction
                                            stops (Zeek's analyzer violation)

Events are produced lazily, one at a time, so the analyzer can steer the parser between
events: after a REPLY it sets :attr:`expect_body` (HEAD replies have none), after an
HTTP/0.9 request it calls :meth:`switch_http09` on the reply side, after a successful
CONNECT it calls :meth:`tunnel` on both. Framing follows Zeek's HTTP analyzer (chunked
only for HTTP/1.1, a body with no length read line by line, "until close" when the server
said Connection: close) so that body lengths match Zeek's logs.
"""

from __future__ import annotations

from collections import deque
from typing import Final

from . import consts
from .decode import Decoder as _Decoder
from .errors import HTTPParseError
from .lines import (header_token, parse_content_range, parse_request_line, parse_status_line,
                    parse_version)

__all__ = ["HttpStream", "HTTPParseError", "ConnFlags", "NEED_DATA", "REQUEST", "REPLY",
           "HEADER", "HEADERS_DONE", "BODY", "BODY_GAP", "DONE", "WEIRD", "BAD_LINE",
           "parse_request_line", "parse_status_line", "parse_version"]

NEED_DATA: Final = None
# Event kinds (Final: compiled code compares them as C constants).
REQUEST: Final = 0
REPLY: Final = 1
HEADER: Final = 2
HEADERS_DONE: Final = 3
BODY: Final = 4
BODY_GAP: Final = 5
DONE: Final = 6
WEIRD: Final = 7
BAD_LINE: Final = 8

# Parser states (ints: compared on every call). S_NOTHING and S_TUNNEL last: ">=
# S_NOTHING" means "this direction parses nothing any more".
S_LINE: Final = 0
S_HEADERS: Final = 1
S_BODY_LEN: Final = 2
S_CHUNK_SIZE: Final = 3
S_CHUNK_DATA: Final = 4
S_CHUNK_CRLF: Final = 5
S_TRAILER: Final = 6
S_BODY_LINES: Final = 7
S_BODY_CLOSE: Final = 8
S_RAW09: Final = 9
S_NOTHING: Final = 10
S_TUNNEL: Final = 11

# expect_body values (Zeek's HTTP_BODY_*).
BODY_NOT_EXPECTED: Final = 0
BODY_MAYBE: Final = 1
BODY_EXPECTED: Final = 2

_CR: Final = 13
_LF: Final = 10


class ConnFlags:
    """Facts one direction learns that steer the other (shared by both parsers)."""

    __slots__ = ("connection_close",)

    def __init__(self) -> None:
        self.connection_close = False   # the server said "Connection: close"


class HttpStream:
    """One direction of an HTTP connection: requests (is_orig) or replies."""

    def __init__(self, is_orig: bool, flags: ConnFlags | None = None):
        self.is_orig = is_orig
        self.flags = flags or ConnFlags()
        self.buf = bytearray()
        self.state = S_LINE
        self.pending: deque[tuple] = deque()
        self.version: tuple[int, int] | None = None     # sticky, as Zeek's request/reply_version
        self.code = 0                                   # status code of the current reply
        self.expect_body = BODY_MAYBE if is_orig else BODY_EXPECTED
        self.in_message = False
        self._skip_lf = False       # a CR ended the last line at the end of the buffer
        self._discard_line = False  # dropping the rest of an over-long line
        self._new_message_state()

    # --- steering from the analyzer -------------------------------------------------
    def switch_http09(self) -> None:
        """The request was HTTP/0.9: everything the server sends is one raw reply."""
        if self.in_message:
            self._finish_message(False)
        self._set_version((0, 9))
        self.state = S_RAW09

    def tunnel(self) -> None:
        """CONNECT succeeded (or the connection upgraded): the rest is not HTTP."""
        if self.in_message:
            self._finish_message(False)
        self.state = S_TUNNEL
        self.buf.clear()

    def stop(self) -> None:
        """Ignore whatever else this direction sends."""
        self.state = S_NOTHING
        self.buf.clear()

    # --- feeding ----------------------------------------------------------------------
    def receive_data(self, data: bytes) -> None:
        if self.state >= S_NOTHING:
            return
        if self.state == S_RAW09 and not self.buf:
            self._raw09(data)
            return
        self.buf += data

    def take_body(self, data: bytes) -> int:
        """The fast lane for the bulk of HTTP traffic: when this direction is inside a
        plain identity body of known length (nothing buffered or pending, no decoding,
        no multipart), account for the leading body bytes of ``data`` here and return
        how many they are; the caller hands them to the file directly instead of
        through the buffer and the event queue. 0 when the slow lane must run. A body
        that ends here queues its DONE event as _counted_body would."""
        if self.state != S_BODY_LEN or self.buf or self.pending or self._skip_lf \
                or self.decoder is not None or self.multipart:
            return 0
        n = self.remaining
        if n > len(data):
            n = len(data)
        self.remaining -= n
        self.body_len += n
        if self.remaining == 0:
            self._finish_message(False)
        return n

    def next_event(self) -> tuple | None:
        while True:
            if self.pending:
                return self.pending.popleft()
            if not self._step():
                return self.pending.popleft() if self.pending else NEED_DATA

    def gap(self, length: int) -> bool:
        """``length`` bytes were lost. True when they fall inside a body of known length
        (parsing goes on, a BODY_GAP event tells the file); otherwise the direction stops
        and the current message ends as interrupted."""
        if length <= 0 or self.state >= S_NOTHING:
            return True
        if self.state in (S_BODY_LEN, S_CHUNK_DATA) and not self.buf and self.remaining >= length:
            self.remaining -= length
            self.body_len += length
            self.pending.append((BODY_GAP, length))
            if self.remaining == 0:
                if self.state == S_BODY_LEN:
                    self._finish_message(False)
                else:
                    self.state = S_CHUNK_CRLF
            return True
        if self.in_message:
            self._finish_message(True)
        self.state = S_NOTHING
        self.buf.clear()
        return False

    def eof(self, interrupted: bool = False) -> None:
        """No more data will come: the current message ends here."""
        if self.state not in (S_NOTHING, S_TUNNEL):
            # A last line without its terminator still counts (Zeek flushes it too).
            if self.buf and self.state in (S_LINE, S_HEADERS, S_BODY_LINES,
                                           S_CHUNK_SIZE, S_TRAILER):
                self.buf += b"\n"
                while self._step():
                    pass
        if self.in_message:
            self._finish_message(interrupted)
        self.state = S_NOTHING
        self.buf.clear()

    # --- internals ----------------------------------------------------------------------
    def _new_message_state(self) -> None:
        self.body_len = 0
        self.remaining = 0
        self.content_length = -1
        self.range_length = -1
        self.range_first: int | None = None
        self.instance_length: int | None = None
        self.chunked = False
        self.encoding: str | None = None
        self.decoder: _Decoder | None = None
        self.n_headers = 0
        self.multipart = False
        self._tail = b""
        self.last_header: list[bytes] | None = None

    def _weird(self, name: str, addl: str | None = None, source: str = "") -> None:
        self.pending.append((WEIRD, name, addl, source))

    def _set_version(self, v: tuple[int, int] | None) -> None:
        if self.version is None:
            self.version = v
        elif v != self.version:
            self._weird("HTTP_version_mismatch")
            self.version = v

    def _read_line(self) -> bytes | None:
        """Next line without its terminator, or None. CRLF, LF and CR alone end a line,
        as Zeek's ContentLine analyzer accepts them."""
        buf = self.buf
        if self._skip_lf and buf:
            if buf[0] == _LF:
                del buf[0]
            self._skip_lf = False
        lf = buf.find(b"\n")
        cr = buf.find(b"\r", 0, lf if lf >= 0 else len(buf))
        if cr >= 0:
            end, nxt = cr, cr + 1
            if cr + 1 < len(buf):
                if buf[cr + 1] == _LF:
                    nxt = cr + 2
            else:
                self._skip_lf = True
        elif lf >= 0:
            end, nxt = lf, lf + 1
        else:
            if len(buf) > consts.MAX_LINE:
                if not self._discard_line:
                    self._weird("HTTP_line_too_long", str(len(buf)))
                    line = bytes(buf[:consts.MAX_LINE])
                    self._discard_line = True
                    del buf[:]
                    return line
                del buf[:]
            return None
        line = bytes(buf[:end])
        del buf[:nxt]
        if self._discard_line:
            self._discard_line = False
            return self._read_line()
        if end > consts.MAX_LINE:
            self._weird("HTTP_line_too_long", str(end))
            line = line[:consts.MAX_LINE]
        return line

    def _step(self) -> bool:
        """Make progress; False when more data is needed."""
        st = self.state
        if st == S_LINE:
            return self._start_line()
        if st == S_HEADERS or st == S_TRAILER:
            return self._header_line()
        if st == S_BODY_LEN or st == S_CHUNK_DATA:
            return self._counted_body()
        if st == S_CHUNK_SIZE:
            return self._chunk_size()
        if st == S_CHUNK_CRLF:
            line = self._read_line()
            if line is None:
                return False
            self.state = S_CHUNK_SIZE
            return True
        if st == S_BODY_LINES:
            if len(self.buf) > consts.MAX_LINE and self.buf.find(b"\n") < 0 \
                    and self.buf.find(b"\r") < 0:
                # Binary body without line ends: pass it on rather than buffer it all.
                data = bytes(self.buf)
                self.buf.clear()
                self.body_len += len(data)
                self._body(data)
                return True
            line = self._read_line()
            if line is None:
                return False
            self.body_len += len(line) + 2
            self._body(line + b"\r\n")
            return True
        if st == S_BODY_CLOSE:
            if not self.buf:
                return False
            data = bytes(self.buf)
            self.buf.clear()
            self._body_raw(data)
            return True
        if st == S_RAW09:
            if not self.buf:
                return False
            data = bytes(self.buf)
            self.buf.clear()
            self._raw09(data)
            return True
        return False

    def _start_line(self) -> bool:
        line = self._read_line()
        if line is None:
            return False
        if not line:
            if self.is_orig:
                self._weird("empty_http_request")
            return True
        try:
            if self.is_orig:
                method, uri, version, weirds = parse_request_line(line)
            else:
                version, code, reason, weirds = parse_status_line(line)
        except HTTPParseError as e:
            if e.version is not None:
                self._set_version(e.version)
            if self.is_orig:
                # Zeek raises these as weirds; a bad status line is only an http_event.
                self._weird(e.weird)
            self.pending.append((BAD_LINE, e.weird))
            self.state = S_NOTHING
            self.buf.clear()
            return True
        for name, addl in weirds:
            self._weird(name, addl)
        self._new_message_state()
        self.in_message = True
        self.state = S_HEADERS
        if version is not None:
            self._set_version(version)
        if self.is_orig:
            self.expect_body = BODY_MAYBE
            self.pending.append((REQUEST, method, uri, version))
        else:
            self.code = code
            self.expect_body = (BODY_NOT_EXPECTED if 100 <= code < 200 or code in (204, 304)
                                else BODY_EXPECTED)
            self.pending.append((REPLY, version, code, reason))
        return True

    def _header_block(self) -> bool:
        """Fast path: the whole header block is buffered with plain CRLF line ends, so
        split it in one call instead of line by line."""
        buf = self.buf
        if buf[:1] in (b"\r", b"\n"):
            return False                        # no headers at all: the slow path is exact
        end = buf.find(b"\r\n\r\n")
        if end < 0 or end > consts.MAX_LINE:
            return False
        block = bytes(buf[:end])
        lines = block.split(b"\r\n")
        # Each separator holds one CR and one LF; any more is a bare CR or LF.
        if block.count(b"\r") + block.count(b"\n") != 2 * (len(lines) - 1):
            return False                        # a bare CR or LF: let the slow path decide
        del buf[:end + 4]
        for line in lines:
            self._header(line)
        self._headers_done()
        return True

    def _header_line(self) -> bool:
        if self.state == S_HEADERS and not self._skip_lf and not self._discard_line \
                and self._header_block():
            return True
        line = self._read_line()
        if line is None:
            return False
        trailer = self.state == S_TRAILER
        if not line:
            if trailer:
                self._finish_message(False)
            else:
                self._headers_done()
            return True
        self._header(line)
        return True

    def _header(self, line: bytes) -> None:
        """One non-empty header (or trailer) line."""
        trailer = self.state == S_TRAILER
        if line[0] in (32, 9):                      # obsolete line folding
            if self.last_header is not None and not trailer:
                self.last_header[1] += b" " + line.strip(b" \t")
            return
        self._flush_header()
        # partition: one call that splits, where find and two slices were three
        name, colon, value = line.partition(b":")
        if not colon or not name:
            self._weird("HTTP_bad_header_line" if not trailer else "HTTP_bad_trailer_line")
            return
        if trailer:
            return
        self.n_headers += 1
        if self.n_headers > consts.MAX_HEADERS:
            if self.n_headers == consts.MAX_HEADERS + 1:
                self._weird("HTTP_too_many_headers")
            return
        self.last_header = [name.strip(b" \t"), value.strip(b" \t")]

    def _flush_header(self) -> None:
        h = self.last_header
        if h is None:
            return
        self.last_header = None
        self._framing_header(h[0], h[1])
        self.pending.append((HEADER, h[0], h[1]))

    def _framing_header(self, name: bytes, value: bytes) -> None:
        lname = name.lower()
        if lname == b"content-length":
            tok = header_token(value)
            if not tok:
                return
            if self.chunked:
                self._weird("HTTP_content_length_and_chunked")
            if tok.isdigit() and len(tok) <= 18:
                n = int(tok)
                if n > 0 and tok[0] == 48:
                    self._weird("HTTP_content_length_leading_zeros", tok.decode())
                self.content_length = n
                if self.range_first is not None and self.range_length != n:
                    self._weird("HTTP_range_not_matching_len")
                    self.content_length = max(n, self.range_length)
            else:
                self._weird("HTTP_bad_content_length", tok.decode("latin-1"))
                self.content_length = 0
        elif lname == b"content-range" and not self.is_orig and self.code == 206:
            self._content_range(value)
        elif lname == b"transfer-encoding":
            if header_token(value).lower() == b"chunked" and self.version == (1, 1):
                self.chunked = True
                if self.content_length >= 0:
                    self._weird("HTTP_content_length_and_chunked")
        elif lname == b"content-encoding":
            tok = header_token(value).lower()
            if tok in (b"gzip", b"x-gzip"):
                self.encoding = "gzip"
            elif tok == b"deflate":
                self.encoding = "deflate"
        elif lname == b"content-type":
            self.multipart = header_token(value).lower() in (b"multipart", b"message")
        elif lname == b"connection" and not self.is_orig:
            if header_token(value).lower() == b"close":
                self.flags.connection_close = True

    def _content_range(self, value: bytes) -> None:
        try:
            first, length, instance = parse_content_range(value)
        except HTTPParseError as e:
            self._weird(e.weird, e.addl)
            return
        if instance == 0:
            self._weird("HTTP_content_range_invalid_instance")
        self.instance_length = instance
        self.range_first = first
        self.range_length = length
        if self.content_length > 0:
            if self.content_length != length:
                self._weird("HTTP_range_not_matching_len")
                self.content_length = max(self.content_length, length)
        else:
            self.content_length = length

    def _headers_done(self) -> None:
        """End of headers: decide how the body is framed (Zeek's SubmitAllHeaders)."""
        self._flush_header()
        self.pending.append((HEADERS_DONE,))
        if self.encoding:
            self.decoder = _Decoder(self.encoding)
        if self.expect_body == BODY_NOT_EXPECTED:
            self._finish_message(False)
        elif self.chunked:
            self.state = S_CHUNK_SIZE
        elif self.content_length >= 0:
            if self.content_length > 0:
                self.remaining = self.content_length
                self.state = S_BODY_LEN
            else:
                self._finish_message(False)
        elif self.flags.connection_close or self.encoding:
            self.state = S_BODY_CLOSE
        elif self.expect_body != BODY_EXPECTED:
            self._finish_message(False)
        else:
            # A reply with no length that the server will not close: Zeek reads it line
            # by line (each line counts 2 for its CRLF) until the connection ends.
            self.state = S_BODY_LINES

    def _counted_body(self) -> bool:
        buf = self.buf
        if not buf:
            return False
        if self._skip_lf:
            self._skip_lf = False
            if buf[0] == _LF:
                del buf[0]
                if not buf:
                    return False
        n = min(self.remaining, len(buf))
        data = bytes(buf[:n])
        del buf[:n]
        self.remaining -= n
        self._body_raw(data)
        if self.remaining == 0:
            if self.state == S_BODY_LEN:
                self._finish_message(False)
            else:
                self.state = S_CHUNK_CRLF
        return True

    def _chunk_size(self) -> bool:
        line = self._read_line()
        if line is None:
            return False
        digits = line.strip(b" \t")
        end = 0
        while end < len(digits) and digits[end] in b"0123456789abcdefABCDEF":
            end += 1
        if end == 0:
            if not line:
                return True         # a stray empty line between chunks
            self._weird("HTTP_bad_chunk_size", line[:64].decode("latin-1"))
            size = 0
        elif end > 16 or int(digits[:end], 16) > consts.MAX_CHUNK_SIZE:
            self._weird("HTTP_chunk_size_too_large", digits[:64].decode("latin-1"))
            size = consts.MAX_CHUNK_SIZE
        else:
            size = int(digits[:end], 16)
        if size > 0:
            self.remaining = size
            self.state = S_CHUNK_DATA
        else:
            self.state = S_TRAILER
        return True

    def _body_raw(self, data: bytes) -> None:
        """Undecoded body bytes from the wire; decoded here when Content-Encoding says so."""
        if self.decoder is None:
            self.body_len += len(data)
            if self.multipart:
                self._tail = (self._tail + data)[-2:]
            self.pending.append((BODY, data))
            return
        out: list[bytes] = []
        weirds: list[str] = []
        self.decoder.feed(data, out, weirds)
        for w in weirds:
            self._weird(w)
        for chunk in out:
            self.body_len += len(chunk)
            self.pending.append((BODY, chunk))

    def _body(self, data: bytes) -> None:
        if self.decoder is None:
            self.pending.append((BODY, data))
        else:
            # Line-mode body with an encoding cannot happen (encoding forces until-close).
            self._body_raw(data)

    def _raw09(self, data: bytes) -> None:
        if not self.in_message:
            self._new_message_state()
            self.in_message = True
            self.code = 0
            self.pending.append((REPLY, (0, 9), 0, None))
            self.pending.append((HEADERS_DONE,))
        self.body_len += len(data)
        self.pending.append((BODY, data))

    def _finish_message(self, interrupted: bool) -> None:
        self._flush_header()
        if self.multipart and self.content_length > 0 and self.body_len and self._tail != b"\r\n":
            # Zeek reads multipart bodies line by line; the last piece, cut at the
            # Content-Length, counts as a line with a CRLF it never had, and its line
            # splitter (CONTENTLINE) says so.
            self.body_len += 2
            self._weird("line_terminated_without_CRLF", source="CONTENTLINE")
        self.pending.append((DONE, self.body_len, interrupted))
        self.in_message = False
        self.decoder = None
        if self.state not in (S_RAW09, S_TUNNEL):
            self.state = S_NOTHING if interrupted else S_LINE
