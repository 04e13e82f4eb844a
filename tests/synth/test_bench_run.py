"""bench/run.py's bookkeeping (not its timings): file totals, the verdict lines, a child's
resource figures. Speed itself is only ever measured by running bench/run.py."""

import importlib.util
import os
import sys

import pytest

from shoestring.synth import pcapwrite

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def run():
    spec = importlib.util.spec_from_file_location("bench_run", os.path.join(ROOT, "bench", "run.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("big", [False, True])
def test_capture_totals_counts_records_and_original_lengths(run, tmp_path, big):
    frames = [(i * 0.1, bytes(60 + i * 37 % 1400)) for i in range(5000)]
    path = tmp_path / "t.pcap"
    pcapwrite.write_pcap(path, frames, big_endian=big, snaplen=1000)  # some records cut short
    assert run.capture_totals(str(path)) == (5000, sum(len(f) for _, f in frames))


def row(name, wall, cpu, rss=100.0, rc=0):
    return {"name": name, "wall": wall, "cpu": cpu, "rss_mb": rss, "rc": rc, "tail": ""}


def test_verdict_judges_the_floors_by_wall_and_by_cpu(run):
    rows = [row("shoestring read -C --logs conn", wall=4.0, cpu=2.0),
            row("nfstream n_dissections=0", wall=5.0, cpu=5.0)]
    lines = run.verdict(rows, 1_000_000, memory=False)
    # 1e6 packets / 4 s = 250,000 by wall (below 300,000); / 2 s = 500,000 by CPU (above)
    assert "250,000 by wall time: MISSES" in lines[0] and "500,000 by CPU time: meets" in lines[0]
    # nfstream 5 s / 4 s = 1.25x by wall (below 1.8x); 5 / 2 = 2.50x by CPU (above)
    assert "1.25x by wall: MISSES" in lines[1] and "2.50x by CPU: meets" in lines[1]


def test_verdict_judges_the_all_analyzers_floors(run):
    rows = [row("shoestring read -C --logs conn", wall=2.0, cpu=2.0),
            row("shoestring read -C (all analyzers)", wall=4.0, cpu=2.5),
            row("nfstream n_dissections=20", wall=6.0, cpu=3.0)]
    lines = run.verdict(rows, 1_000_000, memory=False)
    share = next(line for line in lines if line.startswith("- all analyzers / conn-only"))
    # conn 2 s / all 4 s = 0.50x by wall (below 0.70x); 2 / 2.5 = 0.80x by CPU (above)
    assert "0.50x by wall: MISSES" in share and "0.80x by CPU: meets" in share
    ndpi = next(line for line in lines if line.startswith("- all analyzers / nfstream"))
    # nDPI 6 s / 4 s = 1.50x by wall (above 1.3x); 3 / 2.5 = 1.20x by CPU (below)
    assert "1.50x by wall: meets" in ndpi and "1.20x by CPU: MISSES" in ndpi


def test_verdict_memory_ceiling_and_missing_peers(run):
    rows = [row("shoestring read -C --logs conn", 10, 9, rss=450.0), {"name": "nfstream n_dissections=0",
                                                                    "missing": "not installed"}]
    lines = run.verdict(rows, 3_000_000, memory=True)
    assert lines == ["- peak RSS of `shoestring read -C --logs conn` with all flows open: 450 MB "
                     "(ceiling 400 MB): MISSES"]
    table = run.table(rows, 3_000_000, 1, memory=True)
    assert "not run: not installed" in table[-1]


def test_measure_reports_exit_code_cpu_and_peak_rss_of_the_child(run):
    r = run.measure("alloc", [sys.executable, "-c", "b = bytearray(60 << 20); b[::4096] = b'x' * len(b[::4096])"],
                    pin=False)
    assert r["rc"] == 0 and r["rss_mb"] >= 60 and r["cpu"] > 0
    bad = run.measure("fail", [sys.executable, "-c", "raise SystemExit(3)"], pin=False)
    assert bad["rc"] == 3


def test_a_missing_peer_is_named_and_skipped(run, monkeypatch, tmp_path):
    real_which = run.shutil.which
    monkeypatch.setattr(run.shutil, "which", lambda name: None if name == "tshark" else real_which(name))
    plan = {name: (cmd, why) for name, cmd, why in run.tools("x.pcap", str(tmp_path), memory=False)}
    assert plan["tshark -T fields"] == (None, "tshark is not installed (apt-get install tshark)")
    assert plan["python struct loop (reference)"][0] is not None
