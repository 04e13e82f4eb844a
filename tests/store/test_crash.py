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


class Killed(BaseException):
    """Stands for kill -9 at one chosen step: the writer stops there, disk as it is."""


def import_until_killed(root: Path, source: str, seed: int) -> None:
    """Import until Killed is raised; leave the store as a kill -9 would (lock released,
    journal not closed by the writer)."""
    out = StoreOutput(root, source=source)
    try:
        for n, (log, record) in enumerate(OfficeTraffic(seed).records(START, COUNT, SPAN),
                                          1):
            out.write(log, record)
            if n % 50 == 0:
                out.flush()
        out.close()
    except Killed:
        out.store.unlock()
        return
    raise AssertionError("the import was not killed")


def test_kill_between_a_rotations_seal_and_head_resumes_exactly(tmp_path, monkeypatch):
    """The first rotation's files are sealed in the ledger, then the writer dies (here:
    before the day head is signed). The resumed import must skip every record in those
    files, including the ones taken since the last flush (they were once sealed but not
    journaled, and the resume wrote them again into a .2 file)."""
    from shoestring.store import seal
    root = tmp_path / "s"
    Store.create(root)
    real = seal.Sealer._sign_day

    def sign_then_die(self, day, entry):
        raise Killed                    # the first head signed follows the first seal

    monkeypatch.setattr(seal.Sealer, "_sign_day", sign_then_die)
    import_until_killed(root, "cap", 3)
    monkeypatch.setattr(seal.Sealer, "_sign_day", real)
    assert list((root / ".journal").glob("*.jnl"))
    out = reimport(root, "cap", 3)
    expected = expected_records(START, 3, COUNT, SPAN)
    assert out.skipped > 0
    assert out.skipped + sum(out.counts.values()) == sum(expected.values())
    assert stored_records(root) == expected
    assert not list(root.glob("*/*.2.log.gz"))
    assert verify(Store.open(root)).ok


def test_kill_between_a_new_segment_and_the_old_ones_removal(tmp_path, monkeypatch):
    """A resumed import dies right after its first journal segment (holding the adopted
    open files' lines) is in place, before the old segments are removed: the next resume
    reads those lines once, not from both segments."""
    from shoestring.store import archive
    root = tmp_path / "s"
    Store.create(root)
    real = archive.StoreOutput.write
    taken = [0]

    def die_mid_hour(self, log, record):
        taken[0] += 1
        if taken[0] == 120:                 # within the first hour: files left open
            raise Killed
        real(self, log, record)

    monkeypatch.setattr(archive.StoreOutput, "write", die_mid_hour)
    import_until_killed(root, "cap", 5)
    monkeypatch.setattr(archive.StoreOutput, "write", real)
    old = list((root / ".journal").glob("*.jnl"))
    assert old
    real_unlink = Path.unlink

    def die_at_journal_removal(self, *args, **kwargs):
        if self.suffix == ".jnl" and self in old:
            raise Killed
        return real_unlink(self, *args, **kwargs)

    locked = []
    real_lock = Store.lock

    def lock(self):
        locked.append(self)
        real_lock(self)

    monkeypatch.setattr(Store, "lock", lock)
    monkeypatch.setattr(Path, "unlink", die_at_journal_removal)
    with pytest.raises(Killed):
        StoreOutput(root, source="cap")
    monkeypatch.setattr(Path, "unlink", real_unlink)
    for store in locked:                             # the lock goes with the process
        store.unlock()
    assert len(list((root / ".journal").glob("*.jnl"))) == len(old) + 1
    out = reimport(root, "cap", 5)
    expected = expected_records(START, 5, COUNT, SPAN)
    assert out.skipped + sum(out.counts.values()) == sum(expected.values())
    assert stored_records(root) == expected
    assert verify(Store.open(root)).ok
