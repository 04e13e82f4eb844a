"""Streaming multipart/* body splitter: each part of a form upload is its own file.

Feed body bytes with :meth:`Multipart.feed`; it returns events
``(PART, headers)`` (a new part began; headers as [(NAME, value)] upper-cased names),
``(PART_DATA, bytes)`` and ``(PART_END,)``. Memory is bounded: a part's headers are
capped at MAX_PART_HEADER bytes and only a boundary's length of data is held back while
looking for the next delimiter.
"""

from __future__ import annotations

from typing import Final

PART: Final = 0
PART_DATA: Final = 1
PART_END: Final = 2

#: Bytes of one part's header block kept; a real block is a few hundred bytes.
MAX_PART_HEADER: Final = 16 * 1024
#: RFC 2046 §5.1.1: a boundary is at most 70 characters.
MAX_BOUNDARY: Final = 70

# Splitter states (module constants: a compiled class body may only declare attributes).
_PREAMBLE: Final = 0
_HEADERS: Final = 1
_DATA: Final = 2
_EPILOGUE: Final = 3


def boundary_of(content_type: bytes) -> bytes | None:
    """The boundary parameter of a multipart Content-Type value, or None."""
    low = content_type.lower()
    i = low.find(b"boundary=")
    if i < 0:
        return None
    b = content_type[i + 9:].strip()
    if b.startswith(b'"'):
        b = b[1:].split(b'"', 1)[0]
    else:
        b = b.split(b";", 1)[0].strip()
    if not b or len(b) > MAX_BOUNDARY:
        return None
    return b


class Multipart:
    """Split one multipart body into parts."""

    def __init__(self, boundary: bytes):
        self.delim = b"\r\n--" + boundary
        self.buf = bytearray(b"\r\n")   # the first delimiter may open the body
        self.state = _PREAMBLE
        self._data_started = False

    def feed(self, data: bytes) -> list[tuple]:
        out: list[tuple] = []
        if self.state == _EPILOGUE:
            return out
        self.buf += data
        while True:
            if self.state == _PREAMBLE:
                i = self.buf.find(self.delim)
                if i < 0:
                    keep = len(self.delim)
                    if len(self.buf) > keep:
                        del self.buf[:len(self.buf) - keep]
                    return out
                if not self._after_delim(i, out):
                    return out
            elif self.state == _HEADERS:
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(self.buf) > MAX_PART_HEADER:
                        out.append((PART, []))
                        self.buf.clear()
                        self.state = _DATA
                        # No CRLF was put back here: the data starts as it is.
                        self._data_started = True
                    return out
                out.append((PART, self._headers(bytes(self.buf[:end]))))
                del self.buf[:end + 4]
                self.buf[0:0] = b"\r\n"      # so a delimiter right away is found
                self.state = _DATA
                self._data_started = False
            elif self.state == _DATA:
                i = self.buf.find(self.delim)
                if i < 0:
                    keep = len(self.delim) + 1
                    if len(self.buf) > keep:
                        self._emit_data(bytes(self.buf[:len(self.buf) - keep]), out)
                        del self.buf[:len(self.buf) - keep]
                    return out
                self._emit_data(bytes(self.buf[:i]), out)
                out.append((PART_END,))
                if not self._after_delim(i, out):
                    return out
            else:
                return out

    def _emit_data(self, data: bytes, out: list[tuple]) -> None:
        if not self._data_started:
            # Drop the CRLF we put back after the header block.
            if data.startswith(b"\r\n"):
                data = data[2:]
            self._data_started = True
        if data:
            out.append((PART_DATA, data))

    def _after_delim(self, i: int, out: list[tuple]) -> bool:
        """At a delimiter at buf[i]: decide between next part and the closing one."""
        j = i + len(self.delim)
        if len(self.buf) < j + 2:
            del self.buf[:i]
            return False
        if self.buf[j:j + 2] == b"--":
            self.state = _EPILOGUE
            self.buf.clear()
            return False
        nl = self.buf.find(b"\n", j)
        if nl < 0:
            del self.buf[:i]
            return False
        del self.buf[:nl + 1]
        self.buf[0:0] = b"\r\n"             # an empty header block ends at once
        self.state = _HEADERS
        return True

    def close(self) -> list[tuple]:
        """The body ended; a part still open ends too."""
        out: list[tuple] = []
        if self.state == _DATA:
            self._emit_data(bytes(self.buf), out)
            out.append((PART_END,))
        self.state = _EPILOGUE
        self.buf.clear()
        return out

    @staticmethod
    def _headers(block: bytes) -> list[tuple[bytes, bytes]]:
        headers = []
        for line in block.split(b"\r\n"):
            name, sep, value = line.partition(b":")
            if sep and name.strip():
                headers.append((name.strip().upper(), value.strip()))
        return headers
