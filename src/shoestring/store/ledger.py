"""The append-only, hash-chained ledger: one JSON line per event (a file sealed, a file
pruned by retention, an import finished), each carrying the hash of the one before.

Editing, deleting or inserting an entry breaks the chain at that point; rewriting the whole
chain is caught by the signed day heads (seal.py) and, for the newest entries, by an anchor
kept off the box.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .keys import canonical

GENESIS_PREV = "0" * 64
# An entry is a few hundred bytes; a longer line is not one we wrote.
MAX_ENTRY_BYTES = 64 * 1024


def entry_hash(entry: dict) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(canonical(body)).hexdigest()


@dataclass
class ChainProblem:
    line: int           # 1-based line of the ledger file
    message: str


def read(path: Path) -> tuple[list[dict], list[ChainProblem]]:
    """Every entry, and every break in the chain, in file order."""
    entries, problems = [], []
    prev = GENESIS_PREV
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], [ChainProblem(0, f"{path.name} is missing")]
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    elif lines:
        problems.append(ChainProblem(len(lines), "the last ledger entry is cut short "
                                                 "(a crash during an append, or truncation)"))
        lines.pop()
    for number, raw in enumerate(lines, 1):
        if len(raw) > MAX_ENTRY_BYTES:
            problems.append(ChainProblem(number, "ledger line too long to be an entry"))
            continue
        try:
            entry = json.loads(raw)
            if not isinstance(entry, dict):
                raise ValueError("not an object")
        except ValueError:
            problems.append(ChainProblem(number, "ledger line is not a JSON entry (edited)"))
            continue
        seq = entry.get("seq")
        if seq != len(entries):
            problems.append(ChainProblem(number, f"ledger entry has seq {seq!r} where "
                                                 f"{len(entries)} was expected "
                                                 "(entries deleted, inserted or reordered)"))
        if entry.get("prev") != prev:
            problems.append(ChainProblem(number, f"chain break at seq {seq}: it does not "
                                                 "follow the entry before it"))
        if entry.get("hash") != entry_hash(entry):
            problems.append(ChainProblem(number, f"ledger entry seq {seq} was edited: its "
                                                 "hash does not match its contents"))
        prev = entry.get("hash") if isinstance(entry.get("hash"), str) else prev
        entries.append(entry)
    return entries, problems


class Ledger:
    """The writer's side: appends entries, durably, under the store's write lock."""

    def __init__(self, path: Path):
        self.path = path
        self.seq, self.last_hash = self._tail()

    def _tail(self) -> tuple[int, str]:
        """Next seq and last hash; drops a cut-short last line a crash left behind."""
        try:
            f = open(self.path, "r+b")
        except FileNotFoundError:
            return 0, GENESIS_PREV
        with f:
            # Only the tail is read: the ledger of a year is tens of megabytes.
            size = f.seek(0, os.SEEK_END)
            start = max(0, size - 2 * MAX_ENTRY_BYTES)
            f.seek(start)
            data = f.read()
            if data and not data.endswith(b"\n"):
                cut = data.rfind(b"\n") + 1
                f.truncate(start + cut)
                os.fsync(f.fileno())
                data = data[:cut]
        if not data:
            return 0, GENESIS_PREV
        last = json.loads(data[data.rfind(b"\n", 0, len(data) - 1) + 1:])
        return last["seq"] + 1, last["hash"]

    def append(self, entries: list[dict]) -> list[dict]:
        """Chain, hash and write ``entries`` in one write, then fsync."""
        out = []
        for entry in entries:
            entry = {**entry, "seq": self.seq, "prev": self.last_hash}
            entry["hash"] = entry_hash(entry)
            self.seq, self.last_hash = self.seq + 1, entry["hash"]
            out.append(entry)
        if not out:
            return out
        blob = b"".join(canonical(e) + b"\n" for e in out)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            view = memoryview(blob)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        return out
