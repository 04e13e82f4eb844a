"""DNS analyzer: dns.log for DNS over UDP and TCP, mDNS, LLMNR and NetBIOS name service."""

from ..base import AnalyzerSpec
from .analyzer import DnsAnalyzer
from .parse import DNSParseError, looks_like_dns, parse_message

# Zeek's DNS::ports: 53/udp, 53/tcp, 137/udp (NetBIOS-NS), 5353/udp (mDNS), 5355/udp
# (LLMNR). "inactivity_timeout" is Zeek's dns_session_timeout: a UDP DNS connection is
# removed after 10 s without packets (its unanswered queries are then logged).
SPEC = AnalyzerSpec(name="dns", factory=DnsAnalyzer,
                    tcp_ports=frozenset({53}),
                    udp_ports=frozenset({53, 5353, 5355, 137}),
                    signature=looks_like_dns,
                    extra={"udp_inactivity_timeout": 10.0})

__all__ = ["SPEC", "DnsAnalyzer", "DNSParseError", "looks_like_dns", "parse_message"]
