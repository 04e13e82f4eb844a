"""FTP analyzer: ftp.log (commands, replies, users, data channels) and ftp-data files.

Data-channel contract with the pipeline (the only cross-connection link FTP needs):

- Control sessions register each data connection they announce in the run-wide object
  ``ctx.shared("ftp-data", ExpectedChannels)``: key (resp_h, resp_p), the expected
  originator address, the announcing session and the time. Like Zeek's
  schedule_analyzer, an expectation lasts 5 minutes of network time.
- For every new TCP connection, before port/signature detection, the pipeline calls
  :func:`expected_data_analyzer` (also in ``SPEC.extra["expected"]``) with the new
  connection's context and the time of its first packet. A non-None result is the
  "ftp-data" analyzer to attach (it confirms service "ftp-data" itself); None means the
  connection is not an expected FTP data channel.
- The data analyzer writes the transferred bytes as a file (files.log, source FTP_DATA)
  and reports the file's fuid and sniffed MIME type into the control session, which
  logs them with the RETR/STOR record, as Zeek does.
"""

from ..base import Analyzer, AnalyzerSpec, ConnContext
from .analyzer import FtpAnalyzer
from .data import ExpectedChannels, FtpDataAnalyzer
from .parse import looks_like_ftp


def expected_data_analyzer(ctx: ConnContext, ts: float) -> Analyzer | None:
    """The ftp-data analyzer for ``ctx`` if a control session announced it, else None."""
    channels = ctx.shared("ftp-data", ExpectedChannels)
    session = channels.match(ctx.orig_h, ctx.resp_h, ctx.resp_p, ts)
    return FtpDataAnalyzer(ctx, session) if session is not None else None


# Zeek registers 21/tcp and 2811/tcp (GridFTP); dpd.sig matches USER/PASS and "220".
SPEC = AnalyzerSpec(name="ftp", factory=FtpAnalyzer, tcp_ports=frozenset({21, 2811}),
                    signature=looks_like_ftp, extra={"expected": expected_data_analyzer,
                           # the hook runs only while this shared object holds any
                           "expected_in": "ftp-data"})

__all__ = ["SPEC", "FtpAnalyzer", "FtpDataAnalyzer", "ExpectedChannels",
           "expected_data_analyzer"]
