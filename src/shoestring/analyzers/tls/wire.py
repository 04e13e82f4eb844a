"""TLS wire primitives shared by the handshake parsers: bounds checks, length-prefixed
vectors (RFC 8446 §3.4), packed u16 lists and name text. Every check raises the tls
package's :class:`TLSParseError`.

Compiled with mypyc: big-endian integers are read with ``body[i]`` on ``bytes`` (a C
array read) rather than a ``struct`` call, which in compiled code is the slower of the two.
The ``struct`` formats stay for the interpreted callers and the tests."""

from __future__ import annotations

import struct
from typing import Final

from .records import TLSParseError

U8: Final = struct.Struct(">B")
U16: Final = struct.Struct(">H")
U16_U16: Final = struct.Struct(">HH")    # extension header: type, length (RFC 8446 §4.2)


def _need(body: bytes, off: int, n: int, what: str) -> None:
    if n < 0 or off + n > len(body):
        raise TLSParseError(f"{what}: need {n} bytes at {off}, have {len(body) - off}")


def _vec8(body: bytes, off: int, what: str) -> tuple[bytes, int]:
    """An opaque<0..2^8-1>: returns (value, next offset)."""
    _need(body, off, 1, what)
    n = body[off]
    _need(body, off + 1, n, what)
    return body[off + 1:off + 1 + n], off + 1 + n


def _vec16(body: bytes, off: int, what: str) -> tuple[bytes, int]:
    """An opaque<0..2^16-1>: returns (value, next offset)."""
    _need(body, off, 2, what)
    n = (body[off] << 8) | body[off + 1]
    _need(body, off + 2, n, what)
    return body[off + 2:off + 2 + n], off + 2 + n


#: struct.Struct per u16-list length seen (a hello's lists are short; the formats are
#: compiled once instead of parsed from a fresh format string every call).
_U16_LISTS: dict[int, struct.Struct] = {}
#: Longest list whose Struct is kept: a u16 list inside a bounded handshake message.
_U16_LIST_CACHED: Final = 512


def u16_list(data: bytes) -> list[int]:
    """A packed list of big-endian u16 (odd trailing byte is an error)."""
    n = len(data)
    if n & 1:
        raise TLSParseError("odd-length u16 list")
    if not n:
        return []
    fmt = _U16_LISTS.get(n)
    if fmt is None:
        fmt = struct.Struct(f">{n // 2}H")
        if n <= _U16_LIST_CACHED:
            _U16_LISTS[n] = fmt
    return list(fmt.unpack(data))


def _text(raw: bytes) -> str:
    # Names are ASCII on the wire (IDNA). Other bytes survive as surrogates, which the log
    # writers print as \xNN the way Zeek does, and fingerprints can recover exactly.
    return raw.decode("utf-8", "surrogateescape")


def _u16_vec(data: bytes, width: int, what: str) -> bytes:
    """The payload of an opaque vector with a ``width``-byte length at the start of
    ``data`` (the rest is ignored, as before); checked inline, ``_need`` raises."""
    n = len(data)
    if width == 1:
        if n < 1:
            _need(data, 0, 1, what)
        end = 1 + data[0]
    else:
        if n < 2:
            _need(data, 0, 2, what)
        end = 2 + ((data[0] << 8) | data[1])
    if end > n:
        _need(data, width, end - width, what)
    return data[width:end]
