"""IP fragment reassembly, bounded, with Zeek's weirds on overlap and excess.
Compiled (setup.py COMPILED), with the decoder that calls it."""

from __future__ import annotations

# Limits, each with its reason:
MAX_DATAGRAM = 65535 + 65535      # IPv6 jumbo aside, no datagram is larger than this
MAX_PENDING = 10_000              # open reassemblies at once: a fragment flood is bounded
MAX_FRAGMENTS_PER_DATAGRAM = 1024 # 64 KiB in 64-byte pieces; more is an evasion attempt
MAX_PENDING_BYTES = 64 << 20      # fragment bytes held at once: overlapping copies count,
                                  # so a flood of duplicates cannot take the sensor's memory
FRAGMENT_TIMEOUT = 60.0           # seconds of packet time, as Zeek's frag_timeout default


class FragmentReassembler:
    """Collects fragments per (src, dst, id, proto) and returns the whole payload
    when every byte up to the last fragment has arrived."""

    def __init__(self) -> None:
        # Insertion order is age order: a datagram moves to the end with each fragment,
        # so the stalest is the first key, found in O(1) even while a flood fills the table.
        self._pending: dict[tuple, _Datagram] = {}
        self.pending_bytes = 0

    def add(self, key: tuple, ts: float, offset: int, data: bytes, more: bool,
            weirds: list[str]) -> bytes | None:
        datagram = self._pending.pop(key, None)
        if datagram is None:
            if len(self._pending) >= MAX_PENDING:
                self._expire_oldest(weirds)
            datagram = _Datagram(ts)
        self._pending[key] = datagram
        if offset + len(data) > MAX_DATAGRAM:
            weirds.append("excessively_large_fragment")
            self._drop(key)
            return None
        if len(datagram.pieces) >= MAX_FRAGMENTS_PER_DATAGRAM:
            weirds.append("excessive_fragments")
            self._drop(key)
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
        datagram.size += len(data)
        self.pending_bytes += len(data)
        while self.pending_bytes > MAX_PENDING_BYTES:
            self._expire_oldest(weirds)
        if key not in self._pending:
            return None
        if not more:
            if datagram.total is not None and datagram.total != offset + len(data):
                weirds.append("fragment_size_inconsistency")
            datagram.total = offset + len(data)
        if datagram.total is None:
            return None
        whole = datagram.assemble()
        if whole is not None:
            self._drop(key)
        return whole

    def __len__(self) -> int:
        """Datagrams waiting for fragments."""
        return len(self._pending)

    def expire(self, now: float) -> None:
        stale = [k for k, d in self._pending.items() if now - d.ts > FRAGMENT_TIMEOUT]
        for key in stale:
            self._drop(key)

    def _drop(self, key: tuple) -> None:
        self.pending_bytes -= self._pending.pop(key).size

    def _expire_oldest(self, weirds: list[str]) -> None:
        self._drop(next(iter(self._pending)))
        weirds.append("fragment_table_full")


class _Datagram:
    __slots__ = ("ts", "pieces", "total", "size")

    def __init__(self, ts: float):
        self.ts = ts
        self.pieces: list[tuple[int, bytes]] = []
        self.total: int | None = None
        self.size = 0                          # bytes held, overlapping copies included

    def assemble(self) -> bytes | None:
        total = self.total
        if total is None:
            return None                        # the last fragment has not come yet
        buf = bytearray(total)
        covered = 0
        # Earlier fragments win on overlap, as the first-arrival policy Zeek uses.
        for start, piece in sorted(self.pieces, key=lambda p: p[0]):
            if start > covered:
                return None                    # a hole remains
            end = min(start + len(piece), total)
            if end > covered:
                buf[covered:end] = piece[covered - start:end - start]
                covered = end
        return bytes(buf) if covered >= total else None
