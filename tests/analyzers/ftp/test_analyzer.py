"""ftp.log through the analyzers: Zeek's expected records for its FTP traces, with the
data connections linked through the expected-channel table as the pipeline links them."""

from hypothesis import given, settings, strategies as st

from shoestring.analyzers.ftp import SPEC, expected_data_analyzer
from shoestring.analyzers.ftp.analyzer import FtpAnalyzer

from ...fakes import FakeContext
from .corpus import CORPUS

FIELDS = ("user", "password", "command", "arg", "mime_type", "file_size", "reply_code",
          "reply_msg", "data_channel.passive", "data_channel.orig_h",
          "data_channel.resp_h", "data_channel.resp_p")


def run(name):
    """Replay every connection of a trace in time order, sharing run-wide state; a
    connection that is an expected data channel gets the ftp-data analyzer."""
    shared: dict = {}
    events = []
    last = {}
    for i, (endpoints, segments) in enumerate(CORPUS[name]):
        for ts, is_orig, data in segments:
            events.append((ts, i, is_orig, data))
        last[i] = segments[-1][0] if segments else 0.0
    events.sort(key=lambda e: (e[0], e[1]))
    ctxs, analyzers = {}, {}
    for ts, i, is_orig, data in events:
        if i not in ctxs:
            ctx = ctxs[i] = FakeContext(*CORPUS[name][i][0], uid=f"C{i}")
            ctx._shared = shared
            a = expected_data_analyzer(ctx, ts)
            if a is None and SPEC.tcp_ports & {ctx.resp_p}:
                a = SPEC.factory(ctx)
            analyzers[i] = a
        if analyzers[i] is not None:
            analyzers[i].deliver(is_orig, data, ts)
            if ts == last[i] and not isinstance(analyzers[i], FtpAnalyzer):
                analyzers[i].finish(ts)              # the data connection closes
    for i, a in analyzers.items():
        if isinstance(a, FtpAnalyzer):
            a.finish(last[i])
    return ctxs


def records(ctxs, log="ftp"):
    return [r for c in ctxs.values() for r in c.records.get(log, [])]


def view(rec):
    return tuple(rec[k] for k in FIELDS)


def test_ipv4_like_zeek():
    ctxs = run("ipv4")
    got = [view(r) for r in records(ctxs)]
    a = ("anonymous", "test")
    assert got == [
        (*a, "PASV", None, None, None, 227, "Entering Passive Mode (199,233,217,249,221,90)",
         True, "141.142.220.235", "199.233.217.249", 56666),
        (*a, "PASV", None, None, None, 227, "Entering Passive Mode (199,233,217,249,221,91)",
         True, "141.142.220.235", "199.233.217.249", 56667),
        (*a, "RETR", "ftp://199.233.217.249/./robots.txt", "text/plain", 77, 226,
         "Transfer complete.", None, None, None, None),
        (*a, "PORT", "141,142,220,235,131,46", None, None, 200, "PORT command successful.",
         False, "199.233.217.249", "141.142.220.235", 33582),
        (*a, "PORT", "141,142,220,235,147,203", None, None, 200, "PORT command successful.",
         False, "199.233.217.249", "141.142.220.235", 37835),
        (*a, "RETR", "ftp://199.233.217.249/./robots.txt", "text/plain", 77, 226,
         "Transfer complete.", None, None, None, None)]
    retr = [r for r in records(ctxs) if r["command"] == "RETR"]
    files = records(ctxs, "files")
    assert {r["fuid"] for r in retr} <= {f["fuid"] for f in files}
    data_services = [c.services for c in ctxs.values() if c.resp_p not in (21,)]
    assert data_services and all(s == ["ftp-data"] for s in data_services)


