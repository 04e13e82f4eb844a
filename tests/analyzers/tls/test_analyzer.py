"""TlsAnalyzer through FakeContext: real handshakes (stdlib ssl, and Zeek's corpus traces)."""

import hashlib
import ssl

import pytest

from shoestring.analyzers.tls import SPEC, DtlsAnalyzer, TlsAnalyzer, looks_like_tls
from tests.fakes import FakeContext, drive

from .hello import alpn, client_hello_body, ext, handshake, record, server_hello_body, sni
from .loopback import handshake as tls_handshake
from .streams import CASES as CASES_DIR
from .streams import TRACES, expected_log, tcp_streams


def run(chunks, split=None, **ctx_args):
    return drive(TlsAnalyzer, chunks, split, **{"resp_p": 443, **ctx_args})


@pytest.mark.parametrize("split", [None, 7])
def test_tls13_loopback(split):
    chunks, der = tls_handshake(ssl.TLSVersion.TLSv1_3)
    ctx = run(chunks, split)
    (rec,) = ctx.records["ssl"]
    assert rec["version"] == "TLSv13" and rec["cipher"].startswith("TLS_")
    # ALPN's answer travels in the encrypted EncryptedExtensions in 1.3: unseen, as for Zeek
    assert rec["server_name"] == "test.example" and rec["next_protocol"] is None
    assert rec["established"] is True and rec["resumed"] is False
    assert rec["curve"] in ("x25519", "X25519MLKEM768", "secp256r1")
    # certificates are encrypted in TLS 1.3: none seen, so no chains and no SNI verdict
    assert rec["cert_chain_fps"] is None and rec["sni_matches_cert"] is None
    assert rec["ssl_history"].startswith("Cs")
    assert rec["ja3"] and len(rec["ja3"]) == 32 and rec["ja4"].startswith("t13d")
    assert rec["ja3s"] and ctx.services == ["ssl"] and not ctx.violations
    assert "x509" not in ctx.records


def test_tls12_loopback_certificates_and_x509():
    chunks, der = tls_handshake(ssl.TLSVersion.TLSv1_2)
    ctx = run(chunks)
    (rec,) = ctx.records["ssl"]
    fp = hashlib.sha256(der).hexdigest()
    assert rec["version"] == "TLSv12" and "_ECDHE_" in rec["cipher"]
    assert rec["curve"] is not None and rec["established"] is True
    assert rec["next_protocol"] == "h2"
    assert rec["cert_chain_fps"] == [fp] and rec["client_cert_chain_fps"] == []
    assert rec["sni_matches_cert"] is True
    assert rec["ssl_history"].startswith("CsxknGI")
    (x,) = ctx.records["x509"]
    assert x["fingerprint"] == fp and x["host_cert"] is True and x["client_cert"] is False
    assert x["certificate.subject"] == "CN=test.example,O=Shoestring\\, Test,C=IN"
    assert x["certificate.serial"] == "1234ABCD" and x["certificate.curve"] == "prime256v1"
    assert x["san.dns"] == ["test.example", "*.test.example"]


def test_tls12_sni_mismatch():
    chunks, _ = tls_handshake(ssl.TLSVersion.TLSv1_2, sni="other.example")
    (rec,) = run(chunks).records["ssl"]
    assert rec["server_name"] == "other.example" and rec["sni_matches_cert"] is False


def test_certificate_seen_twice_is_logged_once_per_run():
    chunks, _ = tls_handshake(ssl.TLSVersion.TLSv1_2)
    ctx = FakeContext()
    for _ in range(2):
        a = TlsAnalyzer(ctx)
        for is_orig, data in chunks:
            a.deliver(is_orig, data, 1.0)
        a.finish(2.0)
    assert len(ctx.records["ssl"]) == 2 and len(ctx.records["x509"]) == 1


