"""A connection: the per-flow record the table keeps, and its conn.log rendering."""

from __future__ import annotations

import socket

from ..decode.packet import ICMP, ICMP6, TCP, UDP
from . import tcp

PROTO_NAMES = {TCP: "tcp", UDP: "udp", ICMP: "icmp", ICMP6: "icmp"}


def addr_text(addr: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET if len(addr) == 4 else socket.AF_INET6, addr)


class Conn:
    """State of one connection. Slotted: the table may hold half a million at once."""

    __slots__ = ("uid", "proto", "orig_h", "resp_h", "orig_p", "resp_p", "keys",
                 "start", "last", "orig_pkts", "orig_ip", "resp_pkts", "resp_ip",
                 "orig_size", "resp_size", "history", "hist_seen", "orig_ep", "resp_ep",
                 "services", "analyzers", "parents", "missed", "weirds", "deadline",
                 "attempt_deadline", "one_way", "done", "reassembler", "tunnel", "timeout",
                 "rejected", "dpd", "passive", "fast")

    def __init__(self, uid: str, proto: int, orig_h: bytes, orig_p: int, resp_h: bytes,
                 resp_p: int, ts: float):
        self.uid = uid
        self.proto = proto
        self.orig_h, self.orig_p, self.resp_h, self.resp_p = orig_h, orig_p, resp_h, resp_p
        self.keys: tuple = ()
        self.start = self.last = ts
        self.orig_pkts = self.orig_ip = self.resp_pkts = self.resp_ip = 0
        self.orig_size = self.resp_size = 0       # UDP/ICMP/other payload bytes
        self.history = ""
        self.hist_seen = 0
        if proto == TCP:
            self.orig_ep = tcp.Endpoint(True)
            self.resp_ep = tcp.Endpoint(False)
        else:
            self.orig_ep = self.resp_ep = None
        self.services: list[str] | None = None
        self.analyzers: list | None = None
        self.parents: tuple = ()        # uids of the tunnels it arrived in (Zeek: a set)
        self.missed = 0
        self.weirds: set[str] | None = None
        self.deadline = 0.0
        self.attempt_deadline = 0.0
        self.one_way = False
        self.done = False
        self.reassembler = None
        self.tunnel = None              # the Tunnel this connection carries, if any
        self.timeout: float | None = None   # an analyzer's own inactivity timeout (DNS)
        self.rejected: frozenset | None = None  # analyzers that reported a violation
        self.dpd: list | None = None    # first bytes of each side while detection runs
        self.passive = False            # nothing wants its payload: the fast path may run
        self.fast = False               # passive, and in a state FastPath handles

    def id_fields(self) -> dict:
        return {"uid": self.uid, "id.orig_h": addr_text(self.orig_h), "id.orig_p": self.orig_p,
                "id.resp_h": addr_text(self.resp_h), "id.resp_p": self.resp_p}

    def add_service(self, name: str) -> None:
        if self.services is None:
            self.services = [name]
        elif name not in self.services:
            self.services.append(name)

    def state_and_sizes(self) -> tuple[str, int, int]:
        if self.proto == TCP:
            o, r = self.orig_ep, self.resp_ep
            return tcp.conn_state(o, r, self.history), o.size(r), r.size(o)
        if self.proto == UDP:
            o_active, r_active = self.orig_pkts > 0, self.resp_pkts > 0
            if o_active:
                state = "SF" if r_active else "S0"
            else:
                state = "SHR" if r_active else "OTH"
            return state, self.orig_size, self.resp_size
        return "OTH", self.orig_size, self.resp_size

    def record(self, local_nets, community_id: str | None) -> dict:
        """The conn.log record, as Zeek's set_conn fills it at the end."""
        state, orig_bytes, resp_bytes = self.state_and_sizes()
        duration = self.last - self.start
        rec = self.id_fields()
        rec["ts"] = self.start
        rec["proto"] = PROTO_NAMES.get(self.proto, "unknown_transport")
        if self.services:
            rec["service"] = ",".join(self.services)
        if duration > 0:
            rec["duration"] = duration
            rec["orig_bytes"] = orig_bytes
            rec["resp_bytes"] = resp_bytes
        rec["conn_state"] = state
        if local_nets is not None:
            rec["local_orig"] = self.orig_h in local_nets
            rec["local_resp"] = self.resp_h in local_nets
        rec["missed_bytes"] = self.missed
        if self.history:
            rec["history"] = self.history
        rec["orig_pkts"] = self.orig_pkts
        rec["orig_ip_bytes"] = self.orig_ip
        rec["resp_pkts"] = self.resp_pkts
        rec["resp_ip_bytes"] = self.resp_ip
        if self.parents:
            rec["tunnel_parents"] = self.parents
        rec["ip_proto"] = self.proto
        rec["community_id"] = community_id
        return rec
