"""SMTP analyzer: smtp.log, one record per mail transaction."""

from ..base import AnalyzerSpec
from .analyzer import SmtpAnalyzer
from .parse import looks_like_smtp

# Zeek registers 25/tcp and 587/tcp; its dpd.sig finds SMTP elsewhere by the 220
# greeting and the client's HELO/EHLO.
SPEC = AnalyzerSpec(name="smtp", factory=SmtpAnalyzer, tcp_ports=frozenset({25, 587}),
                    signature=looks_like_smtp)

__all__ = ["SPEC", "SmtpAnalyzer"]
