"""Where things are in a store, opening and creating one, and the one-writer lock.

    STORE/shoestring.toml      settings (commented; written by init)      not sealed
    STORE/keys/store.key|pub   Ed25519 key pair (private key 0600)         not sealed
    STORE/ledger.jsonl         the hash-chained ledger                     the seal itself
    STORE/heads/<day>.json     each day's signed head                      the seal itself
    STORE/<day>/<log>.<hh:mm:ss>-<hh:mm:ss>.log.gz|.parquet                sealed
    STORE/<day>/<log>.day.parquet  a closed day's Parquet (compact.py)     sealed
    STORE/.journal/            open hours, compaction intents (recovery)   transient
    STORE/state/               last verify result, budget warnings,        not evidence
                               the query catalog (catalog.py)
"""

from __future__ import annotations

import fcntl
import os
import re
import time
from pathlib import Path

from ..errors import UserError
from . import config as configmod
from . import keys
from .atomic import fsync_dir, write_atomic
from .ledger import Ledger

LEDGER_NAME = "ledger.jsonl"
HEADS_DIR = "heads"
KEYS_DIR = "keys"
JOURNAL_DIR = ".journal"
STATE_DIR = "state"
LOCK_NAME = ".lock"
# Top-level names that are not sealed log files; anything else unknown is "extra".
NOT_SEALED = frozenset({configmod.CONFIG_NAME, KEYS_DIR, LEDGER_NAME, HEADS_DIR,
                        JOURNAL_DIR, STATE_DIR, LOCK_NAME})
DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def day_of(ts: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


class Store:
    def __init__(self, root: Path, config: configmod.StoreConfig):
        self.root = Path(root)
        self.config = config
        self.ledger_path = self.root / LEDGER_NAME
        self.heads_dir = self.root / HEADS_DIR
        self.keys_dir = self.root / KEYS_DIR
        self.journal_dir = self.root / JOURNAL_DIR
        self.state_dir = self.root / STATE_DIR
        self._lock_fd: int | None = None

    @classmethod
    def open(cls, root: str | os.PathLike) -> "Store":
        root = Path(root)
        if not (root / LEDGER_NAME).is_file():
            raise UserError(f"no store at {root}: create one with "
                            f"`shoestring init --store {root}`")
        return cls(root, configmod.load(root))

    @classmethod
    def create(cls, root: str | os.PathLike,
               config: configmod.StoreConfig | None = None) -> "Store":
        root = Path(root)
        if (root / LEDGER_NAME).exists():
            raise UserError(f"{root} already holds a store")
        if root.exists() and any(root.iterdir()):
            raise UserError(f"{root} exists and is not empty: choose a new folder")
        config = (config or configmod.StoreConfig()).check()
        root.mkdir(parents=True, exist_ok=True)
        store = cls(root, config)
        write_atomic(root / configmod.CONFIG_NAME, configmod.render(config).encode())
        private = keys.create(store.keys_dir)
        for folder in (store.heads_dir, store.journal_dir, store.state_dir):
            folder.mkdir(exist_ok=True)
        Ledger(store.ledger_path).append([{
            "kind": "init", "created": round(time.time(), 6),
            "key": keys.fingerprint(private.public_key()),
            "retention_days": config.retention_days}])
        fsync_dir(root)
        return store

    # --- keys -------------------------------------------------------------------------
    def private_key(self):
        return keys.load_private(self.keys_dir)

    def public_key(self):
        return keys.load_public(self.keys_dir / keys.PUBLIC_NAME)

    # --- the one writer -----------------------------------------------------------------
    def lock(self) -> None:
        """Take the writer lock; a second writer would interleave the ledger."""
        if self._lock_fd is not None:
            return
        fd = os.open(self.root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UserError(f"{self.root} is being written by another shoestring "
                            "process; wait for it to finish") from None
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def day_dirs(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir()
                      if p.is_dir() and DAY_RE.match(p.name))


def store_from_args(args) -> Store:
    """The store a command's --store (or the config, or the environment) names."""
    return Store.open(configmod.resolve_store_dir(getattr(args, "store", None)))
