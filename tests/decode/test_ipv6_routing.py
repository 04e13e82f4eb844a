"""IPv6 Routing headers (RFC 8200 §4.4) as Zeek's IPv6_Hdr_Chain takes them: the last
address of a type 0 or type 2 header with segments left is the packet's final destination
(the connection's responder), type 0 is always reported (deprecated by RFC 5095), and
malformed or repeated headers are named in weird.log."""

from __future__ import annotations

import socket

from shoestring.decode import link
from shoestring.decode.decoder import Decoder
from shoestring.synth import frames as F

SRC, DST, FINAL = "2001:db8::1", "2001:db8::2", "2001:db8::99"


def routing(rtype: int, segments_left: int, addresses: list[str]) -> tuple:
    body = bytes([rtype, segments_left]) + b"\x00" * 4
    body += b"".join(socket.inet_pton(socket.AF_INET6, a) for a in addresses)
    return F.ipv6_ext(F.PROTO_ROUTING, body)


def decode(*ext_headers):
    frame = F.ipv6(SRC, DST, F.PROTO_UDP, F.udp(SRC, FINAL, 5000, 53, b"hello"),
                   ext_headers=ext_headers)
    out, weirds = [], []
    Decoder(ignore_checksums=True).decode(1.0, link.DLT_RAW, frame, out, weirds)
    return out, [(w.name, w.addl) for w in weirds]


def text(addr: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET6, addr)


def test_type0_with_segments_left_routes_to_its_last_address_and_is_reported():
    out, weirds = decode(routing(0, 1, [FINAL]))
    assert text(out[0].dst) == FINAL and out[0].dport == 53
    assert weirds == [("routing0_hdr", "")]


def test_type0_with_no_segments_left_keeps_the_header_destination():
    out, weirds = decode(routing(0, 0, [FINAL]))
    assert text(out[0].dst) == DST and weirds == [("routing0_hdr", "")]


def test_type0_odd_length():
    # Three addresses: length field 6, even; a 24-byte pad makes it odd (7).
    hdr = routing(0, 1, [FINAL, FINAL, FINAL])
    odd = (hdr[0], bytes([7]) + hdr[1][1:] + b"\x00" * 8)
    out, weirds = decode(odd)
    assert text(out[0].dst) == DST
    assert weirds == [("odd_routing0_len", ""), ("routing0_hdr", "")]


def test_type2_mobile_ipv6_routes_silently():
    out, weirds = decode(routing(2, 1, [FINAL]))
    assert text(out[0].dst) == FINAL and weirds == []


def test_type2_of_the_wrong_length():
    out, weirds = decode(routing(2, 1, [FINAL, FINAL]))
    assert text(out[0].dst) == DST and weirds == [("bad_routing2_len", "")]


def test_unknown_routing_type_is_named_with_its_number():
    out, weirds = decode(routing(4, 1, [FINAL]))
    assert text(out[0].dst) == DST and weirds == [("unknown_routing_type", "4")]


def test_a_second_routing_header_is_reported_and_ignored():
    out, weirds = decode(routing(2, 1, [FINAL]), routing(2, 1, ["2001:db8::77"]))
    assert text(out[0].dst) == FINAL
    assert weirds == [("multiple_routing_headers", "")]
