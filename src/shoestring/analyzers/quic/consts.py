"""QUIC and TLS code -> name tables and wire constants (data only), as Zeek names them."""

from __future__ import annotations

# --- Versions (RFC 9000 §15, RFC 9369 §3.1; drafts and mvfst as Zeek's consts.zeek lists) ----
VERSION_NEGOTIATION = 0x00000000
VERSION_1 = 0x00000001
VERSION_2 = 0x6B3343CF

#: Zeek's QUIC::version_strings (base/protocols/quic/consts.zeek), including its
#: "draft-30" for 0xff00001f, so that quic.log reads the same.
VERSION_STRINGS: dict[int, str] = {
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
INITIAL, ZERO_RTT, HANDSHAKE, RETRY = 0, 1, 2, 3
#: RFC 9369 §3.2 reshuffles the two type bits to fight ossification; map wire -> v1 type.
V2_TYPES = (RETRY, INITIAL, ZERO_RTT, HANDSHAKE)
V1_TYPES = (INITIAL, ZERO_RTT, HANDSHAKE, RETRY)

# --- Initial secrets: salt and HKDF label prefix per version ---------------------------------
SALT_V1 = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")   # RFC 9001 §5.2
SALT_V2 = bytes.fromhex("0dede3def700a6db819381be6e269dcbf9bd2ed9")   # RFC 9369 §3.3.1
SALT_DRAFT_29 = bytes.fromhex("afbfec289993d24c9e9786f19c6111e04390a899")  # draft-ietf-quic-tls-29 §5.2
SALT_DRAFT_23 = bytes.fromhex("c3eef712c72ebb5a11a7d2432bb46365bef9f502")  # drafts 23 to 28


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
FRAME_PADDING = 0x00
FRAME_PING = 0x01
FRAME_ACK = 0x02
FRAME_ACK_ECN = 0x03
FRAME_CRYPTO = 0x06
FRAME_CONNECTION_CLOSE = 0x1C

# --- Zeek's ports for QUIC (base/protocols/quic/main.zeek quic_ports) ------------------------
UDP_PORTS = frozenset({443, 853, 784})

# --- TLS handshake bits needed for quic's ssl.log record -------------------------------------
TLS_CLIENT_HELLO = 1
TLS_SERVER_HELLO = 2
EXT_SERVER_NAME = 0
EXT_ALPN = 16
EXT_PRE_SHARED_KEY = 41
EXT_SUPPORTED_VERSIONS = 43
EXT_KEY_SHARE = 51
#: RFC 8446 §4.1.3: a ServerHello with this random is a HelloRetryRequest.
HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a2111670bb8c5e079e09e2c8a8339c")

#: Zeek's SSL::version_strings (subset reachable over QUIC and its TLS 1.3 drafts).
TLS_VERSIONS = {0x0300: "SSLv3", 0x0301: "TLSv10", 0x0302: "TLSv11", 0x0303: "TLSv12",
                0x0304: "TLSv13", 0xFEFF: "DTLSv10", 0xFEFD: "DTLSv12", 0xFEFC: "DTLSv13"}


def tls_version_name(v: int) -> str:
    if v in TLS_VERSIONS:
        return TLS_VERSIONS[v]
    if v >> 8 == 0x7F:                      # TLS 1.3 drafts, as Zeek names them
        return f"TLSv13-draft{v & 0xFF}"
    return f"unknown-{v}"


#: Zeek's SSL::cipher_desc for the suites TLS 1.3 (so QUIC) can negotiate.
CIPHERS = {0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384",
           0x1303: "TLS_CHACHA20_POLY1305_SHA256", 0x1304: "TLS_AES_128_CCM_SHA256",
           0x1305: "TLS_AES_128_CCM_8_SHA256"}

#: Zeek's SSL::ec_curves (named groups) that TLS 1.3 key shares use.
CURVES = {23: "secp256r1", 24: "secp384r1", 25: "secp521r1", 26: "brainpoolP256r1",
          27: "brainpoolP384r1", 28: "brainpoolP512r1", 29: "x25519", 30: "x448",
          256: "ffdhe2048", 257: "ffdhe3072", 258: "ffdhe4096", 259: "ffdhe6144",
          260: "ffdhe8192", 0x11EB: "SecP256r1MLKEM768", 0x11EC: "X25519MLKEM768",
          0x11ED: "SecP384r1MLKEM1024", 0x6399: "X25519Kyber768Draft00",
          0x639A: "SecP256r1Kyber768Draft00"}


def cipher_name(c: int) -> str:
    return CIPHERS.get(c) or f"unknown-{c}"


def curve_name(g: int) -> str:
    return CURVES.get(g) or f"unknown-{g}"
