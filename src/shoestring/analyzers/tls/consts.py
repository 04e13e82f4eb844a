"""TLS code points (IANA TLS registries) and their names as Zeek's ssl/consts.zeek logs them.

Data only. Numbers come from the IANA "Transport Layer Security (TLS) Parameters" and
"TLS ExtensionType Values" registries; names are the spellings Zeek writes in ssl.log.
Compiled with mypyc: the ``Final`` numbers are inlined as C constants where they are used.
"""

from typing import Final

# Content types (RFC 8446 §5.1; heartbeat RFC 6520).
CT_CHANGE_CIPHER_SPEC: Final = 20
CT_ALERT: Final = 21
CT_HANDSHAKE: Final = 22
CT_APPLICATION_DATA: Final = 23
CT_HEARTBEAT: Final = 24

# Handshake types (RFC 8446 §4; TLS 1.2 and DTLS ones kept for older traffic).
HS_HELLO_REQUEST: Final = 0
HS_CLIENT_HELLO: Final = 1
HS_SERVER_HELLO: Final = 2
HS_HELLO_VERIFY_REQUEST: Final = 3
HS_NEW_SESSION_TICKET: Final = 4
HS_END_OF_EARLY_DATA: Final = 5
HS_HELLO_RETRY_REQUEST: Final = 6
HS_ENCRYPTED_EXTENSIONS: Final = 8
HS_CERTIFICATE: Final = 11
HS_SERVER_KEY_EXCHANGE: Final = 12
HS_CERTIFICATE_REQUEST: Final = 13
HS_SERVER_HELLO_DONE: Final = 14
HS_CERTIFICATE_VERIFY: Final = 15
HS_CLIENT_KEY_EXCHANGE: Final = 16
HS_FINISHED: Final = 20
HS_CERTIFICATE_URL: Final = 21
HS_CERTIFICATE_STATUS: Final = 22
HS_SUPPLEMENTAL_DATA: Final = 23
HS_KEY_UPDATE: Final = 24
HS_MESSAGE_HASH: Final = 254

# Extension types.
EXT_SERVER_NAME: Final = 0
EXT_SUPPORTED_GROUPS: Final = 10
EXT_EC_POINT_FORMATS: Final = 11
EXT_SIGNATURE_ALGORITHMS: Final = 13
EXT_ALPN: Final = 16
EXT_SESSION_TICKET: Final = 35
EXT_PRE_SHARED_KEY: Final = 41
EXT_SUPPORTED_VERSIONS: Final = 43
EXT_KEY_SHARE: Final = 51

# ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3).
HRR_RANDOM: Final = bytes.fromhex(
    "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")

# Versions (Zeek's version_strings).
SSLv2: Final = 0x0002
SSLv3: Final = 0x0300
TLSv10: Final = 0x0301
TLSv11: Final = 0x0302
TLSv12: Final = 0x0303
TLSv13: Final = 0x0304
DTLSv10: Final = 0xFEFF
DTLSv12: Final = 0xFEFD
DTLSv13: Final = 0xFEFC
VERSIONS: Final[dict[int, str]] = {
    SSLv2: "SSLv2", SSLv3: "SSLv3", TLSv10: "TLSv10", TLSv11: "TLSv11", TLSv12: "TLSv12",
    TLSv13: "TLSv13", DTLSv10: "DTLSv10", DTLSv12: "DTLSv12", DTLSv13: "DTLSv13"}
#: Versions at or below TLS 1.2: anything else a server picks behaves as TLS 1.3 (drafts,
#: vendor numbers), which is how Zeek decides when encryption starts without a CCS.
PRE_TLS13: Final = frozenset({SSLv2, SSLv3, TLSv10, TLSv11, TLSv12, DTLSv10, DTLSv12})


def version_name(v: int) -> str:
    """Zeek's spelling: TLSv12, TLSv13-draft23 (0x7f17), unknown-<n>."""
    name = VERSIONS.get(v)
    if name:
        return name
    if v // 0xFF == 0x7F:
        return f"TLSv13-draft{v % 0x7F}"
    return f"unknown-{v}"


