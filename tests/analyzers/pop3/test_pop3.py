"""POP3: commands, replies, confirmation and the STLS hand-off (payloads from Zeek's
tls/pop3-starttls.pcap), and hostile input."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoestring.analyzers.pop3 import STARTTLS_SPEC, Pop3Analyzer, Pop3ParseError, looks_like_pop3
from shoestring.analyzers.pop3.parse import (end_of_multiline, multiline, next_line,
                                             parse_command, parse_status)
from tests.analyzers.tls.streams import TRACES, tcp_streams
from tests.fakes import FakeContext, drive

GREETING = (b"+OK ladymacbeth.local Cyrus POP3 v2.3.16 server ready "
            b"<15125655727712503824.1400173552@ladymacbeth.local>\r\n")
STLS = b"STLS\r\n"
BEGIN_TLS = b"+OK Begin TLS negotiation now\r\n"
CLIENT_HELLO = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"


def run(chunks):
    return drive(Pop3Analyzer, chunks, resp_p=110)


def test_parsers():
    assert parse_command(b"user alice") == ("USER", "alice")
    assert parse_command(b"XYZZY 1") == (None, "1")
    assert parse_status(b"+OK fine") is True and parse_status(b"-ERR no") is False
    with pytest.raises(Pop3ParseError, match="HTTP/1.1"):
        parse_status(b"HTTP/1.1 200 OK")
    assert multiline(parse_command(b"LIST")) and not multiline(parse_command(b"LIST 1"))
    assert multiline(parse_command(b"CAPA")) and not multiline(parse_command(b"STAT"))


def test_lines_and_multiline_end():
    assert next_line(b"+OK a\r\nrest") == (b"+OK a", 7)
    assert end_of_multiline(b".\r\n+OK") == 3
    assert end_of_multiline(b"line\r\n..stuffed\r\n.\r\n", 0) == 20   # 6 + 11 + 3
    assert end_of_multiline(b"line\r\n.x\r\n") is None


def test_tls_bytes_after_the_ok_go_with_the_handoff():
    tls = b"\x16\x03\x03\x00\x0a\n\r\n.\r\n"
    ctx = run([(False, GREETING), (True, STLS), (False, BEGIN_TLS + tls)])
    assert ctx.handoffs == [(None, b"", tls)]


def test_big_mail_body_is_skipped_to_its_end():
    body = b"".join(b"line %d of the mail\r\n" % i for i in range(20000))
    ctx = FakeContext(resp_p=110)
    an = Pop3Analyzer(ctx)
    an.deliver(False, GREETING, 1.0)
    an.deliver(True, b"RETR 1\r\nSTLS\r\n", 1.1)
    an.deliver(False, b"+OK 123 octets\r\n" + body[:1000], 1.2)
    an.deliver(False, body[1000:] + b".\r\n" + BEGIN_TLS, 1.3)
    assert ctx.handoffs == [(None, b"", b"")] and len(an.bufs[False]) == 0


def test_stls_confirms_and_hands_off():
    ctx = run([(False, GREETING), (True, STLS), (False, BEGIN_TLS), (True, CLIENT_HELLO)])
    assert ctx.services == ["pop3"] and ctx.handoffs == [(None, b"", b"")]
    assert not ctx.violations and not ctx.weirds


def test_refused_stls_stays_cleartext():
    ctx = run([(False, GREETING), (True, STLS), (False, b"-ERR not now\r\n"),
               (True, b"USER alice\r\n"), (False, b"+OK\r\n")])
    assert ctx.handoffs == [] and ctx.services == ["pop3"]


def test_multiline_replies_do_not_confuse_the_queue():
    ctx = run([(False, GREETING), (True, b"CAPA\r\nSTLS\r\n"),
               (False, b"+OK list\r\nSTLS\r\nUSER\r\n.\r\n" + BEGIN_TLS)])
    assert ctx.services == ["pop3", "pop3"] and ctx.handoffs == [(None, b"", b"")]


def test_sasl_exchange_is_passed_over():
    ctx = run([(False, GREETING), (True, b"AUTH PLAIN\r\n"), (False, b"+ \r\n"),
               (True, b"AGFsaWNlAHNlY3JldA==\r\n"), (False, b"+OK welcome\r\n"),
               (True, b"STAT\r\n"), (False, b"+OK 0 0\r\n")])
    assert not ctx.violations and not ctx.weirds


def test_not_pop3_is_a_violation():
    ctx = run([(True, b"STAT\r\n"), (False, b"HTTP/1.1 400 Bad Request\r\n")])
    assert ctx.violations == ["unknown server command (HTTP/1.1)"]
    assert ("pop3_server_command_unknown", None) in ctx.weirds


def test_pipelining_is_bounded():
    ctx = run([(True, b"NOOP\r\n" * 100)])
    assert ctx.violations == ["too many pipelined commands"]


def test_signature_and_spec():
    assert looks_like_pop3(b"CAPA\r\n", True) and looks_like_pop3(b"user bob\r\n", True)
    assert not looks_like_pop3(GREETING, False) and not looks_like_pop3(b"CAPA", True)
    assert 110 in STARTTLS_SPEC.tcp_ports


def test_corpus_trace():
    path = TRACES / "tls" / "pop3-starttls.pcap"
    if not path.exists():
        pytest.skip("Zeek conformance corpus not present (../shared/conformance)")
    ((_key, chunks),) = tcp_streams(path).items()
    ctx = run([(o, d) for o, _ts, d in chunks])
    assert ctx.services == ["pop3"] and ctx.handoffs == [(None, b"", b"")]


@settings(max_examples=300)
@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=300)), max_size=10))
def test_never_raises(chunks):
    for _, data in chunks:
        parse_command(data)
        try:
            parse_status(data)
        except Pop3ParseError:
            pass
    ctx = run(chunks)
    assert len(ctx.handoffs) <= 1
    assert not any(name == "POP3_analyzer_error" for name, _ in ctx.weirds)


def test_long_body_line_is_bounded_without_a_weird():
    ctx = FakeContext(resp_p=110)
    an = Pop3Analyzer(ctx)
    an.deliver(False, GREETING, 1.0)
    an.deliver(True, b"RETR 1\r\n", 1.1)
    an.deliver(False, b"+OK\r\n" + b"x" * 5000, 1.2)
    assert len(an.bufs[False]) <= 1 and not ctx.weirds
    an.deliver(False, b".\r\n", 1.3)            # still inside the long line: not the end
    assert an.in_multiline
    an.deliver(False, b"\r\n.\r\n", 1.4)
    assert not an.in_multiline and not an.pending
