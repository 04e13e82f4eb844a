"""Property tests: random and mutated bytes never break the RDP parsers or analyzer."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shoestring.analyzers.rdp import RdpAnalyzer, looks_like_rdp
from shoestring.analyzers.rdp import consts as C
from shoestring.analyzers.rdp.parse import (
    RdpParseError, data_blocks, gcc_blocks, mcs_user_data, parse_connect_request,
    parse_negotiation, parse_server_security, parse_tpkt, parse_x224, rsa_key_of)
from tests.fakes import FakeContext

from . import wire

_DER = wire.certificate("SERVR")
RESPONSE = wire.connect_response(wire.security_block([_DER]))
SEEDS = [wire.CONNECT_REQUEST, wire.CONNECT_CONFIRM, wire.connect_initial(wire.CLIENT_CORE),
         RESPONSE, wire.confirm(1)]


@st.composite
def mutated(draw, seeds=SEEDS):
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.integers(0, 2))
        pos = draw(st.integers(0, len(data)))
        if op == 0 and data:
            data[min(pos, len(data) - 1)] = draw(st.integers(0, 255))
        elif op == 1:
            data[pos:pos] = draw(st.binary(max_size=8))
        else:
            del data[pos:pos + draw(st.integers(1, 16))]
    return bytes(data)


def _each_parser(data: bytes) -> None:
    for call in (lambda: parse_tpkt(data), lambda: parse_x224(data),
                 lambda: parse_negotiation(data, 0), lambda: parse_connect_request(data),
                 lambda: mcs_user_data(data, C.MCS_CONNECT_RESPONSE),
                 lambda: gcc_blocks(data, C.H221_SERVER_KEY), lambda: data_blocks(data),
                 lambda: parse_server_security(data), lambda: rsa_key_of(data)):
        try:
            call()
        except RdpParseError:
            pass


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=400), mutated(), mutated([_DER])))
def test_parsers_raise_only_their_error(data):
    _each_parser(data)
    _each_parser(data[4:])          # past a TPKT header: X.224 and what it carries
    _each_parser(data[7:])
    looks_like_rdp(data, True)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.booleans(), st.one_of(mutated(), st.binary(max_size=200))),
                max_size=8))
def test_analyzer_never_raises(chunks):
    ctx = FakeContext(resp_p=3389)
    an = RdpAnalyzer(ctx)
    for i, (is_orig, data) in enumerate(chunks):
        an.deliver(is_orig, data, float(i))
        assert len(an.bufs[True]) <= 65535 + 200 and len(an.bufs[False]) <= 65535 + 200
    an.finish(99.0)
    assert not any(name == "RDP_analyzer_error" for name, _ in ctx.weirds)
    assert len(ctx.handoffs) <= 1
