"""HTTP bodies as files: one file per body (per part of a multipart body), byte ranges of
one URL fetched over several connections as one file, fuids/filenames/MIME types copied
into the http.log record as Zeek's base/protocols/http/entities.zeek does."""

from __future__ import annotations

from typing import Any

from ..base import Analyzer, ConnContext
from ..files import FileTransfer, emit_file
from . import consts
from .lines import as_text as _s
from .lines import unescape_uri
from .multipart import PART, PART_DATA, Multipart
from .parse import HttpStream


def filename_from_disposition(value: str) -> str:
    """Zeek's extract_filename_from_content_disposition."""
    low = value.lower()
    i = low.rfind("name")
    # The last "name[blank]*[*]?=" wins, as Zeek's greedy ^.* does.
    while i >= 0:
        j = i + 4
        while j < len(value) and value[j] in " \t":
            j += 1
        if j < len(value) and value[j] == "*":
            j += 1
        if j < len(value) and value[j] == "=":
            break
        i = low.rfind("name", 0, i)
    if i < 0:
        return value
    name = value[j + 1:].lstrip(" \t")
    if name.startswith('"'):
        name = name[1:].split('"', 1)[0]
    q1 = name.find("'")
    if q1 > 0:
        q2 = name.find("'", q1 + 1)
        if q2 > 0 and all(c.isalnum() or c in "!#$%&+-^_`{}~" for c in name[:q1] + name[q1 + 1:q2]):
            name = name[q2 + 1:]
    raw, _ = unescape_uri(name.encode("utf-8", "surrogateescape"))
    return _s(raw)


class _Files:
    """Run-wide table of files that outlive one connection: byte ranges (206 replies)
    of one URL fetched over several connections are one file, as in Zeek."""

    def __init__(self) -> None:
        # handle -> [FileTransfer, set(uids still open)]
        self.by_handle: dict[tuple, list[Any]] = {}


def _file_table(ctx: ConnContext) -> dict[tuple, list[Any]]:
    table = ctx.shared("http.files", _Files)
    if not isinstance(table, _Files):
        raise TypeError("http.files is not a file table")
    return table.by_handle


