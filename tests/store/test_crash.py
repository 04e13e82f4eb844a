"""kill -9 an importer at random moments; after a restart every record flushed before the
kill is there, nothing is duplicated, and verify passes."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from shoestring.store.archive import StoreOutput
from shoestring.store.layout import Store
from shoestring.store.verify import verify

from .gen import OfficeTraffic
from .helpers import expected_records, stored_records

TRIALS = 50
COUNT, SPAN = 600, 3 * 3600.0         # three hour rotations inside each run
START = 1793491200.0
# The importer runs for about this long on the project's two-core box: kills land anywhere.
KILL_WITHIN = 0.4
REPO = Path(__file__).resolve().parents[2]


def spawn(root: Path, source: str, seed: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{REPO}"}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.store.importer", str(root), source, str(START),
         str(seed), str(COUNT), str(SPAN)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=env)


def kill_at_random(proc: subprocess.Popen, rng: random.Random) -> int:
    """Wait until the importer runs, kill -9 it after a random delay; records it had
    flushed before dying."""
    assert proc.stdout.readline().strip() == "started", proc.stderr.read()
    time.sleep(rng.uniform(0.0, KILL_WITHIN))
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate()
    flushed = [int(line.split()[1]) for line in out.splitlines() if line.startswith("flushed")]
    return max(flushed, default=0)


def reimport(root: Path, source: str | None, seed: int) -> StoreOutput:
    out = StoreOutput(root, source=source)
    for log, record in OfficeTraffic(seed).records(START, COUNT, SPAN):
        out.write(log, record)
    out.close()
    return out


@pytest.mark.slow
def test_kill_9_at_random_moments(tmp_path):
    rng = random.Random(20261128)
    began = time.monotonic()
    flushed_at_kill = []
    total = sum(expected_records(START, 1, COUNT, SPAN).values())
    for trial in range(TRIALS):
        root = tmp_path / f"s{trial}"
        Store.create(root)
        seed = trial + 1
        resume = trial % 2 == 0
        proc = spawn(root, f"cap-{trial}" if resume else "-", seed)
        flushed = kill_at_random(proc, rng)
        flushed_at_kill.append(flushed)
        expected = expected_records(START, seed, COUNT, SPAN)
        if resume:
            # The same capture read again: resumed, so every record exactly once.
            out = reimport(root, f"cap-{trial}", seed)
            assert out.skipped + sum(out.counts.values()) == sum(expected.values())
            found = stored_records(root)
            assert found == expected, f"trial {trial}: flushed {flushed}"
        else:
            # A live sensor restarting: it finishes what the journal holds.
            StoreOutput(root).close()
            found = stored_records(root)
            assert max(found.values(), default=1) == 1, f"trial {trial}: duplicates"
            first = Counter()
            for n, (log, record) in enumerate(OfficeTraffic(seed).records(
                    START, COUNT, SPAN)):
                if n >= flushed:
                    break
                first[(log, record["uid"], f"{record['ts']:.6f}")] += 1
            missing = first - found
            assert not missing, f"trial {trial}: lost {len(missing)} flushed records"
            assert not (found - expected), "records that were never written"
        report = verify(Store.open(root))
        assert report.ok, (trial, report.problems)
        assert not list((root / ".journal").glob("*.jnl"))
    # The kills must have landed at many points of the run, not all before or after it
    # (they bunch up at rotations: the fsyncs there are where the run spends its time).
    assert len(set(flushed_at_kill)) >= 5, flushed_at_kill
    assert sum(1 for f in flushed_at_kill if 0 < f) > TRIALS // 2, flushed_at_kill
    assert sum(1 for f in flushed_at_kill if f < total - 50) > TRIALS // 2, flushed_at_kill
    assert time.monotonic() - began < 120


def test_second_run_of_a_finished_import_writes_nothing(tmp_path):
    root = tmp_path / "s"
    Store.create(root)
    reimport(root, "cap", 7)
    before = stored_records(root)
    again = reimport(root, "cap", 7)
    assert again.already_imported and sum(again.counts.values()) == 0
    assert stored_records(root) == before
    assert verify(Store.open(root)).ok
