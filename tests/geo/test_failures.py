"""Every failure gives one line on stderr, its own exit status, and never a traceback."""

from __future__ import annotations

import time

import pytest

from shoestring.geo.errors import ExitCode

from .conftest import run
from .standin import Reply, closed_port, fixture

PING_PATH = "/api/geoping/8.8.8.8"
GOOD = Reply(200, fixture("geoping-8.8.8.8.json"))


def one_line(proc) -> str:
    err = proc.stderr.decode()
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert proc.stdout == b""
    return err


def test_429_then_success_is_retried(api):
    api.route(PING_PATH, Reply(429), Reply(429), GOOD)
    proc = run("geoping", "8.8.8.8", "--api-url", api.url)
    assert proc.returncode == ExitCode.OK, proc.stderr
    assert proc.stdout == fixture("geoping-8.8.8.8.txt")
    assert proc.stderr == b""
    assert len(api.requests) == 3


def test_retries_are_reported_with_verbose(api):
    api.route(PING_PATH, Reply(503), GOOD)
    proc = run("geoping", "8.8.8.8", "-v", "--api-url", api.url)
    assert proc.returncode == ExitCode.OK
    assert "HTTP 503 Service Unavailable; retry 1 of 3 in 0.01 s" in proc.stderr.decode()


def test_retry_after_is_honoured(api):
    api.route(PING_PATH, Reply(429, headers={"Retry-After": "1"}), GOOD)
    start = time.monotonic()
    proc = run("geoping", "8.8.8.8", "--api-url", api.url)
    assert proc.returncode == ExitCode.OK, proc.stderr
    assert time.monotonic() - start >= 1.0


def test_retry_after_too_long_gives_up_at_once(api):
    api.route(PING_PATH, Reply(429, headers={"Retry-After": "3600"}))
    proc = run("geoping", "8.8.8.8", "--api-url", api.url)
    assert proc.returncode == ExitCode.HTTP_ERROR
    assert "asks to wait 3600 s" in one_line(proc)
    assert len(api.requests) == 1


def test_persistent_500_gives_up_after_the_retries(api):
    api.route(PING_PATH, Reply(500, b"boom"))
    proc = run("geoping", "8.8.8.8", "--retries", "2", "--api-url", api.url)
    assert proc.returncode == ExitCode.HTTP_ERROR
    err = one_line(proc)
    assert err.startswith("geoping: HTTP 500 Internal Server Error from ")
    assert "gave up after 3 attempts" in err
    assert len(api.requests) == 3


def test_404_is_not_retried_and_quotes_the_service(api):
    api.route(PING_PATH, Reply(404, b'{"error": "Invalid hostname\\u001b[31m"}'))
    proc = run("geoping", "8.8.8.8", "--api-url", api.url)
    assert proc.returncode == ExitCode.HTTP_ERROR
    err = one_line(proc)
    assert "HTTP 404 Not Found" in err and "Invalid hostname" in err
    assert "\x1b" not in err  # the service's text cannot drive the terminal
    assert len(api.requests) == 1


def test_error_object_with_200(api):
    api.route(PING_PATH, Reply(200, b'{"error": "Unable to resolve hostname"}'))
    proc = run("geoping", "8.8.8.8", "--api-url", api.url)
    assert proc.returncode == ExitCode.HTTP_ERROR
    assert "the service refused the request: Unable to resolve hostname" in one_line(proc)


@pytest.mark.parametrize("body,message", [
    (b"<html>Bad gateway</html>", "answer is not JSON"),
    (b"", "answer is not JSON"),
    (b"[" * 100_000, "nests too deeply"),
    (b"\xff\xfe[]", "not UTF-8"),
    (b'{"results": []}', "is a JSON dict, not a list"),
    (b'[{"from_loc": {"city": "X", "country": "Y"}, "is_alive": true, "avg_rtt": NaN,'
     b' "min_rtt": 1, "max_rtt": 1}]', "NaN"),
    (b'[{"from_loc": {"city": "X"}, "is_alive": true}]', "no city/country"),
    (b" " * (1 << 20) + b"[]", "exceeds 1048576 bytes"),
], ids=["html", "empty", "deep", "not-utf8", "object", "nan", "no-country", "huge"])
def test_not_the_expected_json(api, body, message):
    api.route(PING_PATH, Reply(200, body))
    proc = run("geoping", "8.8.8.8", "--api-url", api.url)
    assert proc.returncode == ExitCode.BAD_ANSWER
    assert message in one_line(proc)


