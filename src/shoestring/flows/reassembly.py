"""TCP stream reassembly per direction: in-order delivery to analyzers, overlaps
resolved first-come (as Zeek's reassembler keeps the first copy), holes reported as
gaps (conn.log missed_bytes, history G/g), memory bounded per connection.
"""

from __future__ import annotations

from mypy_extensions import mypyc_attr, trait

from .conn import Conn

# Limits, each with its reason:
MAX_BUFFERED_PER_DIRECTION = 1 << 20   # out-of-order bytes held per side; past this the
                                       # hole is declared a gap (Zeek's reassembler also
                                       # gives up on holes it cannot expect to fill)
MAX_SEGMENTS_PER_DIRECTION = 4096      # out-of-order pieces per side: bounds dict growth


class Direction:
    __slots__ = ("next", "pending", "buffered")

    def __init__(self) -> None:
        self.next: int = -1            # relative seq of the next byte to deliver
        self.pending: dict[int, bytes] = {}
        self.buffered: int = 0


@trait
@mypyc_attr(allow_interpreted_subclasses=True)    # the live sensor's pipeline
class StreamSink:
    """Where reassembled bytes go (the pipeline). The reassembler is handed its sink
    and connection with each call rather than keeping them: no reference cycle per
    connection for the garbage collector, and a native call instead of a callback."""

    def stream_data(self, conn: Conn, is_orig: bool, data: bytes) -> None:
        raise NotImplementedError

    def stream_gap(self, conn: Conn, is_orig: bool, length: int) -> None:
        raise NotImplementedError


class StreamReassembler:
    """Both directions of one connection: bytes go to ``sink.stream_data`` in order,
    holes to ``sink.stream_gap``."""

    __slots__ = ("orig", "resp")

    def __init__(self) -> None:
        self.orig = Direction()
        self.resp = Direction()

    def segment(self, sink: StreamSink, conn: Conn, is_orig: bool, seq: int,
                data: bytes) -> None:
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
            sink.stream_data(conn, is_orig, data)
            d.next = end
            if d.pending:
                self._drain(sink, conn, is_orig, d)
            return
        if seq not in d.pending or len(d.pending[seq]) < len(data):
            d.buffered += len(data) - len(d.pending.get(seq, b""))
            d.pending[seq] = data
        if d.buffered > MAX_BUFFERED_PER_DIRECTION or len(d.pending) > MAX_SEGMENTS_PER_DIRECTION:
            self._skip_hole(sink, conn, is_orig, d)

    def _drain(self, sink: StreamSink, conn: Conn, is_orig: bool, d: Direction) -> None:
        pending = d.pending
        while pending:
            first = min(pending)
            if first > d.next:
                return
            data = pending.pop(first)
            d.buffered -= len(data)
            end = first + len(data)
            if end > d.next:
                sink.stream_data(conn, is_orig, data[d.next - first:])
                d.next = end

    def _skip_hole(self, sink: StreamSink, conn: Conn, is_orig: bool, d: Direction) -> None:
        first = min(d.pending)
        sink.stream_gap(conn, is_orig, first - d.next)
        d.next = first
        self._drain(sink, conn, is_orig, d)

    def finish(self, sink: StreamSink, conn: Conn) -> None:
        """End of connection: whatever waits behind a hole is delivered after a gap."""
        for is_orig, d in ((True, self.orig), (False, self.resp)):
            while d.pending:
                self._skip_hole(sink, conn, is_orig, d)
