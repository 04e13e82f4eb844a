"""Tables of cases for the pure parts: rendering, comparison, validation, the client's URL."""

from __future__ import annotations

import pytest

from shoestring.geo import client, compare_local, render, validate
from shoestring.geo.answers import DnsAnswer, DnsResult, Location, PingResult
from shoestring.geo.errors import InvalidInput

LONDON = Location("London", "GB")


def ping(alive=True, avg=1.0, lo=0.5, hi=1.5, sent=3, received=3, loss=0.0, where=LONDON):
    return PingResult(where, alive, avg, lo, hi, sent, received, loss)


@pytest.mark.parametrize("result,expected", [
    # round(x, 3) then right-align in 5: 1.5304 -> "1.53"; 12.34567 -> "12.346"; ints stay ints
    (ping(avg=1.5304, lo=1.13, hi=2.2039),
     "London (GB)                     1.53 ms       (min:  1.13 ms, max: 2.204 ms)"),
    (ping(avg=12.34567, lo=2, hi=100.0),
     "London (GB)                    12.346 ms       (min:     2 ms, max: 100.0 ms)"),
    # 1 of 4 lost -> 25% from the counts, not from packet_loss (which says 0.3 here)
    (ping(sent=4, received=3, loss=0.3),
     "London (GB)                      1.0 ms       (min:   0.5 ms, max:   1.5 ms, loss: 25%)"),
    (ping(alive=False, avg=None, lo=None, hi=None, received=0, loss=1.0),
     "London (GB)                    no reply      (loss: 100%, 0 of 3 packets answered)"),
    # no counts: packet_loss (a fraction) is all there is
    (ping(alive=False, avg=None, lo=None, hi=None, sent=None, received=None, loss=1.0),
     "London (GB)                    no reply      (loss: 100%)"),
    (ping(alive=False, avg=None, lo=None, hi=None, sent=None, received=None, loss=None),
     "London (GB)                    no reply      (loss: all)"),
    # a hostile city name cannot move the cursor or clear the screen
    (ping(where=Location("Evil\x1b[2J\r", "X")),
     "Evil\\x1b[2J\\r (X)                1.0 ms       (min:   0.5 ms, max:   1.5 ms)"),
])
def test_geoping_line(result, expected):
    assert render.geoping_line(result) == expected


def test_geodns_rows_sort_by_value_text_then_city():
    results = [DnsResult(Location("Zurich", "CH"), (DnsAnswer("A", "9.9.9.9"),)),
               DnsResult(Location("Aachen", "DE"), (DnsAnswer("A", "9.9.9.9"),
                                                    DnsAnswer("A", "10.0.0.1"))),
               DnsResult(Location("Nowhere", "NO"), ())]
    # "10.0.0.1" < "9.9.9.9" as text (not as numbers), as the published output sorts.
    assert render.geodns_rows(results) == [("10.0.0.1", "Aachen"), ("9.9.9.9", "Aachen"),
                                           ("9.9.9.9", "Zurich")]
    assert render.silent_locations(results) == ["Nowhere (NO)"]


@pytest.mark.parametrize("rtype,value,expected", [
    ("A", " 192.0.2.1 ", "192.0.2.1"),
    ("AAAA", "2001:DB8:0:0::1", "2001:db8::1"),
    ("AAAA", "not-an-address", "not-an-address"),
    ("CNAME", "WWW.Example.COM.", "www.example.com"),
    ("MX", "10 MX.example.com.", "mx.example.com"),
    ("MX", "mx.example.com", "mx.example.com"),
    ("TXT", '"v=spf1 " "-all"', "v=spf1 -all"),
    ("TXT", "v=spf1 -all", "v=spf1 -all"),
    ("SOA", "NS1.x. Hostmaster.x. 1 2 3 4 5", "ns1.x hostmaster.x 1 2 3 4 5"),
    ("NS", ".", "."),
])
def test_normalise(rtype, value, expected):
    assert compare_local.normalise(rtype, value) == expected


def _remote(*values):
    return [DnsResult(LONDON, tuple(DnsAnswer("A", v) for v in values))]


@pytest.mark.parametrize("local,remote_values,mismatch", [
    ({"192.0.2.1"}, ["192.0.2.1", "192.0.2.2"], False),   # one shared address is enough
    ({"192.0.2.9"}, ["192.0.2.1"], True),                 # nothing shared
    (set(), ["192.0.2.1"], True),                         # blocked or missing here only
    ({"192.0.2.1"}, [], True),                            # exists here only (sinkhole?)
    (set(), [], False),                                   # exists nowhere: they agree
])
def test_compare(local, remote_values, mismatch):
    assert compare_local.compare("A", local, _remote(*remote_values)).mismatch is mismatch


