"""Capture files: classic pcap (micro/nanosecond, either byte order), pcapng (several
interfaces, each with its own link type and time resolution), gzip-compressed, or
standard input. Yields ``(ts, linktype, frame, wirelen)`` per packet.

Reading is done in large blocks and records are cut with ``struct.unpack_from`` at an
offset, never one small ``read()`` per record: per-packet Python overhead decides the
sensor's speed.
"""

from __future__ import annotations

import gzip
import io
import mmap
import os
import stat
import struct
import sys
from collections.abc import Iterator
from typing import Any, BinaryIO

from .errors import NotACapture

BLOCK = 1 << 22                 # 4 MiB reads: few syscalls, bounded memory
# A plain pcap file on disk is not read but mapped, a window at a time: read() copies
# every byte of the capture from the page cache into a new buffer (the kernel's copy was
# ~7% of an all-analyzers run, more of a conn-only one; mapped, the pages are used where
# they lie). The window bounds the resident mapping (the file's pages count in the RSS
# while mapped) and is unmapped once walked. Only a file shrunk by another process while
# it is being read would fault (SIGBUS) where read() would just end early; capture tools
# rotate to new files rather than truncating the one being read, and a file that is
# still being appended to is followed as read() would (each window re-checks the size).
MAP_WINDOW = 1 << 23            # 8 MiB
# A record claiming more than this is corrupt: no link type carries frames this large
# (pcap's own MAXIMUM_SNAPLEN for D-Bus is 128 MiB; Ethernet with TSO tops out far below).
MAX_RECORD = 1 << 18            # 256 KiB, what libpcap uses as its default maximum

PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D
PCAPNG_SHB = 0x0A0D0D0A
PCAPNG_BOM = 0x1A2B3C4D
GZIP_MAGIC = b"\x1f\x8b"

# pcap file header (libpcap's pcap-savefile(5)): magic, major, minor, thiszone,
# sigfigs, snaplen, linktype (low 16 bits; the high bits carry FCS info).
PCAP_HEADER = {e: struct.Struct(e + "IHHiIII") for e in "<>"}
PCAP_RECORD = {e: struct.Struct(e + "IIII") for e in "<>"}   # ts_sec, ts_frac, caplen, len


def open_source(path: str) -> tuple[BinaryIO, str]:
    """The raw byte stream of ``path`` (``-`` is standard input), gunzipped if needed."""
    if path == "-":
        raw: BinaryIO = sys.stdin.buffer
        name = "<stdin>"
    else:
        try:
            raw = open(path, "rb")
        except FileNotFoundError:
            raise NotACapture(f"{path}: no such file") from None
        except IsADirectoryError:
            raise NotACapture(f"{path}: is a folder, not a capture file") from None
        except PermissionError:
            raise NotACapture(f"{path}: permission denied") from None
        name = path
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)
    head = buffered.peek(2)[:2]
    if head == GZIP_MAGIC:
        return _GzipStream(gzip.GzipFile(fileobj=buffered, mode="rb")), name
    return buffered, name


class _GzipStream:
    """A gzip stream whose read() keeps what was decompressed before a cut or corrupt
    spot: GzipFile.read(n) raises and throws away everything it decompressed in that
    call, so a cut .gz capture smaller than one BLOCK would lose every packet. Pieces
    come from read1; the error is raised on the next call, once nothing is left."""

    def __init__(self, gz: gzip.GzipFile):
        self.gz = gz

    def read(self, size: int) -> bytes:
        parts, got = [], 0
        while got < size:
            try:
                piece = self.gz.read1(size - got)
            except (OSError, EOFError):
                if parts:
                    break
                raise
            if not piece:
                break
            parts.append(piece)
            got += len(piece)
        return b"".join(parts)

    def tell(self) -> int:
        """Position in the compressed file, which is what a progress bar can compare
        with the file's size."""
        return self.gz.fileobj.tell()

    def close(self) -> None:
        self.gz.close()


