"""The Internet checksum (decode/checksum.py) on RFC 1071's worked example and real headers."""

from __future__ import annotations

import struct
import sys

import pytest

from shoestring.decode import checksum
from shoestring.synth import frames as F

# RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7; the big-endian word sum is
# 0001 + f203 + f4f5 + f6f7 = 2ddf0, folded 2 + ddf0 = ddf2; the checksum is ~ddf2 = 220d.
RFC1071 = bytes.fromhex("0001f203f4f5f6f7")


def as_native(word_be: int) -> int:
    """ones_sum adds native-order words (memoryview "H"): the same sum, bytes swapped on
    a little-endian machine."""
    return struct.unpack("=H", word_be.to_bytes(2, "big"))[0]


def test_rfc1071_example_sum():
    assert checksum.ones_sum(RFC1071) == as_native(0xDDF2)


def test_rfc1071_example_with_its_checksum_is_valid():
    assert checksum.valid(RFC1071 + bytes.fromhex("220d"))
    assert not checksum.valid(RFC1071 + bytes.fromhex("220e"))


def test_odd_length_pads_with_zero():
    # 01 02 03 -> words 0102 + 0300 = 0402 (big-endian).
    assert checksum.ones_sum(b"\x01\x02\x03") == as_native(0x0402)


def test_carries_fold_more_than_once():
    # Many 0xffff words: the sum stays 0xffff (negative zero), never overflows 16 bits.
    assert checksum.ones_sum(b"\xff\xff" * 1000) == 0xFFFF
    assert checksum.ones_sum(b"") == 0


def test_ipv4_header_from_a_real_stack():
    # A header as Linux sent it (RFC 791 fields: 4500 0073 0000 4000 4011 b861 c0a8 0001
    # c0a8 00c7), checksum b861 in place: valid.
    header = bytes.fromhex("450000730000400040 11b861c0a80001c0a800c7".replace(" ", ""))
    assert checksum.valid(header)
    assert not checksum.valid(header[:10] + b"\xb8\x62" + header[12:])


@pytest.mark.parametrize("src,dst", [("10.0.0.1", "192.168.1.2"), ("2001:db8::1", "fe80::2")])
def test_pseudo_header_sums_for_tcp_and_udp(src, dst):
    s, d = F.ip_bytes(src), F.ip_bytes(dst)
    seg = F.tcp(s, d, 1234, 80, 1, 2, F.ACK, b"hello")
    assert checksum.valid(seg, checksum.pseudo_header_sum(s, d, 6, len(seg)))
    bad = F.tcp(s, d, 1234, 80, 1, 2, F.ACK, b"hello", bad_checksum=True)
    assert not checksum.valid(bad, checksum.pseudo_header_sum(s, d, 6, len(bad)))
    dgram = F.udp(s, d, 53, 5353, b"odd")                           # odd length
    assert checksum.valid(dgram, checksum.pseudo_header_sum(s, d, 17, len(dgram)))
    # The wrong protocol or length in the pseudo-header breaks it.
    assert not checksum.valid(dgram, checksum.pseudo_header_sum(s, d, 6, len(dgram)))
    assert not checksum.valid(dgram, checksum.pseudo_header_sum(s, d, 17, len(dgram) + 2))


def test_agrees_with_the_builders_independent_implementation():
    """synth.frames.inet_checksum computes the sum a different way (big integer mod 0xffff)."""
    import random
    rng = random.Random(3)
    for _ in range(200):
        data = rng.randbytes(rng.randint(0, 64))
        csum = F.inet_checksum(data + (b"\x00" if len(data) % 2 else b""))
        padded = data + (b"\x00" if len(data) % 2 else b"")
        assert checksum.valid(padded + csum.to_bytes(2, "big")), (data.hex(), sys.byteorder)
