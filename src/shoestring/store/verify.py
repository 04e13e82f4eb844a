"""verify: re-hash every file, walk the chain and the signatures, check an anchor.

Each finding names the file or ledger entry and what happened to it (modified, missing,
extra, truncated, swapped/reordered, chain break, bad signature, deleted entries). Pruning
and compaction recorded in the ledger are policy, not tampering; a prune the retention
rule would not have made, or a "compaction" whose replacement is not sealed with the same
number of records, is reported.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import seal
from .atomic import write_atomic
from .layout import DAY_RE, NOT_SEALED
from .ledger import read as read_ledger
from .retention import DAY, day_start, live_files, sealed_at

LAST_VERIFY = "last-verify.json"


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    files: int = 0
    records: int = 0
    days: int = 0
    entries: int = 0
    heads: int = 0
    anchor: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            anchored = f"; {self.anchor}" if self.anchor else ""
            return (f"OK: {self.files} files ({self.records} records) in {self.days} days, "
                    f"{self.entries} ledger entries, {self.heads} signed day heads{anchored}")
        return f"FAILED: {len(self.problems)} problem(s) found"


def _in_range(day: str, first: str | None, last: str | None) -> bool:
    return (first is None or day >= first) and (last is None or day <= last)


def verify(store, *, first_day: str | None = None, last_day: str | None = None,
           anchor: dict | None = None, public=None) -> Report:
    report = Report()
    public = public or store.public_key()
    entries, chain = read_ledger(store.ledger_path)
    report.entries = len(entries)
    report.problems += [f"ledger.jsonl line {p.line}: {p.message}" for p in chain]
    _check_prunes(entries, report)
    _check_heads(store, entries, public, report)
    _check_files(store, entries, first_day, last_day, report)
    if anchor is not None:
        _check_anchor(entries, anchor, public, report)
    return report


def _check_prunes(entries: list[dict], report: Report) -> None:
    """Walk the ledger's history of each file: sealed once; pruned only when retention
    allowed it; compacted only into a daily file sealed as its replacement."""
    sealed: dict[str, dict] = {}
    live: set[str] = set()
    replaced: dict[str, str] = {}
    for entry in entries:
        kind, path = entry.get("kind"), entry.get("path")
        if kind == "seal":
            if path in sealed:
                report.problems.append(f"{path}: sealed twice "
                                       f"(ledger seq {entry.get('seq')})")
            sealed[path] = entry
            live.add(path)
            _check_replacement(entry, sealed, live, report)
        elif kind == "prune":
            original = sealed.get(path)
            if original is None or original.get("sha256") != entry.get("sha256"):
                report.problems.append(f"{path}: ledger seq {entry.get('seq')} records "
                                       "pruning a file that was never sealed")
                continue
            live.discard(path)
            window = entry.get("window_days") or 0
            at = entry.get("at") or 0
            cutoff = at - window * DAY
            if day_start(entry.get("day", "9999-12-31")) + DAY > cutoff \
                    or sealed_at(original) > cutoff:
                report.problems.append(f"{path}: pruned (ledger seq {entry.get('seq')}) "
                                       f"while still inside the {window}-day window")
        elif kind == "compact":
            original, into = sealed.get(path), sealed.get(entry.get("into"))
            if original is None or original.get("sha256") != entry.get("sha256"):
                report.problems.append(f"{path}: ledger seq {entry.get('seq')} records "
                                       "compacting a file that was never sealed")
            elif path not in live:
                report.problems.append(f"{path}: ledger seq {entry.get('seq')} records "
                                       "compacting a file already pruned or compacted")
            elif into is None or path not in (into.get("compacts") or []):
                report.problems.append(f"{path}: ledger seq {entry.get('seq')} records it "
                                       f"compacted into {entry.get('into')}, which is not "
                                       "sealed as its replacement (a deletion disguised "
                                       "as compaction)")
            live.discard(path)
            replaced[path] = entry.get("into")
    for path, entry in sealed.items():
        left = [p for p in entry.get("compacts") or [] if replaced.get(p) != path]
        if left and isinstance(entry.get("compacts"), list):
            report.problems.append(f"{path}: compacts {left[0]}, but the ledger does not "
                                   "record that file as replaced (its records would be "
                                   "counted twice)")


def _check_replacement(entry: dict, sealed: dict, live: set, report: Report) -> None:
    """A daily file made by compaction holds exactly the records of the files it lists."""
    sources = entry.get("compacts")
    if sources is None:
        return
    if not isinstance(sources, list) or not sources:
        report.problems.append(f"{entry.get('path')}: seal (ledger seq {entry.get('seq')})"
                               " lists no files it compacts")
        return
    missing = [p for p in sources if p not in live]
    if missing:
        report.problems.append(f"{entry.get('path')}: compacts {missing[0]}, which was not "
                               "a live sealed file at that point")
        return
    held = sum(sealed[p].get("records") or 0 for p in sources)
    if held != entry.get("records"):
        report.problems.append(f"{entry.get('path')}: sealed with {entry.get('records')} "
                               f"records but the files it compacts held {held}")


def _check_heads(store, entries: list[dict], public, report: Report) -> None:
    per_day: dict[str, list[dict]] = {}
    for entry in entries:
        if entry.get("day"):
            per_day.setdefault(entry["day"], []).append(entry)
    heads_dir: Path = store.heads_dir
    on_disk = {p.stem for p in heads_dir.glob("*.json")} if heads_dir.is_dir() else set()
    for day in sorted(on_disk - set(per_day)):
        report.problems.append(f"heads/{day}.json: signs a day the ledger has no entries "
                               "for (its ledger entries were deleted)")
    for day, day_entries in sorted(per_day.items()):
        head = seal.read_json(heads_dir / f"{day}.json")
        if head is None:
            report.problems.append(f"heads/{day}.json: missing or unreadable: day {day} "
                                   "is not signed")
            continue
        if not seal.check_signed(public, seal.HEAD_PURPOSE, head):
            report.problems.append(f"heads/{day}.json: bad signature (replaced or edited)")
            continue
        report.heads += 1
        seq = head.get("seq")
        if not isinstance(seq, int) or not 0 <= seq < len(entries) \
                or entries[seq].get("hash") != head.get("hash"):
            report.problems.append(f"heads/{day}.json: the signed head (seq {seq}) is not "
                                   "in the ledger: the ledger was rewritten or cut")
            continue
        covered = sum(1 for e in day_entries if e.get("seq", -1) <= seq)
        if covered != head.get("entries"):
            report.problems.append(f"heads/{day}.json: signed {head.get('entries')} entries "
                                   f"for the day, the ledger has {covered}")
        after = len(day_entries) - covered
        if after:
            report.problems.append(f"heads/{day}.json: {after} ledger entries of the day "
                                   "are newer than its signed head")


def _check_files(store, entries, first_day, last_day, report: Report) -> None:
    live = live_files(entries)
    pruned = {e.get("path") for e in entries if e.get("kind") == "prune"} - set(live)
    compacted = {e.get("path"): e.get("into") for e in entries
                 if e.get("kind") == "compact" and e.get("path") not in live}
    by_hash: dict[str, str] = {}
    for path, entry in live.items():
        by_hash.setdefault(entry.get("sha256"), path)
    days = set()
    for path, entry in sorted(live.items()):
        day = entry.get("day", "")
        if not _in_range(day, first_day, last_day):
            continue
        days.add(day)
        target = store.root / path
        try:
            sha, size = seal.file_digest(target)
        except FileNotFoundError:
            report.problems.append(f"{path}: missing (sealed at ledger seq "
                                   f"{entry.get('seq')}, never pruned)")
            continue
        except OSError as exc:
            report.problems.append(f"{path}: unreadable ({exc.strerror})")
            continue
        if sha == entry.get("sha256"):
            report.files += 1
            if entry.get("form") == "zeek":
                report.records += entry.get("records") or 0
            continue
        other = by_hash.get(sha)
        if other is not None and other != path:
            report.problems.append(f"{path}: holds the sealed content of {other} "
                                   "(files swapped or reordered)")
        elif size < (entry.get("size") or 0):
            report.problems.append(f"{path}: truncated ({size} of {entry.get('size')} "
                                   "bytes)")
        else:
            report.problems.append(f"{path}: modified (SHA-256 differs from its seal)")
    report.days = len(days)
    for path in _files_on_disk(store):
        if path in live:
            continue
        day = path.split("/", 1)[0]
        if DAY_RE.match(day) and not _in_range(day, first_day, last_day):
            continue
        if path in pruned:
            report.problems.append(f"{path}: pruned by retention but still present")
        elif path in compacted:
            report.problems.append(f"{path}: compacted into {compacted[path]} but still "
                                   "present (an interrupted compaction: the next write "
                                   "or `shoestring compact` removes it)")
        else:
            report.problems.append(f"{path}: extra (not in the ledger)")


def _files_on_disk(store):
    root: Path = store.root
    for item in sorted(root.iterdir()):
        if item.name in NOT_SEALED:
            continue
        if item.is_dir():
            for sub in sorted(item.rglob("*")):
                if not sub.is_dir():
                    yield sub.relative_to(root).as_posix()
        else:
            yield item.name


def _check_anchor(entries, anchor: dict, public, report: Report) -> None:
    if not seal.check_signed(public, seal.ANCHOR_PURPOSE, anchor):
        report.problems.append("anchor: bad signature (not made by this store's key)")
        return
    if anchor.get("store") != seal.store_id(entries):
        report.problems.append("anchor: made for another store (or the ledger's first "
                               "entry was replaced)")
        return
    seq = anchor.get("seq")
    if not isinstance(seq, int) or seq >= len(entries):
        report.problems.append(f"anchor: the ledger ends at seq {len(entries) - 1} but the "
                               f"anchor was made at seq {seq}: newer entries (and their "
                               "files) were deleted")
    elif entries[seq].get("hash") != anchor.get("hash"):
        report.problems.append(f"anchor: ledger entry seq {seq} differs from the anchored "
                               "one: the ledger was rewritten")
    else:
        report.anchor = f"anchor seq {seq} matched"


def load_anchor(path: Path) -> dict:
    """The last anchor line in a file (anchors may be appended to one file over time)."""
    lines = [l for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]
    for line in reversed(lines):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict) and value.get("anchor") == "shoestring":
            return value
    raise ValueError(f"{path} holds no shoestring anchor")


def save_result(store, report: Report) -> None:
    """Remember the outcome for `status` (state/ is not evidence, so not sealed)."""
    body = {"at": round(time.time(), 6), "ok": report.ok, "summary": report.summary(),
            "problems": report.problems[:50]}
    try:
        write_atomic(store.state_dir / LAST_VERIFY, json.dumps(body).encode())
    except OSError:
        pass
