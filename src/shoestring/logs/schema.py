"""Log schemas as data: every log's Zeek field names, types and docs, declared once.

Writers (Zeek TSV, JSON lines), the store's columns and the docs are all derived from
these declarations. A schema lives in ``logs/schemas/<log>.py`` as a module-level
``SCHEMA``; :func:`get` finds it by the log's name (Zeek's ``#path``).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import cache

# The Zeek types a field may have; containers are written "set[T]" / "vector[T]".
SCALAR_TYPES = frozenset(
    {"time", "interval", "double", "count", "int", "port", "addr", "subnet",
     "string", "enum", "bool"})


@dataclass(frozen=True, slots=True)
class Field:
    """One column: Zeek's name and type, and a one-line doc."""

    name: str
    type: str
    doc: str = ""

    @property
    def container(self) -> str | None:
        """'set' or 'vector' for container types, else None."""
        head, sep, _ = self.type.partition("[")
        return head if sep else None

    @property
    def element_type(self) -> str:
        return self.type[self.type.index("[") + 1:-1] if self.container else self.type


@dataclass(frozen=True, slots=True)
class LogSchema:
    """A log: its name (Zeek's #path) and its fields in Zeek's order; extras go last."""

    path: str
    fields: tuple[Field, ...]
    doc: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(f.type for f in self.fields)


def declare(path: str, doc: str, spec: str) -> LogSchema:
    """Build a schema from lines of ``name type doc...`` (the compact form the
    modules in logs/schemas use); blank lines and ``#`` lines are skipped."""
    fields = []
    for line in spec.strip().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, ftype, *doc_words = line.split(None, 2)
        head = ftype.partition("[")[0]
        element = ftype[ftype.index("[") + 1:-1] if "[" in ftype else ftype
        if head not in ("set", "vector") and ftype not in SCALAR_TYPES:
            raise ValueError(f"{path}.{name}: unknown Zeek type {ftype!r}")
        if element not in SCALAR_TYPES:
            raise ValueError(f"{path}.{name}: unknown Zeek element type {element!r}")
        fields.append(Field(name, ftype, doc_words[0] if doc_words else ""))
    return LogSchema(path, tuple(fields), doc)


# The connection id every per-connection log starts with, after ts and uid.
CONN_ID = """
id.orig_h addr The originator's address.
id.orig_p port The originator's port (ICMP: type).
id.resp_h addr The responder's address.
id.resp_p port The responder's port (ICMP: code).
"""


@cache
def all_schemas() -> dict[str, LogSchema]:
    """Every declared log schema, by name."""
    from . import schemas as package

    found = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for schema in getattr(module, "SCHEMAS", ()) or (getattr(module, "SCHEMA", None),):
            if schema is not None:
                found[schema.path] = schema
    return found


def get(path: str) -> LogSchema:
    """The schema of the log named ``path``; KeyError names the known ones."""
    try:
        return all_schemas()[path]
    except KeyError:
        known = ", ".join(sorted(all_schemas()))
        raise KeyError(f"no log named {path!r} (known: {known})") from None
