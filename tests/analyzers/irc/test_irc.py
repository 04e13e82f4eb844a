"""IRC: line parsing, confirmation and the STARTTLS hand-off (payloads from Zeek's
tls/irc-starttls.pcap), and hostile input."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoestring.analyzers.irc import STARTTLS_SPEC, IrcAnalyzer, IrcParseError, looks_like_irc
from shoestring.analyzers.irc.parse import next_line, parse_line
from tests.analyzers.tls.streams import TRACES, tcp_streams
from tests.fakes import FakeContext, drive

STARTTLS = b"STARTTLS\r\n"
RPL_STARTTLS = b":irc.joulunet.org 670  :STARTTLS successful, go ahead with TLS handshake\r\n"
CLIENT_HELLO = b"\x16\x03\x01\x01\x38\x01\x00\x01\x34\x03\x03"
REGISTER = b"NICK zeek\r\nUSER zeek 0 * :Zeek\r\n"


def run(chunks):
    return drive(IrcAnalyzer, chunks, resp_p=6667)


def test_parse_line():
    assert parse_line(b":irc.joulunet.org 670  :STARTTLS successful") == \
        ("irc.joulunet.org", None, 670, " :STARTTLS successful")
    assert parse_line(b"privmsg #zeek :hi") == (None, "PRIVMSG", None, "#zeek :hi")
    assert parse_line(b"STARTTLS") == (None, "STARTTLS", None, "")


@pytest.mark.parametrize("line,weird,fatal", [
    (b"ab", "irc_line_too_short", False),
    (b":prefixonly", "irc_invalid_line", False),
    (b":p ab", "irc_invalid_line", True),
    (b"67x reply", "irc_invalid_reply_number", True),
    (b"x" * 513, "irc_line_size_exceeded", False)])
def test_parse_line_errors_carry_zeeks_weird(line, weird, fatal):
    with pytest.raises(IrcParseError) as info:
        parse_line(line)
    assert (info.value.weird, info.value.fatal) == (weird, fatal)


def test_next_line_one_at_a_time():
    buf = b"NICK a\r\nUSER b\nPRIV"
    assert next_line(buf) == (b"NICK a", 8)
    assert next_line(buf, 8) == (b"USER b", 15)
    assert next_line(buf, 15) is None                    # "PRIV" has no end yet


def test_starttls_confirms_and_hands_off():
    ctx = run([(True, STARTTLS), (False, RPL_STARTTLS), (True, CLIENT_HELLO)])
    assert ctx.services == ["irc"] and ctx.handoffs == [(None, b"", b"")]
    assert not ctx.violations and not ctx.weirds


def test_bytes_after_the_670_line_go_with_the_handoff():
    # TLS bytes hold line feeds too: they must come through as they are, not as lines.
    tls = b"\x16\x03\x03\x00\x0a\x02\n\x00\r\n\x00"
    ctx = run([(True, STARTTLS), (False, RPL_STARTTLS + tls)])
    assert ctx.handoffs == [(None, b"", tls)]


def test_plain_session_is_not_handed_off():
    ctx = run([(True, REGISTER), (False, b":srv 001 zeek :Welcome\r\n"),
               (True, b"JOIN #zeek\r\n")])
    assert ctx.services == ["irc", "irc", "irc"] and ctx.handoffs == []


def test_not_irc_is_a_violation():
    ctx = run([(False, b"1234 not a reply number\r\n")])
    assert ctx.violations == ["invalid reply number"] and not ctx.services


def test_too_many_long_commands_is_a_violation():
    ctx = run([(True, b"X" * 30 + b" y\r\n") for _ in range(25)])
    assert ctx.violations == ["too many long lines"]
    assert ("irc_too_many_invalid", None) in ctx.weirds


def test_endless_line_is_bounded():
    ctx = FakeContext(resp_p=6667)
    an = IrcAnalyzer(ctx)
    an.deliver(True, b"A" * 5000, 1.0)
    assert len(an.bufs[True]) == 0 and ("irc_line_size_exceeded", None) in ctx.weirds


def test_signature_and_spec():
    assert looks_like_irc(REGISTER, True) and looks_like_irc(b"CAP LS\r\n" + REGISTER, True)
    assert not looks_like_irc(REGISTER, False)
    assert not looks_like_irc(b"GET / HTTP/1.1\r\nUser-Agent: x\r\n", True)
    assert 6667 in STARTTLS_SPEC.tcp_ports


def test_corpus_trace():
    path = TRACES / "tls" / "irc-starttls.pcap"
    if not path.exists():
        pytest.skip("Zeek conformance corpus not present (../shared/conformance)")
    ((_key, chunks),) = tcp_streams(path).items()
    ctx = run([(o, d) for o, _ts, d in chunks])
    assert ctx.services == ["irc"] and ctx.handoffs == [(None, b"", b"")]


@settings(max_examples=300)
@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=300)), max_size=10))
def test_never_raises(chunks):
    for _, data in chunks:
        try:
            parse_line(data)
        except IrcParseError:
            pass
    ctx = run(chunks)
    assert len(ctx.handoffs) <= 1
    assert not any(name == "IRC_analyzer_error" for name, _ in ctx.weirds)