def test_mid_session_capture_and_size_reply():
    got = [view(r) for r in records(run("file_size"))]
    u = ("<unknown>", None)
    assert [g[2] for g in got] == ["PASV"] * 4 + ["RETR"]
    assert got[0] == (*u, "PASV", None, None, None, 227,
                      "Entering Passive Mode (164,107,123,6,183,187)", True,
                      "192.168.21.95", "164.107.123.6", 47035)
    assert got[4] == (*u, "RETR", "ftp://164.107.123.6/mirror/internic/rfc/rfc1001.txt",
                      "text/plain", 154427, 226, "File send OK.", None, None, None, None)


def test_adat_first_token_weirds():
    ctxs = run("adat")
    names = [w[0] for c in ctxs.values() for w in c.weirds]
    assert names == ["base64_illegal_encoding", "ftp_adat_bad_first_token_encoding"]
    assert ("base64_illegal_encoding", "character 32 ignored by Base64 decoding") in \
        [w for c in ctxs.values() for w in c.weirds]


def test_real_password_is_hidden():
    ctx = FakeContext(resp_p=21)
    a = FtpAnalyzer(ctx)
    a.deliver(False, b"220 hi\r\n", 1.0)
    a.deliver(True, b"USER alice\r\n", 1.1)
    a.deliver(False, b"331 pw\r\n", 1.2)
    a.deliver(True, b"PASS s3cret!\r\n", 1.3)
    a.deliver(False, b"230 ok\r\n", 1.4)
    a.deliver(True, b"EPSV\r\n", 1.5)
    a.deliver(False, b"229 Entering Extended Passive Mode (|||6446|)\r\n", 1.6)
    a.finish(2.0)
    [rec] = ctx.records["ftp"]
    assert rec["password"] == "<hidden>" and rec["user"] == "alice"
    assert "s3cret" not in repr(ctx.records)
    assert (rec["data_channel.resp_h"], rec["data_channel.resp_p"]) == ("10.0.0.2", 6446)


def test_pipelined_commands_pair_by_reply_code():
    ctx = FakeContext(resp_p=21)
    a = FtpAnalyzer(ctx)
    a.deliver(False, b"220 hi\r\n", 1.0)
    a.deliver(True, b"DELE a.txt\r\nPASV\r\n", 1.1)
    a.deliver(False, b"250 deleted\r\n227 Entering Passive Mode (10,0,0,2,0,80)\r\n", 1.2)
    a.finish(2.0)
    got = {r["command"]: r["reply_code"] for r in ctx.records["ftp"]}
    assert got == {"DELE": 250, "PASV": 227}


def test_hostile_long_line_and_command_flood():
    ctx = FakeContext(resp_p=21)
    a = FtpAnalyzer(ctx)
    a.deliver(True, b"USER " + b"x" * 100_000, 1.0)
    assert len(a.bufs[True]) < 20_000
    a.deliver(True, b"\r\n" + b"NOOP\r\n" * 50, 1.1)
    a.finish(2.0)
    names = {w[0] for w in ctx.weirds}
    assert {"contentline_size_exceeded", "FTP_too_many_pending_commands"} <= names


def test_expectations_time_out_and_need_the_announced_originator():
    ctx = FakeContext(resp_p=21)
    a = FtpAnalyzer(ctx)
    a.deliver(True, b"PORT 10,0,0,1,4,1\r\n", 1.0)
    data = FakeContext("10.0.0.2", 20, "10.0.0.1", 1025)
    data._shared = ctx._shared
    other = FakeContext("10.9.9.9", 20, "10.0.0.1", 1025)
    other._shared = ctx._shared
    assert expected_data_analyzer(other, 2.0) is None
    assert expected_data_analyzer(data, 400.0) is None       # past 5 minutes


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=200)), max_size=12))
def test_analyzer_never_raises(chunks):
    ctx = FakeContext(resp_p=21)
    a = FtpAnalyzer(ctx)
    for is_orig, data in chunks:
        a.deliver(is_orig, data, 5.0)
    a.gap(True, 5, 5.5)
    a.finish(7.0)
    assert not any(w[0] == "ftp_analyzer_error" for w in ctx.weirds)