class CaptureReader:
    """Iterates the packets of one capture. After iteration, ``error`` holds a one-line
    description if the capture broke part-way (what was read before stays valid)."""

    def __init__(self, path: str):
        self.path = path
        self.stream, self.name = open_source(path)
        self.error: str | None = None
        self._buf_at = 0            # file offset of _buf's first byte (for error messages)
        self.size = _file_size(path)
        self._buf = b""
        self._pos = 0
        self._eof = False
        self._mapped_at: int | None = None        # file offset reached, once mapped
        self._fill(24)
        if len(self._buf) < 4:
            # A gzip stream that fails at once says why; anything else is simply short.
            raise NotACapture(self.error or f"{self.name}: empty or too short to be a capture")
        magic_le = struct.unpack_from("<I", self._buf)[0]
        if magic_le == PCAPNG_SHB:
            self.format = "pcapng"
        elif magic_le in (PCAP_MAGIC_US, PCAP_MAGIC_NS) or \
                struct.unpack_from(">I", self._buf)[0] in (PCAP_MAGIC_US, PCAP_MAGIC_NS):
            self.format = "pcap"
            self._read_pcap_header()
        else:
            raise NotACapture(f"{self.name}: not a pcap or pcapng capture "
                              f"(starts with {self._buf[:4].hex()})")

    # -- buffer management --------------------------------------------------------

    def _fill(self, need: int) -> bool:
        """Make sure ``need`` bytes are buffered from ``_pos``; False at end of input."""
        have = len(self._buf) - self._pos
        if have >= need:
            return True
        # With nothing left over, a new block is read and used as it is. A record cut by
        # the end of the block is completed with a small read of just its missing bytes
        # (the next round then starts on a fresh block): joining the cut record with a
        # whole new block would copy every 4 MiB a second time.
        cut = have > 0
        chunks = [self._buf[self._pos:]] if cut else []
        while have < need and not self._eof:
            try:
                chunk = self.stream.read(need - have if cut else max(BLOCK, need - have))
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                self.error = f"{self.name}: read failed: {exc}"
                chunk = b""
            if not chunk:
                self._eof = True
                break
            chunks.append(chunk)
            have += len(chunk)
        self._buf_at += self._pos               # what was walked leaves the buffer
        self._buf = b"".join(chunks)
        self._pos = 0
        return have >= need

    # -- classic pcap ---------------------------------------------------------------

    def _read_pcap_header(self) -> None:
        if not self._fill(24):
            raise NotACapture(f"{self.name}: pcap header cut short")
        endian = "<" if struct.unpack_from("<I", self._buf)[0] in (
            PCAP_MAGIC_US, PCAP_MAGIC_NS) else ">"
        magic, major, _minor, _zone, _sigfigs, snaplen, linktype = \
            PCAP_HEADER[endian].unpack_from(self._buf, 0)
        self._endian = endian
        self._nano = magic == PCAP_MAGIC_NS
        self.snaplen = snaplen
        self.linktype = linktype & 0x0FFFFFFF if linktype & 0xF0000000 == 0 \
            else linktype & 0xFFFF
        self.linktypes = {0: self.linktype}
        if major != 2:
            raise NotACapture(f"{self.name}: pcap version {major} is not supported")
        self._pos = 24

    def _record_layout(self) -> None:
        """How to read this file's records: ``record`` unpacks a record header,
        ``divisor`` turns its fraction into seconds, ``limit`` bounds its length."""
        self.record = PCAP_RECORD[self._endian].unpack_from
        self.divisor = 1e9 if self._nano else 1e6
        # Zero or absurd snaplen in the header: trust each record's own length, bounded.
        self.limit = MAX_RECORD if not (0 < self.snaplen <= MAX_RECORD) \
            else max(self.snaplen, 65535)

    def _pcap_records(self) -> Iterator[tuple[float, int, bytes, int]]:
        self._record_layout()
        record, divisor, limit, linktype = self.record, self.divisor, self.limit, self.linktype
        while True:
            buf, pos = self._buf, self._pos
            end = len(buf)
            # Inner loop over what is buffered: no method calls per packet.
            while pos + 16 <= end:
                sec, frac, caplen, wirelen = record(buf, pos)
                if caplen > limit:
                    self._pos = pos
                    self.corrupt(pos, caplen)
                    return
                stop = pos + 16 + caplen
                if stop > end:
                    break
                yield sec + frac / divisor, linktype, buf[pos + 16:stop], wirelen
                pos = stop
            self._pos = pos
            if not self._fill(16):
                if len(self._buf) - self._pos:
                    self.error = f"{self.name}: capture cut short mid-record; read up to there"
                return
            sec, frac, caplen, wirelen = record(self._buf, self._pos)
            if caplen <= limit and not self._fill(16 + caplen):
                self.error = f"{self.name}: capture cut short mid-record; read up to there"
                return

    def position(self) -> int:
        """Where reading has got to in the file (compressed bytes for a gzip stream),
        for a progress bar."""
        if self._mapped_at is not None:
            return self._mapped_at
        return self.stream.tell()

    def chunks(self) -> Iterator[tuple[Any, int, int]]:
        """Buffers of pcap-format records for a consumer that walks them itself (the
        hot loop in pipeline.py): yields ``(buffer, position, linktype)``; the consumer
        processes the complete records from there and sends back the position of the
        first record it could not finish. ``record``, ``divisor`` and ``limit`` say how
        to read them. Other formats are repacked into the same shape."""
        if self.format != "pcap":
            yield from record_chunks(self, self)
            return
        self._record_layout()
        fd = self._mappable_fd()
        if fd is not None:
            yield from self._mapped_chunks(fd, self._buf_at + self._pos)
            return
        while True:
            # Invariant: at least one complete record is buffered at _pos (or none at
            # all on the first round, which the consumer handles by sending _pos back).
            self._pos = yield self._buf, self._pos, self.linktype
            if self.error:
                return
            if not self._fill(16):
                if len(self._buf) - self._pos:
                    self.error = f"{self.name}: capture cut short mid-record; read up to there"
                return
            caplen = self.record(self._buf, self._pos)[2]
            if caplen > self.limit:
                self.corrupt(self._pos, caplen)
                return
            if not self._fill(16 + caplen):
                self.error = f"{self.name}: capture cut short mid-record; read up to there"
                return

    def _mappable_fd(self) -> int | None:
        """The descriptor of a plain (uncompressed) regular file, else None: standard
        input, pipes and gzip streams are read."""
        if not isinstance(self.stream, io.BufferedReader):
            return None
        try:
            fd = self.stream.fileno()
            return fd if stat.S_ISREG(os.fstat(fd).st_mode) else None
        except (OSError, ValueError):
            return None

    def _mapped_chunks(self, fd: int, offset: int) -> Iterator[tuple[Any, int, int]]:
        """chunks() over a mapped file: each window starts at the page holding the
        first record not yet walked, so a record cut by a window's end is simply
        walked in the next one (no copy at all)."""
        window = MAP_WINDOW
        while True:
            size = os.fstat(fd).st_size
            if offset >= size:
                return
            start = offset - offset % mmap.ALLOCATIONGRANULARITY
            length = min(window, size - start)
            try:
                view = mmap.mmap(fd, length, access=mmap.ACCESS_READ, offset=start)
            except (OSError, ValueError) as exc:
                self.error = f"{self.name}: read failed: {exc}"
                return
            if hasattr(view, "madvise"):
                view.madvise(mmap.MADV_SEQUENTIAL)       # read-ahead, early reclaim
            self._buf_at = start                         # corrupt() names file offsets
            self._mapped_at = offset
            try:
                pos = yield view, offset - start, self.linktype
            finally:
                try:
                    view.close()
                except BufferError:                      # a consumer kept a view of it
                    pass
            if self.error:
                return
            walked = start + pos
            if start + length >= size:                   # this window reached the end
                if walked < size:
                    self.error = f"{self.name}: capture cut short mid-record; read up to there"
                self._mapped_at = walked
                return
            # No record finished in a whole window: one longer than the window (records
            # are bounded by self.limit, so doubling ends).
            window = window * 2 if walked == offset else MAP_WINDOW
            offset = walked

    def corrupt(self, pos: int, caplen: int) -> None:
        self.error = (f"{self.name}: corrupt record at byte {self._buf_at + pos}"
                      f" (length {caplen} > {self.limit}); stopped there")

    # -- pcapng -----------------------------------------------------------------------

    def _pcapng_records(self) -> Iterator[tuple[float, int, bytes, int]]:
        endian = "<"
        interfaces: list[tuple[int, float]] = []       # (linktype, seconds per tick)
        self.linktypes = {}
        while self._fill(12):
            buf, pos = self._buf, self._pos
            btype = struct.unpack_from(endian + "I", buf, pos)[0]
            if btype == PCAPNG_SHB or struct.unpack_from(">I", buf, pos)[0] == PCAPNG_SHB:
                bom = buf[pos + 8:pos + 12]
                if bom == b"\x4d\x3c\x2b\x1a":
                    endian = "<"
                elif bom == b"\x1a\x2b\x3c\x4d":
                    endian = ">"
                else:
                    self.error = f"{self.name}: bad pcapng byte-order magic"
                    return
                interfaces = []           # a new section starts a new interface list
            blen = struct.unpack_from(endian + "I", buf, pos + 4)[0]
            if blen < 12 or blen % 4 or blen > MAX_RECORD + 4096:
                self.error = (f"{self.name}: corrupt pcapng block at byte "
                              f"{self._buf_at + pos} (length {blen}); stopped there")
                return
            if not self._fill(blen):
                self.error = f"{self.name}: capture cut short mid-block; read up to there"
                return
            buf, pos = self._buf, self._pos
            body = buf[pos + 8:pos + blen - 4]
            self._pos = pos + blen
            if btype == 1:                                   # Interface Description
                linktype, _res, _snap = struct.unpack_from(endian + "HHI", body, 0)
                interfaces.append((linktype, _tsresol(body[8:], endian)))
                self.linktypes[len(interfaces) - 1] = linktype
            elif btype == 6:                                 # Enhanced Packet
                if len(body) < 20:
                    continue
                ifid, hi, lo, caplen, wirelen = struct.unpack_from(endian + "IIIII", body, 0)
                if ifid >= len(interfaces) or caplen > len(body) - 20:
                    self.error = f"{self.name}: enhanced packet block names no interface"
                    return
                linktype, tick = interfaces[ifid]
                yield ((hi << 32) | lo) * tick, linktype, body[20:20 + caplen], wirelen
            elif btype == 3:                                 # Simple Packet
                if not interfaces or len(body) < 4:
                    continue
                wirelen = struct.unpack_from(endian + "I", body, 0)[0]
                yield 0.0, interfaces[0][0], body[4:4 + min(wirelen, len(body) - 4)], wirelen
            elif btype == 2:                                 # obsolete Packet Block
                if len(body) < 20:
                    continue
                ifid, _drops, hi, lo, caplen, wirelen = struct.unpack_from(
                    endian + "HHIIII", body, 0)
                if ifid < len(interfaces):
                    linktype, tick = interfaces[ifid]
                    yield ((hi << 32) | lo) * tick, linktype, body[20:20 + caplen], wirelen
        if len(self._buf) - self._pos:
            self.error = f"{self.name}: capture cut short mid-block; read up to there"

    def __iter__(self) -> Iterator[tuple[float, int, bytes, int]]:
        if self.format == "pcap":
            return self._pcap_records()
        return self._pcapng_records()

    def close(self) -> None:
        if self.stream is not sys.stdin.buffer:
            self.stream.close()


