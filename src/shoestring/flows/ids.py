"""Connection and file ids of Zeek's shape, and the Community ID v1 flow hash."""

from __future__ import annotations

import base64
import hashlib
import random
import struct
from typing import Final

_ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


# Ten base-62 digits per division of the (96-bit) id: 62**10 < 2**62, so in the compiled
# build (setup.py) each piece is a machine integer and only two divisions per id touch
# the big number; a piece is then cut two digits at a time through a table of the 3,844
# digit pairs (a uid per connection is drawn, so this is on the per-connection path).
_PIECE: Final = 62 ** 10
_PAIRS: Final = tuple(a + b for a in _ALPHABET for b in _ALPHABET)


def _base62(value: int) -> str:
    out: list[str] = []
    while value:
        value, piece = divmod(value, _PIECE)
        for _ in range(5):
            piece, pair = divmod(piece, 3844)
            out.append(_PAIRS[pair])
    return "".join(reversed(out)).lstrip("0") or "0"


class IdGenerator:
    """Zeek-shaped ids ("C" + base62 of 96 random bits). Seeded, so the same input
    and seed give the same ids; the reader seeds it from the capture's bytes so two
    different captures imported into one store do not share ids."""

    def __init__(self, seed: int | bytes | None = None):
        self._random = random.Random(seed)

    def new(self, prefix: str = "C") -> str:
        return prefix + _base62(self._random.getrandbits(96))


# Protocols whose ports (for ICMP: type and mapped code) go into the hash; for every
# other protocol the spec hashes the addresses and protocol alone.
PORT_PROTOCOLS = frozenset({1, 6, 17, 58, 132})   # ICMP, TCP, UDP, ICMPv6, SCTP


def community_id(src: bytes, dst: bytes, proto: int, sport: int, dport: int,
                 seed: int = 0, one_way: bool = False) -> str:
    """Community ID v1 (github.com/corelight/community-id-spec): SHA-1 over seed,
    ordered endpoints, protocol and ports, base64-encoded, prefixed "1:".
    For ICMP the "ports" are type and code, already mapped by the caller; a one-way
    ICMP message (no counterpart type) keeps its own direction, as the spec's reference
    implementation does."""
    if not one_way and (src, sport) > (dst, dport):
        src, dst, sport, dport = dst, src, dport, sport
    data = struct.pack("!H", seed) + src + dst + struct.pack("!Bx", proto)
    if proto in PORT_PROTOCOLS:
        data += struct.pack("!HH", sport, dport)
    return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode()
