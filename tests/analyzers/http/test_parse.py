"""Byte-level tests of the HTTP parser: start lines, framing, encodings and hostile input."""

import time
import zlib

import pytest

from shoestring.analyzers.http import consts
from shoestring.analyzers.http.errors import HTTPParseError
from shoestring.analyzers.http.lines import (parse_request_line, parse_status_line,
                                             unescape_uri)
from shoestring.analyzers.http.parse import (BAD_LINE, BODY, BODY_GAP, DONE, HEADER,
                                             HEADERS_DONE, NEED_DATA, REPLY, REQUEST,
                                             WEIRD, HttpStream)


def events(stream: HttpStream, *chunks: bytes) -> list:
    out = []
    for c in chunks or (b"",):
        stream.receive_data(c)
        while (ev := stream.next_event()) is not NEED_DATA:
            out.append(ev)
    return out


def body_of(evs) -> bytes:
    return b"".join(e[1] for e in evs if e[0] == BODY)


def weirds(evs) -> list:
    return [e[1] for e in evs if e[0] == WEIRD]


def done(evs):
    return [e for e in evs if e[0] == DONE]


# --- start lines (Zeek's reading) -------------------------------------------------------

def test_request_line_plain():
    assert parse_request_line(b"GET /index.html HTTP/1.1") == (b"GET", b"/index.html", (1, 1), [])


def test_request_line_without_version_is_http09():
    assert parse_request_line(b"GET /zeek.html")[2] == (0, 9)


def test_request_line_uri_glued_to_version_is_http09():
    # "GET /HTTP/1.1": the whole rest is URI characters, so no version (Zeek: 0.9).
    assert parse_request_line(b"GET /HTTP/1.1")[1:3] == (b"/HTTP/1.1", (0, 9))


def test_request_line_missing_uri():
    method, uri, version, w = parse_request_line(b"OPTIONS HTTP/1.1")
    assert (uri, version) == (b"", (1, 1)) and ("missing_HTTP_uri", None) in w


def test_request_line_connect_uri_runs_to_version():
    # Zeek keeps everything before the last whitespace in front of "HTTP/".
    assert parse_request_line(b"CONNECT host:25 / HTTP/1.0")[1] == b"host:25 /"


def test_request_line_truncated_version_is_unset():
    assert parse_request_line(b"GET / HTTP/1.")[2] is None


@pytest.mark.parametrize("line,weird", [
    (b"OPTIONS", "bad_HTTP_request"),
    (b"GET/ HTTP/1.1", "bad_HTTP_request"),
    (b"\xc3\x83 / HTTP/1.", "bad_HTTP_request"),
    (b"\xc3\x83/ HTTP/1.1", "bad_HTTP_request_with_version"),
    (b"T / HTTP", "bad_HTTP_request"),          # 0.9 needs a 3-letter method
    (b"GET ", "bad_HTTP_request"),              # 0.9 needs a URI
])
def test_request_line_rejected(line, weird):
    with pytest.raises(HTTPParseError) as e:
        parse_request_line(line)
    assert e.value.weird == weird


def test_status_line():
    assert parse_status_line(b"HTTP/1.1 404 Not Found") == ((1, 1), 404, b"Not Found", [])


def test_status_line_without_reason():
    assert parse_status_line(b"HTTP/1.0 200")[2] is None


@pytest.mark.parametrize("line", [b"<html>", b"HTTP/1.1", b"HTTP/1.1 2"])
def test_status_line_rejected(line):
    with pytest.raises(HTTPParseError):
        parse_status_line(line)


@pytest.mark.parametrize("raw,decoded,weird", [
    (b"/a%20b", b"/a b", None),
    (b"/%", b"/%", "illegal_%_at_end_of_URI"),
    (b"/%5", b"/%5", "partial_escape_at_end_of_URI"),
    (b"/%zz", b"/%zz", "unescaped_%_in_URI"),
    (b"/%u0041", b"/A", None),
])
def test_unescape_uri(raw, decoded, weird):
    out, w = unescape_uri(raw)
    assert out == decoded
    assert [n for n, _ in w] == ([weird] if weird else [])


# --- framing ---------------------------------------------------------------------------

