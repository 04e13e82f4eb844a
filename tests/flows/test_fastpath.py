"""The fast path (Pipeline.run + flows.table.FastPath, used when nothing wants payload)
must log exactly what the general path (Pipeline.packet for every record) logs: every
field of every conn.log record, weird.log too, with and without checksum verification.

The capture: ~20k packets of bench/generate.py's office mix, spiced with what the fast
path must hand over to the general path (corrupted copies with bad checksums, exact
duplicates, one-tag VLAN frames), every golden case's Ethernet capture, and a second
stretch 400 s later so that connections time out in between."""

from __future__ import annotations

import importlib.util
import itertools
import random
from pathlib import Path

import pytest

from shoestring.capture.pcap import CaptureReader
from shoestring.flows.table import FastPath
from shoestring.logs.output import DirectoryOutput
from shoestring.pipeline import Pipeline
from shoestring.synth import pcapwrite as W

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
SEED = b"fast-path-equivalence"


def _generator():
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _golden_ethernet_frames(t0: float):
    """Every golden capture of Ethernet frames, each shifted to start 1 s after the last."""
    out = []
    for path in sorted(DATA.glob("*.pcap")):
        reader = CaptureReader(str(path))
        if reader.linktype != 1:
            continue
        records = list(reader)
        first = records[0][0]
        out += [(t0 + ts - first, frame) for ts, _lt, frame, _wl in records]
        t0 += records[-1][0] - first + 1.0
    return out


def _spiced(packets, rng: random.Random):
    out = []
    for ts, frame in packets:
        out.append((ts, frame))
        roll = rng.random()
        if roll < 0.02 and len(frame) > 60:
            bad = bytearray(frame)
            bad[rng.randrange(54, len(bad))] ^= 0x20          # payload byte: L4 sum breaks
            out.append((ts, bytes(bad)))
        elif roll < 0.04:
            out.append((ts, frame))                             # exact duplicate
        elif roll < 0.05 and frame[12:14] == b"\x08\x00":
            tagged = frame[:12] + b"\x81\x00\x00\x0a" + frame[12:]
            out.append((ts, tagged))                            # same packet, VLAN 10
    return out


@pytest.fixture(scope="module")
def capture(tmp_path_factory) -> Path:
    gen = _generator()
    rng = random.Random(11)
    first = list(itertools.islice(gen.office_packets(300, 3), 16000))
    end = first[-1][0]
    golden = _golden_ethernet_frames(end + 1.0)
    later = [(ts + 400.0, f) for ts, f in itertools.islice(gen.office_packets(300, 4), 4000)]
    packets = _spiced(first, rng) + golden + _spiced(later, rng)
    packets.sort(key=lambda p: p[0])
    path = tmp_path_factory.mktemp("fastpath") / "mix.pcap"
    W.write_pcap(path, packets)
    return path


def _logs(logdir: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(logdir.glob("*.log"))}


def _fast(path: Path, logdir: Path, ignore: bool, monkeypatch) -> Pipeline:
    output = DirectoryOutput(logdir, only={"conn", "weird", "tunnel"})
    pipeline = Pipeline(output, ignore_checksums=ignore, analyzers=False, seed=SEED)
    assert pipeline.table.passive                  # the condition for the fast path
    taken = {"tcp": 0, "udp": 0}
    for kind in taken:
        method = getattr(FastPath, kind)

        def counting(self, *args, _method=method, _kind=kind):
            handled = _method(self, *args)
            taken[_kind] += handled
            return handled
        monkeypatch.setattr(FastPath, kind, counting)
    reader = CaptureReader(str(path))
    pipeline.run(reader)
    # Most packets of the mix must really have taken the fast path, or this test
    # compares the general path with itself.
    assert taken["tcp"] > 0.5 * pipeline.stats.packets and taken["udp"] > 100, taken
    assert reader.error is None
    pipeline.finish()
    output.close()
    return pipeline


def _general(path: Path, logdir: Path, ignore: bool) -> Pipeline:
    output = DirectoryOutput(logdir, only={"conn", "weird", "tunnel"})
    pipeline = Pipeline(output, ignore_checksums=ignore, analyzers=False, seed=SEED)
    for ts, linktype, frame, wirelen in CaptureReader(str(path)):
        pipeline.packet(ts, linktype, frame, wirelen)
    pipeline.finish()
    output.close()
    return pipeline


@pytest.mark.parametrize("ignore_checksums", [False, True], ids=["verify", "-C"])
def test_fast_path_logs_what_the_general_path_logs(capture, tmp_path, ignore_checksums,
                                                   monkeypatch):
    fast = _fast(capture, tmp_path / "fast", ignore_checksums, monkeypatch)
    general = _general(capture, tmp_path / "general", ignore_checksums)
    fast_logs, general_logs = _logs(tmp_path / "fast"), _logs(tmp_path / "general")
    assert sorted(fast_logs) == sorted(general_logs)
    for name in general_logs:
        fast_lines = fast_logs[name].splitlines()
        general_lines = general_logs[name].splitlines()
        assert len(fast_lines) == len(general_lines), name
        for a, b in zip(fast_lines, general_lines):
            assert a == b, f"{name}:\n fast    {a}\n general {b}"
    conns = [line for line in general_logs["conn.log"].splitlines() if not line.startswith("#")]
    assert len(conns) > 500
    assert fast.stats.packets == general.stats.packets
    assert fast.stats.bytes == general.stats.bytes
    assert (fast.stats.first_ts, fast.stats.last_ts) == \
        (general.stats.first_ts, general.stats.last_ts)
    assert isinstance(fast.stats.first_ts, float)
    # The mix really exercised both: bad checksums (without -C), retransmissions,
    # timeouts (connections logged before the end), tunnels.
    histories = "".join(line.split("\t")[15] for line in conns)
    assert "T" in histories or "t" in histories
    if not ignore_checksums:
        assert "bad_TCP_checksum" in general_logs["weird.log"]
    assert "tunnel.log" in general_logs
