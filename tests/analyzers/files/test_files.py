"""files/: MIME sniffing from the magic table, hashes, missing/overflow bytes, records."""

import hashlib

import pytest

from shoestring.analyzers.files import (BOF_SIZE, REASSEMBLY_MAX, SIGNATURES, FileTransfer,
                                        emit_file, new_file, sniff)
from tests.fakes import FakeContext


@pytest.mark.parametrize("head,mime", [
    (b"<!DOCTYPE html>\n<html lang=en>", "text/html"),
    (b"  <html><head><title>x</title>", "text/html"),
    (b"<?xml version=\"1.0\"?>\n<rss version=\"2.0\">", "text/rss"),
    (b"<?xml version=\"1.0\"?><note/>", "application/xml"),
    (b'{"name": "value"}', "text/json"),
    (b"just some words of text\n", "text/plain"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
    (b"GIF89a\x01\x00", "image/gif"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
    (b"MZ\x90\x00\x03\x00\x00\x00", "application/x-dosexec"),
    (b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00>\x00", "application/x-executable"),
    (b"%PDF-1.7\n", "application/pdf"),
    (b"PK\x03\x04\x14\x00\x00\x00", "application/zip"),
    (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "application/x-gzip"),
    (b"CWS\x0a\x00\x00", "application/x-shockwave-flash"),
    (b"#!/bin/bash\necho hi\n", "text/x-shellscript"),
])
def test_sniff_known_types(head, mime):
    assert sniff(head) == mime


@pytest.mark.parametrize("head", [b"", b"\x00" * 100, b"short", bytes(range(256))])
def test_sniff_unknown_is_none(head):
    assert sniff(head) is None


def test_strongest_signature_wins():
    # A DOCTYPE html page also matches text/plain (-20) and file-html (49): xhtml (100) wins.
    assert sniff(b"<!DOCTYPE html><html>hello world</html>") == "text/html"


def test_table_is_well_formed():
    for mime, strength, pattern in SIGNATURES:
        assert "/" in mime and isinstance(strength, int) and isinstance(pattern, bytes)


def test_hashes_and_sizes():
    f = FileTransfer("F1", "HTTP", False, 10.0)
    f.add_conn(FakeContext().id_fields())
    f.data(b"hello ", 10.0)
    f.data(b"world", 10.5)
    f.end(11.0)
    (r,) = f.records()
    assert r["md5"] == hashlib.md5(b"hello world").hexdigest()
    assert r["sha1"] == hashlib.sha1(b"hello world").hexdigest()
    assert r["sha256"] == hashlib.sha256(b"hello world").hexdigest()
    assert (r["seen_bytes"], r["missing_bytes"], r["overflow_bytes"], r["duration"]) == (11, 0, 0, 0.5)
    assert r["mime_type"] == "text/plain" and r["total_bytes"] is None


def test_gap_counts_missing_and_drops_hashes():
    f = FileTransfer("F1", "HTTP", False, 1.0)
    f.data(b"abc", 1.0)
    f.gap(100, 1.1)
    f.data(b"def", 1.2)
    f.end()
    assert (f.seen_bytes, f.missing_bytes) == (6, 100)
    f.add_conn(FakeContext().id_fields())
    assert f.records()[0]["md5"] is None


def test_out_of_order_ranges_fill_in():
    f = FileTransfer("F1", "HTTP", False, 1.0, total_bytes=9)
    f.data(b"456", 1.0, offset=3)
    f.data(b"789", 1.0, offset=6)
    assert not f.ended
    f.data(b"123", 1.1, offset=0)
    assert f.ended and f.missing_bytes == 0          # complete at its announced size
    f.add_conn(FakeContext().id_fields())
    assert f.records()[0]["md5"] == hashlib.md5(b"123456789").hexdigest()


def test_holes_below_the_highest_range_are_missing():
    f = FileTransfer("F1", "HTTP", False, 1.0, total_bytes=1000)
    f.data(b"x" * 10, 1.0, offset=0)
    f.data(b"y" * 10, 1.0, offset=200)
    f.end(timedout=True)
    assert (f.seen_bytes, f.missing_bytes) == (20, 190)


def test_overflow_beyond_reassembly_buffer():
    f = FileTransfer("F1", "HTTP", False, 1.0)
    f.data(b"a", 1.0, offset=10)
    f.data(b"b" * (REASSEMBLY_MAX + 1), 1.0, offset=1000)
    assert f.overflow_bytes == REASSEMBLY_MAX + 1


def test_timed_out_file_is_not_sniffed():
    f = FileTransfer("F1", "HTTP", False, 1.0)
    f.data(b"plenty of plain text here", 1.0)
    f.end(timedout=True)
    assert f.mime_type is None


def test_full_bof_buffer_sniffs_early():
    seen = []
    f = FileTransfer("F1", "HTTP", False, 1.0, on_mime=seen.append)
    f.data(b"<html>" + b" " * BOF_SIZE, 1.0)
    assert seen == ["text/html"]


def test_new_file_and_emit_through_context():
    ctx = FakeContext()
    f = new_file(ctx, "SMTP", True, 5.0, filename="a.txt", depth=3)
    f.data(b"attachment text body", 5.0)
    emit_file(ctx, f)
    (r,) = ctx.records["files"]
    assert r["fuid"].startswith("F") and r["uid"] == ctx.uid
    assert (r["source"], r["depth"], r["filename"], r["is_orig"], r["local_orig"]) == \
        ("SMTP", 3, "a.txt", True, True)
    assert r["id.resp_p"] == ctx.resp_p and r["timedout"] is False and r["analyzers"] == set()


def test_one_record_per_connection():
    f = FileTransfer("F1", "HTTP", False, 1.0)
    f.add_conn(FakeContext(uid="C1").id_fields())
    f.add_conn(FakeContext(uid="C2", orig_p=5).id_fields())
    f.add_conn(FakeContext(uid="C1").id_fields())
    f.end()
    assert [r["uid"] for r in f.records()] == ["C1", "C2"]


def test_leading_blanks_do_not_backtrack_exponentially():
    # The markup signatures skip blanks and comments before the first tag; written with
    # nested stars, a run of 20 blanks before a non-markup byte took minutes per file.
    # These finish at once and name the same types as before.
    assert sniff(b" " * BOF_SIZE) == "text/plain"
    assert sniff(b"\r\n" * 40 + b"{\"a\": 1}") == "text/json"
    assert sniff(b" \n" * 100 + b"<!-- c --> \n<html>") == "text/html"
    assert sniff(b"\t" * 64 + b"<?xml version='1.0'?>\n<!-- c -->\n<rss>") == "text/rss"


def test_sniff_prefers_the_strongest_then_the_earliest_signature():
    # sniff tries the rows strongest first and stops at the first match: a shell script
    # matches text/plain (-20) too, its 250 wins; "MZ" text matches text/plain and
    # x-dosexec (51); a tar header's 100 beats text/plain on the same bytes.
    assert sniff(b"#!/bin/sh\necho hello world\n") == "text/x-shellscript"
    assert sniff(b"MZ this is really a text file") == "application/x-dosexec"
    assert sniff(b"<<<<<<<<<<<<") == "text/plain"


def test_comment_and_declaration_floods_are_linear():
    # Hostile heads: every "-->" may close the first comment and every "?>" the XML
    # declaration; tried as one backtracking regex per signature that was cubic.
    assert sniff(b"<!-- -->  <?xml ?> " * 215) == "application/xml"
    assert sniff(b"<!-- -->" + b"--><" * 1000) == "text/plain"
    assert sniff(b"<!-- a --> junk --> <?xml v?> x ?>\n<html>") == "text/html"


def test_prefix_ends_fast_path_agrees_with_the_general_walk():
    # Heads without a BOM, comment or XML declaration first take a shortcut in
    # _prefix_ends; with a BOM the general walk runs. Both must give the same ends.
    from shoestring.analyzers.files import magic
    assert magic._prefix_ends(b"  \r\n<html>") == ([4], [4])
    assert magic._prefix_ends(b"\t{\"a\": 1}") == ([], [])
    assert magic._prefix_ends(b"") == ([], [])
    assert magic._prefix_ends(b"\xef\xbb\xbf  <html>") == ([5], [5])
    assert magic._prefix_ends(b" <!-- c --> <html>") == ([1, 12], [1, 12])
    assert magic._prefix_ends(b"<?xml v?> <rss>") == ([0], [0, 10])
    assert sniff(b"\xef\xbb\xbf<html><body>") == sniff(b"<html><body>") == "text/html"
