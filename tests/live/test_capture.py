"""Live capture on the loopback interface: the ring, filters, fanout, counters, the
source protocol, privilege dropping. Traffic is our own, to 127.0.0.1 on a port the
test picks; the kernel filter keeps everything else out. Needs root (CAP_NET_RAW)."""

import os
import socket
import struct
import time

import pytest
from hypothesis import given, strategies as st

from shoestring.capture import bpf, privileges
from shoestring.capture.live import PCAP_REC, LiveCapture, LiveSource
from shoestring.capture.errors import NotACapture

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="capturing needs root "
                                "(CAP_NET_RAW)")
needs_libpcap = pytest.mark.skipif(not bpf.available(), reason="compiling filters needs "
                                   "libpcap: install the Debian package libpcap0.8")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def send(port: int, count: int, sport_base: int | None = None) -> None:
    """``count`` datagrams to 127.0.0.1:port, each from its own source port if asked."""
    socks = []
    for i in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if sport_base is not None:
            s.bind(("127.0.0.1", 0))
        s.sendto(b"shoestring-%d" % i, ("127.0.0.1", port))
        socks.append(s)
    for s in socks:
        s.close()


def drain(cap: LiveCapture, wait: float = 0.4) -> list[tuple[int, bytes]]:
    """Every record the ring holds after ``wait`` (blocks retire within 100 ms)."""
    time.sleep(wait)
    out = []
    while (got := cap.read_block()) is not None:
        buf, count, nbytes, last = got
        pos = 0
        for _ in range(count):
            sec, nsec, caplen, wire = PCAP_REC.unpack_from(buf, pos)
            out.append((sec * 10**9 + nsec, buf[pos + 16:pos + 16 + caplen]))
            pos += 16 + caplen
        assert pos == len(buf) and nbytes >= len(out)
    return out


@needs_libpcap
def test_filter_compiles_and_matches_like_the_kernel_would():
    prog = bpf.compile_filter("udp dst port 5353")
    eth = b"\0" * 12 + b"\x08\x00"
    ip = bytes([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1])
    assert bpf.run_program(prog, eth + ip + struct.pack("!HHHH", 1, 5353, 8, 0)) > 0
    assert bpf.run_program(prog, eth + ip + struct.pack("!HHHH", 5353, 1, 8, 0)) == 0
    with pytest.raises(bpf.FilterError, match="bad capture filter"):
        bpf.compile_filter("udp prot 53")


@needs_libpcap
@given(st.binary(max_size=200))
def test_bpf_interpreter_survives_random_frames(frame):
    prog = bpf.compile_filter("tcp port 80 or (udp and host 10.0.0.1) or vlan")
    assert bpf.run_program(prog, frame) >= 0


@needs_root
@needs_libpcap
def test_ring_delivers_only_what_the_filter_passes():
    port, other = free_port(), free_port()
    cap = LiveCapture("lo", program=bpf.compile_filter(f"udp port {port}"))
    cap.open()
    try:
        send(port, 20)
        send(other, 20)
        records = drain(cap)
    finally:
        cap.close()
    # Loopback shows each datagram twice (sent, then received), as tcpdump -i lo does.
    assert len(records) == 40
    assert all(struct.unpack_from("!H", f, 14 + 20 + 2)[0] == port for _, f in records)
    assert {f[14 + 28:] for _, f in records} == {b"shoestring-%d" % i for i in range(20)}
    stamps = [ns for ns, _ in records]
    assert stamps == sorted(stamps) and abs(stamps[0] / 1e9 - time.time()) < 5
    packets, drops = cap.kernel_packets, cap.kernel_drops
    assert packets == 40 and drops == 0


@needs_root
@needs_libpcap
def test_set_filter_swaps_on_the_open_socket():
    a, b = free_port(), free_port()
    cap = LiveCapture("lo", program=bpf.compile_filter(f"udp port {a}"))
    cap.open()
    try:
        cap.set_filter(bpf.compile_filter(f"udp port {b}"))
        drain(cap, 0.2)
        send(a, 5)
        send(b, 5)
        records = drain(cap)
    finally:
        cap.close()
    assert len(records) == 10
    assert all(struct.unpack_from("!H", f, 36)[0] == b for _, f in records)


@needs_root
@needs_libpcap
def test_fanout_keeps_each_flow_on_one_member():
    port = free_port()
    group = 0x5000 + os.getpid() % 0x1000
    caps = [LiveCapture("lo", program=bpf.compile_filter(f"udp port {port}"),
                        fanout=group) for _ in range(2)]
    for cap in caps:
        cap.open()
    try:
        send(port, 64, sport_base=0)               # 64 flows, one datagram each
        per_member = [drain(cap) for cap in caps]
    finally:
        for cap in caps:
            cap.close()
    flows = [{struct.unpack_from("!H", f, 34)[0] for _, f in recs} for recs in per_member]
    assert sum(len(r) for r in per_member) == 128
    assert not flows[0] & flows[1], "a flow was split between fanout members"
    assert flows[0] and flows[1], "64 flows all hashed to one member"


@needs_root
def test_source_feeds_the_pipeline_until_stopped():
    from shoestring.pipeline import Pipeline

    class Out:
        def __init__(self):
            self.records = []

        def write(self, log, rec):
            self.records.append((log, rec))

        def flush(self):
            pass

        def close(self):
            pass

    port = free_port()
    prog = bpf.compile_filter(f"udp port {port}") if bpf.available() else None
    cap = LiveCapture("lo", program=prog)
    cap.open()
    out = Out()
    pipe = Pipeline(out)
    ticks = []
    started = time.monotonic()

    def tick(now):
        ticks.append(now)
        if len(ticks) == 2:
            send(port, 3, sport_base=0)

    source = LiveSource([cap], on_tick=tick, tick_s=0.1,
                        should_stop=lambda: time.monotonic() - started > 1.0)
    pipe.run(source)
    pipe.finish()
    cap.close()
    conns = [r for log, r in out.records if log == "conn" and r["id.resp_p"] == port]
    assert len(conns) == 3 and source.packets >= 6 and len(ticks) >= 5


def test_missing_interface_is_a_user_error():
    with pytest.raises(NotACapture, match="no such interface"):
        LiveCapture("nosuchif0").open()


@needs_root
def test_privileges_are_dropped_to_net_raw_in_a_child():
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                                   # the child drops, reports, exits
        try:
            os.close(r)
            dropped = privileges.drop("nobody")
            eff, prm = privileges.capabilities()
            os.write(w, f"{os.getuid()} {dropped.uid} {eff} {prm}".encode())
        finally:
            os._exit(0)
    os.close(w)
    report = os.read(r, 200).decode().split()
    os.waitpid(pid, 0)
    import pwd
    nobody = pwd.getpwnam("nobody").pw_uid
    assert [int(x) for x in report] == [nobody, nobody, 1 << 13, 1 << 13]


def test_unknown_user_is_a_user_error():
    if os.geteuid() != 0:
        pytest.skip("only root changes user")
    pid = os.fork()
    if pid == 0:
        try:
            privileges.drop("no-such-user-here")
        except Exception as exc:                   # noqa: BLE001
            os._exit(3 if "no such user" in str(exc) else 4)
        os._exit(5)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 3
