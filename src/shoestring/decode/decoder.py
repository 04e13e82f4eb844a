"""Frame bytes to Packets: link layer, IPv4/IPv6 with extension headers and fragments,
transport headers, checksums and tunnels. Malformed input becomes a Weird, never an
exception: every length is checked before it is trusted.

Compiled (setup.py COMPILED): every packet the pipeline's fast path does not take comes
through here. Header fields are read byte by byte (fields.u16/u32, offsets as in the
RFC diagrams cited below).
"""

from __future__ import annotations

import struct
from typing import Callable, Final

from . import checksum, link, tunnels
from .fields import u16, u32
from .fragments import FragmentReassembler
from .packet import GRE, ICMP, ICMP6, IGMP, IPIP, IPV6, TCP, UDP, Packet, Tunnel, Weird

# Header layouts read below: IPv4 RFC 791 §3.1, IPv6 RFC 8200 §3, TCP RFC 9293 §3.1,
# UDP RFC 768, ICMP RFC 792 / RFC 4443 (type, code, checksum).

# IPv6 extension headers we walk through (RFC 8200 §4): hop-by-hop, routing,
# destination options, mobility, HIP, shim6 — all "(next, len8)" shaped; AH and
# fragment are handled on their own.
IPV6_EXT_GENERIC: Final = frozenset({0, 43, 60, 139, 140})
IPV6_FRAGMENT: Final = 44
IPV6_AH: Final = 51
IPV6_NO_NEXT: Final = 59
IPV6_MOBILITY: Final = 135
IPV6_DEST_OPTS: Final = 60
IPV6_ROUTING: Final = 43
HOME_ADDRESS_OPTION: Final = 0xC9   # RFC 6275 §6.3
MAX_IPV6_EXT_HEADERS: Final = 32    # more than this is an evasion attempt, not a real stack

# Zeek's Tunnel::max_depth default: deeper nesting is reported, not followed.
MAX_TUNNEL_DEPTH: Final = 2

# A link-layer decoder (link.LINK_DECODERS): (frame, offset) -> its result tuple.
LinkDecoder = Callable[[bytes, int], tuple]


