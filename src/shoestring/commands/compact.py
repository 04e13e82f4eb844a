"""shoestring compact: merge the hourly Parquet copies of each closed day into one sealed
Parquet file per log and day (the Zeek logs stay as they are). Imports and the live writer
do this themselves when a day closes; this command catches up an older store."""

from __future__ import annotations

import sys

from ..store import config as configmod

ORDER = 62


def register(subparsers) -> None:
    p = subparsers.add_parser("compact", help="merge closed days' hourly Parquet copies "
                                              "into daily files", description=__doc__)
    configmod.add_store_argument(p)
    p.add_argument("--day", action="append", metavar="DAY",
                   help="only this day (YYYY-MM-DD; repeatable); default every closed day")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..store.compact import compact_closed
    from ..store.layout import store_from_args

    store = store_from_args(args)
    store.lock()
    try:
        outcome = compact_closed(store, days=args.day)
    finally:
        store.unlock()
    for problem in outcome.problems:
        print(f"not compacted: {problem}", file=sys.stderr)
    print(f"compacted {len(outcome.days)} day(s): {outcome.files_in} hourly Parquet files "
          f"into {outcome.files_out} daily files")
    return 1 if outcome.problems else 0
