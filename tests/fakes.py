"""A stand-in ConnContext for analyzer unit tests: records what the analyzer reports."""

from __future__ import annotations

import itertools


class FakeContext:
    """Implements analyzers.base.ConnContext in memory."""

    def __init__(self, orig_h="10.0.0.1", orig_p=40000, resp_h="10.0.0.2", resp_p=80,
                 proto="tcp", uid="CTestUid000000001"):
        self.uid, self.proto = uid, proto
        self.orig_h, self.orig_p, self.resp_h, self.resp_p = orig_h, orig_p, resp_h, resp_p
        self.records: dict[str, list[dict]] = {}
        self.weirds: list[tuple[str, str | None]] = []
        self.services: list[str] = []
        self.violations: list[str] = []
        self.handoffs: list[tuple] = []
        self._shared: dict = {}
        self._ids = itertools.count(1)
        self.local_orig = True

    def id_fields(self) -> dict:
        return {"uid": self.uid, "id.orig_h": self.orig_h, "id.orig_p": self.orig_p,
                "id.resp_h": self.resp_h, "id.resp_p": self.resp_p}

    def emit(self, log: str, record: dict) -> None:
        self.records.setdefault(log, []).append(record)

    def weird(self, name: str, addl: str | None = None, ts: float | None = None,
              source: str | None = "") -> None:
        self.weirds.append((name, addl))

    def confirm(self, service: str | None = None) -> None:
        self.services.append(service or "")

    def violation(self, reason: str) -> None:
        self.violations.append(reason)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}Fake{next(self._ids):013d}"

    def handoff(self, tunnel_type=None, orig=b"", resp=b""):
        self.handoffs.append((tunnel_type, orig, resp))

    def shared(self, key, factory):
        if key not in self._shared:
            self._shared[key] = factory()
        return self._shared[key]


def drive(factory, chunks, split: int | None = None, **ctx_args) -> FakeContext:
    """Run an analyzer over ``chunks`` ((is_orig, bytes) pairs, the i-th at time i), each
    cut into pieces of ``split`` bytes if given (framing must not care), then finish it;
    returns the context with what it reported. ``ctx_args`` go to FakeContext."""
    ctx = FakeContext(**ctx_args)
    analyzer = factory(ctx)
    for i, (is_orig, data) in enumerate(chunks):
        step = split or len(data) or 1
        for j in range(0, len(data), step):
            analyzer.deliver(is_orig, data[j:j + step], float(i))
    analyzer.finish(99.0)
    return ctx
