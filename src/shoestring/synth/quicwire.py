"""Build QUIC v1 packets (RFC 9000): Initial packets encrypted for real (RFC 9001 section 5).

Initial keys come from the client's first Destination Connection ID, so any observer (Zeek,
Wireshark, our own analyzer) can decrypt them and read the ClientHello's SNI and ALPN; that is
why they are built properly here. Handshake and 1-RTT packets need the TLS key exchange to
decrypt, so their protected payloads are random bytes of realistic sizes.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import tlswire

QUIC_V1 = 0x00000001
INITIAL_SALT_V1 = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")  # RFC 9001 5.2
TYPE_INITIAL, TYPE_HANDSHAKE = 0, 2
FRAME_PADDING, FRAME_ACK, FRAME_CRYPTO = 0x00, 0x02, 0x06
MIN_INITIAL_DATAGRAM = 1200  # RFC 9000 section 14.1: client Initials are padded to this
PN_LEN = 2                   # packet numbers as 2 bytes, as most stacks send early packets
TAG_LEN = 16                 # AES-128-GCM tag


def varint(v: int) -> bytes:
    """RFC 9000 section 16 variable-length integer, shortest form."""
    if v < 0x40:
        return bytes([v])
    if v < 0x4000:
        return struct.pack("!H", 0x4000 | v)
    if v < 0x40000000:
        return struct.pack("!I", 0x80000000 | v)
    return struct.pack("!Q", 0xC000000000000000 | v)


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand_label(secret: bytes, label: str, length: int) -> bytes:
    """TLS 1.3 HKDF-Expand-Label (RFC 8446 section 7.1) with an empty context; one HMAC
    block suffices because every QUIC Initial output is at most 32 bytes."""
    full = b"tls13 " + label.encode()
    info = struct.pack("!H", length) + bytes([len(full)]) + full + b"\x00"
    return hmac.new(secret, info + b"\x01", hashlib.sha256).digest()[:length]


def initial_keys(dcid: bytes, server: bool) -> tuple[bytes, bytes, bytes]:
    """(key, iv, hp) for the client's or server's Initial packets (RFC 9001 section 5.2)."""
    initial = hkdf_extract(INITIAL_SALT_V1, dcid)
    secret = hkdf_expand_label(initial, "server in" if server else "client in", 32)
    return (hkdf_expand_label(secret, "quic key", 16), hkdf_expand_label(secret, "quic iv", 12),
            hkdf_expand_label(secret, "quic hp", 16))


def _hp_mask(hp: bytes, sample: bytes) -> bytes:
    enc = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    return enc.update(sample) + enc.finalize()


def protect_long(first: int, version: int, dcid: bytes, scid: bytes, token: bytes | None,
                 pn: int, payload: bytes, keys: tuple[bytes, bytes, bytes]) -> bytes:
    """Encrypt and header-protect one long-header packet (RFC 9001 sections 5.3, 5.4)."""
    key, iv, hp = keys
    head = struct.pack("!BI", first | (PN_LEN - 1), version) + bytes([len(dcid)]) + dcid \
        + bytes([len(scid)]) + scid
    if token is not None:
        head += varint(len(token)) + token
    head += struct.pack("!H", 0x4000 | (PN_LEN + len(payload) + TAG_LEN))  # 2-byte varint length
    pn_offset = len(head)
    head += pn.to_bytes(PN_LEN, "big")
    nonce = (int.from_bytes(iv, "big") ^ pn).to_bytes(12, "big")
    sealed = AESGCM(key).encrypt(nonce, payload, head)
    sample = sealed[4 - PN_LEN:4 - PN_LEN + 16]  # sample starts 4 bytes after the pn's start
    mask = _hp_mask(hp, sample)
    out = bytearray(head + sealed)
    out[0] ^= mask[0] & 0x0F
    for i in range(PN_LEN):
        out[pn_offset + i] ^= mask[1 + i]
    return bytes(out)


def unprotect_long(packet: bytes, keys: tuple[bytes, bytes, bytes]) -> tuple[int, bytes]:
    """Remove header protection and decrypt an Initial packet; returns (pn, payload).
    The inverse of protect_long, for tests and for checking what we wrote."""
    key, iv, hp = keys
    pos = 5
    pos += 1 + packet[pos]  # destination connection id
    pos += 1 + packet[pos]  # source connection id
    if (packet[0] & 0x30) >> 4 == TYPE_INITIAL:
        tlen, pos = _read_varint(packet, pos)
        pos += tlen
    length, pos = _read_varint(packet, pos)
    mask = _hp_mask(hp, packet[pos + 4:pos + 20])
    first = packet[0] ^ (mask[0] & 0x0F)
    pn_len = (first & 0x03) + 1
    pn_bytes = bytes(b ^ m for b, m in zip(packet[pos:pos + pn_len], mask[1:]))
    pn = int.from_bytes(pn_bytes, "big")
    head = bytes([first]) + packet[1:pos] + pn_bytes
    nonce = (int.from_bytes(iv, "big") ^ pn).to_bytes(12, "big")
    return pn, AESGCM(key).decrypt(nonce, packet[pos + pn_len:pos + length], head)


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    size = 1 << (buf[pos] >> 6)
    v = buf[pos] & 0x3F
    for b in buf[pos + 1:pos + size]:
        v = (v << 8) | b
    return v, pos + size


def crypto_frame(data: bytes, offset: int = 0) -> bytes:
    return bytes([FRAME_CRYPTO]) + varint(offset) + varint(len(data)) + data


def transport_params(scid: bytes) -> bytes:
    """Typical client transport parameters (RFC 9000 section 18.2)."""
    params = ((0x04, varint(15728640)), (0x05, varint(6291456)), (0x06, varint(6291456)),
              (0x07, varint(6291456)), (0x08, varint(100)), (0x09, varint(103)),
              (0x01, varint(30000)), (0x03, varint(1472)), (0x0F, scid))
    return b"".join(varint(k) + varint(len(v)) + v for k, v in params)


def client_initial(rng: random.Random, dcid: bytes, scid: bytes, sni: str,
                   alpn=("h3",)) -> bytes:
    """The client's first datagram: an Initial carrying a ClientHello, padded to 1200 bytes."""
    hello = tlswire.client_hello(rng, sni, alpn, True, quic_params=transport_params(scid))
    frames = crypto_frame(hello)
    overhead = 1 + 4 + 1 + len(dcid) + 1 + len(scid) + 1 + 2 + PN_LEN + TAG_LEN
    frames += b"\x00" * max(0, MIN_INITIAL_DATAGRAM - overhead - len(frames))
    return protect_long(0xC0 | (TYPE_INITIAL << 4), QUIC_V1, dcid, scid, b"", 0, frames,
                        initial_keys(dcid, server=False))


