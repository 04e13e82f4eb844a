"""smtp.log through the analyzer: Zeek's expected records for its SMTP traces."""

from hypothesis import given, settings, strategies as st

from shoestring.analyzers.smtp import SPEC
from shoestring.analyzers.smtp.analyzer import SmtpAnalyzer

from ...fakes import FakeContext
from .corpus import CORPUS

FIELDS = ("trans_depth", "helo", "mailfrom", "rcptto", "date", "from", "to", "cc",
          "reply_to", "msg_id", "in_reply_to", "subject", "x_originating_ip",
          "first_received", "second_received", "last_reply", "path", "user_agent", "tls")


def run(name, index=0, chunk=None):
    endpoints, segments = CORPUS[name][index]
    ctx = FakeContext(*endpoints)
    a = SPEC.factory(ctx)
    for ts, is_orig, data in segments:
        if chunk:
            for i in range(0, len(data), chunk):
                a.deliver(is_orig, data[i:i + chunk], ts)
        else:
            a.deliver(is_orig, data, ts)
    a.finish(segments[-1][0])
    return ctx


def view(rec):
    out = {}
    for k in FIELDS:
        v = rec[k]
        if k in ("rcptto", "to", "cc") and v is not None:
            v = sorted(v)
        out[k] = v
    return out


def expected(**kw):
    base = dict.fromkeys(FIELDS)
    base.update(tls=False, trans_depth=1)
    base.update(kw)
    for k in ("rcptto", "to", "cc"):
        if base[k] is not None:
            base[k] = sorted(base[k])
    return base


def test_basic_first_connection():
    [rec] = run("basic", 0).records["smtp"]
    assert view(rec) == expected(
        helo="GP", mailfrom="gurpartap@patriots.in", rcptto=["raj_deol2002in@yahoo.co.in"],
        date="Mon, 5 Oct 2009 11:36:07 +0530", **{"from": '"Gurpartap Singh" <gurpartap@patriots.in>'},
        to=["<raj_deol2002in@yahoo.co.in>"], msg_id="<000301ca4581$ef9e57f0$cedb07d0$@in>",
        subject="SMTP", last_reply="250 OK id=1Mugho-0003Dg-Un",
        path=["74.53.140.153", "10.10.1.4"], user_agent="Microsoft Office Outlook 12.0")


def test_basic_second_connection_cc_and_in_reply_to():
    [rec] = run("basic", 1).records["smtp"]
    assert view(rec) == expected(
        helo="[192.168.133.100]", mailfrom="albert@example.com",
        rcptto=["felica4uu@hotmail.com", "ericlim220@yahoo.com", "davis_mark1@outlook.com"],
        date="Sat, 25 Jul 2015 16:43:07 +0300",
        **{"from": "Albert Zaharovits <albert@example.com>"}, to=["ericlim220@yahoo.com"],
        cc=["felica4uu@hotmail.com", "davis_mark1@outlook.com"],
        msg_id="<A6202DF2-8E58-4E41-BE0B-C8D3989A4AEE@example.com>",
        in_reply_to="<9ACEE03C-AB98-4046-AEC1-BF4910C61E96@example.com>",
        subject="Re: Bro SMTP CC Header", last_reply="250 Ok",
        path=["192.168.133.102", "192.168.133.100"], user_agent="Apple Mail (2.2102)")


def test_same_records_when_bytes_arrive_in_small_pieces():
    assert [view(r) for r in run("basic", 0, chunk=5).records["smtp"]] == \
        [view(r) for r in run("basic", 0).records["smtp"]]


def test_auth_credentials_are_never_logged():
    ctx = run("basic", 0)
    text = repr(ctx.records) + repr(ctx.weirds)
    assert "Z3VycGFydGFwQHBhdHJpb3RzLmlu" not in text and "cHVuamFiQDEyMw==" not in text


