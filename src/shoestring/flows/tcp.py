"""TCP endpoint state and history, with Zeek's semantics (TCPSessionAdapter and
TCP_Endpoint): endpoint states, relative sequence numbers with wrap-around, sizes
from sequence numbers, history letters and their repeat rules, and the weirds Zeek
raises on the way.

The theory, in short: each side is an Endpoint whose state moves INACTIVE → SYN_SENT /
SYN_ACK_SENT → ESTABLISHED (or PARTIAL when we joined mid-stream) → CLOSED / RESET.
conn_state in conn.log is a function of the two states at the end (conn.py).
Sizes come from the highest sequence number sent or acknowledged, so a capture that
dropped packets still reports what was transferred.
"""

from __future__ import annotations

from mypy_extensions import u8

from ..decode.packet import ACK, FIN, RST, SYN, URG

INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED, RESET = range(7)

# Zeek's history bits (Connection::CheckHistory): one letter per kind per side,
# repeated only when the sequence number moved.
HIST_SYN, HIST_FIN, HIST_RST, HIST_FIN_RST = 0x1, 0x2, 0x4, 0x8
HIST_DATA, HIST_ACK, HIST_MULTI_FLAG, HIST_CORRUPT = 0x10, 0x20, 0x40, 0x80
RESP_SHIFT = 16

# Larger jumps than this in a SYN's or RST's sequence number are not trusted (Zeek).
TOO_LARGE_SEQ_DELTA = 1048576
SEQ_SPACE = 1 << 32


def seq_delta(a: int, b: int) -> int:
    """a - b in 32-bit sequence space, as a signed number."""
    d = (a - b) & 0xFFFFFFFF
    return d - SEQ_SPACE if d & 0x80000000 else d


class Endpoint:
    """One side of a TCP connection. Two per open TCP connection, so it is kept small:
    the states are bytes and sit with the flags in one word of the compiled object."""

    __slots__ = ("state", "prev_state", "did_close", "is_orig", "fin_seen", "start_seq",
                 "last_seq", "ack_seq", "seq_wraps", "ack_wraps", "hist_last_syn",
                 "hist_last_fin", "hist_last_rst", "rnext", "ranges")

    def __init__(self, is_orig: bool):
        self.state: u8 = INACTIVE
        self.prev_state: u8 = INACTIVE
        self.did_close = False
        self.is_orig = is_orig
        self.fin_seen = False           # a FIN was sent (Zeek counts them; only "any" matters)
        self.start_seq = self.last_seq = self.ack_seq = 0
        self.seq_wraps = self.ack_wraps = 0
        self.hist_last_syn = self.hist_last_fin = self.hist_last_rst = 0
        # Content tracking for gaps, kept without the bytes so every connection (not
        # only analyzed ones) reports missed_bytes as Zeek does: the next relative
        # sequence number expected in order (-1: not known yet), and the ranges that
        # arrived beyond a hole.
        self.rnext = -1
        self.ranges: list[tuple[int, int]] | None = None

    def set_state(self, new: int) -> None:
        if new != self.state:
            self.prev_state = self.state
            self.state = new

    def init_seqs(self, start: int, last: int) -> None:
        self.start_seq = start
        self.ack_seq = start
        self.last_seq = last
        self.seq_wraps = self.ack_wraps = 0

    def update_last_seq(self, seq: int) -> None:
        if seq < self.last_seq and seq_delta(seq, self.last_seq) > 0:
            self.seq_wraps += 1
        self.last_seq = seq

    def update_ack_seq(self, seq: int) -> None:
        if seq < self.ack_seq and seq_delta(seq, self.ack_seq) > 0:
            self.ack_wraps += 1
        self.ack_seq = seq

    def relative(self, cur: int, last: int, wraps: int) -> tuple[int, bool]:
        """(sequence number relative to the start, underflow) as Zeek's
        get_relative_seq computes it."""
        delta = seq_delta(cur, last)
        if delta < 0:
            if wraps and cur > last:
                wraps -= 1
        elif delta > 0:
            if cur < last:
                wraps += 1
        if wraps == 0:
            rel = seq_delta(cur, self.start_seq)
            return rel, rel < 0
        return (wraps << 32) + cur - self.start_seq, False

    def size(self, peer: "Endpoint") -> int:
        """Payload bytes this side sent, from sequence numbers (TCP_Endpoint::Size)."""
        if self.prev_state == SYN_SENT and self.state == RESET and \
                peer.state == INACTIVE and self.ack_seq != self.start_seq:
            return 0            # a half-open connection discovered and aborted
        last64 = (self.seq_wraps << 32) + self.last_seq
        ack64 = (self.ack_wraps << 32) + self.ack_seq
        size = (last64 if last64 > ack64 else ack64) - self.start_seq
        if size != 0:
            size -= 1           # the SYN's sequence number
        if self.fin_seen and size != 0:
            size -= 1           # the FIN's
        return max(size, 0)


