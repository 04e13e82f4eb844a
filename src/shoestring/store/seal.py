"""Sealing: a ledger entry per closed file, each day's head signed, anchors to copy off
the box.

A day head says "as of ledger entry N (hash H) this day has E entries", signed with the
store's Ed25519 key; it is rewritten (atomically) whenever an entry for the day is added.
An anchor is the same statement for the whole ledger; kept elsewhere, it catches the one
thing a chain cannot: deleting its newest entries together with their files.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from pathlib import Path

from . import keys
from .atomic import write_atomic
from .ledger import Ledger

HEAD_PURPOSE = b"shoestring day head v1\n"
ANCHOR_PURPOSE = b"shoestring anchor v1\n"
READ_CHUNK = 1 << 20


def file_digest(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(READ_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def seal_entry(root: Path, relpath: str, *, log: str, form: str, records: int,
               first_ts: float | None, last_ts: float | None,
               clock_sync: str | None, session: str) -> dict:
    """The ledger entry of a closed file (read back from disk, as it will be verified)."""
    sha, size = file_digest(root / relpath)
    return {"kind": "seal", "path": relpath, "day": relpath.split("/", 1)[0], "log": log,
            "form": form, "sha256": sha, "size": size, "records": records,
            "first_ts": first_ts, "last_ts": last_ts, "clock_sync": clock_sync,
            "session": session, "at": round(time.time(), 6)}


def head_body(day: str, entry: dict, count: int, key_fp: str) -> dict:
    return {"day": day, "seq": entry["seq"], "hash": entry["hash"], "entries": count,
            "key": key_fp, "signed_at": round(time.time(), 6)}


class Sealer:
    """Appends entries and keeps every touched day's signed head current. Thread-safe:
    a writer's compaction thread (archive.py) seals beside its hourly rotation."""

    def __init__(self, store, entries: list[dict]):
        self._lock = threading.RLock()
        self.store = store
        self.ledger = Ledger(store.ledger_path)
        self.key = store.private_key()
        self.key_fp = keys.fingerprint(self.key.public_key())
        self.day_counts = Counter(e["day"] for e in entries if e.get("day"))

    def record(self, entries: list[dict]) -> list[dict]:
        with self._lock:
            return self._record(entries)

    def _record(self, entries: list[dict]) -> list[dict]:
        written = self.ledger.append(entries)
        last_by_day: dict[str, dict] = {}
        for entry in written:
            if entry.get("day"):
                self.day_counts[entry["day"]] += 1
                last_by_day[entry["day"]] = entry
        for day, entry in last_by_day.items():
            self.sign_day(day, entry)
        return written

    def sign_day(self, day: str, entry: dict) -> None:
        with self._lock:
            self._sign_day(day, entry)

    def _sign_day(self, day: str, entry: dict) -> None:
        body = head_body(day, entry, self.day_counts[day], self.key_fp)
        body["sig"] = keys.sign(self.key, HEAD_PURPOSE, body)
        write_atomic(self.store.heads_dir / f"{day}.json",
                     json.dumps(body, sort_keys=True).encode() + b"\n")

    def resign_unsigned(self, entries: list[dict]) -> None:
        """After a crash between a ledger append and its head: sign what is there."""
        last_by_day = {e["day"]: e for e in entries if e.get("day")}
        for day, entry in last_by_day.items():
            head = read_json(self.store.heads_dir / f"{day}.json")
            if not head or head.get("seq") != entry["seq"]:
                self.sign_day(day, entry)


def read_json(path: Path) -> dict | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def store_id(entries: list[dict]) -> str | None:
    """A store is named by its first ledger entry's hash."""
    return entries[0].get("hash") if entries else None


def make_anchor(store, entries: list[dict]) -> dict:
    key = store.private_key()
    days = sorted({e["day"] for e in entries if e.get("day")})
    last = entries[-1]
    body = {"anchor": "shoestring", "store": store_id(entries), "seq": last["seq"],
            "hash": last["hash"], "entries": len(entries),
            "days": [days[0], days[-1]] if days else None,
            "key": keys.fingerprint(key.public_key()), "made_at": round(time.time(), 6)}
    body["sig"] = keys.sign(key, ANCHOR_PURPOSE, body)
    return body


def check_signed(public, purpose: bytes, signed: dict) -> bool:
    body = {k: v for k, v in signed.items() if k != "sig"}
    sig = signed.get("sig")
    return isinstance(sig, str) and keys.check(public, purpose, body, sig)