def test_attachment_msg_uses_top_level_headers_only():
    [rec] = run("attachment_msg").records["smtp"]
    assert view(rec) == expected(
        helo="localhost.localdomain", mailfrom="sender@example.com",
        rcptto=["recipient@example.com"], **{"from": "sender@example.com"},
        to=["recipient@example.com"], subject="subject", path=["::1", "::1"])


def test_one_side_two_transactions():
    recs = run("one_side").records["smtp"]
    assert [view(r) for r in recs] == [
        expected(helo="enzo.icir.org", mailfrom="robin@icir.org", rcptto=["robin@icir.org"],
                 **{"from": "robin@icir.org"}, to=["robin@icir.org"], subject="Hello1!",
                 path=["192.150.186.11", "192.150.187.22"]),
        expected(helo="enzo.icir.org", mailfrom="robin@icir.org", rcptto=["rsommer@lbl.gov"],
                 **{"from": "robin@icir.org"}, to=["rsommer@lbl.gov"], subject="Hello2!",
                 path=["192.150.186.11", "192.150.187.22"])]


def test_invalid_transactions_like_zeek():
    ctx = run("invalid")
    recs = [view(r) for r in ctx.records["smtp"]]
    path = ["127.0.0.1", "127.0.0.1"]
    assert recs == [
        expected(helo="Bob-PC", mailfrom="bob@example.org", rcptto=["alice@example.org"],
                 last_reply="250 OK id=1pgobK-001mwq-ED", path=path),
        expected(trans_depth=2, helo="Bob-PC", rcptto=["alice@example.org"],
                 last_reply="500 unrecognized command", path=path),
        expected(trans_depth=2, helo="Bob-PC", mailfrom="bob@example.org",
                 last_reply="500 unrecognized command", path=path),
        expected(trans_depth=2, helo="Bob-PC", mailfrom="bob@example.org",
                 rcptto=["alice@example.org"], last_reply="250 OK id=1pgobM-001mwq-Vc",
                 path=path)]
    assert ("smtp_mail_transaction_invalid", "rcpt to missing mail from") in ctx.weirds


def test_smtp_after_http_connect_received_path():
    [rec] = run("connect").records["smtp"]
    assert rec["first_received"] == ("from mail.iosphere.net (mail.iosphere.net "
                                     "[216.58.97.33]) by mail.netsync.net with esmtp; "
                                     "Mrz, 02 2004 12:55:34 -0700")
    assert rec["second_received"] is None          # "Return-Path: Received: ..." is not one
    assert rec["path"] == ["254.228.86.79", "79.26.245.236", "216.58.97.33"]
    assert rec["last_reply"] == "250 Message accepted."
    assert rec["user_agent"] == "Microsoft Outlook Build 10.0.2616"


def test_starttls_sets_tls_and_stops():
    ctx = FakeContext(resp_p=25)
    a = SmtpAnalyzer(ctx)
    a.deliver(False, b"220 mx ESMTP\r\n", 1.0)
    a.deliver(True, b"EHLO me\r\n", 1.1)
    a.deliver(False, b"250-mx\r\n250 STARTTLS\r\n", 1.2)
    a.deliver(True, b"STARTTLS\r\n", 1.3)
    a.deliver(False, b"220 go ahead\r\n", 1.4)
    a.deliver(True, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(200), 1.5)
    a.finish(2.0)
    [rec] = ctx.records["smtp"]
    assert rec["tls"] is True and rec["helo"] == "me" and rec["last_reply"] == "220 go ahead"


def test_pipelined_commands_pair_with_replies_in_order():
    ctx = FakeContext(resp_p=25)
    a = SmtpAnalyzer(ctx)
    a.deliver(False, b"220 mx\r\n", 1.0)
    a.deliver(True, b"EHLO me\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n", 1.1)
    a.deliver(False, b"250 hi\r\n250 ok\r\n250 ok\r\n354 go\r\n", 1.2)
    a.deliver(True, b"Subject: x\r\n\r\nbody\r\n..dot\r\n.\r\nQUIT\r\n", 1.3)
    a.deliver(False, b"250 queued\r\n221 bye\r\n", 1.4)
    a.finish(2.0)
    [rec] = ctx.records["smtp"]
    assert rec["subject"] == "x" and rec["last_reply"] == "250 queued"
    assert rec["mailfrom"] == "a@b.c" and rec["rcptto"] == ["d@e.f"]


