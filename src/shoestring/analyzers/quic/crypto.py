"""QUIC Initial packet protection (RFC 9001 §5, RFC 9369 §3.3): keys from the client's DCID.

Initial packets are encrypted with keys anyone can derive from the Destination Connection
ID of the client's first Initial, so a passive sensor can read the ClientHello and
ServerHello. The ciphers come from the ``cryptography`` package (AES-ECB for the header
protection mask, AES-128-GCM with tag verification), HKDF's SHA-256 from the stdlib's
hashlib (HMAC over it, see _hmac_key); only the packet layout around them (label
encoding, nonce, header unmasking) is written here.

Compiled with mypyc like the rest of the QUIC analyzer (which is why cryptography is a
build requirement in pyproject.toml: mypy needs its types): the library calls dominate,
but the HMAC and unmasking glue around them ran interpreted at ~25k instructions per
connection.
"""

from __future__ import annotations

import functools
import struct
from hashlib import sha256
from typing import TYPE_CHECKING, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .consts import initial_salt_and_prefix
# QUICDecryptError lives in parse.py, with the QUICParseError it refines (the analyzer
# catches the latter); re-exported here, where it is raised.
from .parse import QUICDecryptError

if TYPE_CHECKING:
    from _hashlib import HASH

SECRET_LEN: Final = 32      # SHA-256 output: Initial secrets (RFC 9001 §5.2)
KEY_LEN: Final = 16         # AES-128-GCM key
IV_LEN: Final = 12          # AEAD nonce length
HP_LEN: Final = 16          # AES-128 header protection key
SAMPLE_LEN: Final = 16      # header protection sample (RFC 9001 §5.4.2)
TAG_LEN: Final = 16         # AEAD tag
PN_MAX_LEN: Final = 4       # the sample is taken as if the packet number were 4 bytes long
#: Cached key sets; a run sees one DCID per connection attempt, and a cache keeps the
#: per-packet path from re-running four HKDF steps for each Initial of a connection.
KEY_CACHE_SIZE: Final = 1024
#: Cipher objects per key set, for the few handshakes in flight: building an AESGCM and
#: an AES-ECB encryptor costs ~3.5 us, five times the decryption of a 1200-byte Initial,
#: and a hello split over several Initials reuses them within a few packets. Each holds
#: OpenSSL contexts, so only recent ones are kept: a key set is dead once both hellos
#: are read, and a miss merely builds them again.
CIPHER_CACHE_SIZE: Final = 32
#: HKDF labels and salts: a handful per QUIC version.
LABEL_CACHE_SIZE: Final = 64
#: ECB keeps no state of its own (the encryptor holds the key schedule), so one mode object
#: serves every header protection key: building one is a fifth of building the encryptor.
_ECB_MODE: Final = modes.ECB()

_INFO_HEAD: Final = struct.Struct(">HB")        # HkdfLabel: uint16 length, then the label's length


# --- HMAC-SHA256 with the key set up once ---------------------------------------------------
# A key is used several times (a salt for every connection, a secret for key, iv and hp), so
# each key's two SHA-256 states (RFC 2104: the key XOR ipad and XOR opad absorbed) are built
# once and copied per message. This is HMAC written out over hashlib rather than the stdlib's
# hmac.HMAC, whose Python-level new/copy/update/digest wrappers cost more than the hashing:
# they were a fifth of the QUIC analyzer's time (two Initial key sets per connection).

_BLOCK: Final = 64                              # SHA-256's block size (RFC 2104's B)
_IPAD: Final = bytes(x ^ 0x36 for x in range(256))   # translate() tables: XOR every byte
_OPAD: Final = bytes(x ^ 0x5C for x in range(256))


class _Keyed:
    """HMAC-SHA256 keyed by one key: the inner and outer hash states, never updated."""

    __slots__ = ("inner", "outer")

    def __init__(self, inner: HASH, outer: HASH) -> None:
        self.inner = inner
        self.outer = outer


def _hmac_key(key: bytes) -> _Keyed:
    """HMAC-SHA256 keyed by ``key`` (RFC 2104 §2), ready to be copied for each message."""
    if len(key) > _BLOCK:
        key = sha256(key).digest()
    key = key.ljust(_BLOCK, b"\x00")
    return _Keyed(sha256(key.translate(_IPAD)), sha256(key.translate(_OPAD)))


def _hmac(keyed: _Keyed, msg: bytes) -> bytes:
    inner = keyed.inner.copy()
    inner.update(msg)
    outer = keyed.outer.copy()
    outer.update(inner.digest())
    return outer.digest()


@functools.lru_cache(maxsize=LABEL_CACHE_SIZE)
def _expand_info(label: str, length: int) -> bytes:
    """HkdfLabel with an empty context (RFC 8446 §7.1), then HKDF-Expand's counter 0x01:
    every length QUIC asks for fits one SHA-256 block, so Expand is T(1) alone."""
    if not 0 < length <= SECRET_LEN:
        raise ValueError(f"HKDF-Expand-Label of {length} bytes needs more than one block")
    full = b"tls13 " + label.encode("ascii")
    return _INFO_HEAD.pack(length, len(full)) + full + b"\x00\x01"


@functools.lru_cache(maxsize=LABEL_CACHE_SIZE)
def _salt_key(salt: bytes) -> _Keyed:
    return _hmac_key(salt)


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    """HKDF-Extract (RFC 5869 §2.2) with SHA-256: HMAC keyed by the salt."""
    return _hmac(_salt_key(salt), ikm)


