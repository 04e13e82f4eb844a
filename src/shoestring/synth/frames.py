"""Build wire-exact frames: Ethernet/802.1Q, IPv4/IPv6, TCP, UDP, ICMP, ICMPv6.

Every builder returns bytes. Checksums are correct unless `bad_checksum=True`, which stores a
value that is guaranteed wrong (and, for UDP, never 0, which would mean "no checksum").
Addresses may be given as text ("10.0.0.1", "fe80::1") or packed bytes (4 or 16 long);
packed bytes are faster, so the bulk generators pass those.
"""

from __future__ import annotations

import functools
import socket
import struct

# --- protocol numbers --------------------------------------------------------------------
ETH_IPV4, ETH_IPV6, ETH_ARP, ETH_VLAN, ETH_QINQ = 0x0800, 0x86DD, 0x0806, 0x8100, 0x88A8
PROTO_HOPOPTS, PROTO_ICMP, PROTO_TCP, PROTO_UDP = 0, 1, 6, 17
PROTO_ROUTING, PROTO_FRAGMENT, PROTO_ICMPV6, PROTO_NONE, PROTO_DSTOPTS = 43, 44, 58, 59, 60

# TCP flag bits (RFC 9293 section 3.1)
FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80

# --- header layouts, compiled once --------------------------------------------------------
ETH_HDR = struct.Struct("!6s6sH")            # IEEE 802.3: dst, src, ethertype
VLAN_TAG = struct.Struct("!HH")              # 802.1Q: TCI, inner ethertype
IPV4_HDR = struct.Struct("!BBHHHBBH4s4s")    # RFC 791 section 3.1
IPV6_HDR = struct.Struct("!IHBB16s16s")      # RFC 8200 section 3
IPV6_FRAG = struct.Struct("!BBHI")           # RFC 8200 section 4.5
TCP_HDR = struct.Struct("!HHIIBBHHH")        # RFC 9293 section 3.1
UDP_HDR = struct.Struct("!HHHH")             # RFC 768
ICMP_HDR = struct.Struct("!BBH")             # RFC 792 / RFC 4443: type, code, checksum
PSEUDO4 = struct.Struct("!4s4sBBH")          # RFC 9293 section 3.1 pseudo-header
PSEUDO6 = struct.Struct("!16s16sIxxxB")      # RFC 8200 section 8.1 pseudo-header
U16 = struct.Struct("!H")


@functools.lru_cache(maxsize=65536)
def _pack_text(addr: str) -> bytes:
    return socket.inet_pton(socket.AF_INET6 if ":" in addr else socket.AF_INET, addr)


def ip_bytes(addr: str | bytes) -> bytes:
    """Packed form of an IPv4/IPv6 address given as text or already packed."""
    return addr if isinstance(addr, bytes) else _pack_text(addr)


def mac_bytes(mac: str | bytes) -> bytes:
    """Packed form of a MAC address given as "aa:bb:..." or 6 bytes."""
    return mac if isinstance(mac, bytes) else bytes.fromhex(mac.replace(":", "").replace("-", ""))


def inet_checksum(data: bytes) -> int:
    """RFC 1071 Internet checksum of `data` (already including any pseudo-header).

    The one's-complement sum of 16-bit words equals the big integer modulo 0xFFFF (because
    2**16 == 1 mod 0xFFFF); int.from_bytes and % run in C, which is ~50x faster than a loop
    over words. A sum of 0 mod 0xFFFF gives checksum 0xFFFF, the form UDP requires anyway.
    """
    if len(data) & 1:
        data += b"\x00"
    return (~(int.from_bytes(data, "big") % 0xFFFF)) & 0xFFFF


def _wrong(csum: int) -> int:
    """A checksum that is certainly wrong, and never 0 (UDP's "no checksum")."""
    bad = csum ^ 0x5A5A
    return bad if bad not in (0, 0xFFFF) else 0x1234


def _pseudo(src: bytes, dst: bytes, proto: int, length: int) -> bytes:
    if len(src) == 4:
        return PSEUDO4.pack(src, dst, 0, proto, length)
    return PSEUDO6.pack(src, dst, length, proto)


# --- link layer ---------------------------------------------------------------------------
def ethernet(src_mac, dst_mac, ethertype: int, payload: bytes, vlan: int | tuple | None = None,
             pcp: int = 0) -> bytes:
    """Ethernet II frame; `vlan` is one VLAN id (802.1Q) or a tuple (outer, inner) for QinQ."""
    dst, src = mac_bytes(dst_mac), mac_bytes(src_mac)
    if vlan is None:
        return ETH_HDR.pack(dst, src, ethertype) + payload
    if isinstance(vlan, int):
        return ETH_HDR.pack(dst, src, ETH_VLAN) + VLAN_TAG.pack((pcp << 13) | vlan, ethertype) + payload
    outer, inner = vlan
    return (ETH_HDR.pack(dst, src, ETH_QINQ) + VLAN_TAG.pack((pcp << 13) | outer, ETH_VLAN)
            + VLAN_TAG.pack((pcp << 13) | inner, ethertype) + payload)