def test_data_refused_leaves_data_mode():
    ctx = FakeContext(resp_p=25)
    a = SmtpAnalyzer(ctx)
    a.deliver(False, b"220 mx\r\n", 0.9)
    a.deliver(True, b"MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n", 1.0)
    a.deliver(False, b"250 ok\r\n250 ok\r\n554 no\r\n", 1.1)
    a.deliver(True, b"MAIL FROM:<x@y.z>\r\n", 1.2)
    a.finish(2.0)
    assert [r["mailfrom"] for r in ctx.records["smtp"]] == ["a@b.c", "x@y.z"]


def test_huge_line_is_bounded():
    ctx = FakeContext(resp_p=25)
    a = SmtpAnalyzer(ctx)
    a.deliver(True, b"EHLO " + b"A" * (2 * 1024 * 1024), 1.0)
    assert len(a.lines[True].buf) <= 70 * 1024
    a.deliver(True, b"\r\nMAIL FROM:<a@b.c>\r\n", 1.1)
    a.finish(2.0)
    assert ctx.weirds[0][0] == "contentline_size_exceeded"
    assert ctx.records["smtp"][0]["mailfrom"] == "a@b.c"


def test_not_smtp_is_a_violation():
    ctx = FakeContext(resp_p=25)
    a = SmtpAnalyzer(ctx)
    a.deliver(False, b"HTTP/1.1 200 OK\r\n", 1.0)
    assert ctx.violations


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=200)), max_size=12),
       st.integers(0, 20))
def test_analyzer_never_raises(chunks, prefix):
    ctx = FakeContext(resp_p=25)
    a = SmtpAnalyzer(ctx)
    for ts, is_orig, data in CORPUS["invalid"][0][1][:prefix]:
        a.deliver(is_orig, data, ts)
    for is_orig, data in chunks:
        a.deliver(is_orig, data, 5.0)
    a.gap(True, 10, 5.5)
    a.deliver(True, b"MAIL FROM:<a@b.c>\r\n", 6.0)
    a.finish(7.0)
    assert not any(w[0] == "smtp_analyzer_error" for w in ctx.weirds)


def test_attachments_become_files_like_zeek():
    # Zeek's expected files.log for smtp.pcap (scripts.base.protocols.smtp.attachment).
    ctx = run("basic", 0)
    files = ctx.records["files"]
    got = [(f["source"], f["depth"], f["mime_type"], f["filename"], f["seen_bytes"],
            f["is_orig"], f["total_bytes"], f["missing_bytes"]) for f in files]
    assert got == [("SMTP", 3, "text/plain", None, 77, True, None, 0),
                   ("SMTP", 4, "text/html", None, 1868, True, None, 0),
                   ("SMTP", 5, "text/plain", "NEWS.txt", 10809, True, None, 0)]
    assert abs(files[2]["duration"] - 1.165512) < 1e-6
    assert ctx.records["smtp"][0]["fuids"] == [f["fuid"] for f in files]
    [single] = run("basic", 1).records["files"]
    assert (single["depth"], single["seen_bytes"]) == (1, 204)


def test_no_body_no_files():
    ctx = run("invalid")
    assert all(r["fuids"] == [] or len(r["fuids"]) == 1 for r in ctx.records["smtp"])
    assert ctx.records["smtp"][1]["fuids"] == []          # refused DATA: no message


def test_files_identical_whether_lines_come_one_by_one_or_in_blocks():
    # Whole segments take MIME's block path; 5-byte pieces go line by line.
    def files(chunk):
        return [(f["depth"], f["seen_bytes"], f["md5"], f["mime_type"])
                for f in run("basic", 0, chunk=chunk).records["files"]]
    assert files(None) == files(5)
