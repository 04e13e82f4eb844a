"""Property tests: random and mutated bytes never break the SOCKS parsers or analyzer."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shoestring.analyzers.socks import SocksAnalyzer, looks_like_socks
from shoestring.analyzers.socks.parse import (
    SocksParseError, parse_userpass_reply, parse_userpass_request, parse_v4_reply,
    parse_v4_request, parse_v5_greeting, parse_v5_message, parse_v5_method)
from tests.fakes import FakeContext

from .test_parse import V4_REP, V4_REQ, V5_GREET, V5_REP, V5_REQ

PARSERS = (parse_v4_request, parse_v4_reply, parse_v5_greeting, parse_v5_method,
           parse_v5_message, parse_userpass_request, parse_userpass_reply)
SEEDS = [V4_REQ, V4_REP, V5_GREET, b"\x05\x00", V5_REQ, V5_REP, b"\x01\x03bob\x02pw"]


@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.integers(0, 2))
        pos = draw(st.integers(0, len(data)))
        if op == 0 and data:
            data[min(pos, len(data) - 1)] = draw(st.integers(0, 255))
        elif op == 1:
            data[pos:pos] = draw(st.binary(max_size=8))
        else:
            del data[pos:pos + draw(st.integers(1, 4))]
    return bytes(data)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=600), mutated()), st.integers(0, 8))
def test_parsers_raise_only_their_error(data, offset):
    for parse in PARSERS:
        try:
            got = parse(data, offset)
        except SocksParseError:
            continue
        if got is not None:
            _msg, end = got
            assert offset <= end <= max(len(data), offset)
    looks_like_socks(data, True)
    looks_like_socks(data, False)


# A conversation: which side sends each chunk, and the chunk.
conversation = st.lists(st.tuples(st.booleans(), st.one_of(mutated(), st.binary(max_size=300))),
                        max_size=12)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(conversation, st.booleans())
def test_analyzer_never_raises_and_stays_bounded(chunks, with_gap):
    ctx = FakeContext(resp_p=1080)
    an = SocksAnalyzer(ctx)
    for i, (is_orig, data) in enumerate(chunks):
        an.deliver(is_orig, data, float(i))
        if with_gap and i == 2:
            an.gap(is_orig, 10, float(i))
        assert len(an.bufs[True]) <= 16384 + 300 and len(an.bufs[False]) <= 16384 + 300
    an.finish(99.0)
    assert len(ctx.handoffs) <= 1
    assert all(h[0] == "Tunnel::SOCKS" for h in ctx.handoffs)
    assert not any(name == "SOCKS_analyzer_error" for name, _ in ctx.weirds)


@settings(max_examples=200)
@given(st.sampled_from([
    [(True, V5_GREET), (False, b"\x05\x00"), (True, V5_REQ), (False, V5_REP)],
    [(True, V4_REQ), (False, V4_REP)]]), st.integers(1, 7), st.binary(max_size=40))
def test_any_segmentation_gives_the_same_handoff(convo, size, tail):
    ctx = FakeContext(resp_p=1080)
    an = SocksAnalyzer(ctx)
    convo = convo[:-1] + [(False, convo[-1][1] + tail)]
    for is_orig, data in convo:
        for j in range(0, len(data), size):
            an.deliver(is_orig, data[j:j + size], 1.0)
    an.finish(2.0)
    assert ctx.services == ["socks"]
    (kind, orig, resp), = ctx.handoffs
    # The tail arrives in pieces: whatever came with the reply's last piece is handed
    # over, the rest would reach detection directly.
    assert kind == "Tunnel::SOCKS" and orig == b"" and tail.startswith(resp)
