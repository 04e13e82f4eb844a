"""Unit tests of the store's parts: config and --store resolution, the ledger chain,
the Parquet conversion, retention and the budget, query/search, and hostile bytes fed to
everything that reads files back (ledger, journal, anchors, heads)."""

from __future__ import annotations

import json
import os
import stat
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoestring.cli import main
from shoestring.errors import UserError
from shoestring.logs import schema as schemas
from shoestring.logs.zeek_tsv import TsvFormat
from shoestring.store import config as configmod
from shoestring.store import index, journal, query, retention, search
from shoestring.store.archive import HOUR, StoreOutput, hour_stem, stem_hour
from shoestring.store.layout import Store
from shoestring.store.ledger import Ledger, read
from shoestring.store.seal import Sealer
from shoestring.store.verify import load_anchor, verify

from .helpers import import_capture


# --- config and init -------------------------------------------------------------------
def test_store_dir_resolution_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOESTRING_CONFIG", raising=False)
    monkeypatch.delenv("SHOESTRING_STORE", raising=False)
    assert configmod.resolve_store_dir(None) == configmod.Path("shoestring-store")
    monkeypatch.setenv("SHOESTRING_STORE", "/srv/env-store")
    assert str(configmod.resolve_store_dir(None)) == "/srv/env-store"
    (tmp_path / "shoestring.toml").write_text('[store]\npath = "/srv/conf-store"\n')
    assert str(configmod.resolve_store_dir(None)) == "/srv/conf-store"
    assert str(configmod.resolve_store_dir("/srv/flag")) == "/srv/flag"


def test_init_creates_commented_config_and_private_key_0600(tmp_path, capsys):
    root = tmp_path / "s"
    assert main(["init", "--store", str(root)]) == 0
    assert "created the store" in capsys.readouterr().out
    mode = stat.S_IMODE(os.stat(root / "keys" / "store.key").st_mode)
    assert mode == 0o600
    text = (root / "shoestring.toml").read_text()
    for setting in configmod.SETTINGS:          # every setting documented in the file
        assert f"{setting.name} = " in text
    assert configmod.load(root).retention_days == 180
    assert main(["init", "--store", str(root)]) == 2   # never over an existing store


def test_short_retention_needs_override_and_warns(tmp_path, capsys):
    root = tmp_path / "s"
    assert main(["init", "--store", str(root), "--retention-days", "90"]) == 2
    assert "below CERT-In's 180 days" in capsys.readouterr().err
    assert main(["init", "--store", str(root), "--retention-days", "90",
                 "--allow-short-retention"]) == 0
    assert "below the 180 days the CERT-In" in capsys.readouterr().out
    assert Store.open(root).config.warnings


def test_missing_store_says_how_to_create_it(tmp_path, capsys):
    for command in (["verify"], ["status"], ["anchor"], ["query", "SELECT 1"],
                    ["search", "10.0.0.1"]):
        assert main([*command, "--store", str(tmp_path / "none")]) == 2
        err = capsys.readouterr().err
        assert "shoestring init --store" in err and len(err.splitlines()) == 1


# --- ledger ---------------------------------------------------------------------------
def test_ledger_chain_and_cut_tail_repair(tmp_path):
    path = tmp_path / "ledger.jsonl"
    ledger = Ledger(path)
    ledger.append([{"kind": "a"}, {"kind": "b"}])
    entries, problems = read(path)
    assert [e["seq"] for e in entries] == [0, 1] and not problems
    assert entries[1]["prev"] == entries[0]["hash"]
    with open(path, "ab") as f:
        f.write(b'{"kind": "half')                  # a crash mid-append
    assert read(path)[1][0].message.startswith("the last ledger entry is cut short")
    again = Ledger(path)                             # the next writer repairs the tail
    assert again.seq == 2 and not read(path)[1]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_hostile_bytes_never_crash_the_readers(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "x.jsonl"
    path.write_bytes(data)
    read(path)                                        # returns problems, never raises
    (folder / "a.jnl").write_bytes(data)
    journal.read_segment(folder / "a.jnl")
    try:
        load_anchor(path)
    except ValueError:
        pass


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=80), max_size=8))
def test_mutated_journal_lines_are_skipped_not_fatal(tmp_path_factory, lines):
    folder = tmp_path_factory.mktemp("jnl")
    header = json.dumps({"session": "s", "source": None, "base": 0, "seg": 0})
    (folder / "s.000000.jnl").write_bytes(("#" + header + "\n").encode()
                                           + b"\n".join(lines) + b"\n")
    segment = journal.read_segment(folder / "s.000000.jnl")
    assert segment is not None and segment.records <= len(lines)


