"""The query catalog: which Parquet copies are live, kept in state/ and brought up to date
from the ledger's new lines only, so a query or search does not parse (and re-hash) the
whole ledger: 180 days are ~50,000 entries, about a second of JSON on this box.

It is a cache derived from the ledger, not evidence: verify never reads it. It remembers
the ledger offset it has read up to and the hash of the entry ending there; if the ledger
no longer has that entry at that offset (rewritten, cut, a new store), it is rebuilt from
the start. A process that cannot write state/ (a read-only user) still gets the answer.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from .ledger import GENESIS_PREV, MAX_ENTRY_BYTES

CATALOG_NAME = "catalog.json"
VERSION = 1


def live_parquet(store) -> dict[str, dict]:
    """path -> {log, day, first_ts, last_ts} for every live Parquet copy."""
    path = store.state_dir / CATALOG_NAME
    cached = _load(path)
    try:
        f = open(store.ledger_path, "rb")
    except FileNotFoundError:
        return {}
    with f:
        size = f.seek(0, os.SEEK_END)
        start, files, last_hash = 0, {}, GENESIS_PREV
        if cached and cached["offset"] <= size \
                and _hash_ending_at(f, cached["offset"]) == cached["hash"]:
            start, files, last_hash = cached["offset"], cached["files"], cached["hash"]
        f.seek(start)
        data = f.read(size - start)
    end = data.rfind(b"\n") + 1           # a cut-short last line is not read yet
    for line in data[:end].split(b"\n")[:-1]:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict):
            continue
        _apply(files, entry)
        if isinstance(entry.get("hash"), str):
            last_hash = entry["hash"]
    if end:
        _save(path, {"version": VERSION, "offset": start + end, "hash": last_hash,
                     "files": files})
    return files


def _apply(files: dict[str, dict], entry: dict) -> None:
    kind, path = entry.get("kind"), entry.get("path")
    if not isinstance(path, str):
        return
    if kind == "seal" and entry.get("form") == "parquet" \
            and isinstance(entry.get("log"), str) and isinstance(entry.get("day"), str):
        files[path] = {"log": entry["log"], "day": entry["day"],
                       "first_ts": _number(entry.get("first_ts")),
                       "last_ts": _number(entry.get("last_ts"))}
    elif kind in ("prune", "compact"):
        files.pop(path, None)


def _number(value) -> float | None:
    """A ts bound, or None (unknown: the file is never pruned by time)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _hash_ending_at(f, offset: int) -> str | None:
    """The hash of the ledger entry whose line ends at ``offset``."""
    if offset == 0:
        return GENESIS_PREV
    begin = max(0, offset - 2 * MAX_ENTRY_BYTES)
    f.seek(begin)
    window = f.read(offset - begin)
    if not window.endswith(b"\n"):
        return None
    line = window[window.rfind(b"\n", 0, len(window) - 1) + 1:]
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    return entry.get("hash") if isinstance(entry, dict) else None


def _load(path: Path) -> dict | None:
    try:
        value = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(value, dict) or value.get("version") != VERSION \
            or not isinstance(value.get("offset"), int) \
            or not isinstance(value.get("files"), dict):
        return None
    return value


def _save(path: Path, value: dict) -> None:
    # A cache: no fsync (a crash leaves the old catalog or none, and either is rebuilt
    # from the ledger); a per-process and thread temp name, as two may save at once.
    temp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        temp.write_text(json.dumps(value, separators=(",", ":")), encoding="utf-8")
        os.replace(temp, path)
    except OSError:
        temp.unlink(missing_ok=True)
