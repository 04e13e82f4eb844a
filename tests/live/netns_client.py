"""Traffic for the end-to-end test, run inside the client namespace: DNS queries,
an HTTP and an HTTPS request, a small port scan, a large download. Prints what it did
(with its own source ports) as JSON, so the test can match conn.log exactly."""

import argparse
import http.client
import json
import os
import socket
import ssl
import struct


def dns_query(server: str, name: str) -> dict:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(3)
    qid = int.from_bytes(os.urandom(2), "big")
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    sock.sendto(struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname +
                struct.pack("!HH", 1, 1), (server, 53))
    reply = sock.recv(512)
    port = sock.getsockname()[1]
    sock.close()
    ancount = struct.unpack_from("!H", reply, 6)[0]
    answer = socket.inet_ntoa(reply[-4:]) if ancount else None
    return {"name": name, "port": port, "answer": answer, "rcode": reply[3] & 0x0F}


def http_get(server: str, path: str, tls: bool) -> dict:
    conn = http.client.HTTPConnection(server, 443 if tls else 80, timeout=10)
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        raw = socket.create_connection((server, 443), timeout=10)
        conn.sock = ctx.wrap_socket(raw, server_hostname="www.shoestring.test")   # SNI
    else:
        conn.connect()
    port = conn.sock.getsockname()[1]
    conn.request("GET", path, headers={"Host": "www.shoestring.test",
                                       "Connection": "close"})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return {"path": path, "port": port, "status": resp.status, "length": len(body),
            "tls": tls}


def probe(server: str, port: int) -> dict:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(2)
    sock.bind(("0.0.0.0", 0))
    src = sock.getsockname()[1]
    try:
        sock.connect((server, port))
        state = "open"
    except ConnectionRefusedError:
        state = "closed"
    except OSError:
        state = "filtered"
    sock.close()
    return {"port": port, "src": src, "state": state}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--server", required=True)
    p.add_argument("--scan", default="21,22,23,25")
    a = p.parse_args()
    done = {"dns": [dns_query(a.server, n) for n in
                    ("www.shoestring.test", "mail.shoestring.test", "nothere.shoestring.test")],
            "http": [http_get(a.server, "/", False), http_get(a.server, "/big.bin", False)],
            "https": [http_get(a.server, "/", True)],
            "scan": [probe(a.server, int(port)) for port in a.scan.split(",")]}
    print(json.dumps(done))


if __name__ == "__main__":
    main()
