"""Byte-level tests of the DHCP parser, and hostile input (hypothesis)."""

import struct

import pytest
from hypothesis import given, settings, strategies as st

from shoestring.analyzers.dhcp import consts as C
from shoestring.analyzers.dhcp.parse import (
    BadCookie, ParseError, Truncated, fmt_mac, looks_like_dhcp, parse_message, walk_options)

from .corpus import DHCP_PCAP, DISCOVER_PCAP


def bootp(op=1, xid=0x1234, chaddr=bytes.fromhex("90b11c994929"), yiaddr=0,
          options=b"\x35\x01\x01\xff", cookie=0x63825363) -> bytes:
    """A BOOTP header (RFC 2131 section 2) with ``options`` after the cookie."""
    return (struct.pack("!BBBBIHHIIII", op, 1, 6, 0, xid, 0, 0, 0, yiaddr, 0, 0)
            + chaddr.ljust(16, b"\0") + b"\0" * 64 + b"\0" * 128
            + struct.pack("!I", cookie) + options)


def test_fmt_mac_like_zeek():
    # Zeek's own unit cases for fmt_mac (src/util.cc).
    assert fmt_mac(b"") == ""
    assert fmt_mac(b"\x01\x02\x03\x04") == ""
    assert fmt_mac(b"\x01\x02\x03\x04\x05\x06") == "01:02:03:04:05:06"
    assert fmt_mac(b"\x01\x02\x03\x04\x05\x06\x00\x00") == "01:02:03:04:05:06"
    assert fmt_mac(b"\x01\x02\x03\x04\x05\x06\x07\x08") == "01:02:03:04:05:06:07:08"


def test_discover_from_corpus():
    msg = parse_message(DHCP_PCAP[0][5])
    assert msg.op == 1 and msg.xid == 0x7C0
    assert msg.msg_type == 1                              # 35 01 01: DISCOVER
    assert msg.requested_addr == "192.168.211.194"        # 32 04 c0a8d3c2
    assert msg.host_name == b"btest.is.cool"              # 0c 0d ...
    assert msg.chaddr == "90:b1:1c:99:49:29"
    assert msg.anomalies == ()


def test_offer_from_corpus():
    msg = parse_message(DHCP_PCAP[1][5])
    assert msg.op == 2 and msg.msg_type == 2
    assert msg.yiaddr == "128.2.6.97"
    assert msg.server_id == "128.2.6.152"                 # 36 04 80020698
    assert msg.lease_time == 900.0                        # 33 04 00000384
    assert msg.domain_name == b"cmu.edu"                  # 0f 07 cmu.edu


def test_nak_message_and_padding_after_end():
    msg = parse_message(DHCP_PCAP[3][5])
    assert msg.msg_type == 6
    assert msg.message == b"requested address not available"   # 38 1f ...
    assert msg.anomalies == ()                            # pad bytes after END are fine


def test_client_identifier_and_param_list():
    msg = parse_message(DISCOVER_PCAP[0][5])
    assert msg.client_id == (1, "00:0b:82:01:fc:42")      # 3d 07 01 000b8201fc42
    assert msg.param_list == bytes([1, 3, 6, 42])
    assert msg.requested_addr == "208.67.222.222"
    assert msg.host_name == b"test0000"


def test_client_fqdn_and_domain_nul_stripped():
    opts = (b"\x35\x01\x03" + b"\x51\x07\x01\x00\x00host\x00"[:9]
            + b"\x0f\x05corp\x00" + b"\xff")
    msg = parse_message(bootp(options=opts))
    assert msg.client_fqdn.flags == 1 and msg.client_fqdn.domain_name == b"host"
    assert msg.domain_name == b"corp"


def test_short_header_is_truncated():
    with pytest.raises(Truncated):
        parse_message(b"\x01" * 239)


def test_bad_cookie():
    with pytest.raises(BadCookie):
        parse_message(bootp(cookie=0xDEADBEEF))


def test_options_cut_short_keep_what_was_read():
    msg = parse_message(bootp(options=b"\x35\x01\x05\x0c\x10abc"))
    assert msg.msg_type == 5 and msg.host_name is None
    assert C.WEIRD_TRUNCATED in msg.anomalies


def test_missing_end_and_missing_type():
    msg = parse_message(bootp(options=b"\x0c\x02hi"))
    assert msg.msg_type == 0
    assert set(msg.anomalies) == {C.WEIRD_NO_END, C.WEIRD_NO_MSG_TYPE}


def test_wrong_length_address_option():
    msg = parse_message(bootp(options=b"\x35\x01\x03\x32\x03\x01\x02\x03\xff"))
    assert msg.requested_addr is None
    assert C.WEIRD_BAD_OPTION_LEN in msg.anomalies


def test_walk_options_value_and_offset():
    options, anomalies = walk_options(b"\x00\x00\x35\x01\x02\xff", 0)
    assert options == {53: b"\x02"} and anomalies == []


def test_signature():
    assert looks_like_dhcp(DHCP_PCAP[0][5], True)
    assert not looks_like_dhcp(b"GET / HTTP/1.1\r\n" * 20, True)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_raise_only_parse_error(data):
    try:
        parse_message(data)
    except ParseError:
        pass


@settings(max_examples=400, deadline=None)
@given(st.sampled_from([p[5] for p in DHCP_PCAP + DISCOVER_PCAP]),
       st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=12),
       st.integers(0, 400))
def test_mutated_corpus_messages_raise_only_parse_error(payload, flips, cut):
    data = bytearray(payload)
    for pos, value in flips:
        if pos < len(data):
            data[pos] = value
    try:
        parse_message(bytes(data[:len(data) - cut]))
    except ParseError:
        pass