def test_alert_and_unestablished_handshake():
    ch = handshake(1, client_hello_body(exts=sni("a.example")))
    sh = handshake(2, server_hello_body(cipher=0x002F))
    ctx = FakeContext()
    a = TlsAnalyzer(ctx)
    a.deliver(True, record(22, ch, 0x0301), 1.0)
    a.deliver(False, record(22, sh) + record(21, bytes.fromhex("0228")), 2.0)
    a.finish(3.0)
    (rec,) = ctx.records["ssl"]
    assert rec["ssl_history"] == "Csl" and rec["last_alert"] == "handshake_failure"
    assert rec["established"] is False and rec["cipher"] == "TLS_RSA_WITH_AES_128_CBC_SHA"
    assert rec["version"] == "TLSv12" and rec["server_name"] == "a.example"


def test_hello_retry_request_letter_and_many_server_names():
    from shoestring.analyzers.tls.consts import HRR_RANDOM
    two = ext(0, bytes.fromhex("000c") + b"\x00\x00\x03a.b" + b"\x00\x00\x03c.d")
    ch = handshake(1, client_hello_body(exts=two))
    hrr = handshake(2, server_hello_body(cipher=0x1301, random=HRR_RANDOM,
                                         exts=ext(43, b"\x03\x04") + ext(51, b"\x00\x17")))
    ctx = FakeContext()
    a = TlsAnalyzer(ctx)
    a.deliver(True, record(22, ch), 1.0)
    a.deliver(False, record(22, hrr), 2.0)
    a.deliver(True, record(22, ch), 3.0)
    a.finish(4.0)
    (rec,) = ctx.records["ssl"]
    assert rec["ssl_history"] == "CjC" and rec["version"] == "TLSv13"
    assert rec["curve"] == "secp256r1" and rec["server_name"] == "a.b"
    assert ("SSL_many_server_names", "a.b,c.d") in ctx.weirds


def test_not_tls_is_a_violation_without_a_log():
    ctx = FakeContext()
    a = TlsAnalyzer(ctx)
    a.deliver(True, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1.0)
    a.deliver(True, record(22, handshake(1, client_hello_body())), 2.0)   # ignored now
    a.finish(3.0)
    assert ctx.violations and "ssl" not in ctx.records and not ctx.services


def test_gap_stops_analysis_but_logs():
    ctx = FakeContext()
    a = TlsAnalyzer(ctx)
    a.deliver(True, record(22, handshake(1, client_hello_body(exts=alpn("h2")))), 1.0)
    a.gap(False, 100, 2.0)
    a.deliver(False, record(22, handshake(2, server_hello_body())), 3.0)
    a.finish(4.0)
    (rec,) = ctx.records["ssl"]
    assert rec["ssl_history"] == "C" and rec["version"] is None


def test_truncated_record_at_end_is_a_weird():
    ctx = FakeContext()
    a = TlsAnalyzer(ctx)
    a.deliver(True, record(22, handshake(1, client_hello_body())), 1.0)
    a.deliver(False, bytes.fromhex("16 0303 4000") + b"partial", 2.0)
    a.finish(3.0)
    assert any(w[0] == "SSL_truncated_record" for w in ctx.weirds)
    assert len(ctx.records["ssl"]) == 1


def test_bad_certificate_is_a_weird_not_a_crash():
    junk = b"\x30\x82\x00\x03abc"
    cert_msg = handshake(11, (len(junk) + 3).to_bytes(3, "big") + len(junk).to_bytes(3, "big")
                         + junk)
    ctx = FakeContext()
    a = TlsAnalyzer(ctx)
    a.deliver(True, record(22, handshake(1, client_hello_body())), 1.0)
    a.deliver(False, record(22, handshake(2, server_hello_body()) + cert_msg), 2.0)
    a.finish(3.0)
    assert any(w[0] == "x509_cert_parse_error" for w in ctx.weirds)
    (rec,) = ctx.records["ssl"]
    assert rec["cert_chain_fps"] == [hashlib.sha256(junk).hexdigest()]
    assert "x509" not in ctx.records


def test_spec_and_signature():
    assert SPEC.name == "ssl" and 443 in SPEC.tcp_ports and 993 in SPEC.tcp_ports
    assert SPEC.udp_ports == {443}
    hello = record(22, handshake(1, client_hello_body()), 0x0301)
    assert looks_like_tls(hello, True) and not looks_like_tls(hello, False)
    assert looks_like_tls(record(22, handshake(2, server_hello_body())), False)
    assert looks_like_tls(bytes.fromhex("8031 01 0301 0018 0000 0010"), True)   # SSLv2
    assert not looks_like_tls(b"SSH-2.0-OpenSSH_9.0\r\n", True)
    dtls = bytes.fromhex("16 fefd 0000 000000000000 0010 01")
    assert looks_like_tls(dtls + bytes(20), True)
    assert isinstance(SPEC.factory(FakeContext(proto="udp")), DtlsAnalyzer)
    assert isinstance(SPEC.factory(FakeContext()), TlsAnalyzer)


