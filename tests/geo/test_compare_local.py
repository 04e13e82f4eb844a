"""geodns --compare-local: the local answers beside the remote ones, and the exit status.

A/AAAA use this machine's resolver (getaddrinfo), tested with "localhost", which resolves
from /etc/hosts without any network. Other types use dnspython; they are tested against a
stand-in DNS server on 127.0.0.1 given with --nameserver.
"""

from __future__ import annotations

import json
import socket
import threading

import pytest

from shoestring.geo.errors import ExitCode

from .conftest import run
from .standin import Reply, closed_port


def remote(*per_city: tuple[str, list[tuple[str, str]]]) -> bytes:
    return json.dumps([{"answers": [{"type": t, "value": v} for t, v in answers],
                        "from_loc": {"city": city, "country": "XX", "latlon": "0,0"}}
                       for city, answers in per_city]).encode()


def test_localhost_matches_a_vantage_point(api):
    api.route("/api/geodns/localhost?rtype=A",
              Reply(200, remote(("London", [("A", "127.0.0.1")]), ("Singapore", []))))
    proc = run("geodns", "localhost", "--compare-local", "--api-url", api.url)
    assert proc.returncode == ExitCode.OK, proc.stderr
    assert proc.stdout.decode() == (
        "127.0.0.1                      London\n"
        "127.0.0.1                      this machine\n"
        "match: this machine's answers for localhost A agree with at least one vantage point\n")
    assert b"Traceback" not in proc.stderr


def test_localhost_shares_nothing_with_the_vantage_points(api):
    api.route("/api/geodns/localhost?rtype=A",
              Reply(200, remote(("London", [("A", "203.0.113.7")]),
                                ("Clifton", [("A", "203.0.113.8")]))))
    proc = run("geodns", "localhost", "--compare-local", "--api-url", api.url)
    assert proc.returncode == ExitCode.MISMATCH, proc.stderr
    lines = proc.stdout.decode().splitlines()
    assert lines[:2] == ["203.0.113.7                    London",
                         "203.0.113.8                    Clifton"]
    assert lines[2] == "127.0.0.1                      this machine (seen at no vantage point)"
    assert lines[3].startswith("MISMATCH: this machine's answers for localhost A share nothing")


def test_compare_local_json(api):
    api.route("/api/geodns/localhost?rtype=A",
              Reply(200, remote(("London", [("A", "203.0.113.7")]))))
    proc = run("geodns", "localhost", "--compare-local", "--json", "--api-url", api.url)
    assert proc.returncode == ExitCode.MISMATCH
    out = json.loads(proc.stdout)
    assert out["local"] == ["127.0.0.1"] and out["shared"] == [] and out["mismatch"] is True
    assert out["remote"][0]["answers"][0]["value"] == "203.0.113.7"


def test_remote_failure_wins_before_any_local_lookup(api):
    api.route("/api/geodns/localhost?rtype=A", Reply(200, b"not json"))
    proc = run("geodns", "localhost", "--compare-local", "--api-url", api.url)
    assert proc.returncode == ExitCode.BAD_ANSWER


class FakeDNS:
    """A UDP DNS server on 127.0.0.1 answering from a dict; NXDOMAIN for anything else."""

    def __init__(self, records: dict[tuple[str, str], list[str]]):
        import dns.message
        import dns.rcode
        import dns.rrset
        self._dns = (dns.message, dns.rcode, dns.rrset)
        self.records = records
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        message, rcode, rrset = self._dns
        while not self._stop.is_set():
            try:
                wire, peer = self.sock.recvfrom(4096)
            except (TimeoutError, socket.timeout):
                continue
            query = message.from_wire(wire)
            reply = message.make_response(query)
            q = query.question[0]
            key = (q.name.to_text().lower(), q.rdtype.name if hasattr(q.rdtype, "name") else "")
            if key in self.records:
                reply.answer.append(rrset.from_text_list(q.name, 300, "IN", key[1],
                                                         self.records[key]))
            else:
                reply.set_rcode(rcode.NXDOMAIN)
            self.sock.sendto(reply.to_wire(), peer)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def fake_dns():
    pytest.importorskip("dns", reason="dnspython is needed for --compare-local beyond A/AAAA")
    with FakeDNS({("example.net.", "MX"): ["10 mx1.example.net.", "20 mx2.example.net."],
                  ("example.net.", "TXT"): ['"v=spf1 " "-all"']}) as server:
        yield server


@pytest.mark.parametrize("remote_mx,status", [
    ("mx2.example.net", ExitCode.OK),          # geonet without preference, one in common
    ("10 MX1.example.net.", ExitCode.OK),      # with preference, other case
    ("10 mx.evil.example.", ExitCode.MISMATCH),
])
def test_mx_against_a_given_nameserver(api, fake_dns, remote_mx, status):
    api.route("/api/geodns/example.net?rtype=MX",
              Reply(200, remote(("London", [("MX", remote_mx)]))))
    proc = run("geodns", "example.net", "-t", "MX", "--compare-local",
               "--nameserver", f"127.0.0.1:{fake_dns.port}", "--api-url", api.url)
    assert proc.returncode == status, proc.stderr
    out = proc.stdout.decode()
    assert "mx1.example.net                this machine" in out
    assert "mx2.example.net                this machine" in out


def test_txt_split_strings_compare_joined(api, fake_dns):
    api.route("/api/geodns/example.net?rtype=TXT",
              Reply(200, remote(("London", [("TXT", '"v=spf1 -all"')]))))
    proc = run("geodns", "example.net", "-t", "TXT", "--compare-local",
               "--nameserver", f"127.0.0.1:{fake_dns.port}", "--api-url", api.url)
    assert proc.returncode == ExitCode.OK, proc.stdout + proc.stderr


def test_local_nxdomain_while_remote_answers_is_a_mismatch(api, fake_dns):
    api.route("/api/geodns/blocked.example?rtype=A",
              Reply(200, remote(("London", [("A", "198.51.100.1")]))))
    proc = run("geodns", "blocked.example", "--compare-local",
               "--nameserver", f"127.0.0.1:{fake_dns.port}", "--api-url", api.url)
    assert proc.returncode == ExitCode.MISMATCH
    assert "-                              this machine (no answer)" in proc.stdout.decode()


def test_local_resolver_that_does_not_answer(api):
    pytest.importorskip("dns")
    api.route("/api/geodns/example.net?rtype=MX",
              Reply(200, remote(("London", [("MX", "mx1.example.net")]))))
    proc = run("geodns", "example.net", "-t", "MX", "--compare-local", "--timeout", "1",
               "--nameserver", f"127.0.0.1:{closed_port()}", "--api-url", api.url)
    assert proc.returncode == ExitCode.LOCAL_RESOLVER
    err = proc.stderr.decode()
    assert err.startswith("geodns: this machine's resolver failed for example.net MX")
    assert "Traceback" not in err and err.count("\n") == 1
