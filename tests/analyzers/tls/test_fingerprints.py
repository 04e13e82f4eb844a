"""JA3 / JA3S / JA4 against the published reference values.

Sources of the vectors:
- JA3: salesforce/ja3 README.md, "How it works" (the two example strings and their MD5s).
- JA4: FoxIO-LLC/ja4 technical_details/JA4.md, "Cipher hash", "Extension hash", "Example"
  and the "ALPN Extension Value" byte examples.
"""

import hashlib

import pytest

from shoestring.analyzers.tls.fingerprints import GREASE, _alpn_code, ja3, ja3s, ja4
from shoestring.analyzers.tls.parse import ClientHello, ServerHello, parse_client_hello

from .hello import alpn, client_hello_body, ext, sni, u16s, vec8, vec16


def hello(version=0x0303, ciphers=(), ext_types=(), groups=(), points=(), sigalgs=(),
          versions=(), server_name=None, protocols=()):
    return ClientHello(version, bytes(32), b"", list(ciphers), [0],
                       [(t, b"") for t in ext_types], server_name, list(protocols),
                       list(versions), list(groups), list(points), list(sigalgs), [],
                       [server_name] if server_name else [], [])


def test_ja3_readme_example_with_extensions():
    ch = hello(769, [47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4], [0, 10, 11],
               [23, 24, 25], [0])
    assert ja3(ch) == ("769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0",
                       "ada70206e40642a3e4461f35503241d5")


def test_ja3_readme_example_without_extensions():
    ch = hello(769, [4, 5, 10, 9, 100, 98, 3, 6, 19, 18, 99])
    assert ja3(ch) == ("769,4-5-10-9-100-98-3-6-19-18-99,,,", "de350869b8c85de67a350c8d186f11e6")


def test_ja3_ignores_grease_everywhere():
    plain = hello(771, [4865, 4866], [0, 10], [29])
    greasy = hello(771, [0x1A1A, 4865, 4866], [0xFAFA, 0, 10, 0x3A3A], [0x4A4A, 29])
    assert ja3(greasy) == ja3(plain)
    assert len(GREASE) == 16 and 0x0A0A in GREASE and 0xFAFA in GREASE


def test_ja3s_string_layout():
    # JA3S = SSLVersion,Cipher,SSLExtension (salesforce/ja3 README, "JA3S")
    sh = ServerHello(769, bytes(32), b"", 47, 0, [(65281, b""), (0, b""), (11, b""),
                                                  (35, b""), (5, b""), (16, b"")],
                     None, [], None, [], False, False, [])
    text, digest = ja3s(sh)
    assert text == "769,47,65281-0-11-35-5-16"
    assert digest == hashlib.md5(b"769,47,65281-0-11-35-5-16").hexdigest()


# The JA4.md example hello, values in wire order (its JA4_ro line), GREASE added on purpose.
JA4_CIPHERS = [0x2A2A, 0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8,
               0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035]
JA4_EXTS = [0x0A0A, 0x001B, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002D, 0x000D, 0x0005,
            0x0023, 0x0012, 0x002B, 0xFF01, 0x000B, 0x000A, 0x0015]
JA4_SIGALGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]


def test_ja4_spec_example():
    ch = hello(0x0303, JA4_CIPHERS, JA4_EXTS, sigalgs=JA4_SIGALGS, versions=[0x6A6A, 0x0304,
               0x0303], server_name="example.com", protocols=["h2", "http/1.1"])
    assert ja4(ch) == "t13d1516h2_8daaf6152771_e5627efa2ab1"
    assert ja4(ch, transport="q").startswith("q13d1516h2_")


def test_ja4_extension_hash_without_signature_algorithms():
    # JA4.md: "...,4469,ff01 = 6d807ffa2a79" when the hello has no signature algorithms
    ch = hello(0x0303, JA4_CIPHERS, JA4_EXTS, versions=[0x0304], server_name="x.y",
               protocols=["h2"])
    assert ja4(ch).endswith("_6d807ffa2a79")


def test_ja4_empty_lists_and_no_sni_no_alpn():
    ch = hello(0x0301)
    assert ja4(ch) == "t10i000000_000000000000_000000000000"


@pytest.mark.parametrize("raw,code", [
    # JA4.md "ALPN Extension Value" examples
    (b"\xab", "ab"), (b"\xab\xcd", "ad"), (b"\x30\xab", "3b"), (b"\x30\x31\xab\xcd", "3d"),
    (b"\x30\xab\xcd\x31", "01"), (b"h2", "h2"), (b"http/1.1", "h1"), (b"h", "hh"),
])
def test_ja4_alpn_code(raw, code):
    assert _alpn_code([raw.decode("utf-8", "surrogateescape")]) == code


def test_ja4_alpn_none_or_empty():
    assert _alpn_code([]) == "00" and _alpn_code([""]) == "00"


def test_fingerprints_from_parsed_bytes():
    # the same hello as bytes on the wire: the parser feeds the fingerprints what they need
    exts = (ext(0x0A0A, b"") + sni("example.com") + alpn("h2")
            + ext(43, vec8(u16s([0x0304, 0x0303]))) + ext(13, vec16(u16s(JA4_SIGALGS))))
    ch = parse_client_hello(client_hello_body(ciphers=JA4_CIPHERS, exts=exts))
    a, b, _ = ja4(ch).split("_")
    assert a == "t13d1504h2" and b == "8daaf6152771"
    assert ja3(ch)[0].split(",")[2] == "0-16-43-13"
