"""The full-packet ring: every captured packet kept in rolling pcap files, bounded by
size, age and the disk's free space, and cut out again for an incident.

Files are classic pcap with nanosecond stamps, named by the packet time of their first
and last record so a cut opens only the files its window touches:

    RING/<first_ns>-w<worker>.pcap.part          the file being written
    RING/<first_ns>-<last_ns>-w<worker>.pcap     closed files

Each capture worker writes its own files (no locking between processes); a cut merges
them by time. The live capture hands blocks that are already pcap records
(capture/live.py), so keeping packets costs one write per block, no per-packet work.

Disk: the ring gives way first. Besides its own size and age limits it never lets the
file system's free space fall below ``RESERVE_FRACTION``: it deletes its oldest files
instead, so the logs in the store (which are small and are the evidence CERT-In asks
for) are never the ones squeezed out.
"""

from __future__ import annotations

import heapq
import os
import re
import struct
import time
from pathlib import Path

PCAP_NS_MAGIC = 0xA1B23C4D
FILE_HEADER = struct.Struct("<IHHiIII")
RECORD = struct.Struct("<IIII")            # sec, nsec, caplen, wirelen (as live.py packs)
SNAPLEN = 262144
# Keep this share of the file system free for the logs; the ring shrinks to honour it.
RESERVE_FRACTION = 0.10
# Disk and age checks at most this often (statvfs and a listing are cheap, not free).
CHECK_EVERY_S = 10.0
# A record claiming more than this is corrupt (the capture never makes larger frames).
MAX_RECORD = 1 << 20
NAME_RE = re.compile(r"^(\d+)(?:-(\d+))?-w(\d+)\.pcap(\.part)?$")


class RingFile:
    __slots__ = ("path", "first_ns", "last_ns", "worker", "open")

    def __init__(self, path: Path, first_ns: int, last_ns: int | None, worker: int,
                 is_open: bool):
        self.path, self.first_ns, self.last_ns = path, first_ns, last_ns
        self.worker, self.open = worker, is_open


def list_files(root: str | os.PathLike) -> list[RingFile]:
    """The ring's files, oldest first (open files last among equals)."""
    out = []
    try:
        names = os.listdir(root)
    except FileNotFoundError:
        return []
    for name in names:
        m = NAME_RE.match(name)
        if m:
            out.append(RingFile(Path(root) / name, int(m[1]),
                                int(m[2]) if m[2] else None, int(m[3]), bool(m[4])))
    out.sort(key=lambda f: (f.first_ns, f.open))
    return out


