"""Retention and the disk budget: a rolling window of whole days, pruned oldest first,
each deletion recorded in the ledger so verify tells policy from tampering; and a
forecast of the window's disk use from the measured daily rate.

A day is pruned when it is older than the window *and* its newest file was sealed longer
ago than the window: logs of an old capture imported today are kept for a full window
from the import, as the law counts from when the logs were made available.
"""

from __future__ import annotations

import calendar
import shutil
import time
from collections import defaultdict
from dataclasses import dataclass

from .atomic import fsync_dir
from .ledger import read as read_ledger

DAY = 86400
# The daily rate is measured over the newest days with data: a week evens out weekends.
RATE_DAYS = 7
# Warn when the window would fill more than this share of the budget: "long before".
BUDGET_WARN_SHARE = 0.9


def day_start(day: str) -> int:
    return calendar.timegm(time.strptime(day, "%Y-%m-%d"))


def live_files(entries: list[dict]) -> dict[str, dict]:
    """path -> seal entry, for every sealed file not pruned or compacted since."""
    live: dict[str, dict] = {}
    for entry in entries:
        kind = entry.get("kind")
        if kind == "seal" and isinstance(entry.get("path"), str):
            live[entry["path"]] = entry
        elif kind in ("prune", "compact"):
            live.pop(entry.get("path"), None)
    return live


def sealed_at(entry: dict) -> float:
    """When the logs of a seal entry were sealed: a daily file made by compaction
    (compact.py) carries the newest seal time of the hourly files it replaced, so
    compacting late never extends retention."""
    value = entry.get("sources_at", entry.get("at"))
    return value if isinstance(value, (int, float)) else 0


def is_expired(day: str, newest_seal: float, now: float, window_days: int) -> bool:
    cutoff = now - window_days * DAY
    return day_start(day) + DAY <= cutoff and newest_seal <= cutoff


def prune(store, sealer, now: float | None = None) -> list[str]:
    """Delete expired days, oldest first; ledger entry first, then the file (a crash in
    between leaves a recorded deletion whose file the next run removes)."""
    now = time.time() if now is None else now
    window = store.config.retention_days
    entries, _ = read_ledger(store.ledger_path)
    by_day: dict[str, list[dict]] = defaultdict(list)
    for entry in live_files(entries).values():
        by_day[entry["day"]].append(entry)
    removed = []
    for day in sorted(by_day):
        files = by_day[day]
        if not is_expired(day, max(sealed_at(e) for e in files), now, window):
            continue
        sealer.record([{"kind": "prune", "path": e["path"], "day": day,
                        "sha256": e["sha256"], "of_seq": e["seq"], "reason": "retention",
                        "window_days": window, "at": round(now, 6)}
                       for e in sorted(files, key=lambda e: e["path"])])
        removed.extend(e["path"] for e in files)
    # Remove every file whose deletion is recorded (this run's and any a crash left).
    pruned = {e["path"] for e in entries if e.get("kind") == "prune"} | set(removed)
    live_days = {e["day"] for e in live_files(read_ledger(store.ledger_path)[0]).values()}
    for path in sorted(pruned):
        (store.root / path).unlink(missing_ok=True)
    for day in {p.split("/", 1)[0] for p in pruned} - live_days:
        folder = store.root / day
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    if removed:
        fsync_dir(store.root)
    return removed


@dataclass
class Forecast:
    daily_bytes: float          # measured, over the newest RATE_DAYS days with data
    window_days: int
    window_bytes: float         # daily_bytes * window_days
    budget_bytes: float
    used_bytes: int

    @property
    def fits(self) -> bool:
        return self.window_bytes <= self.budget_bytes * BUDGET_WARN_SHARE

    @property
    def days_until_full(self) -> float | None:
        if self.daily_bytes <= 0:
            return None
        return max(0.0, (self.budget_bytes - self.used_bytes) / self.daily_bytes)

    def warning(self) -> str | None:
        if self.fits:
            return None
        days = self.days_until_full
        return (f"the {self.window_days}-day retention window needs "
                f"{self.window_bytes / 1e9:.1f} GB at {self.daily_bytes / 1e6:.1f} MB/day, "
                f"but the budget is {self.budget_bytes / 1e9:.1f} GB: the store fills in "
                f"about {days:.0f} days; add disk or raise disk_budget_gb")


def usage(entries: list[dict]) -> dict[str, dict[str, list[int]]]:
    """day -> log -> [records, bytes] of the live files (Zeek logs and Parquet copies)."""
    out: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for entry in live_files(entries).values():
        cell = out[entry["day"]][entry["log"]]
        if entry.get("form") == "zeek":
            cell[0] += entry.get("records") or 0
        cell[1] += entry.get("size") or 0
    return out


def forecast(store, entries: list[dict]) -> Forecast:
    per_day = {day: sum(c[1] for c in logs.values()) for day, logs in usage(entries).items()}
    recent = sorted(per_day)[-RATE_DAYS:]
    daily = sum(per_day[d] for d in recent) / len(recent) if recent else 0.0
    used = sum(per_day.values())
    budget = store.config.disk_budget_gb * 1e9
    if budget <= 0:
        budget = used + shutil.disk_usage(store.root).free
    window = store.config.retention_days
    return Forecast(daily, window, daily * window, budget, used)
