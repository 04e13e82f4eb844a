"""RdpAnalyzer through FakeContext: the corpus trace's certificates, TLS hand-off, limits."""

import pytest

from shoestring.analyzers.rdp import SPEC, RdpAnalyzer
from tests.analyzers.tls.streams import TRACES, expected_log, tcp_streams
from tests.fakes import FakeContext, drive

from . import wire

CLIENT_HELLO = b"\x16\x03\x01\x00\xda\x01\x00\x00\xd6\x03\x03"


def run(chunks, split=None):
    return drive(RdpAnalyzer, chunks, split, resp_p=3389)


def sequence(certs, client_blocks=wire.CLIENT_CORE, **security):
    return [(True, wire.CONNECT_REQUEST), (False, wire.CONNECT_CONFIRM),
            (True, wire.connect_initial(client_blocks)),
            (False, wire.connect_response(wire.security_block(certs, **security)))]


@pytest.mark.parametrize("split", [None, 1, 100])
def test_standard_security_logs_the_certificates(split):
    a, b = wire.certificate("CA"), wire.certificate("SERVR", days=60)
    ctx = run(sequence([a, b]), split)
    assert ctx.services == ["rdp"] and not ctx.violations and not ctx.handoffs
    recs = ctx.records["x509"]
    assert [r["certificate.subject"] for r in recs] == ["CN=CA", "CN=SERVR"]
    assert all(r["host_cert"] is True and r["client_cert"] is False for r in recs)


def test_certificates_are_deduplicated_across_connections():
    der = wire.certificate("SERVR")
    ctx = FakeContext(resp_p=3389)
    for _ in range(2):
        an = RdpAnalyzer(ctx)
        for i, (is_orig, data) in enumerate(sequence([der])):
            an.deliver(is_orig, data, float(i))
        an.finish(9.0)
    assert len(ctx.records["x509"]) == 1


def test_mislabelled_rsa_key_gets_its_size_and_exponent():
    der = wire.relabel_key_as_md5_rsa(wire.certificate("SERVR"))
    ctx = run(sequence([der]))
    (rec,) = ctx.records["x509"]
    assert rec["certificate.key_alg"] == "md5WithRSAEncryption"
    assert (rec["certificate.key_type"], rec["certificate.key_length"],
            rec["certificate.exponent"]) == ("rsa", 1024, "65537")


def test_tls_selected_hands_off_with_the_bytes_that_follow():
    ctx = run([(True, wire.CONNECT_REQUEST), (False, wire.confirm(1)),
               (True, CLIENT_HELLO)])
    assert ctx.handoffs == [(None, b"", b"")] and ctx.services == []


def test_tls_bytes_in_the_same_segment_go_with_the_handoff():
    ctx = run([(True, wire.CONNECT_REQUEST), (False, wire.confirm(2) + b"\x16\x03\x03")])
    assert ctx.handoffs == [(None, b"", b"\x16\x03\x03")]


def test_client_core_data_alone_confirms():
    ctx = run(sequence([])[:3])
    assert ctx.services == ["rdp"] and "x509" not in ctx.records


def test_undecodable_certificate_is_a_weird():
    ctx = run(sequence([b"\x30\x03\x02\x01\x01"]))
    assert ("x509_cert_parse_error", None) in ctx.weirds and "x509" not in ctx.records
    assert ctx.services == ["rdp"]


@pytest.mark.parametrize("first", [b"GET / HTTP/1.1\r\n\r\n", b"\x03\x00\x00\x0b\x06\x80"
                                   b"\x00\x00\x00\x00\x00"])
def test_not_rdp_is_a_violation(first):
    ctx = run([(True, first)])
    assert ctx.violations and ctx.services == []


def test_endless_frames_are_bounded():
    frame = wire.tpkt(b"\x02\xf0\x80" + b"\x00" * 10)          # DT without MCS connect
    ctx = run([(True, wire.CONNECT_REQUEST + frame * 20)])
    assert ("RDP_connection_sequence_too_long", None) in ctx.weirds


def test_gap_stops_the_analyzer():
    ctx = FakeContext(resp_p=3389)
    an = RdpAnalyzer(ctx)
    an.deliver(True, wire.CONNECT_REQUEST, 1.0)
    an.gap(False, 19, 1.1)
    for is_orig, data in sequence([wire.certificate("X")])[2:]:
        an.deliver(is_orig, data, 1.2)
    assert ctx.services == [] and "x509" not in ctx.records


def test_spec():
    assert 3389 in SPEC.tcp_ports and SPEC.signature(wire.CONNECT_REQUEST, True)


def test_corpus_trace_rdp_x509():
    path = TRACES / "rdp" / "rdp-x509.pcap"
    if not path.exists():
        pytest.skip("Zeek conformance corpus not present (../shared/conformance)")
    ((_key, chunks),) = tcp_streams(path).items()
    ctx = run([(o, d) for o, _ts, d in chunks])
    expected = expected_log("scripts.base.protocols.rdp.rdp-x509", "x509")
    got = ctx.records["x509"]
    assert [r["fingerprint"] for r in got] == [e["fingerprint"] for e in expected]
    for rec, exp in zip(got, expected):
        for field in ("certificate.subject", "certificate.issuer", "certificate.serial",
                      "certificate.key_alg", "certificate.key_type", "certificate.sig_alg"):
            # Zeek's TSV doubles a backslash: the subject's \0D is written \\0D
            assert rec[field] == exp[field].replace("\\\\", "\\")
        assert str(rec["certificate.key_length"]) == exp["certificate.key_length"]
        assert rec["certificate.exponent"] == exp["certificate.exponent"]
    assert ctx.services == ["rdp"] and not ctx.violations


def test_wants_no_more_payload_once_the_connect_exchange_is_done():
    ctx = FakeContext(resp_p=3389)
    an = RdpAnalyzer(ctx)
    chunks = sequence([wire.certificate("SERVR")])
    for is_orig, data in chunks[:-1]:
        an.deliver(is_orig, data, 1.0)
    assert an.wants_more
    an.deliver(*chunks[-1], 1.1)
    assert not an.wants_more
