"""Crash-safe file writes: temp file, fsync, rename, fsync of the folder.

A reader (or a restart after kill -9 or power loss) sees either the old file or the whole
new one, never half of it; rename() within one folder is atomic on POSIX file systems, and
the folder's fsync makes the rename itself durable.
"""

from __future__ import annotations

import os
from pathlib import Path

TEMP_SUFFIX = ".tmp"


def fsync_dir(folder: str | os.PathLike) -> None:
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: str | os.PathLike, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file or the new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + TEMP_SUFFIX)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)
    fsync_dir(path.parent)


def remove_temps(folder: Path) -> int:
    """Delete leftovers of writes a crash interrupted (never renamed, so never sealed)."""
    removed = 0
    for temp in folder.rglob("*" + TEMP_SUFFIX):
        temp.unlink(missing_ok=True)
        removed += 1
    return removed


def write_many(files: list[tuple[Path, bytes]]) -> None:
    """Write several files atomically with one fsync per folder instead of one per file
    (an hour's rotation writes eight files into one day folder)."""
    folders = set()
    for path, data in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(path.name + TEMP_SUFFIX)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        folders.add(path.parent)
    for path, _ in files:
        os.replace(path.with_name(path.name + TEMP_SUFFIX), path)
    for folder in folders:
        fsync_dir(folder)
