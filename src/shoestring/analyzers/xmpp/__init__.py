"""XMPP analyzer: conn.log service "xmpp" and the STARTTLS hand-off to TLS."""

from ..base import AnalyzerSpec
from . import consts
from .analyzer import XmppAnalyzer
from .parse import XmppParseError, looks_like_xmpp

# Not yet registered as SPEC (detect.py collects SPEC/SPECS): once this analyzer holds
# the port, TLS after STARTTLS is found only through ctx.handoff(), and the pipeline
# still feeds the segment that carried the STARTTLS reply to detection after the
# hand-off, so the TLS analyzer is replayed cleartext and fails (it works today by
# content detection alone, with no analyzer on the port). Add "SPEC = STARTTLS_SPEC" once
# Pipeline._stream skips detection for a segment whose delivery called handoff().
STARTTLS_SPEC = AnalyzerSpec(name="xmpp", factory=XmppAnalyzer, tcp_ports=consts.PORTS,
                             signature=looks_like_xmpp)

__all__ = ["STARTTLS_SPEC", "XmppAnalyzer", "XmppParseError", "looks_like_xmpp"]