class PacketRing:
    """The writer one capture worker owns."""

    def __init__(self, root: str | os.PathLike, *, worker: int = 0,
                 max_bytes: int = 20 * 10**9, max_age_s: float = 72 * 3600,
                 file_bytes: int = 256 << 20, reserve_fraction: float = RESERVE_FRACTION,
                 clock=time.time):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.worker = worker
        self.max_bytes, self.max_age_s = max_bytes, max_age_s
        self.file_bytes, self.reserve_fraction = file_bytes, reserve_fraction
        self.clock = clock
        self.file = None
        self.path: Path | None = None
        self.first_ns = self.last_ns = 0
        self.linktype: int | None = None
        self.size = 0
        self.deleted_files = 0
        self.deleted_bytes = 0
        self._next_check = 0.0
        self._finish_leftovers()

    def _finish_leftovers(self) -> None:
        """A .part file of this worker left by a crash is closed under its final name."""
        for f in list_files(self.root):
            if f.open and f.worker == self.worker:
                last = _last_stamp(f.path)
                if last is None:
                    f.path.unlink(missing_ok=True)
                else:
                    f.path.rename(self.root / f"{f.first_ns}-{last}-w{f.worker}.pcap")

    def write(self, linktype: int, buf: bytes, count: int, last_ts: float | None) -> None:
        """Append a block of pcap records (as capture/live.py makes them)."""
        if not buf or not count:
            return
        sec, nsec = struct.unpack_from("<II", buf, 0)
        first_ns = sec * 10**9 + nsec
        if self.file is not None and (linktype != self.linktype or
                                      self.size >= self.file_bytes):
            self._close_file()
        if self.file is None:
            self._open_file(linktype, first_ns)
        self.file.write(buf)
        self.size += len(buf)
        if last_ts is not None:
            self.last_ns = max(self.last_ns, int(round(last_ts * 1e9)))
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + CHECK_EVERY_S
            self.enforce()

    def _open_file(self, linktype: int, first_ns: int) -> None:
        self.path = self.root / f"{first_ns}-w{self.worker}.pcap.part"
        self.file = open(self.path, "wb", buffering=1 << 20)
        self.file.write(FILE_HEADER.pack(PCAP_NS_MAGIC, 2, 4, 0, 0, SNAPLEN, linktype))
        self.size = FILE_HEADER.size
        self.first_ns = self.last_ns = first_ns
        self.linktype = linktype

    def _close_file(self) -> None:
        self.file.close()
        final = self.root / f"{self.first_ns}-{self.last_ns}-w{self.worker}.pcap"
        os.replace(self.path, final)
        self.file = None
        self.path = None

    def flush(self) -> None:
        if self.file is not None:
            self.file.flush()

    def close(self) -> None:
        if self.file is not None:
            self._close_file()
        self.enforce()

    def enforce(self) -> None:
        """Delete the oldest closed files until size, age and free space are within
        bounds. Files of every worker count (the ring is one budget)."""
        files = [f for f in list_files(self.root)]
        sizes = {}
        for f in files:
            try:
                sizes[f.path] = f.path.stat().st_size
            except FileNotFoundError:
                sizes[f.path] = 0
        total = sum(sizes.values())
        oldest_ns = (self.clock() - self.max_age_s) * 1e9
        for f in files:
            if f.open:
                continue
            too_big = total > self.max_bytes
            too_old = f.last_ns is not None and f.last_ns < oldest_ns
            short = self._disk_short()
            if not (too_big or too_old or short):
                continue
            try:
                f.path.unlink()
            except FileNotFoundError:
                continue
            total -= sizes[f.path]
            self.deleted_files += 1
            self.deleted_bytes += sizes[f.path]

    def _disk_short(self) -> bool:
        try:
            st = os.statvfs(self.root)
        except OSError:
            return False
        return st.f_bavail < st.f_blocks * self.reserve_fraction


def _records(path: Path):
    """(ns, header+frame bytes) of each whole record of one ring file."""
    with open(path, "rb") as f:
        head = f.read(FILE_HEADER.size)
        if len(head) < FILE_HEADER.size or \
                FILE_HEADER.unpack(head)[0] != PCAP_NS_MAGIC:
            return
        data = f.read(1 << 22)
        pos = 0
        while True:
            while pos + 16 <= len(data):
                sec, nsec, caplen, _wire = RECORD.unpack_from(data, pos)
                if caplen > MAX_RECORD:
                    return                               # corrupt: stop at what was good
                end = pos + 16 + caplen
                if end > len(data):
                    break
                yield sec * 10**9 + nsec, data[pos:end]
                pos = end
            more = f.read(1 << 22)
            if not more:
                return
            data = data[pos:] + more
            pos = 0


def _last_stamp(path: Path) -> int | None:
    last = None
    for ns, _ in _records(path):
        last = ns
    return last


def linktype_of(path: Path) -> int | None:
    with open(path, "rb") as f:
        head = f.read(FILE_HEADER.size)
    if len(head) < FILE_HEADER.size:
        return None
    return FILE_HEADER.unpack(head)[6] & 0xFFFF


def cut(root: str | os.PathLike, first_ns: int, last_ns: int, out,
        match=None) -> tuple[int, int]:
    """Write the packets between ``first_ns`` and ``last_ns`` (inclusive) for which
    ``match(frame)`` holds into ``out`` (a binary file) as one pcap, merged by time
    across workers. Returns (packets written, link type)."""
    files = [f for f in list_files(root)
             if f.first_ns <= last_ns and (f.last_ns is None or f.last_ns >= first_ns)]
    linktypes = {linktype_of(f.path) for f in files} - {None}
    if len(linktypes) > 1:
        raise ValueError(f"the ring mixes link types {sorted(linktypes)}; cut one "
                         "interface at a time")
    linktype = linktypes.pop() if linktypes else 1
    out.write(FILE_HEADER.pack(PCAP_NS_MAGIC, 2, 4, 0, 0, SNAPLEN, linktype))
    streams = [_records(f.path) for f in files]
    written = 0
    for ns, record in heapq.merge(*streams, key=lambda r: r[0]):
        if ns < first_ns:
            continue
        if ns > last_ns:
            continue              # files are merged by time, but each may overlap
        if match is not None and not match(record[16:]):
            continue
        out.write(record)
        written += 1
    return written, linktype
