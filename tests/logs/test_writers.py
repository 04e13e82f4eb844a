"""Zeek's ASCII (TSV) and JSON-lines writers: escaping, unset and empty values, containers,
the header and footer, and DirectoryOutput's files."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoestring.logs import jsonl, zeek_tsv
from shoestring.logs.output import DirectoryOutput
from shoestring.logs.schema import declare, get

SCHEMA = declare("demo", "A test log with one field of each kind.", """
ts time When.
uid string Id.
id.orig_h addr Address.
id.orig_p port Port.
flag bool A flag.
n count A count.
d interval A duration.
s string Free text.
tags set[string] A set.
nums vector[count] A vector.
kind enum An enum.
""")


def line(record: dict) -> list[str]:
    text = zeek_tsv.TsvFormat(SCHEMA).line(record)
    assert text.endswith("\n") and text.count("\n") == 1
    return text[:-1].split("\t")


def field(record_value, name="s") -> str:
    return line({name: record_value})[SCHEMA.names.index(name)]


@pytest.mark.parametrize("value,written", [
    ("plain", "plain"),
    ("a\tb", "a\\x09b"),                 # the separator can never appear raw
    ("line\nbreak\r", "line\\x0abreak\\x0d"),
    ("back\\slash", "back\\\\slash"),    # doubled, so a literal "\x41" cannot read back as "A"
    ("\\x41", "\\\\x41"),
    ("\x00\x1f\x7f", "\\x00\\x1f\\x7f"),  # controls and DEL
    ("-", "\\x2d"),                      # a real "-" must not read back as unset
    ("", "(empty)"),                     # an empty string is Zeek's empty_field
    ("café", "café"),                    # valid UTF-8 is kept
    ("a,b", "a,b"),                      # a comma is only special inside a set
    (b"\xff\xfeok", "\\xff\\xfeok"),     # bytes that are not UTF-8: \xNN
    ("x\udcffy", "x\\xffy"),             # ... also when held as str with surrogateescape
    ("\u0085", "\\xc2\\x85"),            # a C1 control, as its UTF-8 bytes
    ("soft\u00adhyphen", "soft\u00adhyphen"),  # not printable, but nothing Zeek escapes
    ("\u00e9\\", "\u00e9\\\\"),              # non-ASCII with a backslash
])
def test_string_escaping(value, written):
    assert field(value) == written


def test_unset_is_dash_and_zero_is_not_unset():
    row = line({"ts": 1700000000.5, "n": 0, "flag": False, "d": 0.0})
    by_name = dict(zip(SCHEMA.names, row))
    assert by_name["uid"] == "-" and by_name["tags"] == "-" and by_name["s"] == "-"
    assert by_name["n"] == "0" and by_name["flag"] == "F" and by_name["d"] == "0.000000"
    assert by_name["ts"] == "1700000000.500000"


def test_sets_and_vectors():
    assert field({"b", "a,c", "-"}, "tags") == "\\x2d,a\\x2cc,b"   # sorted, comma escaped
    assert field(set(), "tags") == "(empty)"
    assert field([3, 1, 2], "nums") == "3,1,2"                      # vectors keep order
    assert field([], "nums") == "(empty)"
    assert field([1, None, 2], "nums") == "1,-,2"
    assert field(["", "x"], "tags") == "(empty),x"


def test_types_render_as_zeek():
    row = dict(zip(SCHEMA.names, line({
        "ts": 1.0000004, "id.orig_h": "10.0.0.1", "id.orig_p": 443, "flag": True,
        "n": 12345678901234, "d": 2.5, "kind": "Tunnel::GRE"})))
    assert row["ts"] == "1.000000" and row["d"] == "2.500000"
    assert (row["id.orig_h"], row["id.orig_p"], row["flag"]) == ("10.0.0.1", "443", "T")
    assert row["n"] == "12345678901234" and row["kind"] == "Tunnel::GRE"


@pytest.mark.parametrize("value", [
    1700000000.0, 1700000000.5, 1762140600.123456, 1762140600.1234565, 0.0078125,
    0.0000005, 0.0000015, 0.9999995, 2.5e-7, 1e-300, 5e-324, 0.0, -0.0, -1.5, 3.9999999e9,
    4e9, 1e20, float("inf"), float("-inf"), float("nan"), 7, 0, True, 10 ** 20])
def test_times_render_as_python_formats_them(value):
    # _format_time renders most times as integers; ties, edges and non-floats are
    # handed to Python's formatter. Both must agree everywhere.
    assert zeek_tsv._format_time(value) == f"{value:.6f}"


@settings(max_examples=3000, deadline=None)
@given(st.one_of(st.floats(), st.floats(min_value=1e9, max_value=4.2e9),
                 st.integers(0, 4_200_000_000_000_000).map(lambda n: n / 1e6),
                 st.integers(0, 1 << 40).map(lambda n: (n + 0.5) / 1e6)))
def test_times_render_as_python_formats_them_anywhere(value):
    assert zeek_tsv._format_time(value) == f"{value:.6f}"


def test_header_and_footer():
    out = io.StringIO()
    zeek_tsv.write_log(out, SCHEMA, [{"uid": "C1"}], opened=1700000000.0, closed=1700003600.0)
    lines = out.getvalue().splitlines()
    assert lines[:8] == [
        "#separator \\x09",
        "#set_separator\t,",
        "#empty_field\t(empty)",
        "#unset_field\t-",
        "#path\tdemo",
        "#open\t2023-11-14-22-13-20",
        "#fields\t" + "\t".join(SCHEMA.names),
        "#types\ttime\tstring\taddr\tport\tbool\tcount\tinterval\tstring\tset[string]"
        "\tvector[count]\tenum",
    ]
    assert lines[8].split("\t")[1] == "C1"
    assert lines[9] == "#close\t2023-11-14-23-13-20"
    assert len(lines) == 10


def test_conn_schema_has_zeeks_fields_then_extras():
    names = get("conn").names
    assert names[:21] == ("ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p",
                          "proto", "service", "duration", "orig_bytes", "resp_bytes",
                          "conn_state", "local_orig", "local_resp", "missed_bytes", "history",
                          "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes",
                          "tunnel_parents")
    assert names[-1] == "community_id"


# --- JSON lines ----------------------------------------------------------------------------

def json_line(record: dict) -> dict:
    text = jsonl.JsonFormat(SCHEMA).line(record)
    assert text.endswith("\n") and "\n" not in text[:-1]
    return json.loads(text)


def test_json_field_names_types_and_unset():
    obj = json_line({"ts": 1700000000.1234567, "uid": "C1", "id.orig_h": "10.0.0.1",
                     "id.orig_p": 80, "flag": False, "n": 0, "s": "", "tags": {"b", "a"},
                     "nums": [2, 1], "d": None})
    assert obj == {"ts": 1700000000.123457, "uid": "C1", "id.orig_h": "10.0.0.1",
                   "id.orig_p": 80, "flag": False, "n": 0, "s": "", "tags": ["a", "b"],
                   "nums": [2, 1]}
    assert list(obj) == [n for n in SCHEMA.names if n in obj]     # schema order


def test_json_escapes_what_json_must_and_keeps_undecodable_bytes_visible():
    obj = json_line({"s": "tab\tquote\"nl\n"})
    assert obj["s"] == "tab\tquote\"nl\n"
    assert json_line({"s": b"\xffA"})["s"] == "\\xffA"
    assert json_line({"s": "x\udcfey"})["s"] == "x\\xfey"
    assert jsonl.JsonFormat(SCHEMA).header(0.0) == "" and jsonl.JsonFormat(SCHEMA).footer(0.0) == ""


def test_json_path_field():
    text = jsonl.JsonFormat(SCHEMA, path_field=True).line({"uid": "C1"})
    assert json.loads(text) == {"_path": "demo", "uid": "C1"}


# --- DirectoryOutput --------------------------------------------------------------------------

def test_directory_output_files_and_stamps(tmp_path):
    out = DirectoryOutput(tmp_path, only={"conn", "weird"})
    out.write("weird", {"ts": 1700000100.0, "name": "x"})
    out.write("weird", {"ts": 1700000050.0, "name": "y"})      # out of order: #close is the max
    out.write("dns", {"ts": 1700000000.0})                        # not wanted: dropped
    out.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weird.log"]
    lines = (tmp_path / "weird.log").read_text().splitlines()
    assert "#open\t2023-11-14-22-15-00" in lines and lines[-1] == "#close\t2023-11-14-22-15-00"
    assert out.counts == {"weird": 2}
    assert out.wants("conn") and not out.wants("dns")


def test_directory_output_json(tmp_path):
    out = DirectoryOutput(tmp_path, json=True)
    out.write("weird", {"ts": 1.5, "name": "bad_IP_checksum", "notice": False})
    out.close()
    assert [json.loads(x) for x in (tmp_path / "weird.log").read_text().splitlines()] == [
        {"ts": 1.5, "name": "bad_IP_checksum", "notice": False}]
