"""IRC analyzer: conn.log service "irc" and the STARTTLS hand-off to TLS."""

from ..base import AnalyzerSpec
from . import consts
from .analyzer import IrcAnalyzer
from .parse import IrcParseError, looks_like_irc

STARTTLS_SPEC = AnalyzerSpec(name="irc", factory=IrcAnalyzer, tcp_ports=consts.PORTS,
                             signature=looks_like_irc)

SPEC = STARTTLS_SPEC

__all__ = ["SPEC", "STARTTLS_SPEC", "IrcAnalyzer", "IrcParseError", "looks_like_irc"]
