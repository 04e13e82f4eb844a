"""Live capture: AF_PACKET sockets with a TPACKET_V3 memory-mapped ring (Linux).

Why TPACKET_V3 by hand rather than libpcap through a Python binding: libpcap on Linux
uses this very ring, but every binding on PyPI (pcapy-ng, pypcap, python-libpcap)
hands Python one packet per call, each a new bytes object plus a header object,
through a C callback. Here the kernel fills whole blocks (1 MiB by default) and
retires them to us; one Python pass per block repacks its packets as pcap records in
one buffer, which Pipeline.run walks with the same hot loop it uses for files, and the
same buffer is appended as is to the full-packet ring (capture/ring.py). No
dependency, no compiler, and fanout, statistics and filters are plain setsockopt
calls. Measured (``bench/live_loss.py --capture-cost``, bench/RESULTS.md): 1.0 µs of
CPU per packet from the kernel to a pipeline-ready buffer here, 1.4 µs through
pcapy-ng 2.1 with the same repacking. libpcap is still used, only for what it is best at: compiling filter
expressions (capture/bpf.py).

Kernel facts this relies on (linux/if_packet.h, net/packet/af_packet.c):
- a socket created with protocol 0 receives nothing until bound, so the filter is
  attached before any packet can slip past it;
- an interface going down sets ENETDOWN on the socket and unhooks it; coming back up
  hooks it again, so the same socket survives down/up; an interface deleted and
  created again has a new ifindex and needs a new socket (``reopen``);
- PACKET_FANOUT_HASH spreads packets by the symmetric flow hash, so both directions
  of a connection reach the same member; FLAG_DEFRAG keeps fragments together;
- PACKET_STATISTICS returns and resets counters; tp_packets includes tp_drops.
"""

from __future__ import annotations

import errno
import mmap
import os
import select
import socket
import struct
import time

from .bpf import Program
from .errors import NotACapture

SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_MR_PROMISC = 1
PACKET_RX_RING = 5
PACKET_STATISTICS = 6
PACKET_VERSION = 10
PACKET_FANOUT = 18
TPACKET_V3 = 2
PACKET_FANOUT_HASH = 0
PACKET_FANOUT_FLAG_DEFRAG = 0x8000
SO_ATTACH_FILTER = 26
ETH_P_ALL = 0x0003

TP_STATUS_KERNEL = 0
TP_STATUS_USER = 1
TP_STATUS_COPY = 1 << 1           # frame truncated to the block: caplen < wirelen
TP_STATUS_CSUMNOTREADY = 1 << 3   # checksum offload: the checksum field is unfinished
TP_STATUS_VLAN_VALID = 1 << 4
TP_STATUS_VLAN_TPID_VALID = 1 << 6

# ARPHRD_* (linux/if_arp.h) → pcap link type.
ARPHRD_LINKTYPE = {1: 1, 772: 1, 65534: 101, 0xFFFE: 101, 512: 9, 776: 101, 778: 101}

# Ring geometry. 1 MiB blocks amortise the per-block Python work; 64 of them (64 MiB
# per socket) absorb a few hundred ms of a saturated 1 Gb/s link while Python catches up.
BLOCK_SIZE = 1 << 20
BLOCK_COUNT = 64
FRAME_SIZE = 1 << 11              # only used to compute tp_frame_nr for V3
# A block is handed over after this many ms even if not full, so a quiet link's
# packets reach the logs within a fraction of a second.
BLOCK_TIMEOUT_MS = 100

TPACKET_REQ3 = struct.Struct("=7I")
# struct tpacket_block_desc: version, offset_to_priv, then tpacket_hdr_v1's
# block_status, num_pkts, offset_to_first_pkt.
BLOCK_HEAD = struct.Struct("=IIIII")
# struct tpacket3_hdr: next_offset, sec, nsec, snaplen, len, status, mac, net,
# then hv1: rxhash, vlan_tci, vlan_tpid.
TP3_HDR = struct.Struct("=IIIIIIHHIIH")
STATS_V3 = struct.Struct("=III")  # tp_packets, tp_drops, tp_freeze_q_cnt
PCAP_REC = struct.Struct("<IIII")  # the pcap record header the pipeline reads (ns)
VLAN_TAG = struct.Struct("!HH")
BLOCK_STATUS_OFFSET = 8


