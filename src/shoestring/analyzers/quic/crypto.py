"""QUIC Initial packet protection (RFC 9001 §5, RFC 9369 §3.3): keys from the client's DCID.

Initial packets are encrypted with keys anyone can derive from the Destination Connection
ID of the client's first Initial, so a passive sensor can read the ClientHello and
ServerHello. All primitives come from the ``cryptography`` package (HKDF-Expand, HMAC,
AES-ECB for the header protection mask, AES-128-GCM with tag verification); only the
packet layout around them (label encoding, nonce, header unmasking) is written here.
"""

from __future__ import annotations

import functools
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from .consts import initial_salt_and_prefix
from .parse import QUICParseError

SECRET_LEN = 32      # SHA-256 output: Initial secrets (RFC 9001 §5.2)
KEY_LEN = 16         # AES-128-GCM key
IV_LEN = 12          # AEAD nonce length
HP_LEN = 16          # AES-128 header protection key
SAMPLE_LEN = 16      # header protection sample (RFC 9001 §5.4.2)
TAG_LEN = 16         # AEAD tag
PN_MAX_LEN = 4       # the sample is taken as if the packet number were 4 bytes long
#: Cached key sets; a run sees one DCID per connection attempt, and a cache keeps the
#: per-packet path from re-running four HKDF steps for each Initial of a connection.
KEY_CACHE_SIZE = 1024


class QUICDecryptError(QUICParseError):
    """An Initial packet that does not decrypt with the keys its DCID gives."""

    def __init__(self, message: str):
        super().__init__(message, "QUIC_decryption_failed")


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    """HKDF-Extract (RFC 5869 §2.2) with SHA-256: HMAC keyed by the salt."""
    h = hmac.HMAC(salt, hashes.SHA256())
    h.update(ikm)
    return h.finalize()


def hkdf_expand_label(secret: bytes, label: str, length: int) -> bytes:
    """TLS 1.3 HKDF-Expand-Label (RFC 8446 §7.1) with an empty context."""
    full = b"tls13 " + label.encode("ascii")
    info = struct.pack(">HB", length, len(full)) + full + b"\x00"
    return HKDFExpand(hashes.SHA256(), length, info).derive(secret)


@functools.lru_cache(maxsize=KEY_CACHE_SIZE)
def initial_keys(version: int, dcid: bytes, from_client: bool) -> tuple[bytes, bytes, bytes]:
    """(key, iv, hp) protecting one side's Initial packets (RFC 9001 §5.2, RFC 9369 §3.3)."""
    params = initial_salt_and_prefix(version)
    if params is None:
        raise QUICDecryptError(f"no Initial salt for version 0x{version:x}")
    salt, prefix = params
    initial_secret = hkdf_extract(salt, dcid)
    secret = hkdf_expand_label(initial_secret, "client in" if from_client else "server in",
                               SECRET_LEN)
    return (hkdf_expand_label(secret, prefix + " key", KEY_LEN),
            hkdf_expand_label(secret, prefix + " iv", IV_LEN),
            hkdf_expand_label(secret, prefix + " hp", HP_LEN))


def header_mask(hp: bytes, sample: bytes) -> bytes:
    """AES-based header protection mask (RFC 9001 §5.4.3): AES-ECB(hp, sample)."""
    enc = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    return enc.update(sample) + enc.finalize()


def unprotect(packet: bytes, pn_offset: int, end: int, keys: tuple[bytes, bytes, bytes]
              ) -> tuple[int, bytes]:
    """Remove header protection and decrypt one long-header packet.

    ``packet[:end]`` is the packet (it may sit at the start of a coalesced datagram sliced
    by the caller), ``pn_offset`` where its Packet Number field starts. Returns
    (packet number, plaintext frames); raises QUICDecryptError when it does not decrypt.
    """
    key, iv, hp = keys
    sample_at = pn_offset + PN_MAX_LEN
    if sample_at + SAMPLE_LEN > end:
        raise QUICDecryptError("packet too short for the header protection sample")
    mask = header_mask(hp, packet[sample_at:sample_at + SAMPLE_LEN])
    first = packet[0] ^ (mask[0] & 0x0F)            # long header: low 4 bits protected
    pn_len = (first & 0x03) + 1
    if pn_offset + pn_len + TAG_LEN > end:
        raise QUICDecryptError("packet too short for its packet number and tag")
    pn_bytes = bytes(b ^ m for b, m in zip(packet[pn_offset:pn_offset + pn_len], mask[1:]))
    pn = int.from_bytes(pn_bytes, "big")
    header = bytes((first,)) + packet[1:pn_offset] + pn_bytes
    # Nonce: the IV XORed with the packet number, left-padded to the IV length (§5.3).
    # The truncated number is used as is: a passive observer of the first Initials does not
    # know the peer's largest acknowledged number, and they start at 0 (as Zeek does).
    nonce = iv[:4] + (int.from_bytes(iv[4:], "big") ^ pn).to_bytes(8, "big")
    try:
        plain = AESGCM(key).decrypt(nonce, bytes(packet[pn_offset + pn_len:end]), header)
    except InvalidTag:
        raise QUICDecryptError("AEAD tag does not verify") from None
    return pn, plain
