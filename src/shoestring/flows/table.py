"""The connection table: finds each packet's connection, creates and flips them as
Zeek does, counts packets and bytes, keeps TCP state, expires idle connections on
packet time, and tells the pipeline (through FlowEvents) about payload and endings.

It never imports analyzers: payload leaves through the FlowEvents interface.
"""

from __future__ import annotations

import heapq
from typing import Protocol

from mypy_extensions import mypyc_attr, trait

from ..decode.packet import ACK, ICMP, ICMP6, SYN, TCP, UDP, Packet
from . import tcp
from .conn import Conn, conn_key

# Timeouts on packet time (Zeek's defaults), in seconds.
TCP_INACTIVITY = 300.0        # tcp_inactivity_timeout, once past the handshake
UDP_INACTIVITY = 60.0         # udp_inactivity_timeout (also TCP during the handshake)
ICMP_INACTIVITY = 60.0        # icmp_inactivity_timeout
OTHER_INACTIVITY = 60.0       # unknown IP protocols, as Zeek treats them
TCP_ATTEMPT = 5.0             # tcp_attempt_delay: an unanswered SYN is given up
TCP_CLOSE_DELAY = 5.0         # tcp_close_delay / tcp_reset_delay: linger after the end

# ICMP request/reply pairs (Zeek's ICMP4_counterpart / ICMP6_counterpart): both map to
# one connection; other types are one-way, keyed by type and code.
ICMP4_COUNTERPART = {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17}
ICMP6_COUNTERPART = {128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135,
                     130: 131, 131: 130, 139: 140, 140: 139, 144: 145, 145: 144}

HANDSHAKE_STATES = (tcp.INACTIVE, tcp.SYN_SENT, tcp.SYN_ACK_SENT)


class FlowEvents(Protocol):
    """What the table tells the pipeline."""

    def payload(self, conn: Conn, is_orig: bool, pkt: Packet, seq: int) -> None:
        """Payload to analyze; for TCP ``seq`` is its relative sequence number, or -1
        when TCP says it must not be delivered (RST data, misordered)."""
    def conn_done(self, conn: Conn) -> None: ...
    def weird(self, name: str, conn: Conn | None, ts: float, addl: str = "",
              source: str | None = None) -> None: ...


@trait
@mypyc_attr(allow_interpreted_subclasses=True)    # the live sensor's pipeline
class PayloadSink:
    """Where FastPath hands the payload of the packets it takes (the pipeline): a
    trait, so the compiled FastPath makes a native call per packet, not a Python one."""

    def stream_segment(self, conn: Conn, is_orig: bool, seq: int, data: bytes) -> None:
        """A TCP segment's payload at relative sequence number ``seq``."""
        raise NotImplementedError

    def datagram(self, conn: Conn, is_orig: bool, data: bytes, ts: float) -> None:
        """A UDP datagram's payload."""
        raise NotImplementedError


