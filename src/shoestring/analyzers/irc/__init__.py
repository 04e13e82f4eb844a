"""IRC analyzer: conn.log service "irc" and the STARTTLS hand-off to TLS."""

from ..base import AnalyzerSpec
from . import consts
from .analyzer import IrcAnalyzer
from .parse import IrcParseError, looks_like_irc

# Not yet registered as SPEC (detect.py collects SPEC/SPECS): once this analyzer holds
# the port, TLS after STARTTLS is found only through ctx.handoff(), and the pipeline
# still feeds the segment that carried the STARTTLS reply to detection after the
# hand-off, so the TLS analyzer is replayed cleartext and fails (it works today by
# content detection alone, with no analyzer on the port). Add "SPEC = STARTTLS_SPEC" once
# Pipeline._stream skips detection for a segment whose delivery called handoff().
STARTTLS_SPEC = AnalyzerSpec(name="irc", factory=IrcAnalyzer, tcp_ports=consts.PORTS,
                             signature=looks_like_irc)

__all__ = ["STARTTLS_SPEC", "IrcAnalyzer", "IrcParseError", "looks_like_irc"]
