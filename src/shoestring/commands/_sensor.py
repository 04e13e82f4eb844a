"""The live sensor's runtime: one capture process (a Sensor), its health logs
(stats.log, capture_loss.log), clock checks (ntp_check.log) and signals.

`shoestring run` (commands/run.py) builds one Sensor per worker. Time: the pipeline
and its logs run on packet time; the wall clock decides only when to measure (every
``stats_interval_s``), when to check the clock, and when idle connections expire
while the link is quiet.
"""

from __future__ import annotations

import os
import sys
import threading
import time

from ..capture.live import LiveCapture, LiveSource, process_rss_mb
from ..clock import check as clockcheck
from ..decode.packet import ICMP, ICMP6, TCP, UDP
from ..pipeline import Pipeline, tune_gc

STATS_INTERVAL_S = 300.0      # Zeek's Stats::report_interval and CaptureLoss::watch_interval
FLUSH_EVERY_S = 1.0           # open logs reach the disk (or the journal) this often
IDLE_EXPIRE_S = 1.0           # a quiet link: expire connections on the wall clock
NOTICE_ACTIONS = {"Notice::ACTION_LOG"}


def say(message: str) -> None:
    """One line to standard error (journald under systemd)."""
    print(f"shoestring: {message}", file=sys.stderr, flush=True)


def notice(output, ts: float, note: str, msg: str, peer: str) -> None:
    output.write("notice", {"ts": ts, "note": note, "msg": msg, "peer_descr": peer,
                            "actions": set(NOTICE_ACTIONS)})


