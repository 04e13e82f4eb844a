"""The hot path's shortcuts give the answers the plain code gives: the lazy ClientHello, the
fingerprint and extension caches (and their bounds), the one-message handshake record, and
an analyzer that lets go of its state once the handshake is established."""

import ssl

from shoestring.analyzers.tls import TlsAnalyzer, extensions, fingerprints
from shoestring.analyzers.tls.extensions import MAX_CACHED_EXT_LEN, MAX_FP_KEY_BYTES
from shoestring.analyzers.tls.fingerprints import ja3, ja4
from shoestring.analyzers.tls.parse import ClientHello, HandshakeReader, parse_client_hello
from tests.fakes import FakeContext

from .hello import alpn, client_hello_body, ext, handshake, sni, u16s, vec8, vec16
from .loopback import handshake as tls_handshake

CIPHERS = [0x2A2A, 0x1301, 0x1302, 0xC02B, 0xC02F, 0x009C]
EXTS = (ext(0x0A0A, b"") + sni("example.com") + alpn("h2", "http/1.1")
        + ext(43, vec8(u16s([0x0304, 0x0303]))) + ext(10, vec16(u16s([29, 23])))
        + ext(11, vec8(b"\x00")) + ext(13, vec16(u16s([0x0403, 0x0804])))
        + ext(51, vec16(u16s([29, 2]) + b"kk")) + ext(35, b""))


def eager(ch: ClientHello) -> ClientHello:
    """The same hello built field by field, as a caller outside the parser builds one: no
    raw bytes behind it and no cache key."""
    return ClientHello(ch.legacy_version, ch.random, ch.session_id, list(ch.cipher_suites),
                       list(ch.compression_methods), list(ch.extensions), ch.server_name,
                       list(ch.alpn), list(ch.supported_versions), list(ch.supported_groups),
                       list(ch.ec_point_formats), list(ch.signature_algorithms),
                       list(ch.key_share_groups), list(ch.server_names),
                       list(ch.bad_extensions), ch.sslv2, ch.cookie)


def test_lazy_hello_fields_decode_to_the_wire_values():
    ch = parse_client_hello(client_hello_body(ciphers=CIPHERS, exts=EXTS))
    assert ch.cipher_suites == CIPHERS and ch.compression_methods == [0]
    assert [t for t, _ in ch.extensions] == [0x0A0A, 0, 16, 43, 10, 11, 13, 51, 35]
    assert ch.ext_types == (0x0A0A, 0, 16, 43, 10, 11, 13, 51, 35)
    assert ch.extensions[2] == (16, vec16(b"\x02h2\x08http/1.1"))
    assert ch.supported_versions == [0x0304, 0x0303] and ch.supported_groups == [29, 23]
    assert ch.ec_point_formats == [0] and ch.signature_algorithms == [0x0403, 0x0804]
    assert ch.key_share_groups == [29] and ch.alpn == ["h2", "http/1.1"]
    assert ch == eager(ch) and ch.fp_key is not None and eager(ch).fp_key is None


def test_cached_fingerprints_equal_the_computed_ones():
    body = client_hello_body(ciphers=CIPHERS, exts=EXTS)
    first = parse_client_hello(body)
    fresh = (ja3(eager(first)), ja4(eager(first)), ja4(eager(first), "q"))
    assert (ja3(first), ja4(first), ja4(first, "q")) == fresh
    again = parse_client_hello(body)             # another connection of the same client
    assert first.fp_key == again.fp_key
    assert ja3(again) is fingerprints._JA3_CACHE[again.fp_key]       # served from the cache
    assert (ja3(again), ja4(again), ja4(again, "q")) == fresh


