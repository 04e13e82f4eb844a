"""The journal of open hour files: what a kill -9 leaves for the next start to finish.

One append-only segment per writer session and hour: a JSON header line
``#{"session", "source", "base", "seg"}`` then one line per record,
``<log>\\t<stem>\\t<Zeek TSV line>``; lines the store adds itself (disk-budget notices)
start with ``!``. ``base`` is how many records of the source were taken before this
segment, so ``base`` + record lines is exactly how far an interrupted import got.
A line without its newline was cut by the crash and is dropped (that record was never
flushed, so the resumed import writes it again: nothing lost, nothing twice).

A new segment starts with the lines of the files still open (they move to it) and lists
in its header (``supersedes``) the segments it replaces; it appears whole (temp file,
fsync, rename) before those are removed. A kill -9 between the two leaves both on disk:
recovery ignores the superseded ones, whose open lines the new segment holds already
(reading both made a restart write those records twice).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import fsync_dir

SUFFIX = ".jnl"
OWN_PREFIX = "!"
# A segment being created; never read (renamed to its .jnl name once whole).
TEMP_SUFFIX = SUFFIX + ".tmp"
# Names a header may list as superseded (a hostile header names nothing else).
MAX_SUPERSEDED = 10_000


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
    supersedes: frozenset[str] = frozenset()


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
        replaced = head.get("supersedes") or []
        if isinstance(replaced, list):
            segment.supersedes = frozenset(
                name for name in replaced[:MAX_SUPERSEDED]
                if isinstance(name, str) and name.endswith(SUFFIX) and "/" not in name)
    except (ValueError, KeyError, TypeError, AttributeError):
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


def remove_partial(folder: Path) -> None:
    """Delete segments a crash left half-created (never renamed: they replace nothing)."""
    if folder.is_dir():
        for temp in folder.glob("*" + TEMP_SUFFIX):
            temp.unlink(missing_ok=True)


def live_segments(segments: list[Segment]) -> list[Segment]:
    """The segments recovery reads: those no other one on disk supersedes."""
    replaced = set().union(*(s.supersedes for s in segments)) if segments else set()
    return [s for s in segments if s.path.name not in replaced]


class SegmentWriter:
    """Appends journal lines; the caller decides when to flush (at most once a second)."""

    def __init__(self, folder: Path, session: str, source: str | None, base: int, seg: int,
                 lines: list[str] = (), supersedes: list[str] = ()):
        """Create the segment whole: header and ``lines`` (the open files' lines it takes
        over from the segments named in ``supersedes``), then rename it in."""
        self.path = folder / segment_name(session, seg)
        header = json.dumps({"session": session, "source": source, "base": base, "seg": seg,
                             "supersedes": sorted(supersedes)})
        temp = self.path.with_name(self.path.name[:-len(SUFFIX)] + TEMP_SUFFIX)
        self.fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
        try:
            self._write(("#" + header + "\n" + "".join(lines)).encode(
                "utf-8", "surrogateescape"))
            os.fsync(self.fd)
            os.replace(temp, self.path)
        except BaseException:
            os.close(self.fd)
            raise
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
