"""Property tests: random and mutated bytes never break the HTTP parser or analyzer.

The parser may only raise HTTPParseError (its pure line functions do; the stream turns
that into events), the analyzer never raises and never reports an internal error, and
buffers stay bounded whatever arrives.
"""

import zlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shoestring.analyzers.files import sniff
from shoestring.analyzers.http import HttpAnalyzer, consts
from shoestring.analyzers.http.errors import HTTPParseError
from shoestring.analyzers.http.lines import parse_request_line, parse_status_line, unescape_uri
from shoestring.analyzers.http.multipart import Multipart
from shoestring.analyzers.http.parse import NEED_DATA, HttpStream
from tests.fakes import FakeContext

_gz = zlib.compressobj(wbits=31)
GZ = _gz.compress(b"hello compressed world " * 20) + _gz.flush()

SEEDS = [
    b"GET /a%20b?x=1 HTTP/1.1\r\nHost: h\r\nUser-Agent: u\r\nCookie: c\r\n\r\n",
    b"POST /up HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(GZ) + GZ,
    b"HTTP/1.1 206 P\r\nContent-Range: bytes 0-4/10\r\nContent-Length: 5\r\n\r\nabcde",
    b"GET /zeek.html\n",
    b"CONNECT h:443 HTTP/1.1\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 60\r\n\r\n"
    b"--B\r\nContent-Disposition: form-data; filename=\"f\"\r\n\r\nxyz\r\n--B--\r\n",
]


@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 8))):
        op = draw(st.integers(0, 3))
        pos = draw(st.integers(0, len(data)))
        if op == 0 and data:
            data[min(pos, len(data) - 1)] = draw(st.integers(0, 255))
        elif op == 1:
            data[pos:pos] = draw(st.binary(max_size=16))
        elif op == 2:
            del data[pos:pos + draw(st.integers(1, 16))]
        else:
            data[pos:pos] = draw(st.sampled_from([b"\r\n", b"\n", b"\r", b":", b" ", b"%",
                                                  b"HTTP/1.1 ", b"ffffffffffffffffff\r\n"]))
    return bytes(data)


payloads = st.one_of(st.binary(max_size=600), mutated())


def split(data: bytes, cuts: list) -> list:
    points = sorted({c % (len(data) + 1) for c in cuts})
    out, last = [], 0
    for p in points + [len(data)]:
        out.append(data[last:p])
        last = p
    return out


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payloads)
def test_line_functions_raise_only_their_error(data):
    line = data.split(b"\n")[0]
    for fn in (parse_request_line, parse_status_line):
        try:
            fn(line)
        except HTTPParseError:
            pass
    unescape_uri(line)
    sniff(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payloads, st.lists(st.integers(0, 10_000), max_size=6), st.booleans())
def test_stream_never_raises_and_stays_bounded(data, cuts, is_orig):
    s = HttpStream(is_orig)
    for piece in split(data, cuts):
        s.receive_data(piece)
        n = 0
        while s.next_event() is not NEED_DATA:
            n += 1
            assert n < 100_000
        assert len(s.buf) <= consts.MAX_LINE + len(data)
    s.eof()
    while s.next_event() is not NEED_DATA:
        pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payloads, payloads, st.lists(st.integers(0, 10_000), max_size=4),
       st.integers(0, 3))
def test_analyzer_never_raises(req, rep, cuts, mode):
    ctx = FakeContext()
    an = HttpAnalyzer(ctx)
    ts = 1.0
    for a, b in zip(split(req, cuts), split(rep, cuts)):
        an.deliver(True, a, ts)
        if mode == 1:
            an.gap(False, 7, ts)
        an.deliver(False, b, ts + 0.1)
        ts += 1
    if mode == 2:
        an.eof(False, ts)
        an.eof(True, ts)
    an.finish(ts + 1)
    assert not any(name == "HTTP_analyzer_error" for name, _ in ctx.weirds)
    for rec in ctx.records.get("http", []):
        assert rec["trans_depth"] >= 1 and rec["request_body_len"] >= 0
    for rec in ctx.records.get("files", []):
        assert rec["seen_bytes"] >= 0 and rec["missing_bytes"] >= 0


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.lists(st.integers(0, 400), max_size=5))
def test_multipart_splitter_bounded(data, cuts):
    mp = Multipart(b"B")
    total = 0
    for piece in split(b"--B\r\n" + data, cuts):
        for ev in mp.feed(piece):
            if ev[0] == 1:
                total += len(ev[1])
        assert len(mp.buf) <= len(data) + 64
    mp.close()
    assert total <= len(data) + 4
