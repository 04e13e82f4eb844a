"""The journal of open hour files: what a kill -9 leaves for the next start to finish.

One append-only segment per writer session and hour: a JSON header line
``#{"session", "source", "base", "seg"}`` then one line per record,
``<log>\\t<stem>\\t<Zeek TSV line>``; lines the store adds itself (disk-budget notices)
start with ``!``. ``base`` is how many records of the source were taken before this
segment, so ``base`` + record lines is exactly how far an interrupted import got.
A line without its newline was cut by the crash and is dropped (that record was never
flushed, so the resumed import writes it again: nothing lost, nothing twice).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import fsync_dir

SUFFIX = ".jnl"
OWN_PREFIX = "!"


@dataclass
class Segment:
    path: Path
    session: str
    source: str | None
    base: int
    seg: int
    # stem -> (log, [TSV lines], {indexes of the store's own lines}), in opening order.
    files: dict[str, tuple[str, list[str], set[int]]] = field(default_factory=dict)
    records: int = 0


def segment_name(session: str, seg: int) -> str:
    return f"{session}.{seg:06d}{SUFFIX}"


def read_segment(path: Path) -> Segment | None:
    """Parse a segment; None if even its header is unreadable (then it holds nothing)."""
    data = path.read_bytes().decode("utf-8", "surrogateescape")
    if not data.endswith("\n"):
        data = data[:data.rfind("\n") + 1]
    lines = data.split("\n")[:-1]
    if not lines or not lines[0].startswith("#"):
        return None
    try:
        head = json.loads(lines[0][1:])
        segment = Segment(path, str(head["session"]), head.get("source"),
                          int(head["base"]), int(head["seg"]))
    except (ValueError, KeyError, TypeError):
        return None
    for line in lines[1:]:
        log, sep1, rest = line.partition("\t")
        stem, sep2, tsv = rest.partition("\t")
        if not (sep1 and sep2):
            continue
        own = log.startswith(OWN_PREFIX)
        log = log[1:] if own else log
        entry = segment.files.get(stem)
        if entry is None:
            entry = segment.files[stem] = (log, [], set())
        if own:
            entry[2].add(len(entry[1]))
        else:
            segment.records += 1
        entry[1].append(tsv + "\n")
    return segment


def list_segments(folder: Path) -> list[Path]:
    return sorted(folder.glob("*" + SUFFIX)) if folder.is_dir() else []


class SegmentWriter:
    """Appends journal lines; the caller decides when to flush (at most once a second)."""

    def __init__(self, folder: Path, session: str, source: str | None, base: int, seg: int):
        self.path = folder / segment_name(session, seg)
        header = json.dumps({"session": session, "source": source, "base": base, "seg": seg})
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND,
                          0o644)
        self._write(("#" + header + "\n").encode())
        os.fsync(self.fd)
        fsync_dir(folder)
        self.pending: list[str] = []

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]

    def add(self, line: str) -> None:
        self.pending.append(line)

    def flush(self, sync: bool) -> None:
        if self.pending:
            self._write("".join(self.pending).encode("utf-8", "surrogateescape"))
            self.pending.clear()
        if sync:
            os.fdatasync(self.fd)

    def close(self) -> None:
        os.close(self.fd)
