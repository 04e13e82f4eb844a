"""Builds protected Initial packets for tests (the inverse of crypto.unprotect)."""

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shoestring.analyzers.quic import consts as C
from shoestring.analyzers.quic.crypto import header_mask, initial_keys


def varint(v: int) -> bytes:
    if v < 0x40:
        return bytes((v,))
    if v < 0x4000:
        return (v | 0x4000).to_bytes(2, "big")
    return (v | 0x80000000).to_bytes(4, "big")


def crypto_frame(offset: int, data: bytes) -> bytes:
    return b"\x06" + varint(offset) + varint(len(data)) + data


def initial(frames: bytes, dcid: bytes, scid: bytes = b"", *, key_dcid: bytes | None = None,
            from_client: bool = True, version: int = C.VERSION_1, pn: int = 0) -> bytes:
    """One protected Initial carrying ``frames`` (padded to a 20-byte minimum)."""
    key, iv, hp = initial_keys(version, key_dcid or dcid, from_client)
    frames = frames + bytes(max(0, 20 - len(frames)))
    type_bits = 1 if version == C.VERSION_2 else 0
    first = 0xC0 | (type_bits << 4) | 0x01                 # 2-byte packet number
    pn_bytes = pn.to_bytes(2, "big")
    length = len(pn_bytes) + len(frames) + 16
    header = (bytes((first,)) + version.to_bytes(4, "big") + bytes((len(dcid),)) + dcid +
              bytes((len(scid),)) + scid + varint(0) + varint(length))
    pn_offset = len(header)
    nonce = iv[:4] + (int.from_bytes(iv[4:], "big") ^ pn).to_bytes(8, "big")
    sealed = AESGCM(key).encrypt(nonce, frames, header + pn_bytes)
    mask = header_mask(hp, sealed[4 - len(pn_bytes):4 - len(pn_bytes) + 16])
    prot = bytearray(header + pn_bytes + sealed)
    prot[0] ^= mask[0] & 0x0F
    for i in range(len(pn_bytes)):
        prot[pn_offset + i] ^= mask[1 + i]
    return bytes(prot)


def client_hello(server_names=("example.com",), alpn=("h3",), psk=False) -> bytes:
    """A minimal TLS 1.3 ClientHello handshake message (RFC 8446 §4.1.2)."""
    exts = b""
    if server_names:
        names = b"".join(b"\x00" + len(n).to_bytes(2, "big") + n.encode() for n in server_names)
        body = len(names).to_bytes(2, "big") + names
        exts += b"\x00\x00" + len(body).to_bytes(2, "big") + body
    if alpn:
        protos = b"".join(bytes((len(p),)) + p.encode() for p in alpn)
        body = len(protos).to_bytes(2, "big") + protos
        exts += b"\x00\x10" + len(body).to_bytes(2, "big") + body
    exts += b"\x00\x2b\x00\x03\x02\x03\x04"                 # supported_versions: TLS 1.3
    if psk:                                                 # must be last (RFC 8446 §4.2.11)
        exts += b"\x00\x29\x00\x00"
    body = (b"\x03\x03" + bytes(32) + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00" +
            len(exts).to_bytes(2, "big") + exts)
    return b"\x01" + len(body).to_bytes(3, "big") + body
