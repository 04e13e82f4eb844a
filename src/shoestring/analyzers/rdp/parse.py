"""Sans-IO parsers for RDP's connection sequence: TPKT, X.224, MCS Connect, GCC user data.

Pure functions; framing ones return ``None`` while the buffer holds only part of a
frame, and every one raises :class:`RdpParseError` for bytes that cannot be what they
should. Only what the analyzer needs is decoded: the negotiation of the security
protocol, the presence of the client's core data, and the server's security data with
its certificates ([MS-RDPBCGR] 2.2.1.1 to 2.2.1.4).
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from . import consts as C


class RdpParseError(ValueError):
    """Bytes that are not the RDP structure expected at this point."""


TPKT_HEADER = struct.Struct("!BBH")         # RFC 1006: version, reserved, length
NEGOTIATION = struct.Struct("<BBHI")        # [MS-RDPBCGR] 2.2.1.1.1: type, flags, length, value
BLOCK_HEADER = struct.Struct("<HH")         # [MS-RDPBCGR] 2.2.1.3.1: type, length
SECURITY_HEADER = struct.Struct("<II")      # 2.2.1.4.3: encryptionMethod, encryptionLevel
_U32 = struct.Struct("<I")

COOKIE = b"Cookie: "


class X224(NamedTuple):
    code: int                   # consts.X224_*
    variable: bytes             # CR/CC: the bytes after the fixed header; DT: the user data


class Negotiation(NamedTuple):
    kind: int                   # NEG_REQUEST / NEG_RESPONSE / NEG_FAILURE
    flags: int
    value: int                  # requested / selected protocols, or the failure code


class ConnectRequest(NamedTuple):
    cookie: bytes | None        # "mstshash=NAME" or a routing token, CRLF removed
    negotiation: Negotiation | None


class ServerSecurity(NamedTuple):
    method: int                 # encryptionMethod (0: none)
    level: int                  # encryptionLevel (0: none)
    chain_version: int | None   # CERT_CHAIN_PROPRIETARY / CERT_CHAIN_X509
    permanent: bool | None
    certificates: list[bytes]   # X.509 DER blobs, in the order sent


def parse_tpkt(buf: bytes | bytearray, offset: int = 0) -> tuple[bytes, int] | None:
    """One TPKT frame's payload (the X.224 TPDU) and the offset after the frame."""
    if len(buf) - offset < TPKT_HEADER.size:
        return None
    version, _reserved, length = TPKT_HEADER.unpack_from(buf, offset)
    if version != C.TPKT_VERSION:
        raise RdpParseError(f"not a TPKT (version {version})")
    if length < TPKT_HEADER.size + 3:            # X.224 DT: LI, code, EOT at least
        raise RdpParseError(f"TPKT length {length} too short")
    end = offset + length
    if len(buf) < end:
        return None
    return bytes(buf[offset + TPKT_HEADER.size:end]), end


def parse_x224(tpdu: bytes) -> X224:
    """X.224 TPDU header (ISO 8073 13.3): length indicator, code, fixed part."""
    if len(tpdu) < 2:
        raise RdpParseError("X.224 TPDU too short")
    li, code = tpdu[0], tpdu[1] & 0xF0
    if li + 1 > len(tpdu):
        raise RdpParseError(f"X.224 length indicator {li} past the TPDU")
    if code in (C.X224_CONNECT_REQUEST, C.X224_CONNECT_CONFIRM):
        if li < 6:                              # code, DST-REF, SRC-REF, class
            raise RdpParseError(f"X.224 connection TPDU header of {li} bytes")
        return X224(code, tpdu[7:li + 1])
    if code == C.X224_DATA:
        return X224(code, tpdu[li + 1:])
    return X224(code, b"")


def parse_negotiation(data: bytes, offset: int) -> tuple[Negotiation | None, int]:
    """An optional RDP_NEG_REQ/RSP/FAILURE at ``offset`` ([MS-RDPBCGR] 2.2.1.1.1)."""
    if len(data) - offset < NEGOTIATION.size:
        return None, offset
    kind, flags, length, value = NEGOTIATION.unpack_from(data, offset)
    if kind not in (C.NEG_REQUEST, C.NEG_RESPONSE, C.NEG_FAILURE) or length != C.NEG_LENGTH:
        raise RdpParseError(f"bad RDP negotiation structure (type {kind}, length {length})")
    return Negotiation(kind, flags, value), offset + NEGOTIATION.size


