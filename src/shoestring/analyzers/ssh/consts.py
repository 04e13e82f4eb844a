"""SSH message numbers, KEX families and limits (data only); RFC 4250, 4253, 4419, 5656."""

from typing import Final

# Message numbers (RFC 4250 section 4.1.2).
MSG_KEXINIT: Final = 20
MSG_NEWKEYS: Final = 21
# Key-exchange-method specific numbers 30-49 mean different things per method.
MSG_KEXDH_REPLY: Final = 31            # RFC 4253 section 8 (also ECDH_REPLY, RFC 5656 4)
MSG_KEX_DH_GEX_REPLY: Final = 33       # RFC 4419 section 5
MSG_KEXGSS_HOSTKEY: Final = 33         # RFC 4462 section 2.5

# The shape of the key exchange, chosen from the negotiated kex algorithm the way
# Zeek's ssh-protocol.pac update_kex() does; it says which message holds the host key.
KEX_DH: Final = "dh"
KEX_DH_GEX: Final = "dh_gex"
KEX_ECC: Final = "ecc"                  # ECDH, curve25519 and the hybrid post-quantum methods
KEX_GSS: Final = "gss"
KEX_RSA: Final = "rsa"

# (exact name or prefix, is_prefix, family): first match wins, as in Zeek.
KEX_FAMILIES: Final = (
    ("rsa1024-sha1", False, KEX_RSA),
    ("rsa2048-sha256", False, KEX_RSA),
    ("diffie-hellman-group-exchange-", True, KEX_DH_GEX),
    ("diffie-hellman-group", True, KEX_DH),        # group1/14/16/18, sha1/sha256/sha512
    ("gss-", True, KEX_GSS),
    ("ecdh-sha2-", True, KEX_ECC),
    ("ecmqv-sha2", False, KEX_ECC),
    ("curve25519-sha256", True, KEX_ECC),
    ("curve448-sha512", True, KEX_ECC),
    # Hybrid post-quantum methods send one string each way like ECDH (OpenSSH 9+).
    ("sntrup761x25519-sha512", True, KEX_ECC),
    ("mlkem768x25519-sha256", True, KEX_ECC),
    ("mlkem768nistp256-sha256", True, KEX_ECC),
    ("mlkem1024nistp384-sha384", True, KEX_ECC),
)

# The message carrying K_S (the server host key) for each family.
HOST_KEY_MESSAGE: Final = {KEX_DH: MSG_KEXDH_REPLY, KEX_ECC: MSG_KEXDH_REPLY,
                    KEX_DH_GEX: MSG_KEX_DH_GEX_REPLY, KEX_GSS: MSG_KEXGSS_HOSTKEY}

# Zeek's SSH::compression_algorithms: auth inference from sizes is unreliable with these.
COMPRESSION_ALGORITHMS: Final = frozenset({"zlib", "zlib@openssh.com"})

# Limits.
# RFC 4253 4.2 caps the identification line at 255 bytes; real servers stay well
# under it, so 1 KiB is generous and keeps a hostile "banner" from growing a buffer.
MAX_BANNER_LINE: Final = 1024
# RFC 4253 4.2 lets a server send other lines before its identification; 32 is far
# more than any real server sends (OpenSSH's client accepts up to 1024 lines of 256 bytes,
# but those are for humans; anything more is a misdetected stream).
MAX_PRE_BANNER_LINES: Final = 32
# OpenSSH's PACKET_MAX_SIZE (256 KiB); RFC 4253 6.1 only requires 35000 bytes.
MAX_PACKET_LEN: Final = 256 * 1024
# Padding must be at least 4 bytes (RFC 4253 6).
MIN_PADDING: Final = 4

# Weird names (Zeek's where Zeek has one).
WEIRD_MALFORMED_IDENT: Final = "malformed_ssh_identification"
WEIRD_MALFORMED_VERSION: Final = "malformed_ssh_version"
WEIRD_UNKNOWN_KEX: Final = "ssh_unknown_kex_algorithm"
WEIRD_BAD_PACKET: Final = "ssh_bad_packet"
WEIRD_BAD_KEXINIT: Final = "ssh_bad_kexinit"
WEIRD_BAD_KEX_REPLY: Final = "ssh_bad_kex_reply"
