"""Pure QUIC parsers: long headers, Initial frames and CRYPTO reassembly.

Functions take bytes and an offset and return values plus the next offset; hostile input
raises QUICParseError (carrying the weird name to record) and nothing else. The hellos
found in the CRYPTO stream are the tls package's to parse (tls/parse.py).
"""

from __future__ import annotations

import re
import struct
from typing import Any, Final

from . import consts as C

MAX_CID_LEN: Final = 20     # RFC 9000 §17.2: v1 connection IDs are at most 20 bytes
#: Zeek's limit for the first handshake message (RFC 8446's record limit, 2^14 + 256):
#: a ClientHello or ServerHello never needs more, and it bounds reassembly memory.
MAX_HELLO_LEN: Final = 2 ** 14 + 256
#: Out-of-order CRYPTO pieces held before the gap fills (Chrome splits its hello in ~10).
MAX_CRYPTO_SEGMENTS: Final = 64
#: Frames parsed per packet; a 1500-byte datagram of 1-byte PINGs is the worst honest case.
MAX_FRAMES: Final = 1500

_NONZERO: Final = re.compile(rb"[^\x00]")
#: Zero bytes to compare trailing padding against: a UDP payload is at most 65,527 bytes.
_ZEROS: Final = bytes(65536)


class QUICParseError(ValueError):
    """Malformed QUIC (or hello) bytes; ``weird`` is the weird.log name to record."""

    def __init__(self, message: str, weird: str = "QUIC_malformed_packet"):
        super().__init__(message)
        self.weird = weird


class QUICDecryptError(QUICParseError):
    """An Initial packet that does not decrypt with the keys its DCID gives (crypto.py)."""

    def __init__(self, message: str):
        super().__init__(message, "QUIC_decryption_failed")


def read_varint(buf: bytes, off: int) -> tuple[int, int]:
    """RFC 9000 §16 variable-length integer at ``off``: (value, next offset)."""
    if off >= len(buf):
        raise QUICParseError("truncated variable-length integer", "QUIC_truncated_packet")
    first = buf[off]
    n = 1 << (first >> 6)
    if off + n > len(buf):
        raise QUICParseError("truncated variable-length integer", "QUIC_truncated_packet")
    if n == 1:
        return first & 0x3F, off + 1
    return int.from_bytes(buf[off:off + n], "big") & ((1 << (8 * n - 2)) - 1), off + n


class LongHeader:
    """One long-header packet (RFC 9000 §17.2) inside a datagram.

    A plain class, not a NamedTuple: compiled, building one is a native allocation and
    its fields are slots, where a NamedTuple's constructor is a Python-level call."""

    __slots__ = ("first", "version", "dcid", "scid", "ptype", "token", "pn_offset", "end",
                 "versions")

    def __init__(self, first: int, version: int, dcid: bytes, scid: bytes, ptype: int | None,
                 token: bytes, pn_offset: int, end: int, versions: tuple[int, ...]) -> None:
        self.first = first              # first byte, still header-protected
        self.version = version
        self.dcid = dcid
        self.scid = scid
        #: consts.INITIAL/ZERO_RTT/HANDSHAKE/RETRY; None: unknown version
        self.ptype = ptype
        self.token = token              # Initial token or Retry token; b"" otherwise
        self.pn_offset = pn_offset      # where the (protected) packet number starts; -1: none
        self.end = end                  # offset just past this packet in the datagram
        self.versions = versions        # Version Negotiation: the versions offered

    def __repr__(self) -> str:
        return (f"LongHeader(first=0x{self.first:02x}, version=0x{self.version:x}, "
                f"dcid={self.dcid.hex()}, scid={self.scid.hex()}, ptype={self.ptype}, "
                f"pn_offset={self.pn_offset}, end={self.end})")


#: The version field after a long header's first byte (RFC 9000 §17.2).
_VERSION: Final = struct.Struct(">I")
#: Version -> wire type bits to normalised type, for the versions we can parse (a dict
#: lookup instead of consts.packet_types' chain of tests, once per long packet).
_PACKET_TYPES: Final[dict[int, tuple[int, int, int, int] | None]] = {
    v: C.packet_types(v) for v in (*C.VERSION_STRINGS, C.VERSION_2)}


