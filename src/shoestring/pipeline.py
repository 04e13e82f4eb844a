"""The one place that knows every stage: source → decode → flows → analyzers → logs.

``Pipeline.packet()`` is the per-packet path; everything it calls per packet is
measured by bench/. The pipeline also implements the two small interfaces the stages
talk through: flows' FlowEvents (payload, ends, weirds) and analyzers' ConnContext.
"""

from __future__ import annotations

import gc
import hashlib
from collections import Counter

from typing import Final, cast

from mypy_extensions import mypyc_attr

from .analyzers.base import Analyzer, AnalyzerSpec, ConnContext
from .analyzers.detect import Detector
from .decode.decoder import Decoder
from .decode.fields import u16, u32
from .decode.packet import FIN, TCP, UDP, Packet, Tunnel, Weird
from .flows.conn import Conn, addr_text
from .flows.ids import IdGenerator, community_id
from .flows.local_nets import LocalNets
from .flows.reassembly import StreamReassembler, StreamSink
from .capture.pcap import RecordSource
from .decode import checksum
from .decode.tunnels import UDP_TUNNELS
from .flows.table import ConnTable, FastPath, PayloadSink
from .logs.output import LogOutput

# flows/conn.py conn_key's protocol field for IPv4 keys, placed so that
# ``(KEY_x | lower side) << 48 | higher side`` is the whole key (a side is 48 bits).
KEY_TCP: Final = 6 << 48
KEY_UDP: Final = 17 << 48
# UDP ports the general path must see: tunnels to decapsulate.
NO_FAST_UDP_PORTS = frozenset(UDP_TUNNELS)
# conn.log's service for the UDP connection that carries a tunnel ("vxlan", ...).
TUNNEL_SERVICES = {kind: service for kind, service, _parse in UDP_TUNNELS.values()
                   if kind != "Tunnel::GRE"}

PEER = "zeek"
MAX_TALKERS = 1 << 16               # hosts counted for the summary (Stats.talk)
MAX_REMEMBERED_WEIRDS = 100_000     # flow weirds remembered for de-duplication
MAX_FAILURE_REASON = 512            # analyzer.log's reason: an analyzer's text, bounded               # weird.log's peer: Zeek's default peer description

# The garbage collector's young generation, in container objects allocated (net) before
# a collection; CPython's default is 700. The packet loop allocates short-lived tuples,
# dicts and slices by the million and keeps long-lived connection state: at 700 it
# collects every few hundred packets, walking and promoting the live connections'
# objects again and again: ~2.5% of an all-analyzers run (gc.callbacks timing on the
# first 300k packets of the bench file: 168 young, 15 middle and 1 full collection,
# 42 ms; with these thresholds 34 young and 3 middle ones, 21 ms). Cycles (a connection
# and its analyzers' contexts) are still freed, in larger batches.
GC_YOUNG_THRESHOLD = 20_000
GC_OLDER_THRESHOLDS = (20, 10)

# A signature match needs a few bytes; Zeek's PIA buffers the first 1 KiB per side.
DPD_BUFFER = 1024
# Datagrams of a UDP connection tried against signatures before giving up on it.
UDP_DPD_PACKETS = 4


def tune_gc() -> None:
    """Collector thresholds for a process about to run a long packet loop
    (GC_YOUNG_THRESHOLD says why)."""
    gc.set_threshold(GC_YOUNG_THRESHOLD, *GC_OLDER_THRESHOLDS)


