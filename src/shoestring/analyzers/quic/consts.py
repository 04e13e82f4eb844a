"""QUIC and TLS code -> name tables and wire constants (data only), as Zeek names them."""

from __future__ import annotations

from typing import Final

# --- Versions (RFC 9000 §15, RFC 9369 §3.1; drafts and mvfst as Zeek's consts.zeek lists) ----
VERSION_NEGOTIATION: Final = 0x00000000
VERSION_1: Final = 0x00000001
VERSION_2: Final = 0x6B3343CF

#: Zeek's QUIC::version_strings (base/protocols/quic/consts.zeek), including its
#: "draft-30" for 0xff00001f, so that quic.log reads the same.
VERSION_STRINGS: Final[dict[int, str]] = {
    VERSION_1: "1",
    VERSION_2: "quicv2",
    0xFF000016: "draft-22",
    0xFF000017: "draft-23",
    0xFF000018: "draft-24",
    0xFF000019: "draft-25",
    0xFF00001A: "draft-26",
    0xFF00001B: "draft-27",
    0xFF00001C: "draft-28",
    0xFF00001D: "draft-29",
    0xFF00001E: "draft-30",
    0xFF00001F: "draft-30",
    0xFF000020: "draft-32",
    0xFF000021: "draft-33",
    0xFF000022: "draft-34",
    0xFACEB001: "mvfst (faceb001)",
    0xFACEB002: "mvfst (faceb002)",
    0xFACEB00E: "mvfst (faceb00e)",
    0xFACEB011: "mvfst (faceb011)",
    0xFACEB012: "mvfst (faceb012)",
    0xFACEB013: "mvfst (faceb013)",
}


def version_name(version: int) -> str:
    """quic.log's version field: Zeek's name, or ``unknown-<hex>`` as Zeek's &default."""
    return VERSION_STRINGS.get(version) or f"unknown-{version:x}"


# --- Long header packet types, normalised to v1's numbering (RFC 9000 §17.2) ---------------
INITIAL: Final = 0
ZERO_RTT: Final = 1
HANDSHAKE: Final = 2
RETRY: Final = 3
#: RFC 9369 §3.2 reshuffles the two type bits to fight ossification; map wire -> v1 type.
V2_TYPES: Final = (RETRY, INITIAL, ZERO_RTT, HANDSHAKE)
V1_TYPES: Final = (INITIAL, ZERO_RTT, HANDSHAKE, RETRY)

# --- Initial secrets: salt and HKDF label prefix per version ---------------------------------
SALT_V1: Final = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")   # RFC 9001 §5.2
SALT_V2: Final = bytes.fromhex("0dede3def700a6db819381be6e269dcbf9bd2ed9")   # RFC 9369 §3.3.1
SALT_DRAFT_29: Final = bytes.fromhex("afbfec289993d24c9e9786f19c6111e04390a899")  # draft-ietf-quic-tls-29 §5.2
SALT_DRAFT_23: Final = bytes.fromhex("c3eef712c72ebb5a11a7d2432bb46365bef9f502")  # drafts 23 to 28


def initial_salt_and_prefix(version: int) -> tuple[bytes, str] | None:
    """(salt, label prefix) for the Initial keys of ``version``; None when unknown."""
    if version == VERSION_1:
        return SALT_V1, "quic"
    if version == VERSION_2:
        return SALT_V2, "quicv2"
    if 0xFF00001D <= version <= 0xFF000022:
        return SALT_DRAFT_29, "quic"
    if 0xFF000017 <= version <= 0xFF00001C:
        return SALT_DRAFT_23, "quic"
    if version in VERSION_STRINGS:
        # mvfst and draft-22: Zeek decrypts them with v1's salt; so do we, to log alike.
        return SALT_V1, "quic"
    return None


def packet_types(version: int) -> tuple[int, int, int, int] | None:
    """Wire type bits -> normalised type for a version we can parse; None when unknown."""
    if version == VERSION_2:
        return V2_TYPES
    if version in VERSION_STRINGS:
        return V1_TYPES
    return None


# --- Frames permitted in Initial and Handshake packets (RFC 9000 §12.4, Table 3) -------------
FRAME_PADDING: Final = 0x00
FRAME_PING: Final = 0x01
FRAME_ACK: Final = 0x02
FRAME_ACK_ECN: Final = 0x03
FRAME_CRYPTO: Final = 0x06
FRAME_CONNECTION_CLOSE: Final = 0x1C

# --- Zeek's ports for QUIC (base/protocols/quic/main.zeek quic_ports) ------------------------
UDP_PORTS: Final = frozenset({443, 853, 784})
