"""shoestring anchor: print the store's signed head, to be kept off the box (a file, syslog,
an email); `verify --anchor FILE` later proves no newer entries were deleted."""

from __future__ import annotations

import json
import sys

from ..store import config as configmod

# Store modules are imported in run(): `shoestring --help` loads none of them.

ORDER = 45


def register(subparsers) -> None:
    p = subparsers.add_parser("anchor", help="print the signed head to copy off the box",
                              description=__doc__)
    configmod.add_store_argument(p)
    p.add_argument("--public-key", action="store_true",
                   help="print the store's public key (PEM) instead")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..store import keys
    from ..store.layout import store_from_args
    from ..store.ledger import read as read_ledger
    from ..store.seal import make_anchor

    store = store_from_args(args)
    if args.public_key:
        sys.stdout.write(keys.public_pem(store.public_key()).decode())
        return 0
    entries, _ = read_ledger(store.ledger_path)
    print(json.dumps(make_anchor(store, entries), sort_keys=True))
    return 0
