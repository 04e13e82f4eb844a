"""Sans-IO SSH parsers: identification lines, binary packets, KEXINIT, KEX replies.

Pure functions over bytes, in the shape ``parse_x(buf, offset) -> (value, next_offset)``
where a value comes with its remaining offset. Only the cleartext part of SSH (before
NEWKEYS) is parsed; after it the analyzer only counts sizes.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from typing import Final, NamedTuple

from . import consts as C


class ParseError(Exception):
    """Bytes that are not the SSH message they were supposed to be."""


# RFC 4253 section 6: uint32 packet_length, byte padding_length.
PACKET_HEADER: Final = struct.Struct("!IB")
_U32: Final = struct.Struct("!I")


class KexInit(NamedTuple):
    """SSH_MSG_KEXINIT (RFC 4253 section 7.1): the ten name-lists."""

    cookie: bytes
    kex: list[str]
    host_key: list[str]
    enc_c2s: list[str]
    enc_s2c: list[str]
    mac_c2s: list[str]
    mac_s2c: list[str]
    cmp_c2s: list[str]
    cmp_s2c: list[str]
    raw_lists: tuple[bytes, ...]          # the lists as sent (for HASSH)
    first_kex_follows: bool


def read_line(buf: bytes | bytearray, offset: int) -> tuple[bytes, int] | None:
    """One identification line without its CR LF, and the offset after it; None while
    the line is incomplete (sans-IO: the analyzer's loop ends on that every segment, so
    it is a value, not an exception, which costs more than the parse once compiled)."""
    end = buf.find(b"\n", offset, offset + C.MAX_BANNER_LINE + 1)
    if end < 0:
        if len(buf) - offset > C.MAX_BANNER_LINE:
            raise ParseError(f"identification line longer than {C.MAX_BANNER_LINE} bytes")
        return None
    line = bytes(buf[offset:end])
    if line.endswith(b"\r"):
        line = line[:-1]
    return line, end + 1


def read_packet(buf: bytes | bytearray, offset: int) -> tuple[int, bytes, int] | None:
    """A cleartext binary packet (RFC 4253 section 6): (msg type, payload after the
    type byte, next offset); None while incomplete (see read_line); ParseError if the
    lengths lie."""
    if len(buf) - offset < PACKET_HEADER.size:
        return None
    length: int
    padding: int
    length, padding = PACKET_HEADER.unpack_from(buf, offset)
    if length > C.MAX_PACKET_LEN:
        raise ParseError(f"packet length {length} over {C.MAX_PACKET_LEN}")
    if length < padding + 2:
        raise ParseError(f"packet length {length} leaves no room for padding {padding}")
    end = offset + 4 + length
    if len(buf) < end:
        return None
    body = bytes(buf[offset + 5:end - padding])
    return body[0], body[1:], end


def parse_string(buf: bytes, offset: int) -> tuple[bytes, int]:
    """An SSH ``string`` (RFC 4251 section 5): uint32 length then bytes."""
    if len(buf) - offset < 4:
        raise ParseError("string length cut short")
    (length,) = _U32.unpack_from(buf, offset)
    end = offset + 4 + length
    if end > len(buf):
        raise ParseError(f"string of {length} bytes overruns the message")
    return buf[offset + 4:end], end


def name_list(raw: bytes) -> list[str]:
    """A name-list as Zeek splits it: on commas, empty names dropped."""
    text = raw.decode("utf-8", "surrogateescape")
    return [name for name in text.split(",") if name]


def parse_kexinit(payload: bytes) -> KexInit:
    """SSH_MSG_KEXINIT's payload (after the type byte)."""
    if len(payload) < 16:
        raise ParseError("KEXINIT shorter than its cookie")
    pos = 16
    raws: list[bytes] = []
    for _ in range(10):
        raw, pos = parse_string(payload, pos)
        raws.append(raw)
    follows = bool(payload[pos]) if pos < len(payload) else False
    lists = [name_list(r) for r in raws[:8]]
    return KexInit(payload[:16], lists[0], lists[1], lists[2], lists[3], lists[4], lists[5],
                   lists[6], lists[7], tuple(raws), follows)


def parse_host_key(payload: bytes) -> bytes:
    """K_S, the server's host key blob: the first string of every reply carrying it."""
    key, _ = parse_string(payload, 0)
    if not key:
        raise ParseError("empty host key")
    return key


def kex_family(kex_alg: str) -> str | None:
    for name, is_prefix, family in C.KEX_FAMILIES:
        if kex_alg == name or (is_prefix and kex_alg.startswith(name)):
            return family
    return None


def find_alg(client: list[str], server: list[str]) -> str:
    """Zeek's find_alg: the first client algorithm the server also offers."""
    offered = set(server)
    for alg in client:
        if alg in offered:
            return alg
    return "Algorithm negotiation failed"


def find_bidirectional_alg(c2s: tuple[list[str], list[str]],
                           s2c: tuple[list[str], list[str]]) -> str:
    """Zeek's find_bidirectional_alg over (client list, server list) per direction."""
    to_server = find_alg(c2s[0], c2s[1])
    to_client = find_alg(s2c[0], s2c[1])
    return to_server if to_server == to_client else \
        f"To server: {to_server}, to client: {to_client}"


def hassh(kexinit: KexInit, server: bool) -> str:
    """HASSH (client) or hasshServer: md5 of "kex;enc;mac;cmp" for the sender's own
    direction (client: client-to-server lists; server: server-to-client lists)."""
    return hashlib.md5(hassh_algorithms(kexinit, server).encode("utf-8", "surrogateescape"),
                       usedforsecurity=False).hexdigest()


def hassh_algorithms(kexinit: KexInit, server: bool) -> str:
    r = kexinit.raw_lists
    parts = (r[0], r[3], r[5], r[7]) if server else (r[0], r[2], r[4], r[6])
    return ";".join([p.decode("utf-8", "surrogateescape") for p in parts])


def fingerprint(host_key: bytes) -> str:
    """The host key fingerprint as the corpus's Zeek writes it: "SHA256:" and the
    base64 of the SHA-256, of which Zeek's log keeps the first 32 characters."""
    digest = base64.b64encode(hashlib.sha256(host_key).digest()).decode()
    return "SHA256:" + digest[:32]


def protocol_version(client: str | None, server: str | None) -> int | None:
    """Zeek's set_version: 2, 1, or 0 when the sides cannot agree; None until both
    identification lines are known."""
    if client is None or server is None or len(client) <= 4 or len(server) <= 4:
        return None
    c, s = client[4], server[4]
    if c == "1" and s == "2":
        return 2 if _is_199(client) else 0
    if c == "2" and s == "1":
        return 2 if _is_199(server) else 0
    if c == "1" and s == "1":
        return 2 if _is_199(server) and _is_199(client) else 1
    if c == "2" and s == "2":
        return 2
    return None


def _is_199(v: str) -> bool:
    """An "SSH-1.99-" identification: a server (or client) speaking both versions."""
    return len(v) > 7 and v[6] == "9" and v[7] == "9"


def looks_like_ssh(payload: bytes, is_orig: bool) -> bool:
    """Zeek's dpd.sig: /^[sS][sS][hH]-[12]\\./ from either side."""
    return (len(payload) >= 6 and payload[:4].upper() == b"SSH-"
            and payload[4:5] in (b"1", b"2") and payload[5:6] == b".")
