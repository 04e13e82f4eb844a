"""SocksAnalyzer through FakeContext: handshakes of Zeek's corpus traces and variants."""

import pytest

from shoestring.analyzers.socks import SPEC, SocksAnalyzer
from tests.analyzers.tls.streams import TRACES, expected_log, tcp_streams
from tests.fakes import FakeContext, drive

from .test_parse import V4_REP, V4_REQ, V5_GREET, V5_REP, V5_REQ

HELLO = b"\x16\x03\x01\x00\xa2\x01\x00\x00\x9e\x03\x01"     # the ClientHello that follows
HTTP_GET = b"GET / HTTP/1.1\r\nUser-Agent: curl/7.16.3\r\n"


def run(chunks, split=None):
    return drive(SocksAnalyzer, chunks, split, resp_p=1080)


@pytest.mark.parametrize("split", [None, 1, 3])
def test_socks5_handshake_hands_off_the_tls_inside(split):
    ctx = run([(True, V5_GREET), (False, b"\x05\x00"), (True, V5_REQ), (False, V5_REP),
               (True, HELLO)], split)
    assert ctx.services == ["socks"] and not ctx.violations and not ctx.weirds
    assert ctx.handoffs == [("Tunnel::SOCKS", b"", b"")]


@pytest.mark.parametrize("split", [None, 2])
def test_socks4_handshake(split):
    ctx = run([(True, V4_REQ), (False, V4_REP), (True, HTTP_GET)], split)
    assert ctx.services == ["socks"] and ctx.handoffs == [("Tunnel::SOCKS", b"", b"")]


def test_bytes_past_the_handshake_go_with_the_handoff():
    # A client that pipelines its request and first bytes; a reply in one segment with
    # the server's first bytes.
    ctx = run([(True, V4_REQ + HTTP_GET), (False, V4_REP + b"HTTP/1.1 200 OK\r\n")])
    assert ctx.handoffs == [("Tunnel::SOCKS", HTTP_GET, b"HTTP/1.1 200 OK\r\n")]


def test_username_password_subnegotiation():
    ctx = run([(True, b"\x05\x01\x02"), (False, b"\x05\x02"),
               (True, b"\x01\x03bob\x06s3cret"), (False, b"\x01\x00"),
               (True, V5_REQ), (False, V5_REP)])
    assert ctx.services == ["socks"] and ctx.handoffs == [("Tunnel::SOCKS", b"", b"")]
    assert not ctx.weirds


def test_gssapi_subnegotiation_is_skipped_with_zeeks_weird():
    ctx = run([(True, b"\x05\x01\x01"), (False, b"\x05\x01"),
               (True, b"\x01\x01\x00\x04abcd"), (False, b"\x01\x01\x00\x00"),
               (True, V5_REQ), (False, V5_REP)])
    assert ("socks5_unsupported_authentication_method", "1") in ctx.weirds
    assert ctx.handoffs == [("Tunnel::SOCKS", b"", b"")]


def test_a_refused_request_is_still_a_tunnel_as_in_zeek():
    ctx = run([(True, V4_REQ), (False, b"\x00\x5b\x00\x00\x00\x00\x00\x00")])
    assert ctx.services == ["socks"] and ctx.handoffs == [("Tunnel::SOCKS", b"", b"")]


def test_unanswered_request_is_logged_at_the_end():
    ctx = run([(True, V5_GREET), (False, b"\x05\x00"), (True, V5_REQ)])
    assert ctx.services == [] and ctx.handoffs == [("Tunnel::SOCKS", b"", b"")]


def test_no_request_no_tunnel():
    ctx = run([(True, V5_GREET), (False, b"\x05\xff")])
    assert ctx.handoffs == [] and ctx.services == []


@pytest.mark.parametrize("first", [b"GET / HTTP/1.1\r\n\r\n", b"\x16\x03\x01\x00\x05"])
def test_not_socks_is_a_violation(first):
    ctx = run([(True, first), (False, b"HTTP/1.1 200 OK\r\n\r\n")])
    assert ctx.violations and ctx.violations[0].startswith("unsupported/unknown SOCKS")
    assert ctx.handoffs == [] and ctx.services == []


def test_bad_reserved_byte_is_a_violation():
    ctx = run([(True, V5_GREET), (False, b"\x05\x00"), (True, b"\x05\x01\x01" + V5_REQ[3:])])
    assert ctx.violations == ["invalid value in reserved field: 1"] and not ctx.handoffs


def test_a_handshake_that_never_ends_is_bounded():
    ctx = run([(True, b"\x04\x01\x00\x50\x00\x00\x00\x01" + b"u" * 200 + b"\x00"
               + b"h" * 2000)])
    assert ctx.violations and ctx.handoffs == []


def test_gap_stops_the_analyzer():
    ctx = FakeContext(resp_p=1080)
    an = SocksAnalyzer(ctx)
    an.deliver(True, V5_GREET, 1.0)
    an.gap(False, 2, 1.1)
    an.deliver(True, V5_REQ, 1.2)
    an.deliver(False, V5_REP, 1.3)
    an.finish(2.0)
    assert ctx.handoffs == [] and ctx.services == [] and not ctx.violations


def test_spec_port_and_signature():
    assert 1080 in SPEC.tcp_ports and SPEC.signature(V5_GREET, True)


@pytest.mark.parametrize("trace,case", [
    ("socks-with-ssl.pcap", "scripts.base.protocols.socks.trace2"),
    ("tunnels/socks.pcap", "scripts.base.protocols.socks.trace3")])
def test_corpus_trace(trace, case):
    path = TRACES / trace
    if not path.exists():
        pytest.skip("Zeek conformance corpus not present (../shared/conformance)")
    ((key, chunks),) = tcp_streams(path).items()
    ctx = run([(o, d) for o, _ts, d in chunks])
    (row,) = expected_log(case, "tunnel")
    assert row["tunnel_type"] == "Tunnel::SOCKS" and int(row["id.resp_p"]) == key[3]
    assert ctx.services == ["socks"] and [h[0] for h in ctx.handoffs] == ["Tunnel::SOCKS"]


def test_wants_no_more_payload_after_the_handoff():
    ctx = FakeContext(resp_p=1080)
    an = SocksAnalyzer(ctx)
    an.deliver(True, V4_REQ, 1.0)
    assert an.wants_more
    an.deliver(False, V4_REP, 1.1)
    assert not an.wants_more
