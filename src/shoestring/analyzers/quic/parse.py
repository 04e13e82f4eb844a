"""Pure QUIC parsers: long headers, Initial frames, CRYPTO reassembly, and the hello fields.

Functions take bytes and an offset and return values plus the next offset; hostile input
raises QUICParseError (carrying the weird name to record) and nothing else.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from . import consts as C

MAX_CID_LEN = 20            # RFC 9000 §17.2: v1 connection IDs are at most 20 bytes
#: Zeek's limit for the first handshake message (RFC 8446's record limit, 2^14 + 256):
#: a ClientHello or ServerHello never needs more, and it bounds reassembly memory.
MAX_HELLO_LEN = 2 ** 14 + 256
#: Out-of-order CRYPTO pieces held before the gap fills (Chrome splits its hello in ~10).
MAX_CRYPTO_SEGMENTS = 64
#: Frames parsed per packet; a 1500-byte datagram of 1-byte PINGs is the worst honest case.
MAX_FRAMES = 1500
MAX_EXTENSIONS = 512        # more than any real hello carries (GREASE included)
MAX_LIST_ITEMS = 256        # names in SNI, protocols in ALPN

_NONZERO = re.compile(rb"[^\x00]")


class QUICParseError(ValueError):
    """Malformed QUIC (or hello) bytes; ``weird`` is the weird.log name to record."""

    def __init__(self, message: str, weird: str = "QUIC_malformed_packet"):
        super().__init__(message)
        self.weird = weird


def read_varint(buf, off: int) -> tuple[int, int]:
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


class LongHeader(NamedTuple):
    """One long-header packet (RFC 9000 §17.2) inside a datagram."""
    first: int              # first byte, still header-protected
    version: int
    dcid: bytes
    scid: bytes
    ptype: int | None       # consts.INITIAL/ZERO_RTT/HANDSHAKE/RETRY; None: unknown version
    token: bytes            # Initial token or Retry token; b"" otherwise
    pn_offset: int          # where the (protected) packet number starts; -1 when none
    end: int                # offset just past this packet in the datagram
    versions: tuple         # Version Negotiation: the versions offered


def parse_long_header(buf, off: int = 0) -> LongHeader:
    """The long header at ``off``; ``end`` says where the next coalesced packet starts."""
    n = len(buf)
    if off + 7 > n:
        raise QUICParseError("long header shorter than 7 bytes", "QUIC_truncated_packet")
    first = buf[off]
    version = int.from_bytes(buf[off + 1:off + 5], "big")
    p = off + 5
    dlen = buf[p]
    if dlen > MAX_CID_LEN and version != C.VERSION_NEGOTIATION:
        raise QUICParseError(f"DCID of {dlen} bytes", "QUIC_invalid_connection_id_length")
    if p + 1 + dlen >= n:
        raise QUICParseError("truncated DCID", "QUIC_truncated_packet")
    dcid = bytes(buf[p + 1:p + 1 + dlen])
    p += 1 + dlen
    slen = buf[p]
    if slen > MAX_CID_LEN and version != C.VERSION_NEGOTIATION:
        raise QUICParseError(f"SCID of {slen} bytes", "QUIC_invalid_connection_id_length")
    if p + 1 + slen > n:
        raise QUICParseError("truncated SCID", "QUIC_truncated_packet")
    scid = bytes(buf[p + 1:p + 1 + slen])
    p += 1 + slen
    if version == C.VERSION_NEGOTIATION:        # RFC 9000 §17.2.1: the rest is versions
        count = (n - p) // 4
        versions = tuple(int.from_bytes(buf[p + 4 * i:p + 4 * i + 4], "big")
                         for i in range(count))
        return LongHeader(first, version, dcid, scid, None, b"", -1, n, versions)
    types = C.packet_types(version)
    if types is None:                           # cannot know the layout: it ends the datagram
        return LongHeader(first, version, dcid, scid, None, b"", -1, n, ())
    ptype = types[(first >> 4) & 0x03]
    if ptype == C.RETRY:                        # §17.2.5: token, then a 16-byte integrity tag
        if n - p < 16:
            raise QUICParseError("Retry shorter than its integrity tag", "QUIC_truncated_packet")
        return LongHeader(first, version, dcid, scid, ptype, bytes(buf[p:n - 16]), -1, n, ())
    token = b""
    if ptype == C.INITIAL:
        tlen, p = read_varint(buf, p)
        if p + tlen > n:
            raise QUICParseError("truncated Initial token", "QUIC_truncated_packet")
        token = bytes(buf[p:p + tlen])
        p += tlen
    length, p = read_varint(buf, p)
    if p + length > n:
        raise QUICParseError(f"packet length {length} runs past the datagram",
                             "QUIC_truncated_packet")
    return LongHeader(first, version, dcid, scid, ptype, token, p, p + length, ())


def parse_initial_frames(plain: bytes) -> list:
    """Frames of a decrypted Initial packet (RFC 9000 §19), in order, as tuples:
    ``("crypto", offset, data)`` and ``("close", error_code, frame_type, reason)``;
    PADDING, PING and ACK are checked and skipped. Other kinds are not allowed in an
    Initial (RFC 9000 §12.4, Table 3) and raise.
    """
    out = []
    n, p, count = len(plain), 0, 0
    while p < n:
        count += 1
        if count > MAX_FRAMES:
            raise QUICParseError("too many frames in one packet", "QUIC_too_many_frames")
        ftype = plain[p]
        if ftype == C.FRAME_PADDING:            # a run of zero bytes: skip it in one search
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

    def __init__(self):
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


# --- TLS hello fields (RFC 8446 §4.1.2, §4.1.3) ------------------------------------------
# The fields quic.log and its ssl.log record need. The full ClientHello parser (JA4 and
# the rest) is the tls package's; this one reads only what the log fields require and is
# what a hostile hello meets first.

class HelloFields(NamedTuple):
    """Fields of one ClientHello or ServerHello."""
    msg_type: int           # consts.TLS_CLIENT_HELLO or TLS_SERVER_HELLO
    legacy_version: int
    random: bytes
    session_id: bytes
    cipher: int | None      # ServerHello's chosen suite
    server_names: list      # SNI host names (ClientHello)
    alpn: list              # ALPN protocol names
    versions: list          # supported_versions: offered (client) or selected (server)
    key_share_groups: list  # groups of the key_share entries
    has_psk: bool           # pre_shared_key extension present


def _need(buf, p: int, k: int) -> None:
    if p + k > len(buf):
        raise QUICParseError("truncated TLS hello", "QUIC_truncated_tls_hello")


def _u16(buf, p: int) -> int:
    _need(buf, p, 2)
    return (buf[p] << 8) | buf[p + 1]


def parse_hello(msg: bytes) -> HelloFields:
    """A ClientHello or ServerHello with its 4-byte handshake header."""
    _need(msg, 0, 4)
    mtype, body_len = msg[0], int.from_bytes(msg[1:4], "big")
    if mtype not in (C.TLS_CLIENT_HELLO, C.TLS_SERVER_HELLO):
        raise QUICParseError(f"handshake type {mtype} is not a hello", "QUIC_unexpected_tls_message")
    end = 4 + body_len
    _need(msg, 0, end)
    b = msg[:end]
    legacy = _u16(b, 4)
    _need(b, 6, 33)
    random, sid_len = bytes(b[6:38]), b[38]
    _need(b, 39, sid_len)
    session_id, p = bytes(b[39:39 + sid_len]), 39 + sid_len
    cipher = None
    if mtype == C.TLS_CLIENT_HELLO:
        p += 2 + _u16(b, p)                     # cipher suites
        _need(b, p, 1)
        p += 1 + b[p]                           # compression methods
    else:
        cipher = _u16(b, p)
        p += 3                                  # suite + compression method
    names, alpn, versions, groups, psk = [], [], [], [], False
    if p < end:
        ext_end = p + 2 + _u16(b, p)
        _need(b, 0, ext_end)
        p += 2
        count = 0
        while p < ext_end:
            count += 1
            if count > MAX_EXTENSIONS:
                raise QUICParseError("too many TLS extensions", "QUIC_malformed_tls_hello")
            etype, elen = _u16(b, p), _u16(b, p + 2)
            p += 4
            _need(b, p, elen)
            data = b[p:p + elen]
            p += elen
            if etype == C.EXT_SERVER_NAME and mtype == C.TLS_CLIENT_HELLO and elen:
                names = _server_names(data)
            elif etype == C.EXT_ALPN and elen:
                alpn = _name_list(data, 2, 1)
            elif etype == C.EXT_SUPPORTED_VERSIONS:
                versions = _versions(data, mtype)
            elif etype == C.EXT_KEY_SHARE:
                groups = _key_share_groups(data, mtype)
            elif etype == C.EXT_PRE_SHARED_KEY:
                psk = True
    return HelloFields(mtype, legacy, random, session_id, cipher, names, alpn, versions,
                       groups, psk)


def _text(raw) -> str:
    # Zeek keeps raw bytes and escapes them at output; decode losslessly for the writer.
    return bytes(raw).decode("utf-8", "backslashreplace")


def _name_list(data, len_size: int, item_len_size: int) -> list:
    """A length-prefixed list of length-prefixed names (ALPN's ProtocolNameList)."""
    total = int.from_bytes(data[:len_size], "big")
    _need(data, len_size, total)
    p, end, out = len_size, len_size + total, []
    while p < end and len(out) < MAX_LIST_ITEMS:
        _need(data, p, item_len_size)
        k = int.from_bytes(data[p:p + item_len_size], "big")
        p += item_len_size
        _need(data, p, k)
        out.append(_text(data[p:p + k]))
        p += k
    return out


def _server_names(data) -> list:
    total = _u16(data, 0)
    _need(data, 2, total)
    p, end, out = 2, 2 + total, []
    while p < end and len(out) < MAX_LIST_ITEMS:
        _need(data, p, 3)
        ntype, k = data[p], _u16(data, p + 1)
        p += 3
        _need(data, p, k)
        if ntype == 0:                          # host_name
            out.append(_text(data[p:p + k]))
        p += k
    return out


def _versions(data, mtype: int) -> list:
    if mtype == C.TLS_SERVER_HELLO:
        return [_u16(data, 0)]
    _need(data, 0, 1)
    k = data[0]
    _need(data, 1, k)
    return [_u16(data, 1 + i) for i in range(0, k - 1, 2)]


def _key_share_groups(data, mtype: int) -> list:
    if mtype == C.TLS_SERVER_HELLO:             # one KeyShareEntry (or, in an HRR, a group)
        return [_u16(data, 0)]
    total = _u16(data, 0)
    _need(data, 2, total)
    p, end, out = 2, 2 + total, []
    while p < end and len(out) < MAX_LIST_ITEMS:
        out.append(_u16(data, p))
        p += 4 + _u16(data, p + 2)
    return out
