"""Sans-IO parsers for the SOCKS 4/4a/5 handshake messages (RFC 1928, RFC 1929).

Pure functions ``parse_x(buf, offset) -> (message, next_offset)``; they return ``None``
while ``buf`` holds only part of the message (the caller waits for more bytes) and raise
:class:`SocksParseError` for bytes that cannot be that message. The handshake is a few
dozen bytes per connection, so messages are small NamedTuples; the wire layouts are
precompiled structs.
"""

from __future__ import annotations

import ipaddress
import struct
from typing import Final, NamedTuple

from . import consts as C


class SocksParseError(ValueError):
    """Bytes that are not the SOCKS message expected at this point."""


# SOCKS 4 request: VN, CD, DSTPORT, DSTIP; then USERID NUL (and 4a's host name NUL).
V4_REQUEST: Final = struct.Struct("!BBH4s")
# SOCKS 4 reply: VN (0), CD (status), DSTPORT, DSTIP.
V4_REPLY: Final = struct.Struct("!BBH4s")
# RFC 1928 section 4/6: VER, CMD or REP, RSV, ATYP; the address and port follow.
V5_HEADER: Final = struct.Struct("!BBBB")
_PORT: Final = struct.Struct("!H")


class V4Request(NamedTuple):
    command: int
    port: int
    addr: str                   # DSTIP as dotted text (0.0.0.x for 4a)
    user: bytes
    host: bytes | None          # 4a: the name the proxy is to resolve


class V4Reply(NamedTuple):
    status: int
    port: int
    addr: str


class V5Greeting(NamedTuple):
    methods: bytes              # the authentication methods the client offers


class V5Address(NamedTuple):
    addr: str | None            # an IPv4/IPv6 address, or
    name: str | None            # a domain name (ATYP 3)
    port: int


class V5Message(NamedTuple):
    """A v5 request (``code`` = CMD) or reply (``code`` = REP)."""

    code: int
    reserved: int
    target: V5Address


class UserPass(NamedTuple):
    """RFC 1929 username/password request."""

    version: int
    user: bytes
    password: bytes


def _cstring(buf: bytes | bytearray, offset: int, what: str) -> tuple[bytes, int] | None:
    """A NUL-terminated string of at most MAX_V4_STRING bytes."""
    end = buf.find(b"\x00", offset, offset + C.MAX_V4_STRING + 1)
    if end < 0:
        if len(buf) - offset > C.MAX_V4_STRING:
            raise SocksParseError(f"SOCKS4 {what} longer than {C.MAX_V4_STRING} bytes")
        return None
    return bytes(buf[offset:end]), end + 1


def parse_v4_request(buf: bytes | bytearray,
                     offset: int = 0) -> tuple[V4Request, int] | None:
    """SOCKS 4 (and 4a) request, version byte included."""
    if len(buf) - offset < V4_REQUEST.size:
        return None
    vn, cd, port, ip = V4_REQUEST.unpack_from(buf, offset)
    if vn != C.V4:
        raise SocksParseError(f"unsupported/unknown SOCKS version {vn}")
    if cd not in (1, 2):
        raise SocksParseError(f"undefined value in command field: {cd}")
    got = _cstring(buf, offset + V4_REQUEST.size, "user id")
    if got is None:
        return None
    user, pos = got
    host = None
    if int.from_bytes(ip, "big") <= C.V4A_MAX_ADDR:
        got = _cstring(buf, pos, "host name")
        if got is None:
            return None
        host, pos = got
    return V4Request(cd, port, str(ipaddress.IPv4Address(ip)), user, host), pos


def parse_v4_reply(buf: bytes | bytearray, offset: int = 0) -> tuple[V4Reply, int] | None:
    """SOCKS 4 reply. Its VN is 0 by the protocol; some servers echo 4."""
    if len(buf) - offset < V4_REPLY.size:
        return None
    vn, cd, port, ip = V4_REPLY.unpack_from(buf, offset)
    if vn not in (0, C.V4):
        raise SocksParseError(f"unsupported/unknown SOCKS version {vn}")
    return V4Reply(cd, port, str(ipaddress.IPv4Address(ip))), offset + V4_REPLY.size


def parse_v5_greeting(buf: bytes | bytearray,
                      offset: int = 0) -> tuple[V5Greeting, int] | None:
    """RFC 1928 section 3: VER, NMETHODS, METHODS."""
    if len(buf) - offset < 2:
        return None
    if buf[offset] != C.V5:
        raise SocksParseError(f"unsupported/unknown SOCKS version {buf[offset]}")
    end = offset + 2 + buf[offset + 1]
    if len(buf) < end:
        return None
    return V5Greeting(bytes(buf[offset + 2:end])), end


