"""Handshake message parsers, byte by byte."""

import pytest

from shoestring.analyzers.tls.consts import HRR_RANDOM
from shoestring.analyzers.tls.parse import (TLSParseError, parse_alert, parse_certificate,
                                            parse_client_hello, parse_new_session_ticket,
                                            parse_server_hello,
                                            parse_server_key_exchange_curve,
                                            parse_sslv2_client_hello, parse_sslv2_server_hello)

from .hello import alpn, client_hello_body, ext, server_hello_body, sni, u16s, vec8, vec16


def test_client_hello_fields():
    exts = (sni("example.org") + alpn("h2", "http/1.1")
            + ext(43, vec8(u16s([0x0A0A, 0x0304, 0x0303])))     # supported_versions
            + ext(10, vec16(u16s([29, 23])))                     # supported_groups
            + ext(11, vec8(b"\x00"))                             # ec_point_formats
            + ext(13, vec16(u16s([0x0403, 0x0804])))             # signature_algorithms
            + ext(51, vec16(u16s([29, 4]) + b"abcd")))           # key_share: x25519, 4 bytes
    ch = parse_client_hello(client_hello_body(session_id=b"\x07" * 32, exts=exts))
    assert ch.legacy_version == 0x0303 and ch.random == bytes(range(32))
    assert ch.session_id == b"\x07" * 32
    assert ch.cipher_suites == [0x1301, 0xC02F] and ch.compression_methods == [0]
    assert [t for t, _ in ch.extensions] == [0, 16, 43, 10, 11, 13, 51]
    assert ch.server_name == "example.org" and ch.server_names == ["example.org"]
    assert ch.alpn == ["h2", "http/1.1"]
    assert ch.supported_versions == [0x0A0A, 0x0304, 0x0303]
    assert ch.supported_groups == [29, 23] and ch.ec_point_formats == [0]
    assert ch.signature_algorithms == [0x0403, 0x0804] and ch.key_share_groups == [29]
    assert ch.bad_extensions == []


def test_client_hello_without_extensions_block():
    ch = parse_client_hello(client_hello_body(exts=None))
    assert ch.extensions == [] and ch.server_name is None and ch.alpn == []


def test_client_hello_malformed_extension_body_keeps_the_hello():
    # ALPN whose inner length (5) overruns its 3-byte list
    bad_alpn = ext(16, vec16(b"\x05h2"))
    ch = parse_client_hello(client_hello_body(exts=sni("a.b") + bad_alpn))
    assert ch.server_name == "a.b" and ch.alpn == [] and ch.bad_extensions == [16]


@pytest.mark.parametrize("cut", [0, 10, 34, 35, 60])
def test_truncated_client_hello(cut):
    body = client_hello_body(exts=sni("example.org"))
    with pytest.raises(TLSParseError):
        parse_client_hello(body[:cut] if cut < 60 else body[:-1])


def test_extension_length_overrun():
    body = client_hello_body(exts=b"") [:-2] + bytes.fromhex("0008 0000 0010")  # claims 16
    with pytest.raises(TLSParseError):
        parse_client_hello(body)


def test_dtls_client_hello_cookie():
    import struct
    body = (struct.pack(">H", 0xFEFD) + bytes(32) + vec8(b"") + vec8(b"COOKIE")
            + vec16(u16s([0xC02B])) + vec8(b"\x00"))
    ch = parse_client_hello(body, dtls=True)
    assert ch.cookie == b"COOKIE" and ch.cipher_suites == [0xC02B]


def test_server_hello_tls13_and_hrr():
    exts = ext(43, u16s([0x0304])) + ext(51, u16s([29, 2]) + b"kk") + ext(41, u16s([0]))
    sh = parse_server_hello(server_hello_body(cipher=0x1301, exts=exts))
    assert sh.version == 0x0304 and sh.legacy_version == 0x0303
    assert sh.cipher_suite == 0x1301 and sh.key_share_group == 29
    assert sh.psk_selected and not sh.is_hrr
    hrr = parse_server_hello(server_hello_body(cipher=0x1301, random=HRR_RANDOM,
                                               exts=ext(51, u16s([23]))))
    assert hrr.is_hrr and hrr.key_share_group == 23


def test_server_hello_alpn_and_no_extensions():
    sh = parse_server_hello(server_hello_body(exts=alpn("h2")))
    assert sh.alpn == ["h2"] and sh.version == 0x0303 and sh.selected_version is None
    assert parse_server_hello(server_hello_body(exts=None)).extensions == []


def test_certificate_lists():
    c1, c2 = b"\x30\x03abc", b"\x30\x01z"
    entries = b"".join(len(c).to_bytes(3, "big") + c for c in (c1, c2))
    body12 = len(entries).to_bytes(3, "big") + entries
    assert parse_certificate(body12) == [c1, c2]
    entries13 = b"".join(len(c).to_bytes(3, "big") + c + b"\x00\x00" for c in (c1, c2))
    body13 = b"\x00" + len(entries13).to_bytes(3, "big") + entries13
    assert parse_certificate(body13, tls13=True) == [c1, c2]
    assert parse_certificate(b"\x00\x00\x00") == []


def test_certificate_length_of_16mb_inside_a_short_message():
    body = bytes.fromhex("000010") + bytes.fromhex("ffffff") + b"x" * 13
    with pytest.raises(TLSParseError, match="overruns"):
        parse_certificate(body)


def test_server_key_exchange_curve():
    assert parse_server_key_exchange_curve(bytes.fromhex("03 0017 41") + b"p" * 65) == 23
    assert parse_server_key_exchange_curve(bytes.fromhex("0100 ff")) is None   # DHE p
    with pytest.raises(TLSParseError):
        parse_server_key_exchange_curve(b"\x03")


def test_alerts():
    assert parse_alert(bytes.fromhex("0228")) == [(2, 40)]
    assert parse_alert(bytes.fromhex("0100 0228")) == [(1, 0), (2, 40)]
    with pytest.raises(TLSParseError):
        parse_alert(bytes.fromhex("02"))


def test_new_session_ticket():
    nst = parse_new_session_ticket(bytes.fromhex("00001c20") + vec16(b"TICKET"))
    assert nst.lifetime_hint == 7200 and nst.ticket == b"TICKET"
    nst13 = parse_new_session_ticket(bytes.fromhex("00001c20 01020304") + vec8(b"n")
                                     + vec16(b"T") + vec16(b""), tls13=True)
    assert nst13.ticket == b"T"


def test_sslv2_hellos():
    # CLIENT-HELLO: version 0x0301, 6 bytes of cipher specs, no session id, 16-byte challenge
    ch = parse_sslv2_client_hello(bytes.fromhex("01 0301 0006 0000 0010 010080 000035")
                                  + b"C" * 16)
    assert ch.sslv2 and ch.legacy_version == 0x0301
    assert ch.cipher_suites == [0x010080, 0x35] and ch.random == b"C" * 16
    sh, cert = parse_sslv2_server_hello(bytes.fromhex("04 00 01 0002 0003 0003 0002")
                                        + b"XYZ" + bytes.fromhex("010080") + b"id")
    assert sh.sslv2 and sh.version == 2 and sh.cipher_suite == 0x010080 and cert == b"XYZ"
    with pytest.raises(TLSParseError):
        parse_sslv2_client_hello(bytes.fromhex("01 0301 0006 0000 0010 0100"))
