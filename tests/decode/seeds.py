"""Valid frames for every link type the decoder reads, each around a set of IP packets that
exercise every decoder path (TCP, UDP, ICMP, IPv6 extension headers, fragments and each
tunnel). The property tests mutate them; the link tests read them byte by byte.

Each seed is (linktype, frame, ip_offset): where the outer IP header starts, so a test can
lie in a chosen field.
"""

from __future__ import annotations

import struct

from shoestring.decode import link
from shoestring.synth import frames as F

A4, B4 = "10.0.0.1", "192.168.1.2"
A6, B6 = "2001:db8::1", "2001:db8::2"
MAC_A, MAC_B = "02:00:00:00:00:01", "02:00:00:00:00:02"


def _eth(ip: bytes) -> bytes:
    return F.ethernet(MAC_A, MAC_B, F.ethertype_for(ip), ip)


def _tcp4(payload=b"GET / HTTP/1.1\r\n\r\n", **kw) -> bytes:
    return F.ipv4(A4, B4, F.PROTO_TCP,
                  F.tcp(A4, B4, 40000, 80, 1000, 2000, F.ACK | F.PSH, payload,
                        options=F.tcp_options(timestamps=(1, 2))), **kw)


def _udp4(sport=40000, dport=53, payload=b"\x12\x34\x01\x00\x00\x01" + bytes(6)) -> bytes:
    return F.ipv4(A4, B4, F.PROTO_UDP, F.udp(A4, B4, sport, dport, payload))


def inner_packets() -> dict[str, bytes]:
    """Named IP packets, each taking a different way through the decoder."""
    udp6 = F.udp(A6, B6, 5000, 5001, b"six")
    ext = (F.ipv6_ext(F.PROTO_HOPOPTS, b"\x05\x02\x00\x00"), F.ipv6_ext(F.PROTO_DSTOPTS))
    inner_eth = _eth(_udp4(1234, 5678, b"inner"))
    teredo_inner = F.ipv6(A6, B6, F.PROTO_UDP, udp6)
    frag_payload = F.udp(A4, B4, 1, 2, bytes(100))
    return {
        "tcp4": _tcp4(),
        "udp4": _udp4(),
        "icmp4": F.ipv4(A4, B4, F.PROTO_ICMP, F.icmp_echo(7, 1, b"ping")),
        "tcp6": F.ipv6(A6, B6, F.PROTO_TCP, F.tcp(A6, B6, 1, 2, 5, 0, F.SYN)),
        "udp6_ext": F.ipv6(A6, B6, F.PROTO_UDP, udp6, ext_headers=ext),
        "icmp6": F.ipv6(A6, B6, F.PROTO_ICMPV6, F.icmpv6(A6, B6, 128, 0, b"\x00\x01\x00\x01")),
        "frag4_first": F.ipv4_fragments(A4, B4, F.PROTO_UDP, frag_payload, 64, ident=5)[0],
        "frag4_last": F.ipv4_fragments(A4, B4, F.PROTO_UDP, frag_payload, 64, ident=5)[-1],
        "frag6_first": F.ipv6_fragments(A6, B6, F.PROTO_UDP, udp6 + bytes(64), 32)[0],
        "gre_ip": F.ipv4("203.0.113.1", "203.0.113.2", 47, b"\x00\x00\x08\x00" + _tcp4()),
        "gre_key_seq": F.ipv4("203.0.113.1", "203.0.113.2", 47,
                              b"\xb0\x00\x08\x00" + bytes(12) + _udp4()),
        "gre_teb": F.ipv4("203.0.113.1", "203.0.113.2", 47, b"\x00\x00\x65\x58" + inner_eth),
        "gre_erspan2": F.ipv4("203.0.113.1", "203.0.113.2", 47,
                              b"\x10\x00\x88\xbe" + bytes(4) + bytes(8) + inner_eth),
        "pptp": F.ipv4("203.0.113.1", "203.0.113.2", 47,
                       # enhanced GRE: K, S, A flags, version 1; length, call id, seq, ack
                       b"\x30\x81\x88\x0b" + struct.pack("!HHII", 44, 1, 1, 0)
                       + b"\xff\x03\x00\x21" + _udp4()),
        "vxlan": F.ipv4("172.16.0.1", "172.16.0.2", F.PROTO_UDP,
                        F.udp("172.16.0.1", "172.16.0.2", 51000, 4789,
                              b"\x08\x00\x00\x00\x00\x00\x2a\x00" + inner_eth)),
        "geneve": F.ipv4("172.16.0.1", "172.16.0.2", F.PROTO_UDP,
                         F.udp("172.16.0.1", "172.16.0.2", 51000, 6081,
                               b"\x00\x00\x65\x58\x00\x00\x2a\x00" + inner_eth)),
        "teredo": F.ipv4("192.0.2.1", "192.0.2.2", F.PROTO_UDP,
                         F.udp("192.0.2.1", "192.0.2.2", 3544, 40000, teredo_inner)),
        "gtpu": F.ipv4("192.0.2.1", "192.0.2.2", F.PROTO_UDP,
                       F.udp("192.0.2.1", "192.0.2.2", 2152, 2152,
                             b"\x30\xff" + struct.pack("!HI", len(_udp4()), 1) + _udp4())),
        "ayiya": F.ipv4("192.0.2.1", "192.0.2.2", F.PROTO_UDP,
                        F.udp("192.0.2.1", "192.0.2.2", 5072, 5072,
                              b"\x41\x00\x01\x04" + bytes(4) + bytes(16) + _udp4())),
        "ipip": F.ipv4("192.0.2.1", "192.0.2.2", 4, _udp4()),
        "6in4": F.ipv4("192.0.2.1", "192.0.2.2", 41, F.ipv6(A6, B6, F.PROTO_UDP, udp6)),
        "other_proto": F.ipv4(A4, B4, 132, b"\x00" * 12),        # SCTP: an "other" IP proto
    }


