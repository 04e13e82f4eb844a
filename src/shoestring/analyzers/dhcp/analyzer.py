"""dhcp.log: DHCP messages aggregated per transaction id, as Zeek's dhcp/main.zeek does.

DHCP does not follow the connection model: one lease exchange (DISCOVER, OFFER, REQUEST,
ACK) crosses several "connections" (0.0.0.0 -> broadcast, server -> client, ...) that
share only the transaction id (xid). So the per-connection analyzer parses and hands
each message to one run-wide :class:`Transactions` table (``ctx.shared("dhcp", ...)``)
that merges messages by xid and writes one record per transaction when it expires.

Expiry follows Zeek's table: a transaction is first checked 10 s after it began, then
every 5 s; it is written when no message came for 5 s or it is 30 s old. Checks run on
network time, whenever any DHCP message arrives or a DHCP connection finishes; when the
last DHCP connection finishes (end of input included) everything left is written.
dhcp.log has no per-connection id fields, so whichever connection's context triggers
the write emits the record.
"""

from __future__ import annotations

from typing import Any, Final, cast

from ..base import Analyzer, ConnContext
from . import consts as C
from .parse import BadCookie, DhcpMessage, ParseError, parse_message

# Zeek's DHCP::max_txid_watch_time: longest a transaction is watched.
MAX_TXID_WATCH: Final = 30.0
# Zeek's join_data_expiration: idle time after which a transaction is written.
IDLE_EXPIRE: Final = 5.0
# Zeek's &create_expire=10secs: first check; then re-checked every 5 s.
FIRST_CHECK: Final = 10.0
RECHECK: Final = 5.0
# Zeek's DHCP::max_uids_per_log_entry / max_msg_types_per_log_entry: write early.
MAX_UIDS: Final = 10
MAX_MSG_TYPES: Final = 50
# Open transactions kept at once: a flood of random xids (DHCP starvation attack) must
# not grow memory without bound; the oldest is written early when this is hit.
MAX_OPEN_TRANSACTIONS: Final = 10_000

_BROADCASTS: Final = ("0.0.0.0", "255.255.255.255")


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


class _Txn:
    """One transaction being aggregated (the fields of Zeek's DHCP::Info)."""

    def __init__(self, ts: float, uid: str):
        self.record: dict[str, Any] = {
            "ts": ts, "uids": [uid], "client_addr": None, "server_addr": None,
            "mac": None, "host_name": None, "client_fqdn": None, "domain": None,
            "requested_addr": None, "assigned_addr": None, "lease_time": None,
            "client_message": None, "server_message": None, "msg_types": [],
            "duration": 0.0}
        self.last_ts = ts
        self.next_check = ts + FIRST_CHECK
        self.client_chaddr: str | None = None

    def finalize(self) -> dict[str, Any]:
        record = self.record
        if record["mac"] is None and self.client_chaddr is not None:
            record["mac"] = self.client_chaddr
        return record


