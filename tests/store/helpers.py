"""Shared helpers of the store tests: build a store from generated captures, read back
every record it holds."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

from shoestring.store.archive import StoreOutput
from shoestring.store.layout import Store

from .gen import OfficeTraffic

DAY = 86400
# 2026-11-01 00:00 UTC and two older incident captures.
CAPTURES = (("cap-a", 1793491200.0, 1), ("cap-b", 1793491200.0 + 3 * DAY, 2),
            ("cap-c", 1793491200.0 + 5 * DAY, 3))


def import_capture(store, source: str, start: float, seed: int, count: int = 600,
                   span: float = 3 * 3600, compaction: bool = True) -> StoreOutput:
    out = StoreOutput(store, source=source, clock_sync="capture", compaction=compaction)
    for log, record in OfficeTraffic(seed).records(start, count, span):
        out.write(log, record)
    out.close()
    return out


def build(root: Path, captures=CAPTURES, count: int = 600,
          compaction: bool = True) -> Store:
    store = Store.create(root)
    for source, start, seed in captures:
        import_capture(store, source, start, seed, count, compaction=compaction)
    return store


def stored_records(root: Path) -> Counter:
    """(log, uid, ts text) -> how many times the archived Zeek logs hold it."""
    found = Counter()
    for path in sorted(Path(root).glob("*/*.log.gz")):
        for line in gzip.decompress(path.read_bytes()).decode().splitlines():
            if line.startswith("#"):
                continue
            fields = line.split("\t")
            found[(path.name.split(".", 1)[0], fields[1], fields[0])] += 1
    return found


def expected_records(start: float, seed: int, count: int, span: float) -> Counter:
    out = Counter()
    for log, record in OfficeTraffic(seed).records(start, count, span):
        out[(log, record["uid"], f"{record['ts']:.6f}")] += 1
    return out