# --- link layers around an IP packet --------------------------------------------------------

def sll2(ip: bytes) -> bytes:
    """Linux cooked v2 (LINKTYPE_LINUX_SLL2): protocol, reserved, ifindex, ARPHRD, packet
    type, address length, 8 address bytes."""
    return struct.pack("!HHIHBB8s", F.ethertype_for(ip), 0, 2, 1, 0, 6, b"\x02" + bytes(7)) + ip


def nflog(ip: bytes) -> bytes:
    """NFLOG: family, version, resource id, then a little-endian TLV of type 9 (payload)."""
    family = 2 if ip[0] >> 4 == 4 else 10
    head = bytes([family, 0]) + b"\x00\x01"
    prefix = struct.pack("<HH", 8, 10) + b"pfx\x00"            # an NFULA_PREFIX TLV first
    return head + prefix + struct.pack("<HH", 4 + len(ip), 9) + ip


def wifi(ip: bytes) -> bytes:
    """802.11 data frame to the AP (ToDS), then LLC/SNAP with the ethertype."""
    hdr = b"\x08\x01" + b"\x00\x00" + bytes.fromhex("020000000002" "020000000001" "020000000002") \
        + b"\x00\x00"
    return hdr + b"\xaa\xaa\x03\x00\x00\x00" + struct.pack("!H", F.ethertype_for(ip)) + ip


def radiotap(ip: bytes) -> bytes:
    """Radiotap header (version 0, length 8, no fields) before an 802.11 frame."""
    return struct.pack("<BBHI", 0, 0, 8, 0) + wifi(ip)


def mpls(ip: bytes) -> bytes:
    label = struct.pack("!I", (16 << 12) | 0x100 | 64)          # label 16, bottom, TTL 64
    return F.ethernet(MAC_A, MAC_B, 0x8847, label + ip)


def pppoe(ip: bytes) -> bytes:
    proto = b"\x00\x21" if ip[0] >> 4 == 4 else b"\x00\x57"          # PPP: IPv4 / IPv6
    session = struct.pack("!BBHH", 0x11, 0, 0x1234, len(ip) + 2) + proto
    return F.ethernet(MAC_A, MAC_B, 0x8864, session + ip)


# (linktype, wrapper, offset of the IP header); wrappers take an IPv4 or IPv6 packet.
LINKS = [
    (link.DLT_EN10MB, _eth, 14),
    (link.DLT_EN10MB, lambda ip: F.ethernet(MAC_A, MAC_B, F.ethertype_for(ip), ip, vlan=10), 18),
    (link.DLT_EN10MB, lambda ip: F.ethernet(MAC_A, MAC_B, F.ethertype_for(ip), ip,
                                            vlan=(100, 10)), 22),
    (link.DLT_EN10MB, mpls, 18),
    (link.DLT_EN10MB, pppoe, 22),
    (link.DLT_NULL, F.null_loopback, 4),
    (link.DLT_LOOP, lambda ip: struct.pack("!I", 2 if ip[0] >> 4 == 4 else 24) + ip, 4),
    (link.DLT_RAW, lambda ip: ip, 0),
    (link.DLT_RAW_OLD, lambda ip: ip, 0),
    (link.DLT_RAW_BSD, lambda ip: ip, 0),
    (link.DLT_PPP, lambda ip: b"\xff\x03" + (b"\x00\x21" if ip[0] >> 4 == 4 else b"\x00\x57") + ip, 4),
    (link.DLT_PPP_SERIAL, lambda ip: b"\xff\x03" + (b"\x00\x21" if ip[0] >> 4 == 4 else b"\x00\x57") + ip, 4),
    (link.DLT_LINUX_SLL, F.linux_sll, 16),
    (link.DLT_LINUX_SLL2, sll2, 20),
    (link.DLT_NFLOG, nflog, 16),
    (link.DLT_IEEE802_11, wifi, 32),
    (link.DLT_IEEE802_11_RADIO, radiotap, 40),
]

# Raw IPv4/IPv6 link types only carry their own version.
VERSIONED = [(link.DLT_IPV4, 4), (link.DLT_IPV6, 6)]


def seeds() -> list[tuple[int, bytes, int]]:
    out = []
    packets = inner_packets()
    for linktype, wrap, offset in LINKS:
        for ip in packets.values():
            out.append((linktype, wrap(ip), offset))
    for linktype, version in VERSIONED:
        for ip in packets.values():
            if ip[0] >> 4 == version:
                out.append((linktype, ip, 0))
    return out


SEEDS = seeds()
