"""Compaction: closed days' hourly Parquet copies become one sealed file per log and day;
verify tells it from tampering, a crash at any step recovers, and query/search answer the
same before and after."""

from __future__ import annotations

import ipaddress
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shoestring.cli import main
from shoestring.store import catalog, compact, query, retention, search
from shoestring.store.layout import Store
from shoestring.store.ledger import read
from shoestring.store.seal import Sealer, file_digest
from shoestring.store.verify import verify

from .gen import OfficeTraffic
from .helpers import CAPTURES, build, import_capture

REPO = Path(__file__).resolve().parents[2]
WHOLE = query.time_range(None, None)


@pytest.fixture(scope="module")
def hourly(tmp_path_factory) -> Path:
    """Three captures on three days, imported without compaction."""
    root = tmp_path_factory.mktemp("hourly") / "store"
    build(root, compaction=False)
    return root


@pytest.fixture
def store(hourly, tmp_path) -> Store:
    root = tmp_path / "store"
    shutil.copytree(hourly, root)
    return Store.open(root)


def parquet_paths(store: Store) -> list[str]:
    return sorted(p.relative_to(store.root).as_posix() for p in store.root.glob("*/*.parquet"))


def zeek_digests(store: Store) -> dict[str, str]:
    return {p.name: file_digest(p)[0] for p in store.root.glob("*/*.log.gz")}


def kinds(store: Store) -> list[str]:
    return [e.get("kind") for e in read(store.ledger_path)[0]]


def test_compaction_replaces_hourly_copies_and_verify_accepts_it(store):
    before_zeek = zeek_digests(store)
    hourly_files = parquet_paths(store)
    assert len(hourly_files) > 12 and not any(compact.is_daily(p) for p in hourly_files)
    outcome = compact.compact_closed(store)
    assert sorted(outcome.days) == store.day_dirs() and not outcome.problems
    daily = parquet_paths(store)
    # One file per log and day, named apart from any hourly copy.
    assert all(compact.is_daily(p) for p in daily)
    assert len(daily) == outcome.files_out == 4 * 3 and outcome.files_in == len(hourly_files)
    assert zeek_digests(store) == before_zeek          # the evidence is untouched
    report = verify(store)
    assert report.ok, report.problems
    entries, _ = read(store.ledger_path)
    seals = {e["path"]: e for e in entries if e.get("kind") == "seal"}
    replaced = [e for e in entries if e.get("kind") == "compact"]
    assert sorted(e["path"] for e in replaced) == hourly_files
    for path in daily:
        sources = seals[path]["compacts"]
        assert seals[path]["records"] == sum(seals[s]["records"] for s in sources)
        assert seals[path]["sources_at"] == max(seals[s]["at"] for s in sources)
    # Idempotent: nothing left to do.
    again = compact.compact_closed(store)
    assert again.days == [] and parquet_paths(store) == daily


def test_daily_file_is_sorted_with_row_groups_statistics_and_bloom_filters(store):
    compact.compact_closed(store)
    path = store.root / next(p for p in parquet_paths(store) if "/conn." in p)
    con = query.new_connection()
    stamps = [r[0] for r in con.execute(f"SELECT ts FROM read_parquet('{path}')").fetchall()]
    assert stamps == sorted(stamps)
    meta = con.execute(
        "SELECT path_in_schema, stats_min_value, stats_max_value, bloom_filter_length "
        f"FROM parquet_metadata('{path}')").fetchall()
    by_column = {row[0]: row for row in meta}
    assert by_column["ts"][1] is not None and by_column["id.resp_h"][2] is not None
    for column in ("id.orig_h", "id.resp_h", "uid", "community_id"):
        assert (by_column[column][3] or 0) > 0, column
    assert not by_column["duration"][3]


def queries() -> list[str]:
    return [
        'SELECT count(*), min(ts), max(ts), sum(orig_bytes) FROM conn',
        'SELECT "id.orig_h", count(*), sum(resp_bytes) FROM conn GROUP BY 1 ORDER BY 1',
        'SELECT * FROM dns ORDER BY ts, uid',
        'SELECT uid, host, uri FROM http ORDER BY ts, uid',
        'SELECT server_name, count(*) FROM ssl GROUP BY 1 ORDER BY 1',
    ]