def parse_long_header(buf: bytes, off: int = 0) -> LongHeader:
    """The long header at ``off``; ``end`` says where the next coalesced packet starts."""
    n = len(buf)
    if off + 7 > n:
        raise QUICParseError("long header shorter than 7 bytes", "QUIC_truncated_packet")
    # The single bytes by indexing and the version declared int: struct's tuple is Any to
    # the compiler, which would make every offset computed from them a generic object.
    first = buf[off]
    version: int = _VERSION.unpack_from(buf, off + 1)[0]
    dlen = buf[off + 5]
    types = _PACKET_TYPES.get(version)      # None: VN or unknown, whose CIDs may be 255 long
    p = off + 6
    if dlen > MAX_CID_LEN and types is not None:
        raise QUICParseError(f"DCID of {dlen} bytes", "QUIC_invalid_connection_id_length")
    if p + dlen >= n:
        raise QUICParseError("truncated DCID", "QUIC_truncated_packet")
    dcid = buf[p:p + dlen]
    p += dlen
    slen = buf[p]
    if slen > MAX_CID_LEN and types is not None:
        raise QUICParseError(f"SCID of {slen} bytes", "QUIC_invalid_connection_id_length")
    if p + 1 + slen > n:
        raise QUICParseError("truncated SCID", "QUIC_truncated_packet")
    scid = buf[p + 1:p + 1 + slen]
    p += 1 + slen
    if types is None:
        if version == C.VERSION_NEGOTIATION:    # RFC 9000 §17.2.1: the rest is versions
            count = (n - p) // 4
            versions = tuple(int.from_bytes(buf[p + 4 * i:p + 4 * i + 4], "big")
                             for i in range(count))
            return LongHeader(first, version, dcid, scid, None, b"", -1, n, versions)
        return LongHeader(first, version, dcid, scid, None, b"", -1, n, ())  # ends the datagram
    ptype = types[(first >> 4) & 0x03]
    if ptype == C.RETRY:                        # §17.2.5: token, then a 16-byte integrity tag
        if n - p < 16:
            raise QUICParseError("Retry shorter than its integrity tag", "QUIC_truncated_packet")
        return LongHeader(first, version, dcid, scid, ptype, buf[p:n - 16], -1, n, ())
    token = b""
    if ptype == C.INITIAL:
        if p < n and buf[p] == 0:               # no token (a client's first Initial, servers')
            p += 1
        else:
            tlen, p = read_varint(buf, p)
            if p + tlen > n:
                raise QUICParseError("truncated Initial token", "QUIC_truncated_packet")
            token = buf[p:p + tlen]
            p += tlen
    length, p = read_varint(buf, p)
    if p + length > n:
        raise QUICParseError(f"packet length {length} runs past the datagram",
                             "QUIC_truncated_packet")
    return LongHeader(first, version, dcid, scid, ptype, token, p, p + length, ())


def parse_initial_frames(plain: bytes) -> list[tuple[Any, ...]]:
    """Frames of a decrypted Initial packet (RFC 9000 §19), in order, as tuples:
    ``("crypto", offset, data)`` and ``("close", error_code, frame_type, reason)``;
    PADDING, PING and ACK are checked and skipped. Other kinds are not allowed in an
    Initial (RFC 9000 §12.4, Table 3) and raise.
    """
    out: list[tuple[Any, ...]] = []
    n, p, count = len(plain), 0, 0
    while p < n:
        count += 1
        if count > MAX_FRAMES:
            raise QUICParseError("too many frames in one packet", "QUIC_too_many_frames")
        ftype = plain[p]
        if ftype == C.FRAME_PADDING:            # a run of zero bytes: skip it in one go
            # Padding mostly fills an Initial to the end: one comparison against zeros
            # (memcmp) settles that; the regex walks byte by byte, so it is kept for the
            # short runs between frames (Chrome scatters PADDING among its CRYPTO frames).
            if n - p <= len(_ZEROS) and plain[p:] == _ZEROS[:n - p]:
                break
            m = _NONZERO.search(plain, p)
            p = m.start() if m else n
            continue
        if ftype > 0x3F:                        # frame types are varints; all allowed are small
            raise QUICParseError(f"frame type 0x{ftype:x} not allowed in Initial",
                                 "QUIC_unexpected_frame")
        p += 1
        if ftype == C.FRAME_PING:
            continue
        if ftype in (C.FRAME_ACK, C.FRAME_ACK_ECN):
            _, p = read_varint(plain, p)            # largest acknowledged
            _, p = read_varint(plain, p)            # ACK delay
            ranges, p = read_varint(plain, p)       # ACK range count
            _, p = read_varint(plain, p)            # first ACK range
            if ranges > n:                          # each range needs >= 2 bytes
                raise QUICParseError("ACK range count exceeds the packet", "QUIC_truncated_packet")
            for _ in range(ranges):
                _, p = read_varint(plain, p)
                _, p = read_varint(plain, p)
            if ftype == C.FRAME_ACK_ECN:
                for _ in range(3):
                    _, p = read_varint(plain, p)
        elif ftype == C.FRAME_CRYPTO:
            offset, p = read_varint(plain, p)
            length, p = read_varint(plain, p)
            if p + length > n:
                raise QUICParseError("CRYPTO frame runs past the packet", "QUIC_truncated_packet")
            out.append(("crypto", offset, plain[p:p + length]))
            p += length
        elif ftype == C.FRAME_CONNECTION_CLOSE:  # 0x1d (application close) is not allowed here
            code, p = read_varint(plain, p)
            frame_type, p = read_varint(plain, p)
            rlen, p = read_varint(plain, p)
            if p + rlen > n:
                raise QUICParseError("CONNECTION_CLOSE reason runs past the packet",
                                     "QUIC_truncated_packet")
            out.append(("close", code, frame_type, plain[p:p + rlen]))
            p += rlen
        else:
            raise QUICParseError(f"frame type 0x{ftype:x} not allowed in Initial",
                                 "QUIC_unexpected_frame")
    return out


