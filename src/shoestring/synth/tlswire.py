"""Build TLS 1.2/1.3 handshake bytes as browsers and servers send them (RFC 5246, RFC 8446).

ClientHello carries SNI, ALPN, supported_versions, key_share, the usual groups and signature
algorithms; the certificate is a real X.509 made with `cryptography`, deterministic for a
name (key derived from the name, RFC 6979 deterministic ECDSA, fixed validity), cached.
Encrypted parts (TLS 1.3 after ServerHello, TLS 1.2 Finished, application data) are random
bytes of realistic sizes: nothing on the wire can tell them from real ciphertext.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import random
import struct

CT_CCS, CT_ALERT, CT_HANDSHAKE, CT_APPDATA = 20, 21, 22, 23
HS_CLIENT_HELLO, HS_SERVER_HELLO, HS_CERTIFICATE = 1, 2, 11
HS_SERVER_KEY_EXCHANGE, HS_SERVER_HELLO_DONE, HS_CLIENT_KEY_EXCHANGE = 12, 14, 16
TLS12, TLS13 = 0x0303, 0x0304
EXT_SNI, EXT_GROUPS, EXT_POINT_FORMATS, EXT_SIG_ALGS, EXT_ALPN = 0, 10, 11, 13, 16
EXT_EMS, EXT_TICKET, EXT_VERSIONS, EXT_PSK_MODES, EXT_KEY_SHARE = 23, 35, 43, 45, 51
EXT_RENEGOTIATION, EXT_QUIC_PARAMS = 0xFF01, 0x39
# What Firefox/Chrome offer (IANA TLS registry numbers)
CLIENT_SUITES = (0x1301, 0x1303, 0x1302, 0xC02B, 0xC02F, 0xCCA9, 0xCCA8, 0xC02C, 0xC030,
                 0xC00A, 0xC009, 0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035)
GROUPS = (0x001D, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101)
SIG_ALGS = (0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201)
RECORD_HDR = struct.Struct("!BHH")


def _u8v(b: bytes) -> bytes:
    return bytes([len(b)]) + b


def _u16v(b: bytes) -> bytes:
    return struct.pack("!H", len(b)) + b


def _u24v(b: bytes) -> bytes:
    return struct.pack("!I", len(b))[1:] + b


def ext(kind: int, data: bytes) -> bytes:
    return struct.pack("!H", kind) + _u16v(data)


def handshake(kind: int, body: bytes) -> bytes:
    return bytes([kind]) + _u24v(body)


def record(content_type: int, body: bytes, version: int = TLS12) -> bytes:
    """One TLS record (RFC 8446 section 5.1)."""
    return RECORD_HDR.pack(content_type, version, len(body)) + body


def client_hello(rng: random.Random, sni: str | None, alpn=("h2", "http/1.1"), tls13: bool = True,
                 quic_params: bytes | None = None) -> bytes:
    """ClientHello handshake message (not yet in a record)."""
    exts = b""
    if sni:
        name = sni.encode()
        exts += ext(EXT_SNI, _u16v(b"\x00" + _u16v(name)))
    exts += ext(EXT_EMS, b"") + ext(EXT_RENEGOTIATION, b"\x00")
    exts += ext(EXT_GROUPS, _u16v(b"".join(struct.pack("!H", g) for g in GROUPS)))
    exts += ext(EXT_POINT_FORMATS, b"\x01\x00") + ext(EXT_TICKET, b"")
    if alpn:
        exts += ext(EXT_ALPN, _u16v(b"".join(_u8v(p.encode()) for p in alpn)))
    exts += ext(EXT_SIG_ALGS, _u16v(b"".join(struct.pack("!H", s) for s in SIG_ALGS)))
    if tls13:
        share = struct.pack("!H", 0x001D) + _u16v(rng.randbytes(32))
        exts += ext(EXT_KEY_SHARE, _u16v(share))
        exts += ext(EXT_VERSIONS, _u8v(struct.pack("!HH", TLS13, TLS12)))
        exts += ext(EXT_PSK_MODES, b"\x01\x01")
    if quic_params is not None:
        exts += ext(EXT_QUIC_PARAMS, quic_params)
    suites = CLIENT_SUITES if tls13 else CLIENT_SUITES[3:]
    body = (struct.pack("!H", TLS12) + rng.randbytes(32) + _u8v(b"" if quic_params is not None else rng.randbytes(32))
            + _u16v(b"".join(struct.pack("!H", s) for s in suites)) + b"\x01\x00" + _u16v(exts))
    return handshake(HS_CLIENT_HELLO, body)


def server_hello(rng: random.Random, tls13: bool = True, alpn: str | None = "h2",
                 session_id: bytes = b"", suite: int | None = None) -> bytes:
    """ServerHello; TLS 1.3 answers with supported_versions and a key_share (no ALPN here:
    in 1.3 ALPN travels in the encrypted EncryptedExtensions)."""
    if tls13:
        exts = ext(EXT_VERSIONS, struct.pack("!H", TLS13))
        exts += ext(EXT_KEY_SHARE, struct.pack("!H", 0x001D) + _u16v(rng.randbytes(32)))
        suite = suite or 0x1301
    else:
        exts = ext(EXT_RENEGOTIATION, b"\x00") + ext(EXT_POINT_FORMATS, b"\x01\x00") + ext(EXT_EMS, b"")
        if alpn:
            exts += ext(EXT_ALPN, _u16v(_u8v(alpn.encode())))
        suite = suite or 0xC02F
    body = (struct.pack("!H", TLS12) + rng.randbytes(32) + _u8v(session_id)
            + struct.pack("!HB", suite, 0) + _u16v(exts))
    return handshake(HS_SERVER_HELLO, body)


@functools.lru_cache(maxsize=256)
def certificate_der(common_name: str) -> bytes:
    """A self-signed X.509 certificate for `common_name`, the same bytes every time."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import NameOID

    secret = int.from_bytes(hashlib.sha256(b"shoestring-synth:" + common_name.encode()).digest(), "big")
    key = ec.derive_private_key(secret % (2**255 - 19) + 1, ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "IN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Shoestring Synthetic"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(secret >> 100)
            .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=825))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256(), ecdsa_deterministic=True))
    return cert.public_bytes(Encoding.DER)


