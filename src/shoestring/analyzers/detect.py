"""Dynamic protocol detection: which analyzers a connection gets.

Every analyzer package exports ``SPEC`` (analyzers/base.py AnalyzerSpec); they are
discovered here, so adding a protocol never edits this file. A connection gets the
analyzers registered for its responder port at once, and, while it has none, those
whose payload signature matches its first bytes in either direction (HTTP on 8081, DNS
on 5353, ...). An analyzer that reports a violation is detached by the pipeline.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from .base import AnalyzerSpec

# Zeek's likely_server_ports beyond what our analyzers register: the role heuristic
# (who is the server when the first packet seen is not a SYN) must agree with Zeek's.
EXTRA_LIKELY_TCP = frozenset({21, 22, 23, 25, 53, 80, 88, 110, 111, 135, 139, 143, 389, 443,
                              445, 465, 513, 514, 587, 636, 993, 995, 1080, 1433, 1521,
                              3128, 3306, 3389, 5222, 5269, 5432, 6379, 6667, 8000, 8080,
                              8443, 8888, 2049, 502, 1883, 5060, 6666, 6668, 6669, 563,
                              585, 614, 989, 990, 992, 5223, 2811, 992})
EXTRA_LIKELY_UDP = frozenset({53, 67, 69, 88, 111, 123, 137, 161, 162, 443, 500, 514,
                              1812, 1813, 2049, 3544, 4789, 5060, 5072, 5353, 5355, 6081,
                              2123, 2152, 4754, 1701, 4500, 5246, 5247})

# Ports analyzers listen on that are clients' side, never a server's (DHCP's 68,
# DHCPv6's 546): Zeek leaves them out of likely_server_ports.
CLIENT_PORTS = frozenset({68, 546})


@cache
def all_specs() -> tuple[AnalyzerSpec, ...]:
    from .. import analyzers as package

    specs = []
    for info in pkgutil.iter_modules(package.__path__):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        spec = getattr(module, "SPEC", None)
        if isinstance(spec, AnalyzerSpec):
            specs.append(spec)
        specs.extend(s for s in getattr(module, "SPECS", ()) if isinstance(s, AnalyzerSpec))
    return tuple(sorted(specs, key=lambda s: s.name))


class Detector:
    """Port and signature lookups, precomputed once."""

    def __init__(self, enabled: set[str] | None = None):
        specs = [s for s in all_specs() if enabled is None or s.name in enabled]
        self.by_tcp_port: dict[int, list[AnalyzerSpec]] = {}
        self.by_udp_port: dict[int, list[AnalyzerSpec]] = {}
        for spec in specs:
            for port in spec.tcp_ports:
                self.by_tcp_port.setdefault(port, []).append(spec)
            for port in spec.udp_ports:
                self.by_udp_port.setdefault(port, []).append(spec)
        self.expecting = [s for s in specs if s.extra and s.extra.get("expected")]
        self.tcp_signatures = [s for s in specs if s.signature and s.tcp_ports]
        self.udp_signatures = [s for s in specs if s.signature and s.udp_ports]
        self.any_signatures = [s for s in specs if s.signature and not s.tcp_ports
                               and not s.udp_ports]

    def likely_server_ports(self) -> dict[int, frozenset[int]]:
        return {6: (frozenset(self.by_tcp_port) | EXTRA_LIKELY_TCP) - CLIENT_PORTS,
                17: (frozenset(self.by_udp_port) | EXTRA_LIKELY_UDP) - CLIENT_PORTS}

    def by_port(self, is_tcp: bool, resp_p: int) -> list[AnalyzerSpec]:
        return (self.by_tcp_port if is_tcp else self.by_udp_port).get(resp_p, [])

    def by_signature(self, is_tcp: bool, data: bytes, is_orig: bool,
                     exclude: set[str]) -> list[AnalyzerSpec]:
        found = []
        for spec in (self.tcp_signatures if is_tcp else self.udp_signatures) + \
                self.any_signatures:
            if spec.name in exclude:
                continue
            try:
                if spec.signature(data, is_orig):
                    found.append(spec)
            except Exception:       # a signature must never take the sensor down
                continue
        return found
