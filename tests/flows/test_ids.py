"""Connection ids of Zeek's shape, and the Community ID v1 hash against the published
test vectors (github.com/corelight/community-id-spec, baseline/baseline_deflt.json and
baseline_seed1.json: proto, source, destination, "ports" as the spec maps them, and the
expected ID with seed 0 and seed 1)."""

from __future__ import annotations

import re
import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoestring.flows.ids import IdGenerator, _base62, community_id

# (proto, saddr, daddr, sport, dport, seed 0, seed 1). For ICMP the "ports" are the
# type and the counterpart type (or the code, for one-way types) as the spec maps them.
BASELINE = [
    (58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136,
     "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY="),
    (58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135,
     "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY="),
    (58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136,
     "1:zavyT/cezQr1fmImYCwYnMXbgck=", "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM="),
    (58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 136, 135,
     "1:zavyT/cezQr1fmImYCwYnMXbgck=", "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM="),
    (58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0,
     "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=", "1:lVEtCZpYu84Xqaa++3lXFyuu2n4="),
    (58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4,
     "1:hLZd0XGWojozrvxqE0dWB1iM6R0=", "1:W8MHwXpWzpoSTD+cGcaJr4u0ys8="),
    (58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129,
     "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", "1:GfZxjAkDk2MkegpBYHV6tadtFXQ="),
    (58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 128,
     "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", "1:GfZxjAkDk2MkegpBYHV6tadtFXQ="),
    (58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 134,
     "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=", "1:L7Ka0ZMYu+J3bL4ulW2PrqyXNo8="),
    (58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 133,
     "1:pkvHqCL88/tg1k4cPigmZXUtL00=", "1:K/ee5UCqAMAQXDorP5nSa2CGLjc="),
    (1, "192.168.0.89", "192.168.0.1", 8, 0,
     "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "1:03g6IloqVBdcZlPyX8r0hgoE7kA="),
    (1, "192.168.0.1", "192.168.0.89", 0, 8,
     "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "1:03g6IloqVBdcZlPyX8r0hgoE7kA="),
    (1, "10.0.0.1", "10.0.0.2", 11, 0,
     "1:YHxtAirCG//0OzkcVAukqKQN9xM=", "1:XjUibYHaafLQ3pxQeiMI8g25q20="),
    (6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25,
     "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "1:eJYTW6AOzFLlSUoESovMjnu7rMw="),
    (6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943,
     "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "1:eJYTW6AOzFLlSUoESovMjnu7rMw="),
    (132, "192.168.170.8", "192.168.170.56", 7, 7,
     "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg="),
    (132, "192.168.170.56", "192.168.170.8", 7, 7,
     "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg="),
    (6, "128.232.110.120", "66.35.250.204", 34855, 80,
     "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "1:3V71V58M3Ksw/yuFALMcW0LAHvc="),
    (6, "66.35.250.204", "128.232.110.120", 80, 34855,
     "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "1:3V71V58M3Ksw/yuFALMcW0LAHvc="),
    (17, "192.168.1.52", "8.8.8.8", 54585, 53,
     "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "1:Q9We8WO3piVF8yEQBNJF4uiSVrI="),
    (17, "8.8.8.8", "192.168.1.52", 53, 54585,
     "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "1:Q9We8WO3piVF8yEQBNJF4uiSVrI="),
    # RSVP (46) has no ports: the spec hashes no port bytes at all for it.
    (46, "10.1.12.1", "10.1.12.2", 0, 0,
     "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", "1:rYir8gphR31noO9iDRQmF/BteEI="),
    (46, "10.1.12.2", "10.1.12.1", 0, 0,
     "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", "1:rYir8gphR31noO9iDRQmF/BteEI="),
]

ONE_WAY = {(58, 3, 0), (58, 1, 4), (1, 11, 0)}     # ICMP types without a counterpart


def packed(addr: str) -> bytes:
    return socket.inet_pton(socket.AF_INET6 if ":" in addr else socket.AF_INET, addr)


@pytest.mark.parametrize("proto,src,dst,sport,dport,seed0,seed1", BASELINE)
def test_community_id_baseline(proto, src, dst, sport, dport, seed0, seed1):
    one_way = (proto, sport, dport) in ONE_WAY
    assert community_id(packed(src), packed(dst), proto, sport, dport,
                        one_way=one_way) == seed0
    assert community_id(packed(src), packed(dst), proto, sport, dport, seed=1,
                        one_way=one_way) == seed1


def test_one_way_icmp_is_not_reordered():
    """The spec's reference (community-id.py): a one-way ICMP message keeps its own
    direction, so the same unreachable from the higher address hashes differently from
    the lower one's; a two-way pair is ordered like ports."""
    lo, hi = packed("10.0.0.1"), packed("10.0.0.2")
    forward = community_id(lo, hi, 1, 3, 1, one_way=True)
    backward = community_id(hi, lo, 1, 3, 1, one_way=True)
    assert forward != backward
    assert community_id(hi, lo, 1, 8, 0) == community_id(lo, hi, 1, 0, 8)


def test_uids_have_zeeks_shape_and_follow_the_seed():
    a, b = IdGenerator(b"seed"), IdGenerator(b"seed")
    ids = [a.new() for _ in range(200)]
    assert ids == [b.new() for _ in range(200)]
    assert len(set(ids)) == 200
    for uid in ids:
        # "C" + base62 of 96 random bits: at most 17 digits, like Zeek's 18-character uids.
        assert re.fullmatch(r"C[0-9A-Za-z]{1,17}", uid), uid
    assert sum(len(u) >= 15 for u in ids) > 190
    assert IdGenerator(b"other").new() != IdGenerator(b"seed").new()
    assert IdGenerator(1).new("F").startswith("F")


_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@given(st.integers(min_value=0, max_value=(1 << 96) - 1))
def test_base62_is_the_positional_number(value):
    # The id's digits are cut ten and two at a time (speed); they must be the plain
    # base-62 digits of the number, most significant first, no leading zeros.
    digits = []
    rest = value
    while rest:
        rest, digit = divmod(rest, 62)
        digits.append(_DIGITS[digit])
    assert _base62(value) == ("".join(reversed(digits)) or "0")
