"""verify catches each kind of tampering, names it, and passes an untouched store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from shoestring.cli import main
from shoestring.store.layout import Store
from shoestring.store.ledger import read as read_ledger
from shoestring.store.seal import make_anchor
from shoestring.store.verify import verify

from .helpers import build


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pristine") / "store"
    store = build(root)
    entries, _ = read_ledger(store.ledger_path)
    (root.parent / "anchor.json").write_text(json.dumps(make_anchor(store, entries)) + "\n")
    return root


@pytest.fixture
def store(pristine, tmp_path) -> Store:
    root = tmp_path / "store"
    shutil.copytree(pristine, root)
    shutil.copy(pristine.parent / "anchor.json", tmp_path / "anchor.json")
    return Store.open(root)


def logs(store: Store) -> list[Path]:
    return sorted(store.root.glob("*/*.log.gz"))


def rel(store: Store, path: Path) -> str:
    return path.relative_to(store.root).as_posix()


def problems_of(store: Store, **kw) -> list[str]:
    report = verify(store, **kw)
    assert not report.ok
    return report.problems


def test_untouched_store_passes(store, capsys):
    report = verify(store)
    assert report.ok, report.problems
    assert report.days == 3 and report.files > 0 and report.records > 1800
    anchor = json.loads((store.root.parent / "anchor.json").read_text())
    assert verify(store, anchor=anchor).ok
    assert main(["verify", "--store", str(store.root),
                 "--anchor", str(store.root.parent / "anchor.json")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: ") and "anchor seq" in out


def test_edit_a_byte(store):
    target = logs(store)[3]
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    assert problems_of(store) == [f"{rel(store, target)}: modified (SHA-256 differs from "
                                  "its seal)"]


def test_delete_a_file(store):
    target = sorted(store.root.glob("*/*.parquet"))[5]
    target.unlink()
    [problem] = problems_of(store)
    assert problem.startswith(f"{rel(store, target)}: missing")


def test_add_a_file(store):
    day = logs(store)[0].parent
    (day / "conn.23:00:00-00:00:00.log.gz").write_bytes(b"not sealed")
    (store.root / "notes.txt").write_text("hello")
    problems = problems_of(store)
    assert f"{day.name}/conn.23:00:00-00:00:00.log.gz: extra (not in the ledger)" in problems
    assert "notes.txt: extra (not in the ledger)" in problems
    assert len(problems) == 2


def test_truncate_a_file(store):
    target = logs(store)[1]
    size = target.stat().st_size
    with open(target, "r+b") as f:
        f.truncate(size // 2)
    assert problems_of(store) == [f"{rel(store, target)}: truncated ({size // 2} of "
                                  f"{size} bytes)"]


def test_swap_two_files(store):
    a, b = logs(store)[0], logs(store)[1]
    data_a, data_b = a.read_bytes(), b.read_bytes()
    a.write_bytes(data_b)
    b.write_bytes(data_a)
    problems = problems_of(store)
    assert sorted(problems) == sorted([
        f"{rel(store, a)}: holds the sealed content of {rel(store, b)} (files swapped or "
        "reordered)",
        f"{rel(store, b)}: holds the sealed content of {rel(store, a)} (files swapped or "
        "reordered)"])


def test_edit_a_ledger_entry(store):
    lines = store.ledger_path.read_text().splitlines(keepends=True)
    entry = json.loads(lines[7])
    entry["records"] = entry["records"] - 1        # hide a record
    lines[7] = json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n"
    store.ledger_path.write_text("".join(lines))
    problems = problems_of(store)
    assert "ledger.jsonl line 8: ledger entry seq 7 was edited: its hash does not match " \
           "its contents" in problems


def test_edit_a_ledger_entry_and_rehash_the_chain(store):
    """A forger who recomputes every hash is caught by the signed day heads."""
    from shoestring.store.ledger import entry_hash
    lines = store.ledger_path.read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    entries[7]["sha256"] = "0" * 64
    prev = entries[0]["hash"]
    for entry in entries[1:]:
        entry["prev"] = prev
        entry["hash"] = prev = entry_hash(entry)
    store.ledger_path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    problems = problems_of(store)
    day = entries[7]["day"]
    assert any(p.startswith(f"heads/{day}.json: the signed head") for p in problems)
    assert f"{entries[7]['path']}: modified (SHA-256 differs from its seal)" in problems


def test_replace_a_signature(store):
    head_path = sorted(store.heads_dir.glob("*.json"))[1]
    head = json.loads(head_path.read_text())
    other = json.loads(sorted(store.heads_dir.glob("*.json"))[0].read_text())
    head["sig"] = other["sig"]
    head_path.write_text(json.dumps(head))
    assert problems_of(store) == [f"heads/{head_path.name}: bad signature (replaced or "
                                  "edited)"]


def test_delete_newest_day_with_its_ledger_entries(store):
    """Without an anchor this is undetectable by design; the anchor catches it."""
    newest = store.day_dirs()[-1]
    shutil.rmtree(store.root / newest)
    (store.heads_dir / f"{newest}.json").unlink()
    lines = store.ledger_path.read_text().splitlines(keepends=True)
    kept = [line for line in lines if json.loads(line).get("day") != newest
            and json.loads(line).get("source") != "cap-c"]
    assert len(kept) < len(lines) and lines[:len(kept)] == kept   # it was the tail
    store.ledger_path.write_text("".join(kept))
    assert verify(store).ok                    # the chain alone cannot tell
    anchor = json.loads((store.root.parent / "anchor.json").read_text())
    problems = problems_of(store, anchor=anchor)
    assert len(problems) == 1
    assert problems[0].startswith(f"anchor: the ledger ends at seq {len(kept) - 1} but the "
                                  f"anchor was made at seq {len(lines) - 1}")


def test_verify_command_names_problems_and_exits_1(store, capsys):
    target = logs(store)[2]
    target.unlink()
    assert main(["verify", "--store", str(store.root)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{rel(store, target)}: missing")
    assert out[-1] == "FAILED: 1 problem(s) found"
    assert main(["status", "--store", str(store.root)]) == 0
    assert "FAILED: 1 problem(s)" in capsys.readouterr().out


def test_verify_range_only_rehashes_those_days(store):
    days = store.day_dirs()
    victim = sorted((store.root / days[0]).glob("*.log.gz"))[0]
    victim.write_bytes(b"x")
    assert not verify(store, first_day=days[0], last_day=days[0]).ok
    report = verify(store, first_day=days[1])
    assert report.ok and report.days == 2
