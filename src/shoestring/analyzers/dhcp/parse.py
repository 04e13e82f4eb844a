"""Sans-IO DHCP/BOOTP message parser: bytes of one UDP datagram -> DhcpMessage.

The fixed BOOTP header (RFC 2131 section 2) is read with one precompiled struct; options
(RFC 2132) are walked by slicing, and only those the log needs are decoded. A message
whose option list is cut short keeps the options read so far (``anomalies`` says what
was odd) because a half-read DHCP packet still tells which device was there.
"""

from __future__ import annotations

import socket
import struct
from typing import Final, NamedTuple

from . import consts as C


class ParseError(Exception):
    """A datagram that is not a DHCP message at all."""


class Truncated(ParseError):
    """Shorter than the fixed BOOTP header plus the magic cookie."""


class BadCookie(ParseError):
    """The options do not start with the DHCP magic cookie: not DHCP (Zeek: violation)."""


# RFC 2131 section 2: op htype hlen hops xid secs flags ciaddr yiaddr siaddr giaddr
# chaddr[16] sname[64] file[128], then the 4-byte magic cookie (RFC 2131 section 3).
BOOTP_HEADER: Final = struct.Struct("!BBBBIHHIIII16s64s128sI")
OPTIONS_OFFSET: Final = BOOTP_HEADER.size   # 240
_U32: Final = struct.Struct("!I")


class ClientFqdn(NamedTuple):
    flags: int
    rcode1: int
    rcode2: int
    domain_name: bytes


class DhcpMessage(NamedTuple):
    op: int
    xid: int
    secs: int
    flags: int
    ciaddr: str
    yiaddr: str
    siaddr: str
    giaddr: str
    chaddr: str                 # Zeek's fmt_mac rendering; "" when not a MAC
    msg_type: int               # 0 when option 53 is missing, as in Zeek
    host_name: bytes | None
    domain_name: bytes | None
    requested_addr: str | None
    lease_time: float | None
    server_id: str | None
    message: bytes | None
    client_id: tuple[int, str] | None      # (hardware type, fmt_mac of the rest)
    client_fqdn: ClientFqdn | None
    param_list: bytes | None
    anomalies: tuple[str, ...]  # weird names for what was odd but survivable


def fmt_mac(raw: bytes) -> str:
    """Zeek's fmt_mac: six bytes, or eight when bytes 7-8 are not zero; else ""."""
    n = len(raw)
    if n < 8 and n != 6:
        return ""
    if n == 6 or raw[6:8] == b"\x00\x00":
        return raw[:6].hex(":")
    return raw[:8].hex(":")


def _addr(value: int) -> str:
    return socket.inet_ntoa(_U32.pack(value))


def strip_trailing_nuls(raw: bytes) -> bytes:
    """Zeek's "last non-NUL" cut used for the domain name option."""
    return raw.rstrip(b"\x00")


def walk_options(buf: bytes, pos: int) -> tuple[dict[int, bytes], list[str]]:
    """Option code -> value bytes (first occurrence wins), and anomaly names.

    Each step advances at least one byte, so the walk is bounded by the datagram."""
    options: dict[int, bytes] = {}
    anomalies: list[str] = []
    end = len(buf)
    while pos < end:
        code = buf[pos]
        if code == C.OPT_PAD:
            pos += 1
            continue
        if code == C.OPT_END:
            return options, anomalies
        if pos + 2 > end:
            anomalies.append(C.WEIRD_TRUNCATED)
            return options, anomalies
        length = buf[pos + 1]
        value = buf[pos + 2:pos + 2 + length]
        if len(value) < length:
            anomalies.append(C.WEIRD_TRUNCATED)
            return options, anomalies
        options.setdefault(code, value)
        pos += 2 + length
    anomalies.append(C.WEIRD_NO_END)
    return options, anomalies


def _addr_option(options: dict[int, bytes], code: int, anomalies: list[str]) -> str | None:
    value = options.get(code)
    if value is None:
        return None
    if len(value) != 4:
        anomalies.append(C.WEIRD_BAD_OPTION_LEN)
        return None
    return socket.inet_ntoa(value)


def parse_message(buf: bytes) -> DhcpMessage:
    """One DHCP/BOOTP datagram. Raises Truncated or BadCookie (both ParseError)."""
    if len(buf) < OPTIONS_OFFSET:
        raise Truncated(f"{len(buf)} bytes, the BOOTP header needs {OPTIONS_OFFSET}")
    (op, _htype, hlen, _hops, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr,
     chaddr, _sname, _file, cookie) = BOOTP_HEADER.unpack_from(buf)
    if cookie != C.MAGIC_COOKIE:
        raise BadCookie(f"bad cookie ({cookie})")
    options, anomalies = walk_options(buf, OPTIONS_OFFSET)

    msg_type = 0
    raw_type = options.get(C.OPT_MSG_TYPE)
    if raw_type:
        msg_type = raw_type[0]
    else:
        anomalies.append(C.WEIRD_NO_MSG_TYPE)

    lease = None
    raw = options.get(C.OPT_LEASE_TIME)
    if raw is not None:
        if len(raw) == 4:
            lease = float(_U32.unpack(raw)[0])
        else:
            anomalies.append(C.WEIRD_BAD_OPTION_LEN)

    client_id = None
    raw = options.get(C.OPT_CLIENT_ID)
    if raw:
        client_id = (raw[0], fmt_mac(raw[1:]))

    fqdn = None
    raw = options.get(C.OPT_CLIENT_FQDN)
    if raw is not None:
        if len(raw) >= 3:
            fqdn = ClientFqdn(raw[0], raw[1], raw[2], raw[3:])
        else:
            anomalies.append(C.WEIRD_BAD_OPTION_LEN)

    domain = options.get(C.OPT_DOMAIN_NAME)
    if domain is not None:
        domain = strip_trailing_nuls(domain)

    del hlen  # Zeek formats the chaddr field whole, whatever hlen claims
    return DhcpMessage(
        op=op, xid=xid, secs=secs, flags=flags,
        ciaddr=_addr(ciaddr), yiaddr=_addr(yiaddr), siaddr=_addr(siaddr), giaddr=_addr(giaddr),
        chaddr=fmt_mac(chaddr), msg_type=msg_type,
        host_name=options.get(C.OPT_HOST_NAME), domain_name=domain,
        requested_addr=_addr_option(options, C.OPT_REQUESTED_ADDR, anomalies),
        lease_time=lease,
        server_id=_addr_option(options, C.OPT_SERVER_ID, anomalies),
        message=options.get(C.OPT_MESSAGE), client_id=client_id, client_fqdn=fqdn,
        param_list=options.get(C.OPT_PARAM_LIST), anomalies=tuple(anomalies))


def looks_like_dhcp(payload: bytes, is_orig: bool) -> bool:
    """Detection signature: a BOOTP op code and the magic cookie where RFC 2131 puts it."""
    return (len(payload) >= OPTIONS_OFFSET and payload[0] in (C.BOOTREQUEST, C.BOOTREPLY)
            and payload[236:240] == b"\x63\x82\x53\x63")