class Decoder:
    """Decodes frames; keeps only the state that spans packets (fragments)."""

    def __init__(self, ignore_checksums: bool = False) -> None:
        self.ignore_checksums = ignore_checksums
        self.fragments = FragmentReassembler()

    def decode(self, ts: float, linktype: int, frame: bytes,
               out: list[Packet], weirds: list[Weird]) -> None:
        """Append the packets found in ``frame`` (outer first) to ``out``."""
        decoder = link.LINK_DECODERS.get(linktype)
        if decoder is None:
            weirds.append(Weird("unknown_link_type", str(linktype)))
            return
        found = _link(decoder, frame, 0, weirds)
        if found is not None:
            etype, pos, frame = found
            self.network(ts, etype, frame, pos, None, 0, out, weirds)

    # -- network layer ----------------------------------------------------------------

    def network(self, ts: float, etype: int, frame: bytes, pos: int,
                parent: Tunnel | None, depth: int, out: list[Packet],
                weirds: list[Weird]) -> None:
        if etype == link.IP_BY_VERSION:
            if len(frame) <= pos:
                weirds.append(Weird("truncated_IP"))
                return
            version = frame[pos] >> 4
            etype = link.ETH_IPV4 if version == 4 else link.ETH_IPV6 if version == 6 else 0
            if not etype:
                weirds.append(Weird("unknown_protocol", f"IP version {version}"))
                return
        if etype == link.ETH_IPV4:
            self.ipv4(ts, frame, pos, parent, depth, out, weirds)
        else:
            self.ipv6(ts, frame, pos, parent, depth, out, weirds)

    def ipv4(self, ts: float, frame: bytes, pos: int, parent: Tunnel | None, depth: int,
             out: list[Packet], weirds: list[Weird]) -> None:
        if len(frame) < pos + 20:
            weirds.append(Weird("truncated_IP"))
            return
        vhl = frame[pos]
        total = u16(frame, pos + 2)
        ident = u16(frame, pos + 4)
        frag = u16(frame, pos + 6)
        proto = frame[pos + 9]
        src = frame[pos + 12:pos + 16]
        dst = frame[pos + 16:pos + 20]
        if vhl >> 4 != 4:
            weirds.append(Weird("bad_IP_version"))
            return
        hlen = (vhl & 0x0F) * 4
        if hlen < 20:
            weirds.append(Weird("bad_IP_header_len", src=src, dst=dst))
            return
        if len(frame) < pos + hlen:
            weirds.append(Weird("truncated_IP", src=src, dst=dst))
            return
        if total == 0:                         # TCP segmentation offload: trust the frame
            total = len(frame) - pos
        if total < hlen:
            weirds.append(Weird("bad_IP_len", src=src, dst=dst))
            return
        if not self.ignore_checksums and not checksum.valid(frame[pos:pos + hlen]):
            weirds.append(Weird("bad_IP_checksum", src=src, dst=dst))
            return
        body = frame[pos + hlen:pos + total]   # drops Ethernet padding
        if frag & 0x3FFF:                      # MF set or non-zero offset
            more, offset = bool(frag & 0x2000), (frag & 0x1FFF) * 8
            names: list[str] = []
            whole = self.fragments.add((src, dst, ident, proto), ts, offset, body, more, names)
            weirds.extend(Weird(n, src=src, dst=dst) for n in names)
            if whole is None:
                return
            body = whole
            total = hlen + len(body)
        self.transport(ts, src, dst, proto, total, body, total - hlen,
                       parent, depth, out, weirds)

    def ipv6(self, ts: float, frame: bytes, pos: int, parent: Tunnel | None, depth: int,
             out: list[Packet], weirds: list[Weird]) -> None:
        if len(frame) < pos + 40:
            weirds.append(Weird("truncated_IPv6"))
            return
        plen = u16(frame, pos + 4)
        nxt = frame[pos + 6]
        src = frame[pos + 8:pos + 24]
        dst = frame[pos + 24:pos + 40]
        if frame[pos] >> 4 != 6:
            weirds.append(Weird("bad_IP_version"))
            return
        total = plen + 40                      # Zeek counts what the header claims
        data = frame[pos + 40:pos + total]
        off = 0
        final_dst: bytes | None = None  # a routing header's last address: the true dst
        # Where extension headers are read "as captured", past what the payload length
        # claims (Zeek reads the header chain so): the frame, or a reassembled datagram.
        raw, base = frame, pos + 40
        for _ in range(MAX_IPV6_EXT_HEADERS):
            if nxt in IPV6_EXT_GENERIC or nxt == IPV6_MOBILITY:
                if len(data) < off + 2:
                    weirds.append(Weird("truncated_IPv6", src=src, dst=dst))
                    return
                if nxt == IPV6_MOBILITY:
                    # Mobility header (RFC 6275): Zeek reports and stops here.
                    weirds.append(Weird("mobility_piggyback" if data[off] != IPV6_NO_NEXT
                                        else "unknown_mobility_type", src=src, dst=dst))
                    return
                length = (data[off + 1] + 1) * 8
                if nxt == IPV6_ROUTING:
                    routed = _routing_header(raw[base + off:base + off + length],
                                             src, dst, final_dst, weirds)
                    if routed is not None:
                        final_dst = routed
                elif nxt == IPV6_DEST_OPTS:
                    # Zeek walks the options as captured, even past what the payload
                    # length claims (the size check that follows names that fault).
                    start = base + off
                    home = _destination_options(raw[start + 2:start + length], src, dst,
                                                weirds)
                    if home is not None:
                        src = home                 # Zeek takes the Home Address as source
                nxt, off = data[off], off + length
            elif nxt == IPV6_AH:
                if len(data) < off + 2:
                    weirds.append(Weird("truncated_IPv6", src=src, dst=dst))
                    return
                nxt, off = data[off], off + (data[off + 1] + 2) * 4
            elif nxt == IPV6_FRAGMENT:
                if len(data) < off + 8:
                    weirds.append(Weird("truncated_IPv6", src=src, dst=dst))
                    return
                frag_next = data[off]
                frag_off_m, ident = u16(data, off + 2), u32(data, off + 4)
                more, offset = bool(frag_off_m & 1), frag_off_m & 0xFFF8
                body = data[off + 8:]
                if not more and offset == 0:   # an atomic fragment: nothing to reassemble
                    nxt, off = frag_next, off + 8
                    continue
                names: list[str] = []
                whole = self.fragments.add((src, dst, ident, frag_next), ts, offset, body,
                                           more, names)
                weirds.extend(Weird(n, src=src, dst=dst) for n in names)
                if whole is None:
                    return
                data, off, nxt = whole, 0, frag_next
                raw, base = whole, 0
                total = 40 + len(whole)
            else:
                break
            if off > len(data):
                # The extension headers claim more than the packet holds (Zeek's
                # IP_Hdr check, reported without addresses).
                weirds.append(Weird("invalid_IP_header_size", source="IP"))
                return
        else:
            weirds.append(Weird("excessive_IPv6_extension_headers", src=src, dst=dst))
            return
        if nxt == IPV6_NO_NEXT:
            return
        if final_dst is not None:
            dst = final_dst                # Zeek's connection (and checksum) use it
        body = data[off:]
        self.transport(ts, src, dst, nxt, total, body, len(body),
                       parent, depth, out, weirds)

    # -- transport layer ----------------------------------------------------------------

    def transport(self, ts: float, src: bytes, dst: bytes, proto: int, ip_len: int,
                  body: bytes, body_len: int, parent: Tunnel | None, depth: int,
                  out: list[Packet], weirds: list[Weird]) -> None:
        if proto in (IPIP, IPV6):
            self._ip_tunnel(ts, src, dst, proto, body, parent, depth, out, weirds)
            return
        if proto == GRE:
            self._gre(ts, src, dst, body, parent, depth, out, weirds)
            return
        pkt = Packet(ts, src, dst, proto, ip_len)
        pkt.parent = parent
        if proto == TCP:
            if len(body) < 20:
                weirds.append(Weird("truncated_header", "TCP", src, dst))
                return
            pkt.sport = u16(body, 0)
            pkt.dport = u16(body, 2)
            pkt.seq = u32(body, 4)
            pkt.ack = u32(body, 8)
            pkt.flags = body[13]
            pkt.win = u16(body, 14)
            hlen = (body[12] >> 4) * 4
            if hlen < 20:
                weirds.append(Weird("bad_TCP_header_len", "", src, dst))
                return
            if hlen > len(body) or hlen > body_len:
                # Zeek has already made the connection by now: it exists, uncounted.
                pkt.broken = "truncated_header"
                out.append(pkt)
                return
            pkt.tcp_opts = body[20:hlen]
            pkt.payload = body[hlen:]
            pkt.payload_len = body_len - hlen
            if not self.ignore_checksums and len(body) >= body_len and \
                    not checksum.valid(body, checksum.pseudo_header_sum(src, dst, TCP,
                                                                        body_len)):
                pkt.bad_checksum = True
        elif proto == UDP:
            if len(body) < 8:
                weirds.append(Weird("truncated_header", "UDP", src, dst))
                return
            pkt.sport = u16(body, 0)
            pkt.dport = u16(body, 2)
            ulen = u16(body, 4)
            usum = u16(body, 6)
            pkt.payload = body[8:]
            pkt.payload_len = body_len - 8
            if ulen != body_len and ulen > 8:
                # Zeek trusts the smaller of the two and reports the mismatch.
                weirds.append(Weird("UDP_datagram_length_mismatch",
                                    f"{ulen} != {body_len}", src, dst))
                if ulen < body_len:
                    pkt.payload = body[8:ulen]
                    pkt.payload_len = ulen - 8
            if not self.ignore_checksums and len(body) >= body_len and \
                    (usum or len(src) == 16) and \
                    not checksum.valid(body[:max(ulen, 8)] if ulen <= body_len else body,
                                       checksum.pseudo_header_sum(
                                           src, dst, UDP, min(ulen, body_len) or body_len)):
                pkt.bad_checksum = True
            if depth < MAX_TUNNEL_DEPTH and not pkt.bad_checksum:
                self._udp_tunnel(pkt, depth, out, weirds)
                return
        elif proto in (ICMP, ICMP6):
            if len(body) < 8:
                weirds.append(Weird("truncated_header", "ICMP", src, dst))
                return
            pkt.icmp_type = body[0]
            pkt.icmp_code = body[1]
            pkt.payload = body[8:]
            pkt.payload_len = body_len - 8
            if not self.ignore_checksums and len(body) >= body_len:
                initial = checksum.pseudo_header_sum(src, dst, ICMP6, body_len) \
                    if proto == ICMP6 else 0
                if not checksum.valid(body[:body_len], initial):
                    pkt.bad_checksum = True
        else:
            if proto == IGMP and not self.ignore_checksums and len(body) >= body_len >= 8 \
                    and not checksum.valid(body[:body_len]):
                weirds.append(Weird("igmp_invalid_checksum", "", src, dst, "IGMP"))
            pkt.payload = body
            pkt.payload_len = body_len
        out.append(pkt)

    def _ip_tunnel(self, ts: float, src: bytes, dst: bytes, proto: int, body: bytes,
                   parent: Tunnel | None, depth: int, out: list[Packet],
                   weirds: list[Weird]) -> None:
        if depth >= MAX_TUNNEL_DEPTH:
            weirds.append(Weird("exceeded_tunnel_max_depth", "", src, dst))
            return
        etype = link.ETH_IPV4 if proto == IPIP else link.ETH_IPV6
        tunnel = Tunnel("Tunnel::IP", src, dst)
        tunnel.enclosing = parent
        self.network(ts, etype, body, 0, tunnel, depth + 1, out, weirds)

    def _gre(self, ts: float, src: bytes, dst: bytes, body: bytes, parent: Tunnel | None,
             depth: int, out: list[Packet], weirds: list[Weird]) -> None:
        found = tunnels.gre(body)
        if found is None:
            weirds.append(Weird("unknown_gre_version" if len(body) >= 2 and body[1] & 7 > 1
                                else "unknown_gre_protocol", "", src, dst))
            return
        if depth >= MAX_TUNNEL_DEPTH:
            weirds.append(Weird("exceeded_tunnel_max_depth", "", src, dst))
            return
        tunnel = Tunnel("Tunnel::GRE", src, dst)
        tunnel.enclosing = parent
        self._inner(ts, found, body, tunnel, depth, out, weirds)

    def _udp_tunnel(self, pkt: Packet, depth: int, out: list[Packet],
                    weirds: list[Weird]) -> None:
        spec = tunnels.UDP_TUNNELS.get(pkt.dport) or tunnels.UDP_TUNNELS.get(pkt.sport)
        out.append(pkt)
        if not pkt.payload:
            return
        if spec is None:
            # Zeek tries Teredo on every UDP port (its DetectProtocol): a datagram
            # that is exactly one well-formed IPv6 packet is taken as Teredo.
            found = tunnels.teredo(pkt.payload, strict=True)
            if found is None:
                return
            spec = tunnels.UDP_TUNNELS[tunnels.TEREDO_PORT]
        else:
            found = spec[2](pkt.payload)
            if found is None:
                return
        kind, _service, parse = spec
        if parse is tunnels.gre:
            # GRE in UDP (RFC 8086) is a GRE tunnel between the two hosts, as Zeek
            # logs it: keyed by addresses, not by the UDP connection carrying it.
            tunnel = Tunnel(kind, pkt.src, pkt.dst)
        else:
            tunnel = Tunnel(kind, pkt.src, pkt.dst, pkt.sport, pkt.dport, outer=pkt)
            pkt.tunnel = tunnel
        tunnel.enclosing = pkt.parent
        self._inner(pkt.ts, found, pkt.payload, tunnel, depth, out, weirds)

    def _inner(self, ts: float, found: tuple[str, int, int], data: bytes, tunnel: Tunnel,
               depth: int, out: list[Packet], weirds: list[Weird]) -> None:
        """Decode what a tunnel carries; the inner packets name ``tunnel`` as parent
        (conn.log's tunnel_parents holds the innermost tunnel only, as Zeek's)."""
        kind, etype, pos = found
        if pos >= len(data):
            name = tunnel.kind.split("::")[-1]
            weirds.append(Weird(f"{name.lower()}_empty_packet", "", tunnel.src, tunnel.dst,
                                name.upper()))
            return
        if kind == tunnels.INNER_IP:
            self.network(ts, etype or link.IP_BY_VERSION, data, pos, tunnel, depth + 1,
                         out, weirds)
            return
        decoder = link.ethernet if kind == tunnels.INNER_ETHERNET else link.ieee80211
        linked = _link(decoder, data, pos, weirds)
        if linked is not None:
            etype, where, data = linked
            self.network(ts, etype, data, where, tunnel, depth + 1, out, weirds)


