"""A TCP connection as a list of (ts, frame): handshake, data, teardown with true seq/ack.

The capture point is taken to be near the client (an office span port): the client's packets
and the server's answers are RTT/2 apart on each side of the wire, data segments are spaced by
the path's rate, and the receiver ACKs every second full segment as delayed ACK does.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from . import frames as F


class Endpoint(NamedTuple):
    """One side of a conversation: MAC as seen on the wire, packed IP, port."""

    mac: bytes
    ip: bytes
    port: int


def endpoint(ip, port: int = 0, mac=None) -> Endpoint:
    """An Endpoint from text or packed values; without a MAC, one is derived from the IP
    (locally administered, so it never collides with a real vendor's)."""
    packed = F.ip_bytes(ip)
    if mac is None:
        mac = b"\x02" + (packed[-4:] if len(packed) >= 4 else packed).rjust(4, b"\x00") + b"\x01"
    return Endpoint(F.mac_bytes(mac), packed, port)


class Wire:
    """Builds frames between two endpoints with fixed link details (VLAN, TTLs, IP ids)."""

    __slots__ = ("a", "b", "vlan", "ttl_a", "ttl_b", "ident_a", "ident_b", "v6", "eth_ab", "eth_ba")

    def __init__(self, rng: random.Random, a: Endpoint, b: Endpoint, vlan=None,
                 ttl_a: int = 64, ttl_b: int = 52):
        self.a, self.b, self.vlan = a, b, vlan
        self.ttl_a, self.ttl_b = ttl_a, ttl_b
        self.ident_a, self.ident_b = rng.getrandbits(16), rng.getrandbits(16)
        self.v6 = len(a.ip) == 16

    def ip(self, from_a: bool, proto: int, l4: bytes, **kw) -> bytes:
        """Ethernet + IP frame carrying l4 in the given direction."""
        src, dst = (self.a, self.b) if from_a else (self.b, self.a)
        if self.v6:
            pkt = F.ipv6(src.ip, dst.ip, proto, l4, hop_limit=self.ttl_a if from_a else self.ttl_b, **kw)
        else:
            if from_a:
                self.ident_a = (self.ident_a + 1) & 0xFFFF
                ident, ttl = self.ident_a, self.ttl_a
            else:
                self.ident_b = (self.ident_b + 1) & 0xFFFF
                ident, ttl = self.ident_b, self.ttl_b
            pkt = F.ipv4(src.ip, dst.ip, proto, l4, ttl=ttl, ident=ident, **kw)
        return F.ether_ip(src.mac, dst.mac, pkt, self.vlan)

    def udp(self, from_a: bool, payload: bytes, **kw) -> bytes:
        src, dst = (self.a, self.b) if from_a else (self.b, self.a)
        return self.ip(from_a, F.PROTO_UDP, F.udp(src.ip, dst.ip, src.port, dst.port, payload, **kw))


SYN_OPTS = F.tcp_options(mss=1460, sack_ok=True, wscale=7)
SYNACK_OPTS = F.tcp_options(mss=1460, sack_ok=True, wscale=8)


class TcpConv:
    """Accumulates one TCP connection's packets; call methods in wire order, read .out."""

    def __init__(self, rng: random.Random, client: Endpoint, server: Endpoint, t0: float,
                 rtt: float = 0.02, rate: float = 12.5e6, mss: int = 1460, vlan=None):
        self.rng, self.t, self.rtt, self.mss = rng, t0, rtt, mss
        self.gap = mss / rate  # seconds to put one full segment on the path
        self.wire = Wire(rng, client, server, vlan)
        self.cseq, self.sseq = rng.getrandbits(32), rng.getrandbits(32)
        self.out: list[tuple[float, bytes]] = []

    def pkt(self, from_client: bool, flags: int, payload: bytes = b"", options: bytes = b"",
            ts: float | None = None, **kw) -> None:
        """One segment with the connection's current seq/ack; advances the sender's seq."""
        w = self.wire
        src, dst = (w.a, w.b) if from_client else (w.b, w.a)
        seq, ack = (self.cseq, self.sseq) if from_client else (self.sseq, self.cseq)
        seg = F.tcp(src.ip, dst.ip, src.port, dst.port, seq, ack if flags & F.ACK else 0, flags,
                    payload, options=options, window=502 if flags & F.ACK else 64240, **kw)
        self.out.append((self.t if ts is None else ts, w.ip(from_client, F.PROTO_TCP, seg)))
        step = len(payload) + (1 if flags & (F.SYN | F.FIN) else 0)
        if from_client:
            self.cseq = (self.cseq + step) & 0xFFFFFFFF
        else:
            self.sseq = (self.sseq + step) & 0xFFFFFFFF

    def handshake(self) -> "TcpConv":
        self.pkt(True, F.SYN, options=SYN_OPTS)
        self.t += self.rtt
        self.pkt(False, F.SYN | F.ACK, options=SYNACK_OPTS)
        self.t += 0.0002
        self.pkt(True, F.ACK)
        return self

    def send(self, from_client: bool, data: bytes, think: float = 0.0) -> "TcpConv":
        """Send data segmented at the MSS; the peer ACKs every second segment and the last."""
        self.t += think + (self.rtt if not from_client else 0.0005)
        mss, n = self.mss, len(data)
        for i, off in enumerate(range(0, n, mss)):
            last = off + mss >= n
            self.pkt(from_client, F.ACK | (F.PSH if last else 0), data[off:off + mss])
            if i % 2 == 1 or last:
                self.pkt(not from_client, F.ACK, ts=self.t + (0.00005 if not from_client else self.rtt))
            self.t += self.gap
        return self

    def fin(self, client_first: bool = True) -> "TcpConv":
        """Orderly close: FIN, FIN-ACK, last ACK."""
        self.t += 0.001
        self.pkt(client_first, F.FIN | F.ACK)
        self.t += self.rtt / 2
        self.pkt(not client_first, F.FIN | F.ACK)
        self.t += self.rtt / 2
        self.pkt(client_first, F.ACK)
        return self

    def half_close(self, from_client: bool = True) -> "TcpConv":
        """One side's FIN, ACKed, and the other never closes (Zeek's S2/S3)."""
        self.t += 0.001
        self.pkt(from_client, F.FIN | F.ACK)
        self.t += self.rtt / 2
        self.pkt(not from_client, F.ACK)
        return self

    def reset(self, from_client: bool = True) -> "TcpConv":
        """Abort with RST (Zeek's RSTO when the client sends it, RSTR from the server)."""
        self.t += 0.001
        self.pkt(from_client, F.RST | F.ACK)
        return self

    def sorted(self) -> list[tuple[float, bytes]]:
        self.out.sort(key=lambda p: p[0])
        return self.out


def tcp_rejected(rng, client: Endpoint, server: Endpoint, t0: float, rtt: float = 0.02) -> list:
    """SYN answered by RST-ACK (Zeek's REJ)."""
    c = TcpConv(rng, client, server, t0, rtt)
    c.pkt(True, F.SYN, options=SYN_OPTS)
    c.t += rtt
    c.sseq = 0  # a stack answering a closed port sends seq 0, ack = ISN+1 (RFC 9293 3.10.7.1)
    c.pkt(False, F.RST | F.ACK)
    return c.out


def tcp_no_answer(rng, client: Endpoint, server: Endpoint, t0: float, retries: int = 2) -> list:
    """SYN retransmitted with backoff and never answered (Zeek's S0)."""
    c = TcpConv(rng, client, server, t0)
    seq = c.cseq
    for i in range(retries + 1):
        c.cseq = seq
        c.pkt(True, F.SYN, options=SYN_OPTS)
        c.t += 1.0 * (2 ** i)
    return c.out
