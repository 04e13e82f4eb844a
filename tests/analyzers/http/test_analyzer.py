"""HttpAnalyzer through FakeContext: http.log and files.log fields as Zeek writes them.

The byte strings are the payloads of the Zeek corpus traces the comments name; the
expected values are those traces' expected http.log rows.
"""

import base64
import hashlib
import zlib

from shoestring.analyzers.http import SPEC, HttpAnalyzer, looks_like_http
from shoestring.analyzers.http import analyzer as http_analyzer
from tests.fakes import FakeContext


def run(exchanges, ctx=None, eofs=()):
    """Feed (is_orig, bytes) in order; then the FINs in ``eofs`` order; then finish."""
    ctx = ctx or FakeContext()
    an = HttpAnalyzer(ctx)
    ts = 1.0
    for is_orig, data in exchanges:
        an.deliver(is_orig, data, ts)
        ts += 0.5
    for side in eofs:
        an.eof(side, ts)
    an.finish(ts + 1)
    return ctx


def http(ctx):
    return ctx.records.get("http", [])


def files(ctx):
    return ctx.records.get("files", [])


GET = (b"GET / HTTP/1.1\r\nHost: www.example.net\r\nUser-Agent: curl/7.50.1\r\n"
       b"Accept: */*\r\n\r\n")
PAGE = b"<!doctype html>\n<html><body>hi</body></html>\n"
OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(PAGE)


def test_simple_get_fields():
    ctx = run([(True, GET), (False, OK + PAGE)])
    (r,) = http(ctx)
    assert (r["trans_depth"], r["method"], r["host"], r["uri"], r["version"]) == \
        (1, "GET", "www.example.net", "/", "1.1")
    assert (r["user_agent"], r["request_body_len"], r["response_body_len"]) == \
        ("curl/7.50.1", 0, len(PAGE))
    assert (r["status_code"], r["status_msg"], r["tags"]) == (200, "OK", set())
    assert r["resp_mime_types"] == ["text/html"] and r["orig_fuids"] is None
    assert ctx.services == ["http"] and not ctx.violations


def test_body_becomes_a_file_with_hashes():
    ctx = run([(True, GET), (False, OK + PAGE)])
    (f,) = files(ctx)
    (r,) = http(ctx)
    assert r["resp_fuids"] == [f["fuid"]]
    assert f["md5"] == hashlib.md5(PAGE).hexdigest()
    assert f["sha1"] == hashlib.sha1(PAGE).hexdigest()
    assert f["sha256"] == hashlib.sha256(PAGE).hexdigest()
    assert (f["source"], f["is_orig"], f["seen_bytes"], f["total_bytes"], f["missing_bytes"]) == \
        ("HTTP", False, len(PAGE), len(PAGE), 0)
    assert f["mime_type"] == "text/html" and f["uid"] == ctx.uid and f["timedout"] is False


def test_pipelined_transactions_are_numbered():
    ctx = run([(True, GET + GET), (False, (OK + PAGE) * 2)])
    assert [r["trans_depth"] for r in http(ctx)] == [1, 2]


def test_basic_auth_username_but_never_password_by_default():
    cred = base64.b64encode(b"alice:s3cret")
    ctx = run([(True, b"GET / HTTP/1.1\r\nAuthorization: Basic " + cred + b"\r\n\r\n"),
               (False, b"HTTP/1.1 401 No\r\nContent-Length: 0\r\n\r\n")])
    (r,) = http(ctx)
    assert r["username"] == "alice" and r["password"] is None


