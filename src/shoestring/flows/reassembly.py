"""TCP stream reassembly per direction: in-order delivery to analyzers, overlaps
resolved first-come (as Zeek's reassembler keeps the first copy), holes reported as
gaps (conn.log missed_bytes, history G/g), memory bounded per connection.
"""

from __future__ import annotations

# Limits, each with its reason:
MAX_BUFFERED_PER_DIRECTION = 1 << 20   # out-of-order bytes held per side; past this the
                                       # hole is declared a gap (Zeek's reassembler also
                                       # gives up on holes it cannot expect to fill)
MAX_SEGMENTS_PER_DIRECTION = 4096      # out-of-order pieces per side: bounds dict growth


class Direction:
    __slots__ = ("next", "pending", "buffered")

    def __init__(self):
        self.next = -1                 # relative seq of the next byte to deliver
        self.pending: dict[int, bytes] = {}
        self.buffered = 0


class StreamReassembler:
    """Both directions of one connection. ``sink(is_orig, data)`` receives bytes in
    order; ``gap(is_orig, length)`` receives holes."""

    __slots__ = ("orig", "resp", "sink", "gap")

    def __init__(self, sink, gap):
        self.orig = Direction()
        self.resp = Direction()
        self.sink = sink
        self.gap = gap

    def segment(self, is_orig: bool, seq: int, data: bytes) -> None:
        d = self.orig if is_orig else self.resp
        if d.next < 0:
            d.next = seq
        end = seq + len(data)
        if end <= d.next:
            return                                  # all seen before (retransmission)
        if seq < d.next:                            # partly old: keep the new tail
            data = data[d.next - seq:]
            seq = d.next
        if seq == d.next:
            self.sink(is_orig, data)
            d.next = end
            if d.pending:
                self._drain(is_orig, d)
            return
        if seq not in d.pending or len(d.pending[seq]) < len(data):
            d.buffered += len(data) - len(d.pending.get(seq, b""))
            d.pending[seq] = data
        if d.buffered > MAX_BUFFERED_PER_DIRECTION or len(d.pending) > MAX_SEGMENTS_PER_DIRECTION:
            self._skip_hole(is_orig, d)

    def ack(self, is_orig: bool, rel_ack: int) -> None:
        """The peer acknowledged up to ``rel_ack``: bytes before it that we never saw
        are a gap (this is how Zeek finds content gaps)."""
        d = self.orig if is_orig else self.resp
        if d.next < 0 or rel_ack <= d.next:
            return
        while d.next < rel_ack:
            if d.pending:
                first = min(d.pending)
                if first <= d.next:
                    self._drain(is_orig, d)
                    continue
                hole_end = min(first, rel_ack)
            else:
                hole_end = rel_ack
            self.gap(is_orig, hole_end - d.next)
            d.next = hole_end
            if d.pending:
                self._drain(is_orig, d)

    def _drain(self, is_orig: bool, d: Direction) -> None:
        pending = d.pending
        while pending:
            first = min(pending)
            if first > d.next:
                return
            data = pending.pop(first)
            d.buffered -= len(data)
            end = first + len(data)
            if end > d.next:
                self.sink(is_orig, data[d.next - first:])
                d.next = end

    def _skip_hole(self, is_orig: bool, d: Direction) -> None:
        first = min(d.pending)
        self.gap(is_orig, first - d.next)
        d.next = first
        self._drain(is_orig, d)

    def finish(self) -> None:
        """End of connection: whatever waits behind a hole is delivered after a gap."""
        for is_orig, d in ((True, self.orig), (False, self.resp)):
            while d.pending:
                self._skip_hole(is_orig, d)
