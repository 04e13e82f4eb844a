"""Compaction: once a day is closed, its hourly Parquet copies of each log become one
Parquet file per log and day, sorted by ts, with row groups and Bloom filters sized so
DuckDB skips most of the file in a search. The Zeek logs (the evidence) stay as they are.

Why: a search or a GROUP BY over 30 days opened 2,880 hourly Parquet footers; with daily
files it opens 120, and a search for one address reads only the row groups whose Bloom
filter (or min/max) admits it.

The replacement is sealed like everything else: the daily file gets a seal entry listing
the files it ``compacts``, and each hourly file a ``compact`` entry (its SHA-256, the seq
of its seal, the file it went ``into``), so verify tells compaction from deletion. Before
merging, each hourly file is re-hashed against its seal: a tampered copy is never laundered
into a freshly sealed one (it is left for verify to report).

Crash safety, in order: an intent file in .journal/ names the daily files about to be
written; they are written atomically; one ledger append seals them and records the
replacements; the hourly files are removed; the intent is removed. After a crash, recovery
reads the intent: a daily file that never got sealed is removed (the hourly files are
still live), and hourly files whose replacement was recorded are removed.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..logs import schema as schemas
from . import catalog
from .atomic import fsync_dir, remove_temps, write_atomic, write_many
from .ledger import read as read_ledger
from .retention import DAY, day_start, live_files
from .seal import Sealer, read_json, seal_entry

# A daily file is <day>/<log>.day.parquet (.day.2.parquet, ... when a day is compacted
# again after an old capture added hours to it): never the name of an hourly copy.
DAY_MARK = ".day"
PARQUET = ".parquet"
INTENT_PREFIX = "compact-"
# Rows per row group of a daily file. The unit DuckDB skips by min/max and Bloom filter:
# smaller skips more precisely but each group costs footer bytes and a Bloom filter; at
# 300,000 conn records a day this is ~37 groups (about 40 minutes each). A search decodes
# every column of each group holding a hit: on the bench store (30 hits of a rare IP),
# 32k-row groups took 0.42 s for that, 16k 0.20 s, 8k 0.10 s, while a GROUP BY over all
# conn stayed within noise of the 32k figure.
DAY_ROW_GROUP_ROWS = 8 * 1024
# False-positive rate of the Bloom filters: 2 % costs ~1 byte per distinct value.
BLOOM_FPP = 0.02
# Columns searched by equality (search.py): an IP, a uid, a community id.
BLOOM_NAMES = frozenset({"uid", "fuid", "community_id"})


class CompactError(Exception):
    """A source file does not match its seal: left alone, for verify to report."""


def daily_path(day: str, log: str, n: int = 1) -> str:
    return f"{day}/{log}{DAY_MARK}" + (f".{n}" if n > 1 else "") + PARQUET


DAILY_RE = re.compile(r"^[^./]+\.day(\.[0-9]+)?\.parquet$")
# An intent names files as <day>/<name>; anything else (a hostile or corrupt intent) is
# ignored, so recovery never removes a file outside the day folders.
REL_PATH_RE = re.compile(r"^\d{4}-\d{2}-\d{2}/[^/\x00]+$")
DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def is_daily(path: str) -> bool:
    return DAILY_RE.match(path.rsplit("/", 1)[-1]) is not None


@dataclass
class Outcome:
    days: list[str] = field(default_factory=list)
    files_in: int = 0
    files_out: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, other: "Outcome") -> None:
        self.days += other.days
        self.files_in += other.files_in
        self.files_out += other.files_out
        self.problems += other.problems


def pending_days(live_parquet: dict[str, dict], before: float) -> list[str]:
    """Days that ended before ``before`` and still have a log held in more than one
    Parquet file, or in an hourly one (``live_parquet``: path -> entry with day, log)."""
    per: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path, entry in live_parquet.items():
        day = entry.get("day")
        if isinstance(day, str) and DAY_RE.match(day):
            per[(day, entry.get("log"))].append(path)
    return sorted({day for (day, _), paths in per.items()
                   if day_start(day) + DAY <= before
                   and (len(paths) > 1 or not is_daily(paths[0]))})


def compact_closed(store, sealer: Sealer | None = None, before: float | None = None,
                   days: list[str] | None = None) -> Outcome:
    """Compact every closed day (ended before ``before``, default now), or just ``days``.
    The caller holds the store's writer lock."""
    before = time.time() if before is None else before
    entries = None
    if sealer is None:
        # Not called by a writer (which did this when it opened): a crash between a
        # ledger append and the signing of its day's head is finished here.
        entries, _ = read_ledger(store.ledger_path)
        sealer = Sealer(store, entries)
        sealer.resign_unsigned(entries)
    recover(store)
    # The catalog says cheaply whether there is anything to do; the ledger itself (read
    # whole, once) is what the work is based on.
    todo = pending_days(catalog.live_parquet(store), before)
    if days is not None:
        todo = [d for d in todo if d in set(days)]
    outcome = Outcome()
    if not todo:
        return outcome
    if entries is None:
        entries, _ = read_ledger(store.ledger_path)
    todo = [d for d in pending_days(_parquet(entries), before) if d in set(todo)]
    session = f"compact-{int(time.time()):010x}-{uuid.uuid4().hex[:8]}"
    for day in todo:
        outcome.add(compact_day(store, sealer, day, entries, session))
    return outcome


