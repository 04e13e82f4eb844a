"""shoestring query "SQL": DuckDB SQL over the store; one view per log (conn, dns, http,
ssl, ...) with Zeek's field names as columns, e.g. SELECT "id.orig_h" FROM conn."""

from __future__ import annotations

from ..store import config as configmod
from ._results import add_format_arguments, print_result

ORDER = 50


def register(subparsers) -> None:
    p = subparsers.add_parser("query", help="run SQL over the stored logs (DuckDB)",
                              description=__doc__)
    p.add_argument("sql", metavar="SQL")
    configmod.add_store_argument(p)
    add_format_arguments(p)
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="print at most N rows")
    p.set_defaults(func=run)


def run(args) -> int:
    # Imported here: duckdb loads only for the commands that query.
    from ..store import query
    from ..store.layout import store_from_args

    store = store_from_args(args)
    result = query.run(store, args.sql, query.time_range(args.first, args.last),
                       limit=args.limit)
    if result.columns:
        print_result(args.format, result.columns, result.rows, result.path)
    return 0
