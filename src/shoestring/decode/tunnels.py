"""Tunnel headers, decapsulated as Zeek does: each function returns where the inner
packet starts and what it is (an ethertype, a link layer, or IP by version nibble),
or None when the bytes are not that tunnel after all (then the outer packet is all
there is, and nothing is odd about it). Compiled (setup.py COMPILED)."""

from __future__ import annotations

import struct
from typing import Callable, Final

from .link import ETH_IPV4, ETH_IPV6, IP_BY_VERSION, PPP_TO_ETHERTYPE

U16 = struct.Struct("!H")

# What the inner bytes are.
INNER_ETHERNET: Final = "ethernet"
INNER_IP: Final = "ip"
INNER_80211: Final = "802.11"

# UDP ports Zeek decapsulates on by default (base/packet-protocols).
VXLAN_PORT, GENEVE_PORT, TEREDO_PORT, AYIYA_PORT = 4789, 6081, 3544, 5072
GTPV1_U_PORT, GTPV1_C_PORT, GRE_IN_UDP_PORT = 2152, 2123, 4754

GRE_ERSPAN_II: Final = 0x88BE
GRE_ERSPAN_III: Final = 0x22EB
GRE_TEB: Final = 0x6558
GRE_PPP: Final = 0x880B


def gre(data: bytes) -> tuple[str, int, int] | None:
    """GRE (RFC 2784/2890), enhanced GRE (PPTP, RFC 2637), ERSPAN I/II/III, Aruba.
    Returns (inner kind, ethertype or 0, offset)."""
    if len(data) < 4:
        return None
    flags, proto = struct.unpack_from("!HH", data, 0)
    version = flags & 0x7
    pos = 4
    if version == 0:
        if flags & 0x8000:                     # checksum present (+ reserved)
            pos += 4
        if flags & 0x2000:                     # key
            pos += 4
        if flags & 0x1000:                     # sequence number
            pos += 4
        if proto in (ETH_IPV4, ETH_IPV6):
            return INNER_IP, proto, pos
        if proto == GRE_TEB:
            return INNER_ETHERNET, 0, pos
        if proto == GRE_ERSPAN_II:
            # Type II carries a sequence number and an 8-byte ERSPAN header; type I
            # has neither and the mirrored frame follows directly.
            return INNER_ETHERNET, 0, pos + (8 if flags & 0x1000 else 0)
        if proto == GRE_ERSPAN_III:
            if len(data) < pos + 12:
                return None
            optional = data[pos + 11] & 0x01   # O flag: platform-specific subheader
            return INNER_ETHERNET, 0, pos + 12 + (8 if optional else 0)
        if 0x8200 <= proto <= 0x82FF:          # Aruba access points: 802.11 inside
            return INNER_80211, 0, pos
        return None
    if version == 1 and proto == GRE_PPP:      # PPTP's enhanced GRE
        pos = 8                                # flags, proto, payload length, call id
        if flags & 0x1000:
            pos += 4
        if flags & 0x0080:                     # acknowledgment number
            pos += 4
        if data[pos:pos + 2] == b"\xff\x03":
            pos += 2
        if len(data) < pos + 1:
            return None
        if data[pos] & 1:                      # protocol field compressed to one byte
            ppp_proto, pos = data[pos], pos + 1
        else:
            if len(data) < pos + 2:
                return None
            ppp_proto, pos = U16.unpack_from(data, pos)[0], pos + 2
        etype = PPP_TO_ETHERTYPE.get(ppp_proto) or \
            {0x21: ETH_IPV4, 0x57: ETH_IPV6}.get(ppp_proto)
        return (INNER_IP, etype, pos) if etype else None
    return None


def vxlan(data: bytes) -> tuple[str, int, int] | None:
    if len(data) < 8 or not data[0] & 0x08:    # the I flag: a valid VNI
        return None
    return INNER_ETHERNET, 0, 8


def geneve(data: bytes) -> tuple[str, int, int] | None:
    if len(data) < 8 or data[0] >> 6 != 0:
        return None
    hdr = 8 + (data[0] & 0x3F) * 4
    proto = U16.unpack_from(data, 2)[0]
    if proto == GRE_TEB:
        return INNER_ETHERNET, 0, hdr
    if proto in (ETH_IPV4, ETH_IPV6):
        return INNER_IP, proto, hdr
    return None


def teredo(data: bytes, strict: bool = False) -> tuple[str, int, int] | None:
    """Teredo (RFC 4380): optional authentication and origin indication headers, then
    an IPv6 packet whose length must agree with the datagram (Zeek's validity test).
    ``strict``: off Teredo's port, the IPv6 packet must fill the datagram exactly."""
    pos = 0
    if data[:2] == b"\x00\x01" and len(data) >= 4:            # authentication
        pos = 4 + data[2] + data[3] + 8 + 1
    if data[pos:pos + 2] == b"\x00\x00":                      # origin indication
        pos += 8
    if len(data) < pos + 40 or data[pos] >> 4 != 6:
        return None
    payload_len = U16.unpack_from(data, pos + 4)[0]
    if payload_len + 40 > len(data) - pos or (strict and payload_len + 40 != len(data) - pos):
        return None
    return INNER_IP, ETH_IPV6, pos


def ayiya(data: bytes) -> tuple[str, int, int] | None:
    if len(data) < 8:
        return None
    id_len = 1 << (data[0] >> 4)
    sig_len = (data[1] >> 4) * 4
    next_header = data[3]
    opcode = data[2] & 0x0F
    if opcode != 1 or next_header not in (4, 41):               # 1 = forward
        return None
    pos = 8 + id_len + sig_len
    if len(data) <= pos:
        return None
    return INNER_IP, ETH_IPV4 if next_header == 4 else ETH_IPV6, pos


def gtpv1_u(data: bytes) -> tuple[str, int, int] | None:
    """GTPv1-U (3GPP TS 29.281): only G-PDUs (type 255) carry user IP packets."""
    if len(data) < 8:
        return None
    flags, msg_type, length = data[0], data[1], U16.unpack_from(data, 2)[0]
    if flags >> 5 != 1 or not flags & 0x10 or msg_type != 0xFF:
        return None
    if length + 8 > len(data) + 0:
        return None
    pos = 8
    if flags & 0x07:                           # E, S or PN: 4 optional bytes
        if len(data) < 12:
            return None
        next_ext = data[11]
        pos = 12
        for _ in range(16):                    # extension header chain, bounded
            if not next_ext:
                break
            if len(data) < pos + 1:
                return None
            ext_len = data[pos] * 4
            if ext_len == 0 or len(data) < pos + ext_len:
                return None
            next_ext = data[pos + ext_len - 1]
            pos += ext_len
    if len(data) <= pos or data[pos] >> 4 not in (4, 6):
        return None
    return INNER_IP, IP_BY_VERSION, pos


# Port -> (tunnel.log kind, service name, header parser).
UDP_TUNNELS: dict[int, tuple[str, str, Callable[[bytes], tuple[str, int, int] | None]]] = {
    VXLAN_PORT: ("Tunnel::VXLAN", "vxlan", vxlan),
    GENEVE_PORT: ("Tunnel::GENEVE", "geneve", geneve),
    TEREDO_PORT: ("Tunnel::TEREDO", "teredo", teredo),
    AYIYA_PORT: ("Tunnel::AYIYA", "ayiya", ayiya),
    GTPV1_U_PORT: ("Tunnel::GTPv1", "gtpv1", gtpv1_u),
    GRE_IN_UDP_PORT: ("Tunnel::GRE", "gre", gre),
}