def _parquet(entries: list[dict]) -> dict[str, dict]:
    return {path: e for path, e in live_files(entries).items() if e.get("form") == "parquet"}


def compact_day(store, sealer: Sealer, day: str, entries: list[dict],
                session: str) -> Outcome:
    """Compact one day's logs; the ledger entries written are appended to ``entries``."""
    outcome = Outcome()
    live = live_files(entries)
    ever = {e.get("path") for e in entries if e.get("kind") == "seal"}
    by_log: dict[str, list[dict]] = defaultdict(list)
    for path, entry in live.items():
        if entry.get("day") == day and entry.get("form") == "parquet":
            by_log[entry["log"]].append(entry)
    plans = []          # (target, sources, table)
    for log, sources in sorted(by_log.items()):
        if len(sources) == 1 and is_daily(sources[0]["path"]):
            continue
        sources.sort(key=lambda e: (e.get("first_ts") is None, e.get("first_ts") or 0,
                                    e["path"]))
        try:
            table = _merge(store.root, log, sources)
        except CompactError as exc:
            outcome.problems.append(str(exc))
            continue
        n = 1
        while daily_path(day, log, n) in ever or (store.root / daily_path(day, log, n)
                                                   ).exists():
            n += 1
        plans.append((daily_path(day, log, n), sources, table))
    if not plans:
        return outcome
    intent = store.journal_dir / f"{INTENT_PREFIX}{day}.json"
    write_atomic(intent, json.dumps({
        "day": day, "targets": [t for t, _, _ in plans],
        "sources": [e["path"] for _, srcs, _ in plans for e in srcs]}).encode())
    write_many([(store.root / target, day_bytes(table)) for target, _, table in plans])
    now = round(time.time(), 6)
    ledger_entries = []
    for target, sources, table in plans:
        seal = seal_entry(store.root, target, log=sources[0]["log"], form="parquet",
                          records=table.num_rows, **_bounds(sources),
                          clock_sync=_one(e.get("clock_sync") for e in sources),
                          session=session)
        # Retention counts from when the logs were sealed, not from the compaction.
        seal["compacts"] = [e["path"] for e in sources]
        seal["sources_at"] = max(e.get("sources_at", e.get("at", 0)) for e in sources)
        ledger_entries.append(seal)
        ledger_entries += [{"kind": "compact", "path": e["path"], "day": day,
                            "log": e["log"], "sha256": e["sha256"], "of_seq": e["seq"],
                            "into": target, "at": now} for e in sources]
    entries += sealer.record(ledger_entries)
    _finish(store, intent, [e["path"] for _, srcs, _ in plans for e in srcs])
    outcome.days.append(day)
    outcome.files_in += sum(len(s) for _, s, _ in plans)
    outcome.files_out += len(plans)
    return outcome


