"""RDP analyzer: conn.log service "rdp", the server's X.509 certificates for x509.log, and
the hand-off to TLS when the client and server negotiate TLS or CredSSP."""

from ..base import AnalyzerSpec
from .analyzer import RdpAnalyzer
from .parse import RdpParseError, looks_like_rdp

# Zeek registers 3389/tcp (base/protocols/rdp/main.zeek); its dpd.sig finds RDP elsewhere
# by the client's "Cookie: mstshash=" and the server's confirm.
SPEC = AnalyzerSpec(name="rdp", factory=RdpAnalyzer, tcp_ports=frozenset({3389}),
                    signature=looks_like_rdp)

__all__ = ["SPEC", "RdpAnalyzer", "RdpParseError", "looks_like_rdp"]
