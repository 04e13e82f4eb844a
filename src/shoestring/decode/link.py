"""Link layers: from a frame to the network-layer protocol and where it starts.

Each function takes (frame, offset) and returns ``(ethertype, offset)`` of the next
layer (plus, from PPPoE, a third element: where the packet ends), or ``(None, reason)`` when the frame holds nothing we decode (reason is a Zeek
weird name, or "" when the frame is simply not IP, like ARP, and is not odd at all).
Decoders that may end in pppoe() are typed as returning a plain ``tuple``: compiled
(setup.py COMPILED), a two-element tuple type would reject PPPoE's three elements.
"""

from __future__ import annotations

import struct
from typing import Final

from .fields import u16

# DLT_* link types (tcpdump.org/linktypes.html) that we read.
DLT_NULL, DLT_EN10MB, DLT_PPP, DLT_RAW_OLD, DLT_RAW_BSD, DLT_PPP_SERIAL = 0, 1, 9, 12, 14, 50
DLT_RAW, DLT_IEEE802_11, DLT_LOOP, DLT_LINUX_SLL, DLT_IEEE802_11_RADIO = 101, 105, 108, 113, 127
DLT_IPV4, DLT_IPV6, DLT_NFLOG, DLT_LINUX_SLL2 = 228, 229, 239, 276

ETH_IPV4: Final = 0x0800
ETH_IPV6: Final = 0x86DD
ETH_VLAN: Final = 0x8100
ETH_QINQ: Final = 0x88A8
ETH_QINQ_OLD: Final = 0x9100
ETH_MPLS: Final = 0x8847
ETH_MPLS_MC: Final = 0x8848
ETH_PPPOE_SESSION: Final = 0x8864
ETH_VNTAG: Final = 0x8926
ETH_PBB: Final = 0x88E7
ETH_FABRICPATH: Final = 0x8903

# A pseudo-ethertype for "an IP packet; look at the version nibble" (MPLS, raw links).
IP_BY_VERSION: Final = -1

MAX_LINK_LAYERS: Final = 16  # VLAN/MPLS/PBB nesting deeper than this is an attack, not a LAN

U16 = struct.Struct("!H")
U16LE = struct.Struct("<H")
U32 = struct.Struct("!I")

PPP_TO_ETHERTYPE = {0x0021: ETH_IPV4, 0x0057: ETH_IPV6}


def ethernet(frame: bytes, pos: int) -> tuple:
    """Ethernet II / 802.3 with VLAN, QinQ, MPLS, PPPoE, VN-tag, PBB, FabricPath, SNAP."""
    for _ in range(MAX_LINK_LAYERS):
        if len(frame) < pos + 14:
            return None, "truncated_link_header"
        etype = u16(frame, pos + 12)
        pos += 14
        for _ in range(MAX_LINK_LAYERS):
            if etype in (ETH_VLAN, ETH_QINQ, ETH_QINQ_OLD):
                if len(frame) < pos + 4:
                    return None, "truncated_link_header"
                etype = u16(frame, pos + 2)
                pos += 4
            elif etype == ETH_VNTAG:
                if len(frame) < pos + 6:
                    return None, "truncated_link_header"
                etype = u16(frame, pos + 4)
                pos += 6
            else:
                break
        else:
            if etype in (ETH_VLAN, ETH_QINQ, ETH_QINQ_OLD, ETH_VNTAG):
                return None, "excessive_link_layers"   # tags nested past the limit
        if etype == ETH_IPV4 or etype == ETH_IPV6:
            return etype, pos
        if etype == ETH_PBB:
            pos += 4                           # I-TAG, then a whole customer frame
            continue
        if etype == ETH_FABRICPATH:
            pos += 2                           # FTag/TTL, then the inner frame
            continue
        if etype in (ETH_MPLS, ETH_MPLS_MC):
            return mpls(frame, pos)
        if etype == ETH_PPPOE_SESSION:
            return pppoe(frame, pos)
        if etype <= 1500:                      # 802.3 length: LLC, maybe SNAP
            if frame[pos:pos + 3] == b"\xaa\xaa\x03" and len(frame) >= pos + 8:
                etype = U16.unpack_from(frame, pos + 6)[0]
                if etype in (ETH_IPV4, ETH_IPV6):
                    return etype, pos + 8
            return None, ""
        return None, ""                        # ARP, LLDP, ...: not IP, not odd
    return None, "excessive_link_layers"