def scaled_history(conn, code: str, ep: Endpoint) -> None:
    """Zeek's ScaledHistoryEntry: the letter is added at the 1st, 10th, 100th, ...
    occurrence, so a storm of retransmissions shows as TTT, not thousands of T's.
    The counters live with the connection's rarely used state (most never need one)."""
    letter = code if ep.is_orig else code.lower()
    counters = conn.scaled
    entry = counters.get(letter)
    if entry is None:
        entry = counters[letter] = [0, 1]            # count, next threshold
    entry[0] += 1
    if entry[0] == entry[1]:
        conn.append_history(letter)
        entry[1] *= 10


def check_history(conn, ep: Endpoint, mask: int, code: str) -> bool:
    """Add ``code`` the first time; True when this kind was seen before (Zeek's
    Connection::CheckHistory)."""
    if not ep.is_orig:
        mask <<= RESP_SHIFT
        code = code.lower()
    if conn.hist_seen & mask:
        return True
    conn.hist_seen |= mask
    conn.append_history(code)
    return False


# Out-of-order ranges remembered per side; a side that scatters more is gapped at once.
MAX_RANGES = 64


def track_data(ep: Endpoint, rel: int, length: int) -> None:
    """Payload at relative sequence ``rel`` arrived (not necessarily in order)."""
    nxt = ep.rnext
    end = rel + length
    if nxt < 0:
        ep.rnext = end
        return
    if rel <= nxt:
        if end > nxt:
            ep.rnext = end
            if ep.ranges:
                _absorb(ep)
        return
    ranges = ep.ranges
    if ranges is None:
        ranges = ep.ranges = []
    if len(ranges) < MAX_RANGES:
        ranges.append((rel, end))


def _absorb(ep: Endpoint) -> None:
    ranges = ep.ranges
    assert ranges is not None
    moved = True
    while moved and ranges:
        moved = False
        for item in ranges[:]:
            start, end = item
            if start <= ep.rnext:
                ranges.remove(item)
                if end > ep.rnext:
                    ep.rnext = end
                moved = True


def track_ack(conn, ep: Endpoint, rel_ack: int) -> None:
    """The peer acknowledged ``ep``'s data up to ``rel_ack``: acknowledged bytes never
    seen are a content gap (Zeek's TCP_Reassembler::AckReceived): missed_bytes grows and
    history gets G/g (1st, 10th, 100th, ...)."""
    if ep.fin_seen and rel_ack > ep.hist_last_fin:
        rel_ack = ep.hist_last_fin          # the FIN's own sequence number is no data
    nxt = ep.rnext
    if nxt < 0 or rel_ack <= nxt:
        return
    while ep.rnext < rel_ack:
        ranges = ep.ranges
        if ranges:
            _absorb(ep)
            if ep.rnext >= rel_ack:
                break
            later = [start for start, _ in ranges if start > ep.rnext]
            hole_end = min(min(later), rel_ack) if later else rel_ack
        else:
            hole_end = rel_ack
        conn.missed += hole_end - ep.rnext
        scaled_history(conn, "G", ep)
        ep.rnext = hole_end


