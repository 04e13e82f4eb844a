"""MIME entities of one mail message (RFC 2045/2046), line by line, as Zeek's MIME
analyzer walks them: headers per entity, multipart boundaries, transfer decoding, and
the decoded leaf bodies handed out as files.

The caller feeds each message line without its line end (after SMTP dot-unstuffing)
and calls :meth:`MimeMessage.end` at the end of the message. Callbacks:
``on_top_header(name, value)`` for the top-level entity's headers (smtp.log's fields),
``file_begin(depth, filename) -> sink`` when a leaf body's first byte arrives, and the
sink's ``data(bytes)`` / ``end()``.
"""

from __future__ import annotations

import binascii
import re
from typing import Callable

from .parse import parse_header

# Limits: nesting deeper than this is not followed (Zeek's MIME has no such limit; a
# crafted message nesting multiparts thousands deep must not grow the stack).
MAX_DEPTH = 32
# Folded header bytes kept per header, and headers per entity.
MAX_HEADER_LEN = 64 * 1024
MAX_HEADERS = 1000

_PARAM = re.compile(r';\s*([A-Za-z0-9_.*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)')
_FILENAME = re.compile(r'[fF][iI][lL][eE][nN][aA][mM][eE]')
_NAME = re.compile(r'[nN][aA][mM][eE][ \t]*=')


def _params(value: str) -> dict[str, str]:
    out = {}
    for key, val in _PARAM.findall(value):
        if val.startswith('"') and val.endswith('"') and len(val) >= 2:
            val = val[1:-1]
        out.setdefault(key.lower(), val)
    return out


def filename_of(value: str) -> str | None:
    """Zeek's extract_filename_from_content_disposition: filename= (or name=)."""
    params = _params(value)
    return params.get("filename") or params.get("name")


class _Entity:
    __slots__ = ("parent", "depth", "in_headers", "header_buf", "headers", "multipart",
                 "boundary", "encoding", "filename", "sink", "pending_crlf", "b64_rest",
                 "seen_child")

    def __init__(self, parent: _Entity | None, depth: int):
        self.parent = parent
        self.depth = depth
        self.in_headers = True
        self.header_buf: bytearray | None = None
        self.headers = 0
        self.multipart = False
        self.boundary: bytes | None = None
        self.encoding = ""
        self.filename: str | None = None
        self.sink = None
        self.pending_crlf = False
        self.b64_rest = b""
        self.seen_child = False


