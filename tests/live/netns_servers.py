"""Servers for the end-to-end test, run inside the server namespace:
DNS on UDP 53 (a few fixed A records), HTTP on 80 and HTTPS on 443 serving a folder.
Prints "ready" once all listen; stops on SIGTERM or after --lifetime seconds."""

import argparse
import functools
import http.server
import signal
import socket
import ssl
import struct
import sys
import threading
import time

RECORDS = {"www.shoestring.test": "10.77.0.2", "mail.shoestring.test": "10.77.0.2",
           "files.shoestring.test": "10.77.0.3"}


def dns_answer(query: bytes) -> bytes | None:
    if len(query) < 12:
        return None
    qid, _flags, qdcount = struct.unpack_from("!HHH", query)
    if qdcount != 1:
        return None
    labels, pos = [], 12
    while pos < len(query) and query[pos] and len(labels) < 64:
        n = query[pos]
        labels.append(query[pos + 1:pos + 1 + n].decode("ascii", "replace"))
        pos += 1 + n
    end = pos + 5
    if end > len(query):
        return None
    qtype = struct.unpack_from("!H", query, pos + 1)[0]
    question = query[12:end]
    name = ".".join(labels).lower()
    addr = RECORDS.get(name)
    if addr is None or qtype != 1:
        return struct.pack("!HHHHHH", qid, 0x8183, 1, 0, 0, 0) + question   # NXDOMAIN
    answer = struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4) + socket.inet_aton(addr)
    return struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + question + answer


def serve_dns(sock):
    while True:
        data, peer = sock.recvfrom(512)
        reply = dns_answer(data)
        if reply:
            sock.sendto(reply, peer)


class Quiet(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--addr", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--lifetime", type=float, default=60.0)
    a = p.parse_args()
    dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dns.bind((a.addr, 53))
    threading.Thread(target=serve_dns, args=(dns,), daemon=True).start()
    handler = functools.partial(Quiet, directory=a.root)
    web = http.server.ThreadingHTTPServer((a.addr, 80), handler)
    tls = http.server.ThreadingHTTPServer((a.addr, 443), handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
    for srv in (web, tls):
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    time.sleep(a.lifetime)


if __name__ == "__main__":
    main()
