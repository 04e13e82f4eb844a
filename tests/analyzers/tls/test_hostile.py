"""Hostile input: random and mutated records, hellos and streams. Parsers raise only
TLSParseError; the analyzer never raises and stays bounded."""

import ssl

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shoestring.analyzers.tls import DtlsAnalyzer, TlsAnalyzer
from shoestring.analyzers.tls.parse import (MAX_HANDSHAKE_LEN, MAX_RECORD_LEN, HandshakeReader,
                                            RecordReader, TLSParseError, parse_alert,
                                            parse_certificate, parse_client_hello,
                                            parse_dtls_records, parse_new_session_ticket,
                                            parse_server_hello,
                                            parse_server_key_exchange_curve,
                                            parse_sslv2_client_hello, parse_sslv2_server_hello)
from tests.fakes import FakeContext

from .hello import alpn, client_hello_body, handshake, record, server_hello_body, sni
from .loopback import handshake as tls_handshake

PARSERS = [parse_client_hello, parse_server_hello, parse_certificate, parse_alert,
           parse_server_key_exchange_curve, parse_new_session_ticket, parse_dtls_records,
           parse_sslv2_client_hello, parse_sslv2_server_hello,
           lambda b: parse_client_hello(b, dtls=True),
           lambda b: parse_certificate(b, tls13=True),
           lambda b: parse_new_session_ticket(b, tls13=True)]

SEED_CH = client_hello_body(exts=sni("example.com") + alpn("h2"))
SEED_SH = server_hello_body(exts=alpn("h2"))


def mutate(seed: bytes, data) -> bytes:
    buf = bytearray(seed)
    for _ in range(data.draw(st.integers(1, 8))):
        op = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        pos = data.draw(st.integers(0, max(len(buf) - 1, 0)))
        if op == "flip" and buf:
            buf[pos] = data.draw(st.integers(0, 255))
        elif op == "cut":
            del buf[pos:pos + data.draw(st.integers(1, 16))]
        else:
            buf[pos:pos] = data.draw(st.binary(max_size=8))
    return bytes(buf)


@given(st.binary(max_size=600))
@settings(max_examples=300)
def test_parsers_raise_only_their_error_on_random_bytes(blob):
    for parser in PARSERS:
        try:
            parser(blob)
        except TLSParseError:
            pass


@given(st.data())
@settings(max_examples=300)
def test_parsers_on_mutated_hellos(data):
    for seed, parser in ((SEED_CH, parse_client_hello), (SEED_SH, parse_server_hello)):
        try:
            parser(mutate(seed, data))
        except TLSParseError:
            pass


@given(st.binary(max_size=2000), st.integers(1, 64))
@settings(max_examples=200)
def test_record_reader_bounded(blob, step):
    reader, hs = RecordReader(), HandshakeReader()
    try:
        for i in range(0, len(blob), step):
            for rec in reader.feed(blob[i:i + step]):
                hs.feed(rec.fragment)
    except TLSParseError:
        pass
    assert reader.pending <= MAX_RECORD_LEN + 5 and hs.pending <= MAX_HANDSHAKE_LEN + 4


def _analyze(chunks, cls=TlsAnalyzer, proto="tcp"):
    ctx = FakeContext(proto=proto)
    a = cls(ctx)
    for i, (is_orig, data) in enumerate(chunks):
        a.deliver(is_orig, data, float(i))
    a.finish(100.0)
    return ctx


GOOD = [(True, record(22, handshake(1, SEED_CH), 0x0301)),
        (False, record(22, handshake(2, SEED_SH))),
        (True, record(20, b"\x01")), (False, record(20, b"\x01")),
        (True, record(23, b"x" * 20)), (False, record(23, b"y" * 20))]


@given(st.data())
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_analyzer_never_raises_on_mutated_conversations(data):
    chunks = [(o, mutate(d, data) if data.draw(st.booleans()) else d) for o, d in GOOD]
    ctx = _analyze(chunks)
    assert len(ctx.records.get("ssl", [])) <= 1


@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=300)), max_size=8))
@settings(max_examples=200)
def test_analyzers_never_raise_on_random_payload(chunks):
    _analyze(chunks)
    _analyze(chunks, DtlsAnalyzer, "udp")


def test_2_to_the_24_handshake_length_in_many_records_is_bounded():
    # one handshake header claiming 2^24-1 bytes, then a stream of full records that would
    # carry it: refused at the header, nothing buffered, the earlier ssl record kept
    head = record(22, handshake(1, SEED_CH), 0x0301)
    claim = record(22, bytes.fromhex("0b ffffff") + bytes(1000))
    ctx = FakeContext()
    a = TlsAnalyzer(ctx)
    a.deliver(True, head, 1.0)
    a.deliver(False, claim, 2.0)
    for _ in range(50):
        a.deliver(False, record(22, bytes(MAX_RECORD_LEN - 100)), 3.0)
    a.finish(4.0)
    assert ctx.violations and len(ctx.records["ssl"]) == 1
    assert a._handshakes[False].pending == 0 and a._records[False].pending == 0


def test_mutated_real_certificate_chain_never_raises():
    chunks, der = tls_handshake(ssl.TLSVersion.TLSv1_2)
    import random
    rng = random.Random(7)       # fixed seed: the same mutations every run
    for _ in range(60):
        mutated = []
        for is_orig, data in chunks:
            buf = bytearray(data)
            if not is_orig and len(buf) > 200:
                for _ in range(3):
                    buf[rng.randrange(len(buf))] = rng.randrange(256)
            mutated.append((is_orig, bytes(buf)))
        _analyze(mutated)
