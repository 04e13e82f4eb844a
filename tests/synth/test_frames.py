"""The frame builder writes headers that an independent decoder and checksum accept."""

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoestring.synth import frames as F

from .wire import pseudo, rfc1071, split, sums_to_zero, tcp_fields

V4 = ("192.0.2.10", "198.51.100.20")
V6 = ("2001:db8::10", "2001:db8:1::20")


def test_inet_checksum_matches_textbook_on_known_header():
    # RFC 1071 style worked example: the IPv4 header from Wikipedia's "IPv4 header checksum"
    hdr = bytes.fromhex("450000730000400040110000c0a80001c0a800c7")
    assert F.inet_checksum(hdr) == 0xB861 == rfc1071(hdr)


@given(st.binary(max_size=3000))
@settings(max_examples=300)
def test_inet_checksum_equals_word_loop(data):
    ref = rfc1071(data)
    # when the words sum to 0xFFFF both 0 and 0xFFFF are one's-complement zero; the builder
    # always picks 0xFFFF, the form UDP must send
    assert F.inet_checksum(data) == (0xFFFF if ref == 0 else ref)


def test_ipv4_header_checksum_verifies_and_fields_land():
    pkt = F.ipv4(*V4, F.PROTO_UDP, b"hello", ttl=33, ident=0x1234, tos=0x10)
    assert sums_to_zero(pkt[:20])
    ver_ihl, tos, total, ident, flags, ttl, proto = struct.unpack("!BBHHHBB", pkt[:10])
    assert (ver_ihl, tos, total, ident, flags, ttl, proto) == (0x45, 0x10, 25, 0x1234, 0x4000, 33, 17)
    assert pkt[20:] == b"hello"


def test_ipv4_options_are_padded_and_counted_in_ihl():
    pkt = F.ipv4(*V4, F.PROTO_TCP, b"", options=b"\x94\x04\x00\x00\x01")  # router alert + NOP
    assert pkt[0] & 0x0F == 7 and len(pkt) == 28
    assert sums_to_zero(pkt[:28])


def test_ipv4_bad_checksum_is_wrong():
    good = F.ipv4(*V4, F.PROTO_UDP, b"x")
    bad = F.ipv4(*V4, F.PROTO_UDP, b"x", bad_checksum=True)
    assert sums_to_zero(good[:20]) and not sums_to_zero(bad[:20])


def test_ipv4_fragments_reassemble_with_8_byte_offsets():
    payload = bytes(range(256)) * 10
    frags = F.ipv4_fragments(*V4, F.PROTO_UDP, payload, fragment_size=500, ident=7)
    parts = [split(F.ethernet("02:00:00:00:00:01", "02:00:00:00:00:02", F.ETH_IPV4, f)) for f in frags]
    assert [p["mf"] for p in parts] == [True] * (len(parts) - 1) + [False]
    assert all(p["frag_offset"] % 8 == 0 and p["ident"] == 7 and sums_to_zero(p["ip_header"]) for p in parts)
    assert b"".join(p["l4"] for p in sorted(parts, key=lambda p: p["frag_offset"])) == payload


@pytest.mark.parametrize("src,dst", [V4, V6])
def test_tcp_checksum_verifies_over_pseudo_header(src, dst):
    opts = F.tcp_options(mss=1460, sack_ok=True, timestamps=(1, 0), wscale=7)
    seg = F.tcp(src, dst, 40000, 443, 0xFFFFFFF0, 5, F.SYN | F.ECE, b"data", options=opts)
    s, d = F.ip_bytes(src), F.ip_bytes(dst)
    assert sums_to_zero(pseudo(s, d, 6, len(seg)) + seg)
    f = tcp_fields(seg)
    assert (f["sport"], f["dport"], f["seq"], f["flags"], f["payload"]) == (40000, 443, 0xFFFFFFF0, 0x42, b"data")
    assert f["options"][:4] == b"\x02\x04\x05\xb4" and len(f["options"]) % 4 == 0
    bad = F.tcp(src, dst, 40000, 443, 1, 5, F.ACK, b"data", bad_checksum=True)
    assert not sums_to_zero(pseudo(s, d, 6, len(bad)) + bad)


