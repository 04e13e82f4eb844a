"""Seeded generator of realistic conn/dns/http/ssl records (an office's traffic), for the
store's tests and benchmark (bench/store_bench.py imports it).

Every connection gets a conn record; DNS, HTTP and TLS connections get their dns, http or
ssl record with the same uid, the way Zeek writes them. Records come out in network-time
order of their writing (the protocol record at its start, conn at the connection's end).
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import ipaddress
import random
import struct

DOMAINS = ("example.com", "mail.example.com", "cdn.example.net", "login.bank.in",
           "updates.vendor.org", "api.cloud.io", "intranet.office.lan", "news.site.in",
           "video.stream.tv", "evil-c2.badhost.ru")
USER_AGENTS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "curl/8.4.0",
               "Microsoft-CryptoAPI/10.0", "Debian APT-HTTP/1.3")
# Shares of connections by service (the rest are other TCP/UDP): the bench mix.
MIX = (("dns", 0.40), ("ssl", 0.30), ("http", 0.05))


def community_id(orig_h: str, orig_p: int, resp_h: str, resp_p: int, proto: int) -> str:
    """Community ID v1 (seed 0): sha1 over the ordered endpoints, base64."""
    a, b = ipaddress.ip_address(orig_h).packed, ipaddress.ip_address(resp_h).packed
    if (a, orig_p) > (b, resp_p):
        a, b, orig_p, resp_p = b, a, resp_p, orig_p
    data = struct.pack("!H", 0) + a + b + struct.pack("!BBHH", proto, 0, orig_p, resp_p)
    return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode()


class OfficeTraffic:
    def __init__(self, seed: int = 1, hosts: int = 50):
        self.rng = random.Random(seed)
        self.hosts = [f"10.1.0.{i}" for i in range(10, 10 + hosts)]
        self.n = 0

    def uid(self) -> str:
        self.n += 1
        return "C" + base64.b32encode(struct.pack("!Q", self.n * 2654435761 % (1 << 64))
                                      ).decode().rstrip("=")[:17]

    def records(self, start: float, count: int, span: float):
        """``count`` connections spread over ``span`` seconds from ``start``:
        yields (log, record) in writing order."""
        rng = self.rng
        step = span / count
        pending: list[tuple[float, int, dict]] = []  # heap of conns waiting for their end
        t = start
        for i in range(count):
            t += rng.random() * 2 * step
            while pending and pending[0][0] <= t:
                yield "conn", heapq.heappop(pending)[2]
            pick, service = rng.random(), None
            for name, share in MIX:
                if pick < share:
                    service = name
                    break
                pick -= share
            orig = rng.choice(self.hosts)
            if service == "dns":
                resp, rport, proto = "10.1.0.1", 53, "udp"
            else:
                resp = f"{rng.choice((23, 52, 104, 142, 151))}.{rng.randrange(256)}." \
                       f"{rng.randrange(256)}.{rng.randrange(1, 255)}"
                rport = {"ssl": 443, "http": 80}.get(service, rng.choice((22, 123, 8080, 5222)))
                proto = "udp" if rport == 123 else "tcp"
            oport = rng.randrange(32768, 61000)
            uid = self.uid()
            ids = {"ts": round(t, 6), "uid": uid, "id.orig_h": orig, "id.orig_p": oport,
                   "id.resp_h": resp, "id.resp_p": rport}
            domain = rng.choice(DOMAINS)
            if service == "dns":
                yield "dns", {**ids, "proto": "udp", "trans_id": rng.randrange(65536),
                              "rtt": round(rng.random() * 0.05, 6), "query": domain,
                              "qclass": 1, "qclass_name": "C_INTERNET", "qtype": 1,
                              "qtype_name": "A", "rcode": 0, "rcode_name": "NOERROR",
                              "AA": False, "TC": False, "RD": True, "RA": True, "Z": 0,
                              "answers": [f"93.184.{rng.randrange(256)}.{rng.randrange(256)}"],
                              "TTLs": [300.0], "rejected": False}
            elif service == "http":
                yield "http", {**ids, "trans_depth": 1, "method": "GET", "host": domain,
                               "uri": f"/path/{rng.randrange(10**6)}", "version": "1.1",
                               "user_agent": rng.choice(USER_AGENTS),
                               "request_body_len": 0,
                               "response_body_len": rng.randrange(100, 10**6),
                               "status_code": 200, "status_msg": "OK", "tags": set(),
                               "resp_fuids": [f"F{uid[1:]}"],
                               "resp_mime_types": ["text/html"]}
            elif service == "ssl":
                yield "ssl", {**ids, "version": "TLSv13", "cipher": "TLS_AES_128_GCM_SHA256",
                              "curve": "x25519", "server_name": domain, "resumed": False,
                              "established": True, "ssl_history": "CsiI",
                              "ja3": hashlib.md5(domain.encode()).hexdigest()}
            duration = round(rng.expovariate(1 / 20.0), 6) if service != "dns" else 0.02
            ob, rb = rng.randrange(0, 5000), rng.randrange(0, 500000)
            conn = {**ids, "proto": proto, "service": service if service != "ssl" else "ssl",
                    "duration": duration, "orig_bytes": ob, "resp_bytes": rb,
                    "conn_state": "SF", "local_orig": True, "local_resp": resp.startswith("10."),
                    "missed_bytes": 0, "history": "ShADadFf" if proto == "tcp" else "Dd",
                    "orig_pkts": 4 + ob // 1400, "orig_ip_bytes": 200 + ob,
                    "resp_pkts": 4 + rb // 1400, "resp_ip_bytes": 200 + rb,
                    "ip_proto": 6 if proto == "tcp" else 17,
                    "community_id": community_id(orig, oport, resp, rport,
                                                 6 if proto == "tcp" else 17)}
            heapq.heappush(pending, (t + duration, i, conn))
        while pending:
            yield "conn", heapq.heappop(pending)[2]