# --- Parquet conversion -----------------------------------------------------------------
def test_tsv_to_table_types_unset_empty_and_containers():
    dns = schemas.get("dns")
    fmt = TsvFormat(dns)
    body = "".join(fmt.line(r) for r in [
        {"ts": 1700000000.5, "uid": "C1", "id.orig_p": 5353, "query": "a.com",
         "answers": ["1.2.3.4", "x,y"], "TTLs": [60.0, 30.0], "AA": True},
        {"ts": 1700000001.0, "uid": "C2", "answers": [], "query": ""}]).encode()
    rows = index.tsv_to_table(dns, body).to_pylist()
    assert rows[0]["ts"].isoformat() == "2023-11-14T22:13:20.500000"    # UTC
    assert rows[0]["id.orig_p"] == 5353 and rows[0]["AA"] is True and rows[0]["TC"] is None
    assert rows[0]["answers"] == ["1.2.3.4", "x\\x2cy"] and rows[0]["TTLs"] == [60.0, 30.0]
    assert rows[1]["answers"] == [] and rows[1]["query"] == "" and rows[1]["rtt"] is None
    assert index.tsv_to_table(dns, b"").num_rows == 0


def test_hour_names_follow_zeek_archive_names():
    t = 1795860000.0       # 2026-11-28 10:00:00 UTC
    assert hour_stem("conn", int(t)) == "2026-11-28/conn.10:00:00-11:00:00"
    assert hour_stem("dns", int(t) + 13 * HOUR) == "2026-11-28/dns.23:00:00-00:00:00"
    assert hour_stem("conn", int(t), 2) == "2026-11-28/conn.10:00:00-11:00:00.2"
    assert stem_hour("2026-11-28/conn.10:00:00-11:00:00.2") == int(t)


# --- placement and rotation -------------------------------------------------------------
def test_old_capture_lands_on_its_own_days_and_sealed_hours_are_not_reopened(tmp_path):
    store = Store.create(tmp_path / "s")
    now_ish, old = 1795860000.0, 1795860000.0 - 40 * 86400
    out = StoreOutput(store)
    out.write("conn", {"ts": now_ish, "uid": "Cnew1"})
    out.write("conn", {"ts": old, "uid": "Cold1"})     # far older: another timeline
    out.write("conn", {"ts": now_ish + 5, "uid": "Cnew2"})
    out.close()
    names = sorted(p.relative_to(store.root).as_posix()
                   for p in store.root.glob("*/*.log.gz"))
    assert names == ["2026-10-19/conn.10:00:00-11:00:00.log.gz",
                     "2026-11-28/conn.10:00:00-11:00:00.2.log.gz",
                     "2026-11-28/conn.10:00:00-11:00:00.log.gz"]
    assert verify(store).ok


def test_zstd_option(tmp_path):
    store = Store.create(tmp_path / "s", configmod.StoreConfig(compression="zstd"))
    import_capture(store, "z", 1795860000.0, 4, count=50, span=600)
    assert list(store.root.glob("*/*.log.zst")) and verify(store).ok