def ethertype_for(ip_packet: bytes) -> int:
    """Ethertype matching the version nibble of an IP packet."""
    return ETH_IPV6 if ip_packet[0] >> 4 == 6 else ETH_IPV4


# --- IPv4 ---------------------------------------------------------------------------------
def ipv4(src, dst, proto: int, payload: bytes, *, ttl: int = 64, ident: int = 0, tos: int = 0,
         df: bool = True, options: bytes = b"", frag_offset: int = 0, more_fragments: bool = False,
         total_length: int | None = None, bad_checksum: bool = False) -> bytes:
    """IPv4 packet (RFC 791). `frag_offset` is in bytes (a multiple of 8); options are padded
    to 32 bits with End-of-Options. `total_length` overrides the length field (to lie)."""
    if len(options) % 4:
        options += b"\x00" * (4 - len(options) % 4)
    ihl = 5 + len(options) // 4
    flags = (0x4000 if df else 0) | (0x2000 if more_fragments else 0) | (frag_offset >> 3)
    length = total_length if total_length is not None else ihl * 4 + len(payload)
    s, d = ip_bytes(src), ip_bytes(dst)
    hdr = IPV4_HDR.pack(0x40 | ihl, tos, length, ident, flags, ttl, proto, 0, s, d) + options
    csum = inet_checksum(hdr)
    if bad_checksum:
        csum = _wrong(csum)
    return hdr[:10] + U16.pack(csum) + hdr[12:] + payload


def ipv4_fragments(src, dst, proto: int, payload: bytes, fragment_size: int = 1480,
                   **kw) -> list[bytes]:
    """Split an upper-layer payload into IPv4 fragments carrying `fragment_size` bytes each
    (rounded down to a multiple of 8, as RFC 791 requires for all but the last)."""
    size = max(8, fragment_size & ~7)
    kw.setdefault("df", False)
    out = []
    for off in range(0, len(payload), size):
        chunk = payload[off:off + size]
        out.append(ipv4(src, dst, proto, chunk, frag_offset=off,
                        more_fragments=off + size < len(payload), **kw))
    return out or [ipv4(src, dst, proto, b"", **kw)]


# --- IPv6 ---------------------------------------------------------------------------------
def ipv6(src, dst, next_header: int, payload: bytes, *, hop_limit: int = 64, flow_label: int = 0,
         traffic_class: int = 0, ext_headers: tuple = (), payload_length: int | None = None) -> bytes:
    """IPv6 packet (RFC 8200). `ext_headers` is a sequence of (type, body) built with
    ipv6_ext()/ipv6_fragment_header(); they are chained in order before `next_header`."""
    chain = b""
    types = [t for t, _ in ext_headers] + [next_header]
    for i, (_, body) in enumerate(ext_headers):
        chain += bytes([types[i + 1]]) + body
    first = types[0]
    plen = payload_length if payload_length is not None else len(chain) + len(payload)
    head = IPV6_HDR.pack((6 << 28) | (traffic_class << 20) | flow_label, plen, first, hop_limit,
                         ip_bytes(src), ip_bytes(dst))
    return head + chain + payload