def certificate_msg(common_name: str) -> bytes:
    """TLS 1.2 Certificate handshake message carrying the one certificate."""
    return handshake(HS_CERTIFICATE, _u24v(_u24v(certificate_der(common_name))))


def client_flight(rng: random.Random, sni, alpn=("h2", "http/1.1"), tls13: bool = True) -> bytes:
    """The client's first TCP payload: the ClientHello record."""
    return record(CT_HANDSHAKE, client_hello(rng, sni, alpn, tls13), version=0x0301)


def server_flight(rng: random.Random, sni: str, alpn: str | None = "h2", tls13: bool = True) -> bytes:
    """The server's first flight. 1.3: ServerHello, CCS, then encrypted EncryptedExtensions/
    Certificate/CertificateVerify/Finished as application-data records sized like the real
    ones. 1.2: ServerHello, Certificate, ServerKeyExchange (x25519), ServerHelloDone."""
    if tls13:
        der_len = len(certificate_der(sni or "server.invalid"))
        return (record(CT_HANDSHAKE, server_hello(rng, True, alpn)) + record(CT_CCS, b"\x01")
                + record(CT_APPDATA, rng.randbytes(der_len + 300)))
    ske = struct.pack("!BH", 3, 0x001D) + _u8v(rng.randbytes(32)) + struct.pack("!H", 0x0403) \
        + _u16v(rng.randbytes(71))
    body = (server_hello(rng, False, alpn) + certificate_msg(sni or "server.invalid")
            + handshake(HS_SERVER_KEY_EXCHANGE, ske) + handshake(HS_SERVER_HELLO_DONE, b""))
    return record(CT_HANDSHAKE, body)


def client_finish(rng: random.Random, tls13: bool = True) -> bytes:
    """The client's second flight: 1.3 CCS + encrypted Finished; 1.2 ClientKeyExchange, CCS,
    encrypted Finished."""
    if tls13:
        return record(CT_CCS, b"\x01") + record(CT_APPDATA, rng.randbytes(53))
    cke = handshake(HS_CLIENT_KEY_EXCHANGE, _u8v(rng.randbytes(32)))
    return record(CT_HANDSHAKE, cke) + record(CT_CCS, b"\x01") + record(CT_HANDSHAKE, rng.randbytes(40))


def server_finish(rng: random.Random, tls13: bool = True) -> bytes:
    """1.3: a NewSessionTicket as application data; 1.2: CCS + encrypted Finished."""
    if tls13:
        return record(CT_APPDATA, rng.randbytes(234))
    return record(CT_CCS, b"\x01") + record(CT_HANDSHAKE, rng.randbytes(40))


def app_data(rng: random.Random, size: int) -> bytes:
    """Application data records totalling about `size` bytes (16 KiB + overhead per record)."""
    out = []
    while size > 0:
        n = min(size, 16384 + 17)
        out.append(record(CT_APPDATA, rng.randbytes(n)))
        size -= n + 5
    return b"".join(out)
