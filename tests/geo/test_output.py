"""The commands' printed output against the published fixtures, through the real entry points."""

from __future__ import annotations

import pytest

from .conftest import clean_env, run
from .standin import Reply, fixture

# (command, argument, API path, fixture answer, fixture output)
PUBLISHED = [
    ("geoping", "8.8.8.8", "/api/geoping/8.8.8.8", "geoping-8.8.8.8.json", "geoping-8.8.8.8.txt"),
    ("geodns", "google.com", "/api/geodns/google.com?rtype=A", "geodns-google.com.json",
     "geodns-google.com.txt"),
]


@pytest.mark.parametrize("cmd,arg,path,answer,expected", PUBLISHED,
                         ids=[p[4] for p in PUBLISHED])
def test_output_is_the_published_text(api, cmd, arg, path, answer, expected):
    api.route(path, Reply(200, fixture(answer)))
    proc = run(cmd, arg, "--api-url", api.url)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == fixture(expected)
    assert proc.stderr == b""
    assert [p for p, _ in api.requests] == [path]


@pytest.mark.parametrize("cmd,arg,path,answer,expected", PUBLISHED,
                         ids=[p[4] for p in PUBLISHED])
def test_shoestring_subcommand_is_the_same_program(api, cmd, arg, path, answer, expected):
    api.route(path, Reply(200, fixture(answer)))
    proc = run("shoestring", cmd, arg, env=clean_env(SHOESTRING_GEONET_URL=api.url))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == fixture(expected)


@pytest.mark.parametrize("cmd,arg,path,answer", [p[:4] for p in PUBLISHED],
                         ids=[p[3] for p in PUBLISHED])
def test_json_prints_the_answer_as_it_came(api, cmd, arg, path, answer):
    api.route(path, Reply(200, fixture(answer)))
    proc = run(cmd, arg, "--json", "--api-url", api.url)
    assert proc.returncode == 0, proc.stderr
    # The fixture lacks a final newline; one is added for the shell prompt, nothing else.
    assert proc.stdout == fixture(answer) + b"\n"


def test_api_url_from_environment(api):
    api.route("/api/geoping/8.8.8.8", Reply(200, fixture("geoping-8.8.8.8.json")))
    proc = run("geoping", "8.8.8.8", env=clean_env(SHOESTRING_GEONET_URL=api.url + "/"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == fixture("geoping-8.8.8.8.txt")


def test_api_url_flag_beats_environment_and_keeps_a_path_prefix(api):
    api.route("/geonet/api/geoping/8.8.8.8", Reply(200, fixture("geoping-8.8.8.8.json")))
    proc = run("geoping", "8.8.8.8", "--api-url", api.url + "/geonet",
               env=clean_env(SHOESTRING_GEONET_URL="http://127.0.0.1:9"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == fixture("geoping-8.8.8.8.txt")


def test_geoping_published_answer_other_target(api):
    api.route("/api/geoping/139.59.19.245", Reply(200, fixture("geoping-139.59.19.245.json")))
    proc = run("geoping", "139.59.19.245", "--api-url", api.url)
    assert proc.returncode == 0, proc.stderr
    # Worked by hand from the fixture: sorted by city; 230.04 keeps its two decimals.
    assert proc.stdout.decode() == (
        "Amsterdam (NL)                 185.865 ms       (min: 185.742 ms, max: 185.993 ms)\n"
        "Clifton (US)                   267.047 ms       (min: 267.025 ms, max: 267.061 ms)\n"
        "Frankfurt am Main (DE)         183.567 ms       (min: 183.42 ms, max: 183.683 ms)\n"
        "London (GB)                    261.239 ms       (min: 261.196 ms, max: 261.279 ms)\n"
        "Santa Clara (US)               230.04 ms       (min: 229.823 ms, max: 230.268 ms)\n"
        "Singapore (SG)                 41.539 ms       (min: 41.439 ms, max: 41.689 ms)\n")


def test_geodns_same_answer_everywhere_sorts_by_city(api):
    api.route("/api/geodns/brainattic.in?rtype=A", Reply(200, fixture("geodns-brainattic.in.json")))
    proc = run("geodns", "BrainAttic.in.", "--api-url", api.url)
    assert proc.returncode == 0, proc.stderr
    cities = ["Amsterdam", "Clifton", "Frankfurt am Main", "London", "Santa Clara", "Singapore"]
    assert proc.stdout.decode() == "".join(f"139.59.19.245                  {c}\n" for c in cities)


def test_geodns_sends_the_record_type(api):
    body = (b'[{"answers": [{"type": "MX", "value": "10 mx.example.net."}],'
            b' "from_loc": {"city": "London", "country": "GB"}}]')
    api.route("/api/geodns/example.net?rtype=MX", Reply(200, body))
    proc = run("geodns", "example.net", "--type", "mx", "--api-url", api.url)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"10 mx.example.net.             London\n"


def test_geodns_ptr_turns_an_address_into_its_arpa_name(api):
    body = (b'[{"answers": [{"type": "PTR", "value": "dns.google."}],'
            b' "from_loc": {"city": "London", "country": "GB"}}]')
    api.route("/api/geodns/8.8.8.8.in-addr.arpa?rtype=PTR", Reply(200, body))
    proc = run("geodns", "8.8.8.8", "-t", "PTR", "--api-url", api.url)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"dns.google.                    London\n"


def test_geodns_verbose_names_silent_locations_on_stderr_only(api):
    api.route("/api/geodns/google.com?rtype=A", Reply(200, fixture("geodns-google.com.json")))
    proc = run("geodns", "google.com", "-v", "--api-url", api.url)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == fixture("geodns-google.com.txt")
    err = proc.stderr.decode()
    assert "geodns: no answer from Santa Clara (US)\n" in err
    assert f"GET {api.url}/api/geodns/google.com?rtype=A" in err


def test_geoping_dead_target_prints_the_loss(api):
    body = (b'[{"ip": "192.0.2.1", "is_alive": false, "min_rtt": 0, "avg_rtt": 0, "max_rtt": 0,'
            b' "rtts": [], "packets_sent": 3, "packets_received": 0, "packet_loss": 1.0,'
            b' "from_loc": {"city": "London", "country": "GB"}},'
            b' {"ip": "192.0.2.1", "is_alive": true, "min_rtt": 1.5, "avg_rtt": 2, "max_rtt": 2.5,'
            b' "rtts": [1.5, 2.5], "packets_sent": 3, "packets_received": 2,'
            b' "packet_loss": 0.3333, "from_loc": {"city": "Amsterdam", "country": "NL"}}]')
    api.route("/api/geoping/example.org", Reply(200, body))
    proc = run("geoping", "Example.ORG", "--api-url", api.url)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode() == (
        "Amsterdam (NL)                     2 ms       (min:   1.5 ms, max:   2.5 ms, loss: 33%)\n"
        "London (GB)                    no reply      (loss: 100%, 0 of 3 packets answered)\n")


def test_help_says_the_target_goes_abroad_to_shodan():
    for cmd in ("geoping", "geodns"):
        proc = run(cmd, "--help")
        assert proc.returncode == 0
        text = " ".join(proc.stdout.decode().split())
        assert "service abroad" in text and "Shodan" in text, text
        assert "exit status" in text
