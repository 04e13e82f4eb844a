"""The importer the crash test kills: imports generated records into a store, flushing
every FLUSH_EVERY records and printing how many records it had flushed (stdout is the
test's record of what must survive a kill -9).

    python -m tests.store.importer STORE SOURCE START SEED COUNT SPAN
"""

from __future__ import annotations

import sys

from shoestring.store.archive import StoreOutput

from .gen import OfficeTraffic

FLUSH_EVERY = 50


def main(argv: list[str]) -> None:
    root, source, start, seed, count, span = argv
    out = StoreOutput(root, source=None if source == "-" else source)
    print("started", flush=True)
    n = 0
    for log, record in OfficeTraffic(int(seed)).records(float(start), int(count),
                                                         float(span)):
        out.write(log, record)
        n += 1
        if n % FLUSH_EVERY == 0:
            out.flush()
            print(f"flushed {n}", flush=True)
    out.close()
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
