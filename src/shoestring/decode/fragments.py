"""IP fragment reassembly, bounded, with Zeek's weirds on overlap and excess."""

from __future__ import annotations

# Limits, each with its reason:
MAX_DATAGRAM = 65535 + 65535      # IPv6 jumbo aside, no datagram is larger than this
MAX_PENDING = 10_000              # open reassemblies at once: a fragment flood is bounded
MAX_FRAGMENTS_PER_DATAGRAM = 1024 # 64 KiB in 64-byte pieces; more is an evasion attempt
FRAGMENT_TIMEOUT = 60.0           # seconds of packet time, as Zeek's frag_timeout default


class FragmentReassembler:
    """Collects fragments per (src, dst, id, proto) and returns the whole payload
    when every byte up to the last fragment has arrived."""

    def __init__(self):
        self._pending: dict[tuple, _Datagram] = {}

    def add(self, key: tuple, ts: float, offset: int, data: bytes, more: bool,
            weirds: list) -> bytes | None:
        datagram = self._pending.get(key)
        if datagram is None:
            if len(self._pending) >= MAX_PENDING:
                self._expire_oldest(weirds)
            datagram = self._pending[key] = _Datagram(ts)
        if offset + len(data) > MAX_DATAGRAM:
            weirds.append("excessively_large_fragment")
            del self._pending[key]
            return None
        if len(datagram.pieces) >= MAX_FRAGMENTS_PER_DATAGRAM:
            weirds.append("excessive_fragments")
            del self._pending[key]
            return None
        datagram.ts = ts
        for start, piece in datagram.pieces:
            end = start + len(piece)
            if offset < end and start < offset + len(data):
                lo, hi = max(offset, start), min(offset + len(data), end)
                if piece[lo - start:hi - start] != data[lo - offset:hi - offset]:
                    weirds.append("fragment_inconsistency")
                else:
                    weirds.append("fragment_overlap")
                break
        datagram.pieces.append((offset, data))
        if not more:
            if datagram.total is not None and datagram.total != offset + len(data):
                weirds.append("fragment_size_inconsistency")
            datagram.total = offset + len(data)
        if datagram.total is None:
            return None
        whole = datagram.assemble()
        if whole is not None:
            del self._pending[key]
        return whole

    def expire(self, now: float) -> None:
        stale = [k for k, d in self._pending.items() if now - d.ts > FRAGMENT_TIMEOUT]
        for key in stale:
            del self._pending[key]

    def _expire_oldest(self, weirds: list) -> None:
        oldest = min(self._pending, key=lambda k: self._pending[k].ts)
        del self._pending[oldest]
        weirds.append("fragment_table_full")


class _Datagram:
    __slots__ = ("ts", "pieces", "total")

    def __init__(self, ts: float):
        self.ts = ts
        self.pieces: list[tuple[int, bytes]] = []
        self.total: int | None = None

    def assemble(self) -> bytes | None:
        buf = bytearray(self.total)
        covered = 0
        # Earlier fragments win on overlap, as the first-arrival policy Zeek uses.
        for start, piece in sorted(self.pieces, key=lambda p: p[0]):
            if start > covered:
                return None                    # a hole remains
            end = min(start + len(piece), self.total)
            if end > covered:
                buf[covered:end] = piece[covered - start:end - start]
                covered = end
        return bytes(buf) if covered >= self.total else None
