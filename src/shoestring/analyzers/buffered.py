"""A base for analyzers that buffer each side's bytes until a unit (a line, a tag, a
frame) is complete, and stop for good on a gap, at the end, or when they are done.

Stopping clears the buffers and sets ``wants_more = False``, so the connection may go on
the fast path (analyzers/base.py). Subclasses implement ``deliver``.
"""

from __future__ import annotations

from mypy_extensions import mypyc_attr

from .base import Analyzer, ConnContext


# Compiled (setup.py); subclasses not compiled yet (POP3, IRC) may still extend it.
@mypyc_attr(allow_interpreted_subclasses=True)
class BufferedAnalyzer(Analyzer):
    def __init__(self, ctx: ConnContext):
        super().__init__(ctx)
        self.bufs: dict[bool, bytearray] = {True: bytearray(), False: bytearray()}
        self.stopped = False

    def gap(self, is_orig: bool, length: int, ts: float) -> None:
        self._stop()                        # unit boundaries are lost with the bytes

    def finish(self, ts: float) -> None:
        self._stop()

    def _stop(self) -> None:
        self.stopped = True
        self.wants_more = False             # the connection may take the fast path
        self.bufs[True].clear()
        self.bufs[False].clear()