def linktype_of(iface: str) -> int:
    """The pcap link type of ``iface`` from its ARPHRD type in sysfs."""
    try:
        with open(f"/sys/class/net/{iface}/type", encoding="ascii") as f:
            arphrd = int(f.read().strip())
    except (OSError, ValueError):
        return 1
    linktype = ARPHRD_LINKTYPE.get(arphrd)
    if linktype is None:
        raise NotACapture(f"{iface}: link type ARPHRD {arphrd} is not supported "
                          "(Ethernet, loopback and raw-IP interfaces are)")
    return linktype


def interface_up(iface: str) -> bool | None:
    """IFF_UP of ``iface`` (None when sysfs cannot tell, e.g. it is gone)."""
    try:
        with open(f"/sys/class/net/{iface}/flags", encoding="ascii") as f:
            return bool(int(f.read().strip(), 16) & 1)
    except (OSError, ValueError):
        return None


class LiveCapture:
    """One interface through one AF_PACKET socket and its ring."""

    def __init__(self, iface: str, *, program: Program | None = None,
                 fanout: int | None = None, block_size: int = BLOCK_SIZE,
                 block_count: int = BLOCK_COUNT, promisc: bool = True):
        self.iface = iface
        self.program = program
        self.fanout = fanout
        self.block_size, self.block_count = block_size, block_count
        self.promisc = promisc
        self.sock: socket.socket | None = None
        self.ring: mmap.mmap | None = None
        self.linktype = 1
        self.ifindex: int | None = None
        self.block = 0
        self.down = False
        # Cumulative kernel counters (PACKET_STATISTICS resets on each read).
        self.kernel_packets = 0
        self.kernel_drops = 0
        self.csum_unready = 0

    def open(self) -> None:
        try:
            self.ifindex = socket.if_nametoindex(self.iface)
        except OSError:
            raise NotACapture(f"{self.iface}: no such interface "
                              "(see `ip link` for the names)") from None
        self.linktype = linktype_of(self.iface)
        kind = socket.SOCK_RAW if self.linktype != 101 else socket.SOCK_DGRAM
        try:
            sock = socket.socket(socket.AF_PACKET, kind, 0)
        except PermissionError:
            raise NotACapture("capturing needs CAP_NET_RAW: run as root or give the "
                              "program the capability (see deploy/shoestring.service)"
                              ) from None
        try:
            sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V3)
            if self.program is not None:
                attach_filter(sock, self.program)
            frames = self.block_size * self.block_count // FRAME_SIZE
            sock.setsockopt(SOL_PACKET, PACKET_RX_RING, TPACKET_REQ3.pack(
                self.block_size, self.block_count, FRAME_SIZE, frames,
                BLOCK_TIMEOUT_MS, 0, 0))
            self.ring = mmap.mmap(sock.fileno(), self.block_size * self.block_count,
                                  mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
            sock.bind((self.iface, ETH_P_ALL))
            if self.fanout is not None:
                sock.setsockopt(SOL_PACKET, PACKET_FANOUT, struct.pack("=I", (
                    self.fanout & 0xFFFF) | (
                    (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16)))
            if self.promisc:
                sock.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, struct.pack(
                    "=iHH8s", self.ifindex, PACKET_MR_PROMISC, 0, b""))
        except OSError as exc:
            sock.close()
            if self.ring is not None:
                self.ring.close()
                self.ring = None
            raise NotACapture(f"{self.iface}: cannot capture: {exc.strerror}") from None
        self.sock = sock
        self.block = 0
        self.down = False

    def fileno(self) -> int:
        return self.sock.fileno()

    def set_filter(self, program: Program | None) -> None:
        """Swap the filter on the open socket (SIGHUP); None passes everything."""
        self.program = program
        if self.sock is not None:
            attach_filter(self.sock, program or ACCEPT_ALL)

    def pending_error(self) -> int:
        """The socket's pending error (read and cleared), e.g. ENETDOWN."""
        return self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)

    def gone(self) -> bool:
        """True when the interface was deleted or replaced: the socket is dead."""
        try:
            return socket.if_nametoindex(self.iface) != self.ifindex
        except OSError:
            return True

    def read_block(self) -> tuple[bytes, int, int, float | None] | None:
        """The next block the kernel retired, repacked as pcap records (nanosecond
        stamps), with its packet and byte counts and its last packet's time; None when
        none is ready. The block
        goes back to the kernel before returning, so one copy per frame is made."""
        ring, size = self.ring, self.block_size
        base = self.block * size
        _ver, _priv, status, count, first = BLOCK_HEAD.unpack_from(ring, base)
        if not status & TP_STATUS_USER:
            return None
        parts = []
        append = parts.append
        head, pack = TP3_HDR.unpack_from, PCAP_REC.pack
        off = base + first
        limit = base + size
        nbytes = 0
        last = None
        for _ in range(count):                # count comes from the kernel, bounded
            if off + TP3_HDR.size > limit:
                break
            nxt, sec, nsec, snap, wire, st, mac, _net, _hash, tci, tpid = head(ring, off)
            start = off + mac
            frame = ring[start:start + snap] if start + snap <= limit else b""
            if st & TP_STATUS_VLAN_VALID and len(frame) >= 12:
                # The kernel strips the 802.1Q tag into metadata; the decoder expects it
                # in the frame, as libpcap puts it back.
                tag = VLAN_TAG.pack(tpid if st & TP_STATUS_VLAN_TPID_VALID else 0x8100,
                                    tci)
                frame = frame[:12] + tag + frame[12:]
                wire += 4
            if st & TP_STATUS_CSUMNOTREADY:
                self.csum_unready += 1
            append(pack(sec, nsec, len(frame), wire))
            append(frame)
            nbytes += wire
            last = (sec, nsec)
            if not nxt:
                break
            off += nxt
        struct.pack_into("=I", ring, base + BLOCK_STATUS_OFFSET, TP_STATUS_KERNEL)
        self.block = (self.block + 1) % self.block_count
        last_ts = last[0] + last[1] / 1e9 if last else None
        return b"".join(parts), len(parts) // 2, nbytes, last_ts

    def statistics(self) -> tuple[int, int]:
        """Cumulative (packets seen by the kernel, packets it dropped) since open."""
        if self.sock is not None:
            try:
                packets, drops, _freeze = STATS_V3.unpack(
                    self.sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, STATS_V3.size))
            except OSError:
                packets = drops = 0
            self.kernel_packets += packets
            self.kernel_drops += drops
        return self.kernel_packets, self.kernel_drops

    def close(self) -> None:
        if self.sock is not None:
            self.statistics()
            self.sock.close()
            self.sock = None
        if self.ring is not None:
            self.ring.close()
            self.ring = None

    def reopen(self) -> None:
        """A new socket for an interface that was replaced (keeps the counters)."""
        self.close()
        self.open()


