"""TLS client/server fingerprints: JA3, JA3S (Salesforce, BSD-3) and JA4 (FoxIO, BSD-3).

Only JA4 itself is here: the other JA4+ methods (JA4S, JA4H, JA4X, ...) carry a licence
that forbids selling them, so the project leaves them out.

Pure functions over parse.ClientHello / parse.ServerHello, shared by the TLS and QUIC
analyzers; once per connection, so clarity beats speed here.
"""

from __future__ import annotations

import hashlib

from .consts import EXT_ALPN, EXT_SERVER_NAME
from .parse import ClientHello, ServerHello

#: GREASE values (RFC 8701): 0x0a0a, 0x1a1a, ... 0xfafa; ignored by JA3 and JA4.
GREASE = frozenset(0x0A0A + 0x1010 * i for i in range(16))

# JA4's two-character version codes (JA4 spec, "TLS and DTLS Version").
JA4_VERSIONS = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3",
                0x0002: "s2", 0xFEFF: "d1", 0xFEFD: "d2", 0xFEFC: "d3"}


def _dash(values) -> str:
    return "-".join(str(v) for v in values)


def ja3(ch: ClientHello) -> tuple[str, str]:
    """(JA3 string, its MD5): SSLVersion,Ciphers,Extensions,EllipticCurves,PointFormats in
    decimal, GREASE values dropped (salesforce/ja3 README)."""
    text = ",".join((
        str(ch.legacy_version),
        _dash(c for c in ch.cipher_suites if c not in GREASE),
        _dash(t for t, _ in ch.extensions if t not in GREASE),
        _dash(g for g in ch.supported_groups if g not in GREASE),
        _dash(ch.ec_point_formats),
    ))
    return text, hashlib.md5(text.encode()).hexdigest()


def ja3s(sh: ServerHello) -> tuple[str, str]:
    """(JA3S string, its MD5): SSLVersion,Cipher,Extensions of the ServerHello, decimal."""
    text = ",".join((
        str(sh.legacy_version),
        str(sh.cipher_suite),
        _dash(t for t, _ in sh.extensions if t not in GREASE),
    ))
    return text, hashlib.md5(text.encode()).hexdigest()


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
    """The JA4 client fingerprint ``a_b_c``; ``transport``: "t" TCP, "q" QUIC, "d" DTLS."""
    versions = [v for v in ch.supported_versions if v not in GREASE]
    version = JA4_VERSIONS.get(max(versions) if versions else ch.legacy_version, "00")
    ciphers = [c for c in ch.cipher_suites if c not in GREASE]
    exts = [t for t, _ in ch.extensions if t not in GREASE]
    part_a = (f"{transport}{version}{'d' if ch.server_name is not None else 'i'}"
              f"{min(len(ciphers), 99):02d}{min(len(exts), 99):02d}{_alpn_code(ch.alpn)}")
    part_b = _sha12(",".join(f"{c:04x}" for c in sorted(ciphers)))
    ext_text = ",".join(f"{t:04x}" for t in sorted(exts) if t not in (EXT_SERVER_NAME, EXT_ALPN))
    sigs = ",".join(f"{s:04x}" for s in ch.signature_algorithms)
    if ext_text and sigs:
        ext_text = f"{ext_text}_{sigs}"
    part_c = _sha12(ext_text)
    return f"{part_a}_{part_b}_{part_c}"
