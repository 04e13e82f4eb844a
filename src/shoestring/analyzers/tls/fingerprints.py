"""TLS client/server fingerprints: JA3, JA3S (Salesforce, BSD-3) and JA4 (FoxIO, BSD-3).

Only JA4 itself is here: the other JA4+ methods (JA4S, JA4H, JA4X, ...) carry a licence
that forbids selling them, so the project leaves them out.

Pure functions over parse.ClientHello / parse.ServerHello, shared by the TLS and QUIC
analyzers. They run once per connection, which on a busy sensor is thousands of times a
second for the same few client builds: results are cached by the hello's raw inputs
(``fp_key``) and decimal/hex renderings of code points come from per-process tables.
"""

from __future__ import annotations

import hashlib
from typing import Final

from .consts import EXT_ALPN, EXT_SERVER_NAME
from .parse import ClientHello, ServerHello

#: GREASE values (RFC 8701): 0x0a0a, 0x1a1a, ... 0xfafa; ignored by JA3 and JA4.
GREASE: Final = frozenset(0x0A0A + 0x1010 * i for i in range(16))

# JA4's two-character version codes (JA4 spec, "TLS and DTLS Version").
JA4_VERSIONS: Final[dict[int, str]] = {
    0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3", 0x0002: "s2",
    0xFEFF: "d1", 0xFEFD: "d2", 0xFEFC: "d3"}


# int -> its text, made on first use: the few dozen code points real hellos use are
# formatted once per process instead of once per hello. Only u16 values are kept (code
# points, point formats), so a table can never exceed 65,536 entries. (Functions over
# plain dicts: a compiled module cannot subclass dict for __missing__.)
_DEC_TEXT: Final[dict[int, str]] = {}
_HEX4_TEXT: Final[dict[int, str]] = {}


def _cached_text(table: dict[int, str], key: int, spec: str) -> str:
    text = table.get(key)
    if text is None:
        text = format(key, spec)
        if 0 <= key <= 0xFFFF:
            table[key] = text
    return text


def _dec(key: int) -> str:
    return _cached_text(_DEC_TEXT, key, "d")


def _hex4(key: int) -> str:
    return _cached_text(_HEX4_TEXT, key, "04x")


#: Distinct hellos whose fingerprints are kept: clients repeat their hello shape on every
#: connection (one per browser/library build), so a few thousand cover a network; when
#: full the cache is emptied rather than tracked per entry (it refills in one pass).
MAX_CACHED_HELLOS: Final = 4096
# Values are plain ``tuple`` (not tuple[str, str]): compiled with mypyc, a tuple[str, str]
# is unboxed and boxed into a new object on every return, so a cache hit would no
# longer hand back the one cached object.
_JA3_CACHE: Final[dict[tuple, tuple]] = {}
_JA4_CACHE: Final[dict[tuple, str]] = {}
_JA3S_CACHE: Final[dict[tuple, tuple]] = {}


def _remember_tuple(cache: dict[tuple, tuple], key: tuple, value: tuple) -> tuple:
    if len(cache) >= MAX_CACHED_HELLOS:
        cache.clear()
    cache[key] = value
    return value


def _remember_str(cache: dict[tuple, str], key: tuple, value: str) -> str:
    if len(cache) >= MAX_CACHED_HELLOS:
        cache.clear()
    cache[key] = value
    return value


def _dash(values: list[int]) -> str:
    return "-".join([_dec(v) for v in values])


def extension_types(hello: ClientHello | ServerHello) -> tuple[int, ...] | list[int]:
    """A hello's extension type codes in order, without decoding the extensions."""
    types = hello.ext_types
    return types if types is not None else [t for t, _ in hello.extensions]


def ja3(ch: ClientHello) -> tuple:
    """(JA3 string, its MD5): SSLVersion,Ciphers,Extensions,EllipticCurves,PointFormats in
    decimal, GREASE values dropped (salesforce/ja3 README). Cached by the hello's raw
    inputs (``fp_key``) when it came from the parser."""
    key = ch.fp_key
    if key is not None:
        hit = _JA3_CACHE.get(key)
        if hit is not None:
            return hit
    grease = GREASE
    text = ",".join((
        _dec(ch.legacy_version),
        _dash([c for c in ch.cipher_suites if c not in grease]),
        _dash([t for t in extension_types(ch) if t not in grease]),
        _dash([g for g in ch.supported_groups if g not in grease]),
        _dash(ch.ec_point_formats),
    ))
    value: tuple = (text, hashlib.md5(text.encode()).hexdigest())
    return value if key is None else _remember_tuple(_JA3_CACHE, key, value)


def ja3s(sh: ServerHello) -> tuple:
    """(JA3S string, its MD5): SSLVersion,Cipher,Extensions of the ServerHello, decimal."""
    key: tuple | None = None
    if sh.ext_types is not None:
        key = (sh.legacy_version, sh.cipher_suite, sh.ext_types)
        hit = _JA3S_CACHE.get(key)
        if hit is not None:
            return hit
    text = ",".join((
        _dec(sh.legacy_version),
        _dec(sh.cipher_suite),
        _dash([t for t in extension_types(sh) if t not in GREASE]),
    ))
    value: tuple = (text, hashlib.md5(text.encode()).hexdigest())
    return value if key is None else _remember_tuple(_JA3S_CACHE, key, value)


def _sha12(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12] if text else "000000000000"


def _alpn_code(alpn: list[str]) -> str:
    """First and last character of the first ALPN value; its hex's when either is not
    alphanumeric; "00" when there is none (JA4 spec, "ALPN Extension Value")."""
    if not alpn or not alpn[0]:
        return "00"
    raw = alpn[0].encode("utf-8", "surrogateescape")
    first, last = chr(raw[0]), chr(raw[-1])
    if first.isascii() and first.isalnum() and last.isascii() and last.isalnum():
        return first + last
    hexed = raw.hex()
    return hexed[0] + hexed[-1]


def ja4(ch: ClientHello, transport: str = "t") -> str:
    """The JA4 client fingerprint ``a_b_c``; ``transport``: "t" TCP, "q" QUIC, "d" DTLS.
    Cached by (transport, the hello's raw inputs) when the hello came from the parser."""
    fp_key = ch.fp_key
    key: tuple | None = None
    if fp_key is not None:
        key = (transport, fp_key)
        hit = _JA4_CACHE.get(key)
        if hit is not None:
            return hit
    grease = GREASE
    versions = [v for v in ch.supported_versions if v not in grease]
    version = JA4_VERSIONS.get(max(versions) if versions else ch.legacy_version, "00")
    ciphers = [c for c in ch.cipher_suites if c not in grease]
    exts = [t for t in extension_types(ch) if t not in grease]
    part_a = (f"{transport}{version}{'d' if ch.server_name is not None else 'i'}"
              f"{min(len(ciphers), 99):02d}{min(len(exts), 99):02d}{_alpn_code(ch.alpn)}")
    ciphers.sort()
    part_b = _sha12(",".join([_hex4(c) for c in ciphers]))
    exts.sort()
    ext_text = ",".join([_hex4(t) for t in exts if t != EXT_SERVER_NAME and t != EXT_ALPN])
    sigs = ",".join([_hex4(s) for s in ch.signature_algorithms])
    if ext_text and sigs:
        ext_text = f"{ext_text}_{sigs}"
    part_c = _sha12(ext_text)
    value = f"{part_a}_{part_b}_{part_c}"
    return value if key is None else _remember_str(_JA4_CACHE, key, value)
