"""POP3 analyzer: conn.log service "pop3" and the STLS hand-off to TLS."""

from ..base import AnalyzerSpec
from . import consts
from .analyzer import Pop3Analyzer
from .parse import Pop3ParseError, looks_like_pop3

# Not yet registered as SPEC (detect.py collects SPEC/SPECS): once this analyzer holds
# the port, TLS after STARTTLS is found only through ctx.handoff(), and the pipeline
# still feeds the segment that carried the STARTTLS reply to detection after the
# hand-off, so the TLS analyzer is replayed cleartext and fails (it works today by
# content detection alone, with no analyzer on the port). Add "SPEC = STARTTLS_SPEC" once
# Pipeline._stream skips detection for a segment whose delivery called handoff().
STARTTLS_SPEC = AnalyzerSpec(name="pop3", factory=Pop3Analyzer, tcp_ports=consts.PORTS,
                             signature=looks_like_pop3)

__all__ = ["STARTTLS_SPEC", "Pop3Analyzer", "Pop3ParseError", "looks_like_pop3"]