def _merge(root: Path, log: str, sources: list[dict]):
    """The sources' records (each re-hashed against its seal first), sorted by ts."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    tables = []
    for entry in sources:
        try:
            data = (root / entry["path"]).read_bytes()
        except OSError as exc:
            raise CompactError(f"{entry['path']}: cannot be read ({exc.strerror}); "
                               f"{log} of {entry['day']} not compacted") from None
        if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            raise CompactError(f"{entry['path']}: does not match its seal; {log} of "
                               f"{entry['day']} not compacted (run `shoestring verify`)")
        table = pq.read_table(pa.BufferReader(data))
        if table.num_rows != (entry.get("records") or 0):
            raise CompactError(f"{entry['path']}: holds {table.num_rows} records, its seal "
                               f"says {entry.get('records')}; not compacted")
        tables.append(table)
    table = pa.concat_tables(tables, promote_options="permissive")
    if "ts" in table.column_names and table.num_rows:
        # Stable sort: records of one ts keep the order they were written in.
        order = pc.sort_indices(table, [("ts", "ascending")])   # nulls last
        table = table.take(order)
    return table


def day_bytes(table) -> bytes:
    """A daily file: zstd, ts-sorted row groups of DAY_ROW_GROUP_ROWS with min/max
    statistics, and a Bloom filter per address/uid column for equality searches."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    blooms = {}
    for name in table.column_names:
        column = table.column(name)
        if column.type != pa.string() or not (name in BLOOM_NAMES or _is_addr(name)):
            continue
        distinct = pc.count_distinct(column).as_py() if table.num_rows else 0
        # Sized for one row group's distinct values: fewer bytes, same false-positive rate.
        blooms[name] = {"ndv": max(1, min(distinct, DAY_ROW_GROUP_ROWS)), "fpp": BLOOM_FPP}
    sink = io.BytesIO()
    sorting = [pq.SortingColumn(table.column_names.index("ts"))] \
        if "ts" in table.column_names else None
    pq.write_table(table, sink, compression="zstd", row_group_size=DAY_ROW_GROUP_ROWS,
                   write_statistics=True, sorting_columns=sorting,
                   bloom_filter_options=blooms or None)
    return sink.getvalue()


_ADDR_CACHE: dict[str, bool] = {}


def _is_addr(name: str) -> bool:
    """Whether any log declares ``name`` as a scalar addr field."""
    if not _ADDR_CACHE:
        for log_schema in schemas.all_schemas().values():
            for f in log_schema.fields:
                if f.element_type == "addr" and not f.container:
                    _ADDR_CACHE[f.name] = True
        _ADDR_CACHE.setdefault("", False)
    return _ADDR_CACHE.get(name, False)


def _bounds(sources: list[dict]) -> dict:
    firsts = [e["first_ts"] for e in sources if e.get("first_ts") is not None]
    lasts = [e["last_ts"] for e in sources if e.get("last_ts") is not None]
    return {"first_ts": min(firsts) if firsts else None,
            "last_ts": max(lasts) if lasts else None}


def _one(values) -> str | None:
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else "mixed"


def _finish(store, intent: Path, sources: list[str]) -> None:
    folders = set()
    for path in sources:
        target = store.root / path
        target.unlink(missing_ok=True)
        folders.add(target.parent)
    for folder in folders:
        if folder.is_dir():
            fsync_dir(folder)
    intent.unlink(missing_ok=True)
    fsync_dir(intent.parent)


def recover(store) -> int:
    """Finish or undo compactions a crash interrupted (see the module docstring); the
    number of intents handled. The caller holds the writer lock."""
    intents = sorted(store.journal_dir.glob(f"{INTENT_PREFIX}*.json")) \
        if store.journal_dir.is_dir() else []
    if not intents:
        return 0
    entries, _ = read_ledger(store.ledger_path)
    sealed = {e.get("path") for e in entries if e.get("kind") == "seal"}
    replaced = {e.get("path") for e in entries if e.get("kind") == "compact"}
    for intent in intents:
        plan = read_json(intent) or {}
        day = plan.get("day")
        if isinstance(day, str) and DAY_RE.match(day) and (store.root / day).is_dir():
            remove_temps(store.root / day)
        for target in _paths(plan.get("targets")):
            if target not in sealed and is_daily(target):
                (store.root / target).unlink(missing_ok=True)
        done = [p for p in _paths(plan.get("sources")) if p in replaced]
        _finish(store, intent, done)
    return len(intents)



def _paths(value) -> list[str]:
    if not isinstance(value, list):
        return []
    return [p for p in value if isinstance(p, str) and REL_PATH_RE.match(p)
            and ".." not in p]