@pytest.mark.parametrize("text,expected", [
    ("127.0.0.1", ("127.0.0.1", 53)), ("127.0.0.1:5353", ("127.0.0.1", 5353)),
    ("::1", ("::1", 53)), ("[::1]:5353", ("::1", 5353)),
])
def test_parse_nameserver(text, expected):
    assert compare_local.parse_nameserver(text) == expected


@pytest.mark.parametrize("text", ["1.2.3.4:0", "1.2.3.4:x", "[::1]x", "host:53", ""])
def test_parse_nameserver_rejects(text):
    with pytest.raises(InvalidInput):
        compare_local.parse_nameserver(text)


@pytest.mark.parametrize("func,text,expected", [
    (validate.geoping_target, "8.8.8.8", "8.8.8.8"),
    (validate.geoping_target, "[2001:4860:4860:0:0:0:0:8888]", "2001:4860:4860::8888"),
    (validate.geoping_target, "WWW.Example.com.", "www.example.com"),
    (validate.geoping_target, "münchen.de", "xn--mnchen-3ya.de"),
    (lambda t: validate.geodns_name(t, "TXT"), "_dmarc.example.com", "_dmarc.example.com"),
    (lambda t: validate.geodns_name(t, "PTR"), "2001:db8::1",
     "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"),
    (validate.record_type, " aaaa", "AAAA"),
    (validate.api_url, "https://geonet.shodan.io/", "https://geonet.shodan.io"),
    (validate.api_url, "http://127.0.0.1:8080/x/", "http://127.0.0.1:8080/x"),
])
def test_validate_accepts(func, text, expected):
    assert func(text) == expected


@pytest.mark.parametrize("func,text", [
    (validate.geoping_target, "192.168.1.1"), (validate.geoping_target, "::"),
    (validate.geoping_target, "100.64.0.1"), (validate.geoping_target, "a\nb.com"),
    (validate.geoping_target, "_x.com"), (validate.geoping_target, "1.2.3"),
    (validate.geoping_target, "localhost"), (validate.geoping_target, "intranet."),
    (validate.record_type, "AXFR"), (validate.api_url, "https://x/?a=1"),
    (validate.api_url, "geonet.shodan.io"),
])
def test_validate_rejects(func, text):
    with pytest.raises(InvalidInput):
        func(text)


def test_default_api_url_and_environment(monkeypatch):
    from shoestring.geo import cli
    args = cli.build_parser("geoping").parse_args(["8.8.8.8"])
    monkeypatch.delenv(client.API_URL_ENV, raising=False)
    assert cli._client(args, "geoping").base_url == "https://geonet.shodan.io"
    monkeypatch.setenv(client.API_URL_ENV, "http://127.0.0.1:1/")
    assert cli._client(args, "geoping").base_url == "http://127.0.0.1:1"


def test_url_for_quotes_the_target():
    c = client.GeonetClient("https://geonet.shodan.io")
    assert c.url_for("geodns", "example.com", {"rtype": "MX"}) == \
        "https://geonet.shodan.io/api/geodns/example.com?rtype=MX"
    assert c.url_for("geoping", "2001:db8::1") == "https://geonet.shodan.io/api/geoping/2001:db8::1"


@pytest.mark.parametrize("raw,expected", [(None, 1.0), ("0.01", 0.01), ("x", 1.0), ("-1", 1.0),
                                          ("1e9", 1.0)])
def test_backoff_from_env(monkeypatch, raw, expected):
    if raw is None:
        monkeypatch.delenv(client.BACKOFF_ENV, raising=False)
    else:
        monkeypatch.setenv(client.BACKOFF_ENV, raw)
    assert client.backoff_from_env() == expected


def test_backoff_doubles_and_is_capped_by_retries():
    """The client's own schedule, with a fake sleep and an opener that always says 503."""
    slept = []
    c = client.GeonetClient("http://127.0.0.1:9", retries=3, backoff=0.5, sleep=slept.append)

    def always_503(url):
        raise client._Retryable(503, "Service Unavailable", None)
    c._get_once = always_503
    with pytest.raises(client.HTTPFailure, match="gave up after 4 attempts"):
        c.get("geoping", "8.8.8.8")
    assert slept == [0.5, 1.0, 2.0]   # 0.5 * 2**attempt for attempts 0, 1, 2
