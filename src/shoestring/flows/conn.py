"""A connection: the per-flow record the table keeps, and its conn.log rendering."""

from __future__ import annotations

import socket
from sys import intern
from typing import Any

from mypy_extensions import u8

from ..decode.packet import ICMP, ICMP6, TCP, UDP
from . import tcp
from .local_nets import LocalNets

PROTO_NAMES = {TCP: "tcp", UDP: "udp", ICMP: "icmp", ICMP6: "icmp"}


def addr_text(addr: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET if len(addr) == 4 else socket.AF_INET6, addr)


# A connection's key in the table: one int, the same from either direction, so each
# connection costs one dict entry and one small object (not a tuple per direction). Each
# side is (address << 16 | port); the lower side goes first (a one-way ICMP message keeps
# its own direction), the protocol above both. IPv6 keys carry a tag bit above
# everything an IPv4 key can hold, so the two never meet.
V4_SIDE = 48                    # bits of one IPv4 side: 32 address + 16 port
V6_SIDE = 144                   # 128 + 16
V4_PROTO_SHIFT = 2 * V4_SIDE
V6_PROTO_SHIFT = 2 * V6_SIDE
V6_TAG = 1 << (V6_PROTO_SHIFT + 8)
V4_MASK = (1 << V4_SIDE) - 1
V6_MASK = (1 << V6_SIDE) - 1


def conn_key(src: bytes, sport: int, dst: bytes, dport: int, proto: int,
             one_way: bool) -> tuple[int, bool]:
    """(key, whether the packet's source is the key's first side). Ports are 16 bits
    (ICMP: type and code, 8); the mask only keeps a caller's stray value from spilling
    into the address bits."""
    a = int.from_bytes(src, "big") << 16 | (sport & 0xFFFF)
    b = int.from_bytes(dst, "big") << 16 | (dport & 0xFFFF)
    first = one_way or a <= b
    if len(src) == 4:
        if first:
            return proto << V4_PROTO_SHIFT | a << V4_SIDE | b, True
        return proto << V4_PROTO_SHIFT | b << V4_SIDE | a, False
    if first:
        return V6_TAG | proto << V6_PROTO_SHIFT | a << V6_SIDE | b, True
    return V6_TAG | proto << V6_PROTO_SHIFT | b << V6_SIDE | a, False


def key_side(key: int, first: bool) -> tuple[bytes, int]:
    """(address, port) of one side of a key."""
    if key >= V6_TAG:
        side = (key >> V6_SIDE) & V6_MASK if first else key & V6_MASK
        return (side >> 16).to_bytes(16, "big"), side & 0xFFFF
    side = (key >> V4_SIDE) & V4_MASK if first else key & V4_MASK
    return (side >> 16).to_bytes(4, "big"), side & 0xFFFF


class ConnExtra:
    """What only some connections need: analysis state, anomalies, tunnels. Kept out of
    Conn itself so the table's half a million passive connections stay small."""

    __slots__ = ("missed", "weirds", "reassembler", "tunnel", "timeout", "rejected", "dpd",
                 "scaled", "services", "parents")

    def __init__(self):
        self.missed = 0                 # bytes lost in content gaps (missed_bytes)
        self.weirds: set[str] | None = None     # weird names logged for this conn
        self.reassembler = None
        self.tunnel = None              # the Tunnel this connection carries, if any
        self.timeout: float | None = None       # an analyzer's own inactivity timeout
        self.rejected: frozenset | None = None  # analyzers that reported a violation
        self.dpd: list | None = None    # first bytes of each side while detection runs
        self.scaled: dict | None = None     # history letters counted 1, 10, 100 (T, C, W, G)
        self.services: list[str] | None = None
        self.parents: tuple = ()        # uids of the tunnels it arrived in (Zeek: a set)


