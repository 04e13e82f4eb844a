"""Streaming multipart/* body splitter: each part of a form upload is its own file.

Feed body bytes with :meth:`Multipart.feed`; it returns events
``(PART, headers)`` (a new part began; headers as [(NAME, value)] upper-cased names),
``(PART_DATA, bytes)`` and ``(PART_END,)``. Memory is bounded: a part's headers are
capped at MAX_PART_HEADER bytes and only a boundary's length of data is held back while
looking for the next delimiter.
"""

from __future__ import annotations

PART, PART_DATA, PART_END = range(3)

#: Bytes of one part's header block kept; a real block is a few hundred bytes.
MAX_PART_HEADER = 16 * 1024
#: RFC 2046 §5.1.1: a boundary is at most 70 characters.
MAX_BOUNDARY = 70


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

    # states
    _PREAMBLE, _HEADERS, _DATA, _EPILOGUE = range(4)

    def __init__(self, boundary: bytes):
        self.delim = b"\r\n--" + boundary
        self.buf = bytearray(b"\r\n")   # the first delimiter may open the body
        self.state = self._PREAMBLE

    def feed(self, data: bytes) -> list:
        out: list = []
        if self.state == self._EPILOGUE:
            return out
        self.buf += data
        while True:
            if self.state == self._PREAMBLE:
                i = self.buf.find(self.delim)
                if i < 0:
                    keep = len(self.delim)
                    if len(self.buf) > keep:
                        del self.buf[:len(self.buf) - keep]
                    return out
                if not self._after_delim(i, out):
                    return out
            elif self.state == self._HEADERS:
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(self.buf) > MAX_PART_HEADER:
                        out.append((PART, []))
                        self.buf.clear()
                        self.state = self._DATA
                    return out
                out.append((PART, self._headers(bytes(self.buf[:end]))))
                del self.buf[:end + 4]
                self.buf[0:0] = b"\r\n"      # so a delimiter right away is found
                self.state = self._DATA
                self._data_started = False
            elif self.state == self._DATA:
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

    def _emit_data(self, data: bytes, out: list) -> None:
        if not self._data_started:
            # Drop the CRLF we put back after the header block.
            if data.startswith(b"\r\n"):
                data = data[2:]
            self._data_started = True
        if data:
            out.append((PART_DATA, data))

    def _after_delim(self, i: int, out: list) -> bool:
        """At a delimiter at buf[i]: decide between next part and the closing one."""
        j = i + len(self.delim)
        if len(self.buf) < j + 2:
            del self.buf[:i]
            return False
        if self.buf[j:j + 2] == b"--":
            self.state = self._EPILOGUE
            self.buf.clear()
            return False
        nl = self.buf.find(b"\n", j)
        if nl < 0:
            del self.buf[:i]
            return False
        del self.buf[:nl + 1]
        self.buf[0:0] = b"\r\n"             # an empty header block ends at once
        self.state = self._HEADERS
        return True

    def close(self) -> list:
        """The body ended; a part still open ends too."""
        out: list = []
        if self.state == self._DATA:
            self._emit_data(bytes(self.buf), out)
            out.append((PART_END,))
        self.state = self._EPILOGUE
        self.buf.clear()
        return out

    @staticmethod
    def _headers(block: bytes) -> list:
        headers = []
        for line in block.split(b"\r\n"):
            name, sep, value = line.partition(b":")
            if sep and name.strip():
                headers.append((name.strip().upper(), value.strip()))
        return headers
