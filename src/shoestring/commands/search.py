"""shoestring search TERM: find an IP, a CIDR, a domain and its subdomains, a uid, a
community id or a file hash in every log, newest first."""

from __future__ import annotations

import sys

from ..store import config as configmod
from ._results import add_format_arguments, json_line, print_result

ORDER = 55
DEFAULT_LIMIT = 1000        # as store.search.DEFAULT_LIMIT (a test keeps them equal)


def register(subparsers) -> None:
    p = subparsers.add_parser("search", help="find an IP, CIDR, domain, uid, community id "
                                             "or file hash in every log", description=__doc__)
    p.add_argument("term", metavar="TERM")
    configmod.add_store_argument(p)
    add_format_arguments(p)
    p.add_argument("--limit", type=int, default=DEFAULT_LIMIT, metavar="N",
                   help=f"at most N records per log (default {DEFAULT_LIMIT})")
    p.set_defaults(func=run)


def run(args) -> int:
    # Imported here: duckdb loads only for the commands that query.
    from ..store import query
    from ..store.layout import store_from_args
    from ..store.search import search

    store = store_from_args(args)
    hits = search(store, args.term, query.time_range(args.first, args.last), args.limit)
    if not hits:
        print(f"no records match {args.term}", file=sys.stderr)
        return 0
    if args.format == "json":
        # One timeline across the logs, newest first, each line naming its log.
        merged = [(row[h.columns.index("ts")] if "ts" in h.columns else None, h, row)
                  for h in hits for row in h.rows]
        merged.sort(key=lambda m: (m[0] is not None, m[0] or 0), reverse=True)
        for _, h, row in merged:
            print(json_line(h.columns, row, h.log))
        return 0
    for i, h in enumerate(hits):
        if args.format == "table":
            print(("\n" if i else "") + f"{h.log}: {len(h.rows)} record(s), newest first")
        print_result(args.format, h.columns, h.rows, h.log)
    return 0
