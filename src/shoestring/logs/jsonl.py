"""Zeek's JSON-lines log format: one object per record, Zeek's dotted field names,
unset fields left out, times as epoch seconds (Zeek's default JSON::TS_EPOCH)."""

from __future__ import annotations

import json

from .schema import LogSchema

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _plain(value, zeek_type: str, container: str | None):
    if container:
        items = list(value) if container == "vector" else sorted(value, key=str)
        return [_plain(v, zeek_type, None) for v in items]
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    if zeek_type in ("time", "interval", "double"):
        return round(float(value), 6)
    if isinstance(value, str) and any(0xDC80 <= ord(c) <= 0xDCFF for c in value):
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return value


class JsonFormat:
    """Renders records of one schema as JSON lines, as Zeek's JSON writer does."""

    suffix = ".log"

    def __init__(self, schema: LogSchema, path_field: bool = False):
        self.schema = schema
        self._fields = [(f.name, f.element_type, f.container) for f in schema.fields]
        self._path_field = path_field

    def header(self, opened: float) -> str:
        return ""

    def footer(self, closed: float) -> str:
        return ""

    def line(self, record: dict) -> str:
        out = {"_path": self.schema.path} if self._path_field else {}
        for name, zeek_type, container in self._fields:
            value = record.get(name)
            if value is not None:
                out[name] = _plain(value, zeek_type, container)
        return _encoder.encode(out) + "\n"
