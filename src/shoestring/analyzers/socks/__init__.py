"""SOCKS 4/4a/5 analyzer: the proxy handshake, then a Tunnel::SOCKS hand-off (tunnel.log)."""

from ..base import AnalyzerSpec
from .analyzer import SocksAnalyzer
from .parse import SocksParseError, looks_like_socks

# Zeek registers 1080/tcp (base/protocols/socks/main.zeek); its dpd.sig finds SOCKS
# elsewhere by the client's first message and the server's answer.
SPEC = AnalyzerSpec(name="socks", factory=SocksAnalyzer, tcp_ports=frozenset({1080}),
                    signature=looks_like_socks)

__all__ = ["SPEC", "SocksAnalyzer", "SocksParseError", "looks_like_socks"]
