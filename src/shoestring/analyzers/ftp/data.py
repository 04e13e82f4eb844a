"""FTP data channels: the run-wide table of expected data connections and the
"ftp-data" analyzer that turns a data connection's bytes into a file.

The control session registers each announced channel (PORT/EPRT, 227/229 replies) with
:meth:`ExpectedChannels.expect`; the pipeline asks :meth:`ExpectedChannels.match` for
every new TCP connection (see the package docstring for the contract).
"""

from __future__ import annotations

from collections import OrderedDict

from ..base import Analyzer, ConnContext
from . import consts as C

try:                                    # the shared file machinery (files.log, sniffing)
    from ..files import BOF_SIZE, emit_file, new_file, sniff
except ImportError:                     # pragma: no cover - files/ is part of the tree
    new_file = emit_file = sniff = None
    BOF_SIZE = 0


class _Expectation:
    __slots__ = ("orig_h", "session", "ts")

    def __init__(self, orig_h: str, session, ts: float):
        self.orig_h, self.session, self.ts = orig_h, session, ts


class ExpectedChannels:
    """Zeek's ftp_data_expected + schedule_analyzer: (resp_h, resp_p) -> the control
    session that announced it, for EXPECT_TIMEOUT seconds of network time."""

    def __init__(self):
        self.table: OrderedDict[tuple[str, int], _Expectation] = OrderedDict()

    def expect(self, orig_h: str, resp_h: str, resp_p: int, session, ts: float,
               ctx: ConnContext | None = None) -> None:
        key = (resp_h, resp_p)
        self.table.pop(key, None)
        if len(self.table) >= C.MAX_EXPECTED:
            self.table.popitem(last=False)           # the oldest goes first
            if ctx is not None:
                ctx.weird("FTP_too_many_expected_data_channels", str(C.MAX_EXPECTED), ts)
        self.table[key] = _Expectation(orig_h, session, ts)

    def match(self, orig_h: str, resp_h: str, resp_p: int, ts: float):
        """The control session expecting this connection, or None."""
        exp = self.table.get((resp_h, resp_p))
        if exp is None:
            return None
        if ts - exp.ts > C.EXPECT_TIMEOUT:
            del self.table[(resp_h, resp_p)]
            return None
        return exp.session if exp.orig_h == orig_h else None

    def forget(self, resp_h: str, resp_p: int) -> None:
        self.table.pop((resp_h, resp_p), None)

    def __len__(self) -> int:
        return len(self.table)


class FtpDataAnalyzer(Analyzer):
    """One data connection: its bytes are one file (Zeek's FTP_DATA file source)."""

    service = "ftp-data"

    def __init__(self, ctx: ConnContext, session):
        super().__init__(ctx)
        self.session = session
        self.files: dict[bool, object] = {}
        self.bof = bytearray()          # the file's first bytes, for an early sniff
        ctx.confirm("ftp-data")

    def deliver(self, is_orig: bool, data: bytes, ts: float) -> None:
        if new_file is None or not data:
            return
        try:
            f = self.files.get(is_orig)
            if f is None:
                f = self.files[is_orig] = new_file(self.ctx, "FTP_DATA", is_orig, ts,
                                                   on_mime=self._mime)
                self.session.data_file(f.fuid, self)
            if len(self.bof) < BOF_SIZE:
                self.bof += data[:BOF_SIZE - len(self.bof)]
            f.data(data, ts)
        except Exception as exc:  # noqa: BLE001 - analyzers never raise
            self.ctx.weird("ftp_data_analyzer_error", repr(exc)[:200], ts)

    def gap(self, is_orig: bool, length: int, ts: float) -> None:
        f = self.files.get(is_orig)
        if f is not None:
            f.gap(length, ts)

    def _mime(self, mime_type: str) -> None:
        self.session.data_mime(mime_type, self)

    def peek_mime(self) -> str | None:
        """The MIME type of what arrived so far: the control session logs its record
        when the next command comes, which may be before this connection has ended."""
        return sniff(bytes(self.bof)) if sniff is not None and self.bof else None

    def finish(self, ts: float) -> None:
        try:
            for f in self.files.values():
                emit_file(self.ctx, f)
            self.files.clear()
            # Zeek's finalize_ftp_data: the expectation is used up.
            self.session.channels.forget(self.ctx.resp_h, self.ctx.resp_p)
        except Exception as exc:  # noqa: BLE001
            self.ctx.weird("ftp_data_analyzer_error", repr(exc)[:200], ts)
