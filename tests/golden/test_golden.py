"""Golden tests: each capture in tests/data (written by tests/golden/build.py) is read by
`shoestring read`, and the foundation's logs (conn, weird, tunnel) must equal the files in
tests/golden/expected/<case>/ byte for byte, header and #close included.

SHOESTRING_REGEN_GOLDEN=1 rewrites the expected files from the current output instead
(then read every changed record before committing it: see tests/golden/README.md).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from shoestring import cli

from . import build

HERE = Path(__file__).resolve().parent
EXPECTED = HERE / "expected"
# The logs the foundation writes; analyzer logs (dns.log, ...) have tests of their own.
FOUNDATION_LOGS = ("conn", "weird", "tunnel")
REGEN = os.environ.get("SHOESTRING_REGEN_GOLDEN") == "1"


def run_read(case: str, logdir: Path, monkeypatch, *extra: str) -> int:
    capture = build.capture_for(case)
    assert capture.exists(), f"{capture} missing: run tests/golden/build.py"
    # Connection uids are seeded from the file's name and first bytes, so the capture is
    # named the same way on every machine: by its bare name, from its own folder.
    monkeypatch.chdir(capture.parent)
    return cli.main(["read", "-q", "--no-progress", *extra, capture.name,
                     "--logdir", str(logdir)])


@pytest.mark.parametrize("case", sorted(build.CASES))
def test_golden(case, tmp_path, monkeypatch, capsys):
    logdir = tmp_path / "logs"
    rc = run_read(case, logdir, monkeypatch)
    err = capsys.readouterr().err
    assert rc == 0, err
    assert err == ""
    produced = {name: logdir / f"{name}.log" for name in FOUNDATION_LOGS
                if (logdir / f"{name}.log").exists()}
    want_dir = EXPECTED / case
    if REGEN:
        if want_dir.exists():
            shutil.rmtree(want_dir)
        want_dir.mkdir(parents=True)
        for name, path in produced.items():
            shutil.copyfile(path, want_dir / f"{name}.log")
        pytest.skip("expected logs regenerated")
    expected = {p.stem: p for p in want_dir.glob("*.log")}
    assert sorted(produced) == sorted(expected), "a different set of logs was written"
    for name, path in expected.items():
        assert produced[name].read_text() == path.read_text(), f"{case}/{name}.log differs"


def test_every_case_has_expected_logs():
    """A case without expectations would pass vacuously."""
    if REGEN:
        pytest.skip("regenerating")
    for case in build.CASES:
        logs = list((EXPECTED / case).glob("*.log"))
        assert any(p.stem == "conn" for p in logs), case


def test_builder_is_deterministic(tmp_path, monkeypatch):
    """The committed captures are what build.py writes: rebuilding changes no byte."""
    monkeypatch.setattr(build, "DATA", tmp_path)
    for path in build.build():
        committed = HERE.parent / "data" / path.name
        assert committed.read_bytes() == path.read_bytes(), path.name


def test_checksums_ignored_with_C(tmp_path, monkeypatch, capsys):
    """With -C the bad checksums are not checked: no weirds, no C in history, the
    segment and datagram with bad sums are counted, the bad-IP packet is a connection."""
    logdir = tmp_path / "logs"
    assert run_read("bad_checksums", logdir, monkeypatch, "-C") == 0
    assert not (logdir / "weird.log").exists()
    rows = [line.split("\t") for line in (logdir / "conn.log").read_text().splitlines()
            if not line.startswith("#")]
    assert len(rows) == 3
    by_port = {row[5]: row for row in rows}
    # TCP: the bad segment is now a retransmission of the good one (same seq): T.
    assert by_port["9000"][15] == "ShADTaFf"
    # UDP: both datagrams from the originator count, no C.
    assert by_port["9001"][15] == "Dd" and by_port["9001"][16] == "2"
    assert by_port["5001"][11] == "S0"
