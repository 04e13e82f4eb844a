"""Byte-level tests of the QUIC parsers: varints, long headers, Initial frames, CRYPTO reassembly."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoestring.analyzers.quic import consts as C
from shoestring.analyzers.quic.parse import (MAX_CRYPTO_SEGMENTS, MAX_HELLO_LEN, CryptoStream,
                                             QUICParseError, parse_initial_frames,
                                             parse_long_header, read_varint)

from . import vectors as V


# RFC 9000 Appendix A.1's sample varints: (encoding, value).
@pytest.mark.parametrize("raw,value", [
    ("c2197c5eff14e88c", 151288809941952652),
    ("9d7f3e7d", 494878333),
    ("7bbd", 15293),
    ("25", 37),
    ("4025", 37),
])
def test_varint_rfc9000_samples(raw, value):
    buf = bytes.fromhex(raw) + b"\xff"          # a trailing byte must be left alone
    assert read_varint(buf, 0) == (value, len(buf) - 1)


@pytest.mark.parametrize("raw", ["", "40", "80aabb", "c0112233445566"])
def test_varint_truncated(raw):
    with pytest.raises(QUICParseError):
        read_varint(bytes.fromhex(raw), 0)


def test_long_header_v1_initial():
    # RFC 9001 A.2: c0 | 00000001 | 08 8394c8f03e515708 | 00 | token 00 | length 449e (1182)
    h = parse_long_header(V.V1_CLIENT_PACKET)
    assert (h.version, h.dcid, h.scid, h.ptype, h.token) == (1, V.DCID, b"", C.INITIAL, b"")
    assert (h.pn_offset, h.end) == (18, 18 + 1182)


def test_long_header_v2_types_are_remapped():
    # RFC 9369 §3.2: Initial is 0b01 on the wire; A.3's server packet starts 0xdc (type 01).
    assert parse_long_header(V.V2_SERVER_PACKET).ptype == C.INITIAL
    # v1 type bits 0b01 mean 0-RTT; in v2 they would mean Initial.
    zero_rtt = bytes.fromhex("d0" "00000001" "00" "00" "05") + bytes(5)
    assert parse_long_header(zero_rtt).ptype == C.ZERO_RTT
    assert parse_long_header(bytes.fromhex("d0" "6b3343cf" "00" "00" "00" "05") + bytes(5)
                             ).ptype == C.INITIAL


def test_coalesced_packets_are_walked_by_length():
    # Handshake (type 2) of length 3, then a second packet starts right after it.
    first = bytes.fromhex("e0" "00000001" "02" "aabb" "01" "cc" "03") + b"xyz"
    h = parse_long_header(first + b"\xe0rest")
    assert (h.ptype, h.dcid, h.scid, h.end) == (C.HANDSHAKE, b"\xaa\xbb", b"\xcc", len(first))


def test_retry_token_and_tag():
    # RFC 9000 §17.2.5: type 3, no length field; the last 16 bytes are the integrity tag.
    pkt = bytes.fromhex("f0" "00000001" "00" "04" "0badcafe") + b"TOKEN" + bytes(range(16))
    h = parse_long_header(pkt)
    assert (h.ptype, h.scid, h.token, h.end) == (C.RETRY, bytes.fromhex("0badcafe"), b"TOKEN",
                                                 len(pkt))
    with pytest.raises(QUICParseError):
        parse_long_header(pkt[:20])


def test_version_negotiation_lists_versions():
    pkt = bytes.fromhex("80" "00000000" "04" "01020304" "04" "05060708" "00000001" "6b3343cf")
    h = parse_long_header(pkt)
    assert h.ptype is None and h.versions == (1, C.VERSION_2) and h.end == len(pkt)


def test_unknown_version_ends_the_datagram():
    # RFC 8999 §5.1: an unknown version may use connection ids of up to 255 bytes.
    h = parse_long_header(bytes.fromhex("c0" "1a2a3a4a" "1e") + bytes(31) + bytes(30))
    assert h.ptype is None and h.version == 0x1A2A3A4A and len(h.dcid) == 30 and h.end == 67


@pytest.mark.parametrize("raw,weird", [
    ("c000000001", "QUIC_truncated_packet"),                          # < 7 bytes
    ("c000000001" "15" + "00" * 30, "QUIC_invalid_connection_id_length"),  # DCID of 21
    ("c000000001" "08" "0102", "QUIC_truncated_packet"),               # DCID cut short
    ("c000000001" "00" "00" "00" "4400", "QUIC_truncated_packet"),     # length 1024 > datagram
    ("c000000001" "00" "00" "05" "00", "QUIC_truncated_packet"),       # token cut short
])
def test_long_header_errors(raw, weird):
    with pytest.raises(QUICParseError) as e:
        parse_long_header(bytes.fromhex(raw))
    assert e.value.weird == weird


def test_frames_in_order():
    plain = bytes.fromhex(
        "01"                         # PING
        "02" "05" "00" "01" "00" "02" "01"   # ACK largest 5, delay 0, 1 range, first 0, gap 2 len 1
        "06" "00" "03" "616263"      # CRYPTO offset 0 "abc"
        "0000"                       # PADDING
        "1c" "4001" "06" "02" "6f6b"  # CONNECTION_CLOSE code 1, frame CRYPTO, "ok"
        "000000")
    assert parse_initial_frames(plain) == [("crypto", 0, b"abc"), ("close", 1, 6, b"ok")]


@pytest.mark.parametrize("raw", ["08000100", "1d0000", "1e", "4006", "0600ff61", "1c0000ff"])
def test_frames_rejected(raw):
    # STREAM, application CONNECTION_CLOSE and HANDSHAKE_DONE may not be in an Initial
    # (RFC 9000 §12.4); a two-byte frame type; CRYPTO and CLOSE overrunning the packet.
    with pytest.raises(QUICParseError):
        parse_initial_frames(bytes.fromhex(raw))


def _hello(body_len: int) -> bytes:
    return bytes((1,)) + body_len.to_bytes(3, "big") + bytes(range(256)) * (body_len // 256) \
        + bytes(body_len % 256)


def test_crypto_stream_out_of_order_over_three_packets():
    msg = _hello(700)
    s = CryptoStream()
    assert s.add(500, msg[500:]) is None
    assert s.add(200, msg[200:520]) is None       # overlaps the piece after it
    assert s.add(0, msg[:250]) == msg
    assert s.finished and s.add(0, msg) is None   # handed out once only


def test_crypto_stream_ignores_bytes_past_the_message():
    msg = _hello(10)
    s = CryptoStream()
    assert s.add(0, msg + b"NEXT MESSAGE") == msg


def test_crypto_stream_rejects_oversized_message():
    s = CryptoStream()
    with pytest.raises(QUICParseError) as e:
        s.add(0, bytes((1,)) + (MAX_HELLO_LEN).to_bytes(3, "big"))
    assert e.value.weird == "QUIC_crypto_message_too_long"


def test_crypto_stream_memory_is_bounded():
    s = CryptoStream()
    for i in range(10 * MAX_CRYPTO_SEGMENTS):      # many pieces, none at offset 0
        s.add(10 + 7 * i, b"x" * 5)
    assert len(s._pending) <= MAX_CRYPTO_SEGMENTS
    assert s.dropped > 0
    s.add(2 ** 60, b"y" * 1000)                    # a far offset is dropped, not allocated
    assert s._pending_bytes <= MAX_HELLO_LEN + 4 and len(s._buf) == 0


# --- hostile input: only QUICParseError, whatever the bytes --------------------------------

@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=1500), st.integers(min_value=0, max_value=40))
def test_long_header_random_bytes(data, off):
    try:
        h = parse_long_header(data, min(off, max(len(data) - 1, 0)))
    except QUICParseError:
        return
    assert h.end <= len(data)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(V.V1_CLIENT_PACKET) - 1), st.integers(0, 255)),
                max_size=6), st.integers(1, 1200))
def test_long_header_mutated_initial(mutations, cut):
    pkt = bytearray(V.V1_CLIENT_PACKET[:cut])
    for i, b in mutations:
        if i < len(pkt):
            pkt[i] = b
    try:
        h = parse_long_header(bytes(pkt))
    except QUICParseError:
        return
    assert 0 < h.end <= len(pkt)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=600))
def test_frames_random_bytes(data):
    try:
        frames = parse_initial_frames(data)
    except QUICParseError:
        return
    for f in frames:
        assert f[0] in ("crypto", "close")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2 ** 62), st.binary(max_size=300)), max_size=80))
def test_crypto_stream_random_pieces(pieces):
    s = CryptoStream()
    for off, data in pieces:
        try:
            s.add(off, data)
        except QUICParseError:
            break
        assert len(s._buf) <= MAX_HELLO_LEN + 4
        assert s._pending_bytes <= MAX_HELLO_LEN + 4
        assert len(s._pending) <= MAX_CRYPTO_SEGMENTS


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.binary(min_size=1, max_size=30)), max_size=8),
       st.integers(0, 2000))
def test_frames_between_padding_runs(pieces, trailing):
    # PADDING runs of any length between CRYPTO frames and at the end (the common 1200-byte
    # Initial) are skipped, whichever way parse_initial_frames finds their end.
    plain, expected, offset = b"", [], 0
    for pad, data in pieces:
        plain += bytes(pad) + b"\x06" + bytes((offset,)) + bytes((len(data),)) + data
        expected.append(("crypto", offset, data))
        offset = (offset + len(data)) % 64
    plain += bytes(trailing)
    assert parse_initial_frames(plain) == expected
