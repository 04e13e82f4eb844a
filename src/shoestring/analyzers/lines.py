"""Line splitting shared by the line-based analyzers (FTP, SMTP, POP3, IRC): one complete
line at a time from a side's buffer, so that what follows a STARTTLS reply in the same
segment stays bytes, not lines."""

from __future__ import annotations


def next_line(buf: bytes, offset: int = 0) -> tuple[bytes, int] | None:
    """The complete line at ``offset`` (LF or CR LF ended, terminator removed) and the
    offset after it; None while the line has no end yet (POP3, IRC)."""
    end = buf.find(b"\n", offset)
    if end < 0:
        return None
    line = bytes(buf[offset:end])
    return (line[:-1] if line.endswith(b"\r") else line), end + 1


def next_line_crs_stripped(buf: bytes, offset: int) -> tuple[bytes | None, int]:
    """The next line without its line end, every trailing CR stripped as Zeek's FTP and
    SMTP analyzers do, and the offset after it; (None, offset) when no full line is
    buffered yet."""
    end = buf.find(b"\n", offset)
    if end < 0:
        return None, offset
    return buf[offset:end].rstrip(b"\r"), end + 1
