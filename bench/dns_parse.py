"""DNS parsing speed: shoestring's struct parser vs dnspython's from_wire on one mix.

The mix (fixed seed) is what a resolver's port 53 carries: queries (most with an EDNS
OPT record) each followed by its reply -- A/AAAA with CNAME chains, PTR, MX, TXT, SRV, HTTPS,
NXDOMAIN with an SOA in the authority section. Run:

    .venv/bin/python bench/dns_parse.py [--messages 20000] [--seconds 3]

dnspython is only needed for the comparison (pip install dnspython); without it the
script prints shoestring's figures alone.
"""

from __future__ import annotations

import argparse
import random
import socket
import struct
import time

from shoestring.analyzers.dns import DnsAnalyzer
from shoestring.analyzers.dns.parse import parse_message

WORDS = ["mail", "www", "api", "cdn", "login", "static", "img", "update", "time", "ns1",
         "office", "portal", "vpn", "files", "edge", "eu-west-1", "s3", "auth"]
TLDS = ["com", "net", "org", "in", "co.in", "io"]


def _name(text: str) -> bytes:
    return b"".join(bytes([len(p)]) + p.encode() for p in text.split(".")) + b"\x00"


def _rr(owner: bytes, rtype: int, rdata: bytes, ttl: int) -> bytes:
    return owner + struct.pack("!2HIH", rtype, 1, ttl, len(rdata)) + rdata


OPT = b"\x00" + struct.pack("!2HIH", 41, 1232, 0, 0)


def make_mix(n: int, seed: int = 7) -> list[bytes]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        if i % 2 == 0:                     # a query; the reply that follows answers it
            host = f"{rnd.choice(WORDS)}.{rnd.choice(WORDS)}{rnd.randint(1, 99)}.{rnd.choice(TLDS)}"
            qtype = rnd.choices([1, 28, 12, 15, 16, 33, 65], [45, 25, 8, 5, 7, 3, 7])[0]
            tid = rnd.randint(0, 0xFFFF)
            edns = rnd.random() < 0.7
            question = _name(host) + struct.pack("!2H", qtype, 1)
            out.append(struct.pack("!6H", tid, 0x0100, 1, 0, 0, int(edns)) + question
                       + (OPT if edns else b""))
            continue
        owner = b"\xc0\x0c"
        answers, auth = [], []
        rcode = 3 if rnd.random() < 0.08 else 0
        if rcode:
            soa = _name("ns1.registry.net") + _name("hostmaster.registry.net") \
                + struct.pack("!5I", 2024010101, 1800, 900, 604800, 86400)
            auth.append(_rr(b"\xc0\x0c", 6, soa, 900))
        else:
            if rnd.random() < 0.35:                       # a CDN CNAME chain
                answers.append(_rr(owner, 5, _name(f"{host}.cdn.cloudfront.net"), 300))
                owner = bytes([0xC0 | 0, 12 + len(question) + 12])   # points at the target
            for _ in range(rnd.randint(1, 4)):
                if qtype == 1:
                    rdata = socket.inet_aton(f"10.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.7")
                elif qtype == 28:
                    rdata = socket.inet_pton(socket.AF_INET6, f"2001:db8::{rnd.randint(1, 9999):x}")
                elif qtype == 12:
                    rdata = _name(f"host-{rnd.randint(1, 999)}.isp.example.net")
                elif qtype == 15:
                    rdata = struct.pack("!H", 10) + _name(f"mx{rnd.randint(1, 3)}.mail.example.com")
                elif qtype == 16:
                    txt = f"v=spf1 include:_spf.example.com ~all {rnd.random()}".encode()
                    rdata = bytes([len(txt)]) + txt
                elif qtype == 33:
                    rdata = struct.pack("!3H", 0, 5, 443) + _name("svc.example.com")
                else:
                    rdata = struct.pack("!H", 1) + b"\x00" + bytes.fromhex("000100030268320004000401020304")
                answers.append(_rr(owner, qtype, rdata, rnd.randint(30, 86400)))
        out.append(struct.pack("!6H", tid, 0x8180 | rcode, 1, len(answers), len(auth), int(edns))
                   + question + b"".join(answers) + b"".join(auth) + (OPT if edns else b""))
    return out


def rate(fn, msgs, seconds: float) -> float:
    """Messages per second of this process's CPU time (time.process_time), so that other
    work on a busy 2-core box does not skew the figure; best of three rounds."""
    best = 0.0
    for _ in range(3):
        done = 0
        start = time.process_time()
        deadline = start + seconds / 3
        while True:
            for m in msgs:
                fn(m)
            done += len(msgs)
            now = time.process_time()
            if now >= deadline:
                break
        best = max(best, done / (now - start))
    return best


class _NullContext:
    uid, orig_h, orig_p, resp_h, resp_p, proto = "C1", "10.0.0.1", 40000, "10.0.0.2", 53, "udp"
    local_orig = True

    def id_fields(self):
        return {"uid": self.uid, "id.orig_h": self.orig_h, "id.orig_p": self.orig_p,
                "id.resp_h": self.resp_h, "id.resp_p": self.resp_p}

    def emit(self, log, record): pass
    def weird(self, name, addl=None, ts=None): pass
    def confirm(self, service=None): pass
    def violation(self, reason): pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    msgs = make_mix(args.messages)
    avg = sum(map(len, msgs)) / len(msgs)
    print(f"mix: {len(msgs)} messages, {avg:.0f} bytes on average")
    ours = rate(parse_message, msgs, args.seconds)
    print(f"shoestring parse_message (answers, as dns.log needs): {ours:>10,.0f} messages/s")
    whole = rate(lambda m: parse_message(m, all_sections=True), msgs, args.seconds)
    print(f"shoestring parse_message (all sections):            {whole:>10,.0f} messages/s")
    analyzer = DnsAnalyzer(_NullContext())
    ts = [0.0]

    def through_analyzer(m):
        ts[0] += 0.001
        analyzer.deliver(not m[2] & 0x80, m, ts[0])
    full = rate(through_analyzer, msgs, args.seconds)
    print(f"shoestring DnsAnalyzer.deliver (parse + pairing):   {full:>10,.0f} messages/s")
    try:
        import dns.message
    except ImportError:
        print("dnspython not installed: no comparison")
        return
    theirs = rate(dns.message.from_wire, msgs, args.seconds)
    print(f"dnspython {dns.version.version} message.from_wire:                {theirs:>10,.0f} messages/s")
    print(f"speed-up (answers path): {ours / theirs:.1f}x")


if __name__ == "__main__":
    main()
