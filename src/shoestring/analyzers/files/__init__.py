"""File handling shared by protocols that carry files (HTTP bodies, mail attachments, ...).

:class:`FileTransfer` tracks one file (sizes, md5/sha1/sha256, missing and overflow
bytes, MIME type sniffed by content with :func:`sniff`) and produces its files.log
records; :func:`new_file` gives it a Zeek-shaped id from the connection context.
"""

from __future__ import annotations

# new_file and emit_file live in file.py, which is compiled: they run for every file.
from .file import REASSEMBLY_MAX, FileTransfer, emit_file, new_file
from .magic import BOF_SIZE, SIGNATURES, sniff

__all__ = ["FileTransfer", "new_file", "emit_file", "sniff", "SIGNATURES", "BOF_SIZE",
           "REASSEMBLY_MAX"]
