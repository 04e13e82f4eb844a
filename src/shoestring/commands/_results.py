"""Printing query and search results: an aligned table, JSON lines (with _path, as
Zeek's streaming JSON writer does), or Zeek-style TSV. Shared by `query` and `search`."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import sys

FORMATS = ("table", "json", "tsv")
# A table cell wider than this is cut (with …): the table is for reading on a terminal.
MAX_CELL = 48


def epoch(value: dt.datetime) -> float:
    return calendar.timegm(value.utctimetuple()) + value.microsecond / 1e6


def _text(value, for_tsv: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, dt.datetime):
        return f"{epoch(value):.6f}" if for_tsv else value.isoformat(sep=" ") + "Z"
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, float):
        return f"{value:.6f}"
    if isinstance(value, (list, tuple)):
        return ",".join(_text(v, for_tsv) for v in value) if value else "(empty)"
    text = str(value)
    return text if text else "(empty)"


def _plain(value):
    if isinstance(value, dt.datetime):
        return round(epoch(value), 6)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)


def json_line(columns, row, path: str | None) -> str:
    out = {"_path": path} if path else {}
    for name, value in zip(columns, row):
        if value is not None:
            out[name] = _plain(value)
    return json.dumps(out, ensure_ascii=False, separators=(",", ":"))


def print_table(columns, rows, out=None) -> None:
    out = out or sys.stdout
    cells = [[_cut(_text(v)) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip() + "\n")
    for row in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() + "\n")


def _cut(text: str) -> str:
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 1] + "…"


def print_tsv(columns, rows, path: str | None, out=None) -> None:
    out = out or sys.stdout
    if path:
        out.write(f"#path\t{path}\n")
    out.write("#fields\t" + "\t".join(columns) + "\n")
    for row in rows:
        out.write("\t".join(_text(v, for_tsv=True).replace("\t", "\\x09") for v in row)
                  + "\n")


def print_result(fmt: str, columns, rows, path: str | None, out=None) -> None:
    out = out or sys.stdout
    if fmt == "json":
        for row in rows:
            out.write(json_line(columns, row, path) + "\n")
    elif fmt == "tsv":
        print_tsv(columns, rows, path, out)
    else:
        print_table(columns, rows, out)


def add_format_arguments(parser) -> None:
    parser.add_argument("--from", dest="first", metavar="WHEN",
                        help="start (UTC): 2026-11-28, 2026-11-28T10:00 or epoch seconds")
    parser.add_argument("--to", dest="last", metavar="WHEN",
                        help="end (UTC), inclusive of a whole day given as a date")
    parser.add_argument("--format", choices=FORMATS, default="table",
                        help="table (default), json (lines with _path) or tsv")
