"""Checking the sensor's clock: ask each NTP server by SNTP, log the answers, judge.

One request per server and address, a short timeout, no retries within a check (the
next check is an hour away and a sensor must not hammer public servers). Servers
are the configured names; defaults are India's national time sources (NIC and NPL).
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field

from .sntp import NTP_PORT, Reply, SntpError, parse_reply, request

DEFAULT_SERVERS = ("samay1.nic.in", "samay2.nic.in", "time.nplindia.org")
TOLERANCE_S = 1.0            # the threshold: warn beyond one second
TIMEOUT_S = 2.0              # per server; NTP replies come within ms on a sane path
CHECK_EVERY_S = 3600.0       # at start and hourly
MAX_REPLY = 1024             # a reply larger than this is not NTP; read no more


@dataclass
class ServerResult:
    server: str
    address: str | None
    reply: Reply | None = None
    error: str | None = None


@dataclass
class ClockState:
    """The outcome of one check: what the store records with each sealed file."""

    checked_at: float
    results: list[ServerResult] = field(default_factory=list)

    @property
    def best(self) -> ServerResult | None:
        answered = [r for r in self.results if r.reply is not None]
        return min(answered, key=lambda r: r.reply.delay) if answered else None

    @property
    def synced(self) -> bool:
        best = self.best
        return best is not None and abs(best.reply.offset) <= TOLERANCE_S

    def summary(self) -> str:
        """One line for the store's seal entries and for warnings."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.checked_at))
        best = self.best
        if best is None:
            return f"unsynced: no NTP server answered (checked {stamp})"
        state = "synced" if self.synced else "unsynced"
        return (f"{state}: offset {best.reply.offset:+.3f} s via {best.server} "
                f"stratum {best.reply.stratum} (checked {stamp})")

    def warning(self) -> str | None:
        if self.best is None:
            tried = ", ".join(r.server for r in self.results) or "none configured"
            return f"no NTP server answered ({tried}): the sensor clock is unchecked"
        if not self.synced:
            return (f"the sensor clock is off by {self.best.reply.offset:+.3f} s "
                    f"(more than {TOLERANCE_S:g} s): fix NTP on this host")
        return None

    def records(self) -> list[dict]:
        """ntp_check.log records, one per server asked."""
        out = []
        for r in self.results:
            rep = r.reply
            out.append({"ts": self.checked_at, "server": r.server, "address": r.address,
                        "reachable": rep is not None,
                        "offset": rep.offset if rep else None,
                        "delay": rep.delay if rep else None,
                        "stratum": rep.stratum if rep else None,
                        "ref_id": rep.ref_id if rep else None,
                        "synced": (abs(rep.offset) <= TOLERANCE_S) if rep else None,
                        "error": r.error})
        return out


def query(address: str, port: int = NTP_PORT, timeout: float = TIMEOUT_S,
          clock=time.time) -> Reply:
    """One SNTP exchange with ``address`` (an IP); raises SntpError or OSError."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.connect((address, port))      # connected: replies from elsewhere are refused
        t1 = clock()
        packet, stamp = request(t1)
        sock.send(packet)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SntpError(f"no reply within {timeout:g} s")
            sock.settimeout(remaining)
            try:
                data = sock.recv(MAX_REPLY)
            except socket.timeout:
                raise SntpError(f"no reply within {timeout:g} s") from None
            t4 = clock()
            try:
                return parse_reply(data, stamp, t1, t4)
            except SntpError:
                if time.monotonic() >= deadline:
                    raise
                # A stray or stale datagram: keep waiting for ours until the deadline.


def check(servers=DEFAULT_SERVERS, port: int = NTP_PORT, timeout: float = TIMEOUT_S,
          clock=time.time) -> ClockState:
    """Ask every server (each of its resolved addresses until one answers)."""
    state = ClockState(clock())
    for server in servers:
        try:
            infos = socket.getaddrinfo(server, port, type=socket.SOCK_DGRAM)
            addresses = list(dict.fromkeys(info[4][0] for info in infos))
        except OSError as exc:
            state.results.append(ServerResult(server, None,
                                              error=f"cannot resolve: {exc.strerror or exc}"))
            continue
        result = ServerResult(server, addresses[0] if addresses else None,
                              error="no address")
        for address in addresses[:4]:          # a few addresses per name are enough
            result = ServerResult(server, address)
            try:
                result.reply = query(address, port, timeout, clock)
                break
            except (SntpError, OSError) as exc:
                result.error = str(exc) if isinstance(exc, SntpError) else \
                    (exc.strerror or str(exc))
        state.results.append(result)
    return state
