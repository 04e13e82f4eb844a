"""Wireshark, an independent decoder, finds no bad checksum or malformed packet in what the
builder writes. Skips where tshark is not installed (it is a bench peer, not a dependency)."""

import random
import shutil
import subprocess

import pytest

from shoestring.synth import conversations as C
from shoestring.synth import pcapwrite

TSHARK = shutil.which("tshark")
pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark is not installed (apt-get install tshark)")
CHECKS = ["-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"]


def every_kind(rng):
    c, s = C.endpoint("10.1.0.5", 51000), C.endpoint("93.184.216.34", 80)
    c6, s6 = C.endpoint("2001:db8::5", 50000), C.endpoint("2001:db8:1::80", 443)
    pk = C.http_get(rng, c, s, 1000.0, "example.com", "/", body_size=20000, requests=2)
    pk += C.tls_session(rng, c._replace(port=51001), s._replace(port=443), 1001.0, "www.example.com")
    pk += C.tls_session(rng, c._replace(port=51002), s._replace(port=443), 1002.0, "old.example.com",
                        tls13=False, alpn=("http/1.1",))
    pk += C.quic_session(rng, c6, s6, 1003.0, "quic.example.com")
    pk += C.dns_lookup(rng, c._replace(port=51004), C.endpoint("10.1.0.1", 53), 1004.0, "www.example.com")
    pk += C.dhcp_exchange(rng, "00:11:22:33:44:55", C.endpoint("10.1.0.1", 67), 1005.0, "10.1.0.77")
    pk += C.ping(rng, c6, s6, 1006.0, 2) + C.ping(rng, c, s, 1007.0, 2)
    pk += C.port_scan(rng, C.endpoint("10.1.0.66", 40000), C.endpoint("10.1.0.9"), 1008.0, range(20, 40), {22})
    return sorted(pk, key=lambda p: p[0])


def tshark(path, *args):
    r = subprocess.run([TSHARK, "-r", str(path), "-n", *CHECKS, *args], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_no_bad_checksum_nor_malformed_packet(tmp_path):
    path = tmp_path / "all.pcap"
    pcapwrite.write_pcap(path, every_kind(random.Random(1)))
    bad = tshark(path, "-Y", "_ws.malformed or _ws.expert.severity >= error", "-T", "fields",
                 "-e", "frame.number", "-e", "_ws.col.Info")
    assert bad.strip() == ""


def test_tshark_reads_the_decoded_names(tmp_path):
    path = tmp_path / "all.pcapng.gz"
    pcapwrite.write_pcapng(path, every_kind(random.Random(2)), nano=True)
    sni = tshark(path, "-Y", "tls.handshake.type == 1", "-T", "fields", "-e", "tls.handshake.extensions_server_name")
    assert set(sni.split()) == {"www.example.com", "old.example.com", "quic.example.com"}
    dns = tshark(path, "-Y", "dns.flags.response == 1", "-T", "fields", "-e", "dns.qry.name", "-e", "dns.a")
    assert dns.split()[0] == "www.example.com"


def test_bad_checksum_switch_is_seen_by_tshark(tmp_path):
    from shoestring.synth import frames as F
    good = F.ether_ip("02:00:00:00:00:01", "02:00:00:00:00:02",
                      F.ipv4("10.0.0.1", "10.0.0.2", 17, F.udp("10.0.0.1", "10.0.0.2", 1, 2, b"x")))
    bad = F.ether_ip("02:00:00:00:00:01", "02:00:00:00:00:02",
                     F.ipv4("10.0.0.1", "10.0.0.2", 17, F.udp("10.0.0.1", "10.0.0.2", 1, 2, b"x", bad_checksum=True)))
    path = tmp_path / "bad.pcap"
    pcapwrite.write_pcap(path, [(1.0, good), (2.0, bad)])
    out = tshark(path, "-T", "fields", "-e", "frame.number", "-e", "udp.checksum.status")
    assert [line.split("\t") for line in out.strip().splitlines()] == [["1", "1"], ["2", "0"]]
