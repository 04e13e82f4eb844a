"""Whole conversations as lists of (ts, frame): TCP variants, DNS, HTTP, TLS, QUIC, DHCP,
SSH, bulk transfers, port scans. Deterministic: every random choice comes from the `rng`
(a random.Random) passed in, and every list comes out sorted by time.

    rng = random.Random(1)
    c, s = endpoint("10.1.0.5", 51000), endpoint("93.184.216.34", 80)
    packets = http_get(rng, c, s, 1700000000.0, "example.com", "/")
"""

from __future__ import annotations

import email.utils
import struct

from . import dnswire, quicwire, tlswire
from . import frames as F
from .tcpconv import Endpoint, TcpConv, Wire, endpoint, tcp_no_answer, tcp_rejected

__all__ = ["Endpoint", "endpoint", "TcpConv", "tcp_session", "tcp_rejected", "tcp_no_answer",
           "tcp_half_open", "udp_exchange", "dns_lookup", "http_get", "tls_session",
           "quic_session", "bulk_transfer", "port_scan", "dhcp_exchange", "ssh_session", "ping"]

USER_AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def tcp_session(rng, client: Endpoint, server: Endpoint, t0: float, exchanges=((b"", b""),),
                close: str = "fin", rtt: float = 0.02, **kw) -> list:
    """Handshake, then for each (client_bytes, server_bytes) the client sends and the server
    answers, then `close`: "fin" (SF), "fin_server" (server closes first), "rst_client"
    (RSTO), "rst_server" (RSTR), "half" (client FIN only: S2), "none" (left open: S1)."""
    c = TcpConv(rng, client, server, t0, rtt, **kw).handshake()
    for up, down in exchanges:
        if up:
            c.send(True, up, think=0.001)
        if down:
            c.send(False, down)
    if close == "fin":
        c.fin(True)
    elif close == "fin_server":
        c.fin(False)
    elif close == "rst_client":
        c.reset(True)
    elif close == "rst_server":
        c.reset(False)
    elif close == "half":
        c.half_close(True)
    elif close != "none":
        raise ValueError(f"unknown close {close!r}")
    return c.sorted()


def tcp_half_open(rng, client: Endpoint, server: Endpoint, t0: float, data: bytes = b"x" * 100) -> list:
    """A connection seen only from the middle: data flows but neither SYN nor FIN is seen
    (what a sensor started mid-connection sees; Zeek's OTH)."""
    c = TcpConv(rng, client, server, t0)
    c.send(True, data)
    c.send(False, data)
    return c.sorted()


def udp_exchange(rng, client: Endpoint, server: Endpoint, t0: float, pairs, rtt: float = 0.01,
                 **kw) -> list:
    """Request/response datagrams; `pairs` is a list of (request, response-or-None)."""
    w, t, out = Wire(rng, client, server), t0, []
    for req, resp in pairs:
        out.append((t, w.udp(True, req, **kw)))
        if resp is not None:
            out.append((t + rtt, w.udp(False, resp, **kw)))
        t += rtt + 0.001
    return out


def dns_lookup(rng, client: Endpoint, resolver: Endpoint, t0: float, name: str,
               qtype: str = "A", answers=None, rcode: str = "NOERROR", rtt: float = 0.004) -> list:
    """One DNS query over UDP and its answer; `answers=None` makes up a plausible A/AAAA."""
    txid = rng.getrandbits(16)
    if answers is None:
        if rcode != "NOERROR":
            answers = []
        elif qtype == "AAAA":
            answers = [("AAAA", f"2606:4700::{rng.getrandbits(16):x}")]
        else:
            answers = [("A", f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}."
                             f"{rng.randint(1, 254)}")]
    q = dnswire.query(txid, name, qtype)
    r = dnswire.response(txid, name, qtype, answers, rcode, ttl=rng.choice((60, 300, 3600)))
    return udp_exchange(rng, client, resolver, t0, [(q, r)], rtt)


def http_request(host: str, path: str, method: str = "GET", body: bytes = b"") -> bytes:
    head = (f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}\r\n"
            "Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\nAccept-Encoding: gzip, deflate\r\n"
            "Connection: keep-alive\r\n")
    if body:
        head += f"Content-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