def _tsresol(options: bytes, endian: str) -> float:
    """Seconds per timestamp tick from an IDB's if_tsresol option (default 1e-6)."""
    pos = 0
    while pos + 4 <= len(options):
        code, length = struct.unpack_from(endian + "HH", options, pos)
        if code == 0:
            break
        if code == 9 and length >= 1:
            value = options[pos + 4]
            return 2.0 ** -(value & 0x7F) if value & 0x80 else 10.0 ** -value
        pos += 4 + ((length + 3) & ~3)
    return 1e-6


def _file_size(path: str) -> int | None:
    if path == "-":
        return None
    try:
        return os.stat(path).st_size
    except OSError:
        return None


RECHUNK_RECORDS = 512           # records per repacked buffer: amortises the join


def record_chunks(records, owner) -> Iterator[tuple[bytes, int, int]]:
    """Repack ``(ts, linktype, frame, wirelen)`` records as pcap-format buffers with
    nanosecond stamps, one link type per buffer, for the chunk consumer. Sets
    ``owner.record/divisor/limit`` as CaptureReader.chunks does."""
    pack = PCAP_RECORD["<"].pack
    owner.record = PCAP_RECORD["<"].unpack_from
    owner.divisor = 1e9
    owner.limit = 1 << 31
    parts: list[bytes] = []
    current = None
    for ts, linktype, frame, wirelen in records:
        if linktype != current or len(parts) >= 2 * RECHUNK_RECORDS:
            if parts:
                yield b"".join(parts), 0, current
                parts = []
            current = linktype
        sec = int(ts)
        parts.append(pack(sec & 0xFFFFFFFF, int(round((ts - sec) * 1e9)), len(frame), wirelen))
        parts.append(frame)
    if parts:
        yield b"".join(parts), 0, current


class RecordSource:
    """Adapts any iterable of records (live capture, tests) to the chunk protocol."""

    def __init__(self, records):
        self.records = records
        self.error = None

    def chunks(self):
        return record_chunks(self.records, self)

    def corrupt(self, pos: int, caplen: int) -> None:
        self.error = f"record of {caplen} bytes is too large; stopped there"
