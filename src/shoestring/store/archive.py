"""StoreOutput: logs into the store, rotated hourly by network time, sealed, crash-safe.

Placement follows Zeek's rotation: a record goes into the file of the hour the *network
clock* is in when it is written (the clock is the newest record end seen: ts, plus
duration for conn), so a connection's record written when it ends sits in the hour it
ended, and an hour file is written once. A record far older than the clock
(``RESET_GAP``) starts a new timeline: an older capture lands on its own days. If that
hour is already sealed, the new file gets a sequence number (``conn.10:00:00-11:00:00.2.log.gz``).

Records are journaled (journal.py) at most ``flush_interval_s`` after they arrive; at the
hour's end the file is written (temp, fsync, rename, fsync folder), with its Parquet copy,
then sealed. Once a day is closed (the network clock has moved past it, or at the end of
an import for days before today), its hourly Parquet copies are compacted into one file
per log (compact.py). With ``source`` set (e.g. a capture's SHA-256), an interrupted import is
resumed: the records the journal already holds are skipped when the same capture is read
again, and a finished import is not written twice.
"""

from __future__ import annotations

import calendar
import gzip
import hashlib
import sys
import threading
import time
import uuid
from pathlib import Path

import pyarrow.compute as pc

from ..logs import schema as schemas
from ..logs.zeek_tsv import TsvFormat
from . import compact, index, journal, retention
from .atomic import fsync_dir, remove_temps, write_atomic, write_many
from .layout import Store
from .ledger import read as read_ledger
from .config import resolve_store_dir
from .seal import Sealer, file_digest, seal_entry

HOUR = 3600
# A record this much older than the network clock belongs to another capture/timeline.
# Longer than Zeek's longest usual write delay (a long connection's ssl/http records).
RESET_GAP = 6 * HOUR
# Retention runs at most this often while writing (it reads the whole ledger).
PRUNE_EVERY_S = 3600.0
SUFFIXES = {"gzip": ".log.gz", "zstd": ".log.zst"}
PARQUET = ".parquet"


def hour_stem(log: str, hour: int, n: int = 1) -> str:
    day = time.strftime("%Y-%m-%d", time.gmtime(hour))
    start = time.strftime("%H:%M:%S", time.gmtime(hour))
    # As Zeek's archiver names them: the last hour of a day ends at 00:00:00.
    end = time.strftime("%H:%M:%S", time.gmtime(hour + HOUR))
    return f"{day}/{log}.{start}-{end}" + (f".{n}" if n > 1 else "")


def stem_hour(stem: str) -> int:
    day, name = stem.split("/", 1)
    start = name.split(".", 1)[1][:8]
    return calendar.timegm(time.strptime(f"{day} {start}", "%Y-%m-%d %H:%M:%S"))


def stem_of(path: str) -> str:
    for suffix in (*SUFFIXES.values(), PARQUET):
        if path.endswith(suffix):
            return path[:-len(suffix)]
    return path


class _OpenFile:
    __slots__ = ("log", "stem", "hour", "lines", "own")

    def __init__(self, log: str, stem: str, hour: int):
        self.log, self.stem, self.hour = log, stem, hour
        self.lines: list[str] = []
        self.own: set[int] = set()       # indexes of lines the store added itself