class Stats:
    __slots__ = ("packets", "bytes", "first_ts", "last_ts", "talkers", "weirds")

    def __init__(self):
        self.packets = 0
        self.bytes = 0
        self.first_ts: float | None = None
        self.last_ts: float | None = None
        self.talkers: Counter = Counter()
        self.weirds = 0

    def talk(self, addr: bytes, nbytes: int) -> None:
        """Count a host's IP bytes for the summary's top talkers. Bounded: past
        MAX_TALKERS hosts the lighter half is let go (a scan's or the memory
        benchmark's hundreds of thousands of one-connection hosts are no top talkers,
        and cost ~100 MB)."""
        talkers = self.talkers
        talkers[addr] += nbytes
        if len(talkers) > MAX_TALKERS:
            self.talkers = Counter(dict(talkers.most_common(MAX_TALKERS // 2)))


@mypyc_attr(allow_interpreted_subclasses=True)    # the live sensor extends it
class Pipeline(PayloadSink, StreamSink):
    def __init__(self, output: LogOutput, *, ignore_checksums: bool = False,
                 analyzers: bool | set[str] = True, local_nets: LocalNets | None = None,
                 seed: int | bytes | None = None, options: dict | None = None):
        self.output = output
        self.ids = IdGenerator(seed)
        self.decoder = Decoder(ignore_checksums)
        enabled = None if analyzers is True else (set(analyzers) if analyzers else set())
        self.detector = Detector(enabled)
        self.analyze = analyzers is not False and bool(enabled is None or enabled)
        self.table = ConnTable(self.ids, self, self.detector.likely_server_ports(),
                               passive=not self.analyze)
        self.local_nets = local_nets if local_nets is not None else LocalNets()
        self.options = options or {}
        self.stats = Stats()
        self._tunnels: dict[tuple, str] = {}
        self._shared: dict[str, object] = {}
        self._pkts: list[Packet] = []
        self._weirds: list[Weird] = []
        self._seen_weirds: set[tuple] = set()
        self._wants = getattr(output, "wants", lambda log: True)
        self._want_weird = self._wants("weird")
        self._want_tunnel = self._wants("tunnel")

    # -- per packet ---------------------------------------------------------------------

    def run(self, source, progress=None, every: int = 1 << 16) -> None:
        """Feed a capture through: ``source`` is a CaptureReader, or any iterable of
        ``(ts, linktype, frame, wirelen)`` records.

        This loop is the sensor's hot path. It walks pcap-format records straight in
        the reader's buffer (no per-packet generator), cuts each frame out once, and
        handles plain Ethernet (or one VLAN tag) + IPv4 TCP/UDP packets of known
        connections in place, handing them to flows' FastPath. Everything else, and
        anything unusual, goes through the general decoder and table (``_track``).
        ``progress(count)`` is called about every ``every`` packets."""
        if not hasattr(source, "chunks"):
            source = RecordSource(source)
        stats = self.stats
        table = self.table
        fast = FastPath(table, self)
        fast_tcp, fast_udp, track = fast.tcp, fast.udp, self._track
        verify = not self.decoder.ignore_checksums
        valid, pseudo = checksum.valid, checksum.pseudo_header_sum
        no_fast_udp = NO_FAST_UDP_PORTS
        use_fast = True          # FastPath itself checks each connection (conn.fast)
        next_progress = every if progress is not None else -1
        next_tick = table._clock + 1
        # Typed, so the compiled loop builds keys with machine integers; the key is
        # conn_key's: (protocol << 48 | lower side) << 48 | higher side, where a side
        # is address << 16 | port.
        src: int
        dst: int
        sport: int
        dport: int
        lo: int
        hi: int
        src_first: bool         # the packet's source is the key's first side
        count = nbytes = 0
        first = ts = None
        chunks = source.chunks()
        try:
            buf, pos, linktype = next(chunks)
        except StopIteration:
            return
        record, divisor, limit = source.record, source.divisor, source.limit
        while True:
            end = len(buf)
            fast_link = use_fast and linktype == 1
            while pos + 16 <= end:
                sec, frac, caplen, wirelen = record(buf, pos)
                data = pos + 16
                stop = data + caplen
                if caplen > limit:
                    source.corrupt(pos, caplen)
                    break
                if stop > end:
                    break
                pos = stop
                ts = sec + frac / divisor
                count += 1
                nbytes += wirelen
                if count == next_progress:
                    progress(count)
                    next_progress += every
                if ts >= next_tick:
                    if first is None:
                        first = ts
                    table.expire(ts)
                    next_tick = table._clock + 1
                # The frame as its own bytes: the one copy per packet out of the
                # capture's buffer (a mapped file), after which the compiled loop reads
                # the headers byte by byte as machine integers, not through struct's
                # tuples of boxed ones.
                frame: bytes = buf[data:stop]
                if fast_link and caplen >= 42:
                    off = 14
                    etype = u16(frame, 12)
                    if etype == 0x8100:                    # one VLAN tag
                        etype = u16(frame, 16)
                        off = 18
                    vhl = frame[off]
                    ihl = (vhl & 0x0F) << 2
                    total = u16(frame, off + 2)
                    if etype == 0x0800 and vhl >> 4 == 4 and ihl >= 20 and \
                            total >= ihl + 8 and off + total <= caplen and \
                            not u16(frame, off + 6) & 0x3FFF and \
                            (not verify or valid(frame[off:off + ihl])):
                        proto = frame[off + 9]
                        src = u32(frame, off + 12)
                        dst = u32(frame, off + 16)
                        t = off + ihl
                        if proto == 6:
                            if total >= ihl + 20:
                                sport = u16(frame, t)
                                dport = u16(frame, t + 2)
                                hlen = (frame[t + 12] >> 4) << 2
                                length = total - ihl - hlen
                                lo = src << 16 | sport
                                hi = dst << 16 | dport
                                src_first = lo <= hi
                                if not src_first:
                                    lo, hi = hi, lo
                                if hlen >= 20 and length >= 0 and (not verify or valid(
                                        frame[t:off + total],
                                        pseudo(frame[off + 12:off + 16], frame[off + 16:off + 20],
                                               6, total - ihl))) and \
                                        fast_tcp((KEY_TCP | lo) << 48 | hi,
                                                 src_first, ts, total, u32(frame, t + 4),
                                                 u32(frame, t + 8), frame[t + 13],
                                                 u16(frame, t + 14), length, frame, t + hlen):
                                    continue
                        elif proto == 17:
                            sport = u16(frame, t)
                            dport = u16(frame, t + 2)
                            ulen = u16(frame, t + 4)
                            # Tunnel ports and datagrams that may be Teredo (an IPv6
                            # header, or Teredo's own headers) need decapsulation.
                            lo = src << 16 | sport
                            hi = dst << 16 | dport
                            src_first = lo <= hi
                            if not src_first:
                                lo, hi = hi, lo
                            if ulen == total - ihl and sport not in no_fast_udp and \
                                    dport not in no_fast_udp and \
                                    (ulen < 48 or frame[t + 8] >> 4 != 6) and \
                                    (ulen < 10 or frame[t + 8] or frame[t + 9] > 1) and \
                                    (not verify or not u16(frame, t + 6) or valid(
                                        frame[t:off + total],
                                        pseudo(frame[off + 12:off + 16], frame[off + 16:off + 20],
                                               17, ulen))) and \
                                    fast_udp((KEY_UDP | lo) << 48 | hi, src_first,
                                             ts, total, ulen - 8, frame, t + 8):
                                continue
                track(ts, linktype, frame)
            if getattr(source, "error", None):
                break
            try:
                buf, pos, linktype = chunks.send(pos)
            except StopIteration:
                break
        stats.packets += count
        stats.bytes += nbytes
        if count:
            if stats.first_ts is None:
                stats.first_ts = first if first is not None else ts
            stats.last_ts = ts

    def packet(self, ts: float, linktype: int, frame: bytes, wirelen: int) -> None:
        """One packet through the general path (the live sensor's entry point)."""
        stats = self.stats
        stats.packets += 1
        stats.bytes += wirelen
        if stats.first_ts is None:
            stats.first_ts = ts
        stats.last_ts = ts
        # Timers first, as run() and Zeek do: connections that timed out by this packet's
        # time end before it is decoded (which may discover a tunnel and draw its uid).
        if int(ts) > self.table._clock:
            self.table.expire(ts)
        self._track(ts, linktype, frame)

    def _track(self, ts: float, linktype: int, frame: bytes) -> None:
        pkts, weirds = self._pkts, self._weirds
        self.decoder.decode(ts, linktype, frame, pkts, weirds)
        if weirds:
            for w in weirds:
                self._decode_weird(w, ts)
            weirds.clear()
        table = self.table
        for pkt in pkts:
            parent = pkt.parent
            if parent is not None:
                if parent.declined:
                    continue                    # not a tunnel after all (see below)
                if parent.uid is None:
                    self._tunnel_seen(parent, ts)
            conn = table.packet(pkt)
            tunnel = pkt.tunnel
            if tunnel is not None and conn is not None:
                if tunnel.kind == "Tunnel::TEREDO" and conn.services and \
                        "teredo" not in conn.services:
                    # Zeek's yielding_teredo_decapsulation: a connection another
                    # analyzer already confirmed (a DNS reply that happens to look like
                    # IPv6) is not decapsulated as Teredo.
                    tunnel.declined = True
                    continue
                tunnel.uid = conn.uid
                self._udp_tunnel(tunnel, conn, ts)
        pkts.clear()

    # -- tunnels --------------------------------------------------------------------------

    def _tunnel_seen(self, tunnel: Tunnel, ts: float) -> None:
        """IP-level tunnels get a uid of their own, once per address pair; the tunnels
        around them are logged first, outermost first."""
        if tunnel.enclosing is not None and tunnel.enclosing.uid is None:
            self._tunnel_seen(tunnel.enclosing, ts)
        if tunnel.outer is not None:            # UDP-carried: uid is its connection's
            return
        a, b = tunnel.src, tunnel.dst
        key = (tunnel.kind, a, b) if a <= b else (tunnel.kind, b, a)
        uid = self._tunnels.get(key)
        if uid is None:
            uid = self._tunnels[key] = self.ids.new("C")
            self._tunnel_record(uid, tunnel, ts, "Tunnel::DISCOVER")
        tunnel.uid = uid

    def _udp_tunnel(self, tunnel: Tunnel, conn: Conn, ts: float) -> None:
        if conn.tunnel is None:
            conn.tunnel = tunnel
            service = TUNNEL_SERVICES.get(tunnel.kind)
            if service is not None:
                conn.add_service(service)
            self._tunnel_record(conn.uid, tunnel, ts, "Tunnel::DISCOVER", conn)

    def tunnel_from_analyzer(self, conn: Conn, kind: str, ts: float) -> None:
        """A tunnel an analyzer found inside a connection (HTTP CONNECT, SOCKS):
        Zeek logs it with the server's endpoint and no client port, once per
        (client, server, port) (Zeek's Tunnel::register)."""
        if not self._want_tunnel:
            return
        key = (kind, conn.orig_h, conn.resp_h, conn.resp_p)
        if key in self._tunnels:
            return
        self._tunnels[key] = conn.uid
        rec = conn.id_fields()
        rec.update({"uid": self.ids.new("C"), "id.orig_p": 0, "ts": ts,
                    "tunnel_type": kind, "action": "Tunnel::DISCOVER"})
        self.output.write("tunnel", rec)

    def _tunnel_record(self, uid: str, tunnel: Tunnel, ts: float, action: str,
                       conn: Conn | None = None) -> None:
        if not self._want_tunnel:
            return
        if conn is not None:
            rec = conn.id_fields()
        else:
            rec = {"uid": uid, "id.orig_h": addr_text(tunnel.src), "id.orig_p": 0,
                   "id.resp_h": addr_text(tunnel.dst), "id.resp_p": 0}
        rec["ts"] = ts
        rec["tunnel_type"] = tunnel.kind
        rec["action"] = action
        self.output.write("tunnel", rec)

    # -- FlowEvents ---------------------------------------------------------------------

    def payload(self, conn: Conn, is_orig: bool, pkt: Packet, seq: int) -> None:
        if conn.passive:
            return
        analyzers = conn.analyzers
        if analyzers is None:
            analyzers = conn.analyzers = self._attach_by_port(conn)
            if not analyzers and conn.proto == TCP:
                conn.dpd = [b"", b""]            # nothing by port: detect by content
        if pkt.proto == TCP:
            if seq < 0 or not pkt.payload:
                if pkt.flags & FIN and analyzers:
                    self._eof(conn, is_orig, pkt.ts)
                return
            data = pkt.payload
            if len(data) != pkt.payload_len:
                if len(data) < pkt.payload_len:
                    # Cut by the snap length or a lying header: like Zeek, deliver
                    # nothing; the hole becomes a content gap.
                    self.table.conn_weird(conn, "truncated_tcp_payload", pkt.ts)
                    return
                data = data[:pkt.payload_len]
            self.stream_segment(conn, is_orig, seq, data)
            if pkt.flags & FIN:
                self._eof(conn, is_orig, pkt.ts)
        elif pkt.proto == UDP:
            self.datagram(conn, is_orig, pkt.payload, pkt.ts)

    def stream_segment(self, conn: Conn, is_orig: bool, seq: int, data: bytes) -> None:
        """In-sequence or not, a TCP segment's payload goes to the reassembler (the
        general path and FastPath both end here)."""
        reassembler: StreamReassembler | None = conn.reassembler
        if reassembler is None:
            reassembler = conn.reassembler = StreamReassembler()
        reassembler.segment(self, conn, is_orig, seq, data)

    def datagram(self, conn: Conn, is_orig: bool, data: bytes, ts: float) -> None:
        """A UDP datagram to analyze (payload() has attached analyzers by port first;
        FastPath only brings connections that have been through it)."""
        analyzers = conn.analyzers
        assert analyzers is not None
        if not analyzers and data:
            self._attach_by_signature(conn, data, is_orig)
            analyzers = conn.analyzers
        assert analyzers is not None
        self._deliver(conn, analyzers, is_orig, data, ts)
        if (not analyzers and conn.orig_pkts + conn.resp_pkts >= UDP_DPD_PACKETS) or \
                (analyzers and not _wants_more(analyzers)):
            conn.passive = True                  # nothing more to analyze

    def stream_data(self, conn: Conn, is_orig: bool, data: bytes) -> None:
        ts = conn.last
        analyzers = conn.analyzers
        assert analyzers is not None
        dpd = conn.dpd
        self._deliver(conn, analyzers, is_orig, data, ts)
        if conn.dpd is not None:
            # A hand-off during this delivery restarted detection with the bytes past
            # the switch; this segment's bytes belong to the old protocol.
            if conn.dpd is dpd:
                self._detect_stream(conn, is_orig, data, ts)
        elif not _wants_more(analyzers):
            conn.passive = True                  # nobody needs more: fast path from here

    def _deliver(self, conn: Conn, analyzers: list[Analyzer], is_orig: bool, data: bytes,
                 ts: float) -> None:
        """Payload to each analyzer (typed, so the compiled call is a native one); one
        that raises is detached (see _run)."""
        if len(analyzers) == 1:                 # the common case: no copy of the list
            self._deliver_to(conn, analyzers[0], is_orig, data, ts)
        else:
            for analyzer in analyzers[:]:       # a copy: a failing one leaves the list
                self._deliver_to(conn, analyzer, is_orig, data, ts)

    def _deliver_to(self, conn: Conn, analyzer: Analyzer, is_orig: bool, data: bytes,
                    ts: float) -> None:
        try:
            analyzer.deliver(is_orig, data, ts)
        except Exception as exc:                                  # noqa: BLE001
            self._failed(conn, analyzer, exc)

    def _detect_stream(self, conn: Conn, is_orig: bool, data: bytes, ts: float) -> None:
        """Signature detection over the first bytes of each side, buffered across
        segments as Zeek's PIA does (a request typed one byte per packet still
        matches). On a match the new analyzers get the buffered bytes first."""
        buffers = conn.dpd
        assert buffers is not None
        side = 0 if is_orig else 1
        buffers[side] += data
        if len(buffers[side]) > DPD_BUFFER:
            # A side has sent more than the signatures look at: no known protocol.
            conn.dpd = None
            if not conn.analyzers:
                conn.passive = True
            return
        replay = buffers
        found = self._attach_by_signature(conn, buffers[side], is_orig)
        if not found and len(data) < len(buffers[side]):
            # A protocol may start mid-stream (TLS after a cleartext STARTTLS
            # exchange): the newest segment alone gets its own chance.
            found = self._attach_by_signature(conn, data, is_orig)
            replay = [data, b""] if is_orig else [b"", data]
        if not found:
            return
        conn.dpd = None
        for analyzer in found:
            for buffered_side, chunk in ((0, replay[0]), (1, replay[1])):
                if chunk:
                    self._run(conn, analyzer, "deliver", buffered_side == 0, chunk, ts)

    def _eof(self, conn: Conn, is_orig: bool, ts: float) -> None:
        """One side sent its FIN: analyzers that care (HTTP/0.9 bodies run until the
        close) hear of it through an optional ``eof(is_orig, ts)``."""
        for analyzer in list(conn.analyzers or ()):
            if hasattr(analyzer, "eof"):
                self._run(conn, analyzer, "eof", is_orig, ts)

    def stream_gap(self, conn: Conn, is_orig: bool, length: int) -> None:
        """The reassembler skipped a hole: analyzers hear of it. (missed_bytes and the
        G letter are the TCP endpoints' business, for analyzed and passive
        connections alike: flows/tcp.py track_ack.)"""
        for analyzer in list(conn.analyzers or ()):
            self._run(conn, analyzer, "gap", is_orig, length, conn.last)

    def conn_done(self, conn: Conn) -> None:
        reassembler: StreamReassembler | None = conn.reassembler
        if reassembler is not None:
            reassembler.finish(self, conn)
        for analyzer in list(conn.analyzers or ()):
            self._run(conn, analyzer, "finish", conn.last)
        if conn.tunnel is not None:
            self._tunnel_record(conn.uid, conn.tunnel, conn.last, "Tunnel::CLOSE", conn)
        orig_h, sport, resp_h, dport = conn.ends()
        cid = community_id(orig_h, resp_h, conn.proto, sport, dport, one_way=conn.one_way)
        self.output.write("conn", conn.record(self.local_nets, cid))
        self.stats.talk(orig_h, conn.orig_ip)
        self.stats.talk(resp_h, conn.resp_ip)

    def weird(self, name: str, conn: Conn | None, ts: float, addl: str = "",
              source: str | None = None) -> None:
        self.stats.weirds += 1
        if not self._want_weird:
            return
        rec = conn.id_fields() if conn is not None else {}
        rec.update({"ts": ts, "name": name, "addl": addl or None, "notice": False,
                    "peer": PEER, "source": source})
        self.output.write("weird", rec)

    def _decode_weird(self, w: Weird, ts: float) -> None:
        self.stats.weirds += 1
        if not self._want_weird:
            return
        # Like Zeek, an anomaly between the same two hosts is logged once: a flood of
        # broken packets must not become a flood of log lines.
        key = (w.name, w.src, w.dst)
        if key in self._seen_weirds:
            return
        if len(self._seen_weirds) >= MAX_REMEMBERED_WEIRDS:
            self._seen_weirds.clear()
        self._seen_weirds.add(key)
        rec = {"ts": ts, "name": w.name, "addl": w.addl or None, "notice": False,
               "peer": PEER, "source": w.source or None}
        if w.src is not None and w.dst is not None:
            rec.update({"id.orig_h": addr_text(w.src), "id.orig_p": 0,
                        "id.resp_h": addr_text(w.dst), "id.resp_p": 0})
        self.output.write("weird", rec)

    # -- analyzers --------------------------------------------------------------------------

    def _attach_by_port(self, conn: Conn) -> list[Analyzer]:
        if conn.proto not in (TCP, UDP):
            return []
        # A connection another one announced (FTP's data channels) gets the analyzer
        # that announcement asks for, and nothing else.
        for spec in self.detector.expecting:
            holder = spec.extra.get("expected_in")
            if holder is not None and not self._shared.get(holder):
                continue                # nothing announced: skip the per-connection hook
            analyzer = spec.extra["expected"](cast(ConnContext, _Context(self, conn, spec)),
                                              conn.start)
            if analyzer is not None:
                return [analyzer]
        specs = self.detector.by_port(conn.proto == TCP, conn.resp_p)
        return [self._create(conn, spec) for spec in specs]

    def _attach_by_signature(self, conn: Conn, data: bytes, is_orig: bool) -> list:
        """Analyzers whose signature matches ``data``, created and attached; returns
        only the new ones."""
        tried = conn.analyzers if conn.analyzers is not None else []
        exclude = {a.ctx.spec.name for a in tried} | (conn.rejected or frozenset())
        specs = self.detector.by_signature(conn.proto == TCP, data[:DPD_BUFFER], is_orig,
                                           exclude)
        found = [self._create(conn, spec) for spec in specs]
        tried.extend(found)
        conn.analyzers = tried
        return found

    def _create(self, conn: Conn, spec: AnalyzerSpec) -> Analyzer:
        ctx = _Context(self, conn, spec)
        analyzer = spec.factory(cast(ConnContext, ctx))
        timeout = spec.extra.get("udp_inactivity_timeout") if spec.extra else None
        if timeout and conn.proto == UDP:
            conn.timeout = timeout
        return analyzer

    def _run(self, conn: Conn, analyzer: Analyzer, method: str, *args) -> None:
        """Analyzers must not raise; if one does anyway, it is detached and the
        connection's other logs go on (a bug becomes a weird, not a lost log)."""
        try:
            getattr(analyzer, method)(*args)
        except Exception as exc:                                  # noqa: BLE001
            self._failed(conn, analyzer, exc)

    def _failed(self, conn: Conn, analyzer: Analyzer, exc: Exception) -> None:
        name = getattr(analyzer.ctx, "spec", None)
        self.weird("analyzer_error", conn, conn.last,
                   f"{getattr(name, 'name', '?')}: {type(exc).__name__}: {exc}"[:200])
        self._detach(conn, analyzer)

    def _detach(self, conn: Conn, analyzer: Analyzer) -> None:
        if conn.analyzers and analyzer in conn.analyzers:
            conn.analyzers.remove(analyzer)

    # -- the end --------------------------------------------------------------------------

    def finish(self) -> None:
        self.table.flush()
        self.output.flush()


def _wants_more(analyzers: list[Analyzer]) -> bool:
    """Whether any analyzer still wants payload (a loop, not any() over a generator:
    this runs after every delivery)."""
    for analyzer in analyzers:
        if analyzer.wants_more:
            return True
    return False


class _Context:
    """ConnContext for one analyzer on one connection (see analyzers/base.py)."""

    __slots__ = ("pipeline", "conn", "spec", "analyzer_name", "confirmed")

    def __init__(self, pipeline: Pipeline, conn: Conn, spec: AnalyzerSpec):
        self.pipeline, self.conn, self.spec = pipeline, conn, spec
        self.confirmed = False
        self.analyzer_name = spec.name.upper()

    @property
    def uid(self) -> str:
        return self.conn.uid

    @property
    def orig_h(self) -> str:
        return addr_text(self.conn.orig_h)

    @property
    def resp_h(self) -> str:
        return addr_text(self.conn.resp_h)

    @property
    def orig_p(self) -> int:
        return self.conn.orig_p

    @property
    def resp_p(self) -> int:
        return self.conn.resp_p

    @property
    def proto(self) -> str:
        return {6: "tcp", 17: "udp"}.get(self.conn.proto, "icmp")

    @property
    def local_orig(self) -> bool:
        return self.conn.orig_h in self.pipeline.local_nets

    @property
    def local_resp(self) -> bool:
        return self.conn.resp_h in self.pipeline.local_nets

    def id_fields(self) -> dict:
        return self.conn.id_fields()

    def emit(self, log: str, record: dict) -> None:
        self.pipeline.output.write(log, record)

    def weird(self, name: str, addl: str | None = None, ts: float | None = None,
              source: str | None = "") -> None:
        conn = self.conn
        self.pipeline.table.conn_weird(conn, name, conn.last if ts is None else ts,
                                       addl or "",
                                       self.analyzer_name if source == "" else source)

    def confirm(self, service: str | None = None) -> None:
        self.confirmed = True
        self.conn.add_service(service or self.spec.name)

    def violation(self, reason: str) -> None:
        conn = self.conn
        for analyzer in list(conn.analyzers or ()):
            if analyzer.ctx is self:
                self.pipeline._detach(conn, analyzer)
        # Zeek does not try a protocol again on a connection that violated it, and
        # marks the violation in conn.log's history with an X (once).
        conn.rejected = (conn.rejected or frozenset()) | {self.spec.name}
        if self.confirmed:
            if "X" not in conn.history:
                conn.append_history("X")
            # analyzer.log, as Zeek 7+ writes it: violations of confirmed analyzers.
            rec = conn.id_fields()
            rec.update({"ts": conn.last, "analyzer_kind": "protocol",
                        "analyzer_name": self.analyzer_name, "proto": self.proto,
                        "failure_reason": reason[:MAX_FAILURE_REASON]})
            self.pipeline.output.write("analyzer", rec)

    def new_id(self, prefix: str) -> str:
        return self.pipeline.ids.new(prefix)

    def handoff(self, tunnel_type: str | None = None, orig: bytes = b"",
                resp: bytes = b"") -> None:
        """The rest of this connection is another protocol (an HTTP CONNECT tunnel,
        SOCKS after its handshake): log the tunnel if named (Zeek's tunnel.log:
        ``Tunnel::HTTP``, ``Tunnel::SOCKS``), then detect what follows by content.
        ``orig``/``resp`` are bytes the caller already holds past the switch."""
        conn = self.conn
        if tunnel_type is not None:
            self.pipeline.tunnel_from_analyzer(conn, tunnel_type, conn.last)
        conn.dpd = [b"", b""]
        for is_orig, data in ((True, orig), (False, resp)):
            if data:
                self.pipeline._detect_stream(conn, is_orig, data, conn.last)

    def shared(self, key: str, factory):
        store = self.pipeline._shared
        if key not in store:
            store[key] = factory()
        return store[key]


def seed_from_files(paths: list[str]) -> bytes:
    """A seed for ids from the inputs' first bytes: the same capture gives the same ids,
    two captures imported into one store do not collide."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.encode())
        try:
            with open(path, "rb") as f:
                digest.update(f.read(1 << 16))
        except OSError:
            pass
    return digest.digest()
