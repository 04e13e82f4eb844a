"""XMPP analyzer: conn.log service "xmpp" and the STARTTLS hand-off to TLS."""

from ..base import AnalyzerSpec
from . import consts
from .analyzer import XmppAnalyzer
from .parse import XmppParseError, looks_like_xmpp

STARTTLS_SPEC = AnalyzerSpec(name="xmpp", factory=XmppAnalyzer, tcp_ports=consts.PORTS,
                             signature=looks_like_xmpp)

SPEC = STARTTLS_SPEC

__all__ = ["SPEC", "STARTTLS_SPEC", "XmppAnalyzer", "XmppParseError", "looks_like_xmpp"]