class BodyFiles(Analyzer):
    """Base of HttpAnalyzer: what happens to body bytes, with the per-direction state it
    uses (lists indexed by is_orig). A base class rather than a mixin: mypyc's native
    classes allow single inheritance only, and attributes declared here are slots."""

    #: The two parsers (index: is_orig); HttpAnalyzer sets them.
    streams: list[HttpStream]

    def __init__(self, ctx: ConnContext) -> None:
        super().__init__(ctx)
        self.filename: list[str | None] = [None, None]  # current entity's filename
        self.files: list[FileTransfer | None] = [None, None]  # the open body file
        self.file_off = [0, 0]
        self.file_txn: list[dict[str, Any] | None] = [None, None]
        self.range_offset: list[int | None] = [None, None]
        # (handle, FileTransfer) left open by 206 replies
        self.open_206: list[tuple[tuple, FileTransfer]] = []
        self.mp: list[Multipart | None] = [None, None]  # multipart splitter of the body
        # The connection's id fields and which sides are local never change; asking the
        # context formats the addresses again (per transaction and per file). Fetched on
        # first use, not here: the first fetch draws the uid, and uids are numbered in
        # order of first use.
        self._ids: dict[str, Any] | None = None
        self._local: list[bool | None] = [None, None]    # index: is_orig of the sender
        self._local_known = [False, False]

    def id_fields(self) -> dict[str, Any]:
        """The context's id fields (uid, id.*), fetched once. Callers copy, never change it."""
        ids = self._ids
        if ids is None:
            ids = self._ids = self.ctx.id_fields()
        return ids

    def _sender_local(self, is_orig: bool) -> bool | None:
        """files.log local_orig: whether the side that sent the file is local (Zeek's
        Site::is_local_addr); None when the context does not know."""
        if not self._local_known[is_orig]:
            # One side only: the address lookup is not cheap, and most files come from
            # the server.
            self._local[is_orig] = getattr(self.ctx, "local_orig" if is_orig else "local_resp",
                                           None)
            self._local_known[is_orig] = True
        return self._local[is_orig]

    # --- what HttpAnalyzer provides -----------------------------------------------------
    def _state(self, is_orig: bool, ts: float) -> dict[str, Any]:
        raise NotImplementedError

    def _header(self, is_orig: bool, name: bytes, value: bytes, ts: float,
                part: bool = False) -> None:
        raise NotImplementedError

    # --- body bytes ---------------------------------------------------------------------
    def _body(self, is_orig: bool, data: bytes, ts: float) -> None:
        mp = self.mp[is_orig]
        if mp is not None:
            self._parts(is_orig, mp.feed(data), ts)
            return
        f = self.files[is_orig]
        if f is None:
            f = self._open_file(is_orig, ts)
        off = self.file_off[is_orig]
        self.file_off[is_orig] = off + len(data)
        base = self.range_offset[is_orig]
        f.data(data, ts, None if base is None else base + off)
        if f.ended:
            self._file_complete(is_orig, f)

    def _parts(self, is_orig: bool, events: list[tuple], ts: float) -> None:
        """Each part of a multipart body is a file of its own (a MIME entity in Zeek)."""
        for ev in events:
            if ev[0] == PART_DATA:
                f = self.files[is_orig] or self._open_file(is_orig, ts)
                f.data(ev[1], ts)
            elif ev[0] == PART:
                self._close_file(is_orig, ts)
                self.filename[is_orig] = None
                for name, value in ev[1]:
                    self._header(is_orig, name, value, ts, part=True)
            else:
                self._close_file(is_orig, ts)

    def _open_file(self, is_orig: bool, ts: float) -> FileTransfer:
        rec = self._state(is_orig, ts)
        p = self.streams[is_orig]
        handle: tuple | None = None
        if not is_orig and p.code == 206:
            if rec.get("_range"):
                handle = ("range", self.ctx.orig_h, rec["host"], rec["uri"])
            else:
                handle = ("conn", self.ctx.uid, rec["trans_depth"])
        f: FileTransfer | None = None
        if handle is not None:
            entry = _file_table(self.ctx).get(handle)
            if entry is not None and not entry[0].ended:
                f = entry[0]
                f.add_conn(self.id_fields())
                entry[1].add(self.ctx.uid)
        if f is None:
            # files.new_file, with the connection's facts fetched once
            f = FileTransfer(self.ctx.new_id("F"), "HTTP", is_orig, ts,
                             filename=self.filename[is_orig],
                             local_orig=self._sender_local(is_orig))
            f.add_conn(self.id_fields())
            if handle is not None:
                _file_table(self.ctx)[handle] = [f, {self.ctx.uid}]
        if handle is not None:
            self.open_206.append((handle, f))
        size = p.instance_length if p.range_first is not None else p.content_length
        if size is not None and size > 0 and p.encoding is None and self.mp[is_orig] is None:
            f.set_size(size)
        self.files[is_orig] = f
        self.file_off[is_orig] = 0
        self.file_txn[is_orig] = rec
        self._file_over_conn(rec, f, is_orig)
        return f

    def _file_over_conn(self, rec: dict[str, Any], f: FileTransfer, is_orig: bool) -> None:
        side = "orig" if is_orig else "resp"
        fuids = rec[f"{side}_fuids"]
        if fuids is not None and len(fuids) >= consts.MAX_FILES:
            return
        rec[f"{side}_fuids"] = (fuids or []) + [f.fuid]
        if f.filename is not None:
            rec[f"{side}_filenames"] = (rec[f"{side}_filenames"] or []) + [f.filename]
        key = f"{side}_mime_types"

        def on_mime(mime: str) -> None:
            mimes = rec[key]
            if mimes is None or len(mimes) < consts.MAX_FILES:
                rec[key] = (mimes or []) + [mime]
        f.on_mime = on_mime
        if f.mime_type is not None:
            on_mime(f.mime_type)

    def _file_complete(self, is_orig: bool, f: FileTransfer) -> None:
        """The file reached its announced size: log it over every connection it used."""
        emit_file(self.ctx, f)
        for handle, g in list(self.open_206):
            if g is f:
                self.open_206.remove((handle, g))
                _file_table(self.ctx).pop(handle, None)

    def _close_file(self, is_orig: bool, ts: float) -> None:
        f = self.files[is_orig]
        self.files[is_orig] = None
        self.file_off[is_orig] = 0
        if f is None or f.ended:
            return
        if not is_orig and self.streams[False].code == 206:
            return      # byte ranges may continue on another connection: keep it open
        emit_file(self.ctx, f)

    # --- message ends -------------------------------------------------------------------
    def _release_206(self) -> None:
        """This connection is over; a 206 file nobody else still fetches times out."""
        if not self.open_206:
            return
        table = _file_table(self.ctx)
        for handle, f in self.open_206:
            entry = table.get(handle)
            if entry is None or f.ended:
                continue
            entry[1].discard(self.ctx.uid)
            if not entry[1]:
                table.pop(handle, None)
                emit_file(self.ctx, f, timedout=True)
        self.open_206 = []