def parse_v5_method(buf: bytes | bytearray, offset: int = 0) -> tuple[int, int] | None:
    """RFC 1928 section 3: the server's VER, METHOD."""
    if len(buf) - offset < 2:
        return None
    if buf[offset] != C.V5:
        raise SocksParseError(f"unsupported/unknown SOCKS version {buf[offset]}")
    return buf[offset + 1], offset + 2


def parse_userpass_request(buf: bytes | bytearray,
                           offset: int = 0) -> tuple[UserPass, int] | None:
    """RFC 1929 section 2: VER (1), ULEN, UNAME, PLEN, PASSWD. Another VER is returned
    as is (the caller reports it): its layout is unknown, so nothing else is read."""
    if len(buf) - offset < 1:
        return None
    ver = buf[offset]
    if ver != C.USERPASS_VERSION:
        return UserPass(ver, b"", b""), len(buf)
    if len(buf) - offset < 2:
        return None
    ulen = buf[offset + 1]
    pos = offset + 2 + ulen
    if len(buf) < pos + 1:
        return None
    plen = buf[pos]
    end = pos + 1 + plen
    if len(buf) < end:
        return None
    return UserPass(ver, bytes(buf[offset + 2:pos]), bytes(buf[pos + 1:end])), end


def parse_userpass_reply(buf: bytes | bytearray,
                         offset: int = 0) -> tuple[tuple[int, int], int] | None:
    """RFC 1929 section 2: VER, STATUS (0 = success)."""
    if len(buf) - offset < 2:
        return None
    return (buf[offset], buf[offset + 1]), offset + 2


def _v5_address(buf: bytes | bytearray,
                pos: int, atyp: int) -> tuple[V5Address, int] | None:
    if atyp == C.ATYP_IPV4:
        end = pos + 4
        if len(buf) < end + 2:
            return None
        addr, name = str(ipaddress.IPv4Address(bytes(buf[pos:end]))), None
    elif atyp == C.ATYP_IPV6:
        end = pos + 16
        if len(buf) < end + 2:
            return None
        addr, name = str(ipaddress.IPv6Address(bytes(buf[pos:end]))), None
    elif atyp == C.ATYP_DOMAIN:
        if len(buf) < pos + 1:
            return None
        end = pos + 1 + buf[pos]
        if len(buf) < end + 2:
            return None
        addr, name = None, bytes(buf[pos + 1:end]).decode("latin-1")
    else:
        raise SocksParseError(f"invalid SOCKSv5 addr type: {atyp}")
    return V5Address(addr, name, _PORT.unpack_from(buf, end)[0]), end + 2


def parse_v5_message(buf: bytes | bytearray,
                     offset: int = 0) -> tuple[V5Message, int] | None:
    """RFC 1928 sections 4 and 6: a request or a reply (same layout)."""
    if len(buf) - offset < V5_HEADER.size:
        return None
    ver, code, rsv, atyp = V5_HEADER.unpack_from(buf, offset)
    if ver != C.V5:
        raise SocksParseError(f"unsupported/unknown SOCKS version {ver}")
    got = _v5_address(buf, offset + V5_HEADER.size, atyp)
    if got is None:
        return None
    target, end = got
    return V5Message(code, rsv, target), end


def check_v5_request(msg: V5Message) -> None:
    """What Zeek's analyzer refuses in a request (socks-analyzer.pac)."""
    if msg.reserved != 0:
        raise SocksParseError(f"invalid value in reserved field: {msg.reserved}")
    if msg.code not in C.COMMANDS:
        raise SocksParseError(f"undefined value in command field: {msg.code}")


def looks_like_socks(data: bytes, is_orig: bool) -> bool:
    """A client's first bytes that are exactly one SOCKS 5 greeting or one SOCKS 4/4a
    request. Zeek's dpd.sig also wants the server's answer; detection here sees one
    side, so the whole message must fit (a 3-byte prefix alone would match much that is
    not SOCKS). The analyzer confirms only on the server's reply."""
    if not is_orig or len(data) < 3 or data[0] not in (C.V4, C.V5):
        return False
    try:
        if data[0] == C.V5:
            greeting = parse_v5_greeting(data)
            return greeting is not None and greeting[1] == len(data) \
                and 0 < len(greeting[0].methods) \
                and all(m <= 0x09 or 0x80 <= m <= 0xFE for m in greeting[0].methods)
        request = parse_v4_request(data)
        return request is not None and request[1] == len(data)
    except SocksParseError:
        return False
