"""bench/generate.py: deterministic for a seed, time-ordered, and the whole mix is in it."""

import importlib.util
import os
import struct
from collections import Counter

import pytest

from .wire import split, tcp_fields

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def generate():
    spec = importlib.util.spec_from_file_location("bench_generate", os.path.join(ROOT, "bench", "generate.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def records(path):
    data = open(path, "rb").read()
    assert struct.unpack("<I", data[:4])[0] == 0xA1B2C3D4
    pos, out = 24, []
    while pos < len(data):
        sec, usec, incl, orig = struct.unpack("<IIII", data[pos:pos + 16])
        out.append((sec * 1_000_000 + usec, data[pos + 16:pos + 16 + incl]))
        pos += 16 + incl
    return out


def make(generate, tmp_path, name, *args):
    path = tmp_path / name
    assert generate.main(["--out", str(path), *args]) == 0
    return path


def test_office_mix_is_deterministic_and_ordered(generate, tmp_path):
    args = ("--packets", "3000", "--hosts", "60", "--seed", "5", "--max-transfer", "20000")
    a = make(generate, tmp_path, "a.pcap", *args)
    b = make(generate, tmp_path, "b.pcap", *args)
    c = make(generate, tmp_path, "c.pcap", *args[:-3], "6", *args[-2:])
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    recs = records(a)
    assert len(recs) == 3000
    times = [t for t, _ in recs]
    assert times == sorted(times)


def test_office_mix_holds_every_kind(generate, tmp_path):
    path = make(generate, tmp_path, "mix.pcap", "--packets", "2500", "--hosts", "50", "--seed", "1",
                "--max-transfer", "20000")
    ports, v6, icmp, hosts, syn_targets = Counter(), 0, 0, set(), Counter()
    for _, frame in records(path):
        p = split(frame)
        v6 += p["version"] == 6
        hosts.add(p["src"])
        if p["proto"] == 1:
            icmp += 1
        elif p["proto"] in (6, 17):
            sport, dport = struct.unpack("!HH", p["l4"][:4])
            ports[(p["proto"], min(sport, dport))] += 1
            if p["proto"] == 6 and tcp_fields(p["l4"])["flags"] == 0x02:
                syn_targets[(p["src"], p["dst"])] += 1
    for key in ((17, 53), (17, 67), (17, 123), (17, 443), (6, 80), (6, 443), (6, 22), (6, 445)):
        assert ports[key] > 0, key
    assert icmp > 0 and v6 > 0 and len(hosts) > 30
    assert max(syn_targets.values()) >= 100  # the scan: 100 SYNs from one host to another


def test_concurrent_file_opens_everything_before_closing(generate, tmp_path):
    path = make(generate, tmp_path, "conc.pcap", "--concurrent", "1000", "--seed", "2")
    recs = records(path)
    syn_at, fin_at, flows = [], [], set()
    for i, (_, frame) in enumerate(recs):
        p = split(frame)
        sport, dport = struct.unpack("!HH", p["l4"][:4])
        flows.add(frozenset(((p["src"], sport), (p["dst"], dport))))
        if p["proto"] == 6:
            flags = tcp_fields(p["l4"])["flags"]
            if flags == 0x02:
                syn_at.append(i)
            elif flags & 0x01:
                fin_at.append(i)
    assert len(flows) == 1000 and len(syn_at) == 800 and len(fin_at) == 1600
    assert max(syn_at) < min(fin_at)
    assert [t for t, _ in recs] == sorted(t for t, _ in recs)
