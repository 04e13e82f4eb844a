"""Write captures: classic pcap (micro/nano, either byte order, any link type) and pcapng.

A name ending in .gz is gzip-compressed. Writers also take an open binary file object (for
standard output or io.BytesIO). Records are buffered and written in large chunks because the
bench generator writes millions of them; one write() per record costs more than building it.
"""

from __future__ import annotations

import gzip
import io
import struct

LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_PPP, LINKTYPE_RAW = 0, 1, 9, 101
LINKTYPE_LINUX_SLL, LINKTYPE_IEEE802_11_RADIOTAP, LINKTYPE_NFLOG = 113, 127, 239
LINKTYPE_LINUX_SLL2, LINKTYPE_IPV4, LINKTYPE_IPV6 = 276, 228, 229

PCAP_MAGIC_MICRO, PCAP_MAGIC_NANO = 0xA1B2C3D4, 0xA1B23C4D
PCAPNG_BYTE_ORDER_MAGIC = 0x1A2B3C4D
BLOCK_SHB, BLOCK_IDB, BLOCK_EPB = 0x0A0D0D0A, 0x00000001, 0x00000006
OPT_END, OPT_IF_NAME, OPT_IF_TSRESOL = 0, 2, 9

FLUSH_BYTES = 1 << 20  # write in ~1 MiB chunks: few syscalls, bounded memory


def _open(target, compresslevel: int):
    """Return (file object, whether we own it) for a path or an already open binary file."""
    if hasattr(target, "write"):
        return target, False
    name = str(target)
    if name.endswith(".gz"):
        return gzip.open(name, "wb", compresslevel=compresslevel), True
    return open(name, "wb"), True


class _Buffered:
    def __init__(self, target, compresslevel: int = 6):
        self._f, self._own = _open(target, compresslevel)
        self._buf: list[bytes] = []
        self._size = 0
        self.count = 0

    def _put(self, *parts: bytes) -> None:
        self._buf.extend(parts)
        self._size += sum(map(len, parts))
        if self._size >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        if self._buf:
            self._f.write(b"".join(self._buf))
            self._buf.clear()
            self._size = 0

    def close(self) -> None:
        self.flush()
        if self._own:
            self._f.close()
        else:
            self._f.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def write_all(self, packets) -> None:
        """Write an iterable of (ts, frame) pairs."""
        for ts, frame in packets:
            self.write(ts, frame)


class PcapWriter(_Buffered):
    """Classic libpcap file (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/)."""

    def __init__(self, target, linktype: int = LINKTYPE_ETHERNET, *, nano: bool = False,
                 big_endian: bool = False, snaplen: int = 262144, compresslevel: int = 6):
        super().__init__(target, compresslevel)
        order = ">" if big_endian else "<"
        self.nano, self.snaplen = nano, snaplen
        self._rec = struct.Struct(order + "IIII")
        self._scale = 1_000_000_000 if nano else 1_000_000
        magic = PCAP_MAGIC_NANO if nano else PCAP_MAGIC_MICRO
        self._put(struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))

    def write(self, ts: float, frame: bytes, orig_len: int | None = None) -> None:
        """One record; a frame longer than snaplen is cut, keeping its original length."""
        sec = int(ts)
        frac = round((ts - sec) * self._scale)
        if frac >= self._scale:
            sec, frac = sec + 1, frac - self._scale
        self._write_parts(sec, frac, frame, orig_len)

    def write_ns(self, ts_ns: int, frame: bytes, orig_len: int | None = None) -> None:
        """One record with an integer nanosecond timestamp (exact in nano files)."""
        sec, ns = divmod(ts_ns, 1_000_000_000)
        self._write_parts(sec, ns if self.nano else ns // 1000, frame, orig_len)

    def _write_parts(self, sec: int, frac: int, frame: bytes, orig_len: int | None) -> None:
        full = len(frame) if orig_len is None else orig_len
        if len(frame) > self.snaplen:
            frame = frame[:self.snaplen]
        self._put(self._rec.pack(sec, frac, len(frame), full), frame)
        self.count += 1


class PcapngWriter(_Buffered):
    """pcapng file (draft-ietf-opsawg-pcapng): one section, one IDB per interface.

    `interfaces` is a list of (linktype, name) or (linktype, name, snaplen); write() names the
    interface by index. Timestamps use if_tsresol 9 (nanoseconds) when nano=True, else the
    default microseconds.
    """

    def __init__(self, target, interfaces=((LINKTYPE_ETHERNET, "eth0"),), *, nano: bool = False,
                 big_endian: bool = False, compresslevel: int = 6):
        super().__init__(target, compresslevel)
        self._o = ">" if big_endian else "<"
        self.nano = nano
        self._scale = 1_000_000_000 if nano else 1_000_000
        self._epb = struct.Struct(self._o + "IIIIIII")
        self.snaplens = []
        shb = struct.pack(self._o + "IHHq", PCAPNG_BYTE_ORDER_MAGIC, 1, 0, -1)
        self._block(BLOCK_SHB, shb)
        for iface in interfaces:
            linktype, name = iface[0], iface[1]
            snaplen = iface[2] if len(iface) > 2 else 262144
            self.snaplens.append(snaplen)
            opts = self._option(OPT_IF_NAME, name.encode())
            if nano:
                opts += self._option(OPT_IF_TSRESOL, b"\x09")
            opts += struct.pack(self._o + "HH", OPT_END, 0)
            self._block(BLOCK_IDB, struct.pack(self._o + "HHI", linktype, 0, snaplen) + opts)

    def _option(self, code: int, value: bytes) -> bytes:
        return struct.pack(self._o + "HH", code, len(value)) + value + b"\x00" * (-len(value) % 4)

    def _block(self, kind: int, body: bytes) -> None:
        length = 12 + len(body)
        self._put(struct.pack(self._o + "II", kind, length), body, struct.pack(self._o + "I", length))

    def write(self, ts: float, frame: bytes, interface: int = 0, orig_len: int | None = None) -> None:
        """One Enhanced Packet Block on interface number `interface`."""
        units = round(ts * self._scale)
        full = len(frame) if orig_len is None else orig_len
        snaplen = self.snaplens[interface]
        if snaplen and len(frame) > snaplen:
            frame = frame[:snaplen]
        pad = -len(frame) % 4
        length = 32 + len(frame) + pad
        self._put(self._epb.pack(BLOCK_EPB, length, interface, units >> 32, units & 0xFFFFFFFF,
                                 len(frame), full), frame, b"\x00" * pad,
                  struct.pack(self._o + "I", length))
        self.count += 1


def pcap_bytes(packets, linktype: int = LINKTYPE_ETHERNET, **kw) -> bytes:
    """A whole classic pcap file in memory (for tests that cut or corrupt it)."""
    buf = io.BytesIO()
    with PcapWriter(buf, linktype, **kw) as w:
        w.write_all(packets)
    return buf.getvalue()


def write_pcap(path, packets, linktype: int = LINKTYPE_ETHERNET, **kw) -> int:
    """Write (ts, frame) pairs to a classic pcap file; returns the number of records."""
    with PcapWriter(path, linktype, **kw) as w:
        w.write_all(packets)
        return w.count


def write_pcapng(path, packets, interfaces=((LINKTYPE_ETHERNET, "eth0"),), **kw) -> int:
    """Write (ts, frame) or (ts, frame, interface) tuples to a pcapng file."""
    with PcapngWriter(path, interfaces, **kw) as w:
        for item in packets:
            w.write(item[0], item[1], item[2] if len(item) > 2 else 0)
        return w.count
