"""The parser's speed shortcuts give exactly what the plain path gives: answers' owners
reusing the question's name, a reply's repeated question taken from the query's parse,
queries remembered across transaction ids, and looks_like_dns's early rejections; plus
the analyzer's lazily made state."""

import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shoestring.analyzers.dns import DnsAnalyzer, parse
from shoestring.analyzers.dns.parse import HEADER_LEN, _plausible, looks_like_dns, parse_message
from tests.fakes import FakeContext

from . import wire
from .test_properties import SEEDS, mutated

SETTINGS = settings(max_examples=400, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def outcome(buf, **kw):
    """parse_message's result in comparable form (errors by their weird and addl)."""
    try:
        hdr, qs, rrs, weirds, error, ok = parse_message(buf, **kw)
    except Exception as e:                      # noqa: BLE001 (compared, not hidden)
        return ("raised", type(e).__name__, getattr(e, "weird", None))
    err = None if error is None else (type(error).__name__, error.weird, error.addl)
    return hdr, qs, rrs, weirds, err, ok


labels = st.lists(st.binary(min_size=1, max_size=70), max_size=5)


@st.composite
def first_name_variants(draw):
    """Replies whose first question name is whole, compressed (into the header, or to
    a zero byte) or too long, each with answers owned through a pointer to offset 12."""
    parts = draw(labels)
    name = b"".join(bytes([len(p)]) + p for p in parts)
    tail = draw(st.sampled_from(("zero", "pointer", "long")))
    if tail == "zero":
        name += b"\x00"
    elif tail == "pointer":
        name += wire.ptr(draw(st.integers(0, 11)))
    else:
        name += (b"\x3f" + b"x" * 63) * 4 + b"\x00"          # over 255 octets
    answers = draw(st.lists(st.sampled_from((
        wire.rr(wire.ptr(12), 1, wire.a("192.0.2.1")),
        wire.rr(wire.ptr(12), 5, wire.name("alias.example")),
        wire.rr(wire.ptr(12), 16, wire.strings(b"text")),
        wire.rr(wire.name("other.example"), 1, wire.a("192.0.2.2")))), max_size=4))
    header = draw(st.binary(min_size=4, max_size=4)) + struct.pack(
        "!4H", draw(st.integers(1, 2)), len(answers), 0, 0)
    extra = wire.question("second.example") if header[5] == 2 else b""
    msg = header + name + struct.pack("!2H", 1, 1) + extra + b"".join(answers)
    cut = draw(st.integers(0, 3))
    return msg[:len(msg) - cut] if cut else msg


@SETTINGS
@given(st.one_of(first_name_variants(), mutated(), st.binary(max_size=300)),
       st.booleans())
def test_owner_reuse_changes_nothing(buf, netbios):
    for all_sections in (False, True):
        assert outcome(buf, netbios=netbios, all_sections=all_sections) == \
            outcome(buf, netbios=netbios, all_sections=all_sections, reuse_owner=False)


def test_owner_reuse_applies_to_the_usual_reply():
    msg = wire.response("www.Example.com", answers=[(1, wire.a("192.0.2.1")),
                                                   (1, wire.a("192.0.2.2"))])
    _hdr, qs, rrs, weirds, error, ok = parse_message(msg)
    assert [rr[1] for rr in rrs] == [b"www.Example.com"] * 2
    assert qs[0][0] is rrs[0][1] is rrs[1][1]            # the name object itself, reused
    assert (weirds, error, ok) == ([], None, True)


@SETTINGS
@given(st.lists(st.one_of(first_name_variants(), mutated(), st.sampled_from(SEEDS)),
                min_size=1, max_size=6), st.booleans())
def test_remembered_question_changes_nothing(messages, netbios):
    seen: list = []
    for msg in messages:
        assert outcome(msg, netbios=netbios, seen=seen) == outcome(msg, netbios=netbios)


def test_remembered_question_is_used_for_the_reply_only_when_identical():
    seen: list = []
    query = wire.query("a.example")
    parse_message(query, seen=seen)
    assert seen and seen[0] == wire.question("a.example")
    reply = wire.response("a.example", answers=[(1, wire.a("192.0.2.1"))])
    first = parse_message(reply, seen=seen)[1][0]
    assert first is seen[1]                                # taken, not parsed again
    other = wire.response("b.example", answers=[(1, wire.a("192.0.2.1"))])
    assert parse_message(other, seen=seen)[1] == [(b"b.example", 1, 1)]
    # A compressed question is not remembered: its name is read from other bytes (here
    # the header: transaction id 0x0161 and a zero flags byte spell the name "a"),
    # which the reply need not repeat.
    compressed = struct.pack("!6H", 0x0161, 0x0000, 1, 0, 0, 0) + wire.ptr(0) \
        + struct.pack("!2H", 1, 1)
    seen2: list = []
    assert parse_message(compressed, seen=seen2)[1] == [(b"a", 1, 1)]
    assert seen2 == []
    reply = struct.pack("!6H", 0x0161, 0x8180, 1, 0, 0, 0) + compressed[12:]
    assert outcome(reply, seen=seen2) == outcome(reply)
    assert outcome(reply)[4] == ("DNSParseError", "DNS_label_too_long", None)


def fresh(buf, **kw):
    """outcome() with no query remembered, and what it leaves in a new ``seen``."""
    parse._cached_queries.clear()
    seen: list = []
    return outcome(buf, seen=seen, **kw), seen


@SETTINGS
@given(st.one_of(first_name_variants(), mutated(), st.sampled_from(SEEDS),
                 st.binary(min_size=12, max_size=80)),
       st.binary(min_size=2, max_size=2), st.booleans(), st.booleans())
def test_remembered_query_changes_nothing(msg, tid, netbios, all_sections):
    kw = {"netbios": netbios, "all_sections": all_sections}
    other = tid + msg[2:]                       # the same query under another id
    expected = fresh(other, **kw)
    outcome(msg, **kw)                          # remembered, if it qualifies
    seen: list = []
    assert (outcome(other, seen=seen, **kw), seen) == expected


def test_remembered_query_is_used_and_bounded(monkeypatch):
    parse._cached_queries.clear()
    first = parse_message(wire.query("a.example", tid=1))
    again = parse_message(wire.query("a.example", tid=2))
    assert again[0][0] == 2 and again[0][1:] == first[0][1:]
    assert again[1][0] is first[1][0]                      # the parse itself, reused
    assert len(parse._cached_queries) == 1
    # Compressed, answered or noted queries are not remembered.
    parse_message(struct.pack("!6H", 0x0161, 0, 1, 0, 0, 0) + wire.ptr(0) + b"\0\1\0\1")
    parse_message(wire.header(an=1) + wire.question("b.example")
                  + wire.rr(wire.ptr(12), 1, wire.a("192.0.2.1")))
    parse_message(wire.header() + wire.question("x." * 130 + "example"))
    assert len(parse._cached_queries) == 1
    # A dynamic update's records sit in the authority section, parsed for updates only.
    update = wire.header(opcode=5, qd=1, ns=1) + wire.question("zone.example", qtype=6) \
        + wire.rr("host.zone.example", 1, wire.a("192.0.2.9"))
    for tid in (b"\0\1", b"\0\2"):
        assert len(parse_message(tid + update[2:])[2]) == 1
    assert len(parse._cached_queries) == 1
    monkeypatch.setattr(parse, "MAX_CACHED_QUERIES", 3)
    for n in range(5):
        parse_message(wire.query(f"{n}.example"))
        assert len(parse._cached_queries) <= 3
    big = wire.header() + wire.question("y" * 60 + "." + "z" * 60) + b"\0" * 500
    parse._cached_queries.clear()
    parse_message(big)
    assert parse._cached_queries == {}                     # too long to keep


def reference_looks_like_dns(payload, is_orig):
    """looks_like_dns without its early rejections."""
    if _plausible(payload, is_orig):
        return True
    if len(payload) >= 2 + HEADER_LEN:
        size = (payload[0] << 8) | payload[1]
        if size >= len(payload) - 2:
            return _plausible(payload[2:2 + size], is_orig)
    return False


@SETTINGS
@given(st.one_of(mutated(), mutated().map(wire.tcp_frame), st.binary(max_size=120),
                 st.sampled_from(SEEDS).map(wire.tcp_frame), st.sampled_from(SEEDS)),
       st.booleans())
def test_signature_early_rejections_change_nothing(payload, is_orig):
    assert looks_like_dns(payload, is_orig) == reference_looks_like_dns(payload, is_orig)


def test_signature_still_finds_dns():
    q = wire.query("example.com")
    assert looks_like_dns(q, True) and looks_like_dns(wire.tcp_frame(q), True)
    four = wire.header(qd=4) + b"".join(wire.question(f"{n}.example") for n in "abcd")
    assert looks_like_dns(four, True) and looks_like_dns(wire.tcp_frame(four), True)
    five = wire.header(qd=5) + b"".join(wire.question(f"{n}.example") for n in "abcde")
    assert not looks_like_dns(five, True) and not looks_like_dns(wire.tcp_frame(five), True)
    assert not looks_like_dns(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40,
                              True)


def test_udp_analyzer_makes_no_tcp_or_pending_state_it_does_not_use():
    ctx = FakeContext(resp_p=53, proto="udp")
    analyzer = DnsAnalyzer(ctx)
    analyzer.deliver(True, wire.query("example.com"), 1.0)
    analyzer.deliver(False, wire.response("example.com", answers=[(1, wire.a("192.0.2.1"))]),
                     1.5)
    # (attributes, not vars(): a compiled build keeps them in native slots)
    assert analyzer._stream is None and analyzer._pending_queries is None
    assert analyzer._pending_replies is None
    assert len(ctx.records["dns"]) == 1


def test_udp_connection_still_wants_data_after_a_pair():
    """Zeek logs every transaction on a UDP connection (one source port can carry
    several queries), so a finished pair must not put the connection on the fast path."""
    ctx = FakeContext(resp_p=53, proto="udp")
    analyzer = DnsAnalyzer(ctx)
    for tid, (ts, host) in enumerate(((1.0, "a.example"), (2.0, "b.example"))):
        analyzer.deliver(True, wire.query(host, tid=tid), ts)
        analyzer.deliver(False, wire.response(host, tid=tid,
                                              answers=[(1, wire.a("192.0.2.1"))]), ts + 0.5)
        assert analyzer.wants_more
    analyzer.finish(3.0)
    assert [r["query"] for r in ctx.records["dns"]] == ["a.example", "b.example"]


def test_tcp_buffers_made_at_first_data_or_gap():
    ctx = FakeContext(resp_p=53, proto="tcp")
    analyzer = DnsAnalyzer(ctx)
    analyzer.finish(0.0)                                   # no data: nothing to flush
    assert ctx.records == {} and analyzer._stream is None
    analyzer = DnsAnalyzer(ctx)
    analyzer.gap(True, 5, 1.0)
    analyzer.deliver(True, wire.tcp_frame(wire.query()), 1.1)      # that side is dead
    analyzer.deliver(False, wire.tcp_frame(wire.response(answers=[(1, wire.a("192.0.2.1"))])),
                     1.2)
    analyzer.finish(2.0)
    assert [r["query"] for r in ctx.records["dns"]] == ["example.com"]
    assert ctx.records["dns"][0]["qtype"] is None          # the query was never parsed