def http_response(rng, t: float, status: int = 200, body_size: int = 1024,
                  content_type: str = "text/html; charset=utf-8") -> bytes:
    reason = {200: "OK", 301: "Moved Permanently", 304: "Not Modified", 404: "Not Found"}.get(status, "OK")
    if content_type.startswith("text/"):
        unit = b"<p>Shoestring synthetic page: lorem ipsum dolor sit amet.</p>\n"
        body = (b"<!DOCTYPE html>\n<html><body>\n" + unit * (body_size // len(unit) + 1))[:body_size]
    else:
        body = rng.randbytes(body_size)
    head = (f"HTTP/1.1 {status} {reason}\r\nDate: {email.utils.formatdate(t, usegmt=True)}\r\n"
            f"Server: nginx/1.24.0\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            "Connection: keep-alive\r\n\r\n")
    return head.encode() + body


def http_get(rng, client: Endpoint, server: Endpoint, t0: float, host: str, path: str = "/",
             body_size: int = 2048, status: int = 200, requests: int = 1,
             content_type: str = "text/html; charset=utf-8", rtt: float = 0.02) -> list:
    """HTTP/1.1 GETs (keep-alive, `requests` of them) and their responses over one TCP
    connection, closed with FINs."""
    ex = [(http_request(host, path if i == 0 else f"{path}asset{i}.js"),
           http_response(rng, t0 + i * rtt, status, body_size, content_type)) for i in range(requests)]
    return tcp_session(rng, client, server, t0, ex, rtt=rtt)


def tls_session(rng, client: Endpoint, server: Endpoint, t0: float, sni: str | None,
                alpn=("h2", "http/1.1"), tls13: bool = True, up: int = 600, down: int = 8000,
                rtt: float = 0.02, close: str = "fin") -> list:
    """A TLS 1.3 or 1.2 handshake (with SNI and ALPN) and application data each way."""
    chosen = alpn[0] if alpn else None
    ex = [(tlswire.client_flight(rng, sni, alpn, tls13), tlswire.server_flight(rng, sni, chosen, tls13)),
          (tlswire.client_finish(rng, tls13) + tlswire.app_data(rng, up),
           tlswire.server_finish(rng, tls13) + tlswire.app_data(rng, down))]
    return tcp_session(rng, client, server, t0, ex, close=close, rtt=rtt)


def quic_session(rng, client: Endpoint, server: Endpoint, t0: float, sni: str, alpn=("h3",),
                 down: int = 20000, rtt: float = 0.02) -> list:
    """A QUIC v1 connection: real, decryptable Initials both ways (RFC 9001), then Handshake
    and 1-RTT packets of realistic sizes. QUIC connections end by idling out, as most do."""
    w = Wire(rng, client, server)
    dcid, cscid, sscid = rng.randbytes(8), rng.randbytes(8), rng.randbytes(8)
    out = [(t0, w.udp(True, quicwire.client_initial(rng, dcid, cscid, sni, alpn)))]
    t = t0 + rtt
    out.append((t, w.udp(False, quicwire.server_initial(rng, dcid, cscid, sscid))))
    t += 0.0003
    out.append((t, w.udp(False, quicwire.handshake_packet(rng, cscid, sscid, 1150))))
    t += 0.001
    out.append((t, w.udp(True, quicwire.handshake_packet(rng, sscid, cscid, 90))))
    out.append((t + 0.0002, w.udp(True, quicwire.short_packet(rng, sscid, 120))))
    t += rtt
    sent = 0
    while sent < down:
        n = min(1252, down - sent)
        out.append((t, w.udp(False, quicwire.short_packet(rng, cscid, n))))
        sent += n
        t += 0.0002
        if (sent // 1252) % 2 == 0:
            out.append((t, w.udp(True, quicwire.short_packet(rng, sscid, 40))))
    return out


SMB2_HDR = struct.Struct("<4sHHIHHIIQIIQ16s")  # MS-SMB2 2.2.1.2 (sync header), 64 bytes
SMB2_READ, SMB2_WRITE = 0x0008, 0x0009
SMB_CHUNK = 1 << 20  # Windows clients read and write files in 1 MiB requests


def _smb2(command: int, message_id: int, response: bool, body: bytes, tree: int, session: int) -> bytes:
    """One SMB2 message behind its 4-byte NetBIOS session header (RFC 1002 / MS-SMB2 2.1)."""
    hdr = SMB2_HDR.pack(b"\xfeSMB", 64, 1, 0, command, 1, 1 if response else 0, 0, message_id,
                        0xFEFF, tree, session, b"\x00" * 16)
    msg = hdr + body
    return struct.pack("!I", len(msg)) + msg


def bulk_transfer(rng, client: Endpoint, server: Endpoint, t0: float, nbytes: int,
                  upload: bool = False, rate: float = 12.5e6, rtt: float = 0.005) -> list:
    """A file copied to or from a Windows share: SMB2 READ or WRITE requests of up to 1 MiB
    and their responses over one TCP connection (the session setup is left out)."""
    c = TcpConv(rng, client, server, t0, rtt, rate).handshake()
    tree, session, file_id = rng.getrandbits(32), rng.getrandbits(64), rng.randbytes(16)
    for mid, off in enumerate(range(0, max(nbytes, 1), SMB_CHUNK), start=10):
        n = min(SMB_CHUNK, nbytes - off)
        data = rng.randbytes(n)
        if upload:
            req = struct.pack("<HHIQ16sIIHHI", 49, 0x70, n, off, file_id, 0, 0, 0, 0, 0) + data
            resp = struct.pack("<HHIIHH", 17, 0, n, 0, 0, 0)
            cmd = SMB2_WRITE
        else:
            req = struct.pack("<HBBIQ16sIIIHHB", 49, 0x50, 0, n, off, file_id, 1, 0, 0, 0, 0, 0)
            resp = struct.pack("<HBBIII", 17, 0x50, 0, n, 0, 0) + data
            cmd = SMB2_READ
        c.send(True, _smb2(cmd, mid, False, req, tree, session), think=0.0002)
        c.send(False, _smb2(cmd, mid, True, resp, tree, session))
    return c.fin(True).sorted()


def port_scan(rng, scanner: Endpoint, target: Endpoint, t0: float, ports, open_ports=(),
              interval: float = 0.0005) -> list:
    """A SYN scan: one SYN per port from one source port; closed ports answer RST-ACK, open
    ones SYN-ACK followed by the scanner's RST (nmap -sS)."""
    out, t = [], t0
    for port in ports:
        dst = target._replace(port=port)
        if port in open_ports:
            c = TcpConv(rng, scanner, dst, t, 0.001)
            c.pkt(True, F.SYN, options=F.tcp_options(mss=1460))
            c.t += 0.001
            c.pkt(False, F.SYN | F.ACK, options=F.tcp_options(mss=1460))
            c.t += 0.00005
            c.pkt(True, F.RST)
            out += c.out
        else:
            out += tcp_rejected(rng, scanner, dst, t, 0.001)
        t += interval
    out.sort(key=lambda p: p[0])
    return out


def _dhcp(op: int, xid: int, mac: bytes, msg_type: int, yiaddr: bytes, siaddr: bytes,
          options: bytes) -> bytes:
    """A BOOTP/DHCP message (RFC 2131 section 2, options per RFC 2132)."""
    head = struct.pack("!BBBBIHH4s4s4s4s16s64s128sI", op, 1, 6, 0, xid, 0, 0x8000, b"\0" * 4,
                       yiaddr, siaddr, b"\0" * 4, mac, b"", b"", 0x63825363)
    return head + bytes([53, 1, msg_type]) + options + b"\xff"


def dhcp_exchange(rng, client_mac, server: Endpoint, t0: float, offered: str,
                  hostname: str = "desk-01", lease: int = 86400) -> list:
    """DISCOVER, OFFER, REQUEST, ACK between a booting client and the office DHCP server."""
    mac = F.mac_bytes(client_mac)
    xid, yi, sid = rng.getrandbits(32), F.ip_bytes(offered), server.ip
    zero, bcast, bmac = F.ip_bytes("0.0.0.0"), F.ip_bytes("255.255.255.255"), b"\xff" * 6
    name = hostname.encode()
    params = bytes([55, 4, 1, 3, 6, 15]) + bytes([61, 7, 1]) + mac + bytes([12, len(name)]) + name
    srv_opts = (bytes([54, 4]) + sid + struct.pack("!BBI", 51, 4, lease) + bytes([1, 4, 255, 255, 255, 0])
                + bytes([3, 4]) + sid + bytes([6, 4]) + sid)
    msgs = [(True, _dhcp(1, xid, mac, 1, zero, zero, params)),
            (False, _dhcp(2, xid, mac, 2, yi, sid, srv_opts)),
            (True, _dhcp(1, xid, mac, 3, zero, zero, bytes([50, 4]) + yi + bytes([54, 4]) + sid + params)),
            (False, _dhcp(2, xid, mac, 5, yi, sid, srv_opts))]
    out, t = [], t0
    for from_client, payload in msgs:
        if from_client:
            l4 = F.udp(zero, bcast, 68, 67, payload)
            frame = F.ethernet(mac, bmac, F.ETH_IPV4, F.ipv4(zero, bcast, F.PROTO_UDP, l4, ttl=64, df=False))
        else:
            l4 = F.udp(sid, bcast, 67, 68, payload)
            frame = F.ethernet(server.mac, bmac, F.ETH_IPV4, F.ipv4(sid, bcast, F.PROTO_UDP, l4, ttl=64))
        out.append((t, frame))
        t += 0.002 if from_client else 0.0005
    return out


def _ssh_packet(rng, payload: bytes) -> bytes:
    """SSH binary packet (RFC 4253 section 6), unencrypted, padded to a multiple of 8."""
    pad = 8 - (5 + len(payload)) % 8
    pad += 8 if pad < 4 else 0
    return struct.pack("!IB", 1 + len(payload) + pad, pad) + payload + rng.randbytes(pad)


def _namelist(names: str) -> bytes:
    return struct.pack("!I", len(names)) + names.encode()


def ssh_kexinit(rng) -> bytes:
    """SSH_MSG_KEXINIT (RFC 4253 section 7.1) with OpenSSH 9's algorithm lists."""
    lists = ("curve25519-sha256,ecdh-sha2-nistp256,diffie-hellman-group14-sha256",
             "ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256",
             "chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes256-ctr",
             "chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes256-ctr",
             "umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-256",
             "umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-256",
             "none,zlib@openssh.com", "none,zlib@openssh.com", "", "")
    body = b"\x14" + rng.randbytes(16) + b"".join(_namelist(n) for n in lists) + b"\x00" + b"\0" * 4
    return _ssh_packet(rng, body)


def _sshstr(b: bytes) -> bytes:
    return struct.pack("!I", len(b)) + b


def ssh_ecdh_reply(rng) -> bytes:
    """SSH_MSG_KEX_ECDH_REPLY (RFC 5656 section 4): Ed25519 host key, server's ephemeral
    key, signature; the host key is what Zeek fingerprints into ssh.log."""
    host_key = _sshstr(b"ssh-ed25519") + _sshstr(rng.randbytes(32))
    sig = _sshstr(b"ssh-ed25519") + _sshstr(rng.randbytes(64))
    return b"\x1f" + _sshstr(host_key) + _sshstr(rng.randbytes(32)) + _sshstr(sig)


def ssh_session(rng, client: Endpoint, server: Endpoint, t0: float,
                client_banner: str = "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5",
                server_banner: str = "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10",
                session_bytes: int = 4000, rtt: float = 0.01) -> list:
    """Banner exchange, KEXINITs, ECDH key exchange, NEWKEYS, then encrypted session data."""
    c = TcpConv(rng, client, server, t0, rtt).handshake()
    c.send(False, server_banner.encode() + b"\r\n")
    c.send(True, client_banner.encode() + b"\r\n")
    c.send(False, ssh_kexinit(rng))
    c.send(True, ssh_kexinit(rng))
    c.send(True, _ssh_packet(rng, b"\x1e" + struct.pack("!I", 32) + rng.randbytes(32)))
    c.send(False, _ssh_packet(rng, ssh_ecdh_reply(rng)) + _ssh_packet(rng, b"\x15"))
    c.send(True, _ssh_packet(rng, b"\x15") + rng.randbytes(64))
    for _ in range(max(1, session_bytes // 800)):
        c.send(True, rng.randbytes(rng.choice((36, 52, 68))), think=0.2)
        c.send(False, rng.randbytes(rng.randint(60, 1400)))
    return c.fin(True).sorted()


def ping(rng, src: Endpoint, dst: Endpoint, t0: float, count: int = 4, rtt: float = 0.01) -> list:
    """ICMP (or ICMPv6) echo requests, each answered."""
    w, out, ident = Wire(rng, src, dst), [], rng.getrandbits(16)
    data = bytes(range(16, 64))
    for i in range(count):
        t = t0 + i
        if w.v6:
            req = F.icmpv6(src.ip, dst.ip, 128, 0, struct.pack("!HH", ident, i + 1) + data)
            rep = F.icmpv6(dst.ip, src.ip, 129, 0, struct.pack("!HH", ident, i + 1) + data)
            proto = F.PROTO_ICMPV6
        else:
            req, rep = F.icmp_echo(ident, i + 1, data), F.icmp_echo(ident, i + 1, data, reply=True)
            proto = F.PROTO_ICMP
        out.append((t, w.ip(True, proto, req)))
        out.append((t + rtt, w.ip(False, proto, rep)))
    return out