def test_password_only_when_configured(monkeypatch):
    monkeypatch.setattr(http_analyzer, "CAPTURE_PASSWORD", True)
    cred = base64.b64encode(b"alice:s3cret")
    ctx = run([(True, b"GET / HTTP/1.1\r\nAuthorization: Basic " + cred + b"\r\n\r\n"),
               (False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")])
    assert http(ctx)[0]["password"] == "s3cret"


def test_proxied_headers():
    # connect-with-header.pcap: "PROXY-CONNECTION -> keep-alive"
    ctx = run([(True, b"CONNECT secure.newegg.com:443 HTTP/1.1\r\nProxy-Connection: keep-alive\r\n"
                      b"Host: secure.newegg.com:443\r\n\r\n"),
               (False, b"HTTP/1.0 200 Connection Established\r\nProxy-agent: Apache\r\n\r\n"
                       b"\x16\x03\x03\x00Q\x02\x00\x00M")])
    (r,) = http(ctx)
    assert r["proxied"] == {"PROXY-CONNECTION -> keep-alive"}
    assert (r["method"], r["uri"], r["version"], r["response_body_len"]) == \
        ("CONNECT", "secure.newegg.com:443", "1.0", 0)


def test_connect_tunnel_is_not_parsed():
    # connect-with-smtp.pcap: after "200 Connection established" the rest is SMTP.
    ctx = run([(True, b"CONNECT mailin03.sul.t-online.de:25 / HTTP/1.0\r\n\r\n"),
               (False, b"HTTP/1.0 200 Connection established\r\n\r\n220 mail ESMTP\r\n"),
               (True, b"HELO x\r\nMAIL FROM:<a@b>\r\n")])
    (r,) = http(ctx)
    assert r["uri"] == "mailin03.sul.t-online.de:25 /" and r["status_code"] == 200
    assert not ctx.weirds and not files(ctx)


def test_100_continue_sets_info_code():
    ctx = run([(True, b"POST / HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"),
               (False, b"HTTP/1.1 100 Continue\r\n\r\n"),
               (True, b"RRRR"),
               (False, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")])
    (r,) = http(ctx)
    assert (r["info_code"], r["info_msg"], r["status_code"]) == (100, "Continue", 200)
    assert (r["request_body_len"], r["response_body_len"]) == (4, 2)
    assert r["orig_mime_types"] is None and len(r["orig_fuids"]) == 1


def test_filename_from_content_disposition():
    body = b'{"a": 1}'
    ctx = run([(True, GET), (False, b"HTTP/1.1 200 OK\r\nContent-Disposition: attachment; "
                                    b'filename="test.json"\r\nContent-Length: 8\r\n\r\n' + body)])
    (r,) = http(ctx)
    assert r["resp_filenames"] == ["test.json"] and r["resp_mime_types"] == ["text/json"]
    assert files(ctx)[0]["filename"] == "test.json"


def test_gzip_body_length_is_decoded_length():
    # x-gzip.pcap: 39 bytes on the wire, 19 logged.
    payload = b"Encoded gzip head!\n"
    co = zlib.compressobj(wbits=31)
    gz = co.compress(payload) + co.flush()
    ctx = run([(True, GET), (False, b"HTTP/1.1 200 ok\r\nContent-Encoding: x-gzip\r\n"
                                    b"Content-Length: %d\r\n\r\n" % len(gz) + gz)])
    assert http(ctx)[0]["response_body_len"] == 19
    assert files(ctx)[0]["md5"] == hashlib.md5(payload).hexdigest()


def test_http09_request_and_reply():
    # http_09.pcap: server closes first, so the request's end opens a 2nd, empty record.
    ctx = run([(True, b"GET /zeek.html\n"),
               (False, b"<html>\n  The Zeek Network Security Monitor\n</html>\n")],
              eofs=(False, True))
    r1, r2 = http(ctx)
    assert (r1["version"], r1["status_code"], r1["status_msg"], r1["response_body_len"]) == \
        ("0.9", 0, "<empty>", 51)
    assert r1["resp_mime_types"] == ["text/html"]
    assert (r2["trans_depth"], r2["method"], r2["status_code"]) == (2, None, None)


def test_http09_without_eof_calls_ends_reply_first():
    ctx = run([(True, b"GET /zeek.html\n"), (False, b"<html>\nhello there\n</html>\n")])
    assert [r["trans_depth"] for r in http(ctx)] == [1, 2]


def test_http09_reply_before_request():
    # http-09-content-length-confusion.pcap
    ctx = run([(False, b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n"),
               (True, b"GET /\r\n\r\n"),
               (False, b"this is too much.\r\n")], eofs=(False, True))
    r1, r2 = http(ctx)
    assert (r1["method"], r1["version"], r1["status_code"], r1["response_body_len"]) == \
        (None, "1.1", 200, 0)
    assert (r2["method"], r2["version"], r2["response_body_len"], r2["trans_depth"]) == \
        ("GET", "0.9", 19, 2)
    names = [w for w, _ in ctx.weirds]
    assert {"http_09_reply_before_request", "HTTP_response_before_request",
            "HTTP_version_mismatch"} <= set(names)


def test_bad_request_then_reply_without_confirmation():
    # methods.pcap: a bad request line; the 400 reply is still logged, method unset.
    ctx = run([(True, b"GET/ HTTP/1.1\nHost: www.google.com\n\n"),
               (False, b"HTTP/1.0 400 Bad Request\r\nContent-Length: 5\r\n\r\nnope!")])
    (r,) = http(ctx)
    assert (r["method"], r["host"], r["version"], r["status_code"]) == (None, None, "1.0", 400)
    assert ("bad_HTTP_request", None) in ctx.weirds
    assert not ctx.violations and not ctx.services


def test_cruft_after_confirmed_request_is_a_violation():
    # http-11-request-then-cruft.pcap
    ctx = run([(True, b"GET / HTTP/1.1\nHost: zeek.org\n\n"),
               (False, b"HTTP/1.1 301 Moved\r\nContent-Length: 3\r\n\r\nabc"),
               (True, b"T / HTTP\n\n"),
               (False, b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")])
    assert len(http(ctx)) == 1
    assert ctx.violations == ["not a http request line"]


def test_not_http_at_all_is_a_violation():
    ctx = run([(True, b"\x00\x01\x02garbage\r\n"), (False, b"SSH-2.0-OpenSSH\r\n")])
    assert ctx.violations and not http(ctx) and not ctx.services


def test_unknown_method_weird_and_percent_weirds():
    ctx = run([(True, b"CCM_POST /%5 HTTP/1.1\r\n\r\n"),
               (False, b"HTTP/1.1 405 No\r\nContent-Length: 0\r\n\r\n")])
    names = [w for w, _ in ctx.weirds]
    assert "unknown_HTTP_method" in names and "partial_escape_at_end_of_URI" in names
    assert http(ctx)[0]["uri"] == "/%5"


def test_multipart_upload_parts_are_files():
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"up.bin\"\r\n"
            b"Content-Type: application/octet-stream\r\n\r\n\x00\x01\x02\x03\r\n--XyZ--\r\n")
    ctx = run([(True, b"POST /u HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body) + body),
               (False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")])
    (r,) = http(ctx)
    assert r["orig_filenames"] == ["up.bin"] and len(r["orig_fuids"]) == 1
    f = [f for f in files(ctx) if f["is_orig"]][0]
    assert f["seen_bytes"] == 4 and f["md5"] == hashlib.md5(b"\x00\x01\x02\x03").hexdigest()


def test_multipart_body_cut_mid_line_is_a_contentline_weird():
    # http/no_crlf.pcap: Zeek reads a multipart body line by line up to its
    # Content-Length; a body that stops mid-line draws line_terminated_without_CRLF
    # (and counts the CRLF it never had); one that ends in CRLF draws nothing.
    def post(body):
        return run([(True, b"POST /u HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
                           b"Content-Length: %d\r\n\r\n" % len(body) + body),
                    (False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")])
    part = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue\r\n--XyZ--"
    cut = post(part)
    assert [w for w, _ in cut.weirds] == ["line_terminated_without_CRLF"]
    assert http(cut)[0]["request_body_len"] == len(part) + 2
    whole = post(part + b"\r\n")
    assert whole.weirds == [] and http(whole)[0]["request_body_len"] == len(part) + 2


def test_range_requests_over_connections_share_one_file():
    # concurrent-range-requests.pcap, shrunk: three ranges of one URL, one fuid.
    shared = {}
    ctxs = []
    for i, (first, last) in enumerate([(100, 109), (0, 9), (200, 209)]):
        ctx = FakeContext(uid=f"C{i}", orig_p=40000 + i)
        ctx._shared = shared
        an = HttpAnalyzer(ctx)
        an.deliver(True, b"GET /big.bin HTTP/1.1\r\nHost: h\r\nRange: bytes=%d-%d\r\n\r\n"
                   % (first, last), 1.0)
        an.deliver(False, b"HTTP/1.1 206 Partial Content\r\nContent-Length: 10\r\n"
                   b"Content-Range: bytes %d-%d/1000\r\n\r\n" % (first, last) + bytes(10), 1.1)
        ctxs.append((ctx, an))
    for ctx, an in ctxs:
        an.finish(2.0)
    recs = [f for ctx, _ in ctxs for f in files(ctx)]
    assert len(recs) == 3 and len({f["fuid"] for f in recs}) == 1
    assert {f["uid"] for f in recs} == {"C0", "C1", "C2"}
    f = recs[0]
    assert (f["seen_bytes"], f["total_bytes"], f["missing_bytes"], f["timedout"]) == \
        (30, 1000, 180, True)
    assert f["mime_type"] is None
    fuids = {r["resp_fuids"][0] for ctx, _ in ctxs for r in http(ctx)}
    assert fuids == {f["fuid"]}


def test_gap_in_body_counts_missing_bytes():
    ctx = FakeContext()
    an = HttpAnalyzer(ctx)
    an.deliver(True, GET, 1.0)
    an.deliver(False, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 1.1)
    an.gap(False, 4, 1.2)
    an.deliver(False, b"xyz", 1.3)
    an.finish(2.0)
    (r,) = http(ctx)
    (f,) = files(ctx)
    assert r["response_body_len"] == 10
    assert (f["seen_bytes"], f["missing_bytes"], f["md5"]) == (6, 4, None)


def test_spec_and_signature():
    assert SPEC.name == "http" and SPEC.factory is HttpAnalyzer
    assert SPEC.tcp_ports == frozenset({80, 81, 631, 1080, 3128, 8000, 8080, 8888})
    assert looks_like_http(b"GET /x HTTP/1.1\r\n", True)
    assert looks_like_http(b"HTTP/1.1 200 OK\r\n", False)
    assert not looks_like_http(b"\x16\x03\x01\x00", True)
    assert not looks_like_http(b"SSH-2.0-x", False)