class StoreOutput:
    """The LogOutput of the store (see logs/output.py)."""

    def __init__(self, store, *, source: str | None = None, clock_sync: str | None = None,
                 compression: str | None = None, only: set[str] | None = None,
                 compaction: bool = True):
        self.only = only
        self.compaction = compaction
        self.compact_outcome = compact.Outcome()
        self._touched: set[str] = set()   # days this writer sealed files in
        self._compactor: threading.Thread | None = None
        self.store = store if isinstance(store, Store) else Store.open(store)
        self.store.lock()
        config = self.store.config
        self.compression = compression or config.compression
        self.flush_interval = config.flush_interval_s
        self.source, self.clock_sync = source, clock_sync
        self.session = f"{int(time.time()):010x}-{uuid.uuid4().hex[:8]}"
        entries, _ = read_ledger(self.store.ledger_path)
        self.sealer = Sealer(self.store, entries)
        self.sealer.resign_unsigned(entries)
        compact.recover(self.store)
        self.sealed_stems = {stem_of(e["path"]) for e in entries if e.get("kind") == "seal"}
        imported = {e.get("source") for e in entries if e.get("kind") == "import"}
        self._formats: dict[str, TsvFormat] = {}
        self._open: dict[str, _OpenFile] = {}
        self.clock: float | None = None
        self._hour: int | None = None
        self.counts: dict[str, int] = {}
        self.already_imported = source is not None and source in imported
        old, adopted, progress = self._recover()
        kept = self._adopt(adopted)
        if source is None:
            progress = kept          # nothing to resume: only the adopted lines count
        self.taken = progress
        self.skip = float("inf") if self.already_imported else progress
        self.skipped = 0
        self.seg = 0
        # Whole, and superseding every old segment, before those are removed.
        self.journal = journal.SegmentWriter(self.store.journal_dir, self.session, source,
                                             progress - kept, 0, self._open_lines(),
                                             [path.name for path in old])
        for path in old:
            path.unlink(missing_ok=True)
        fsync_dir(self.store.journal_dir)
        self._last_flush = time.monotonic()
        self._last_prune = 0.0
        self._maybe_prune()

    # --- the LogOutput contract ---------------------------------------------------------
    def write(self, log: str, record: dict) -> None:
        if self.only is not None and log not in self.only:
            return
        ts = record.get("ts")
        end = ts + (record.get("duration") or 0.0) if ts is not None else self.clock or 0.0
        clock, reset = self.clock, False
        if clock is None or end > clock:
            self.clock = end
        elif end < clock - RESET_GAP:
            self.clock, reset = end, True
        if self.skip:
            self.skip -= 1
            self.skipped += 1
            return
        hour = int(self.clock // HOUR) * HOUR
        if hour != self._hour:
            self._hour = hour
            if self._open:
                self._rotate(reset)
        handle = self._open.get(log)
        if handle is None:
            handle = self._start(log, hour)
        line = self._format(log).line(record)
        handle.lines.append(line)
        self.journal.pending.append(f"{log}\t{handle.stem}\t{line}")
        self.taken += 1
        self.counts[log] = self.counts.get(log, 0) + 1
        if time.monotonic() - self._last_flush >= self.flush_interval:
            self.flush()

    def _write_own(self, log: str, record: dict) -> None:
        """A record the store adds itself (a disk-budget notice): journaled with a mark,
        so it never counts as one of the import's records."""
        handle = self._open.get(log)
        if handle is None:
            handle = self._start(log, int(self.clock // HOUR) * HOUR)
        line = self._format(log).line(record)
        handle.own.add(len(handle.lines))
        handle.lines.append(line)
        self.journal.pending.append(f"{journal.OWN_PREFIX}{log}\t{handle.stem}\t{line}")
        self.counts[log] = self.counts.get(log, 0) + 1

    def flush(self) -> None:
        self.journal.flush(sync=True)
        self._last_flush = time.monotonic()

    def close(self) -> None:
        """Seal every open file and, for an import, record that it finished."""
        self.journal.flush(sync=True)
        self._close_files(list(self._open.values()))
        if self.source is not None and not self.already_imported:
            self.sealer.record([{"kind": "import", "source": self.source,
                                 "records": self.taken, "session": self.session,
                                 "at": round(time.time(), 6)}])
        self.journal.close()
        self.journal.path.unlink(missing_ok=True)
        fsync_dir(self.store.journal_dir)
        # Days before today are closed once the import ends (today may get more hours):
        # every such day, so an interrupted compaction or an older store catches up here.
        self._join_compactor()
        self._compact(before=time.time(), every=True)
        self.store.unlock()

    def abort(self) -> None:
        """Stop without sealing (the input failed): the next run resumes from the journal."""
        self.journal.flush(sync=True)
        self.journal.close()
        self._join_compactor()
        self.store.unlock()

    # --- files ----------------------------------------------------------------------------
    def _format(self, log: str) -> TsvFormat:
        fmt = self._formats.get(log)
        if fmt is None:
            fmt = self._formats[log] = TsvFormat(schemas.get(log))
        return fmt

    def _start(self, log: str, hour: int) -> _OpenFile:
        n = 1
        while hour_stem(log, hour, n) in self.sealed_stems:
            n += 1
        handle = self._open[log] = _OpenFile(log, hour_stem(log, hour, n), hour)
        return handle

    def _rotate(self, reset: bool) -> None:
        clock = self.clock
        done = [h for h in self._open.values() if reset or h.hour + HOUR <= clock
                or h.hour > clock]
        if not done:
            return
        # The journal first, durably: a resumed import skips what the journal counts
        # (base + lines), so it must count every record before the files holding them
        # are sealed. Sealing first left the records taken since the last flush in
        # sealed files but not in the journal: a kill -9 between the seal and this flush
        # made the resumed import write them again (duplicates in a `.2` file).
        self.journal.flush(sync=True)
        self._close_files(done)
        self.journal.close()
        previous = self.journal.path
        self.seg += 1
        kept = sum(len(h.lines) - len(h.own) for h in self._open.values())
        self.journal = journal.SegmentWriter(self.store.journal_dir, self.session,
                                             self.source, self.taken - kept, self.seg,
                                             self._open_lines(), [previous.name])
        previous.unlink(missing_ok=True)
        self._compact(before=clock, background=True)
        self._maybe_prune(check_budget=True)

    def _compact(self, before: float, every: bool = False,
                 background: bool = False) -> None:
        """Compact the days this writer touched (or, with ``every``, all days) that ended
        before ``before`` and hold no open file (their hourly files are sealed already,
        so a crash here loses nothing). At a rotation it runs in a thread: a day's
        compaction takes seconds (pyarrow releases the GIL), and the live sensor must
        not stop taking records meanwhile. One runs at a time."""
        if not self.compaction:
            return
        open_days = {h.stem.split("/", 1)[0] for h in self._open.values()}
        days = sorted(d for d in self._touched - open_days
                      if retention.day_start(d) + retention.DAY <= before)
        if not days and not every:
            return
        # Tried once: a day left (a source not matching its seal) waits for verify.
        self._touched.difference_update(days)
        self._join_compactor()
        if background:
            self._compactor = threading.Thread(target=self._run_compaction,
                                               args=(before, days), daemon=True,
                                               name="store-compaction")
            self._compactor.start()
        else:
            self._run_compaction(before, None if every else days)

    def _run_compaction(self, before: float, days: list[str] | None) -> None:
        try:
            self.compact_outcome.add(compact.compact_closed(
                self.store, self.sealer, before=before, days=days))
        except OSError as exc:
            # The hourly copies stay live and sealed: queries still work, and the next
            # close, `status` or `shoestring compact` tries again. Said, never silent.
            problem = f"compaction of {', '.join(days or ['closed days'])} failed: {exc}"
            self.compact_outcome.problems.append(problem)
            print(f"shoestring: {problem}", file=sys.stderr)

    def _join_compactor(self) -> None:
        if self._compactor is not None:
            self._compactor.join()
            self._compactor = None

    def _open_lines(self) -> list[str]:
        """The journal lines of the files still open (a new segment starts with them)."""
        lines = []
        for handle in self._open.values():
            for i, line in enumerate(handle.lines):
                prefix = journal.OWN_PREFIX if i in handle.own else ""
                lines.append(f"{prefix}{handle.log}\t{handle.stem}\t{line}")
        return lines

    def _close_files(self, handles: list[_OpenFile], clock: float | None = None) -> None:
        if not handles:
            return
        written = [self._render(handle, clock) for handle in handles]
        write_many([(self.store.root / path, data) for file_set in written
                    for path, data, _ in file_set])
        entries = [seal_entry(self.store.root, path, **meta) for file_set in written
                   for path, _, meta in file_set]
        for handle in handles:
            self.sealed_stems.add(handle.stem)
            self._touched.add(handle.stem.split("/", 1)[0])
            self._open.pop(handle.log, None)
        self.sealer.record(entries)

    def _render(self, handle: _OpenFile, clock: float | None) -> list[tuple]:
        """The Zeek log and its Parquet copy: [(path, bytes, seal metadata)]."""
        fmt = self._format(handle.log)
        clock = self.clock if clock is None else clock
        closed = min(handle.hour + HOUR, max(clock or handle.hour, handle.hour))
        body = "".join(handle.lines).encode("utf-8", "surrogateescape")
        text = fmt.header(handle.hour).encode() + body + fmt.footer(closed).encode()
        if self.compression == "zstd":
            import zstandard
            packed = zstandard.ZstdCompressor(level=3).compress(text)
        else:
            # mtime=0: the same records always give the same bytes (recovery rewrites).
            packed = gzip.compress(text, compresslevel=6, mtime=0)
        table = index.tsv_to_table(fmt.schema, body)
        first = last = None
        if table.num_rows:
            bounds = pc.min_max(table.column("ts").cast("int64"))
            if bounds["min"].is_valid:
                first, last = bounds["min"].as_py() / 1e6, bounds["max"].as_py() / 1e6
        meta = dict(log=handle.log, records=table.num_rows, first_ts=first, last_ts=last,
                    clock_sync=self.clock_sync, session=self.session)
        return [(handle.stem + SUFFIXES[self.compression], packed, {**meta, "form": "zeek"}),
                (handle.stem + PARQUET, index.parquet_bytes(table),
                 {**meta, "form": "parquet"})]

    # --- recovery ---------------------------------------------------------------------------
    def _recover(self):
        """Finish what an earlier writer left open; adopt what this import will continue."""
        for day in self.store.day_dirs():
            remove_temps(self.store.root / day)
        journal.remove_partial(self.store.journal_dir)
        paths = journal.list_segments(self.store.journal_dir)
        segments = [s for s in map(journal.read_segment, paths) if s is not None]
        progress, adopted, finish = 0, {}, []
        # A superseded segment's open lines are in the one that replaced it: read once.
        for segment in journal.live_segments(segments):
            mine = segment.source == self.source
            if mine and self.source is not None:
                progress = max(progress, segment.base + segment.records)
            for stem, (log, lines, own) in segment.files.items():
                if stem in self.sealed_stems:
                    continue
                if mine and not self.already_imported:
                    handle = adopted.setdefault(stem, _OpenFile(log, stem, stem_hour(stem)))
                    handle.own.update(len(handle.lines) + i for i in own)
                    handle.lines.extend(lines)
                else:
                    finish.append((stem, log, lines))
        for stem, log, lines in finish:
            handle = _OpenFile(log, stem, stem_hour(stem))
            handle.lines = lines
            last = max((_line_ts(line) for line in lines), default=None)
            self._close_files([handle], clock=last)
            self._open.pop(log, None)
        return paths, adopted, progress

    def _adopt(self, adopted: dict[str, _OpenFile]) -> int:
        """Reopen the files an interrupted run of this import left; their record count."""
        for handle in adopted.values():
            if handle.log in self._open:  # two hours of one log left open: finish the older
                self._close_files([self._open[handle.log]])
            self._open[handle.log] = handle
        return sum(len(h.lines) - len(h.own) for h in self._open.values())

    def _maybe_prune(self, check_budget: bool = False) -> None:
        now = time.time()
        if now - self._last_prune < PRUNE_EVERY_S:
            return
        self._last_prune = now
        retention.prune(self.store, self.sealer, now=now)
        if check_budget and self.clock is not None:
            self._budget_notice()

    def _budget_notice(self) -> None:
        """Say it loudly, once a day, in notice.log: the window will not fit the disk."""
        fc = retention.forecast(self.store, read_ledger(self.store.ledger_path)[0])
        warning = fc.warning()
        marker = self.store.state_dir / "budget-warned"
        today = time.strftime("%Y-%m-%d", time.gmtime())
        if warning is None or (marker.is_file() and marker.read_text() == today):
            return
        self._write_own("notice", {"ts": self.clock, "note": "Store::Disk_Budget",
                                   "msg": warning, "actions": {"Notice::ACTION_LOG"}})
        write_atomic(marker, today.encode())


def _line_ts(line: str) -> float | None:
    try:
        return float(line[:line.index("\t")])
    except ValueError:
        return None


def capture_source(paths: list[str], only: set[str] | None = None) -> str | None:
    """The identity of an import: SHA-256 over the captures' contents (and the logs asked
    for), so reading the same files again resumes or skips; None for standard input."""
    if not paths or "-" in paths:
        return None
    digest = hashlib.sha256()
    for path in paths:
        digest.update(file_digest(Path(path))[0].encode())
    if only is not None:
        digest.update(",".join(sorted(only)).encode())
    return "sha256:" + digest.hexdigest()


def open_store_output(store_flag: str | None, only: set[str] | None = None,
                      sources: list[str] | None = None,
                      clock_sync: str | None = None) -> StoreOutput:
    """What `shoestring read FILE... --store DIR` writes into (DIR resolved as everywhere)."""
    root = resolve_store_dir(store_flag)
    return StoreOutput(Store.open(root), source=capture_source(sources or [], only),
                       clock_sync=clock_sync, only=only)
