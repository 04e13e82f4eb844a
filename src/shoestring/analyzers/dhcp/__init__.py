"""DHCP analyzer: dhcp.log, one record per transaction id (the device inventory)."""

from ..base import AnalyzerSpec
from .analyzer import DhcpAnalyzer
from .parse import looks_like_dhcp

# Zeek registers 67/udp (server), 68/udp (client) and 4011/udp (proxyDHCP).
SPEC = AnalyzerSpec(name="dhcp", factory=DhcpAnalyzer,
                    udp_ports=frozenset({67, 68, 4011}), signature=looks_like_dhcp)

__all__ = ["SPEC", "DhcpAnalyzer"]
