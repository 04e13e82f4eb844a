"""Which addresses are local (conn.log local_orig/local_resp).

The default is Zeek's: its private and special-purpose address space (Site::
private_address_space, drawn from IANA's special-purpose registries), which is what a
small office's LAN is made of. Lookups are cached per address: a conn asks twice.

Compiled (setup.py COMPILED): every logged connection asks twice, and the analyzers ask
through the pipeline's connection view.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

ZEEK_DEFAULT_LOCAL_NETS = (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/24", "240.0.0.0/4",
    "255.255.255.255/32",
    "::/128", "::1/128", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "2001::/23",
    "2001:db8::/32", "fc00::/7", "fe80::/10",
)

# Addresses remembered. An office's own hosts and its busiest peers fit; a run with a
# million distinct addresses (a scan, the 500k-connection memory benchmark) would
# otherwise keep ~80 MB of cache alive, scattered through the memory its connections
# freed. A miss costs one pass over the list of networks.
MAX_CACHE = 1 << 14


class LocalNets:
    def __init__(self, networks: Iterable[str] = ZEEK_DEFAULT_LOCAL_NETS) -> None:
        self._nets: dict[int, list[tuple[int, int]]] = {4: [], 16: []}
        for text in networks:
            net = ipaddress.ip_network(text, strict=False)
            size = 4 if net.version == 4 else 16
            self._nets[size].append((int(net.netmask), int(net.network_address)))
        self._cache: dict[bytes, bool] = {}

    def __contains__(self, addr: bytes) -> bool:
        hit = self._cache.get(addr)
        if hit is None:
            value = int.from_bytes(addr, "big")
            hit = any(value & mask == net for mask, net in self._nets[len(addr)])
            if len(self._cache) >= MAX_CACHE:
                self._cache.clear()
            self._cache[addr] = hit
        return hit