def parse_connect_request(variable: bytes) -> ConnectRequest:
    """The X.224 Connection Request's variable part: cookie line, then negotiation."""
    cookie, pos = None, 0
    if variable.startswith(COOKIE):
        end = variable.find(b"\r\n")
        if end < 0:
            raise RdpParseError("RDP cookie without CR LF")
        cookie, pos = variable[len(COOKIE):end], end + 2
    neg, _ = parse_negotiation(variable, pos)
    return ConnectRequest(cookie, neg)


def _ber_length(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise RdpParseError("BER length missing")
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    n = first & 0x7F
    if n == 0 or n > C.MAX_BER_LENGTH_OCTETS or pos + 1 + n > len(data):
        raise RdpParseError("bad BER length")
    return int.from_bytes(data[pos + 1:pos + 1 + n], "big"), pos + 1 + n


def mcs_user_data(data: bytes, tag: bytes) -> bytes:
    """The userData OCTET STRING of a BER MCS Connect-Initial/-Response (T.125 11.1-2):
    the last OCTET STRING among its fields (Connect-Initial's domain selectors are
    OCTET STRINGs too, ahead of it)."""
    if not data.startswith(tag):
        raise RdpParseError("not the MCS connect PDU expected")
    length, pos = _ber_length(data, len(tag))
    end = min(pos + length, len(data))        # MS servers' lengths can overshoot
    user = None
    while pos < end:
        field_tag = data[pos]
        flen, vpos = _ber_length(data, pos + 1)
        if vpos + flen > end:
            raise RdpParseError("MCS field past its PDU")
        if field_tag == C.BER_OCTET_STRING:
            user = data[vpos:vpos + flen]
        pos = vpos + flen
    if user is None:
        raise RdpParseError("MCS connect PDU without user data")
    return user


def gcc_blocks(user_data: bytes, key: bytes) -> list[tuple[int, bytes]]:
    """The [MS-RDPBCGR] user data blocks inside a T.124 GCC Conference Create
    Request/Response: (type, body) pairs, after the H.221 key (``Duca``/``McDn``)."""
    if not user_data.startswith(C.T124_OID):
        raise RdpParseError("GCC user data without the T.124 object identifier")
    start = len(C.T124_OID)
    at = user_data.find(key, start, start + C.MAX_GCC_PREAMBLE + len(key))
    if at < 0:
        raise RdpParseError(f"GCC user data without the H.221 key {key!r}")
    pos = at + len(key)
    if pos >= len(user_data):
        raise RdpParseError("GCC user data length missing")
    length = user_data[pos]                   # PER length: 1 byte, or 2 with bit 7 set
    pos += 1
    if length & 0x80:
        if pos >= len(user_data):
            raise RdpParseError("GCC user data length cut")
        length = ((length & 0x7F) << 8) | user_data[pos]
        pos += 1
    return data_blocks(user_data[pos:pos + length])


def data_blocks(data: bytes) -> list[tuple[int, bytes]]:
    blocks: list[tuple[int, bytes]] = []
    pos = 0
    while pos + BLOCK_HEADER.size <= len(data):
        if len(blocks) >= C.MAX_BLOCKS:
            raise RdpParseError(f"more than {C.MAX_BLOCKS} GCC user data blocks")
        btype, blen = BLOCK_HEADER.unpack_from(data, pos)
        if blen < BLOCK_HEADER.size or pos + blen > len(data):
            raise RdpParseError(f"GCC user data block 0x{btype:04x} of bad length {blen}")
        blocks.append((btype, data[pos + BLOCK_HEADER.size:pos + blen]))
        pos += blen
    return blocks


def parse_server_security(body: bytes) -> ServerSecurity:
    """TS_UD_SC_SEC1 ([MS-RDPBCGR] 2.2.1.4.3) with its certificate (2.2.1.4.3.1)."""
    if len(body) < SECURITY_HEADER.size:
        raise RdpParseError("server security data too short")
    method, level = SECURITY_HEADER.unpack_from(body, 0)
    pos = SECURITY_HEADER.size
    if len(body) < pos + 8:
        # Without encryption the random and the certificate are absent.
        return ServerSecurity(method, level, None, None, [])
    random_len, cert_len = struct.unpack_from("<II", body, pos)
    pos += 8 + random_len
    cert = body[pos:pos + cert_len]
    if pos > len(body) or len(cert) != cert_len:
        raise RdpParseError("server random or certificate past the security data")
    if cert_len < 4:
        return ServerSecurity(method, level, None, None, [])
    version = _U32.unpack_from(cert, 0)[0]
    chain, permanent = version & 0x7FFFFFFF, not version & C.CERT_TEMPORARY
    certs: list[bytes] = []
    if chain == C.CERT_CHAIN_X509:
        certs = _x509_chain(cert, 4)
    return ServerSecurity(method, level, chain, permanent, certs)


def _x509_chain(cert: bytes, pos: int) -> list[bytes]:
    """X509 _CERTIFICATE_CHAIN: NumCertBlobs, then (cbCert, abCert) each."""
    if len(cert) < pos + 4:
        raise RdpParseError("X.509 certificate chain without a count")
    count = _U32.unpack_from(cert, pos)[0]
    if count > C.MAX_CERTS:
        raise RdpParseError(f"X.509 certificate chain of {count} certificates")
    pos += 4
    certs = []
    for _ in range(count):
        if len(cert) < pos + 4:
            raise RdpParseError("X.509 certificate blob cut")
        size = _U32.unpack_from(cert, pos)[0]
        der = cert[pos + 4:pos + 4 + size]
        if len(der) != size:
            raise RdpParseError("X.509 certificate blob past the chain")
        certs.append(der)
        pos += 4 + size
    return certs


def looks_like_rdp(data: bytes, is_orig: bool) -> bool:
    """A client's TPKT-framed X.224 Connection Request carrying RDP's cookie or
    negotiation request (Zeek's dpd.sig wants "Cookie: mstshash="; other ISO transport
    users, like S7comm, send TSAP parameters there instead)."""
    if not is_orig or len(data) < 11 or data[0] != C.TPKT_VERSION or data[1] != 0:
        return False
    length = (data[2] << 8) | data[3]
    if data[4] != length - 5 or data[5] & 0xF0 != C.X224_CONNECT_REQUEST:
        return False
    variable = data[11:length]
    if variable.startswith(COOKIE + b"mstshash="):
        return True
    return len(variable) == NEGOTIATION.size and variable[0] == C.NEG_REQUEST \
        and variable[2:4] == b"\x08\x00"


def _tlv(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, value start, value end) of the DER element at ``pos``."""
    if pos >= end:
        raise RdpParseError("DER element missing")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise RdpParseError("DER high tag number where a certificate has none")
    length, vpos = _ber_length(data, pos + 1)
    if vpos + length > end:
        raise RdpParseError("DER element past its container")
    return tag, vpos, vpos + length


def rsa_key_of(der: bytes) -> tuple[int, int]:
    """(modulus bits, public exponent) read from a certificate's SubjectPublicKeyInfo
    bits, whatever key algorithm it names. Windows' RDP licensing certificates label an
    RSA key "md5WithRSAEncryption"; cryptography refuses such a key, OpenSSL in Zeek is
    told it is rsaEncryption (X509.cc) and logs its size and exponent."""
    _, pos, end = _tlv(der, 0, len(der))                 # Certificate
    tag, pos, end = _tlv(der, pos, end)                  # TBSCertificate
    if tag != 0x30:
        raise RdpParseError("certificate without a TBSCertificate")
    if pos < end and der[pos] == 0xA0:                   # [0] version
        pos = _tlv(der, pos, end)[2]
    for _ in range(5):                                   # serial, signature, issuer,
        pos = _tlv(der, pos, end)[2]                     # validity, subject
    _, pos, end = _tlv(der, pos, end)                    # SubjectPublicKeyInfo
    pos = _tlv(der, pos, end)[2]                         # its AlgorithmIdentifier
    tag, pos, end = _tlv(der, pos, end)
    if tag != 0x03 or pos >= end or der[pos] != 0:       # BIT STRING, no unused bits
        raise RdpParseError("public key is not a whole-byte BIT STRING")
    tag, pos, end = _tlv(der, pos + 1, end)              # RSAPublicKey (RFC 8017 A.1.1)
    if tag != 0x30:
        raise RdpParseError("public key is not an RSAPublicKey")
    tag, npos, nend = _tlv(der, pos, end)
    etag, epos, eend = _tlv(der, nend, end)
    if tag != 0x02 or etag != 0x02:
        raise RdpParseError("RSAPublicKey without its two INTEGERs")
    modulus = int.from_bytes(der[npos:nend], "big")
    return modulus.bit_length(), int.from_bytes(der[epos:eend], "big")