def mpls(frame: bytes, pos: int) -> tuple[int | None, int | str]:
    for _ in range(MAX_LINK_LAYERS):
        if len(frame) < pos + 4:
            return None, "truncated_link_header"
        label = U32.unpack_from(frame, pos)[0]
        pos += 4
        if label & 0x100:                      # bottom of stack
            return IP_BY_VERSION, pos
    return None, "excessive_link_layers"


def pppoe(frame: bytes, pos: int) -> tuple:
    """PPPoE session (RFC 2516). Returns a third element, where the PPP payload ends:
    PPPoE's own length field bounds the IP packet (some devices pad the IP length)."""
    if len(frame) < pos + 8:
        return None, "truncated_link_header"
    length = U16.unpack_from(frame, pos + 4)[0]
    proto = U16.unpack_from(frame, pos + 6)[0]
    etype = PPP_TO_ETHERTYPE.get(proto)
    return (etype, pos + 8, pos + 6 + length) if etype else (None, "")


def ppp(frame: bytes, pos: int) -> tuple[int | None, int | str]:
    if frame[pos:pos + 2] == b"\xff\x03":      # HDLC address/control
        pos += 2
    if len(frame) < pos + 2:
        return None, "truncated_link_header"
    proto = U16.unpack_from(frame, pos)[0]
    etype = PPP_TO_ETHERTYPE.get(proto)
    return (etype, pos + 2) if etype else (None, "")


def null_loopback(frame: bytes, pos: int, network_order: bool) -> tuple[int | None, int | str]:
    if len(frame) < pos + 4:
        return None, "truncated_link_header"
    family = U32.unpack_from(frame, pos)[0] if network_order else \
        struct.unpack_from("<I", frame, pos)[0]
    if family > 0xFFFF and not network_order:  # written on a big-endian host
        family = U32.unpack_from(frame, pos)[0]
    if family == 2:
        return ETH_IPV4, pos + 4
    if family in (10, 23, 24, 28, 30):         # AF_INET6 on Linux, BSDs, macOS
        return ETH_IPV6, pos + 4
    return None, ""


def linux_sll(frame: bytes, pos: int) -> tuple:
    if len(frame) < pos + 16:
        return None, "truncated_link_header"
    proto = U16.unpack_from(frame, pos + 14)[0]
    return _ethertype_or_vlan(frame, proto, pos + 16)


def linux_sll2(frame: bytes, pos: int) -> tuple:
    if len(frame) < pos + 20:
        return None, "truncated_link_header"
    proto = U16.unpack_from(frame, pos)[0]
    return _ethertype_or_vlan(frame, proto, pos + 20)


def _ethertype_or_vlan(frame: bytes, etype: int, pos: int) -> tuple:
    while etype in (ETH_VLAN, ETH_QINQ, ETH_QINQ_OLD) and len(frame) >= pos + 4:
        etype = U16.unpack_from(frame, pos + 2)[0]
        pos += 4
    if etype in (ETH_IPV4, ETH_IPV6):
        return etype, pos
    if etype in (ETH_MPLS, ETH_MPLS_MC):
        return mpls(frame, pos)
    if etype == ETH_PPPOE_SESSION:
        return pppoe(frame, pos)
    return None, ""


def nflog(frame: bytes, pos: int) -> tuple[int | None, int | str]:
    """Linux NFLOG: a 4-byte header then TLVs (little-endian length/type, padded to 4);
    type 9 (NFULA_PAYLOAD) holds the IP packet."""
    if len(frame) < pos + 4:
        return None, "truncated_link_header"
    family = frame[pos]
    pos += 4
    for _ in range(64):
        if len(frame) < pos + 4:
            return None, "truncated_link_header"
        length, tlv_type = struct.unpack_from("<HH", frame, pos)
        if length < 4:
            return None, "truncated_link_header"
        if tlv_type == 9:
            return (ETH_IPV6 if family == 10 else ETH_IPV4), pos + 4
        pos += (length + 3) & ~3
    return None, "excessive_link_layers"