class Transactions:
    """Run-wide DHCP transaction table keyed by xid (Zeek's DHCP::join_data)."""

    def __init__(self) -> None:
        self.open: dict[int, _Txn] = {}
        self.live = 0                    # DHCP connections not yet finished

    def expire(self, now: float, ctx: ConnContext) -> None:
        """Write the transactions Zeek's expiry timers would have written by ``now``."""
        done: list[int] = []
        for xid, txn in self.open.items():
            # Each check is one of Zeek's timer firings; bounded: after 30 s it must log.
            while txn.next_check <= now:
                at = txn.next_check
                if at - txn.last_ts > IDLE_EXPIRE or at - txn.record["ts"] > MAX_TXID_WATCH:
                    done.append(xid)
                    break
                txn.next_check += RECHECK
        for xid in done:
            ctx.emit("dhcp", self.open.pop(xid).finalize())

    def flush(self, ctx: ConnContext) -> None:
        """Write everything still open (Zeek's zeek_done handler)."""
        for txn in self.open.values():
            ctx.emit("dhcp", txn.finalize())
        self.open.clear()

    def add(self, ts: float, ctx: ConnContext, is_orig: bool, msg: DhcpMessage) -> None:
        """Merge one message into its transaction (Zeek's DHCP::aggregate_msgs)."""
        self.expire(ts, ctx)
        txn = self.open.get(msg.xid)
        if txn is None:
            if len(self.open) >= MAX_OPEN_TRANSACTIONS:
                ctx.weird("DHCP_too_many_transactions", str(MAX_OPEN_TRANSACTIONS), ts)
                oldest = next(iter(self.open))
                ctx.emit("dhcp", self.open.pop(oldest).finalize())
            txn = self.open[msg.xid] = _Txn(ts, ctx.uid)
        rec = txn.record
        rec["duration"] = ts - rec["ts"]
        if ctx.uid not in rec["uids"]:
            rec["uids"].append(ctx.uid)
        rec["msg_types"].append(C.message_type_name(msg.msg_type))

        # is_orig is T for "connections" servers open towards broadcast addresses, so
        # Zeek asks the ports too before calling a message the client's.
        is_client = is_orig and (ctx.orig_h == "0.0.0.0" or ctx.orig_p == 68
                                 or ctx.resp_p == 67)
        if msg.message is not None:
            rec["client_message" if is_client else "server_message"] = _text(msg.message)
        txn.last_ts = ts

        if is_client:
            if ctx.orig_h not in _BROADCASTS:
                rec["client_addr"] = ctx.orig_h
            if msg.host_name is not None:
                rec["host_name"] = _text(msg.host_name)
            if msg.client_fqdn is not None:
                rec["client_fqdn"] = _text(msg.client_fqdn.domain_name)
            if msg.client_id is not None and msg.client_id[0] == C.HWTYPE_ETHERNET:
                rec["mac"] = msg.client_id[1]
            else:
                txn.client_chaddr = msg.chaddr
            if msg.requested_addr is not None:
                rec["requested_addr"] = msg.requested_addr
        else:
            if msg.yiaddr != "0.0.0.0":
                # A server broadcasting is the originator; a server answering a
                # unicast address is the responder (Zeek's flipping).
                rec["server_addr"] = ctx.orig_h if is_orig else ctx.resp_h
                rec["assigned_addr"] = msg.yiaddr
            if msg.chaddr != "" and rec["mac"] is None:
                rec["mac"] = msg.chaddr
            if rec["client_addr"] is None and rec["assigned_addr"] is not None:
                rec["client_addr"] = rec["assigned_addr"]
            if msg.domain_name is not None:
                rec["domain"] = _text(msg.domain_name)
            if msg.lease_time is not None:
                rec["lease_time"] = msg.lease_time

        if len(rec["uids"]) >= MAX_UIDS or len(rec["msg_types"]) >= MAX_MSG_TYPES:
            ctx.emit("dhcp", self.open.pop(msg.xid).finalize())


class DhcpAnalyzer(Analyzer):
    """Per-connection: parse each datagram and hand it to the run-wide table."""

    service = "dhcp"

    def __init__(self, ctx: ConnContext):
        super().__init__(ctx)
        # The factory makes the one object stored under "dhcp".
        self.table = cast(Transactions, ctx.shared("dhcp", Transactions))
        self.table.live += 1
        self.confirmed = False
        self.finished = False

    def deliver(self, is_orig: bool, data: bytes, ts: float) -> None:
        try:
            msg = parse_message(data)
        except ParseError as exc:
            name = C.WEIRD_BAD_COOKIE if isinstance(exc, BadCookie) else C.WEIRD_TRUNCATED
            self.ctx.weird(name, str(exc), ts)
            if not self.confirmed:
                self.ctx.violation(str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - the contract: analyzers never raise
            self.ctx.weird("DHCP_analyzer_error", repr(exc)[:200], ts)
            return
        for name in msg.anomalies:
            self.ctx.weird(name, None, ts)
        if not self.confirmed:
            self.confirmed = True
            self.ctx.confirm("dhcp")
        try:
            self.table.add(ts, self.ctx, is_orig, msg)
        except Exception as exc:  # noqa: BLE001
            self.ctx.weird("DHCP_analyzer_error", repr(exc)[:200], ts)

    def finish(self, ts: float) -> None:
        if self.finished:
            return
        self.finished = True
        try:
            self.table.live -= 1
            self.table.expire(ts, self.ctx)
            if self.table.live <= 0:
                self.table.flush(self.ctx)
        except Exception as exc:  # noqa: BLE001
            self.ctx.weird("DHCP_analyzer_error", repr(exc)[:200], ts)
