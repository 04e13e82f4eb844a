"""status: what the store holds (days, gaps, records and bytes per day and log), whether
the retention window fits the disk at the measured rate, and the last verify result."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from .ledger import read as read_ledger
from .retention import Forecast, forecast, usage
from .seal import read_json
from .verify import LAST_VERIFY


@dataclass
class Status:
    days: list[str]
    gaps: list[tuple[str, str]]          # (first missing day, last missing day)
    per_day: dict[str, dict[str, list[int]]]
    forecast: Forecast
    last_verify: dict | None
    open_journals: int
    warnings: list[str]


def gaps(days: list[str]) -> list[tuple[str, str]]:
    out = []
    parsed = [dt.date.fromisoformat(d) for d in days]
    for a, b in zip(parsed, parsed[1:]):
        if (b - a).days > 1:
            out.append(((a + dt.timedelta(1)).isoformat(), (b - dt.timedelta(1)).isoformat()))
    return out


def status(store) -> Status:
    entries, _ = read_ledger(store.ledger_path)
    per_day = usage(entries)
    days = sorted(per_day)
    fc = forecast(store, entries)
    warnings = list(store.config.warnings)
    if fc.warning():
        warnings.append(fc.warning())
    journals = len(list(store.journal_dir.glob("*.jnl"))) if store.journal_dir.is_dir() else 0
    return Status(days, gaps(days), {d: dict(per_day[d]) for d in days}, fc,
                  read_json(store.state_dir / LAST_VERIFY), journals, warnings)


def render(st: Status, store_root, max_days: int = 14) -> str:
    lines = [f"store {store_root}"]
    if not st.days:
        lines.append("no logs yet: import a capture with `shoestring read FILE --store DIR`")
    else:
        lines.append(f"days: {st.days[0]} .. {st.days[-1]} ({len(st.days)} with logs)")
        for a, b in st.gaps:
            lines.append(f"  gap: {a}" + (f" .. {b}" if b != a else "") + " (no logs)")
        logs = sorted({log for d in st.days for log in st.per_day[d]})
        lines.append("")
        lines.append("day         " + "".join(f"{log:>16}" for log in logs) + "           bytes")
        shown = st.days[-max_days:]
        if len(st.days) > len(shown):
            lines.append(f"  ... {len(st.days) - len(shown)} older days")
        for day in shown:
            row = st.per_day[day]
            cells = "".join(f"{row.get(log, [0, 0])[0]:>16,}" for log in logs)
            total = sum(c[1] for c in row.values())
            lines.append(f"{day}  {cells}{_size(total):>16}")
    fc = st.forecast
    lines.append("")
    lines.append(f"retention: {fc.window_days} days; measured {_size(fc.daily_bytes)}/day; "
                 f"the window needs {_size(fc.window_bytes)} of a {_size(fc.budget_bytes)} "
                 f"budget ({_size(fc.used_bytes)} used)")
    if st.open_journals:
        lines.append(f"open journals: {st.open_journals} (an import is running or was "
                     "interrupted; the next write finishes it)")
    lv = st.last_verify
    if lv:
        when = dt.datetime.fromtimestamp(lv.get("at", 0), dt.timezone.utc)
        lines.append(f"last verify: {when:%Y-%m-%d %H:%M:%S}Z {lv.get('summary')}")
    else:
        lines.append("last verify: never (run `shoestring verify`)")
    for warning in st.warnings:
        lines.append(f"WARNING: {warning}")
    return "\n".join(lines)


def as_json(st: Status) -> str:
    fc = st.forecast
    return json.dumps({"days": st.days, "gaps": st.gaps, "per_day": st.per_day,
                       "daily_bytes": fc.daily_bytes, "window_days": fc.window_days,
                       "window_bytes": fc.window_bytes, "budget_bytes": fc.budget_bytes,
                       "fits": fc.fits, "last_verify": st.last_verify,
                       "warnings": st.warnings})


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"
