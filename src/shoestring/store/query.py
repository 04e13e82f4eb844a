"""Query the store with DuckDB: one view per log over its Parquet copies (a daily file per
closed day, hourly files for the open one), Zeek's field names as columns, ts a timestamp
(UTC), files pruned by time range from the ledger, every query under a time limit (a timer
thread interrupts DuckDB).

duckdb is imported inside the functions that use it, so commands that never query (and
`shoestring --help`) do not pay for loading it."""

from __future__ import annotations

import calendar
import os
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

from ..errors import UserError
from ..logs import schema as schemas
from . import catalog

# DuckDB's own threads: the box has two cores and a sensor running beside the query.
DUCKDB_THREADS = 2
# Zeek type -> DuckDB type, for the empty view of a log that has no files (no pyarrow).
SQL_TYPES = {"time": "TIMESTAMP", "interval": "DOUBLE", "double": "DOUBLE",
             "count": "UBIGINT", "int": "BIGINT", "port": "USMALLINT", "bool": "BOOLEAN"}


class QueryError(UserError):
    """A query that failed or ran out of time: exit 1 (the user's SQL may be fine)."""

    exit_code = 1


@dataclass
class TimeRange:
    first: float | None = None       # epoch seconds, inclusive
    last: float | None = None        # epoch seconds, exclusive

    def overlaps(self, lo: float | None, hi: float | None) -> bool:
        if lo is None or hi is None:
            return True
        return (self.first is None or hi >= self.first) and \
               (self.last is None or lo < self.last)

    @property
    def days(self) -> tuple[str | None, str | None]:
        fmt = lambda t: time.strftime("%Y-%m-%d", time.gmtime(t))   # noqa: E731
        return (fmt(self.first) if self.first is not None else None,
                fmt(self.last - 1e-6) if self.last is not None else None)


_STAMP_FORMATS = (("%Y-%m-%d", 86400), ("%Y-%m-%dT%H:%M", 60), ("%Y-%m-%d %H:%M", 60),
                  ("%Y-%m-%dT%H:%M:%S", 1), ("%Y-%m-%d %H:%M:%S", 1))


def parse_time(text: str, end: bool = False) -> float:
    """A --from/--to value (UTC): a date, date and time, or epoch seconds. For --to, a
    date means the end of that day (the range includes it)."""
    text = text.strip().rstrip("Z")
    try:
        return float(text)
    except ValueError:
        pass
    for fmt, unit in _STAMP_FORMATS:
        try:
            start = calendar.timegm(time.strptime(text, fmt))
        except ValueError:
            continue
        return float(start + unit if end else start)
    raise UserError(f"cannot read the time {text!r}: use 2026-11-28, "
                    "2026-11-28T10:00 (UTC) or epoch seconds")


def time_range(first: str | None, last: str | None) -> TimeRange:
    rng = TimeRange(parse_time(first) if first else None,
                    parse_time(last, end=True) if last else None)
    if rng.first is not None and rng.last is not None and rng.first >= rng.last:
        raise UserError("--from must be before --to")
    return rng


def parquet_entries(store, rng: TimeRange) -> dict[str, list[dict]]:
    """log -> the seal entries of its live Parquet copies whose records overlap ``rng``
    (from the ledger), each with ``file`` set to its full path."""
    out: dict[str, list[dict]] = {}
    # From the catalog (catalog.py), not by parsing the whole ledger each time.
    for path, entry in sorted(catalog.live_parquet(store).items()):
        if rng.overlaps(entry.get("first_ts"), entry.get("last_ts")):
            out.setdefault(entry["log"], []).append({**entry, "path": path,
                                                     "file": str(store.root / path)})
    return out


def parquet_files(store, rng: TimeRange) -> dict[str, list[str]]:
    """log -> its Parquet copies whose records overlap ``rng`` (from the ledger)."""
    return {log: [e["file"] for e in found]
            for log, found in parquet_entries(store, rng).items()}


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _stamp(epoch: float) -> str:
    return "TIMESTAMP " + _literal(time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))
                                   + f".{int(round(epoch % 1 * 1e6)):06d}")


def range_condition(rng: TimeRange) -> str:
    """SQL on ts for the range ('' for all time); DuckDB prunes row groups with it."""
    where = []
    if rng.first is not None:
        where.append(f"ts >= {_stamp(rng.first)}")
    if rng.last is not None:
        where.append(f"ts < {_stamp(rng.last)}")
    return " AND ".join(where)


def file_list(paths: list[str]) -> str:
    return "[" + ", ".join(_literal(p) for p in paths) + "]"