@pytest.mark.parametrize("src,dst", [V4, V6])
def test_udp_checksum_verifies_and_bad_is_never_zero(src, dst):
    s, d = F.ip_bytes(src), F.ip_bytes(dst)
    for payload in (b"", b"a", b"abc" * 100):
        dgram = F.udp(src, dst, 53, 5353, payload)
        assert struct.unpack("!H", dgram[4:6])[0] == 8 + len(payload)
        assert sums_to_zero(pseudo(s, d, 17, len(dgram)) + dgram)
        bad = F.udp(src, dst, 53, 5353, payload, bad_checksum=True)
        assert struct.unpack("!H", bad[6:8])[0] != 0
        assert not sums_to_zero(pseudo(s, d, 17, len(bad)) + bad)


@given(st.binary(max_size=1500), st.integers(0, 65535), st.integers(0, 65535),
       st.booleans(), st.integers(0, 2**32 - 1))
@settings(max_examples=200)
def test_every_udp_and_tcp_checksum_verifies(payload, sport, dport, v6, seq):
    src, dst = V6 if v6 else V4
    s, d = F.ip_bytes(src), F.ip_bytes(dst)
    u = F.udp(src, dst, sport, dport, payload)
    assert struct.unpack("!H", u[6:8])[0] != 0  # 0 would mean "no checksum"
    assert sums_to_zero(pseudo(s, d, 17, len(u)) + u)
    t = F.tcp(src, dst, sport, dport, seq, seq ^ 0xABCDEF, F.ACK | F.PSH, payload)
    assert sums_to_zero(pseudo(s, d, 6, len(t)) + t)


def test_icmp_and_icmpv6_checksums():
    echo = F.icmp_echo(0x55, 3, b"ping-data")
    assert echo[0] == 8 and sums_to_zero(echo)
    assert not sums_to_zero(F.icmp_echo(0x55, 3, b"ping-data", bad_checksum=True))
    s, d = F.ip_bytes(V6[0]), F.ip_bytes(V6[1])
    msg = F.icmpv6(s, d, 128, 0, b"\x00\x01\x00\x02abc")
    assert sums_to_zero(pseudo(s, d, 58, len(msg)) + msg)


def test_ipv6_extension_header_chain_and_fragment_header():
    hbh = F.ipv6_ext(F.PROTO_HOPOPTS, b"\x05\x02\x00\x00")        # router alert option
    dst = F.ipv6_ext(F.PROTO_DSTOPTS, b"")
    l4 = F.udp(*V6, 1000, 2000, b"payload")
    pkt = F.ipv6(*V6, F.PROTO_UDP, l4, ext_headers=(hbh, dst))
    p = split(F.ethernet("02:00:00:00:00:01", "02:00:00:00:00:02", F.ETH_IPV6, pkt, vlan=(100, 200)))
    assert p["vlans"] == [100, 200] and p["ext_chain"] == [0, 60] and p["proto"] == 17 and p["l4"] == l4
    frags = F.ipv6_fragments(*V6, F.PROTO_UDP, l4 * 30, fragment_size=300, ident=9)
    parsed = [split(F.ethernet(b"\x02" * 6, b"\x04" * 6, F.ETH_IPV6, f)) for f in frags]
    assert all(q["ext_chain"] == [44] and q["frag"][1] == 9 for q in parsed)
    assert [q["frag"][0] & 1 for q in parsed] == [1] * (len(parsed) - 1) + [0]
    assert b"".join(q["l4"] for q in parsed) == l4 * 30


def test_vlan_tag_and_ethertype():
    frame = F.ethernet("aa:bb:cc:dd:ee:ff", "11:22:33:44:55:66", F.ETH_IPV4, b"\x45", vlan=42, pcp=5)
    assert frame[12:14] == b"\x81\x00" and struct.unpack("!H", frame[14:16])[0] == (5 << 13) | 42
    assert frame[16:18] == b"\x08\x00" and frame[:6] == bytes.fromhex("112233445566")


def test_other_link_headers():
    ip = F.ipv4(*V4, F.PROTO_UDP, F.udp(*V4, 1, 2))
    assert F.null_loopback(ip)[:4] == b"\x02\x00\x00\x00" and F.null_loopback(ip)[4:] == ip
    sll = F.linux_sll(ip)
    assert len(sll) == 16 + len(ip) and sll[14:16] == b"\x08\x00"