class SensorPipeline(Pipeline):
    """The pipeline plus the counters capture_loss.log and stats.log need, taken as
    each connection ends (the hot path stays untouched):

    - gaps: content gaps (Zeek's gap events: data acknowledged but never seen), exactly:
      flows/tcp.py counts every hole per side for the scaled G/g history letters, and
      those counters are read here;
    - acks: packets of ended TCP connections (Zeek counts each ACK as it passes;
      counting per ended connection attributes a long connection's packets to the
      interval it ends in);
    - connections ended per protocol, for stats.log's *_conns."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.gap_events = 0
        self.ack_packets = 0
        self.ended = {TCP: 0, UDP: 0, ICMP: 0}

    def conn_done(self, conn):
        super().conn_done(conn)
        proto = ICMP if conn.proto == ICMP6 else conn.proto
        if proto in self.ended:
            self.ended[proto] += 1
        if conn.proto == TCP:
            self.ack_packets += conn.orig_pkts + conn.resp_pkts
            extra = conn.x                      # read without creating it
            counters = extra.scaled if extra is not None else None
            if counters:
                for letter in "Gg":
                    entry = counters.get(letter)
                    if entry is not None:
                        self.gap_events += entry[0]

    def active(self) -> dict[int, int]:
        counts = {TCP: 0, UDP: 0, ICMP: 0}
        seen = set()
        for conn in self.table.conns.values():
            if isinstance(conn, tuple):
                conn = conn[0]
            if id(conn) in seen:
                continue
            seen.add(id(conn))
            proto = ICMP if conn.proto == ICMP6 else conn.proto
            if proto in counts:
                counts[proto] += 1
        return counts


class ClockWatch:
    """SNTP checks in a background thread (a slow server must not stall capture):
    at start and every ``every_s``; results become ntp_check.log records, the store's
    clock_sync, and a notice when the clock is off or unchecked."""

    def __init__(self, servers, every_s: float = clockcheck.CHECK_EVERY_S,
                 port: int = 123, timeout: float = clockcheck.TIMEOUT_S):
        self.servers, self.every_s, self.port, self.timeout = list(servers), every_s, \
            port, timeout
        self.next_at = 0.0
        self.thread: threading.Thread | None = None
        self.result: clockcheck.ClockState | None = None
        self.last: clockcheck.ClockState | None = None

    def poll(self, output, peer: str) -> None:
        now = time.monotonic()
        if self.thread is None and now >= self.next_at and self.servers:
            self.next_at = now + self.every_s
            self.thread = threading.Thread(target=self._check, daemon=True,
                                           name="ntp-check")
            self.thread.start()
        if self.thread is not None and not self.thread.is_alive():
            self.thread = None
            state, self.result = self.result, None
            if state is not None:
                self.publish(state, output, peer)

    def _check(self) -> None:
        self.result = clockcheck.check(self.servers, port=self.port, timeout=self.timeout)

    def publish(self, state: clockcheck.ClockState, output, peer: str) -> None:
        self.last = state
        for rec in state.records():
            output.write("ntp_check", rec)
        if hasattr(output, "clock_sync"):
            output.clock_sync = state.summary()      # recorded with each sealed file
        warning = state.warning()
        if warning:
            say(f"warning: {warning}")
            note = "Shoestring::Clock_Unchecked" if state.best is None else \
                "Shoestring::Clock_Offset"
            notice(output, state.checked_at, note, warning, peer)


class Sensor:
    """One capture process: its sockets, a pipeline, an output, optional ring."""

    def __init__(self, captures: list[LiveCapture], output, *, peer: str = "zeek",
                 ignore_checksums: bool = False, stats_interval_s: float = STATS_INTERVAL_S,
                 ring=None, clock: ClockWatch | None = None, reload=None):
        self.captures, self.output, self.peer = captures, output, peer
        self.pipeline = SensorPipeline(output, ignore_checksums=ignore_checksums,
                                       seed=os.urandom(16))
        tune_gc()
        self.ring, self.clock, self.reload_hook = ring, clock, reload
        self.stats_interval_s = stats_interval_s
        self.stopping = False
        self.hup = False
        self.source = LiveSource(captures, on_tick=self.tick,
                                 should_stop=lambda: self.stopping,
                                 on_block=self.block, on_event=self.event)
        now = time.time()
        self.last_stats = now
        self.next_stats = now + stats_interval_s
        self.last_flush = time.monotonic()
        self.last_packet_wall = time.monotonic()
        self.last_packet_ts: float | None = None
        self._prev = {"packets": 0, "bytes": 0, "kpackets": 0, "kdrops": 0, "gaps": 0,
                      "acks": 0, "active": {TCP: 0, UDP: 0, ICMP: 0},
                      "ended": {TCP: 0, UDP: 0, ICMP: 0}}
        self._csum_warned = False

    # -- the loop ---------------------------------------------------------------------
    def run(self) -> None:
        try:
            while not self.stopping:
                self.pipeline.run(self.source)
        finally:
            # Even after a crash the connections in memory are logged: evidence first.
            self.finish()

    def finish(self) -> None:
        self.measure(time.time())
        self.pipeline.finish()
        if self.ring is not None:
            self.ring.close()
        for cap in self.captures:
            cap.close()

    def block(self, cap, buf, count, nbytes, last_ts=None) -> None:
        self.last_packet_wall = time.monotonic()
        if last_ts is not None:
            self.last_packet_ts = last_ts
        if self.ring is not None:
            self.ring.write(cap.linktype, buf, count, last_ts)

    def event(self, kind: str, cap, message: str) -> None:
        say(message)
        notes = {"down": "Capture::Interface_Down", "up": "Capture::Interface_Up",
                 "reopened": "Capture::Interface_Up", "retry": "Capture::Interface_Retry"}
        notice(self.output, time.time(), notes.get(kind, "Capture::Interface"), message,
               self.peer)

    def tick(self, now: float) -> None:
        if self.hup:
            self.hup = False
            if self.reload_hook is not None:
                self.reload_hook(self)
        mono = time.monotonic()
        if mono - self.last_packet_wall >= IDLE_EXPIRE_S and \
                now > self.pipeline.table._clock + 1:
            self.pipeline.table.expire(now)
        if now >= self.next_stats:
            self.measure(now)
        if self.clock is not None:
            self.clock.poll(self.output, self.peer)
        if not self._csum_warned and any(c.csum_unready for c in self.captures) and \
                not self.pipeline.decoder.ignore_checksums:
            self._csum_warned = True
            names = ", ".join(c.iface for c in self.captures if c.csum_unready)
            say(f"warning: {names}: packets with unfinished checksums (checksum "
                "offload): run with -C or turn offload off (ethtool -K IFACE rx off tx off)")
        if mono - self.last_flush >= FLUSH_EVERY_S:
            self.last_flush = mono
            self.output.flush()

    # -- health -------------------------------------------------------------------------
    def measure(self, now: float) -> None:
        """stats.log and capture_loss.log for the interval that ends now."""
        prev, pipe, src = self._prev, self.pipeline, self.source
        kpackets = kdrops = 0
        for cap in self.captures:
            p, d = cap.statistics()
            kpackets += p
            kdrops += d
        active = pipe.active()
        ended = dict(pipe.ended)
        seen = {p: ended[p] - prev["ended"][p] + active[p] - prev["active"][p]
                for p in active}
        lag = None
        if self.last_packet_ts is not None:
            lag = max(0.0, now - self.last_packet_ts)
        self.output.write("stats", {
            "ts": now, "peer": self.peer, "mem": process_rss_mb(),
            "pkts_proc": src.packets - prev["packets"],
            "bytes_recv": src.bytes - prev["bytes"],
            "pkts_dropped": kdrops - prev["kdrops"],
            "pkts_link": kpackets - prev["kpackets"],
            "pkt_lag": lag,
            "active_tcp_conns": active[TCP], "active_udp_conns": active[UDP],
            "active_icmp_conns": active[ICMP],
            "tcp_conns": seen[TCP], "udp_conns": seen[UDP], "icmp_conns": seen[ICMP]})
        gaps = pipe.gap_events - prev["gaps"]
        acks = pipe.ack_packets - prev["acks"]
        self.output.write("capture_loss", {
            "ts": now, "ts_delta": now - self.last_stats, "peer": self.peer,
            "gaps": gaps, "acks": acks,
            "percent_lost": 100.0 * gaps / acks if acks else 0.0})
        self._prev = {"packets": src.packets, "bytes": src.bytes, "kpackets": kpackets,
                      "kdrops": kdrops, "gaps": pipe.gap_events, "acks": pipe.ack_packets,
                      "active": active, "ended": ended}
        self.last_stats = now
        self.next_stats = now + self.stats_interval_s
        self.output.flush()
