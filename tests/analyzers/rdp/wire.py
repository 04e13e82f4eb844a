"""Test helper: RDP connection-sequence PDUs built byte by byte ([MS-RDPBCGR] 2.2.1),
with certificates made by cryptography under a fixed key, so tests need no capture."""

from __future__ import annotations

import datetime
import struct

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

# The Zeek corpus trace rdp/rdp-x509.pcap: client X.224 Connection Request (cookie
# "mstshash=JOHN-PC", RDP_NEG_REQ asking for standard RDP security) and the server's
# Connection Confirm (RDP_NEG_RSP selecting it).
CONNECT_REQUEST = (b"\x03\x00\x00\x2f\x2a\xe0\x00\x00\x00\x00\x00Cookie: mstshash=JOHN-PC  "
                   b"\r\n\x01\x00\x08\x00\x00\x00\x00\x00")
CONNECT_CONFIRM = b"\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x00\x08\x00\x00\x00\x00\x00"


def tpkt(tpdu: bytes) -> bytes:
    return struct.pack("!BBH", 3, 0, 4 + len(tpdu)) + tpdu


def confirm(selected: int) -> bytes:
    """X.224 Connection Confirm with an RDP_NEG_RSP selecting ``selected``."""
    neg = struct.pack("<BBHI", 2, 0, 8, selected)
    return tpkt(bytes([6 + len(neg), 0xD0]) + b"\x00\x00\x12\x34\x00" + neg)


def _ber(tag: bytes, value: bytes) -> bytes:
    n = len(value)
    length = bytes([n]) if n < 0x80 else b"\x82" + struct.pack("!H", n)
    return tag + length + value


def _per_length(n: int) -> bytes:
    return bytes([n]) if n < 0x80 else struct.pack("!H", 0x8000 | n)


def block(btype: int, body: bytes) -> bytes:
    return struct.pack("<HH", btype, 4 + len(body)) + body


def security_block(certs: list[bytes], method=2, level=2, version=2) -> bytes:
    chain = struct.pack("<II", version, len(certs))
    for der in certs:
        chain += struct.pack("<I", len(der)) + der
    chain += bytes(8 + 4 * len(certs))                     # the padding Windows adds
    rnd = bytes(range(32))
    return block(0x0C02, struct.pack("<IIII", method, level, len(rnd), len(chain))
                 + rnd + chain)


def connect_response(blocks: bytes) -> bytes:
    """TPKT + X.224 DT + MCS Connect-Response + GCC Conference Create Response."""
    user = (b"\x00\x05\x00\x14\x7c\x00\x01" + b"\x2a" + b"\x14\x76\x0a\x01\x01\x00\x01\xc0\x00"
            + b"McDn" + _per_length(len(blocks)) + blocks)
    params = b"\x02\x01\x22\x02\x01\x03\x02\x01\x00\x02\x01\x01\x02\x01\x00\x02\x01\x01" \
             b"\x02\x03\x00\xff\xf8\x02\x01\x02"
    mcs = _ber(b"\x7f\x66", b"\x0a\x01\x00" + b"\x02\x01\x00" + _ber(b"\x30", params)
               + _ber(b"\x04", user))
    return tpkt(b"\x02\xf0\x80" + mcs)


def connect_initial(blocks: bytes) -> bytes:
    """TPKT + X.224 DT + MCS Connect-Initial + GCC Conference Create Request."""
    user = (b"\x00\x05\x00\x14\x7c\x00\x01" + b"\x81\x48" + b"\x00\x08\x00\x10\x00\x01\xc0\x00"
            + b"Duca" + _per_length(len(blocks)) + blocks)
    params = b"\x02\x01\x22\x02\x01\x02\x02\x01\x00\x02\x01\x01\x02\x01\x00\x02\x01\x01" \
             b"\x02\x02\xff\xff\x02\x01\x02"
    mcs = _ber(b"\x7f\x65", b"\x04\x01\x01" + b"\x04\x01\x01" + b"\x01\x01\xff"
               + _ber(b"\x30", params) * 3 + _ber(b"\x04", user))
    return tpkt(b"\x02\xf0\x80" + mcs)


CLIENT_CORE = block(0xC001, struct.pack("<HHHHHHII", 4, 8, 1024, 768, 0xCA01, 0xAA03,
                                        0x409, 2600) + bytes(200))

_KEY = None


def certificate(cn: str, days: int = 30) -> bytes:
    """A self-signed certificate (one RSA key per test run: generation is slow)."""
    global _KEY
    if _KEY is None:
        _KEY = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(_KEY.public_key()).serial_number(0x59EB28CB)
            .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days))
            .sign(_KEY, hashes.SHA256()))
    return cert.public_bytes(Encoding.DER)


def relabel_key_as_md5_rsa(der: bytes) -> bytes:
    """The same certificate with its key algorithm OID swapped for md5WithRSAEncryption
    (1.2.840.113549.1.1.4), as Windows' licensing certificates carry it. The signature no
    longer verifies, which nothing here checks."""
    rsa_oid = bytes.fromhex("2a864886f70d010101")
    md5_oid = bytes.fromhex("2a864886f70d010104")
    at = der.find(rsa_oid)
    assert at > 0
    return der[:at] + md5_oid + der[at + len(rsa_oid):]