ALERTS: Final[dict[int, str]] = {
    0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 21: "decryption_failed",
    22: "record_overflow", 30: "decompression_failure", 40: "handshake_failure",
    41: "no_certificate", 42: "bad_certificate", 43: "unsupported_certificate",
    44: "certificate_revoked", 45: "certificate_expired", 46: "certificate_unknown",
    47: "illegal_parameter", 48: "unknown_ca", 49: "access_denied", 50: "decode_error",
    51: "decrypt_error", 60: "export_restriction", 70: "protocol_version",
    71: "insufficient_security", 80: "internal_error", 86: "inappropriate_fallback",
    90: "user_canceled", 100: "no_renegotiation", 110: "unsupported_extension",
    111: "certificate_unobtainable", 112: "unrecognized_name",
    113: "bad_certificate_status_response", 114: "bad_certificate_hash_value",
    115: "unknown_psk_identity", 116: "certificate_required", 117: "general_error",
    120: "no_application_protocol", 121: "ech_required",
}

# Named groups (IANA "TLS Supported Groups"); GREASE values are written grease_0xNNNN.
CURVES: Final[dict[int, str]] = {
    1: "sect163k1", 2: "sect163r1", 3: "sect163r2", 4: "sect193r1", 5: "sect193r2",
    6: "sect233k1", 7: "sect233r1", 8: "sect239k1", 9: "sect283k1", 10: "sect283r1",
    11: "sect409k1", 12: "sect409r1", 13: "sect571k1", 14: "sect571r1", 15: "secp160k1",
    16: "secp160r1", 17: "secp160r2", 18: "secp192k1", 19: "secp192r1", 20: "secp224k1",
    21: "secp224r1", 22: "secp256k1", 23: "secp256r1", 24: "secp384r1", 25: "secp521r1",
    26: "brainpoolP256r1", 27: "brainpoolP384r1", 28: "brainpoolP512r1", 29: "x25519",
    30: "x448", 31: "brainpoolP256r1tls13", 32: "brainpoolP384r1tls13",
    33: "brainpoolP512r1tls13", 34: "GC256A", 35: "GC256B", 36: "GC256C", 37: "GC256D",
    38: "GC512A", 39: "GC512B", 40: "GC512C", 41: "curveSM2",
    256: "ffdhe2048", 257: "ffdhe3072", 258: "ffdhe4096", 259: "ffdhe6144", 260: "ffdhe8192",
    512: "MLKEM512", 513: "MLKEM768", 514: "MLKEM1024",
    4587: "SecP256r1MLKEM768", 4588: "X25519MLKEM768", 4589: "SecP384r1MLKEM1024",
    4590: "curveSM2MLKEM768", 16696: "CECPQ2", 25497: "X25519Kyber768Draft00",
    25498: "SecP256r1Kyber768Draft00",
    0xFF01: "arbitrary_explicit_prime_curves", 0xFF02: "arbitrary_explicit_char2_curves",
}
CURVES.update({0x0A0A + 0x1010 * i: f"grease_0x{0x0A0A + 0x1010 * i:04X}" for i in range(16)})


def curve_name(code: int) -> str:
    return CURVES.get(code) or f"unknown-{code}"


def alert_name(code: int) -> str:
    return ALERTS.get(code) or f"unknown-{code}"


# ssl_history letters by handshake type (Zeek's ssl/main.zeek); lower case = server.
HISTORY_LETTERS: Final[dict[int, str]] = {
    HS_HELLO_REQUEST: "h", HS_CLIENT_HELLO: "c", HS_SERVER_HELLO: "s",
    HS_HELLO_VERIFY_REQUEST: "v", HS_NEW_SESSION_TICKET: "t", HS_END_OF_EARLY_DATA: "e",
    HS_HELLO_RETRY_REQUEST: "j", HS_ENCRYPTED_EXTENSIONS: "o", HS_CERTIFICATE: "x",
    HS_SERVER_KEY_EXCHANGE: "k", HS_CERTIFICATE_REQUEST: "r", HS_SERVER_HELLO_DONE: "n",
    HS_CERTIFICATE_VERIFY: "y", HS_CLIENT_KEY_EXCHANGE: "g", HS_FINISHED: "f",
    HS_CERTIFICATE_URL: "w", HS_CERTIFICATE_STATUS: "u", HS_SUPPLEMENTAL_DATA: "a",
    HS_KEY_UPDATE: "p", HS_MESSAGE_HASH: "m",
}
HISTORY_UNKNOWN: Final = "z"
HISTORY_CCS: Final = "i"
HISTORY_ALERT: Final = "l"
HISTORY_HEARTBEAT: Final = "b"
#: Zeek's SSL::max_ssl_history_length: the history stops growing here (a weird says so).
MAX_HISTORY: Final = 100
