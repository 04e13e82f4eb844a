"""POP3 analyzer: conn.log service "pop3" and the STLS hand-off to TLS."""

from ..base import AnalyzerSpec
from . import consts
from .analyzer import Pop3Analyzer
from .parse import Pop3ParseError, looks_like_pop3

STARTTLS_SPEC = AnalyzerSpec(name="pop3", factory=Pop3Analyzer, tcp_ports=consts.PORTS,
                             signature=looks_like_pop3)

SPEC = STARTTLS_SPEC

__all__ = ["SPEC", "STARTTLS_SPEC", "Pop3Analyzer", "Pop3ParseError", "looks_like_pop3"]
