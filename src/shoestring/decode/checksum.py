"""The Internet checksum (RFC 1071) for IP headers and TCP/UDP/ICMPv6 pseudo-headers.

Summing 16-bit words through ``memoryview.cast("H")`` runs in C; the one's complement
sum is byte-order independent, so native-order words give the right verdict.

Compiled (setup.py COMPILED): the pipeline's fast path checks two sums per packet.
"""

from __future__ import annotations


def ones_sum(data: bytes, initial: int = 0) -> int:
    if len(data) & 1:
        data = data + b"\x00"
    total = sum(memoryview(data).cast("H")) + initial
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def valid(data: bytes, initial: int = 0) -> bool:
    """True when ``data`` (with its checksum field in place) sums to 0xFFFF."""
    return ones_sum(data, initial) == 0xFFFF


def pseudo_header_sum(src: bytes, dst: bytes, proto: int, length: int) -> int:
    """Partial sum of the pseudo-header (RFC 9293 §3.1, RFC 8200 §8.1), in the same
    native word order ``ones_sum`` uses."""
    tail = proto.to_bytes(2, "big") + length.to_bytes(4 if len(src) == 16 else 2, "big")
    return ones_sum(src + dst + tail)
