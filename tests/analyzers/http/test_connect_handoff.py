"""HTTP CONNECT: a successful reply hands the rest of the stream on (ctx.handoff).

Payloads from Zeek's corpus traces http/connect-with-smtp.pcap and
http/connect-with-header.pcap; Zeek logs a Tunnel::HTTP DISCOVER for a 200 to a CONNECT
(base/protocols/http/main.zeek, http_reply) and lets content detection find what is
inside (SMTP, TLS), with the bytes its parser already held past the reply headers.
"""

import pytest

from shoestring.analyzers.http import HttpAnalyzer
from tests.fakes import drive

CONNECT_SMTP = b"CONNECT mailin03.sul.t-online.de:25 / HTTP/1.0\r\n" \
               b"Mozilla 4.0 (compatible; MSIE 5.01; Windows NT 5.0)\r\n\r\n"
ESTABLISHED = b"HTTP/1.0 200 Connection established\r\n\r\n"
GREETING = b"220 mailin03.sul.t-online.de T-Online ESMTP receiver fssmtpd ready.\r\n"
CONNECT_TLS = (b"CONNECT secure.newegg.com:443 HTTP/1.1\r\nProxy-Connection: keep-alive\r\n"
               b"Host: secure.newegg.com:443\r\n\r\n")
ESTABLISHED_TLS = b"HTTP/1.0 200 Connection Established\r\nProxy-agent: Apache/2.4.16 (Unix)\r\n\r\n"
CLIENT_HELLO = b"\x16\x03\x01\x00\xda\x01\x00\x00\xd6\x03\x03"


def run(chunks):
    return drive(HttpAnalyzer, chunks, resp_p=8240)


def test_connect_200_logs_tunnel_and_hands_off_once():
    ctx = run([(True, CONNECT_SMTP), (False, ESTABLISHED), (False, GREETING),
               (True, b"HELO 208.191.73.21\r\n")])
    assert ctx.handoffs == [("Tunnel::HTTP", b"", b"")]
    (r,) = ctx.records["http"]
    assert (r["method"], r["status_code"], r["status_msg"]) == \
        ("CONNECT", 200, "Connection established")
    assert ctx.services == ["http"] and not ctx.violations


@pytest.mark.parametrize("split", [None, 1, 5])
def test_bytes_past_the_reply_headers_are_handed_over(split):
    # The proxy's reply and the SMTP greeting in one segment: the greeting must reach
    # the next analyzer, not be lost with the HTTP parser's buffer.
    reply = ESTABLISHED + GREETING
    chunks = [(True, CONNECT_SMTP)]
    if split:
        chunks += [(False, reply[i:i + split]) for i in range(0, len(reply), split)]
    else:
        chunks.append((False, reply))
    ctx = run(chunks)
    (handoff,) = ctx.handoffs
    kind, orig, resp = handoff
    assert kind == "Tunnel::HTTP" and orig == b""
    # Delivered in pieces, the parser stops at the headers' end: the rest arrives after
    # the hand-off and goes through the connection's own detection, not through resp.
    assert GREETING.startswith(resp)
    if split is None:
        assert resp == GREETING


def test_client_bytes_sent_before_the_reply_are_handed_over():
    # connect-with-header.pcap's browser waits; one that does not (ClientHello sent
    # before the 200) must not lose it to the HTTP request parser.
    ctx = run([(True, CONNECT_TLS + CLIENT_HELLO), (False, ESTABLISHED_TLS)])
    assert ctx.handoffs == [("Tunnel::HTTP", CLIENT_HELLO, b"")]


def test_other_2xx_hands_off_without_a_tunnel_record():
    ctx = run([(True, CONNECT_TLS), (False, b"HTTP/1.1 204 No Content\r\n\r\n")])
    assert ctx.handoffs == [(None, b"", b"")]


def test_refused_connect_stays_http():
    ctx = run([(True, CONNECT_TLS),
               (False, b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                       b"Content-Length: 0\r\n\r\n"),
               (True, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
               (False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")])
    assert ctx.handoffs == []
    assert [r["status_code"] for r in ctx.records["http"]] == [407, 200]
