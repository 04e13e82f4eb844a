"""`shoestring read` on bad input: one clear line on standard error, the right exit code,
never a traceback, and whatever was read before the break is logged."""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from shoestring import cli
from shoestring.capture import pcap as capture
from shoestring.commands import read as read_cmd
from shoestring.synth import conversations as C
from shoestring.synth import pcapwrite as W

DATA = Path(__file__).resolve().parent / "data"
SF = DATA / "tcp_sf.pcap"                   # 11 records: a whole SF TCP session
RECORD = struct.Struct("<IIII")


def read(argv, capsys) -> tuple[int, str, str]:
    """Run `shoestring read ARGV` in-process; (exit code, stdout, stderr)."""
    rc = cli.main(["read", "--no-progress", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return rc, out, err


def conn_rows(logdir: Path) -> list[list[str]]:
    text = (logdir / "conn.log").read_text()
    return [line.split("\t") for line in text.splitlines() if not line.startswith("#")]


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("shoestring: ")
    return lines[0]


def record_offsets(data: bytes) -> list[int]:
    """Byte offsets of each record header of a little-endian classic pcap."""
    pos, out = 24, []
    while pos < len(data):
        out.append(pos)
        pos += 16 + RECORD.unpack_from(data, pos)[2]
    return out


# --- broken captures: exit 1 after logging what was read ---------------------------------

def test_cut_mid_record(tmp_path, capsys):
    data = SF.read_bytes()
    offsets = record_offsets(data)
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[:offsets[5] + 30])         # five whole records, then half of one
    rc, _, err = read([str(cut), "--logdir", str(tmp_path / "l"), "-q"], capsys)
    assert rc == 1
    assert "cut short" in one_line(err)
    [row] = conn_rows(tmp_path / "l")
    # SYN, SYN-ACK, ACK, 300 bytes up, their ACK: established, nothing closed (S1).
    assert row[11] == "S1" and row[15] == "ShADa"
    assert (row[16], row[18]) == ("3", "2")
    assert (tmp_path / "l" / "conn.log").read_text().endswith("\n")
    assert "#close" in (tmp_path / "l" / "conn.log").read_text()


def test_record_longer_than_file(tmp_path, capsys):
    """A record header that claims more bytes than the file holds: the same as a cut."""
    data = bytearray(SF.read_bytes())
    offsets = record_offsets(bytes(data))
    struct.pack_into("<I", data, offsets[-1] + 8, 60000)
    struct.pack_into("<I", data, offsets[-1] + 12, 60000)
    path = tmp_path / "long.pcap"
    path.write_bytes(bytes(data))
    rc, _, err = read([str(path), "--logdir", str(tmp_path / "l"), "-q"], capsys)
    assert rc == 1 and "cut short" in one_line(err)
    [row] = conn_rows(tmp_path / "l")
    assert row[16] == "5" and row[18] == "5"        # all but the last ACK


def test_record_over_256k_is_corrupt(tmp_path, capsys):
    data = bytearray(SF.read_bytes())
    offsets = record_offsets(bytes(data))
    struct.pack_into("<I", data, offsets[3] + 8, (1 << 18) + 1)
    path = tmp_path / "corrupt.pcap"
    path.write_bytes(bytes(data))
    rc, _, err = read([str(path), "--logdir", str(tmp_path / "l"), "-q"], capsys)
    assert rc == 1
    line = one_line(err)
    assert "corrupt record" in line and f"byte {offsets[3]}" in line and "262145" in line
    [row] = conn_rows(tmp_path / "l")
    assert row[15] == "ShA" and row[16] == "2" and row[18] == "1"


def test_cut_gzip_keeps_what_was_read(tmp_path, capsys):
    """A .gz cut in the middle: the records decompressed before the cut are logged."""
    import gzip
    packed = gzip.compress(SF.read_bytes(), mtime=0)
    path = tmp_path / "cut.pcap.gz"
    path.write_bytes(packed[:len(packed) * 2 // 3])
    rc, _, err = read([str(path), "--logdir", str(tmp_path / "l"), "-q"], capsys)
    assert rc == 1 and "read failed" in one_line(err)
    [row] = conn_rows(tmp_path / "l")
    assert row[15].startswith("ShA")


def test_cut_pcapng(tmp_path, capsys):
    data = (DATA / "pcapng_two_interfaces.pcapng").read_bytes()
    path = tmp_path / "cut.pcapng"
    path.write_bytes(data[:690])                    # mid-way through an enhanced packet block
    rc, _, err = read([str(path), "--logdir", str(tmp_path / "l"), "-q"], capsys)
    assert rc == 1 and "cut short mid-block" in one_line(err)
    [row] = conn_rows(tmp_path / "l")
    assert row[6] == "tcp" and row[15] == "ShADa"      # up to the server's ACK of the data


def test_errors_of_several_files_all_reported(tmp_path, capsys):
    data = SF.read_bytes()
    a, b = tmp_path / "a.pcap", tmp_path / "b.pcap"
    a.write_bytes(data[:-5])
    b.write_bytes(data[:-7])
    rc, _, err = read([str(a), str(b), "--logdir", str(tmp_path / "l"), "-q"], capsys)
    assert rc == 1
    lines = err.strip().splitlines()
    assert len(lines) == 2 and "a.pcap" in lines[0] and "b.pcap" in lines[1]


# --- not a capture at all: exit 2, one line, nothing written ------------------------------

def _not_captures(tmp_path: Path):
    (tmp_path / "random.bin").write_bytes(os.urandom(4096))
    (tmp_path / "text.txt").write_text("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")
    (tmp_path / "empty.pcap").write_bytes(b"")
    (tmp_path / "three.pcap").write_bytes(b"\xd4\xc3\xb2")
    (tmp_path / "folder").mkdir()
    (tmp_path / "v1.pcap").write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 1, 0, 0, 0, 65535, 1))
    return {"random.bin": "not a pcap", "text.txt": "not a pcap", "empty.pcap": "empty",
            "three.pcap": "too short", "folder": "folder", "missing.pcap": "no such file",
            "v1.pcap": "version 1"}


def test_not_a_capture(tmp_path, capsys):
    for name, words in _not_captures(tmp_path).items():
        logdir = tmp_path / f"logs-{name}"
        rc, _, err = read([str(tmp_path / name), "--logdir", str(logdir)], capsys)
        assert rc == 2, name
        line = one_line(err)
        assert name in line and words in line, line
        assert not logdir.exists() or not any(logdir.iterdir()), name


def test_unknown_link_type(tmp_path, capsys):
    data = bytearray(SF.read_bytes())
    struct.pack_into("<I", data, 20, 147)           # LINKTYPE_USER0
    path = tmp_path / "user0.pcap"
    path.write_bytes(bytes(data))
    rc, _, err = read([str(path), "--logdir", str(tmp_path / "l")], capsys)
    assert rc == 2
    line = one_line(err)
    assert "link type 147" in line and "not supported" in line and "Ethernet" in line


@pytest.mark.parametrize("snaplen", [0, 0xFFFFFFFF, 1 << 30])
def test_zero_and_huge_snaplen_read_fine(tmp_path, capsys, snaplen):
    data = bytearray(SF.read_bytes())
    struct.pack_into("<I", data, 16, snaplen)
    path = tmp_path / "snap.pcap"
    path.write_bytes(bytes(data))
    rc, _, err = read([str(path), "--logdir", str(tmp_path / "l"), "-q"], capsys)
    assert rc == 0 and err == ""
    [row] = conn_rows(tmp_path / "l")
    assert row[11] == "SF" and row[16] == "6" and row[18] == "5"


def test_small_snaplen_keeps_wire_lengths(tmp_path, capsys):
    """A capture cut at 68 bytes per frame (tcpdump -s 68): IP bytes still come from the
    IP header and payload sizes from sequence numbers, as Zeek's do."""
    packets = C.tcp_session(__import__("random").Random(1), C.endpoint("10.0.0.1", 40000),
                            C.endpoint("192.168.1.2", 9000), 1700000000.0,
                            ((b"q" * 300, b"r" * 2000),))
    path = tmp_path / "snap68.pcap"
    W.write_pcap(path, packets, snaplen=68)
    rc, _, err = read([str(path), "--logdir", str(tmp_path / "l"), "-q", "-C"], capsys)
    assert rc == 0, err
    [row] = conn_rows(tmp_path / "l")
    assert (row[9], row[10], row[11]) == ("300", "2000", "SF")
    assert (row[17], row[19]) == ("552", "2212")


# --- options -----------------------------------------------------------------------------

def test_stdin(tmp_path):
    """`-` reads standard input (a pipe), here through a real process."""
    proc = subprocess.run([sys.executable, "-m", "shoestring.cli", "read", "-q", "-",
                           "--logdir", str(tmp_path / "l")],
                          input=SF.read_bytes(), capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert b"Traceback" not in proc.stderr
    [row] = conn_rows(tmp_path / "l")
    assert row[11] == "SF" and row[15] == "ShADadFf"


def test_stdin_garbage_in_a_process(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "shoestring.cli", "read", "-q", "-",
                           "--logdir", str(tmp_path / "l")],
                          input=os.urandom(1000), capture_output=True, timeout=60)
    assert proc.returncode == 2
    assert b"Traceback" not in proc.stderr
    assert proc.stderr.decode().strip().startswith("shoestring: <stdin>: not a pcap")


def test_progress_on_a_pipe_does_not_tell():
    """The progress bar on standard input (no size, tell() raises on a pipe)."""
    class Pipe:
        def tell(self):
            raise OSError(29, "Illegal seek")

    class Reader:
        name, stream = "<stdin>", Pipe()

    err = io.StringIO()
    saved, sys.stderr = sys.stderr, err
    try:
        read_cmd._progress(Reader(), 65536, 0)
    finally:
        sys.stderr = saved
    assert "65,536 packets" in err.getvalue()


def test_json_output(tmp_path, capsys):
    rc, _, _ = read([str(DATA / "vxlan.pcap"), "--json", "--logdir", str(tmp_path / "l"), "-q"],
                    capsys)
    assert rc == 0
    lines = (tmp_path / "l" / "conn.log").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 2
    outer, inner = records
    # Zeek's JSON: dotted id names, unset fields left out, sets as arrays, times as numbers.
    assert outer["id.resp_p"] == 4789 and outer["service"] == "vxlan"
    assert "tunnel_parents" not in outer
    assert inner["tunnel_parents"] == [outer["uid"]]
    assert inner["history"] == "ShADadFf" and inner["local_orig"] is True
    assert isinstance(inner["ts"], float) and isinstance(inner["orig_ip_bytes"], int)
    assert set(inner) <= {"ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p",
                          "proto", "service", "duration", "orig_bytes", "resp_bytes",
                          "conn_state", "local_orig", "local_resp", "missed_bytes",
                          "history", "orig_pkts", "orig_ip_bytes", "resp_pkts",
                          "resp_ip_bytes", "tunnel_parents", "ip_proto", "community_id"}
    tunnel = [json.loads(line) for line in (tmp_path / "l" / "tunnel.log").read_text().splitlines()]
    assert [t["action"] for t in tunnel] == ["Tunnel::DISCOVER", "Tunnel::CLOSE"]


def test_logs_filter(tmp_path, capsys):
    rc, _, _ = read([str(DATA / "udp_dns.pcap"), str(DATA / "bad_checksums.pcap"),
                     "--logs", "conn", "--logdir", str(tmp_path / "l"), "-q"], capsys)
    assert rc == 0
    assert sorted(p.name for p in (tmp_path / "l").iterdir()) == ["conn.log"]
    # conn only runs no analyzer: the DNS connection has no service.
    services = {row[5]: row[7] for row in conn_rows(tmp_path / "l")}
    assert services["53"] == "-"
    rc, _, _ = read([str(DATA / "udp_dns.pcap"), "--logs", "dns,weird",
                     "--logdir", str(tmp_path / "m"), "-q"], capsys)
    assert rc == 0
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["dns.log"]


def test_unknown_log_name(tmp_path, capsys):
    rc, _, err = read([str(SF), "--logs", "conn,bogus", "--logdir", str(tmp_path / "l")], capsys)
    assert rc == 2
    line = one_line(err)
    assert "bogus" in line and "conn" in line
    assert not (tmp_path / "l").exists()


def test_summary(tmp_path, capsys):
    rc, out, err = read([str(SF), "--logdir", str(tmp_path / "l")], capsys)
    assert rc == 0 and err == ""
    assert "Read 11 packets" in out and "Connections: 1" in out
    assert "10.0.0.1" in out and "192.168.1.2" in out


def test_capture_reader_api_on_stdin_like_stream(monkeypatch):
    """CaptureReader on `-` reads sys.stdin.buffer."""
    fake = io.BufferedReader(io.BytesIO(SF.read_bytes()))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(fake))
    reader = capture.CaptureReader("-")
    assert reader.name == "<stdin>" and reader.format == "pcap"
    assert sum(1 for _ in reader) == 11 and reader.error is None