def ipv6_ext(kind: int, data: bytes = b"") -> tuple:
    """A Hop-by-Hop, Destination Options or Routing header (RFC 8200 section 4) with body
    `data` (options or routing data) padded with PadN to a multiple of 8 bytes including the
    2-byte next-header/length prefix. Returns (type, body-without-next-header-byte)."""
    need = (2 + len(data)) % 8
    if need:
        pad = 8 - need
        data += b"\x00" if pad == 1 else bytes([1, pad - 2]) + b"\x00" * (pad - 2)
    return kind, bytes([(2 + len(data)) // 8 - 1]) + data


def ipv6_fragment_header(offset: int, more: bool, ident: int) -> tuple:
    """Fragment extension header (RFC 8200 section 4.5); offset in bytes (multiple of 8)."""
    return PROTO_FRAGMENT, IPV6_FRAG.pack(0, 0, offset | (1 if more else 0), ident)[1:]


def ipv6_fragments(src, dst, next_header: int, payload: bytes, fragment_size: int = 1232,
                   ident: int = 1, **kw) -> list[bytes]:
    """Split an upper-layer payload into IPv6 fragments (fragment_size bytes of data each)."""
    size = max(8, fragment_size & ~7)
    out = []
    for off in range(0, max(len(payload), 1), size):
        more = off + size < len(payload)
        out.append(ipv6(src, dst, next_header, payload[off:off + size],
                        ext_headers=(ipv6_fragment_header(off, more, ident),), **kw))
    return out


# --- transport ----------------------------------------------------------------------------
def tcp_options(mss: int | None = None, wscale: int | None = None, sack_ok: bool = False,
                timestamps: tuple | None = None) -> bytes:
    """TCP options as a SYN carries them (RFC 9293, 7323, 2018), NOP-padded to 32 bits."""
    out = b""
    if mss is not None:
        out += b"\x02\x04" + U16.pack(mss)
    if sack_ok:
        out += b"\x04\x02"
    if timestamps is not None:
        out += b"\x08\x0a" + struct.pack("!II", *timestamps)
    if wscale is not None:
        out += b"\x01\x03\x03" + bytes([wscale])
    return out + b"\x01" * (-len(out) % 4)


def tcp(src, dst, sport: int, dport: int, seq: int, ack: int, flags: int, payload: bytes = b"",
        *, window: int = 64240, options: bytes = b"", urgent: int = 0,
        bad_checksum: bool = False) -> bytes:
    """TCP segment with its checksum over the IPv4/IPv6 pseudo-header of src/dst."""
    if len(options) % 4:
        options += b"\x00" * (4 - len(options) % 4)
    s, d = ip_bytes(src), ip_bytes(dst)
    off = (5 + len(options) // 4) << 4
    seg = TCP_HDR.pack(sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, off, flags, window, 0,
                       urgent) + options + payload
    csum = inet_checksum(_pseudo(s, d, PROTO_TCP, len(seg)) + seg)
    if bad_checksum:
        csum = _wrong(csum)
    return seg[:16] + U16.pack(csum) + seg[18:]


def udp(src, dst, sport: int, dport: int, payload: bytes = b"", *, bad_checksum: bool = False,
        zero_checksum: bool = False) -> bytes:
    """UDP datagram; `zero_checksum` sends 0 (no checksum, allowed over IPv4 only)."""
    s, d = ip_bytes(src), ip_bytes(dst)
    length = 8 + len(payload)
    if zero_checksum:
        return UDP_HDR.pack(sport, dport, length, 0) + payload
    csum = inet_checksum(_pseudo(s, d, PROTO_UDP, length) + UDP_HDR.pack(sport, dport, length, 0)
                         + payload)
    if bad_checksum:
        csum = _wrong(csum)
    return UDP_HDR.pack(sport, dport, length, csum) + payload


def icmp(icmp_type: int, code: int, rest: bytes = b"\x00\x00\x00\x00", payload: bytes = b"",
         *, bad_checksum: bool = False) -> bytes:
    """ICMPv4 message (RFC 792): type, code, checksum, the 4-byte rest-of-header, data."""
    body = ICMP_HDR.pack(icmp_type, code, 0) + rest + payload
    csum = inet_checksum(body)
    if bad_checksum:
        csum = _wrong(csum)
    return body[:2] + U16.pack(csum) + body[4:]


def icmp_echo(ident: int, seq: int, data: bytes = b"", reply: bool = False, **kw) -> bytes:
    """ICMPv4 echo request (type 8) or reply (type 0)."""
    return icmp(0 if reply else 8, 0, struct.pack("!HH", ident, seq), data, **kw)


def icmpv6(src, dst, icmp_type: int, code: int, body: bytes = b"", *,
           bad_checksum: bool = False) -> bytes:
    """ICMPv6 message (RFC 4443) with its checksum over the IPv6 pseudo-header."""
    msg = ICMP_HDR.pack(icmp_type, code, 0) + body
    csum = inet_checksum(_pseudo(ip_bytes(src), ip_bytes(dst), PROTO_ICMPV6, len(msg)) + msg)
    if bad_checksum:
        csum = _wrong(csum)
    return msg[:2] + U16.pack(csum) + msg[4:]


# --- whole frames in one call -------------------------------------------------------------
def ip_packet(src, dst, proto: int, l4: bytes, **kw) -> bytes:
    """IPv4 or IPv6 packet chosen by the length of the packed source address."""
    s = ip_bytes(src)
    if len(s) == 4:
        return ipv4(s, dst, proto, l4, **kw)
    return ipv6(s, dst, proto, l4, **kw)


def ether_ip(src_mac, dst_mac, ip_pkt: bytes, vlan=None) -> bytes:
    """Wrap an IP packet in Ethernet with the matching ethertype."""
    return ethernet(src_mac, dst_mac, ethertype_for(ip_pkt), ip_pkt, vlan)


# --- other link layers the decoder reads, for tests ---------------------------------------
def null_loopback(ip_pkt: bytes, little_endian: bool = True) -> bytes:
    """BSD loopback (LINKTYPE_NULL): a 4-byte host-order address family, then the packet."""
    family = 2 if ip_pkt[0] >> 4 == 4 else 30  # AF_INET; AF_INET6 as macOS numbers it
    return struct.pack("<I" if little_endian else ">I", family) + ip_pkt


def linux_sll(ip_pkt: bytes, src_mac=b"\x02\x00\x00\x00\x00\x01", packet_type: int = 0) -> bytes:
    """Linux cooked capture v1 (LINKTYPE_LINUX_SLL) header before an IP packet."""
    mac = mac_bytes(src_mac)
    return (struct.pack("!HHH", packet_type, 1, len(mac)) + mac.ljust(8, b"\x00")
            + U16.pack(ethertype_for(ip_pkt)) + ip_pkt)
