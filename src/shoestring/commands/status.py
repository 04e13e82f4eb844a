"""shoestring status: days covered and gaps, records and bytes per day by log, the disk the
retention window needs at the current rate, and the last verify result."""

from __future__ import annotations

from ..store import config as configmod
from ..store.layout import store_from_args
from ..store.status import as_json, render, status

ORDER = 60


def register(subparsers) -> None:
    p = subparsers.add_parser("status", help="what the store holds and whether it fits",
                              description=__doc__)
    configmod.add_store_argument(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args) -> int:
    store = store_from_args(args)
    st = status(store)
    print(as_json(st) if args.json else render(st, store.root))
    return 0
