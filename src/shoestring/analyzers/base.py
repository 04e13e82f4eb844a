"""The contract between the connection table and protocol analyzers.

An analyzer is created per connection once detection (detect.py) picks its protocol.
The connection table feeds it payload through :class:`Analyzer`'s three methods and
nothing else; the analyzer reports through the :class:`ConnContext` it was given.
Analyzers never import from flows/, logs/ or the pipeline: the context is all they see.

Theory of operation:
- TCP: ``deliver`` receives each direction's bytes in order, after reassembly; a hole
  the reassembler could not fill arrives as ``gap(is_orig, length)`` instead.
- UDP (and other datagram transports): ``deliver`` receives one datagram per call.
- ``finish`` is called once when the connection ends (FIN/RST, timeout or end of input);
  an analyzer flushes whatever it still holds there.
- A parse failure inside an analyzer is the analyzer's own business: it records a weird
  through ``ctx.weird`` and/or gives up with ``ctx.violation``; it never raises out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, ClassVar, Protocol

from mypy_extensions import mypyc_attr


class ConnContext(Protocol):
    """What an analyzer may know about and do to its connection."""

    uid: str
    orig_h: str
    orig_p: int
    resp_h: str
    resp_p: int
    proto: str              # "tcp" | "udp" | "icmp"

    def id_fields(self) -> dict:
        """{"uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"} for a log record."""

    def emit(self, log: str, record: dict) -> None:
        """Write ``record`` (Zeek field names -> values, None = unset) to ``log``."""

    def weird(self, name: str, addl: str | None = None, ts: float | None = None,
              source: str | None = "") -> None:
        """Record a named anomaly (Zeek's name where Zeek has one) in weird.log.
        ``source`` is weird.log's source column: "" (default) means the analyzer's
        own name in capitals, as Zeek's analyzers report it; None leaves it unset, as
        for weirds Zeek raises from its scripts."""

    def confirm(self, service: str | None = None) -> None:
        """The protocol is confirmed: adds ``service`` (default: the analyzer's) to
        conn.log's service field."""

    def violation(self, reason: str) -> None:
        """The traffic is not this protocol after all: the analyzer is detached."""

    def new_id(self, prefix: str) -> str:
        """A fresh id of Zeek's shape (``new_id("F")`` for a file id), deterministic
        for a given input so the same capture gives the same logs."""

    def handoff(self, tunnel_type: str | None = None, orig: bytes = b"",
                resp: bytes = b"") -> None:
        """The rest of the stream is another protocol (HTTP CONNECT, SOCKS): log the
        tunnel if ``tunnel_type`` is given ("Tunnel::HTTP"), then detect what follows
        by content; ``orig``/``resp`` are bytes already received past the switch."""

    def shared(self, key: str, factory: Callable[[], object]) -> object:
        """State shared by all connections of one run (e.g. FTP's expected data
        channels, DHCP's transactions): created by ``factory`` on first use."""

    @property
    def local_orig(self) -> bool | None: ...


@mypyc_attr(allow_interpreted_subclasses=True)
class Analyzer:
    """Base class of per-connection analyzers; subclasses override what they need."""

    #: Zeek's service name, as it appears in conn.log's service field.
    service: ClassVar[str] = ""

    #: Set to False once no more payload is needed (TLS after the handshake): when no
    #: analyzer of a connection wants more, the table stops handing it payload and the
    #: connection goes on the fast path. ``finish`` is still called at the end.
    wants_more: bool = True

    def __init__(self, ctx: ConnContext):
        self.ctx = ctx

    def deliver(self, is_orig: bool, data: bytes, ts: float) -> None:
        """In-order stream bytes (TCP) or one datagram (UDP) from one side."""

    def gap(self, is_orig: bool, length: int, ts: float) -> None:
        """``length`` bytes of this side's stream were never seen."""

    def finish(self, ts: float) -> None:
        """The connection is over; flush pending records."""


@dataclass(frozen=True)
class AnalyzerSpec:
    """How detection finds an analyzer: well-known ports and a payload signature."""

    name: str                                   # "dns", "http", ...
    factory: Callable[[ConnContext], Analyzer]
    tcp_ports: frozenset[int] = frozenset()
    udp_ports: frozenset[int] = frozenset()
    #: signature(first payload bytes, is_orig) -> True when the payload looks like this
    #: protocol (dynamic protocol detection on any port). None: ports only.
    signature: Callable[[bytes, bool], bool] | None = None
    #: Optional hooks: "expected"(ctx, ts) -> Analyzer | None is asked about every new
    #: connection before detection (connections another announced, as FTP data);
    #: "expected_in" names the shared() object that holds the announcements, so the
    #: hook is skipped while it is absent or empty; "udp_inactivity_timeout".
    extra: dict = field(default_factory=dict)