class ConnTable:
    def __init__(self, ids, events: FlowEvents, likely_server_ports: dict[int, frozenset],
                 passive: bool = False):
        self.ids = ids
        self.passive = passive                         # no analysis at all: conn-only
        self.events = events
        self.likely = likely_server_ports             # proto -> ports
        # One entry per connection under a key that is the same from both directions
        # (conn.conn_key); the key also tells which side a packet comes from.
        self.conns: dict[int, Conn] = {}
        self.open = 0
        self.total = 0
        self._wheel: dict[int, list[Conn]] = {}
        self._wheel_keys: list[int] = []
        self._clock = 0

    # -- the per-packet path ------------------------------------------------------------

    def packet(self, pkt: Packet) -> Conn | None:
        proto = pkt.proto
        one_way = False
        if proto == TCP or proto == UDP:
            key, first = conn_key(pkt.src, pkt.sport, pkt.dst, pkt.dport, proto, False)
        elif proto == ICMP or proto == ICMP6:
            counterpart = (ICMP4_COUNTERPART if proto == ICMP else ICMP6_COUNTERPART).get(
                pkt.icmp_type)
            pkt.sport = pkt.icmp_type
            # A message without a counterpart type is a one-way connection of its own,
            # keyed by type and code in its own direction.
            one_way = counterpart is None
            pkt.dport = pkt.icmp_code if counterpart is None else counterpart
            key, first = conn_key(pkt.src, pkt.sport, pkt.dst, pkt.dport, proto, one_way)
        else:
            key, first = conn_key(pkt.src, 0, pkt.dst, 0, proto, False)
        ts = pkt.ts
        if int(ts) > self._clock:
            self.expire(ts)
        conn = self.conns.get(key)
        if conn is None:
            conn = self._new(pkt, key, first, one_way)
        elif proto == TCP and pkt.flags & (SYN | ACK) == SYN and \
                self._is_reuse(conn, pkt, first == conn.orig_first):
            self._remove(conn)
            conn = self._new(pkt, key, first, one_way)
        is_orig = first == conn.orig_first

        parent = pkt.parent
        if parent is not None and parent.uid not in conn.parents:
            conn.parents = conn.parents + (parent.uid,)
        if pkt.broken is not None:
            self.conn_weird(conn, pkt.broken, ts)
            return conn
        if pkt.bad_checksum:
            if proto == TCP:
                ep = conn.orig_ep if is_orig else conn.resp_ep
                assert ep is not None
                tcp.scaled_history(conn, "C", ep)
                self.conn_weird(conn, "bad_TCP_checksum", ts)
            elif proto == UDP:
                mask = 0x80 if is_orig else 0x80 << 16
                if not conn.hist_seen & mask:
                    conn.hist_seen |= mask
                    conn.append_history("C" if is_orig else "c")
                self.conn_weird(conn, "bad_UDP_checksum", ts)
            else:
                self.conn_weird(conn, "bad_ICMP_checksum", ts)
            return conn

        if is_orig:
            conn.orig_pkts += 1
            conn.orig_ip += pkt.ip_len
        else:
            conn.resp_pkts += 1
            conn.resp_ip += pkt.ip_len

        if proto == TCP:
            o, r = conn.orig_ep, conn.resp_ep
            assert o is not None and r is not None
            if not (o.did_close and r.did_close):
                conn.last = ts
            seq = tcp.process(conn, self, pkt, is_orig)
            o, r = conn.orig_ep, conn.resp_ep       # a flip may have swapped them
            assert o is not None and r is not None
            # FastPath takes established connections whose analysis (if any) is set
            # up; it hands their payload back through the same delivery as here.
            conn.fast = (conn.passive or conn.analyzers is not None) and \
                o.state == tcp.ESTABLISHED and r.state == tcp.ESTABLISHED and \
                not (o.seq_wraps or o.ack_wraps or r.seq_wraps or r.ack_wraps)
            self.events.payload(conn, is_orig, pkt, seq)
        else:
            conn.last = ts
            if proto == UDP:
                mask = 0x10 if is_orig else 0x10 << 16
                if not conn.hist_seen & mask:
                    conn.hist_seen |= mask
                    conn.append_history("D" if is_orig else "d")
                if is_orig:
                    conn.orig_size += pkt.payload_len
                else:
                    conn.resp_size += pkt.payload_len
            elif proto == ICMP or proto == ICMP6:
                if is_orig:
                    conn.orig_size += pkt.payload_len
                else:
                    conn.resp_size += pkt.payload_len
            self.events.payload(conn, is_orig, pkt, 0)
            if proto == UDP:
                conn.fast = pkt.parent is None and (conn.passive or
                                                    conn.analyzers is not None)
        return conn

    # -- connections come and go ------------------------------------------------------

    def _new(self, pkt: Packet, key: int, first: bool, one_way: bool) -> Conn:
        proto = pkt.proto
        flip = False
        if proto == TCP:
            flags = pkt.flags
            if not flags & SYN or flags & ACK:       # a partial connection
                ports = self.likely.get(TCP, frozenset())
                if pkt.sport in ports:
                    if pkt.dport in ports:
                        flip = not flags & SYN and pkt.sport < pkt.dport
                    else:
                        flip = True
        elif proto == UDP:
            ports = self.likely.get(UDP, frozenset())
            flip = pkt.sport in ports and pkt.dport not in ports
        conn = Conn(self.ids, proto, key, first, pkt.ts)
        conn.passive = self.passive
        conn.one_way = one_way
        self.conns[key] = conn
        self.open += 1
        self.total += 1
        if flip:
            self.flip(conn)
        if proto == TCP and pkt.flags & (SYN | ACK) == SYN:
            conn.attempt = True
        self._schedule(conn, pkt.ts + (UDP_INACTIVITY if proto != TCP else TCP_ATTEMPT))
        return conn

    def flip(self, conn: Conn) -> None:
        """Swap originator and responder (Zeek's Connection::FlipRoles)."""
        conn.orig_first = not conn.orig_first
        conn.orig_pkts, conn.resp_pkts = conn.resp_pkts, conn.orig_pkts
        conn.orig_ip, conn.resp_ip = conn.resp_ip, conn.orig_ip
        conn.orig_size, conn.resp_size = conn.resp_size, conn.orig_size
        o, r = conn.orig_ep, conn.resp_ep
        if o is not None and r is not None:
            conn.orig_ep, conn.resp_ep = r, o
            r.is_orig, o.is_orig = True, False
        conn.append_history("^")

    def _is_reuse(self, conn: Conn, pkt: Packet, is_orig: bool) -> bool:
        """A fresh SYN on a connection that has ended starts a new one."""
        o, r = conn.orig_ep, conn.resp_ep
        assert o is not None and r is not None
        ended = o.state in (tcp.CLOSED, tcp.RESET) or r.state in (tcp.CLOSED, tcp.RESET)
        if not ended:
            return False
        ep = o if is_orig else r
        return pkt.seq != ep.start_seq

    def _remove(self, conn: Conn) -> None:
        if conn.done:
            return
        conn.done = True
        conns = self.conns
        key = conn.key
        if conns.get(key) is conn:
            del conns[key]
        self.open -= 1
        self.events.conn_done(conn)

    def conn_weird(self, conn: Conn, name: str, ts: float, addl: str = "",
                   source: str | None = None) -> None:
        """A weird about ``conn``, logged once per connection and name, as Zeek's
        default (Weird::ACTION_LOG_PER_CONN) does (analyzers' weirds come here too)."""
        if conn.weirds is None:
            conn.weirds = {name}
        elif name in conn.weirds:
            return
        else:
            conn.weirds.add(name)
        self.events.weird(name, conn, ts, addl, source)

    # -- time --------------------------------------------------------------------------

    def _deadline(self, conn: Conn) -> float:
        proto = conn.proto
        o, r = conn.orig_ep, conn.resp_ep
        if o is not None and r is not None:
            if (o.did_close and r.did_close) or o.state == tcp.RESET or r.state == tcp.RESET:
                return conn.last + TCP_CLOSE_DELAY
            if conn.attempt and r.state == tcp.INACTIVE and \
                    o.state in (tcp.SYN_SENT, tcp.SYN_ACK_SENT):
                return conn.start + TCP_ATTEMPT
            if o.state in HANDSHAKE_STATES and r.state in HANDSHAKE_STATES:
                return conn.last + UDP_INACTIVITY
            return conn.last + TCP_INACTIVITY
        if proto == UDP:
            return conn.last + (conn.timeout or UDP_INACTIVITY)
        if proto == ICMP or proto == ICMP6:
            return conn.last + ICMP_INACTIVITY
        return conn.last + OTHER_INACTIVITY

    def _schedule(self, conn: Conn, when: float) -> None:
        slot = int(when) + 1
        bucket = self._wheel.get(slot)
        if bucket is None:
            self._wheel[slot] = [conn]
            heapq.heappush(self._wheel_keys, slot)
        else:
            bucket.append(conn)

    def expire(self, now: float) -> None:
        """Remove connections whose timeout passed by packet time ``now``. Timers are
        lazy: a connection is rescheduled when its bucket comes up and it was active."""
        self._clock = int(now)
        keys = self._wheel_keys
        while keys and keys[0] <= now:
            slot = heapq.heappop(keys)
            for conn in self._wheel.pop(slot):
                if conn.done:
                    continue
                deadline = self._deadline(conn)
                if deadline <= now:
                    self._remove(conn)
                else:
                    self._schedule(conn, deadline)

    def flush(self) -> None:
        """End of input: every connection still open is logged (Zeek's termination),
        in the order they began. Each is let go as soon as it is logged (the timers go
        first, and the list drops its reference): the memory of the ones logged can
        take the records and uids of the ones that follow."""
        self._wheel.clear()
        self._wheel_keys.clear()
        pending: list[Conn | None] = list(self.conns.values())
        for i in range(len(pending)):
            conn = pending[i]
            pending[i] = None
            assert conn is not None
            self._remove(conn)
            del conn


