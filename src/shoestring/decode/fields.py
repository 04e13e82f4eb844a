"""Big-endian header fields, read byte by byte.

Compiled (setup.py COMPILED), these are native calls on machine integers: the packet
loop in pipeline.py, the decoder and the link layer read every header field through
them rather than through struct, which in compiled code would be a Python call and a
tuple of boxed values per header. The caller has checked the length.
"""

from __future__ import annotations


def u16(data: bytes, pos: int) -> int:
    """The big-endian 16-bit field at ``pos``."""
    return data[pos] << 8 | data[pos + 1]


def u32(data: bytes, pos: int) -> int:
    """The big-endian 32-bit field at ``pos``."""
    return data[pos] << 24 | data[pos + 1] << 16 | data[pos + 2] << 8 | data[pos + 3]