def hkdf_expand_label(secret: bytes, label: str, length: int) -> bytes:
    """TLS 1.3 HKDF-Expand-Label (RFC 8446 §7.1) with an empty context (lengths <= 32)."""
    return _hmac(_hmac_key(secret), _expand_info(label, length))[:length]


class _VersionParams:
    """What one QUIC version's Initial keys need, labels already encoded as HkdfLabels."""

    __slots__ = ("salt", "client_in", "server_in", "key", "iv", "hp")

    def __init__(self, salt: bytes, prefix: str) -> None:
        self.salt = salt
        self.client_in = _expand_info("client in", SECRET_LEN)
        self.server_in = _expand_info("server in", SECRET_LEN)
        self.key = _expand_info(prefix + " key", KEY_LEN)
        self.iv = _expand_info(prefix + " iv", IV_LEN)
        self.hp = _expand_info(prefix + " hp", HP_LEN)


#: Version -> its _VersionParams, filled on first use (a handful of versions exist).
_VERSION_PARAMS: Final[dict[int, _VersionParams]] = {}


@functools.lru_cache(maxsize=CIPHER_CACHE_SIZE)     # wanted again at the server's Initial
def _initial_secret_key(salt: bytes, dcid: bytes) -> _Keyed:
    """HMAC states of the Initial secret: both sides' secrets come from it."""
    return _hmac_key(_hmac(_salt_key(salt), dcid))


@functools.lru_cache(maxsize=KEY_CACHE_SIZE)
def initial_keys(version: int, dcid: bytes, from_client: bool) -> tuple[bytes, bytes, bytes]:
    """(key, iv, hp) protecting one side's Initial packets (RFC 9001 §5.2, RFC 9369 §3.3)."""
    params = _VERSION_PARAMS.get(version)
    if params is None:
        salt_prefix = initial_salt_and_prefix(version)
        if salt_prefix is None:
            raise QUICDecryptError(f"no Initial salt for version 0x{version:x}")
        params = _VERSION_PARAMS[version] = _VersionParams(*salt_prefix)
    secret = _hmac(_initial_secret_key(params.salt, dcid),
                   params.client_in if from_client else params.server_in)
    side = _hmac_key(secret)
    return (_hmac(side, params.key)[:KEY_LEN],
            _hmac(side, params.iv)[:IV_LEN],
            _hmac(side, params.hp)[:HP_LEN])


def _ecb(hp: bytes) -> CipherContext:
    """An AES-ECB encryptor for header protection key ``hp``: ECB keeps no state between
    blocks, so one encryptor serves every sample of a key set (never finalized)."""
    return Cipher(algorithms.AES(hp), _ECB_MODE).encryptor()


@functools.lru_cache(maxsize=CIPHER_CACHE_SIZE)
def _ciphers(keys: tuple[bytes, bytes, bytes]
             ) -> tuple[AESGCM, bytes, int, CipherContext]:
    """(AEAD, IV prefix, IV tail as an int, ECB encryptor) for one side's key set."""
    key, iv, hp = keys
    return AESGCM(key), iv[:4], int.from_bytes(iv[4:], "big"), _ecb(hp)


def header_mask(hp: bytes, sample: bytes) -> bytes:
    """AES-based header protection mask (RFC 9001 §5.4.3): AES-ECB(hp, sample)."""
    return _ecb(hp).update(sample)


def unprotect(packet: bytes, pn_offset: int, end: int, keys: tuple[bytes, bytes, bytes],
              start: int = 0) -> tuple[int, bytes]:
    """Remove header protection and decrypt one long-header packet.

    ``packet[start:end]`` is the packet (``start`` lets a caller pass a whole coalesced
    datagram without slicing it), ``pn_offset`` where its Packet Number field starts
    (relative to ``packet``). Returns (packet number, plaintext frames); raises
    QUICDecryptError when it does not decrypt.
    """
    aead, iv_head, iv_tail, ecb = _ciphers(keys)
    sample_at = pn_offset + PN_MAX_LEN
    if sample_at + SAMPLE_LEN > end:
        raise QUICDecryptError("packet too short for the header protection sample")
    mask = ecb.update(packet[sample_at:sample_at + SAMPLE_LEN])
    first = packet[start] ^ (mask[0] & 0x0F)        # long header: low 4 bits protected
    pn_len = (first & 0x03) + 1
    body = pn_offset + pn_len
    if body + TAG_LEN > end:
        raise QUICDecryptError("packet too short for its packet number and tag")
    # XOR of the packet number with the mask as integers: no per-byte loop.
    pn = int.from_bytes(packet[pn_offset:body], "big") ^ \
        int.from_bytes(mask[1:1 + pn_len], "big")
    header = b"%c%b%b" % (first, packet[start + 1:pn_offset], pn.to_bytes(pn_len, "big"))
    # Nonce: the IV XORed with the packet number, left-padded to the IV length (§5.3).
    # The truncated number is used as is: a passive observer of the first Initials does not
    # know the peer's largest acknowledged number, and they start at 0 (as Zeek does).
    nonce = iv_head + (iv_tail ^ pn).to_bytes(8, "big")
    try:
        plain = aead.decrypt(nonce, packet[body:end], header)
    except InvalidTag:
        raise QUICDecryptError("AEAD tag does not verify") from None
    return pn, plain