def new_connection():
    """A DuckDB connection as every query here uses it."""
    import duckdb
    # The metadata cache keeps each Parquet footer read once per connection: binding a
    # view (union_by_name) and scanning it would otherwise read every footer twice.
    con = duckdb.connect(":memory:", config={"threads": DUCKDB_THREADS})
    con.execute("SET parquet_metadata_cache = true")
    return con


def _empty_select(log_schema) -> str:
    cols = []
    for f in log_schema.fields:
        sql_type = SQL_TYPES.get(f.element_type, "VARCHAR") + ("[]" if f.container else "")
        cols.append(f"CAST(NULL AS {sql_type}) AS {_ident(f.name)}")
    return "SELECT " + ", ".join(cols) + " WHERE false"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def named_logs(sql: str) -> set[str]:
    """The logs whose name appears in ``sql`` as a word (case-insensitive, as DuckDB's
    identifiers): only those views need their files read. A superset is harmless."""
    words = {w.lower() for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", sql)}
    return {name for name in schemas.all_schemas() if name.lower() in words}


def connect(store, rng: TimeRange, logs: set[str] | None = None,
            files: dict[str, list[str]] | None = None):
    """A DuckDB connection with a view per log; the names of logs that have data. Views
    of logs not in ``logs`` (all, when None) are left empty: creating a view over files
    reads every footer (union_by_name), which is most of a small query's time."""
    import duckdb
    con = new_connection()
    files = parquet_files(store, rng) if files is None else files
    clause = f" WHERE {range_condition(rng)}" if range_condition(rng) else ""
    try:
        for name, log_schema in sorted(schemas.all_schemas().items()):
            view = _ident(name)
            if name in files and (logs is None or name in logs):
                con.execute(f"CREATE VIEW {view} AS SELECT * FROM read_parquet("
                            f"{file_list(files[name])}, union_by_name = true){clause}")
            else:
                con.execute(f"CREATE VIEW {view} AS {_empty_select(log_schema)}")
    except duckdb.Error as exc:       # a file gone or unreadable (binding reads footers)
        con.close()
        raise QueryError(f"query failed: {str(exc).splitlines()[0]}") from None
    return con, sorted(files)


def vanished(paths) -> bool:
    """Whether a file listed for a query is gone: compaction or retention replaced it
    between reading the ledger and reading the file (the caller lists again, once)."""
    return any(not os.path.exists(p) for p in paths)


@contextmanager
def time_limit(con, seconds: float):
    """Interrupt DuckDB from a timer thread when ``seconds`` pass."""
    import duckdb
    fired = threading.Event()

    def stop():
        fired.set()
        con.interrupt()

    timer = threading.Timer(seconds, stop)
    timer.daemon = True
    timer.start()
    try:
        yield
    except duckdb.Error as exc:
        if fired.is_set():
            raise QueryError(f"the query took longer than {seconds:g} s and was stopped "
                             "(narrow it with --from/--to, or raise query_timeout_s)"
                             ) from None
        raise QueryError(f"query failed: {str(exc).splitlines()[0]}") from None
    finally:
        timer.cancel()


@dataclass
class Result:
    columns: list[str]
    rows: list[tuple]
    path: str | None = None          # the log, when the result comes from exactly one


def run(store, sql: str, rng: TimeRange, timeout: float | None = None,
        limit: int | None = None) -> Result:
    timeout = timeout or store.config.query_timeout_s
    began = time.monotonic()
    files = parquet_files(store, rng)
    try:
        return _run_once(store, files, sql, rng, timeout, limit)
    except QueryError:
        if not vanished(p for paths in files.values() for p in paths):
            raise
    left = timeout - (time.monotonic() - began)
    return _run_once(store, parquet_files(store, rng), sql, rng, max(left, 0.001), limit)


def _run_once(store, files, sql: str, rng: TimeRange, timeout: float,
              limit: int | None) -> Result:
    con, _ = connect(store, rng, named_logs(sql), files)
    try:
        with time_limit(con, timeout):
            cursor = con.execute(sql)
            if cursor.description is None:
                return Result([], [])
            columns = [d[0] for d in cursor.description]
            rows = cursor.fetchmany(limit) if limit else cursor.fetchall()
    finally:
        con.close()
    return Result(columns, rows, _single_log(sql))


def _single_log(sql: str) -> str | None:
    words = set(re.findall(r'"([^"]+)"|([A-Za-z_][A-Za-z0-9_]*)', sql))
    names = {a or b for a, b in words} & set(schemas.all_schemas())
    return names.pop() if len(names) == 1 else None
