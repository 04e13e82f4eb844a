"""Byte-level tests of the SMTP parsers and Zeek's address helpers; fuzzing."""

import pytest
from hypothesis import given, settings, strategies as st

from shoestring.analyzers.smtp.parse import (
    ParseError, extract_email_addrs, extract_first_email_addr, extract_ip_addresses,
    find_address_in_smtp_header, looks_like_smtp, next_line, parse_command, parse_header,
    parse_reply, rcpt_addresses, split_mime_email_addresses)


def test_next_line_strips_all_crs_and_returns_offset():
    assert next_line(b"EHLO x\r\r\nMAIL", 0) == (b"EHLO x", 9)
    assert next_line(b"partial", 0) == (None, 0)


def test_parse_command():
    assert parse_command(b"mail FROM:<robin@icir.org> size=9030") == \
        ("MAIL", "FROM:<robin@icir.org> size=9030")
    assert parse_command(b"RCPT   TO: <a@b.c>") == ("RCPT", "TO: <a@b.c>")
    assert parse_command(b"QUIT") == ("QUIT", "")


def test_parse_reply():
    assert parse_reply(b"250-SIZE 52428800") == (250, True, "SIZE 52428800")
    assert parse_reply(b"250 OK id=1Mugho-0003Dg-Un") == (250, False, "OK id=1Mugho-0003Dg-Un")
    assert parse_reply(b"354") == (354, False, "")
    with pytest.raises(ParseError):
        parse_reply(b"999 nope")
    with pytest.raises(ParseError):
        parse_reply(b"hello")


def test_parse_header_unfolded_and_comments():
    assert parse_header(b"Subject: Re: Bro SMTP CC Header") == ("SUBJECT", "Re: Bro SMTP CC Header")
    assert parse_header(b"x-mailer:(comment) Outlook") == ("X-MAILER", "Outlook")
    assert parse_header(b"no colon here") is None


def test_email_extraction_like_zeek():
    assert extract_first_email_addr("FROM: <gurpartap@patriots.in>") == "gurpartap@patriots.in"
    assert extract_first_email_addr("FROM:<robin@icir.org> size=9030") == "robin@icir.org"
    assert extract_first_email_addr("FROM:<>") is None
    assert rcpt_addresses("TO:<a@b.c> ORCPT=rfc822;x@y.z") == ["a@b.c", "x@y.z"]
    assert extract_email_addrs("a@b.c, d@e.f") == ["a@b.c", "d@e.f"]


def test_split_mime_addresses_keeps_display_names():
    assert split_mime_email_addresses('"Singh, G" <g@p.in>, x@y.z') == ['"Singh, G" <g@p.in>', "x@y.z"]


def test_ip_extraction_and_wrapping():
    hdr = ("from mail.iosphere.net (mail.iosphere.net [216.58.97.33]) by mail.netsync.net "
           "with esmtp; Mrz, 02 2004 12:55:34 -0700")
    assert find_address_in_smtp_header(hdr) == "216.58.97.33"
    assert extract_ip_addresses("ip=10.1.2.3x", check_wrapping=True) == []
    assert extract_ip_addresses("ip=10.1.2.3x") == ["10.1.2.3"]
    assert find_address_in_smtp_header("from a <1.1.1.1> by b") is None
    assert find_address_in_smtp_header("from a [1.1.1.1] by b [2.2.2.2]") == "2.2.2.2"
    assert extract_ip_addresses("[::1]", check_wrapping=True) == ["::1"]


def test_signature():
    assert looks_like_smtp(b"220 mail ESMTP\r\n", False)
    assert looks_like_smtp(b"EHLO GP\r\n", True)
    assert not looks_like_smtp(b"HTTP/1.1 200", False)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_lines_raise_only_parse_error(data):
    parse_command(data)
    parse_header(data)
    next_line(data, 0)
    text = data.decode("utf-8", "surrogateescape")
    extract_email_addrs(text)
    split_mime_email_addresses(text)
    extract_ip_addresses(text, True)
    try:
        parse_reply(data)
    except ParseError:
        pass
