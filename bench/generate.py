"""Write a realistic office traffic mix (or the many-open-connections file) to a capture.

    python bench/generate.py --out bench/out/office.pcap --packets 2000000 --hosts 2000 --seed 1
    python bench/generate.py --out bench/out/concurrent.pcap --concurrent 500000 --seed 1

The office mix is what a span port at a small office's uplink sees: DNS to the local
resolver, TLS 1.3/1.2 and QUIC to a few hundred sites, plain HTTP, file-share and backup bulk
transfers, SSH, NTP, pings, rejected and unanswered connections, DHCP, and now and then a SYN
scan. Conversations start as a Poisson process and are merged by time with a heap, so packets
interleave as on a real wire and timestamps only increase; only the conversations in flight
are held in memory, so any size streams to disk. Everything follows from --seed.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

from shoestring.synth import conversations as C  # noqa: E402
from shoestring.synth import frames as F  # noqa: E402
from shoestring.synth.pcapwrite import PcapngWriter, PcapWriter  # noqa: E402

START = 1762140600.0  # Monday 2025-11-03 09:00 IST: the office opens
ROUTER_MAC = bytes.fromhex("00005e000101")  # VRRP virtual MAC of the office gateway
SITES = ("www.google.com", "mail.google.com", "outlook.office365.com", "teams.microsoft.com",
         "login.microsoftonline.com", "www.youtube.com", "i.ytimg.com", "github.com",
         "api.github.com", "slack.com", "zoom.us", "www.amazon.in", "s3.ap-south-1.amazonaws.com",
         "www.icici.bank.in", "www.hdfcbank.com", "incometax.gov.in", "www.cert-in.org.in",
         "cdn.jsdelivr.net", "fonts.gstatic.com", "www.linkedin.com", "web.whatsapp.com",
         "docs.google.com", "drive.google.com", "update.microsoft.com", "dl.google.com",
         "www.wikipedia.org", "news.ycombinator.com", "pypi.org", "files.pythonhosted.org",
         "registry.npmjs.org", "www.zoho.com", "accounts.zoho.in", "www.tally.com",
         "ocsp.digicert.com", "www.bing.com", "clients4.google.com", "edge.microsoft.com")
QUIC_SITES = ("www.google.com", "www.youtube.com", "i.ytimg.com", "fonts.gstatic.com",
              "docs.google.com", "drive.google.com", "clients4.google.com", "www.facebook.com")
PUBLIC_FIRST_OCTETS = (13, 20, 23, 31, 34, 35, 40, 52, 54, 104, 142, 151, 157, 185, 199, 216)
# (kind, weight): how often each conversation kind starts; weights are per conversation
MIX = (("dns", 40), ("tls", 24), ("quic", 10), ("http", 7), ("ntp", 3), ("ping", 2),
       ("rejected", 3), ("noanswer", 2), ("ssh", 1), ("bulk", 1.2), ("dhcp", 0.3), ("scan", 0.01))


class Office:
    """The hosts, servers and the random stream that pick each next conversation."""

    def __init__(self, hosts: int, seed: int, max_transfer: int = 8_000_000):
        self.rng = random.Random(seed)
        self.max_transfer = max_transfer
        r = self.rng
        self.clients = [C.endpoint(f"10.20.{i // 250}.{i % 250 + 2}") for i in range(hosts)]
        self.v6 = {i: C.endpoint(f"2001:db8:20::{i + 2:x}") for i in range(0, hosts, 10)}
        self.resolver = C.endpoint("10.20.255.1", 53)
        self.dhcp = C.endpoint("10.20.255.1", 67)
        self.files = C.endpoint("10.20.255.10", 445)
        self.ssh = C.endpoint("10.20.255.22", 22)
        n_remote = max(50, hosts // 2)
        self.remote = [C.endpoint(f"{r.choice(PUBLIC_FIRST_OCTETS)}.{r.randrange(256)}."
                                  f"{r.randrange(256)}.{r.randrange(1, 255)}", mac=ROUTER_MAC)
                       for _ in range(n_remote)]
        self.remote6 = [C.endpoint(f"2606:4700:{r.randrange(65536):x}::{r.randrange(1, 65536):x}",
                                   mac=ROUTER_MAC) for _ in range(max(10, n_remote // 10))]
        self.site_ip = {s: r.randrange(n_remote) for s in SITES + QUIC_SITES}
        self.kinds = [k for k, _ in MIX]
        self.cum = list(itertools.accumulate(w for _, w in MIX))
        self.ports = itertools.cycle(range(49152, 65536))

    def client(self, v6_ok: bool = True):
        i = self.rng.randrange(len(self.clients))
        if v6_ok and i in self.v6 and self.rng.random() < 0.5:
            return self.v6[i]._replace(port=next(self.ports)), True
        return self.clients[i]._replace(port=next(self.ports)), False

    def server(self, site: str, port: int, v6: bool):
        pool = self.remote6 if v6 else self.remote
        return pool[self.site_ip[site] % len(pool)]._replace(port=port)

    def conversation(self, kind: str, t: float, scan_ports: int = 300) -> list:
        """One conversation of `kind` starting at t, as a time-sorted list of (ts, frame)."""
        r = self.rng
        if kind == "dns":
            c, _ = self.client(False)
            qtype = r.choice(("A", "A", "A", "AAAA", "HTTPS"))
            name = r.choice(SITES)
            if qtype == "HTTPS":
                return C.dns_lookup(r, c, self.resolver, t, name, "HTTPS", answers=[], rcode="NOERROR")
            if r.random() < 0.04:
                return C.dns_lookup(r, c, self.resolver, t, f"wpad.{name}", qtype, rcode="NXDOMAIN")
            return C.dns_lookup(r, c, self.resolver, t, name, qtype)
        if kind == "tls":
            c, v6 = self.client()
            site = r.choice(SITES)
            return C.tls_session(r, c, self.server(site, 443, v6), t, site, tls13=r.random() < 0.8,
                                 up=r.randint(300, 4000),
                                 down=min(int(r.paretovariate(1.2) * 6000), self.max_transfer),
                                 rtt=r.uniform(0.005, 0.08))
        if kind == "quic":
            c, v6 = self.client()
            site = r.choice(QUIC_SITES)
            return C.quic_session(r, c, self.server(site, 443, v6), t, site,
                                  down=min(int(r.paretovariate(1.1) * 15000), 1_000_000, self.max_transfer))
        if kind == "http":
            c, v6 = self.client()
            site = r.choice(SITES)
            return C.http_get(r, c, self.server(site, 80, v6), t, site, r.choice(("/", "/index.html", "/ncsi.txt", "/connecttest.txt")),
                              body_size=min(r.randint(20, 30000), self.max_transfer), requests=r.choice((1, 1, 2, 4)))
        if kind == "ntp":
            c, _ = self.client(False)
            req = b"\xe3\x00\x06\xec" + b"\x00" * 36 + r.randbytes(8)
            return C.udp_exchange(r, c, self.remote[0]._replace(port=123), t,
                                  [(req, b"\x24\x02\x06\xe9" + r.randbytes(44))], rtt=0.03)
        if kind == "ping":
            c, _ = self.client(False)
            return C.ping(r, c._replace(port=0), r.choice(self.remote), t, count=r.choice((1, 4)))
        if kind == "rejected":
            c, _ = self.client(False)
            return C.tcp_rejected(r, c, self.files._replace(port=r.choice((139, 3389, 8080))), t, 0.0005)
        if kind == "noanswer":
            c, _ = self.client(False)
            return C.tcp_no_answer(r, c, r.choice(self.remote)._replace(port=r.choice((443, 8443, 5228))), t)
        if kind == "ssh":
            c, _ = self.client(False)
            return C.ssh_session(r, c, self.ssh, t, session_bytes=r.randint(800, 20000))
        if kind == "bulk":
            c, _ = self.client(False)
            size = min(int(r.paretovariate(1.0) * 200_000), self.max_transfer)
            if r.random() < 0.3:  # a software update fetched over plain HTTP
                return C.http_get(r, c, self.server("update.microsoft.com", 80, False), t,
                                  "update.microsoft.com", "/c/msdownload/update/software/kb.cab",
                                  body_size=size, content_type="application/vnd.ms-cab-compressed")
            return C.bulk_transfer(r, c, self.files, t, size, upload=r.random() < 0.3,
                                   rate=r.choice((12.5e6, 50e6, 100e6)), rtt=0.0005)
        if kind == "dhcp":
            i = r.randrange(len(self.clients))
            cl = self.clients[i]
            return C.dhcp_exchange(r, cl.mac, self.dhcp, t, f"10.20.{i // 250}.{i % 250 + 2}",
                                   hostname=f"desk-{i:04d}")
        if kind == "scan":
            scanner, _ = self.client(False)
            target = self.files if r.random() < 0.5 else r.choice(self.clients)
            ports = r.sample(range(1, 1025), scan_ports)
            return C.port_scan(r, scanner._replace(port=r.randint(40000, 60000)), target, t, ports,
                               open_ports={22, 80, 443, 445})
        raise ValueError(kind)

    def prelude(self, t: float):
        """One of each kind first, so that even a small file holds the whole mix."""
        for i, kind in enumerate(self.kinds):
            yield self.conversation(kind, t + i * 0.05, scan_ports=100)

    def next_kind(self) -> str:
        x = self.rng.random() * self.cum[-1]
        for kind, edge in zip(self.kinds, self.cum):
            if x < edge:
                return kind
        return self.kinds[-1]


def office_packets(hosts: int, seed: int, rate: float = 150.0, max_transfer: int = 8_000_000):
    """Endless time-ordered (ts, frame) stream of the office mix; `rate` conversations/s."""
    office = Office(hosts, seed, max_transfer)
    rng, heap, seq = office.rng, [], itertools.count()
    for conv in office.prelude(START):
        heapq.heappush(heap, (conv[0][0], next(seq), 0, conv))
    arrival = START + 1.0
    while True:
        while not heap or arrival <= heap[0][0]:
            conv = office.conversation(office.next_kind(), arrival)
            if conv:
                heapq.heappush(heap, (conv[0][0], next(seq), 0, conv))
            arrival += rng.expovariate(rate)
        ts, n, i, conv = heap[0]
        yield conv[i]
        if i + 1 < len(conv):
            heapq.heapreplace(heap, (conv[i + 1][0], n, i + 1, conv))
        else:
            heapq.heappop(heap)


def concurrent_packets(flows: int, seed: int, open_seconds: float = 40.0):
    """`flows` connections (4 TCP : 1 UDP) all opened within open_seconds, then all closed:
    every one is open at once, which is what the memory test needs. Per-flow values come from
    the flow's index, so nothing per flow is held between the opening and closing passes."""
    rng = random.Random(seed)
    salt = rng.getrandbits(32)
    server = C.endpoint("10.30.0.10", 443)
    router = ROUTER_MAC
    step = open_seconds / flows

    def flow(i):
        c_ip = bytes((10, 40 + (i >> 16) % 64, (i >> 8) & 0xFF, i & 0xFF))
        s_ip = bytes((52, (i * 7) & 0xFF, (i >> 8) & 0xFF, 1 + i % 250)) if i % 3 else server.ip
        cport, sport = 1024 + (i * 13) % 64000, (443, 80, 22, 8443, 53)[i % 5]
        cseq, sseq = (i * 2654435761 ^ salt) & 0xFFFFFFFF, (i * 40503 ^ salt) & 0xFFFFFFFF
        return c_ip, s_ip, cport, sport, cseq, sseq

    def frame(src, dst, l4, proto, from_c):
        smac, dmac = (b"\x02\x00" + src, router) if from_c else (router, b"\x02\x00" + dst)
        return F.ethernet(smac, dmac, F.ETH_IPV4, F.ipv4(src, dst, proto, l4))

    def tcp(src, dst, sp, dp, seq, ack, flags, data=b"", from_c=True):
        return frame(src, dst, F.tcp(src, dst, sp, dp, seq, ack, flags, data), F.PROTO_TCP, from_c)

    t = START
    for i in range(flows):
        c, s, cp, sp, cs, ss = flow(i)
        if sp == 53:
            yield t, frame(c, s, F.udp(c, s, cp, sp, b"q" * 40), F.PROTO_UDP, True)
            yield t + 0.001, frame(s, c, F.udp(s, c, sp, cp, b"r" * 80), F.PROTO_UDP, False)
        else:
            yield t, tcp(c, s, cp, sp, cs, 0, F.SYN)
            yield t + 0.001, tcp(s, c, sp, cp, ss, cs + 1, F.SYN | F.ACK, from_c=False)
            yield t + 0.0011, tcp(c, s, cp, sp, cs + 1, ss + 1, F.ACK | F.PSH, b"x" * 100)
            yield t + 0.002, tcp(s, c, sp, cp, ss + 1, cs + 101, F.ACK | F.PSH, b"y" * 200, False)
        t += step
    for i in range(flows):
        c, s, cp, sp, cs, ss = flow(i)
        if sp != 53:
            yield t, tcp(c, s, cp, sp, cs + 101, ss + 201, F.FIN | F.ACK)
            yield t + 0.0001, tcp(s, c, sp, cp, ss + 201, cs + 102, F.FIN | F.ACK, from_c=False)
            yield t + 0.0002, tcp(c, s, cp, sp, cs + 102, ss + 202, F.ACK)
        t += step / 4


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="capture to write (.gz to compress)")
    ap.add_argument("--packets", type=int, default=1_000_000, help="packets to write (office mix)")
    ap.add_argument("--hosts", type=int, default=2000, help="office hosts")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rate", type=float, default=150.0, help="new conversations per second")
    ap.add_argument("--max-transfer", type=int, default=8_000_000, help="cap on the bytes any one conversation moves (small samples)")
    ap.add_argument("--concurrent", type=int, metavar="FLOWS",
                    help="instead: FLOWS connections all open at once (memory test)")
    ap.add_argument("--nano", action="store_true", help="nanosecond timestamps")
    ap.add_argument("--pcapng", action="store_true", help="write pcapng instead of classic pcap")
    args = ap.parse_args(argv)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    if args.concurrent:
        stream = concurrent_packets(args.concurrent, args.seed)
    else:
        stream = itertools.islice(office_packets(args.hosts, args.seed, args.rate, args.max_transfer),
                                  args.packets)
    writer = PcapngWriter(args.out, nano=args.nano) if args.pcapng else PcapWriter(args.out, nano=args.nano)
    with writer as w:
        for ts, frame in stream:
            w.write(ts, frame)
    print(f"{args.out}: {w.count} packets", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
