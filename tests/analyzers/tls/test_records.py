"""Record layer: framing across records and deliveries, bounds, SSLv2 and DTLS framing."""

import pytest

from shoestring.analyzers.tls.parse import (CT_SSLV2, MAX_HANDSHAKE_LEN, MAX_RECORD_LEN,
                                            DtlsHandshakeReader, HandshakeReader,
                                            RecordReader, TLSParseError, parse_dtls_records)

from .hello import handshake, record


def test_record_split_across_deliveries_byte_by_byte():
    wire = record(22, b"\x01\x00\x00\x00") + record(20, b"\x01")
    reader, out = RecordReader(), []
    for i in range(len(wire)):
        out += reader.feed(wire[i:i + 1])
    assert out == [(22, 0x0303, b"\x01\x00\x00\x00"), (20, 0x0303, b"\x01")]
    assert reader.pending == 0


def test_record_length_that_lies_is_held_not_invented():
    # header claims 100 bytes, only 3 follow: nothing is returned, the bytes stay pending
    reader = RecordReader()
    assert reader.feed(bytes.fromhex("16 0303 0064") + b"abc") == []
    assert reader.pending == 8


def test_record_longer_than_tls_allows_is_refused():
    reader = RecordReader()
    with pytest.raises(TLSParseError, match="record of"):
        reader.feed(bytes([23, 3, 3]) + (MAX_RECORD_LEN + 1).to_bytes(2, "big"))
    # the largest legal record is accepted
    ok = RecordReader().feed(record(23, bytes(MAX_RECORD_LEN)))
    assert len(ok) == 1 and ok[0][:2] == (23, 0x0303) and len(ok[0][2]) == MAX_RECORD_LEN


@pytest.mark.parametrize("wire,reason", [
    (bytes.fromhex("17 0403 0001 00"), "version"),     # major 4
    (bytes.fromhex("63 0303 0001 00"), "content type"),
    (b"GET / HTTP/1.1\r\n", "content type"),
])
def test_not_tls(wire, reason):
    with pytest.raises(TLSParseError, match=reason):
        RecordReader().feed(wire)


def test_sslv2_framing_only_at_direction_start():
    v2 = bytes.fromhex("8003") + b"\x01\x00\x02"          # 2-byte header, 3-byte body
    recs = RecordReader().feed(v2)
    assert recs == [(CT_SSLV2, 2, b"\x01\x00\x02")]
    reader = RecordReader()
    reader.feed(record(21, b"\x02\x28"))
    with pytest.raises(TLSParseError):
        reader.feed(v2)


def test_handshake_message_spanning_records_and_several_per_record():
    body = bytes(range(200))
    msg = handshake(11, body)
    hr = HandshakeReader()
    assert hr.feed(msg[:3]) == []          # not even a whole header yet
    assert hr.feed(msg[3:150]) == []
    both = hr.feed(msg[150:] + handshake(14, b""))
    assert both == [(11, body), (14, b"")]
    assert hr.pending == 0


def test_handshake_length_of_16mb_is_refused_without_buffering():
    # a Certificate whose 24-bit length says 16 MB: refused at the header, nothing kept
    hr = HandshakeReader()
    with pytest.raises(TLSParseError, match="handshake message of 16777215"):
        hr.feed(bytes.fromhex("0b ffffff") + b"\x00" * 10)
    assert hr.pending == 0
    assert MAX_HANDSHAKE_LEN < 2 ** 24


def test_handshake_of_many_small_fragments_is_bounded():
    # a message of MAX_HANDSHAKE_LEN + 1 bytes fed one record at a time never completes:
    # it is refused as soon as its header is seen
    hr = HandshakeReader()
    with pytest.raises(TLSParseError):
        hr.feed((11 << 24 | (MAX_HANDSHAKE_LEN + 1)).to_bytes(4, "big"))


def test_dtls_records_in_one_datagram():
    # DTLS 1.2 record: type 22, version fefd, epoch 0, seq 1, length 2
    one = bytes.fromhex("16 fefd 0000 000000000001 0002") + b"hi"
    recs = parse_dtls_records(one + one)
    assert recs == [(22, 0xFEFD, b"hi")] * 2
    with pytest.raises(TLSParseError, match="overruns"):
        parse_dtls_records(one[:-1])
    with pytest.raises(TLSParseError, match="version"):
        parse_dtls_records(bytes.fromhex("16 0303 0000 000000000001 0000"))


def test_dtls_handshake_fragments_joined_in_order():
    body = b"abcdefgh"

    def frag(off, data):   # type 1, length 8, message_seq 0, fragment offset/length
        return (bytes([1]) + (8).to_bytes(3, "big") + b"\x00\x00" + off.to_bytes(3, "big")
                + len(data).to_bytes(3, "big") + data)
    reader = DtlsHandshakeReader()
    assert reader.feed(frag(0, body[:3])) == []
    assert reader.feed(frag(3, body[3:])) == [(1, body)]
    with pytest.raises(TLSParseError):
        reader.feed(frag(6, b"toolong"))   # 6 + 7 > 8
