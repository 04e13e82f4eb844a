"""File handling shared by protocols that carry files (HTTP bodies, mail attachments, ...).

:class:`FileTransfer` tracks one file (sizes, md5/sha1/sha256, missing and overflow
bytes, MIME type sniffed by content with :func:`sniff`) and produces its files.log
records; :func:`new_file` gives it a Zeek-shaped id from the connection context.
"""

from __future__ import annotations

from .file import REASSEMBLY_MAX, FileTransfer
from .magic import BOF_SIZE, SIGNATURES, sniff


def new_file(ctx, source: str, is_orig: bool, ts: float, **kw) -> FileTransfer:
    """A new file seen over ``ctx``'s connection, with a fresh fuid (``ctx.new_id("F")``)."""
    # files.log local_orig: whether the side that *sent* the file is local (Zeek's
    # Site::is_local_addr of the orig or resp address).
    local = getattr(ctx, "local_orig" if is_orig else "local_resp", None)
    f = FileTransfer(ctx.new_id("F"), source, is_orig, ts, local_orig=local, **kw)
    f.add_conn(ctx.id_fields())
    return f


def emit_file(ctx, f: FileTransfer, timedout: bool = False) -> None:
    """End ``f`` (if not yet ended) and write its files.log records through ``ctx``."""
    f.end(None, timedout=timedout)
    for rec in f.records(timedout=timedout):
        ctx.emit("files", rec)


__all__ = ["FileTransfer", "new_file", "emit_file", "sniff", "SIGNATURES", "BOF_SIZE",
           "REASSEMBLY_MAX"]