def search_terms(store: Store) -> list[str]:
    rows = query.run(store, 'SELECT uid, "id.orig_h", "id.resp_h", community_id FROM conn '
                            "WHERE service = 'ssl' ORDER BY ts LIMIT 1", WHOLE).rows
    uid, orig, resp, cid = rows[0]
    return [uid, orig, resp, cid, "10.1.0.0/28", "10.1.0.0/24", "10.0.0.0/8", "bank.in",
            "0.0.0.0/1"]


def answers(store: Store, terms: list[str]):
    out = [query.run(store, sql, WHOLE).rows for sql in queries()]
    for term in terms:
        hits = search.search(store, term, WHOLE, limit=100000)
        # Records of one ts may come in either order: compare as sorted lists.
        out.append({h.log: sorted(map(repr, h.rows)) for h in hits})
    return out


def test_query_and_search_answer_the_same_before_and_after(store):
    terms = search_terms(store)
    before = answers(store, terms)
    compact.compact_closed(store)
    assert all(compact.is_daily(p) for p in parquet_paths(store))
    assert answers(store, terms) == before
    # With a time range too (row groups pruned inside the daily file).
    day = store.day_dirs()[1]
    rng = query.time_range(f"{day}T01:00", f"{day}T02:30")
    hits = search.search(store, "10.1.0.0/24", rng, limit=100000)
    stamps = [r[h.columns.index("ts")] for h in hits for r in h.rows]
    # --to names a minute: up to its end.
    assert stamps and all(f"{day} 01:00" <= str(s) < f"{day} 02:31" for s in stamps)


@pytest.mark.parametrize("cidr", ["10.1.0.0/28", "10.1.0.32/27", "10.1.0.0/24", "10.1.0.0/20",
                                  "10.0.0.0/8", "0.0.0.0/4", "0.0.0.0/0", "10.1.0.12/32",
                                  "10.1.0.12/31", "128.0.0.0/1"])
def test_cidr_search_matches_every_address_in_the_network(hourly, cidr):
    """Against ipaddress over every conn record: the string-range SQL must agree."""
    store = Store.open(hourly)
    net = ipaddress.ip_network(cidr)
    rows = query.run(store, 'SELECT uid, "id.orig_h", "id.resp_h" FROM conn', WHOLE).rows
    expected = sorted(uid for uid, a, b in rows
                      if ipaddress.ip_address(a) in net or ipaddress.ip_address(b) in net)
    hits = {h.log: h for h in search.search(store, cidr, WHOLE, limit=100000)}
    got = sorted(r[hits["conn"].columns.index("uid")] for r in hits["conn"].rows) \
        if "conn" in hits else []
    assert got == expected


