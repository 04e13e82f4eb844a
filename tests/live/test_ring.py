"""The full-packet ring: rolling files bounded by size, age and free disk; cuts."""

import struct

import pytest

from shoestring.capture import ring
from shoestring.capture.pcap import CaptureReader
from shoestring.cli import main
from shoestring.commands.pcap import make_match, parse_time

REC = struct.Struct("<IIII")


def frame(src: str, dst: str, sport: int, dport: int, proto: int = 6) -> bytes:
    """Ethernet + IPv4 + the first 4 bytes of TCP/UDP (ports): enough to match."""
    ip = bytes([0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, proto, 0, 0]) + \
        bytes(map(int, src.split("."))) + bytes(map(int, dst.split(".")))
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + struct.pack("!HH", sport, dport) + \
        b"\0" * 16


def block(packets) -> bytes:
    """A block as capture/live.py hands it: pcap records with nanosecond stamps."""
    out = b""
    for ts_ns, data in packets:
        out += REC.pack(ts_ns // 10**9, ts_ns % 10**9, len(data), len(data)) + data
    return out


T0 = 1_767_225_600 * 10**9          # 2026-01-01T00:00:00Z


def fill(root, worker=0, n=10, step_s=1, start=T0, **kw):
    r = ring.PacketRing(root, worker=worker, clock=lambda: start / 1e9 + n * step_s, **kw)
    for i in range(n):
        ts = start + i * step_s * 10**9
        host = "10.0.0.%d" % (1 + i % 2)
        r.write(1, block([(ts, frame(host, "10.0.0.9", 40000 + i, 443 if i % 2 else 53,
                                     6 if i % 2 else 17))]), 1, ts / 1e9)
    r.close()
    return r


def test_files_roll_over_at_their_size_and_are_named_by_time(tmp_path):
    fill(tmp_path, file_bytes=200)
    files = ring.list_files(tmp_path)
    assert len(files) >= 4 and not any(f.open for f in files)
    assert files[0].first_ns == T0 and files[-1].last_ns == T0 + 9 * 10**9
    # Every file is a pcap anyone can read; together they hold every packet in order.
    stamps = [round(ts) - T0 // 10**9 for f in files for ts, *_ in CaptureReader(str(f.path))]
    assert stamps == list(range(10))


def test_size_bound_deletes_oldest_first(tmp_path):
    fill(tmp_path, file_bytes=200, max_bytes=600)
    files = ring.list_files(tmp_path)
    assert sum(f.path.stat().st_size for f in files) <= 600
    assert files[-1].last_ns == T0 + 9 * 10**9      # the newest survive


def test_age_bound(tmp_path):
    fill(tmp_path, file_bytes=200, max_age_s=4)
    files = ring.list_files(tmp_path)
    # clock = T0 + 10 s: files whose last packet is older than T0 + 6 s are gone.
    assert all(f.last_ns >= T0 + 6 * 10**9 for f in files)


def test_ring_gives_way_when_the_disk_is_short(tmp_path):
    # A reserve of 100% can never be met: the ring deletes every closed file
    # (the logs are never touched by the ring at all).
    (tmp_path / "conn.log").write_text("evidence\n")
    r = fill(tmp_path / "ring", file_bytes=200, reserve_fraction=1.0)
    assert ring.list_files(tmp_path / "ring") == [] and r.deleted_files >= 4
    assert (tmp_path / "conn.log").read_text() == "evidence\n"


def test_leftover_part_file_is_closed_on_restart(tmp_path):
    r = ring.PacketRing(tmp_path, worker=3)
    r.write(1, block([(T0, frame("10.0.0.1", "10.0.0.2", 1, 2))]), 1, T0 / 1e9)
    r.flush()                                       # a crash: never closed
    ring.PacketRing(tmp_path, worker=3)
    (f,) = ring.list_files(tmp_path)
    assert not f.open and f.first_ns == f.last_ns == T0


def test_cut_merges_workers_by_time_and_filters(tmp_path):
    fill(tmp_path, worker=0, n=6, step_s=2, file_bytes=300)
    fill(tmp_path, worker=1, n=6, step_s=2, start=T0 + 10**9, file_bytes=300)
    out = tmp_path / "cut.pcap"
    with open(out, "wb") as f:
        count, linktype = ring.cut(tmp_path, T0 + 2 * 10**9, T0 + 7 * 10**9, f)
    stamps = [round(ts * 1e9) - T0 for ts, *_ in CaptureReader(str(out))]
    assert count == 6 and linktype == 1
    assert stamps == [n * 10**9 for n in (2, 3, 4, 5, 6, 7)]
    with open(out, "wb") as f:
        count, _ = ring.cut(tmp_path, T0, T0 + 20 * 10**9, f,
                            make_match(1, "10.0.0.2", 443))
    assert count == 6        # odd packets of each worker: host .2, port 443


def test_match_by_host_and_port():
    m = make_match(1, "10.0.0.1", None)
    assert m(frame("10.0.0.1", "10.0.0.9", 1, 2)) and m(frame("10.0.0.9", "10.0.0.1", 1, 2))
    assert not m(frame("10.0.0.3", "10.0.0.9", 1, 2))
    p = make_match(1, None, 53)
    assert p(frame("1.1.1.1", "2.2.2.2", 5000, 53, 17)) and not p(frame("1.1.1.1",
                                                                        "2.2.2.2", 1, 2))
    assert not p(b"\x00" * 10) and make_match(1, None, None) is None
    vlan = frame("10.0.0.1", "10.0.0.9", 1, 53)
    vlan = vlan[:12] + b"\x81\x00\x00\x05" + vlan[12:]
    assert p(vlan)


def test_parse_time():
    assert parse_time("2026-01-01T00:00:00Z") == T0
    assert parse_time("2026-01-01 00:00") == T0
    assert parse_time("1767225600.5") == T0 + 5 * 10**8


def test_pcap_command(tmp_path, capsys):
    fill(tmp_path / "ring", n=10)
    out = tmp_path / "incident.pcap"
    rc = main(["pcap", "--ring", str(tmp_path / "ring"), "--from", "2026-01-01T00:00:00Z",
               "--to", "2026-01-01T00:00:05Z", "--port", "53", "-o", str(out)])
    assert rc == 0
    assert "wrote 3 packets" in capsys.readouterr().out
    assert len(list(CaptureReader(str(out)))) == 3
    assert main(["pcap", "--ring", str(tmp_path / "nothing"), "--from", "0", "--to", "1",
                 "-o", str(out)]) == 2
