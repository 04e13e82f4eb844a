"""shoestring verify: re-hash every file, walk the ledger's chain and the signed day heads,
check an anchor; name each problem; exit 1 on any."""

from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from ..store import config as configmod

# Store modules are imported in run(): `shoestring --help` loads none of them.

ORDER = 40


def register(subparsers) -> None:
    p = subparsers.add_parser("verify", help="check the store has not been tampered with",
                              description=__doc__)
    configmod.add_store_argument(p)
    p.add_argument("--from", dest="first", metavar="DAY", help="first day to re-hash")
    p.add_argument("--to", dest="last", metavar="DAY", help="last day to re-hash")
    p.add_argument("--anchor", metavar="FILE",
                   help="an anchor saved by `shoestring anchor` (catches deleted newest days)")
    p.add_argument("--key", metavar="PUB",
                   help="check signatures with this public key instead of the store's copy")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..store import keys
    from ..store.layout import store_from_args
    from ..store.query import time_range
    from ..store.verify import load_anchor, save_result, verify

    store = store_from_args(args)
    days = time_range(args.first, args.last).days
    anchor = public = None
    if args.anchor:
        try:
            anchor = load_anchor(Path(args.anchor))
        except (OSError, ValueError) as exc:
            raise UserError(f"cannot read the anchor: {exc}") from None
    if args.key:
        try:
            public = keys.load_public(Path(args.key))
        except (OSError, ValueError) as exc:
            raise UserError(f"cannot read the public key: {exc}") from None
    report = verify(store, first_day=days[0], last_day=days[1], anchor=anchor, public=public)
    for problem in report.problems:
        print(problem)
    print(report.summary())
    save_result(store, report)
    return 0 if report.ok else 1