def test_tampering_with_a_compacted_file_is_caught(store):
    compact.compact_closed(store)
    victim = next(p for p in parquet_paths(store) if "/dns." in p)
    data = bytearray((store.root / victim).read_bytes())
    data[len(data) // 2] ^= 0x01
    (store.root / victim).write_bytes(bytes(data))
    assert f"{victim}: modified (SHA-256 differs from its seal)" in verify(store).problems
    (store.root / victim).unlink()
    assert any(p.startswith(f"{victim}: missing") for p in verify(store).problems)


def test_a_deletion_disguised_as_compaction_is_caught(store):
    """A writer that removes an hourly copy and records it as 'compacted' into a file that
    does not list it (or does not exist) is reported."""
    entries, _ = read(store.ledger_path)
    victim = next(e for e in entries if e.get("form") == "parquet")
    Sealer(store, entries).record([{
        "kind": "compact", "path": victim["path"], "day": victim["day"],
        "log": victim["log"], "sha256": victim["sha256"], "of_seq": victim["seq"],
        "into": f"{victim['day']}/{victim['log']}.day.parquet", "at": time.time()}])
    (store.root / victim["path"]).unlink()
    problems = verify(store).problems
    assert any(victim["path"] in p and "disguised as compaction" in p for p in problems)


def test_a_replacement_with_fewer_records_is_caught(store):
    compact.compact_closed(store)
    entries, _ = read(store.ledger_path)
    daily = next(e for e in entries if e.get("compacts"))
    forged = {k: v for k, v in daily.items() if k not in ("seq", "prev", "hash")}
    forged.update(path=daily["path"].replace(".day.", ".day.9."), records=1,
                  compacts=[daily["path"]])
    shutil.copy(store.root / daily["path"], store.root / forged["path"])
    Sealer(store, entries).record([forged])
    problems = verify(store).problems
    assert any("sealed with 1 records but the files it compacts held" in p for p in problems)
    assert any("does not record that file as replaced" in p for p in problems)


def test_a_tampered_hourly_copy_is_not_laundered(store):
    victim = next(p for p in parquet_paths(store) if "/conn." in p)
    data = bytearray((store.root / victim).read_bytes())
    data[100] ^= 0x01
    (store.root / victim).write_bytes(bytes(data))
    outcome = compact.compact_closed(store)
    assert any(victim in p and "does not match its seal" in p for p in outcome.problems)
    assert (store.root / victim).exists()               # left for verify to report
    day = victim.split("/")[0]
    assert not (store.root / day / "conn.day.parquet").exists()
    assert (store.root / day / "dns.day.parquet").exists()     # other logs still compacted
    assert verify(store).problems == [f"{victim}: modified (SHA-256 differs from its seal)"]
    assert main(["compact", "--store", str(store.root)]) == 1


class Crash(Exception):
    pass


@pytest.mark.parametrize("step", ["after_intent", "after_write", "before_head",
                                  "after_seal", "mid_remove"])
def test_a_crash_mid_compaction_recovers(store, monkeypatch, step):
    terms = search_terms(store)
    before = answers(store, terms)
    zeek = zeek_digests(store)
    real_write_many, real_record = compact.write_many, Sealer.record
    real_sign_day = Sealer.sign_day
    removed = []

    def write_many(files):
        if step == "after_intent":
            raise Crash
        real_write_many(files)
        if step == "after_write":
            raise Crash

    def record(self, entries):
        out = real_record(self, entries)
        if step == "after_seal":
            raise Crash
        return out

    def sign_day(self, day, entry):
        if step == "before_head":          # the ledger has the entries, no head signs them
            raise Crash
        return real_sign_day(self, day, entry)

    real_unlink = Path.unlink

    def unlink(self, missing_ok=False):
        if step == "mid_remove" and self.suffix == ".parquet" and len(removed) == 3:
            raise Crash
        removed.append(self)
        return real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(compact, "write_many", write_many)
    monkeypatch.setattr(Sealer, "record", record)
    monkeypatch.setattr(Sealer, "sign_day", sign_day)
    monkeypatch.setattr(Path, "unlink", unlink)
    with pytest.raises(Crash):
        compact.compact_closed(store)
    monkeypatch.undo()
    assert list(store.journal_dir.glob("compact-*.json"))     # the intent is there
    # Queries still answer the same from what is on disk and sealed.
    if step in ("after_intent", "after_write"):
        assert answers(store, terms) == before
    # The next writer (or `shoestring compact`) recovers, then finishes the job.
    if step in ("before_head", "mid_remove"):
        assert main(["compact", "--store", str(store.root)]) == 0
    else:
        out = import_capture(Store.open(store.root), CAPTURES[0][0], *CAPTURES[0][1:])
        assert out.already_imported
    assert not list(store.journal_dir.glob("compact-*.json"))
    report = verify(store)
    assert report.ok, report.problems
    assert all(compact.is_daily(p) for p in parquet_paths(store))
    assert answers(store, terms) == before and zeek_digests(store) == zeek


def spawn_compactor(root: Path) -> tuple[subprocess.Popen, float]:
    """Start tests.store.compactor; return it and the moment it said "started"."""
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{REPO}"}
    proc = subprocess.Popen([sys.executable, "-m", "tests.store.compactor", str(root)],
                            env=env, cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "started", proc.stderr.read()
    return proc, time.monotonic()


@pytest.mark.slow
def test_kill_9_during_compaction(hourly, tmp_path):
    """A compaction killed at random moments of its work: a restart finishes it, verify
    passes, and the records are all there once."""
    rng = random.Random(5)
    expected = query.run(Store.open(hourly), "SELECT count(*), sum(orig_bytes) FROM conn",
                         WHOLE).rows
    # How long the work takes on this box now (the quicker of two runs): the kills are
    # spread over that.
    works = []
    for n in range(2):
        shutil.copytree(hourly, tmp_path / f"calibrate{n}")
        proc, began = spawn_compactor(tmp_path / f"calibrate{n}")
        assert proc.wait() == 0
        works.append(time.monotonic() - began)
        proc.stdout.close()
        proc.stderr.close()
    work = min(works)
    interrupted = 0
    for trial in range(10):
        root = tmp_path / f"s{trial}"
        shutil.copytree(hourly, root)
        proc, began = spawn_compactor(root)
        time.sleep(max(0.0, began + rng.uniform(0.0, work) - time.monotonic()))
        proc.send_signal(signal.SIGKILL)
        interrupted += proc.wait() == -signal.SIGKILL
        proc.stdout.close()
        proc.stderr.close()
        assert main(["compact", "--store", str(root)]) == 0
        store = Store.open(root)
        report = verify(store)
        assert report.ok, (trial, report.problems)
        assert all(compact.is_daily(p) for p in parquet_paths(store))
        got = query.run(store, "SELECT count(*), sum(orig_bytes) FROM conn", WHOLE).rows
        assert got == expected, trial
    assert interrupted >= 3          # kills landed while it ran, not only after


def test_a_day_compacted_again_after_an_old_capture_adds_hours(tmp_path):
    store = Store.create(tmp_path / "s")
    start = CAPTURES[0][1]
    import_capture(store, "a", start, 1, count=200)
    day = store.day_dirs()[0]
    assert (store.root / day / "conn.day.parquet").exists()
    import_capture(store, "b", start, 2, count=200)        # same hours: .2 files
    assert (store.root / day / "conn.day.2.parquet").exists()
    assert not (store.root / day / "conn.day.parquet").exists()
    entries, _ = read(store.ledger_path)
    seal = next(e for e in entries if e.get("path") == f"{day}/conn.day.2.parquet")
    assert f"{day}/conn.day.parquet" in seal["compacts"]
    assert verify(store).ok, verify(store).problems
    count = query.run(store, "SELECT count(*) FROM conn", WHOLE).rows[0][0]
    assert count == 400


def test_retention_prunes_daily_files_counting_from_the_hourly_seals(tmp_path):
    store = Store.create(tmp_path / "s")
    today = int(time.time() // 86400) * 86400
    import_capture(store, "a", float(today - 3 * 86400), 1, count=40, span=1800,
                   compaction=False)
    entries, _ = read(store.ledger_path)
    at = {e["path"]: e["at"] for e in entries if e.get("kind") == "seal"}
    sealed = max(at.values())
    time.sleep(0.05)
    compact.compact_closed(store)
    entries, _ = read(store.ledger_path)
    daily = [e for e in entries if e.get("compacts")]
    assert daily and all(e["sources_at"] == max(at[p] for p in e["compacts"]) < e["at"]
                         for e in daily)
    sealer = Sealer(store, entries)
    removed = retention.prune(store, sealer, now=sealed + 180 * 86400 + 1)
    assert {p.split("/")[1] for p in removed} >= {"conn.day.parquet"}
    assert store.day_dirs() == []
    assert verify(store).ok, verify(store).problems


def test_status_compacts_closed_days_and_verify_cli_passes(store, capsys):
    assert main(["status", "--store", str(store.root)]) == 0
    captured = capsys.readouterr()
    assert "compacted 3 closed day(s)" in captured.err
    assert all(compact.is_daily(p) for p in parquet_paths(store))
    assert main(["verify", "--store", str(store.root)]) == 0
    assert capsys.readouterr().out.startswith("OK: ")
    assert main(["compact", "--store", str(store.root)]) == 0
    assert "compacted 0 day(s)" in capsys.readouterr().out


def test_search_limit_keeps_the_newest_across_days(store):
    compact.compact_closed(store)
    every = search.search(store, "10.1.0.0/24", WHOLE, limit=100000)
    few = search.search(store, "10.1.0.0/24", WHOLE, limit=7)
    for full, cut in zip(every, few):
        at = full.columns.index("ts")
        assert [r[at] for r in cut.rows] == [r[at] for r in full.rows][:7]


def test_search_default_limit_is_the_commands(store):
    from shoestring.commands import search as search_command
    assert search_command.DEFAULT_LIMIT == search.DEFAULT_LIMIT
    assert json.dumps(search.DEFAULT_LIMIT)


# --- the query catalog ----------------------------------------------------------------------
def test_catalog_follows_the_ledger_and_rebuilds_when_it_does_not_fit(store):
    expected = {p for p, e in retention.live_files(read(store.ledger_path)[0]).items()
                if e["form"] == "parquet"}
    assert set(catalog.live_parquet(store)) == expected
    saved = json.loads((store.state_dir / catalog.CATALOG_NAME).read_text())
    assert saved["offset"] == store.ledger_path.stat().st_size
    compact.compact_closed(store)                 # new ledger lines: read from the offset
    daily = set(catalog.live_parquet(store))
    assert daily == set(parquet_paths(store)) and all(compact.is_daily(p) for p in daily)
    # A catalog that does not fit the ledger (another store's, or a rewritten ledger) is
    # rebuilt from the start, not trusted.
    saved = json.loads((store.state_dir / catalog.CATALOG_NAME).read_text())
    saved["files"] = {"2026-01-01/conn.day.parquet": {"log": "conn", "day": "2026-01-01",
                                                      "first_ts": 0, "last_ts": 1}}
    saved["hash"] = "0" * 64
    (store.state_dir / catalog.CATALOG_NAME).write_text(json.dumps(saved))
    assert set(catalog.live_parquet(store)) == daily


def test_catalog_without_a_writable_state_folder_still_answers(store, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError("read-only")
    monkeypatch.setattr(Path, "write_text", refuse)
    assert set(catalog.live_parquet(store)) == set(parquet_paths(store))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400), st.binary(max_size=300))
def test_hostile_ledger_tail_catalog_and_intent_never_crash(tmp_path_factory, tail, blob):
    store = Store.create(tmp_path_factory.mktemp("h") / "s")
    with open(store.ledger_path, "ab") as f:
        f.write(tail)
    (store.state_dir / catalog.CATALOG_NAME).write_bytes(blob)
    catalog.live_parquet(store)                   # a cache: garbage is rebuilt, not fatal
    (store.journal_dir / "compact-2026-11-01.json").write_bytes(blob)
    compact.recover(store)
    assert not list(store.journal_dir.glob("compact-*.json"))


@pytest.mark.parametrize("intent", [
    {"day": "../..", "targets": ["../../victim.day.parquet"], "sources": ["/etc/passwd"]},
    {"day": "2026-11-01", "targets": ["2026-11-01/../../victim.day.parquet"]},
    {"day": 5, "targets": "x", "sources": [None, 3]},
])
def test_a_forged_intent_removes_nothing_outside_the_day_folders(tmp_path, intent):
    store = Store.create(tmp_path / "s")
    victim = tmp_path / "victim.day.parquet"
    victim.write_bytes(b"keep")
    (store.journal_dir / "compact-x.json").write_text(json.dumps(intent))
    compact.recover(store)
    assert victim.read_bytes() == b"keep"


def test_query_and_search_list_again_when_compaction_replaced_their_files(store,
                                                                          monkeypatch):
    total = query.run(store, "SELECT count(*) FROM conn", WHOLE).rows[0][0]
    host_hits = sum(len(h.rows) for h in search.search(store, "10.1.0.12", WHOLE))
    stale = query.parquet_entries(store, WHOLE)
    compact.compact_closed(store)              # the listed hourly files are gone now
    real, calls = query.parquet_entries, []

    def first_stale(s, rng):
        calls.append(1)
        return stale if len(calls) % 2 == 1 else real(s, rng)
    monkeypatch.setattr(query, "parquet_entries", first_stale)
    assert query.run(store, "SELECT count(*) FROM conn", WHOLE).rows[0][0] == total
    assert sum(len(h.rows) for h in search.search(store, "10.1.0.12", WHOLE)) == host_hits
    assert len(calls) == 4


def test_a_writer_compacts_each_day_in_the_background_as_its_clock_passes_midnight(
        tmp_path, monkeypatch):
    store = Store.create(tmp_path / "s")
    start, days = CAPTURES[0][1], 2.5
    real, threads = compact.compact_closed, []

    def spy(*args, **kwargs):
        import threading
        threads.append((threading.current_thread().name, kwargs.get("days")))
        return real(*args, **kwargs)
    monkeypatch.setattr(compact, "compact_closed", spy)
    import_capture(store, "long", start, 4, count=1500, span=days * 86400)
    # Day 1 and 2 while the import ran (a thread), day 3 at its end.
    background = [d for name, d in threads if name == "store-compaction"]
    assert [d[0] for d in background] == store.day_dirs()[:2]
    assert all(compact.is_daily(p) for p in parquet_paths(store))
    report = verify(store)
    assert report.ok, report.problems
    expected = sum(1 for log, _ in OfficeTraffic(4).records(start, 1500, days * 86400)
                   if log == "conn")
    assert query.run(store, "SELECT count(*) FROM conn", WHOLE).rows[0][0] == expected