def server_initial(rng: random.Random, original_dcid: bytes, client_scid: bytes,
                   server_scid: bytes) -> bytes:
    """The server's first datagram: an Initial (ACK + ServerHello, encrypted with the server
    Initial keys) coalesced with a Handshake packet of random protected bytes."""
    frames = bytes([FRAME_ACK, 0, 0, 0, 0]) + crypto_frame(tlswire.server_hello(rng, True, None))
    initial = protect_long(0xC0 | (TYPE_INITIAL << 4), QUIC_V1, client_scid, server_scid, b"",
                           0, frames, initial_keys(original_dcid, server=True))
    return initial + handshake_packet(rng, client_scid, server_scid, 1100 - len(initial) % 200)


def handshake_packet(rng: random.Random, dcid: bytes, scid: bytes, size: int) -> bytes:
    """A Handshake packet whose protected part is `size` random bytes."""
    head = struct.pack("!BI", 0xC0 | (TYPE_HANDSHAKE << 4) | (PN_LEN - 1), QUIC_V1) \
        + bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid + struct.pack("!H", 0x4000 | size)
    return head + rng.randbytes(size)


def short_packet(rng: random.Random, dcid: bytes, size: int) -> bytes:
    """A 1-RTT (short header) packet of `size` bytes in total."""
    return bytes([0x40 | rng.getrandbits(5)]) + dcid + rng.randbytes(max(size - 1 - len(dcid), 20))