class FastPath:
    """The two commonest packets, handled in one call each without building a Packet:
    a TCP segment (ACK, no SYN/FIN/RST) inside an established connection, and a UDP
    datagram of a known connection (``conn.fast``). Payload is cut out and handed to
    the pipeline's delivery only when someone still wants it (not ``conn.passive``).

    It does exactly what ConnTable.packet and tcp.process would do for such packets,
    and returns False whenever anything is unusual (sequence wrap, underflow, a new
    connection, analysis wanted) so the general path takes over. The equivalence is
    tested by running both paths over the same captures (tests/flows/test_fastpath.py).
    """

    __slots__ = ("conns", "sink")

    def __init__(self, table: ConnTable, sink: PayloadSink):
        self.conns = table.conns
        self.sink = sink

    def tcp(self, key: int, first: bool, ts: float, ip_len: int, seq: int, ack: int,
            flags: int, win: int, length: int, buf: bytes, start: int) -> bool:
        """``key``/``first`` as conn.conn_key gives them; ``buf[start:start + length]`` is
        the payload, cut only if someone wants it."""
        if flags & 0x17 != 0x10:
            return False
        conn = self.conns.get(key)
        if conn is None or not conn.fast:       # passive, established, no wrap so far
            return False
        is_orig = first == conn.orig_first
        if is_orig:
            ep, peer = conn.orig_ep, conn.resp_ep
        else:
            ep, peer = conn.resp_ep, conn.orig_ep
        assert ep is not None and peer is not None
        last = ep.last_seq
        if seq < last and not (seq - last) & 0x80000000:
            return False                        # sequence space wraps: general path
        if (seq - ep.start_seq) & 0x80000000:
            return False                        # underflow: general path names it
        peer_ack = peer.ack_seq
        delta_ack = (ack - peer_ack) & 0xFFFFFFFF
        if ack < peer_ack and delta_ack and not delta_ack & 0x80000000:
            return False                        # acknowledgment wraps
        if (ack - peer.start_seq) & 0x80000000:
            return False

        if is_orig:
            conn.orig_pkts += 1
            conn.orig_ip += ip_len
            mask = 0x10 if length else 0x20
        else:
            conn.resp_pkts += 1
            conn.resp_ip += ip_len
            mask = 0x100000 if length else 0x200000
        conn.last = ts
        if not conn.hist_seen & mask:
            conn.hist_seen |= mask
            letter = ("D" if length else "A") if is_orig else ("d" if length else "a")
            conn.append_history(letter)
        if win == 0:
            tcp.scaled_history(conn, "W", ep)
        if delta_ack and not delta_ack & 0x80000000 and \
                not (ack == 0 and delta_ack > tcp.TOO_LARGE_SEQ_DELTA):
            peer.ack_seq = ack
        after = (seq + length) & 0xFFFFFFFF
        delta_last = (after - last) & 0xFFFFFFFF
        if delta_last and not delta_last & 0x80000000:
            if after < last:
                ep.seq_wraps += 1
                conn.fast = False
            ep.last_seq = after
        elif length > 0:
            tcp.scaled_history(conn, "T", ep)
        rel_ack = (ack - peer.start_seq) & 0xFFFFFFFF
        if rel_ack > peer.rnext >= 0:
            tcp.track_ack(conn, peer, rel_ack)
        if length:
            rel = (seq - ep.start_seq) & 0xFFFFFFFF
            if rel == ep.rnext:
                ep.rnext = rel + length
            else:
                tcp.track_data(ep, rel, length)
            if not conn.passive:
                self.sink.stream_segment(conn, is_orig, rel, buf[start:start + length])
        return True

    def udp(self, key: int, first: bool, ts: float, ip_len: int, length: int, buf: bytes,
            start: int) -> bool:
        conn = self.conns.get(key)
        if conn is None or not conn.fast:
            return False
        is_orig = first == conn.orig_first
        if is_orig:
            conn.orig_pkts += 1
            conn.orig_ip += ip_len
            conn.orig_size += length
            mask = 0x10
        else:
            conn.resp_pkts += 1
            conn.resp_ip += ip_len
            conn.resp_size += length
            mask = 0x100000
        conn.last = ts
        if not conn.hist_seen & mask:
            conn.hist_seen |= mask
            conn.append_history("D" if is_orig else "d")
        if not conn.passive:
            self.sink.datagram(conn, is_orig, buf[start:start + length], ts)
        return True
