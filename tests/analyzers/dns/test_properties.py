"""Property tests: random and mutated messages raise only DNSParseError from the parser,
and the analyzer never raises at all."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shoestring.analyzers.dns import DnsAnalyzer
from shoestring.analyzers.dns.parse import (
    DNSParseError, looks_like_dns, parse_message, parse_name, parse_rr)
from tests.fakes import FakeContext

from . import corpus, test_rdata, wire

SEEDS = [m[5] for m in corpus.DNSKEY2 + corpus.TXT_MULTIPLE + corpus.SPF + corpus.SMTP
         + corpus.ZERO_RRS] + [wire.response("Example.COM", rtype, [(rtype, rdata)])
                               for _id, rtype, rdata, _t, _w in test_rdata.CASES]


@st.composite
def mutated(draw):
    """A real message with bytes flipped, inserted, deleted or the tail cut off."""
    msg = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(("flip", "insert", "delete", "cut", "count")))
        pos = draw(st.integers(0, max(len(msg) - 1, 0)))
        if op == "flip" and msg:
            msg[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            msg[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and msg:
            del msg[pos]
        elif op == "cut":
            del msg[pos:]
        elif op == "count" and len(msg) >= 12:
            slot = draw(st.integers(2, 5)) * 2                    # one of the 4 counts
            msg[slot:slot + 2] = draw(st.integers(0, 0xFFFF)).to_bytes(2, "big")
    return bytes(msg)


def parses_or_raises_own_error(buf, **kw):
    try:
        hdr, qs, rrs, weirds, error, ok = parse_message(buf, **kw)
    except DNSParseError:
        return
    assert error is None or isinstance(error, DNSParseError)
    for rr in rrs:
        assert rr[5] is None or isinstance(rr[5], str)


SETTINGS = settings(max_examples=400, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.binary(max_size=600))
def test_random_bytes(buf):
    parses_or_raises_own_error(buf)
    parses_or_raises_own_error(buf, netbios=True, all_sections=True)
    looks_like_dns(buf, True)
    for off in (0, 12):
        try:
            parse_name(buf, off, [])
        except DNSParseError:
            pass
        try:
            parse_rr(buf, off, 1, [], netbios=bool(off))
        except DNSParseError:
            pass


@SETTINGS
@given(mutated())
def test_mutated_messages(buf):
    parses_or_raises_own_error(buf)
    parses_or_raises_own_error(buf, all_sections=True, udp=False)
    looks_like_dns(buf, False)


@SETTINGS
@given(st.lists(st.tuples(st.booleans(), st.one_of(mutated(), st.binary(max_size=80))),
                max_size=8),
       st.sampled_from(["udp", "tcp"]), st.sampled_from([53, 137, 5353]))
def test_analyzer_never_raises(chunks, proto, port):
    ctx = FakeContext(resp_p=port, proto=proto,
                      resp_h="224.0.0.251" if port == 5353 else "10.0.0.2")
    analyzer = DnsAnalyzer(ctx)
    ts = 1.0
    for is_orig, data in chunks:
        payload = wire.tcp_frame(data) if proto == "tcp" and is_orig else data
        analyzer.deliver(is_orig, payload, ts)
        ts += 0.01
    analyzer.gap(False, 10, ts)
    analyzer.finish(ts)
    assert all(name != "DNS_analyzer_error" for name, _ in ctx.weirds), ctx.weirds
    for rec in ctx.records.get("dns", []):
        assert isinstance(rec["trans_id"], int)