def test_dtls_client_and_server_hello():
    import struct
    body = (struct.pack(">H", 0xFEFD) + bytes(32) + b"\x00" + b"\x00"
            + bytes.fromhex("0002c02b") + b"\x01\x00")
    hs = bytes([1]) + len(body).to_bytes(3, "big") + b"\x00\x00" + b"\x00\x00\x00" \
        + len(body).to_bytes(3, "big") + body
    dgram = bytes.fromhex("16 feff 0000 000000000000") + len(hs).to_bytes(2, "big") + hs
    ctx = FakeContext(proto="udp")
    a = DtlsAnalyzer(ctx)
    a.deliver(True, dgram, 1.0)
    a.finish(2.0)
    (rec,) = ctx.records["ssl"]
    assert rec["ssl_history"] == "C" and rec["ja4"].startswith("d")
    assert ctx.services == ["dtls"]


def test_dtls_analyzer_leaves_quic_alone():
    # a QUIC Initial's first bytes (long header, version 1) on 443/udp, where both attach
    ctx = FakeContext(proto="udp")
    a = DtlsAnalyzer(ctx)
    a.deliver(True, bytes.fromhex("c3 00000001 08") + bytes(40), 1.0)
    a.finish(2.0)
    assert ctx.violations and not ctx.records and not ctx.services


# -- Zeek's own traces: ssl.log field for field --------------------------------------------
CASES = {
    "scripts.base.protocols.ssl.basic": "tls/tls-conn-with-extensions.pcap",
    "scripts.base.protocols.ssl.ecdhe": "tls/ecdhe.pcap",
    "scripts.base.protocols.ssl.ecdsa": "tls/ecdsa-cert.pcap",
    "scripts.base.protocols.ssl.tls13-version": "tls/tls13draft23-chrome67.0.3368.0-canary.pcap",
    "scripts.base.protocols.ssl.tls1_1": "tls/tls1_1.pcap",
    "scripts.base.protocols.xmpp.starttls": "tls/xmpp-starttls.pcap",
    "scripts.base.protocols.irc.starttls": "tls/irc-starttls.pcap",
    "scripts.base.protocols.pop3.starttls": "tls/pop3-starttls.pcap",
}


def zeek_text(v):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "T" if v else "F"
    if isinstance(v, list):
        return ",".join(v) if v else "(empty)"
    if isinstance(v, float):
        return f"{v:.6f}"
    return str(v)


def replay(trace):
    """Per connection: ssl and x509 records; STARTTLS streams start at the first record."""
    out = []
    for key, chunks in tcp_streams(TRACES / trace).items():
        ctx = FakeContext(orig_p=key[1], resp_p=key[3])
        a, started = TlsAnalyzer(ctx), {True: False, False: False}
        for is_orig, ts, data in chunks:
            if not started[is_orig]:
                if not (data[:1] == b"\x16" and data[1:2] == b"\x03"):
                    continue          # the cleartext part a STARTTLS analyzer would own
                started[is_orig] = True
            a.deliver(is_orig, data, ts)
        a.finish(0.0)
        out.append(ctx)
    return out


@pytest.mark.skipif(not TRACES.exists(), reason="conformance corpus not present")
@pytest.mark.parametrize("case", sorted(CASES))
def test_zeek_corpus(case):
    ctxs = replay(CASES[case])
    got_ssl = [r for c in ctxs for r in c.records.get("ssl", [])]
    want = expected_log(case, "ssl")
    assert len(got_ssl) == len(want)
    for w in want:
        (g,) = [r for r in got_ssl if str(r["id.orig_p"]) == w["id.orig_p"]]
        for field in w:
            if field not in ("ts", "uid") and not field.startswith("id."):
                assert zeek_text(g[field]) == w[field], field
    got_x509 = {r["fingerprint"]: r for c in ctxs for r in c.records.get("x509", [])}
    has_x509 = (CASES_DIR / case / "expected" / "x509.log").exists()
    for w in expected_log(case, "x509") if has_x509 else []:
        g = got_x509[w["fingerprint"]]
        for field in w:
            if field != "ts":
                assert zeek_text(g[field]) == w[field], field


