"""The decoded packet: what decode/ hands to the connection table.

One small object per transport-layer packet. ``src``/``dst`` stay raw address
bytes (4 or 16) until a log needs text, because formatting addresses per packet costs
more than everything else the table does.

Compiled (setup.py COMPILED): Packet, Tunnel and Weird are native classes, so the
compiled decoder, table and TCP state machine read and write their fields directly
instead of through attribute lookups; the constants are Final, so compiled importers
use them as C constants.
"""

from __future__ import annotations

from typing import Final

# IP protocol numbers (IANA).
ICMP: Final = 1
IGMP: Final = 2
IPIP: Final = 4
TCP: Final = 6
UDP: Final = 17
IPV6: Final = 41
GRE: Final = 47
ICMP6: Final = 58

# TCP flag bits (RFC 9293 §3.1).
FIN: Final = 0x01
SYN: Final = 0x02
RST: Final = 0x04
PSH: Final = 0x08
ACK: Final = 0x10
URG: Final = 0x20


class Packet:
    """One IP packet's transport view."""

    __slots__ = ("ts", "src", "dst", "proto", "sport", "dport", "ip_len", "payload",
                 "payload_len", "flags", "seq", "ack", "win", "tcp_opts", "bad_checksum",
                 "icmp_type", "icmp_code", "parent", "tunnel", "broken")

    def __init__(self, ts: float, src: bytes, dst: bytes, proto: int, ip_len: int):
        self.ts = ts
        self.src = src
        self.dst = dst
        self.proto = proto
        self.ip_len = ip_len            # IP total length (header + payload), Zeek's ip_bytes
        self.sport = 0
        self.dport = 0
        self.payload = b""              # transport payload as captured (may be cut short)
        self.payload_len = 0            # transport payload length the IP header claims
        self.flags = 0
        self.seq = 0
        self.ack = 0
        self.win = 0
        self.tcp_opts = b""
        self.bad_checksum = False
        self.icmp_type = -1
        self.icmp_code = -1
        self.parent: Tunnel | None = None   # the tunnel this packet arrived in
        self.tunnel: Tunnel | None = None   # set when this packet carries a tunnel
        self.broken: str | None = None  # a weird: the connection exists, the packet is dropped


class Tunnel:
    """A layer of encapsulation, as tunnel.log names it.

    For tunnels carried over UDP (VXLAN, GENEVE, Teredo, AYIYA, GTPv1) the outer UDP
    connection is a connection of its own and its uid is the tunnel's; for IP-level
    tunnels (IP-in-IP, GRE, ERSPAN) the tunnel is keyed by the outer addresses."""

    __slots__ = ("kind", "src", "dst", "sport", "dport", "outer", "uid", "enclosing",
                 "declined")

    def __init__(self, kind: str, src: bytes, dst: bytes, sport: int = 0, dport: int = 0,
                 outer: Packet | None = None):
        self.kind = kind                # "Tunnel::GRE", "Tunnel::VXLAN", ...
        self.src = src
        self.dst = dst
        self.sport = sport
        self.dport = dport
        self.outer = outer              # the outer UDP packet, for UDP-carried tunnels
        self.uid: str | None = None     # filled by the pipeline
        self.enclosing: Tunnel | None = None  # the tunnel this one runs inside
        self.declined = False           # the pipeline decided it is no tunnel after all


class Weird:
    """An anomaly found while decoding: Zeek's weird name, and the addresses if known."""

    __slots__ = ("name", "addl", "src", "dst", "source")

    def __init__(self, name: str, addl: str = "", src: bytes | None = None,
                 dst: bytes | None = None, source: str = ""):
        self.name = name
        self.addl = addl
        self.src = src
        self.dst = dst
        self.source = source