# --- retention and budget -----------------------------------------------------------------
def test_prune_oldest_days_is_recorded_and_verify_accepts_it(tmp_path, monkeypatch):
    store = Store.create(tmp_path / "s")
    today = int(time.time() // 86400) * 86400
    starts = (today - 3 * 86400, today - 2 * 86400, today + 2 * 86400)
    for d, start in enumerate(starts):
        import_capture(store, f"c{d}", float(start), d + 1, count=40, span=1800)
    entries, _ = read(store.ledger_path)
    sealer = Sealer(store, entries)
    days = store.day_dirs()
    # 180 days after every file was sealed, only the days before the cutoff are due:
    now = max(e.get("at", 0) for e in entries) + 180 * 86400 + 1
    assert retention.prune(store, sealer, now=now - 86400 * 5) == []    # not yet
    removed = retention.prune(store, sealer, now=now)
    assert {p.split("/")[0] for p in removed} == set(days[:2])
    assert store.day_dirs() == days[2:]
    report = verify(store)
    assert report.ok, report.problems
    prunes = [e for e in read(store.ledger_path)[0] if e.get("kind") == "prune"]
    assert len(prunes) == len(removed) and prunes[0]["reason"] == "retention"


def test_prune_inside_the_window_is_reported(tmp_path):
    store = Store.create(tmp_path / "s")
    import_capture(store, "c", 1790812800.0, 1, count=20, span=600)
    entries, _ = read(store.ledger_path)
    victim = next(e for e in entries if e.get("kind") == "seal")
    Sealer(store, entries).record([{"kind": "prune", "path": victim["path"],
                                    "day": victim["day"], "sha256": victim["sha256"],
                                    "of_seq": victim["seq"], "reason": "retention",
                                    "window_days": 180, "at": time.time()}])
    (store.root / victim["path"]).unlink()
    problems = verify(store).problems
    assert problems == [f"{victim['path']}: pruned (ledger seq {len(entries)}) while still "
                        "inside the 180-day window"]


def test_budget_forecast_warns_in_status_and_notice_log(tmp_path, monkeypatch, capsys):
    store = Store.create(tmp_path / "s", configmod.StoreConfig(disk_budget_gb=0.00001))
    import_capture(store, "c", 1790812800.0, 1, count=300, span=1800)
    fc = retention.forecast(store, read(store.ledger_path)[0])
    assert not fc.fits and "retention window needs" in fc.warning()
    assert main(["status", "--store", str(store.root)]) == 0
    assert "WARNING: the 180-day retention window needs" in capsys.readouterr().out
    import shoestring.store.archive as archive
    monkeypatch.setattr(archive, "PRUNE_EVERY_S", 0.0)
    import_capture(Store.open(store.root), "d", 1790812800.0 + 86400, 2, count=300,
                   span=3 * 3600)
    notes = query.run(Store.open(store.root), "SELECT note, msg FROM notice",
                      query.time_range(None, None)).rows
    assert notes and notes[0][0] == "Store::Disk_Budget"
    assert verify(Store.open(store.root)).ok


# --- query and search ---------------------------------------------------------------------
@pytest.fixture(scope="module", params=["hourly", "daily"])
def small_store(tmp_path_factory, request):
    """The same capture with its hourly Parquet copies, and compacted into daily files."""
    store = Store.create(tmp_path_factory.mktemp("q") / "s")
    import_capture(store, "c", 1790812800.0, 9, count=400, span=4 * 3600,
                   compaction=request.param == "daily")
    return store


def test_query_views_columns_and_time_pruning(small_store):
    whole = query.time_range(None, None)
    r = query.run(small_store, 'SELECT count(*), min(ts), max(ts) FROM conn', whole)
    total = r.rows[0][0]
    assert total == 400
    hour = query.time_range("2026-10-01T01:00", "2026-10-01T01:59:59")
    files = query.parquet_files(small_store, hour)
    every = query.parquet_files(small_store, whole)["conn"]
    if len(every) > 1:       # hourly copies: the hour's file alone is read
        assert 0 < len(files["conn"]) < len(every)
    else:                    # one daily file: its ts-sorted row groups are pruned instead
        assert every[0].endswith("/conn.day.parquet") and files["conn"] == every
    part = query.run(small_store, 'SELECT count(*) FROM conn', hour).rows[0][0]
    assert 0 < part < total
    r = query.run(small_store, 'SELECT "id.orig_h", ts FROM conn LIMIT 1', whole)
    assert r.columns == ["id.orig_h", "ts"] and r.path == "conn"
    assert query.run(small_store, "SELECT count(*) FROM x509", whole).rows == [(0,)]


def test_query_time_limit_interrupts(small_store):
    with pytest.raises(query.QueryError, match="longer than 0.2 s"):
        query.run(small_store, "SELECT count(*) FROM range(10000000000)",
                  query.time_range(None, None), timeout=0.2)


@pytest.mark.parametrize("term,kind", [
    ("10.1.0.12", "ip"), ("2001:db8::1", "ip"), ("10.1.0.0/28", "cidr"),
    ("bank.in", "domain"), ("CAAAAAAO2UZWRG", "uid"),
    ("1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "community_id"),
    ("d41d8cd98f00b204e9800998ecf8427e", "hash")])
def test_classify(term, kind):
    assert search.classify(term).kind == kind


def test_classify_rejects_nonsense():
    with pytest.raises(UserError, match="cannot tell what"):
        search.classify("not a thing!")


def test_search_finds_each_kind_newest_first(small_store):
    whole = query.time_range(None, None)
    conn = query.run(small_store, 'SELECT uid, "id.orig_h", community_id FROM conn '
                                  "WHERE service = 'ssl' LIMIT 1", whole).rows[0]
    uid, host, cid = conn
    for term, logs in ((uid, {"conn", "ssl"}), (cid, {"conn"}), (host, {"conn", "ssl"}),
                       ("10.1.0.0/24", {"conn", "ssl", "dns"}), ("bank.in", {"dns"})):
        hits = search.search(small_store, term, whole)
        found = {h.log for h in hits}
        assert logs <= found, (term, found)
        for h in hits:
            stamps = [row[h.columns.index("ts")] for row in h.rows]
            assert stamps == sorted(stamps, reverse=True)
    dns = search.search(small_store, "bank.in", whole)
    queries = {row[dns[0].columns.index("query")] for row in
               next(h for h in dns if h.log == "dns").rows}
    assert queries == {"login.bank.in"}          # subdomain matched, nothing else


def test_query_and_search_formats(small_store, capsys):
    root = str(small_store.root)
    assert main(["query", "SELECT uid, ts FROM dns LIMIT 2", "--store", root,
                 "--format", "json"]) == 0
    lines = [json.loads(l) for l in capsys.readouterr().out.splitlines()]
    assert len(lines) == 2 and lines[0]["_path"] == "dns" and isinstance(lines[0]["ts"],
                                                                          float)
    assert main(["search", "10.1.0.12", "--store", root, "--format", "json"]) == 0
    lines = [json.loads(l) for l in capsys.readouterr().out.splitlines()]
    assert {l["_path"] for l in lines} >= {"conn"}
    assert [l["ts"] for l in lines] == sorted((l["ts"] for l in lines), reverse=True)
    assert main(["search", "10.1.0.12", "--store", root, "--format", "tsv"]) == 0
    out = capsys.readouterr().out
    assert "#path\tconn" in out and "#fields\tts\tuid" in out
    assert main(["query", "SELEC nonsense", "--store", root]) == 1
    assert "query failed" in capsys.readouterr().err