def test_content_length_body():
    evs = events(HttpStream(False), b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 204 No\r\n\r\n")
    assert body_of(evs) == b"hello"
    assert [e[1] for e in done(evs)] == [5, 0]
    assert [e[2] for e in evs if e[0] == REPLY] == [200, 204]


def test_headers_reported_with_folding():
    evs = events(HttpStream(True), b"GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n two\r\n\r\n")
    assert [(e[1], e[2]) for e in evs if e[0] == HEADER] == [(b"Host", b"a"), (b"X-Long", b"one two")]


def test_chunked_body():
    evs = events(HttpStream(False), b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n")
    assert body_of(evs) == b"hello world"
    assert done(evs) == [(DONE, 11, False)]


def test_chunked_ignored_before_http11():
    # Zeek only honours chunked for HTTP/1.1: a 1.0 reply is read some other way.
    evs = events(HttpStream(False), b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n")
    assert body_of(evs) == b"5\r\n"


def test_chunk_size_2_pow_64_is_capped():
    s = HttpStream(False)
    evs = events(s, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\nabc")
    assert "HTTP_chunk_size_too_large" in weirds(evs)
    assert body_of(evs) == b"abc"
    assert s.remaining == consts.MAX_CHUNK_SIZE - 3


def test_bad_chunk_size_ends_body():
    evs = events(HttpStream(False), b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n")
    assert "HTTP_bad_chunk_size" in weirds(evs) and done(evs)


def test_until_close_body():
    s = HttpStream(False)
    evs = events(s, b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nsome", b" more")
    assert body_of(evs) == b"some more" and not done(evs)
    s.eof()
    assert done(events(s)) == [(DONE, 9, False)]


def test_reply_without_length_is_read_by_lines():
    # Zeek counts 2 bytes per line end in this mode (bad-content-range: 16 for 14 bytes + 2).
    s = HttpStream(False)
    evs = events(s, b"HTTP/1.1 206 Partial\r\n\r\nFoobar!\r\nBaz\r\n\r\n")
    s.eof()
    assert done(evs + events(s))[0][1] == 16


def test_request_without_length_has_no_body():
    evs = events(HttpStream(True), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert done(evs) == [(DONE, 0, False)]


def test_head_reply_has_no_body():
    s = HttpStream(False)
    s.receive_data(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nHTTP/1.1 200 OK\r\n\r\n")
    assert s.next_event()[0] == REPLY
    s.expect_body = 0           # what the analyzer does for a reply to HEAD
    evs = events(s)
    assert done(evs)[0][1] == 0 and sum(1 for e in evs if e[0] == REPLY) == 1


def test_gzip_body_decoded():
    payload = b"Encoded gzip head!\n"
    co = zlib.compressobj(wbits=31)
    gz = co.compress(payload) + co.flush()
    evs = events(HttpStream(False), b"HTTP/1.1 200 ok\r\nContent-Encoding: x-gzip\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(gz) + gz)
    assert body_of(evs) == payload and done(evs)[0][1] == len(payload)


@pytest.mark.parametrize("wbits", [15, -15])
def test_deflate_zlib_or_raw(wbits):
    co = zlib.compressobj(wbits=wbits)
    data = co.compress(b"x" * 1000) + co.flush()
    evs = events(HttpStream(False), b"HTTP/1.1 200 ok\r\nContent-Encoding: deflate\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(data) + data)
    assert body_of(evs) == b"x" * 1000


def test_gzip_bomb_bounded():
    co = zlib.compressobj(9, wbits=31)
    bomb = co.compress(bytes(64 * 1024 * 1024)) + co.flush()     # 64 MiB of zeros, ~64 KB
    s = HttpStream(False)
    t0 = time.monotonic()
    total = 0
    s.receive_data(b"HTTP/1.1 200 ok\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
                   % len(bomb))
    names = []
    for i in range(0, len(bomb), 4096):
        s.receive_data(bomb[i:i + 4096])
        while (ev := s.next_event()) is not NEED_DATA:
            if ev[0] == BODY:
                assert len(ev[1]) <= consts.INFLATE_STEP
                total += len(ev[1])
            elif ev[0] == WEIRD:
                names.append(ev[1])
    assert total == consts.MAX_DECODED
    assert "HTTP_decompressed_size_exceeded" in names
    assert time.monotonic() - t0 < 10


def test_corrupt_gzip_is_a_weird():
    evs = events(HttpStream(False), b"HTTP/1.1 200 ok\r\nContent-Encoding: gzip\r\n"
                 b"Content-Length: 10\r\n\r\n0123456789")
    assert "inflate_failed" in weirds(evs) and done(evs)


def test_pipelined_requests_in_one_segment():
    evs = events(HttpStream(True), b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\n"
                 b"Content-Length: 3\r\n\r\nabcGET /c HTTP/1.1\r\n\r\n")
    assert [e[2] for e in evs if e[0] == REQUEST] == [b"/a", b"/b", b"/c"]
    assert [e[1] for e in done(evs)] == [0, 3, 0]


def test_100_continue_then_final_reply():
    evs = events(HttpStream(False), b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
                 b"Content-Length: 2\r\n\r\nok")
    assert [e[2] for e in evs if e[0] == REPLY] == [100, 200]
    assert [e[1] for e in done(evs)] == [0, 2]


def test_connect_tunnel_stops_parsing():
    s = HttpStream(False)
    events(s, b"HTTP/1.0 200 Connection established\r\n\r\n")
    s.tunnel()                  # the reply ends where the tunnel begins
    assert events(s) == [(DONE, 0, False)]
    assert events(s, b"\x16\x03\x01 not http at all\r\n") == []


def test_http09_reply_is_raw_until_close():
    s = HttpStream(False)
    s.switch_http09()
    evs = events(s, b"<html>\n", b"</html>\n")
    assert evs[0] == (REPLY, (0, 9), 0, None) and evs[1] == (HEADERS_DONE,)
    s.eof()
    assert body_of(evs) == b"<html>\n</html>\n" and done(events(s)) == [(DONE, 15, False)]


def test_cruft_after_request_stops_the_direction():
    s = HttpStream(True)
    evs = events(s, b"GET / HTTP/1.1\nHost: zeek.org\n\nT / HTTP\n\nGET / HTTP/1.1\n\n")
    assert [e[0] for e in evs if e[0] in (REQUEST, BAD_LINE)] == [REQUEST, BAD_LINE]
    assert "HTTP_version_mismatch" in weirds(evs) and "bad_HTTP_request" in weirds(evs)


def test_missing_crlf_lines_end_with_lf_or_cr():
    evs = events(HttpStream(True), b"GET / HTTP/1.1\nHost: a\rUser-Agent: b\n\n")
    assert [(e[1], e[2]) for e in evs if e[0] == HEADER] == [(b"Host", b"a"), (b"User-Agent", b"b")]


def test_crlf_split_across_segments():
    evs = events(HttpStream(True), b"GET / HTTP/1.1\r", b"\nHost: a\r", b"\n\r", b"\n")
    assert [e[0] for e in evs] == [REQUEST, HEADER, HEADERS_DONE, DONE]


def test_one_megabyte_header_line_is_bounded():
    s = HttpStream(True)
    evs = events(s, b"GET / HTTP/1.1\r\nX-Big: ")
    for _ in range(16):
        evs += events(s, b"A" * 65536)
        assert len(s.buf) <= consts.MAX_LINE + 65536
    evs += events(s, b"\r\nHost: ok\r\n\r\n")
    assert "HTTP_line_too_long" in weirds(evs)
    hdrs = {e[1]: e[2] for e in evs if e[0] == HEADER}
    assert hdrs[b"Host"] == b"ok" and len(hdrs[b"X-Big"]) < consts.MAX_LINE


def test_too_many_headers():
    s = HttpStream(True)
    evs = events(s, b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * (consts.MAX_HEADERS + 5) + b"\r\n")
    assert "HTTP_too_many_headers" in weirds(evs)
    assert sum(1 for e in evs if e[0] == HEADER) == consts.MAX_HEADERS


def test_gap_inside_body_is_skipped():
    s = HttpStream(False)
    events(s, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    assert s.gap(4) is True
    evs = events(s, b"xyz")
    assert (BODY_GAP, 4) in evs and done(evs) == [(DONE, 10, False)]


def test_gap_in_headers_stops_direction():
    s = HttpStream(False)
    events(s, b"HTTP/1.1 200 OK\r\nServer: x")
    assert s.gap(100) is False
    assert done(events(s)) == [(DONE, 0, True)]
    assert events(s, b"HTTP/1.1 200 OK\r\n\r\n") == []


def test_content_range_sets_length():
    s = HttpStream(False)
    evs = events(s, b"HTTP/1.1 206 P\r\nContent-Range: bytes 10-14/100\r\n\r\n12345")
    assert s.range_first == 10 and s.instance_length == 100 and done(evs)[0][1] == 5


def test_content_range_not_matching_length():
    evs = events(HttpStream(False), b"HTTP/1.1 206 ok\r\nContent-Length: 33\r\n"
                 b"Content-Range: bytes 0-4/33\r\n\r\n" + b"x" * 33)
    assert "HTTP_range_not_matching_len" in weirds(evs) and done(evs)[0][1] == 33


def test_bad_content_length():
    evs = events(HttpStream(False), b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n")
    assert "HTTP_bad_content_length" in weirds(evs) and done(evs)[0][1] == 0
