"""SOCKS message parsers, byte by byte (payloads from Zeek's socks-with-ssl.pcap and
tunnels/socks.pcap, plus RFC 1928/1929 examples)."""

import pytest

from shoestring.analyzers.socks.parse import (
    SocksParseError, V5Address, check_v5_request, looks_like_socks, parse_userpass_reply,
    parse_userpass_request, parse_v4_reply, parse_v4_request, parse_v5_greeting,
    parse_v5_message, parse_v5_method)

# tunnels/socks.pcap: VN 4, CONNECT, port 80, 192.150.187.12, empty user id
V4_REQ = b"\x04\x01\x00\x50\xc0\x96\xbb\x0c\x00"
V4_REP = b"\x00\x5a\x00\x00\x00\x00\x00\x00"          # VN 0, granted (0x5a)
# socks-with-ssl.pcap: greeting (1 method: none), CONNECT www.google.com:443, reply
V5_GREET = b"\x05\x01\x00"
V5_REQ = b"\x05\x01\x00\x03\x0ewww.google.com\x01\xbb"
V5_REP = b"\x05\x00\x00\x01\x00\x00\x00\x00\x01\xbb"


def test_v4_request():
    (req, end) = parse_v4_request(V4_REQ)
    assert (req.command, req.port, req.addr, req.user, req.host) == \
        (1, 80, "192.150.187.12", b"", None)
    assert end == len(V4_REQ)


def test_v4a_request_carries_a_host_name():
    data = b"\x04\x01\x01\xbb\x00\x00\x00\x01bob\x00example.org\x00rest"
    req, end = parse_v4_request(data)
    # 8 header bytes + "bob\0" (4) + "example.org\0" (12) = 24
    assert (req.addr, req.user, req.host, end) == ("0.0.0.1", b"bob", b"example.org", 24)


@pytest.mark.parametrize("cut", range(len(V4_REQ)))
def test_v4_request_needs_all_its_bytes(cut):
    assert parse_v4_request(V4_REQ[:cut]) is None


def test_v4_request_refuses_a_bad_command_and_an_endless_user():
    with pytest.raises(SocksParseError, match="command"):
        parse_v4_request(b"\x04\x07" + V4_REQ[2:])
    with pytest.raises(SocksParseError, match="longer than"):
        parse_v4_request(V4_REQ[:8] + b"u" * 300)


def test_v4_reply():
    rep, end = parse_v4_reply(V4_REP)
    assert (rep.status, rep.port, rep.addr, end) == (0x5A, 0, "0.0.0.0", 8)
    with pytest.raises(SocksParseError, match="version 9"):
        parse_v4_reply(b"\x09" + V4_REP[1:])


def test_v5_greeting_and_method():
    assert parse_v5_greeting(V5_GREET) == ((b"\x00",), 3)
    assert parse_v5_greeting(b"\x05\x02\x00") is None
    assert parse_v5_method(b"\x05\x00tail") == (0, 2)
    with pytest.raises(SocksParseError, match="version 6"):
        parse_v5_greeting(b"\x06\x01\x00")


def test_v5_request_with_a_domain_name():
    msg, end = parse_v5_message(V5_REQ)
    assert msg.code == 1 and msg.reserved == 0 and end == len(V5_REQ)
    assert msg.target == V5Address(None, "www.google.com", 443)
    check_v5_request(msg)


def test_v5_reply_and_ipv6_address():
    msg, end = parse_v5_message(V5_REP)
    assert (msg.code, msg.target, end) == (0, V5Address("0.0.0.0", None, 443), 10)
    v6 = b"\x05\x00\x00\x04" + bytes(15) + b"\x01" + b"\x1f\x90"
    assert parse_v5_message(v6)[0].target == V5Address("::1", None, 8080)
    assert parse_v5_message(v6[:-1]) is None


def test_v5_request_checks_as_zeek():
    with pytest.raises(SocksParseError, match="addr type: 2"):
        parse_v5_message(b"\x05\x01\x00\x02abcdef")
    bad_rsv, _ = parse_v5_message(b"\x05\x01\x07" + V5_REQ[3:])
    with pytest.raises(SocksParseError, match="reserved field: 7"):
        check_v5_request(bad_rsv)
    bad_cmd, _ = parse_v5_message(b"\x05\x09\x00" + V5_REQ[3:])
    with pytest.raises(SocksParseError, match="command field: 9"):
        check_v5_request(bad_cmd)


def test_userpass():
    up, end = parse_userpass_request(b"\x01\x03bob\x06s3cret!")
    assert (up.version, up.user, up.password, end) == (1, b"bob", b"s3cret", 12)
    assert parse_userpass_request(b"\x01\x03bo") is None
    assert parse_userpass_reply(b"\x01\x00") == ((1, 0), 2)
    other, end = parse_userpass_request(b"\x07junk")
    assert other.version == 7 and end == 5


def test_signature_needs_a_whole_client_message():
    assert looks_like_socks(V5_GREET, True) and looks_like_socks(V4_REQ, True)
    assert not looks_like_socks(V5_GREET, False)           # the client speaks first
    assert not looks_like_socks(V5_GREET + b"x", True)     # more than a greeting
    assert not looks_like_socks(b"\x05\x01", True)
    assert not looks_like_socks(b"\x05\x01\x42", True)     # method 0x42: unassigned
    assert not looks_like_socks(b"GET / HTTP/1.1\r\n", True)
    assert not looks_like_socks(b"\x04\x01\x00\x50\xc0\x96", True)
