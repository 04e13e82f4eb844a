"""Where log records go: the contract every log destination keeps, and the plain one
that writes one file per log into a folder (``shoestring read --logdir``).

The pipeline calls ``write(log, record)`` with records in roughly network-time order and
``close()`` once at the end. The store (store/) implements the same contract with
hourly rotation and sealing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Protocol

from . import schema as schemas
from .jsonl import JsonFormat
from .zeek_tsv import TsvFormat


class LogOutput(Protocol):
    def write(self, log: str, record: dict) -> None: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...


class _OpenLog:
    __slots__ = ("file", "fmt", "line", "last_ts", "count")

    def __init__(self, file: IO[str], fmt: TsvFormat | JsonFormat):
        self.file = file
        self.fmt = fmt
        # The formatter's line renderer, held typed: a call per record without looking
        # the attribute up on an untyped object first.
        self.line: Callable[[dict], str] = fmt.line
        self.last_ts = 0.0
        self.count = 0


class DirectoryOutput:
    """One file per log, ``<logdir>/<log>.log``, Zeek TSV or JSON lines.

    #open and #close stamps are network time (first and last record), so the same
    capture always gives byte-identical logs."""

    def __init__(self, logdir: str | os.PathLike, json: bool = False,
                 only: set[str] | None = None):
        self.logdir = Path(logdir)
        self.json = json
        self.only = only
        self._open: dict[str, _OpenLog] = {}
        self.counts: dict[str, int] = {}

    def wants(self, log: str) -> bool:
        return self.only is None or log in self.only

    def write(self, log: str, record: dict) -> None:
        handle = self._open.get(log)
        if handle is None:
            if not self.wants(log):
                return
            handle = self._start(log, record.get("ts") or 0.0)
        ts = record.get("ts")
        if ts is not None and ts > handle.last_ts:
            handle.last_ts = ts
        handle.file.write(handle.line(record))
        handle.count += 1

    def _start(self, log: str, ts: float) -> _OpenLog:
        schema = schemas.get(log)
        fmt = JsonFormat(schema) if self.json else TsvFormat(schema)
        self.logdir.mkdir(parents=True, exist_ok=True)
        file = open(self.logdir / f"{log}.log", "w", encoding="utf-8",
                    errors="surrogateescape", buffering=1 << 20)
        file.write(fmt.header(ts))
        handle = self._open[log] = _OpenLog(file, fmt)
        handle.last_ts = ts
        return handle

    def flush(self) -> None:
        for handle in self._open.values():
            handle.file.flush()

    def close(self) -> None:
        for log, handle in self._open.items():
            handle.file.write(handle.fmt.footer(handle.last_ts))
            handle.file.flush()
            os.fsync(handle.file.fileno())
            handle.file.close()
            self.counts[log] = handle.count
        self._open.clear()