def test_fingerprint_key_tells_hellos_apart():
    # every JA3/JA4 input changes the key: SNI present or not, ALPN, versions, order
    base = parse_client_hello(client_hello_body(ciphers=CIPHERS, exts=EXTS))
    no_sni = parse_client_hello(client_hello_body(
        ciphers=CIPHERS, exts=EXTS.replace(sni("example.com"), b"")))
    other_alpn = parse_client_hello(client_hello_body(
        ciphers=CIPHERS, exts=EXTS.replace(b"\x02h2", b"\x02h3")))
    reordered = parse_client_hello(client_hello_body(ciphers=CIPHERS[::-1], exts=EXTS))
    keys = {base.fp_key, no_sni.fp_key, other_alpn.fp_key, reordered.fp_key}
    assert len(keys) == 4
    for ch in (no_sni, other_alpn, reordered):
        assert (ja3(ch), ja4(ch)) == (ja3(eager(ch)), ja4(eager(ch)))


def test_fingerprint_caches_stay_bounded():
    fingerprints._JA3_CACHE.clear()
    for i in range(fingerprints.MAX_CACHED_HELLOS + 10):
        ja3(parse_client_hello(client_hello_body(ciphers=[0x1301, i % 0xFFFF], exts=b"")))
    assert 0 < len(fingerprints._JA3_CACHE) <= fingerprints.MAX_CACHED_HELLOS


def test_oversized_hello_gets_no_cache_key_but_the_same_fingerprints():
    many = list(range(1, MAX_FP_KEY_BYTES))            # > MAX_FP_KEY_BYTES bytes of suites
    ch = parse_client_hello(client_hello_body(ciphers=many, exts=EXTS))
    assert ch.fp_key is None
    assert (ja3(ch), ja4(ch)) == (ja3(eager(ch)), ja4(eager(ch)))


def test_static_extension_cache_keeps_malformed_bodies_malformed():
    bad_alpn = ext(16, vec16(b"\x05h2"))                # inner length overruns the list
    for _ in range(2):                                 # the second parse hits the cache
        ch = parse_client_hello(client_hello_body(exts=sni("a.b") + bad_alpn))
        assert ch.alpn == [] and ch.bad_extensions == [16]
    assert extensions._STATIC_CACHE[(16, vec16(b"\x05h2"))] is extensions._BAD
    # the cached ALPN list is the hello's own: changing it cannot reach the next hello
    ch = parse_client_hello(client_hello_body(exts=alpn("h2")))
    ch.alpn.append("x")
    assert parse_client_hello(client_hello_body(exts=alpn("h2"))).alpn == ["h2"]


def test_long_extension_bodies_are_not_cached():
    names = ["p%03d" % i for i in range(40)]            # an ALPN list > MAX_CACHED_EXT_LEN
    body = alpn(*names)
    assert len(body) - 4 > MAX_CACHED_EXT_LEN
    ch = parse_client_hello(client_hello_body(exts=body))
    assert ch.alpn == names
    assert all(len(data) <= MAX_CACHED_EXT_LEN for _, data in extensions._STATIC_CACHE)


def test_one_message_record_and_split_message_agree():
    body = bytes(range(200))
    whole = HandshakeReader()
    assert whole.feed(handshake(11, body)) == [(11, body)] and whole.pending == 0
    split = HandshakeReader()
    msg = handshake(11, body)
    assert split.feed(msg[:50]) == [] and split.feed(msg[50:]) == [(11, body)]
    assert HandshakeReader().feed(handshake(14, b"")) == [(14, b"")]


def test_analyzer_lets_go_of_its_state_once_established():
    chunks, _ = tls_handshake(ssl.TLSVersion.TLSv1_3)
    ctx = FakeContext(resp_p=443)
    a = TlsAnalyzer(ctx)
    for i, (is_orig, data) in enumerate(chunks):
        a.deliver(is_orig, data, float(i))
    assert a.wants_more is False and ctx.records["ssl"][0]["established"] is True
    assert a.session is None and a._records is None and a._handshakes is None
    a.deliver(True, b"\x17\x03\x03\x00\x01x", 50.0)    # later ciphertext: ignored
    a.finish(99.0)
    assert len(ctx.records["ssl"]) == 1 and not ctx.weirds
