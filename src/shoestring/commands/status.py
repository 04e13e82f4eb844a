"""shoestring status: days covered and gaps, records and bytes per day by log, the disk the
retention window needs at the current rate, the last verify result, and the live
sensor's newest health (rates, kernel drops, capture loss, memory). Closed days still
held in hourly Parquet copies are compacted first (unless a writer holds the store)."""

from __future__ import annotations

import sys

from ..errors import UserError
from ..store import config as configmod

# Store modules are imported in run(): `shoestring --help` loads none of them.

ORDER = 60


def register(subparsers) -> None:
    p = subparsers.add_parser("status", help="what the store holds and whether it fits",
                              description=__doc__)
    configmod.add_store_argument(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--no-compact", action="store_true",
                   help="do not compact closed days first (status only reads)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..store.layout import store_from_args
    from ..store.status import as_json, render, status

    store = store_from_args(args)
    if not args.no_compact:
        _compact(store)
    st = status(store)
    from ..store import sensor_health

    health = sensor_health.latest(store)
    if args.json:
        import json
        doc = json.loads(as_json(st))
        doc["sensor"] = health
        print(json.dumps(doc, indent=2, default=str))
    else:
        print(render(st, store.root))
        print("\n".join(sensor_health.render(health)))
    return 0


def _compact(store) -> None:
    """Compact closed days if no writer holds the store (a running writer does it itself
    at its next day's rotation)."""
    from ..store.compact import compact_closed

    try:
        store.lock()
    except (UserError, OSError):
        return              # a writer holds it, or this user may not write the store
    try:
        outcome = compact_closed(store)
    except OSError as exc:
        print(f"compaction skipped: {exc}", file=sys.stderr)
        return
    finally:
        store.unlock()
    if outcome.days:
        print(f"compacted {len(outcome.days)} closed day(s): {outcome.files_in} hourly "
              f"Parquet files into {outcome.files_out}", file=sys.stderr)
    for problem in outcome.problems:
        print(f"compaction: {problem}", file=sys.stderr)
