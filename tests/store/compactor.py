"""The compactor the crash test kills: opens a store, says "started" once everything is
imported (so the test's random delay falls inside the compaction, not the start-up), then
compacts every closed day under the writer lock.

    python -m tests.store.compactor STORE
"""

from __future__ import annotations

import importlib
import sys

from shoestring.store.compact import compact_closed
from shoestring.store.layout import Store


def main(root: str) -> None:
    importlib.import_module("pyarrow.parquet")   # loaded before "started": not the work
    store = Store.open(root)
    store.lock()
    print("started", flush=True)
    outcome = compact_closed(store)
    store.unlock()
    print(f"done {len(outcome.days)}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