def attach_filter(sock: socket.socket, program: Program) -> None:
    import ctypes
    code = program.packed()
    buf = ctypes.create_string_buffer(code, len(code))
    fprog = struct.pack("@HP", len(program.insns), ctypes.addressof(buf))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)


# "ret #262144": what SIGHUP installs when the filter is removed from the config.
ACCEPT_ALL = Program("", ((0x06, 0, 0, 262144),))


class LiveSource:
    """Capture sockets as a source for Pipeline.run (the chunk protocol of
    capture/pcap.py): yields each retired block as a buffer of pcap records.

    Between blocks, and at least every ``tick_s`` when the link is quiet, it calls
    ``on_tick(now)`` (stats, timers, signals); when ``should_stop()`` turns true the
    source ends and Pipeline.run returns. ``on_block(capture, buf, n, nbytes, last_ts)`` sees
    each block first (the full-packet ring, counters). ``on_event(kind, capture, msg)``
    hears of interfaces going down, coming back, being reopened."""

    record = PCAP_REC.unpack_from
    divisor = 1e9
    limit = 1 << 31

    def __init__(self, captures: list[LiveCapture], *, on_tick, should_stop,
                 on_block=None, on_event=None, tick_s: float = 0.25):
        self.captures = captures
        self.on_tick, self.should_stop = on_tick, should_stop
        self.on_block = on_block or (lambda *a: None)
        self.on_event = on_event or (lambda *a: None)
        self.tick_s = tick_s
        self.error = None
        self.packets = 0
        self.bytes = 0
        self._retry: dict[str, tuple[float, float]] = {}     # iface → (next try, delay)

    def corrupt(self, pos: int, caplen: int) -> None:
        self.error = f"record of {caplen} bytes in a live block; block skipped"

    def chunks(self):
        poller = select.poll()
        by_fd = {}
        for cap in self.captures:
            if cap.sock is not None:
                poller.register(cap.fileno(), select.POLLIN | select.POLLERR)
                by_fd[cap.fileno()] = cap
        next_tick = time.monotonic()
        while True:
            stopping = self.should_stop()
            if stopping:
                # The block being filled is handed over within BLOCK_TIMEOUT_MS.
                time.sleep(BLOCK_TIMEOUT_MS / 1000 + 0.05)
            for cap in self.captures:
                if cap.sock is None:
                    continue
                # Drain what is ready before polling again; a bounded number of blocks
                # per round keeps ticks (and signals) timely under full load. On
                # SIGTERM the blocks already captured are still processed (one ring's
                # worth at most): packets the kernel handed over are not thrown away.
                for _ in range(cap.block_count):
                    got = cap.read_block()
                    if got is None:
                        break
                    buf, count, nbytes, last_ts = got
                    if cap.down:
                        cap.down = False
                        self.on_event("up", cap, f"{cap.iface} is back up")
                    self.packets += count
                    self.bytes += nbytes
                    self.on_block(cap, buf, count, nbytes, last_ts)
                    if count:
                        yield buf, 0, cap.linktype
            if stopping:
                return
            now = time.monotonic()
            if now >= next_tick:
                self._watch(poller, by_fd)
                self.on_tick(time.time())
                next_tick = now + self.tick_s
            try:
                events = poller.poll(int(self.tick_s * 1000))
            except InterruptedError:
                events = []
            for fd, ev in events:
                cap = by_fd.get(fd)
                if cap is not None and ev & select.POLLERR:
                    err = cap.pending_error()
                    if err == errno.ENETDOWN and not cap.down:
                        cap.down = True
                        self.on_event("down", cap, f"{cap.iface} went down")

    def _watch(self, poller, by_fd) -> None:
        """Interfaces that vanished or were replaced are reopened with backoff."""
        now = time.monotonic()
        for cap in self.captures:
            if cap.sock is not None and not cap.gone():
                if cap.down and interface_up(cap.iface):
                    cap.down = False
                    self.on_event("up", cap, f"{cap.iface} is back up")
                continue
            next_try, delay = self._retry.get(cap.iface, (0.0, 1.0))
            if now < next_try:
                continue
            if cap.sock is not None:
                by_fd.pop(cap.fileno(), None)
                poller.unregister(cap.fileno())
                cap.close()
                self.on_event("down", cap, f"{cap.iface} disappeared")
            try:
                cap.open()
            except Exception as exc:                               # noqa: BLE001
                self._retry[cap.iface] = (now + delay, min(delay * 2, MAX_BACKOFF_S))
                self.on_event("retry", cap, f"{exc}; next try in {delay:.0f} s")
                continue
            self._retry.pop(cap.iface, None)
            poller.register(cap.fileno(), select.POLLIN | select.POLLERR)
            by_fd[cap.fileno()] = cap
            self.on_event("reopened", cap, f"{cap.iface} captured again")


MAX_BACKOFF_S = 60.0      # a replaced interface is retried at least once a minute


def fanout_group(seed: int, index: int) -> int:
    """A fanout group id per interface, distinct between sensors on one host."""
    return ((seed & 0xFFFF) + index * 0x101) & 0xFFFF or 1


def process_rss_mb() -> int | None:
    """Resident memory of this process in MB (stats.log's mem)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            pages = int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") // (1 << 20)