def _link(decoder: LinkDecoder, frame: bytes, pos: int,
          weirds: list[Weird]) -> tuple[int, int, bytes] | None:
    """Run a link-layer decoder: (ethertype, where the network layer starts, the frame
    cut where the link layer says the packet ends), or None with the weird recorded."""
    try:
        found = decoder(frame, pos)
    except (IndexError, struct.error):
        weirds.append(Weird("truncated_link_header"))
        return None
    etype, where = found[0], found[1]
    if etype is None:
        if where:
            weirds.append(Weird(where))
        return None
    if len(found) > 2:
        frame = frame[:found[2]]
    return etype, where, frame


def _routing_header(hdr: bytes, src: bytes, dst: bytes, final_dst: bytes | None,
                    weirds: list[Weird]) -> bytes | None:
    """An IPv6 Routing header (RFC 8200 §4.4) as Zeek's IPv6_Hdr_Chain takes it: the
    final destination it names (the last 16 bytes), or None, and Zeek's weirds. Type 0
    is deprecated (RFC 5095) and always reported; type 2 is Mobile IPv6's (RFC 6275)."""
    if final_dst is not None:
        # RFC 8200 §4.1: at most one Routing header.
        weirds.append(Weird("multiple_routing_headers", src=src, dst=final_dst))
        return None
    if len(hdr) < 4:
        return None                        # cut short: the size checks report it
    hlen, rtype, segments_left = hdr[1], hdr[2], hdr[3]
    if len(hdr) < (hlen + 1) * 8:
        return None                        # cut short: the size checks report it
    addr = hdr[-16:] if len(hdr) >= 24 else None
    routed = None
    if rtype == 0:
        if segments_left > 0 and hlen >= 2:
            if hlen % 2 == 0:
                routed = addr
            else:
                weirds.append(Weird("odd_routing0_len", src=src, dst=dst))
        weirds.append(Weird("routing0_hdr", src=src, dst=dst))
    elif rtype == 2:
        if segments_left > 0:
            if hlen == 2:
                routed = addr
            else:
                weirds.append(Weird("bad_routing2_len", src=src, dst=dst))
    else:
        weirds.append(Weird("unknown_routing_type", str(rtype), src=src, dst=dst))
    return routed if routed is not None and len(routed) == 16 else None


def _destination_options(opts: bytes, src: bytes, dst: bytes,
                         weirds: list[Weird]) -> bytes | None:
    """Walk IPv6 destination options (RFC 8200 §4.6); return a Home Address option's
    address (RFC 6275 §6.3), which Zeek takes as the packet's true source."""
    home = None
    pos = 0
    while pos < len(opts):
        kind = opts[pos]
        if kind == 0:                                  # Pad1
            pos += 1
            continue
        if pos + 2 > len(opts) or pos + 2 + opts[pos + 1] > len(opts):
            weirds.append(Weird("bad_ipv6_dest_opt_len", src=src, dst=dst))
            return home
        length = opts[pos + 1]
        if kind == HOME_ADDRESS_OPTION:
            if length != 16:
                weirds.append(Weird("bad_home_addr_len", src=src, dst=dst))
            elif home is not None:
                weirds.append(Weird("multiple_home_addr_opts", src=home, dst=dst))
            else:
                home = opts[pos + 2:pos + 18]
        pos += 2 + length
    return home