class MimeMessage:
    def __init__(self, on_top_header: Callable[[str, str], None],
                 file_begin: Callable[[int, str | None], object] | None):
        self.on_top_header = on_top_header
        self.file_begin = file_begin
        self.entities = 0                    # Zeek's mime depth counter
        self.top = self.current = self._new_entity(None)

    def _new_entity(self, parent: _Entity | None) -> _Entity:
        self.entities += 1
        return _Entity(parent, self.entities)

    # -- input ---------------------------------------------------------------------

    def line(self, line: bytes) -> None:
        ent = self.current
        if ent.in_headers:
            self._header_line(ent, line)
            return
        if line[:2] == b"--" and self._boundary(line):
            return
        if ent.multipart:
            return                            # preamble/epilogue: not content
        self._body_line(ent, line)

    def block(self, data: bytes) -> bool:
        """Many complete CRLF lines of a leaf body at once (the fast path for large
        attachments: one decode call instead of one per line). The caller guarantees no
        line starts with "-" (a boundary) ; False: take the lines one by one instead."""
        ent = self.current
        if ent.in_headers or ent.multipart or not data.endswith(b"\r\n"):
            return False
        if ent.encoding == "base64":
            text = ent.b64_rest + data.translate(None, b"\r\n \t")
            usable = len(text) - len(text) % 4
            ent.b64_rest = text[usable:]
            if usable:
                try:
                    self._octets(ent, binascii.a2b_base64(text[:usable]))
                except binascii.Error:
                    pass
            return True
        if ent.encoding in ("", "7bit", "8bit", "binary") and b"\r\r" not in data \
                and data.count(b"\n") == data.count(b"\r\n"):
            self._octets(ent, data[:-2], crlf=True)   # inner CRLFs are content as is
            return True
        return False

    def end(self) -> None:
        ent = self.current
        while ent is not None:
            if ent.in_headers:
                self._flush_header(ent)
            self._end_entity(ent)
            ent = ent.parent

    # -- headers -------------------------------------------------------------------

    def _header_line(self, ent: _Entity, line: bytes) -> None:
        if not line:
            self._flush_header(ent)
            ent.in_headers = False
            return
        if line[:1] in (b" ", b"\t") and ent.header_buf is not None:
            if len(ent.header_buf) + len(line) <= MAX_HEADER_LEN:
                ent.header_buf += line        # folding keeps the leading blank
            return
        self._flush_header(ent)
        if ent.headers < MAX_HEADERS:
            ent.headers += 1
            ent.header_buf = bytearray(line[:MAX_HEADER_LEN])

    def _flush_header(self, ent: _Entity) -> None:
        raw, ent.header_buf = ent.header_buf, None
        if raw is None:
            return
        parsed = parse_header(bytes(raw))
        if parsed is None:
            return
        name, value = parsed
        if ent is self.top:
            self.on_top_header(name, value)
        if name == "CONTENT-TYPE":
            if value[:10].lower() == "multipart/":
                boundary = _params(value).get("boundary")
                if boundary and ent.depth < MAX_DEPTH:
                    ent.multipart = True
                    ent.boundary = boundary.encode("utf-8", "surrogateescape")
            if _NAME.search(value) and ent.filename is None:
                ent.filename = filename_of(value)
        elif name == "CONTENT-DISPOSITION" and _FILENAME.search(value):
            ent.filename = filename_of(value) or ent.filename
        elif name == "CONTENT-TRANSFER-ENCODING":
            ent.encoding = value.strip().lower()

    # -- boundaries ----------------------------------------------------------------

    def _boundary(self, line: bytes) -> bool:
        """A "--boundary" line of this entity or an enclosing multipart."""
        ent = self.current
        node = ent if ent.multipart else ent.parent
        while node is not None:
            b = node.boundary
            if node.multipart and b is not None and line.startswith(b"--" + b):
                rest = line[2 + len(b):]
                closing = rest[:2] == b"--"
                if rest.strip(b" \t") and not closing:
                    node = node.parent
                    continue
                # Everything inside ``node`` that is still open ends here.
                while self.current is not node:
                    self._end_entity(self.current)
                    self.current = self.current.parent
                if closing:
                    # The epilogue follows: still "multipart" (its lines are not
                    # content) but no longer a boundary to look for.
                    node.boundary = None
                    node.seen_child = True
                else:
                    child = self._new_entity(node)
                    node.seen_child = True
                    self.current = child
                return True
            node = node.parent
        return False

    # -- leaf bodies ---------------------------------------------------------------

    def _body_line(self, ent: _Entity, line: bytes) -> None:
        enc = ent.encoding
        if enc == "base64":
            data = ent.b64_rest + line.strip()
            usable = len(data) - len(data) % 4
            ent.b64_rest = data[usable:]
            if usable:
                try:
                    self._octets(ent, binascii.a2b_base64(data[:usable]))
                except binascii.Error:
                    pass
            return
        if enc == "quoted-printable":
            text = line.rstrip(b" \t")
            soft = text.endswith(b"=")
            try:
                decoded = binascii.a2b_qp(text[:-1] if soft else text)
            except binascii.Error:
                decoded = text
            # Zeek's quoted-printable decoder writes a hard line break's CRLF at once,
            # even the one before a boundary (files.log sizes in its tests show it).
            self._octets(ent, decoded, crlf=not soft, delay=False)
            return
        self._octets(ent, line, crlf=True)

    def _octets(self, ent: _Entity, data: bytes, crlf: bool = False,
                delay: bool = True) -> None:
        """Zeek's DecodeBinary/DataOctets: a line's CRLF is kept, except the last one
        of a multipart child (it belongs to the boundary that follows)."""
        if ent.pending_crlf and (data or crlf):
            ent.pending_crlf = False
            self._deliver(ent, b"\r\n")
        if data:
            self._deliver(ent, data)
        if crlf:
            if delay and ent.parent is not None:
                ent.pending_crlf = True
            else:
                self._deliver(ent, b"\r\n")

    def _deliver(self, ent: _Entity, data: bytes) -> None:
        if ent.sink is None:
            if self.file_begin is None:
                return
            ent.sink = self.file_begin(ent.depth, ent.filename)
            if ent.sink is None:
                return
        ent.sink.data(data)

    def _end_entity(self, ent: _Entity) -> None:
        if ent.encoding == "base64" and ent.b64_rest:
            try:
                padding = b"=" * (-len(ent.b64_rest) % 4)
                self._octets(ent, binascii.a2b_base64(ent.b64_rest + padding))
            except binascii.Error:
                pass
            ent.b64_rest = b""
        if ent.sink is not None:
            ent.sink.end()
            ent.sink = None
