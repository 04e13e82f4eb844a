"""XMPP: tag names, confirmation and the STARTTLS hand-off (payloads from Zeek's
tls/xmpp-starttls.pcap), and hostile input."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoestring.analyzers.xmpp import STARTTLS_SPEC, XmppAnalyzer, XmppParseError, looks_like_xmpp
from shoestring.analyzers.xmpp.parse import parse_tag
from tests.analyzers.tls.streams import TRACES, tcp_streams
from tests.fakes import drive

OPEN = (b"<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:client'"
        b" to='jabber.ccc.de' version='1.0'>")
SERVER_OPEN = (b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
               b"xmlns:stream='http://etherx.jabber.org/streams' id='3449578488' "
               b"from='jabber.ccc.de' version='1.0' xml:lang='en'>")
FEATURES = (b"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>"
            b"</starttls></stream:features>")
STARTTLS = b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
PROCEED = b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
CLIENT_HELLO = b"\x16\x03\x01\x01\x39\x01\x00\x01\x35\x03\x03"


def run(chunks):
    return drive(XmppAnalyzer, chunks, resp_p=5222)


def test_parse_tag_names_offsets_and_partial_tags():
    data = SERVER_OPEN + b"<stream:feat"
    name, end = parse_tag(data)
    assert (name, end) == ("?xml", 21)                   # <?xml version='1.0'?> is 21
    assert parse_tag(data, end) == ("stream:stream", len(SERVER_OPEN))
    assert parse_tag(data, len(SERVER_OPEN)) is None     # <stream:feat... unfinished
    assert parse_tag(b"text</stream:features>") == ("/stream:features", 22)
    assert parse_tag(b"< >") == (None, 3)
    with pytest.raises(XmppParseError):
        parse_tag(b"<" + b"a" * 9000)


def test_starttls_proceed_hands_off():
    ctx = run([(True, OPEN), (False, SERVER_OPEN), (False, FEATURES), (True, STARTTLS),
               (False, PROCEED), (True, CLIENT_HELLO)])
    assert ctx.services == ["xmpp"] and ctx.handoffs == [(None, b"", b"")]
    assert not ctx.weirds and not ctx.violations


def test_tls_bytes_in_the_proceed_segment_go_with_the_handoff():
    ctx = run([(True, OPEN + STARTTLS), (False, PROCEED + b"\x16\x03\x03")])
    assert ctx.handoffs == [(None, b"", b"\x16\x03\x03")]


def test_proceed_without_starttls_is_a_weird():
    ctx = run([(True, OPEN), (False, PROCEED)])
    assert ctx.handoffs == [] and ("XMPP: proceed without starttls", None) in ctx.weirds


def test_stops_once_past_starttls():
    ctx = run([(True, OPEN), (False, b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"),
               (True, STARTTLS), (False, PROCEED)])
    assert ctx.handoffs == [] and ctx.services == ["xmpp"]


def test_signature_and_spec():
    assert looks_like_xmpp(OPEN, True) and looks_like_xmpp(SERVER_OPEN, False)
    assert not looks_like_xmpp(b"<html><body>", True)
    assert {5222, 5269} <= STARTTLS_SPEC.tcp_ports


def test_corpus_trace():
    path = TRACES / "tls" / "xmpp-starttls.pcap"
    if not path.exists():
        pytest.skip("Zeek conformance corpus not present (../shared/conformance)")
    ((_key, chunks),) = tcp_streams(path).items()
    ctx = run([(o, d) for o, _ts, d in chunks])
    assert ctx.services == ["xmpp"] and ctx.handoffs == [(None, b"", b"")]


@settings(max_examples=300)
@given(st.lists(st.tuples(st.booleans(), st.one_of(
    st.binary(max_size=300),
    st.sampled_from([OPEN, STARTTLS, PROCEED, FEATURES, b"<", b">", b"</"]))), max_size=12))
def test_never_raises(chunks):
    for _, data in chunks:
        try:
            got = parse_tag(data)
            assert got is None or 0 < got[1] <= len(data)
        except XmppParseError:
            pass
    ctx = run(chunks)
    assert len(ctx.handoffs) <= 1
    assert not any(name == "XMPP_analyzer_error" for name, _ in ctx.weirds)