def add_history(conn, ep: Endpoint, code: str) -> None:
    conn.append_history(code if ep.is_orig else code.lower())


def process(conn, table, pkt, is_orig: bool) -> int:
    """Update TCP state for one packet (TCPSessionAdapter::Process). Returns the
    payload's relative sequence number when it should go on to the reassembler,
    else -1."""
    ep = conn.orig_ep if is_orig else conn.resp_ep
    peer = conn.resp_ep if is_orig else conn.orig_ep
    flags = pkt.flags
    syn, fin, rst, ack = flags & SYN, flags & FIN, flags & RST, flags & ACK
    base_seq, ack_seq, length = pkt.seq, pkt.ack, pkt.payload_len

    seg_len = length + (1 if syn else 0) + (1 if fin else 0)
    if rst:
        seg_len -= length
    seq_after = (base_seq + seg_len) & 0xFFFFFFFF

    # init_endpoint
    state = ep.state
    if state == INACTIVE:
        if syn:
            ep.init_seqs(base_seq, seq_after)
            ep.rnext = 1                    # the first data byte follows the SYN
        else:
            ep.init_seqs((base_seq - 1) & 0xFFFFFFFF, base_seq)
    elif state in (SYN_SENT, SYN_ACK_SENT):
        if syn and base_seq != ep.start_seq:
            table.conn_weird(conn, "SYN_seq_jump", pkt.ts)
            ep.init_seqs(base_seq, seq_after)
    elif state in (ESTABLISHED, PARTIAL):
        if syn:
            if ep.size(peer) > 0:
                table.conn_weird(conn, "SYN_inside_connection", pkt.ts)
            if base_seq != ep.start_seq:
                table.conn_weird(conn, "SYN_seq_jump", pkt.ts)
            ep.init_seqs(base_seq, seq_after)
    elif state == RESET:
        if syn and ep.prev_state == INACTIVE:
            ep.init_seqs(base_seq, seq_after)

    rel_seq, underflow = ep.relative(base_seq, ep.last_seq, ep.seq_wraps)
    if underflow and not rst:
        table.conn_weird(conn, "TCP_seq_underflow_or_misorder", pkt.ts)

    # update_history
    bits = (1 if syn else 0) + (1 if fin else 0) + (1 if rst else 0)
    if bits > 1:
        if fin and rst:
            check_history(conn, ep, HIST_FIN_RST, "I")
        else:
            check_history(conn, ep, HIST_MULTI_FLAG, "Q")
    elif bits == 1:
        if syn:
            code = "H" if ack else "S"
            if check_history(conn, ep, HIST_SYN, code) and rel_seq != ep.hist_last_syn:
                add_history(conn, ep, code)
            ep.hist_last_syn = rel_seq
        if fin:
            if check_history(conn, ep, HIST_FIN, "F") and \
                    rel_seq + length != ep.hist_last_fin:
                add_history(conn, ep, "F")
            ep.hist_last_fin = rel_seq + length
        if rst:
            if check_history(conn, ep, HIST_RST, "R") and rel_seq != ep.hist_last_rst:
                add_history(conn, ep, "R")
            ep.hist_last_rst = rel_seq
    else:
        if length:
            check_history(conn, ep, HIST_DATA, "D")
        elif ack:
            check_history(conn, ep, HIST_ACK, "A")

    # update_window: only zero windows matter for conn.log (history W).
    if pkt.win == 0 and not rst and not syn and peer.state != CLOSED and ep.state != RESET:
        scaled_history(conn, "W", ep)

    if syn:
        if rst:
            table.conn_weird(conn, "TCP_christmas", pkt.ts)
        if flags & URG:
            table.conn_weird(conn, "baroque_SYN", pkt.ts)
        if length > 0:
            table.conn_weird(conn, "SYN_with_data", pkt.ts)
    if fin:
        ep.fin_seen = True

    if ack:
        if peer.state == INACTIVE:
            if not syn and not fin and not rst and \
                    ep.state in (SYN_SENT, SYN_ACK_SENT, ESTABLISHED):
                table.conn_weird(conn, "possible_split_routing", pkt.ts)
            start = (ack_seq - 1) & 0xFFFFFFFF
            peer.init_seqs(start, start)
        else:
            rel_ack, ack_underflow = peer.relative(ack_seq, peer.ack_seq, peer.ack_wraps)
            if ack_underflow:
                table.conn_weird(conn, "TCP_ack_underflow_or_misorder", pkt.ts)
            elif not rst:
                delta_ack = seq_delta(ack_seq, peer.ack_seq)
                if not (ack_seq == 0 and delta_ack > TOO_LARGE_SEQ_DELTA) and delta_ack > 0:
                    peer.update_ack_seq(ack_seq)
                # Acks in a FIN are not trusted for gaps (Zeek: they are unreliable
                # at the very end of a connection).
                if not fin and rel_ack > peer.rnext >= 0:
                    track_ack(conn, peer, rel_ack)

    # update_last_seq
    delta_last = seq_delta(seq_after, ep.last_seq)
    if (syn or rst) and (delta_last > TOO_LARGE_SEQ_DELTA or
                         delta_last < -TOO_LARGE_SEQ_DELTA):
        pass
    elif fin and ep.last_seq == (ep.start_seq + 1) & 0xFFFFFFFF:
        ep.update_last_seq(seq_after)
    elif ep.state == RESET:
        pass
    elif delta_last > 0:
        ep.update_last_seq(seq_after)
    elif delta_last <= 0 and length > 0:
        scaled_history(conn, "T", ep)

    do_close = _update_state(conn, table, ep, peer, pkt, is_orig, base_seq, ack_seq,
                             length, delta_last)
    if do_close:
        _connection_closed(ep, peer)
    if length > 0 and not rst and not underflow:
        data_seq = rel_seq + 1 if syn else rel_seq
        if data_seq == ep.rnext:
            ep.rnext = data_seq + length
        else:
            track_data(ep, data_seq, length)
        return data_seq
    return -1