def _conversation(*steps):
    ctx = FakeContext()
    a = TlsAnalyzer(ctx)
    for i, (is_orig, data) in enumerate(steps):
        a.deliver(is_orig, data, float(i))
    a.finish(99.0)
    return ctx


def test_tls12_session_id_resumption():
    sid = bytes(range(1, 33))
    ctx = _conversation(
        (True, record(22, handshake(1, client_hello_body(session_id=sid)))),
        (False, record(22, handshake(2, server_hello_body(session_id=sid)))
         + record(20, b"\x01") + record(22, b"encrypted-finished")),
        (True, record(20, b"\x01") + record(22, b"encrypted-finished")))
    (rec,) = ctx.records["ssl"]
    # abbreviated handshake: server CCS first; established at the client's encrypted Finished
    assert rec["resumed"] is True and rec["established"] is True
    assert rec["ssl_history"] == "CsiI"


def test_tls12_ticket_resumption_with_empty_session_id():
    ticket = ext(35, b"T" * 32)
    ctx = _conversation(
        (True, record(22, handshake(1, client_hello_body(exts=ticket)))),
        (False, record(22, handshake(2, server_hello_body(session_id=b"\x05" * 32)))
         + record(20, b"\x01")),
        (True, record(20, b"\x01")), (False, record(23, b"data")))
    (rec,) = ctx.records["ssl"]
    assert rec["resumed"] is True and rec["established"] is True


def test_tls13_psk_resumption_without_ccs():
    from .hello import u16s
    ch = client_hello_body(exts=ext(43, b"\x02\x03\x04") + ext(41, b"psk"))
    sh = server_hello_body(cipher=0x1301, exts=ext(43, u16s([0x0304])) + ext(41, u16s([0])))
    ctx = _conversation((True, record(22, handshake(1, ch))),
                        (False, record(22, handshake(2, sh)) + record(23, b"enc")),
                        (True, record(23, b"enc")))
    (rec,) = ctx.records["ssl"]
    assert rec["resumed"] is True and rec["established"] is True
    assert rec["ssl_history"] == "Cs" and rec["cipher"] == "TLS_AES_128_GCM_SHA256"


def test_sslv2_handshake():
    from .loopback import make_cert
    from cryptography.hazmat.primitives import serialization
    der = make_cert()[1].public_bytes(serialization.Encoding.DER)

    def v2(body):                       # 2-byte SSLv2 record header
        return bytes([0x80 | (len(body) >> 8), len(body) & 0xFF]) + body
    client_hello = v2(bytes.fromhex("01 0002 0003 0000 0010 010080") + b"C" * 16)
    server_hello = v2(bytes.fromhex("04 00 01 0002") + len(der).to_bytes(2, "big")
                      + bytes.fromhex("0003 0010") + der + bytes.fromhex("010080") + b"I" * 16)
    master_key = v2(bytes.fromhex("02 010080 0000 0000 0000"))
    ctx = _conversation((True, client_hello), (False, server_hello), (True, master_key),
                        (True, v2(b"encrypted")))
    (rec,) = ctx.records["ssl"]
    assert rec["version"] == "SSLv2" and rec["cipher"] == "SSLv20_CK_RC4_128_WITH_MD5"
    assert rec["ssl_history"] == "Cs" and rec["established"] is True
    assert rec["cert_chain_fps"] == [hashlib.sha256(der).hexdigest()]
    assert ctx.records["x509"][0]["host_cert"] is True and ctx.services == ["ssl"]


def test_plaintext_application_data_before_encryption_is_a_weird():
    ctx = _conversation((True, record(22, handshake(1, client_hello_body()))),
                        (False, record(22, handshake(2, server_hello_body()))),
                        (True, record(23, b"cleartext?")))
    assert ("ssl_early_application_data", None) in ctx.weirds