def test_geodns_invalid_json(api):
    api.route("/api/geodns/example.com?rtype=TXT", Reply(200, b'[{"answers": 5, '))
    proc = run("geodns", "example.com", "-t", "txt", "--json", "--api-url", api.url)
    assert proc.returncode == ExitCode.BAD_ANSWER
    assert one_line(proc).startswith("geodns: the geodns answer is not JSON")


def test_connection_refused():
    proc = run("geoping", "8.8.8.8", "--api-url", f"http://127.0.0.1:{closed_port()}")
    assert proc.returncode == ExitCode.UNREACHABLE
    assert "connection refused" in one_line(proc)


def test_timeout_waiting_for_the_answer(api):
    api.route(PING_PATH, Reply(200, fixture("geoping-8.8.8.8.json"), delay=5))
    start = time.monotonic()
    proc = run("geoping", "8.8.8.8", "--timeout", "0.5", "--api-url", api.url)
    assert time.monotonic() - start < 4
    assert proc.returncode == ExitCode.UNREACHABLE
    assert "timed out" in one_line(proc) or "did not answer within 0.5 s" in proc.stderr.decode()


def test_a_dripping_server_is_cut_off_at_the_deadline(api):
    # One byte every 0.05 s resets a plain socket timeout forever; the deadline must not reset.
    api.route(PING_PATH, Reply(200, fixture("geoping-8.8.8.8.json"), drip=0.05))
    start = time.monotonic()
    proc = run("geoping", "8.8.8.8", "--timeout", "1", "--api-url", api.url)
    assert time.monotonic() - start < 5
    assert proc.returncode == ExitCode.UNREACHABLE
    assert "did not answer within 1 s" in one_line(proc)


@pytest.mark.parametrize("cmd,args,message", [
    ("geoping", ["10.1.2.3"], "10.1.2.3 is not a public address"),
    ("geoping", ["127.0.0.1"], "not a public address"),
    ("geoping", ["ff02::1"], "not a public address"),
    ("geoping", ["999.1.1.1"], "is not a valid IP address"),
    ("geoping", ["bad_host.example"], "invalid label 'bad_host'"),
    ("geoping", ["-x.example"], "required: TARGET"),
    ("geoping", ["a" * 64 + ".com"], "invalid label"),
    ("geoping", [("a" * 60 + ".") * 5], "DNS allows 253"),
    ("geoping", ["evil.com/../../admin"], "invalid label"),
    ("geoping", ["x.com?x=1"], "invalid label"),
    ("geoping", [""], "target is empty"),
    ("geodns", ["example.com", "-t", "ANY"], "record type 'ANY' is not one of"),
    ("geodns", ["example..com"], "invalid label ''"),
    ("geodns", ["8.8.8.8"], "is an IP address, not a name"),
    ("geodns", ["example.com", "--nameserver", "127.0.0.1"], "only makes sense with"),
    ("geodns", ["example.com", "--compare-local", "--nameserver", "nope"], "not an IP address"),
    ("geoping", ["8.8.8.8", "--api-url", "ftp://x"], "must look like https://host"),
    ("geoping", ["8.8.8.8", "--api-url", "http://x:99999"], "is not a valid URL"),
    ("geoping", ["8.8.8.8", "--timeout", "0"], "--timeout must be between"),
    ("geoping", ["8.8.8.8", "--timeout", "inf"], "--timeout must be between"),
    ("geoping", ["8.8.8.8", "--timeout", "nan"], "--timeout must be between"),
    ("geoping", ["8.8.8.8", "--retries", "99"], "--retries must be between"),
    ("geoping", [], "required: TARGET"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 30 else None)
def test_invalid_input_is_refused_before_anything_is_sent(api, cmd, args, message):
    proc = run(cmd, *args, "--api-url", api.url) if "--api-url" not in args else run(cmd, *args)
    assert proc.returncode == ExitCode.USAGE
    assert message in one_line(proc)
    assert api.requests == []


def test_idn_is_sent_in_its_ascii_form(api):
    api.route("/api/geodns/xn--bcher-kva.example?rtype=A", Reply(200, b"[]"))
    proc = run("geodns", "bücher.example", "--api-url", api.url)
    assert proc.returncode == ExitCode.OK
    assert proc.stdout == b""
    assert "no vantage point got an answer" in one_line_stderr(proc)


def one_line_stderr(proc) -> str:
    err = proc.stderr.decode()
    assert "Traceback" not in err and err.count("\n") == 1
    return err