def _update_state(conn, table, ep, peer, pkt, is_orig, base_seq, ack_seq, length,
                  delta_last) -> bool:
    flags = pkt.flags
    syn, fin, rst, ack = flags & SYN, flags & FIN, flags & RST, flags & ACK
    weird = table.conn_weird
    ts = pkt.ts
    do_close = False
    state = ep.state
    if state == INACTIVE:
        if syn:
            if is_orig:
                if ack:
                    weird(conn, "connection_originator_SYN_ack", ts)
                    ep.set_state(SYN_ACK_SENT)
                else:
                    ep.set_state(SYN_SENT)
            else:
                if ack:
                    if peer.state not in (INACTIVE, PARTIAL) and \
                            not _seq_between(ack_seq, peer.start_seq, peer.last_seq):
                        weird(conn, "bad_SYN_ack", ts)
                elif peer.state == SYN_ACK_SENT and base_seq == ep.start_seq:
                    # A SYN / SYN-ACK reversal: flip and establish (Zeek's IsReuse note).
                    table.flip(conn)       # roles swap; ep and peer stay who they are
                    peer.set_state(ESTABLISHED)
                else:
                    weird(conn, "simultaneous_open", ts)
                if peer.state == SYN_SENT:
                    peer.set_state(ESTABLISHED)
                elif peer.state == INACTIVE:
                    weird(conn, "unsolicited_SYN_response", ts)
                ep.set_state(ESTABLISHED)
        if fin:
            ep.set_state(CLOSED)
            do_close = True
            if peer.state != PARTIAL and not syn:
                weird(conn, "spontaneous_FIN", ts)
        if rst:
            ep.set_state(RESET)
            is_reject = (peer.state == ESTABLISHED) if is_orig else \
                peer.state in (SYN_SENT, SYN_ACK_SENT)
            do_close = True
            if not is_reject and peer.state == INACTIVE:
                weird(conn, "spontaneous_RST", ts)
        if ep.state == INACTIVE:
            if not is_orig and length == 0 and conn.orig_ep.state == SYN_SENT:
                pass            # an ACK of the SYN before the SYN-ACK: not partial
            elif ack and peer.state == ESTABLISHED:
                ep.set_state(ESTABLISHED)
            else:
                ep.set_state(PARTIAL)
    elif state in (SYN_SENT, SYN_ACK_SENT):
        if syn:
            if is_orig:
                if ack and not fin and not rst and state != SYN_ACK_SENT:
                    weird(conn, "repeated_SYN_with_ack", ts)
            elif not ack and state != SYN_SENT:
                weird(conn, "repeated_SYN_reply_wo_ack", ts)
        if fin:
            if peer.state in (INACTIVE, SYN_SENT):
                weird(conn, "inappropriate_FIN", ts)
            ep.set_state(CLOSED)
            do_close = True
        if rst:
            ep.set_state(RESET)
            do_close = True
        elif length > 0:
            weird(conn, "data_before_established", ts)
    elif state in (ESTABLISHED, PARTIAL):
        if syn and state == PARTIAL and peer.state == INACTIVE and not ack:
            weird(conn, "SYN_after_partial", ts)
            ep.set_state(SYN_SENT)
        if fin and not rst:
            ep.set_state(CLOSED)
            if peer.state == RESET and peer.prev_state == CLOSED:
                peer.set_state(CLOSED)
            do_close = True
        if rst:
            ep.set_state(RESET)
            do_close = True
    elif state == CLOSED:
        if syn:
            weird(conn, "SYN_after_close", ts)
        if fin and delta_last > 0:
            weird(conn, "FIN_advanced_last_seq", ts)
        if rst and peer.state != CLOSED:
            ep.set_state(RESET)
            if not ep.did_close:
                do_close = True
    elif state == RESET:
        if syn:
            weird(conn, "SYN_after_reset", ts)
        if fin:
            weird(conn, "FIN_after_reset", ts)
        if length > 0 and not rst:
            weird(conn, "data_after_reset", ts)
    return do_close


