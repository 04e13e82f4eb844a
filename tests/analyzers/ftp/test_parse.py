"""Byte-level tests of the FTP parsers (ports of Zeek's FTP built-ins); fuzzing."""

import pytest
from hypothesis import given, settings, strategies as st

from shoestring.analyzers.ftp.parse import (
    Endpoint, ParseError, build_url_ftp, compress_path, extract_count_last, extract_path,
    first_illegal_base64, looks_like_ftp, next_line, parse_eftp, parse_ftp_epsv,
    parse_ftp_pasv, parse_ftp_port, parse_request, reply_code)


def test_request_and_reply_code():
    assert parse_request(b"RETR robots.txt") == ("RETR", "robots.txt")
    assert parse_request(b"type  I") == ("TYPE", "I")
    assert parse_request(b"") == ("<missing>", "")
    assert reply_code(b"227 Entering") == 227 and reply_code(b"    text") == 0
    assert next_line(b"USER a\r\nPASS", 0) == (b"USER a", 8)


def test_port_and_pasv_like_zeek():
    assert parse_ftp_port("141,142,220,235,131,46") == Endpoint("141.142.220.235", 33582)
    assert parse_ftp_pasv("Entering Passive Mode (199,233,217,249,221,90)") == \
        Endpoint("199.233.217.249", 56666)
    assert parse_ftp_pasv("Entering Passive Mode 10,0,0,1,4,1") == Endpoint("10.0.0.1", 1025)
    with pytest.raises(ParseError):
        parse_ftp_port("1,2,3,256,0,21")
    with pytest.raises(ParseError):
        parse_ftp_pasv("no address here")


def test_extended_forms_rfc2428():
    # RFC 2428 section 2 and 3 examples.
    assert parse_eftp("|1|132.235.1.2|6275|") == Endpoint("132.235.1.2", 6275)
    assert parse_eftp("|2|1080::8:800:200C:417A|5282|") == Endpoint("1080::8:800:200c:417a", 5282)
    assert parse_ftp_epsv("Entering Extended Passive Mode (|||6446|)") == Endpoint("::", 6446)
    with pytest.raises(ParseError):
        parse_eftp("|1|1.2.3.4|99999|")


def test_file_size_is_the_last_number():
    msg = "Opening BINARY mode data connection for /mirror/internic/rfc/rfc1001.txt (154427 bytes)."
    assert extract_count_last(msg) == 154427
    assert extract_count_last("no digits") == 0        # Zeek's extract_count default


def test_paths_like_zeek():
    assert build_url_ftp("199.233.217.249", ".", "robots.txt") == "ftp://199.233.217.249/./robots.txt"
    assert build_url_ftp("1.2.3.4", "/pub", "../etc/x") == "ftp://1.2.3.4/etc/x"
    assert build_url_ftp("::1", ".", "/a//b/./c") == "ftp://[::1]/a/b/c"
    assert compress_path("/mirror/internic/") == "/mirror/internic/"
    assert extract_path('257 "/home/user" is current directory') == "/home/user"


def test_base64_check_and_signature():
    assert first_illegal_base64(b"FgMB AA==") == 32
    assert first_illegal_base64(b"FgMBAA==") is None
    assert looks_like_ftp(b"USER anonymous\r\n", True)
    assert looks_like_ftp(b"220 ftp ready\r\n", False)
    assert not looks_like_ftp(b"SSH-2.0-x", False)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_random_text_raises_only_parse_error(text):
    for fn in (parse_ftp_port, parse_ftp_pasv, parse_eftp, parse_ftp_epsv):
        try:
            fn(text)
        except ParseError:
            pass
    compress_path(text)
    extract_path(text)
    extract_count_last(text)
    parse_request(text.encode())
