"""The columnar copy: a Zeek TSV log turned into a Parquet file with typed columns.

The Parquet copy is built from the very bytes of the archived TSV log (parsed with
pyarrow's C++ CSV reader, then converted column-wise) rather than from the records in
memory, so the two can never disagree and crash recovery, which only has the journal's
text, takes the same path. Columns are the log schema's fields with Zeek's names; Zeek
types map to Arrow types as below; strings keep Zeek's \\xNN escapes, as the log has them.
"""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..logs.schema import LogSchema
from ..logs.zeek_tsv import EMPTY_FIELD, SET_SEPARATOR, UNSET_FIELD

# Zeek type -> Arrow type. time is a timestamp (UTC, microseconds, as Zeek prints it).
ARROW_TYPES = {
    "time": pa.timestamp("us"),
    "interval": pa.float64(),
    "double": pa.float64(),
    "count": pa.uint64(),
    "int": pa.int64(),
    "port": pa.uint16(),
    "bool": pa.bool_(),
}
# A row group per 128k rows: DuckDB skips whole groups by their ts min/max.
ROW_GROUP_ROWS = 128 * 1024


def arrow_type(zeek_type: str, container: str | None) -> pa.DataType:
    scalar = ARROW_TYPES.get(zeek_type, pa.string())
    return pa.list_(scalar) if container else scalar


def arrow_schema(schema: LogSchema) -> pa.Schema:
    return pa.schema([pa.field(f.name, arrow_type(f.element_type, f.container))
                      for f in schema.fields])


def _scalar(column: pa.Array, zeek_type: str) -> pa.Array:
    """Text cells (unset already null) -> the Arrow type of ``zeek_type``."""
    if zeek_type == "time":
        micros = pc.round(pc.multiply(column.cast(pa.float64()), 1e6))
        return micros.cast(pa.int64()).cast(pa.timestamp("us"))
    if zeek_type == "bool":
        return pc.equal(column, "T")
    target = ARROW_TYPES.get(zeek_type)
    if target is not None:
        return column.cast(target)
    return pc.if_else(pc.equal(column, EMPTY_FIELD), "", column)


def tsv_to_table(schema: LogSchema, body: bytes) -> pa.Table:
    """Record lines (no # lines) of a Zeek TSV log -> a typed Arrow table.

    Numbers and booleans are converted by the C++ reader itself ("-" read as null; one
    pass, no per-column Python calls: an hour file is converted in milliseconds)."""
    target = arrow_schema(schema)
    if not body.strip():
        return target.empty_table()
    names = list(schema.names)
    read_types = {}
    for field in schema.fields:
        if field.container or field.type in ("string", "enum", "addr", "subnet"):
            read_types[field.name] = pa.string()
        elif field.type == "time":
            read_types[field.name] = pa.float64()
        else:
            read_types[field.name] = arrow_type(field.type, None)
    table = pacsv.read_csv(
        io.BytesIO(body),
        read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False,
                                         escape_char=False, newlines_in_values=False),
        convert_options=pacsv.ConvertOptions(
            column_types=read_types, null_values=[UNSET_FIELD], strings_can_be_null=True,
            true_values=["T"], false_values=["F"], quoted_strings_can_be_null=False))
    has_empty = EMPTY_FIELD.encode() in body
    columns = []
    for field in schema.fields:
        column = table.column(field.name).combine_chunks()
        if field.container:
            column = _container(column, field.element_type)
        elif field.type == "time":
            column = _scalar(column, "time")
        elif has_empty and read_types[field.name] == pa.string():
            column = pc.if_else(pc.equal(column, EMPTY_FIELD), "", column)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=target)


def _container(column: pa.Array, zeek_type: str) -> pa.Array:
    """"a,b" -> [a, b]; "(empty)" -> []; null stays null."""
    empty = pc.fill_null(pc.equal(column, EMPTY_FIELD), False)
    items = pc.split_pattern(pc.if_else(empty, "", column), SET_SEPARATOR)
    flat = items.flatten()
    flat = pc.if_else(pc.equal(flat, UNSET_FIELD), pa.scalar(None, pa.string()), flat)
    flat = _scalar(flat, zeek_type) if len(flat) else flat.cast(arrow_type(zeek_type, None))
    lists = pa.ListArray.from_arrays(items.offsets, flat, mask=pc.is_null(column))
    # "(empty)" is an empty list, not a list holding one empty string.
    if pc.any(empty).as_py():
        empty_lists = pa.array([[]] * len(column), pa.list_(flat.type))
        lists = pc.if_else(empty, empty_lists, lists)
    return lists


def body_of(text: bytes) -> bytes:
    """The record lines of a whole TSV log (header and footer dropped)."""
    return b"".join(line for line in text.splitlines(keepends=True)
                    if not line.startswith(b"#"))


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd", row_group_size=ROW_GROUP_ROWS,
                   write_statistics=True)
    return sink.getvalue()