def _connection_closed(ep: Endpoint, peer: Endpoint) -> None:
    if not ep.did_close:
        ep.did_close = True


def _seq_between(seq: int, low: int, high: int) -> bool:
    return seq_delta(seq, low) >= 0 and seq_delta(seq, high) <= 0


def conn_state(orig: Endpoint, resp: Endpoint, history: str) -> str:
    """conn.log's conn_state from the two endpoint states (Zeek's conn/main.zeek)."""
    os_, rs = orig.state, resp.state
    o_inactive = os_ in (INACTIVE, PARTIAL)
    r_inactive = rs in (INACTIVE, PARTIAL)
    if rs == RESET:
        if os_ in (SYN_SENT, SYN_ACK_SENT) or \
                (os_ == RESET and orig.size(resp) == 0 and resp.size(orig) == 0):
            return "REJ"
        return "RSTRH" if o_inactive else "RSTR"
    if os_ == RESET:
        return "RSTOS0" if r_inactive else "RSTO"
    if rs == CLOSED and os_ == CLOSED:
        return "SF"
    if os_ == CLOSED:
        return "SH" if r_inactive else "S2"
    if rs == CLOSED:
        return "SHR" if o_inactive else "S3"
    if os_ == SYN_SENT and rs == INACTIVE:
        return "S0"
    if os_ == ESTABLISHED and rs == ESTABLISHED:
        return "S1"
    return "OTH"
