"""dhcp.log through the analyzer: Zeek's expected records for its own DHCP traces."""

from hypothesis import given, settings, strategies as st

from shoestring.analyzers.dhcp import SPEC
from shoestring.analyzers.dhcp.analyzer import MAX_OPEN_TRANSACTIONS, DhcpAnalyzer, Transactions
from shoestring.analyzers.dhcp.parse import parse_message

from ...fakes import FakeContext
from .corpus import DHCP_PCAP, DISCOVER_PCAP

BROADCAST = "255.255.255.255"


class Run:
    """Connections as Zeek forms them for these traces, sharing one run-wide state."""

    def __init__(self):
        self.shared: dict = {}
        self.conns: dict = {}
        self.order: list = []

    def feed(self, ts, src, sport, dst, dport, payload):
        # Zeek flips a server's unicast reply (67 is a likely server port); a server
        # broadcasting to 255.255.255.255 stays the originator.
        flip = sport == 67 and dst != BROADCAST
        key = (dst, dport, src, sport) if flip else (src, sport, dst, dport)
        entry = self.conns.get(key)
        if entry is None:
            ctx = FakeContext(*key, proto="udp", uid=f"C{len(self.conns)}")
            ctx._shared = self.shared
            entry = self.conns[key] = (ctx, SPEC.factory(ctx))
            self.order.append(key)
        entry[1].deliver(not flip, payload, ts)

    def finish(self, ts):
        for key in self.order:
            self.conns[key][1].finish(ts)

    def records(self):
        return [r for ctx, _ in self.conns.values() for r in ctx.records.get("dhcp", [])]


def run(packets):
    r = Run()
    for p in packets:
        r.feed(*p)
    r.finish(packets[-1][0])
    return r


def test_all_message_types_like_zeek():
    r = run(DHCP_PCAP)
    by_types = {tuple(rec["msg_types"]): rec for rec in r.records()}
    assert len(r.records()) == 3
    uid = {key: ctx.uid for key, (ctx, _) in r.conns.items()}
    main = by_types[("DISCOVER", "OFFER", "REQUEST", "NAK", "REQUEST", "ACK", "DECLINE")]
    assert set(main["uids"]) == {uid[("0.0.0.0", 68, BROADCAST, 67)],
                                 uid[("128.2.6.97", 68, "128.2.6.152", 67)],
                                 uid[("128.2.6.189", 68, "128.2.6.152", 67)],
                                 uid[("128.2.6.152", 67, BROADCAST, 68)]}
    expected = {"client_addr": "128.2.6.97", "server_addr": "128.2.6.152",
                "mac": "90:b1:1c:99:49:29", "host_name": "btest.is.cool",
                "client_fqdn": None, "domain": "cmu.edu", "requested_addr": "128.2.6.189",
                "assigned_addr": "128.2.6.189", "lease_time": 900.0, "client_message": None,
                "server_message": "requested address not available"}
    assert {k: main[k] for k in expected} == expected
    assert abs(main["duration"] - 3.058797) < 1e-6
    assert main["ts"] == DHCP_PCAP[0][0]

    release = by_types[("RELEASE",)]
    assert release["mac"] == "90:b1:1c:99:49:29"       # from chaddr, filled at write time
    assert release["host_name"] is None and release["duration"] == 0.0
    inform = by_types[("INFORM",)]
    assert inform["host_name"] == "btest.is.cool"
    assert inform["requested_addr"] == "128.2.6.189"
    assert inform["lease_time"] is None                 # a client's lease option is ignored
    assert inform["client_addr"] is None                # sent from 0.0.0.0


def test_discover_with_client_identifier():
    r = run(DISCOVER_PCAP)
    [rec] = r.records()
    assert rec["mac"] == "00:0b:82:01:fc:42"
    assert rec["host_name"] == "test0000"
    assert rec["requested_addr"] == "208.67.222.222"
    assert rec["msg_types"] == ["DISCOVER"] and rec["duration"] == 0.0
    assert rec["client_addr"] is None and rec["server_addr"] is None


def test_confirms_service_once():
    r = run(DHCP_PCAP)
    assert all(ctx.services == ["dhcp"] for ctx, _ in r.conns.values())


def test_idle_transaction_expires_before_end():
    # A DISCOVER, then 20 s of silence: Zeek's 10 s check finds it idle > 5 s and
    # writes it; the later message starts a new record.
    ts, *rest = DISCOVER_PCAP[0]
    r = Run()
    r.feed(ts, *rest)
    r.feed(ts + 20, *rest)
    assert len(r.records()) == 1
    r.finish(ts + 20)
    assert len(r.records()) == 2


def test_messages_within_watch_window_merge():
    ts, *rest = DISCOVER_PCAP[0]
    r = Run()
    for i in range(4):
        r.feed(ts + 4 * i, *rest)          # 4 s apart: never idle 5 s at a check
    r.finish(ts + 12)
    [rec] = r.records()
    assert rec["msg_types"] == ["DISCOVER"] * 4 and rec["duration"] == 12.0


def test_too_many_msg_types_written_early():
    ts, *rest = DISCOVER_PCAP[0]
    r = Run()
    for i in range(50):
        r.feed(ts + i * 0.01, *rest)
    assert len(r.records()) == 1 and len(r.records()[0]["msg_types"]) == 50


def test_garbage_is_a_violation_not_a_crash():
    ctx = FakeContext(proto="udp", resp_p=67)
    a = DhcpAnalyzer(ctx)
    a.deliver(True, b"\x00" * 10, 1.0)
    a.finish(2.0)
    assert ctx.violations and ctx.weirds[0][0] == "DHCP_truncated"
    assert "dhcp" not in ctx.records


def test_shared_table_is_bounded():
    t = Transactions()
    ctx = FakeContext(proto="udp")
    msg = parse_message(DISCOVER_PCAP[0][5])
    for xid in range(MAX_OPEN_TRANSACTIONS + 5):
        t.add(1.0, ctx, True, msg._replace(xid=xid))
    assert len(t.open) == MAX_OPEN_TRANSACTIONS
    assert len(ctx.records["dhcp"]) == 5


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=400)), max_size=8),
       st.sampled_from([p[5] for p in DHCP_PCAP]))
def test_analyzer_never_raises(datagrams, good):
    ctx = FakeContext(proto="udp", resp_p=67)
    a = DhcpAnalyzer(ctx)
    for i, (is_orig, data) in enumerate(datagrams):
        a.deliver(is_orig, data if i % 2 else good[:len(data) + 240] + data, float(i))
    a.finish(100.0)