class Conn:
    """State of one connection. Slotted, hot fields only (see ConnExtra): the table may
    hold half a million at once, and the 400 MB budget counts every byte. Addresses and
    ports are not stored: they are read from the table's key (``orig_first`` says which
    side of it is the originator; a flip only toggles it)."""

    __slots__ = ("_uid", "_ids", "key", "start", "last", "orig_pkts", "orig_ip",
                 "resp_pkts", "resp_ip", "orig_size", "resp_size", "history", "hist_seen",
                 "orig_ep", "resp_ep", "analyzers", "x", "proto", "orig_first", "attempt",
                 "one_way", "done", "passive", "fast")

    def __init__(self, ids, proto: int, key: int, orig_first: bool, ts: float):
        self._uid: str | None = None    # drawn when first needed (most: at logging)
        self._ids = ids
        self.key = key
        self.start = self.last = ts
        self.orig_pkts = self.orig_ip = self.resp_pkts = self.resp_ip = 0
        self.orig_size = self.resp_size = 0       # UDP/ICMP/other payload bytes
        self.history = ""
        self.hist_seen = 0
        self.orig_ep: tcp.Endpoint | None = None      # TCP only
        self.resp_ep: tcp.Endpoint | None = None
        if proto == TCP:
            self.orig_ep = tcp.Endpoint(True)
            self.resp_ep = tcp.Endpoint(False)
        self.analyzers: list | None = None
        self.x: ConnExtra | None = None
        self.proto: u8 = proto          # a byte: it shares a word with the flags below
        self.orig_first = orig_first    # the originator is the key's first side
        self.attempt = False            # began with a SYN: the attempt timeout applies
        self.one_way = False
        self.done = False
        self.passive = False            # nothing wants its payload: the fast path may run
        self.fast = False               # passive, and in a state FastPath handles

    @property
    def orig_h(self) -> bytes:
        return key_side(self.key, self.orig_first)[0]

    @property
    def resp_h(self) -> bytes:
        return key_side(self.key, not self.orig_first)[0]

    @property
    def orig_p(self) -> int:
        return key_side(self.key, self.orig_first)[1]

    @property
    def resp_p(self) -> int:
        return key_side(self.key, not self.orig_first)[1]

    @property
    def uid(self) -> str:
        uid = self._uid
        if uid is None:
            uid = self._uid = self._ids.new("C")
        return uid

    # ConnExtra's fields, read through (defaults while there is none) and created on the
    # first write. Spelled out rather than generated: the compiled build needs real
    # properties.

    def _more(self) -> ConnExtra:
        extra = self.x
        if extra is None:
            extra = self.x = ConnExtra()
        return extra

    @property
    def scaled(self) -> dict:
        extra = self._more()
        scaled = extra.scaled
        if scaled is None:
            scaled = extra.scaled = {}
        return scaled

    @property
    def missed(self) -> int:
        return 0 if self.x is None else self.x.missed

    @missed.setter
    def missed(self, value: int) -> None:
        self._more().missed = value

    @property
    def weirds(self) -> set[str] | None:
        return None if self.x is None else self.x.weirds

    @weirds.setter
    def weirds(self, value: set[str] | None) -> None:
        self._more().weirds = value

    @property
    def reassembler(self) -> Any:
        return None if self.x is None else self.x.reassembler

    @reassembler.setter
    def reassembler(self, value: Any) -> None:
        self._more().reassembler = value

    @property
    def tunnel(self) -> Any:
        return None if self.x is None else self.x.tunnel

    @tunnel.setter
    def tunnel(self, value: Any) -> None:
        self._more().tunnel = value

    @property
    def timeout(self) -> float | None:
        return None if self.x is None else self.x.timeout

    @timeout.setter
    def timeout(self, value: float | None) -> None:
        self._more().timeout = value

    @property
    def rejected(self) -> frozenset | None:
        return None if self.x is None else self.x.rejected

    @rejected.setter
    def rejected(self, value: frozenset | None) -> None:
        self._more().rejected = value

    @property
    def dpd(self) -> list | None:
        return None if self.x is None else self.x.dpd

    @dpd.setter
    def dpd(self, value: list | None) -> None:
        self._more().dpd = value

    @property
    def services(self) -> list[str] | None:
        return None if self.x is None else self.x.services

    @services.setter
    def services(self, value: list[str] | None) -> None:
        self._more().services = value

    @property
    def parents(self) -> tuple:
        return () if self.x is None else self.x.parents

    @parents.setter
    def parents(self, value: tuple) -> None:
        self._more().parents = value

    def append_history(self, letters: str) -> None:
        """Add history letters. The result is interned: half a million open connections
        mostly share a handful of histories ("ShAD", "Dd", ...), and a shared string
        costs nothing per connection."""
        self.history = intern(self.history + letters)

    def ends(self) -> tuple[bytes, int, bytes, int]:
        """(orig_h, orig_p, resp_h, resp_p) in one go."""
        orig_h, orig_p = key_side(self.key, self.orig_first)
        resp_h, resp_p = key_side(self.key, not self.orig_first)
        return orig_h, orig_p, resp_h, resp_p

    def id_fields(self) -> dict:
        return self._id_fields(*self.ends())

    def _id_fields(self, orig_h: bytes, orig_p: int, resp_h: bytes, resp_p: int) -> dict:
        return {"uid": self.uid, "id.orig_h": addr_text(orig_h), "id.orig_p": orig_p,
                "id.resp_h": addr_text(resp_h), "id.resp_p": resp_p}

    def add_service(self, name: str) -> None:
        services = self.services
        if services is None:
            self.services = [name]
        elif name not in services:
            services.append(name)

    def state_and_sizes(self) -> tuple[str, int, int]:
        o, r = self.orig_ep, self.resp_ep
        if o is not None and r is not None:
            return tcp.conn_state(o, r, self.history), o.size(r), r.size(o)
        if self.proto == UDP:
            o_active, r_active = self.orig_pkts > 0, self.resp_pkts > 0
            if o_active:
                state = "SF" if r_active else "S0"
            else:
                state = "SHR" if r_active else "OTH"
            return state, self.orig_size, self.resp_size
        return "OTH", self.orig_size, self.resp_size

    def record(self, local_nets: LocalNets | None, community_id: str | None) -> dict:
        """The conn.log record, as Zeek's set_conn fills it at the end."""
        state, orig_bytes, resp_bytes = self.state_and_sizes()
        duration = self.last - self.start
        orig_h, orig_p, resp_h, resp_p = self.ends()
        rec = self._id_fields(orig_h, orig_p, resp_h, resp_p)
        rec["ts"] = self.start
        rec["proto"] = PROTO_NAMES.get(self.proto, "unknown_transport")
        services = self.services
        if services:
            rec["service"] = ",".join(services)
        if duration > 0:
            rec["duration"] = duration
            rec["orig_bytes"] = orig_bytes
            rec["resp_bytes"] = resp_bytes
        rec["conn_state"] = state
        if local_nets is not None:
            rec["local_orig"] = orig_h in local_nets
            rec["local_resp"] = resp_h in local_nets
        rec["missed_bytes"] = self.missed
        if self.history:
            rec["history"] = self.history
        rec["orig_pkts"] = self.orig_pkts
        rec["orig_ip_bytes"] = self.orig_ip
        rec["resp_pkts"] = self.resp_pkts
        rec["resp_ip_bytes"] = self.resp_ip
        parents = self.parents
        if parents:
            rec["tunnel_parents"] = parents
        rec["ip_proto"] = self.proto
        rec["community_id"] = community_id
        return rec