def ieee80211(frame: bytes, pos: int) -> tuple[int | None, int | str]:
    """802.11 data frames with LLC/SNAP (what Zeek reads); management, control and
    protected frames carry nothing we decode."""
    if len(frame) < pos + 24:
        return None, "truncated_link_header"
    fc0, fc1 = frame[pos], frame[pos + 1]
    ftype = (fc0 >> 2) & 0x3
    subtype = (fc0 >> 4) & 0xF
    if ftype != 2 or fc1 & 0x40:               # not data, or protected
        return None, ""
    if subtype & 0x4:                          # null-function data: no payload
        return None, ""
    hdr = 24
    if fc1 & 0x03 == 0x03:                     # ToDS and FromDS: a fourth address
        hdr += 6
    amsdu = False
    if subtype & 0x8:                          # QoS data
        if len(frame) < pos + hdr + 2:
            return None, "truncated_link_header"
        amsdu = bool(frame[pos + hdr] & 0x80)  # QoS control: A-MSDU present
        hdr += 2
        if fc1 & 0x80:                         # +HTC
            hdr += 4
    pos += hdr
    if amsdu:                                  # first A-MSDU subframe: DA, SA, length
        pos += 14
    if frame[pos:pos + 3] != b"\xaa\xaa\x03" or len(frame) < pos + 8:
        return None, ""
    etype = U16.unpack_from(frame, pos + 6)[0]
    return (etype, pos + 8) if etype in (ETH_IPV4, ETH_IPV6) else (None, "")


def radiotap(frame: bytes, pos: int) -> tuple[int | None, int | str]:
    if len(frame) < pos + 4:
        return None, "truncated_link_header"
    length = U16LE.unpack_from(frame, pos + 2)[0]
    flags_fcs = _radiotap_has_fcs(frame, pos)
    if flags_fcs:
        frame = frame[:-4]
    return ieee80211(frame, pos + length)


def _radiotap_has_fcs(frame: bytes, pos: int) -> bool:
    """Radiotap's Flags field (bit 1 of present) with 0x10 set: the frame ends in an FCS."""
    present = struct.unpack_from("<I", frame, pos + 4)[0]
    if not present & 0x2:
        return False
    off = pos + 8
    while present & 0x80000000 and len(frame) >= off + 4:   # extended bitmaps
        present = struct.unpack_from("<I", frame, off)[0]
        off += 4
    if present & 0x1:                          # TSFT comes first, 8-aligned
        off = (off + 7) & ~7
        off += 8
    return len(frame) > off and bool(frame[off] & 0x10)


def raw_ip(frame: bytes, pos: int) -> tuple[int | None, int | str]:
    return IP_BY_VERSION, pos


LINK_DECODERS = {
    DLT_EN10MB: ethernet,
    DLT_NULL: lambda f, p: null_loopback(f, p, False),
    DLT_LOOP: lambda f, p: null_loopback(f, p, True),
    DLT_RAW: raw_ip, DLT_RAW_OLD: raw_ip, DLT_RAW_BSD: raw_ip,
    DLT_IPV4: lambda f, p: (ETH_IPV4, p),
    DLT_IPV6: lambda f, p: (ETH_IPV6, p),
    DLT_PPP: ppp, DLT_PPP_SERIAL: ppp,
    DLT_LINUX_SLL: linux_sll, DLT_LINUX_SLL2: linux_sll2,
    DLT_NFLOG: nflog,
    DLT_IEEE802_11: ieee80211,
    DLT_IEEE802_11_RADIO: radiotap,
}

LINK_NAMES = {
    DLT_EN10MB: "Ethernet", DLT_NULL: "BSD loopback", DLT_LOOP: "OpenBSD loopback",
    DLT_RAW: "raw IP", DLT_RAW_OLD: "raw IP", DLT_RAW_BSD: "raw IP", DLT_IPV4: "raw IPv4",
    DLT_IPV6: "raw IPv6", DLT_PPP: "PPP", DLT_PPP_SERIAL: "PPP (HDLC)",
    DLT_LINUX_SLL: "Linux cooked (SLL)", DLT_LINUX_SLL2: "Linux cooked (SLL2)",
    DLT_NFLOG: "NFLOG", DLT_IEEE802_11: "802.11", DLT_IEEE802_11_RADIO: "802.11 radiotap",
}
