"""One file carried by a protocol (an HTTP body, a mail attachment): sizes, hashes, MIME
type by content, and its files.log records.

A protocol analyzer creates a :class:`FileTransfer` when a body starts, feeds it the
body's bytes (with offsets when the body is a byte range of a larger file), reports lost
bytes, and ends it; the file then writes one files.log record per connection it was seen
over, as Zeek does. Memory per file is bounded: the first BOF_SIZE bytes for sniffing, the
running hash states, and at most REASSEMBLY_MAX bytes of out-of-order ranges.
"""

from __future__ import annotations

import hashlib
from typing import Any, Callable, Final

from .magic import BOF_SIZE, sniff

#: Out-of-order bytes held per file while waiting for the hole before them to fill
#: (Zeek's file_reassembly_buffer_size, 512 KiB); beyond it bytes count as overflow.
REASSEMBLY_MAX: Final = 512 * 1024

#: What callers hand in: HTTP passes bytes, SMTP's MIME decoder bytearrays (compiled
#: code checks argument types, so both must be declared).
Buffer = bytes | bytearray


class FileTransfer:
    """A file being transferred: feed :meth:`data`, :meth:`gap`, then :meth:`end`."""

    __slots__ = ("fuid", "source", "is_orig", "ts", "last_ts", "depth", "filename",
                 "total_bytes", "seen_bytes", "missing_bytes", "overflow_bytes",
                 "mime_type", "on_mime", "conns", "local_orig", "_bof", "_sniffed",
                 "_next", "_ooo", "_ooo_bytes", "_max_end", "_hashes", "_updates", "_hash_ok",
                 "ended")

    def __init__(self, fuid: str, source: str, is_orig: bool, ts: float, *,
                 depth: int = 0, filename: str | None = None,
                 total_bytes: int | None = None, local_orig: bool | None = None,
                 on_mime: Callable[[str], None] | None = None):
        self.fuid = fuid
        self.source = source
        self.is_orig = is_orig
        self.ts = self.last_ts = ts
        self.depth = depth
        self.filename = filename
        self.total_bytes = total_bytes
        self.local_orig = local_orig
        self.seen_bytes = 0
        self.missing_bytes = 0
        self.overflow_bytes = 0
        self.mime_type: str | None = None
        self.on_mime = on_mime
        self.conns: list[dict] = []          # id fields of each connection it went over
        self._bof = bytearray()
        self._sniffed = False
        self._next = 0                       # end of the contiguous stream delivered
        self._ooo: dict[int, Buffer] = {}     # offset -> bytes beyond a hole
        self._ooo_bytes = 0
        self._max_end = 0
        # hashlib's objects are opaque to the type checker (and to mypyc): Any.
        self._hashes: tuple[Any, Any, Any] = (hashlib.md5(), hashlib.sha1(), hashlib.sha256())
        # Their update methods, bound once: a call through a method name looks the name
        # up on the object again, for each of the three hashes of each body segment.
        md5, sha1, sha256 = self._hashes
        self._updates: tuple[Any, Any, Any] = (md5.update, sha1.update, sha256.update)
        self._hash_ok = True
        self.ended = False

    def add_conn(self, id_fields: dict) -> None:
        if all(c["uid"] != id_fields["uid"] for c in self.conns):
            self.conns.append(id_fields)

    # --- input ------------------------------------------------------------------------
    def data(self, data: Buffer, ts: float, offset: int | None = None) -> None:
        """Bytes of the file at ``offset`` (default: right after the previous bytes)."""
        if self.ended or not data:
            return
        self.last_ts = ts
        self.seen_bytes += len(data)
        if offset is None:
            offset = self._next
        end = offset + len(data)
        if end > self._max_end:
            self._max_end = end
        if offset == self._next:                # the common case: next bytes in order
            self._in_order(data)
            if self._ooo:
                self._drain_ooo()
        elif offset > self._next:
            if self._ooo_bytes + len(data) > REASSEMBLY_MAX:
                self.overflow_bytes += len(data)
            elif offset not in self._ooo:
                self._ooo[offset] = data
                self._ooo_bytes += len(data)
        elif end > self._next:                  # overlaps what we have: keep the new tail
            self._in_order(data[self._next - offset:])
            self._drain_ooo()
        if self.total_bytes is not None and self._next >= self.total_bytes:
            self.end(ts)

    def gap(self, length: int, ts: float) -> None:
        """``length`` bytes of the file were never seen."""
        if self.ended or length <= 0:
            return
        self.last_ts = ts
        self.missing_bytes += length
        self._hash_ok = False
        self._next += length
        self._max_end = max(self._max_end, self._next)
        self._finish_sniff_if_hole()

    def set_size(self, total: int) -> None:
        if total > 0:
            self.total_bytes = total

    def _in_order(self, data: Buffer) -> None:
        if self._hash_ok:
            md5, sha1, sha256 = self._updates  # unrolled: this runs for each body segment
            md5(data)
            sha1(data)
            sha256(data)
        if not self._sniffed:
            self._bof += data[:BOF_SIZE - len(self._bof)]
            if len(self._bof) >= BOF_SIZE:
                self._sniff()
        self._next += len(data)

    def _drain_ooo(self) -> None:
        while self._ooo:
            chunk = self._ooo.pop(self._next, None)
            if chunk is None:
                return
            self._ooo_bytes -= len(chunk)
            self._in_order(chunk)

    def _finish_sniff_if_hole(self) -> None:
        # Content after a hole is not the file's beginning: sniff what we had.
        if not self._sniffed and self._bof:
            self._sniff()

    def _sniff(self) -> None:
        self._sniffed = True
        self.mime_type = sniff(bytes(self._bof))
        self._bof = bytearray()
        if self.mime_type is not None and self.on_mime is not None:
            self.on_mime(self.mime_type)

    # --- output -----------------------------------------------------------------------
    def end(self, ts: float | None = None, timedout: bool = False) -> None:
        """The file is over. A file that ends by timing out is not sniffed any more
        (Zeek only sniffs on a full first buffer or a proper end of file)."""
        if self.ended:
            return
        if not timedout and not self._sniffed:
            self._sniff()
        self.ended = True
        holes = self._max_end - self._next
        if holes > 0:
            # Ranges beyond a hole that never filled: the hole is missing data.
            self.missing_bytes += holes - self._ooo_bytes
            self._hash_ok = False
        self._ooo.clear()

    def records(self, timedout: bool = False) -> list[dict]:
        """files.log records, one per connection the file went over."""
        md5: str | None = None
        sha1: str | None = None
        sha256: str | None = None
        if self._hash_ok and self.ended and self.missing_bytes == 0 and self.seen_bytes:
            md5 = self._hashes[0].hexdigest()
            sha1 = self._hashes[1].hexdigest()
            sha256 = self._hashes[2].hexdigest()
        base: dict[str, Any] = {
            "ts": self.ts, "fuid": self.fuid, "source": self.source, "depth": self.depth,
            # Zeek lists the file analyzers attached by scripts; with its default
            # scripts that is none, and the corpus expects the empty set.
            "analyzers": set(), "mime_type": self.mime_type, "filename": self.filename,
            "duration": max(0.0, self.last_ts - self.ts), "local_orig": self.local_orig,
            "is_orig": self.is_orig, "seen_bytes": self.seen_bytes,
            "total_bytes": self.total_bytes, "missing_bytes": self.missing_bytes,
            "overflow_bytes": self.overflow_bytes, "timedout": timedout,
            "parent_fuid": None, "md5": md5, "sha1": sha1, "sha256": sha256,
        }
        out: list[dict] = []
        for idf in self.conns:
            rec = dict(base)
            rec["uid"] = idf["uid"]
            rec["id.orig_h"] = idf["id.orig_h"]
            rec["id.orig_p"] = idf["id.orig_p"]
            rec["id.resp_h"] = idf["id.resp_h"]
            rec["id.resp_p"] = idf["id.resp_p"]
            out.append(rec)
        return out


def new_file(ctx: Any, source: str, is_orig: bool, ts: float, *, depth: int = 0,
             filename: str | None = None, total_bytes: int | None = None,
             on_mime: Callable[[str], None] | None = None) -> FileTransfer:
    """A new file seen over ``ctx``'s connection, with a fresh fuid (``ctx.new_id("F")``).
    Here rather than in the package's __init__ so that it is compiled with the class."""
    # files.log local_orig: whether the side that *sent* the file is local (Zeek's
    # Site::is_local_addr of the orig or resp address).
    local = getattr(ctx, "local_orig" if is_orig else "local_resp", None)
    f = FileTransfer(ctx.new_id("F"), source, is_orig, ts, depth=depth, filename=filename,
                     total_bytes=total_bytes, local_orig=local, on_mime=on_mime)
    f.add_conn(ctx.id_fields())
    return f


def emit_file(ctx: Any, f: FileTransfer, timedout: bool = False) -> None:
    """End ``f`` (if not yet ended) and write its files.log records through ``ctx``."""
    f.end(None, timedout=timedout)
    for rec in f.records(timedout=timedout):
        ctx.emit("files", rec)
