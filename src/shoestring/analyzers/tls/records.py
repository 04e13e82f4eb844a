"""TLS/DTLS record layer: stream bytes or datagrams in, records and handshake messages out.

Sans-IO: a :class:`RecordReader` per direction takes the stream in whatever pieces TCP
delivers and returns whole records; a :class:`HandshakeReader` per direction joins handshake
fragments across records into messages. Every buffer is bounded by a named limit, so a
record length or a 24-bit handshake length that lies costs at most that limit in memory.
SSLv2-framed records (2- and 3-byte headers, RFC-less: draft-hickman-netscape-ssl-00) are
recognised at the start of a direction.

Compiled with mypyc (native classes): headers are read with ``src[i]`` on ``bytes`` (a C
array read); a ``struct`` call or a ``bytes | bytearray`` union would go through the
generic Python protocols instead.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from .hellos import ClientHello, ServerHello

__all__ = ["TLSParseError", "Record", "RecordReader", "HandshakeReader", "parse_dtls_records",
           "DtlsHandshakeReader", "parse_sslv2_client_hello", "parse_sslv2_server_hello",
           "MAX_RECORD_LEN", "MAX_HANDSHAKE_LEN", "CT_SSLV2"]


class TLSParseError(ValueError):
    """Bytes that are not the TLS structure they claim to be (the tls package's only error)."""


RECORD_HEADER = struct.Struct(">BHH")           # type, version, length (RFC 5246 §6.2.1)
DTLS_RECORD_HEADER = struct.Struct(">BHH6sH")   # type, version, epoch, seq, length (RFC 6347 §4.1)
HANDSHAKE_HEADER = struct.Struct(">I")          # msg_type(8) | length(24) (RFC 8446 §4)
DTLS_HANDSHAKE_HEADER = struct.Struct(">IHI")   # type|len, message_seq, offset(24)|... (§4.2.2)
SSLV2_CLIENT_HELLO = struct.Struct(">BHHHH")    # msg, version, cipher/session/challenge lens
SSLV2_SERVER_HELLO = struct.Struct(">BBBHHHH")  # msg, hit, cert type, version, 3 lengths

#: Largest record: TLSCiphertext may carry 2^14 + 2048 bytes (RFC 5246 §6.2.3); anything
#: longer is not TLS (or is hostile), so we stop instead of buffering it.
MAX_RECORD_LEN: Final = 2 ** 14 + 2048
#: Largest handshake message we reassemble. OpenSSL refuses certificate lists above 100 KiB
#: by default (SSL_MAX_CERT_LIST_DEFAULT); 256 KiB leaves room for odd chains while a
#: 16 MB length field is refused at once rather than buffered.
MAX_HANDSHAKE_LEN: Final = 256 * 1024
#: Pseudo content type for SSLv2-framed records (real content types are 20..24, 25).
CT_SSLV2: Final = 0x80
#: Content types TLS defines (RFC 8446 §5.1, plus heartbeat 24 and tls12_cid 25).
CONTENT_TYPES: Final = frozenset({20, 21, 22, 23, 24, 25})
#: DTLS versions are 1's complement (RFC 6347 §4.1): 1.0, 1.2, 1.3; 0x0100 is OpenSSL's pre-RFC.
DTLS_VERSIONS: Final = frozenset({0xFEFF, 0xFEFD, 0xFEFC, 0x0100})


#: A record: (content_type, version, fragment). A plain tuple, not a NamedTuple: the
#: compiled analyzer unpacks it, and a NamedTuple's construction is Python-level code.
Record = tuple[int, int, bytes]


class RecordReader:
    """One direction's TLS stream → records. ``feed`` raises TLSParseError when the bytes
    cannot be TLS (unknown content type, major version not 3, oversized record); the caller
    then stops feeding this direction."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._v2_ok = True    # SSLv2 framing is only believed at a direction's start

    @property
    def pending(self) -> int:
        """Bytes held for a record not yet complete (a lying length shows up here)."""
        return len(self._buf)

    def reset(self) -> None:
        """After a gap: the old partial record can never complete."""
        self._buf.clear()

    def feed(self, data: bytes) -> list[Record]:
        """The records completed by ``data`` (the next bytes of this direction)."""
        # Speed: with nothing pending (the usual case: TCP hands over whole records) the
        # records are sliced straight out of ``data``; only a partial tail is buffered.
        buf = self._buf
        if buf:
            buf += data
            if len(buf) >= 5 and buf[0] in CONTENT_TYPES and buf[1] == 3:
                # A record arriving in many segments (a certificate chain): while the
                # record whose header is already buffered (and was checked when it came)
                # is incomplete, there is nothing to slice.
                if len(buf) < 5 + ((buf[3] << 8) | buf[4]) <= 5 + MAX_RECORD_LEN:
                    self._v2_ok = False
                    return []
            src = bytes(buf)      # one bytes object to slice from (see the module doc)
            buf.clear()
        else:
            src = data
        out: list[Record] = []
        v2_ok = self._v2_ok         # SSLv2 framing ends at the first TLS record header
        off, n = 0, len(src)
        try:
            while n - off >= 5:
                ctype = src[off]
                if ctype not in CONTENT_TYPES:
                    if v2_ok and ctype & 0x80:
                        rec_len = ((ctype & 0x7F) << 8) | src[off + 1]
                        if n - off - 2 < rec_len:
                            break
                        out.append((CT_SSLV2, 2, src[off + 2:off + 2 + rec_len]))
                        off += 2 + rec_len
                        continue
                    raise TLSParseError(f"unknown content type {ctype}")
                v2_ok = False
                version = (src[off + 1] << 8) | src[off + 2]
                rec_len = (src[off + 3] << 8) | src[off + 4]
                if version >> 8 != 3:
                    raise TLSParseError(f"record version 0x{version:04x}")
                if rec_len > MAX_RECORD_LEN:
                    raise TLSParseError(f"record of {rec_len} bytes (max {MAX_RECORD_LEN})")
                end = off + 5 + rec_len
                if end > n:
                    break
                out.append((ctype, version, src[off + 5:end]))
                off = end
        finally:
            # whatever is left (a partial record, or the bytes that did not parse) stays
            self._v2_ok = v2_ok
            if off < n:
                buf += memoryview(src)[off:]
        return out


class HandshakeReader:
    """One direction's handshake fragments → (msg_type, body) messages (RFC 8446 §5.1:
    messages may span records and records may hold several messages)."""

    def __init__(self) -> None:
        self._buf = bytearray()

    @property
    def pending(self) -> int:
        return len(self._buf)

    def reset(self) -> None:
        self._buf.clear()

    def feed(self, fragment: bytes) -> list[tuple[int, bytes]]:
        # As RecordReader: messages are sliced from ``fragment`` itself when nothing of an
        # earlier record is pending; only a partial message is buffered. Most records hold
        # exactly one whole message: that case returns at once.
        buf = self._buf
        n = len(fragment)
        if not buf and n >= 4 and n - 4 <= MAX_HANDSHAKE_LEN \
                and ((fragment[1] << 16) | (fragment[2] << 8) | fragment[3]) == n - 4:
            return [(fragment[0], fragment[4:])]
        if buf:
            buf += fragment
            src = bytes(buf)      # one bytes object to slice from (see the module doc)
            buf.clear()
        else:
            src = fragment
        out: list[tuple[int, bytes]] = []
        off, n = 0, len(src)
        while n - off >= 4:
            length = (src[off + 1] << 16) | (src[off + 2] << 8) | src[off + 3]
            if length > MAX_HANDSHAKE_LEN:
                # the buffer stays empty: nothing after a lying length can be trusted
                raise TLSParseError(f"handshake message of {length} bytes "
                                    f"(max {MAX_HANDSHAKE_LEN})")
            end = off + 4 + length
            if end > n:
                break
            out.append((src[off], src[off + 4:end]))
            off = end
        if off < n:
            buf += memoryview(src)[off:]
        return out


def parse_dtls_records(datagram: bytes) -> list[Record]:
    """The DTLS records of one datagram (RFC 6347 §4.1: a datagram may hold several);
    the epoch and sequence number are dropped, the version kept."""
    out: list[Record] = []
    off, n = 0, len(datagram)
    while off < n:
        if n - off < 13:
            raise TLSParseError(f"{n - off} bytes left, short of a DTLS record header")
        ctype, version, _epoch, _seq, rec_len = DTLS_RECORD_HEADER.unpack_from(datagram, off)
        if ctype not in CONTENT_TYPES:
            raise TLSParseError(f"unknown DTLS content type {ctype}")
        if version not in DTLS_VERSIONS:
            raise TLSParseError(f"DTLS record version 0x{version:04x}")
        if off + 13 + rec_len > n:
            raise TLSParseError(f"DTLS record of {rec_len} bytes overruns its datagram")
        out.append((ctype, version, datagram[off + 13:off + 13 + rec_len]))
        off += 13 + rec_len
    return out


class DtlsHandshakeReader(HandshakeReader):
    """DTLS handshake fragments → whole messages (RFC 6347 §4.2.3). Fragments are joined
    when they arrive in order; retransmissions of a finished message are dropped.
    A HandshakeReader by type (its ``feed`` replaces the TLS one), so the analyzer's
    per-direction readers have one native type for TCP and DTLS."""

    def __init__(self) -> None:
        super().__init__()
        self._seq: int | None = None
        self._done: set[int] = set()

    def feed(self, fragment: bytes) -> list[tuple[int, bytes]]:
        out: list[tuple[int, bytes]] = []
        off, n = 0, len(fragment)
        while off < n:
            if n - off < 12:
                raise TLSParseError("short DTLS handshake header")
            word, mseq, frag_word = DTLS_HANDSHAKE_HEADER.unpack_from(fragment, off)
            mtype, length = word >> 24, word & 0xFFFFFF
            frag_off = frag_word >> 8
            frag_len = ((frag_word & 0xFF) << 16) | int.from_bytes(fragment[off + 10:off + 12],
                                                                     "big")
            if length > MAX_HANDSHAKE_LEN:
                raise TLSParseError(f"DTLS handshake message of {length} bytes")
            if off + 12 + frag_len > n or frag_off + frag_len > length:
                raise TLSParseError("DTLS handshake fragment overruns")
            data = fragment[off + 12:off + 12 + frag_len]
            off += 12 + frag_len
            if mseq in self._done and mtype != 1:   # a retransmission (ClientHello repeats
                continue                             # legitimately after HelloVerifyRequest)
            if frag_off == 0 and frag_len == length:
                out.append((mtype, data))
                self._done.add(mseq)
                continue
            if frag_off == 0:
                self._seq, self._buf = mseq, bytearray(data)
            elif self._seq == mseq and frag_off == len(self._buf):
                self._buf += data
            else:
                continue                             # out of order: wait for a retransmission
            if len(self._buf) == length:
                out.append((mtype, bytes(self._buf)))
                self._done.add(mseq)
                self._seq, self._buf = None, bytearray()
        return out


def parse_sslv2_client_hello(fragment: bytes) -> ClientHello:
    """An SSLv2 CLIENT-HELLO record body (msg type 1) as a parse.ClientHello with 24-bit
    cipher specs; the challenge stands in for the random."""
    from .hellos import ClientHello    # hellos imports this module: imported at first use
    if len(fragment) < 9 or fragment[0] != 1:
        raise TLSParseError("not an SSLv2 CLIENT-HELLO")
    _, version, cs_len, sid_len, ch_len = SSLV2_CLIENT_HELLO.unpack_from(fragment, 0)
    if cs_len % 3 or 9 + cs_len + sid_len + ch_len > len(fragment):
        raise TLSParseError("SSLv2 CLIENT-HELLO lengths overrun")
    specs = fragment[9:9 + cs_len]
    ciphers = [int.from_bytes(specs[i:i + 3], "big") for i in range(0, cs_len, 3)]
    sid = fragment[9 + cs_len:9 + cs_len + sid_len]
    challenge = fragment[9 + cs_len + sid_len:9 + cs_len + sid_len + ch_len]
    return ClientHello(version, challenge, sid, ciphers, [], [], None, [], [], [], [], [], [],
                       [], [], True, None)


def parse_sslv2_server_hello(fragment: bytes) -> tuple[ServerHello, bytes | None]:
    """An SSLv2 SERVER-HELLO (msg type 4): (parse.ServerHello, certificate DER or None)."""
    from .hellos import ServerHello
    if len(fragment) < 11 or fragment[0] != 4:
        raise TLSParseError("not an SSLv2 SERVER-HELLO")
    _, _hit, _ctype, version, cert_len, cs_len, cid_len = SSLV2_SERVER_HELLO.unpack_from(fragment)
    if cs_len % 3 or 11 + cert_len + cs_len + cid_len > len(fragment):
        raise TLSParseError("SSLv2 SERVER-HELLO lengths overrun")
    cert = fragment[11:11 + cert_len] or None
    specs = fragment[11 + cert_len:11 + cert_len + cs_len]
    cipher = int.from_bytes(specs[:3], "big") if specs else 0
    conn_id = fragment[11 + cert_len + cs_len:11 + cert_len + cs_len + cid_len]
    return ServerHello(version, conn_id, b"", cipher, 0, [], None, [], None, [], False, False,
                       [], True), cert