class CryptoStream:
    """Reassembles one side's CRYPTO stream up to its first handshake message.

    QUIC carries the TLS handshake in CRYPTO frames at explicit offsets, possibly out of
    order and spread over several Initials (Chrome shuffles its ClientHello on purpose).
    Only the first message (ClientHello or ServerHello) is readable with Initial keys, so
    the stream stops at its length; memory is bounded by MAX_HELLO_LEN for the contiguous
    part plus as much again for pieces waiting on a gap.
    """

    __slots__ = ("_buf", "_pending", "_pending_bytes", "msg_len", "finished", "dropped")

    def __init__(self) -> None:
        self._buf = bytearray()
        self._pending: dict[int, bytes] = {}
        self._pending_bytes = 0
        self.msg_len: int | None = None     # 4-byte header + body, once known
        self.finished = False               # the message was handed out
        self.dropped = 0                    # bytes thrown away at a limit

    def add(self, offset: int, data: bytes) -> bytes | None:
        """Feed one CRYPTO frame; returns the whole first message once, when complete.

        Raises QUICParseError when the message announces a length over MAX_HELLO_LEN.
        """
        if self.finished or not data:
            return None
        limit = self.msg_len or (MAX_HELLO_LEN + 4)
        if offset >= limit:
            self.dropped += len(data)
            return None
        if offset + len(data) > limit:
            self.dropped += offset + len(data) - limit
            data = data[:limit - offset]
        have = len(self._buf)
        if offset > have:
            if len(self._pending) >= MAX_CRYPTO_SEGMENTS or \
                    self._pending_bytes + len(data) > MAX_HELLO_LEN + 4:
                self.dropped += len(data)
                return None
            old = self._pending.get(offset)
            if old is None or len(old) < len(data):
                self._pending_bytes += len(data) - (len(old) if old else 0)
                self._pending[offset] = bytes(data)
            return None
        if offset + len(data) > have:
            self._buf += data[have - offset:]
        self._drain()
        return self._complete()

    def _drain(self) -> None:
        # Each pass removes at least one piece, so this runs at most MAX_CRYPTO_SEGMENTS times.
        while self._pending:
            have = len(self._buf)
            ready = [o for o in self._pending if o <= have]
            if not ready:
                return
            for o in sorted(ready):
                piece = self._pending.pop(o)
                self._pending_bytes -= len(piece)
                have = len(self._buf)
                if o + len(piece) > have:
                    self._buf += piece[have - o:]

    def _complete(self) -> bytes | None:
        if self.msg_len is None and len(self._buf) >= 4:
            self.msg_len = 4 + int.from_bytes(self._buf[1:4], "big")
            if self.msg_len > MAX_HELLO_LEN:
                self.finished = True
                raise QUICParseError(f"handshake message of {self.msg_len} bytes",
                                     "QUIC_crypto_message_too_long")
            if len(self._buf) > self.msg_len:
                del self._buf[self.msg_len:]
        if self.msg_len is not None and len(self._buf) >= self.msg_len:
            msg = bytes(self._buf)
            self.finished = True
            self._buf = bytearray()
            self._pending.clear()
            self._pending_bytes = 0
            return msg
        return None
