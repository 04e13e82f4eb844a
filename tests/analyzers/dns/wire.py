"""Builds DNS messages for tests, so each test states its bytes by meaning."""

from __future__ import annotations

import socket
import struct


def name(text: str) -> bytes:
    """Uncompressed wire name: 'a.bc' -> 01 'a' 02 'bc' 00."""
    out = b""
    for label in text.split(".") if text else []:
        raw = label.encode()
        out += bytes([len(raw)]) + raw
    return out + b"\x00"


def ptr(offset: int) -> bytes:
    """Compression pointer to ``offset`` (RFC 1035 §4.1.4)."""
    return struct.pack("!H", 0xC000 | offset)


def header(tid=0x1234, qr=0, opcode=0, aa=0, tc=0, rd=1, ra=0, z=0, rcode=0,
           qd=1, an=0, ns=0, ar=0) -> bytes:
    flags = (qr << 15) | (opcode << 11) | (aa << 10) | (tc << 9) | (rd << 8) | (ra << 7) \
        | (z << 4) | rcode
    return struct.pack("!6H", tid, flags, qd, an, ns, ar)


def question(qname: bytes | str, qtype=1, qclass=1) -> bytes:
    wire = name(qname) if isinstance(qname, str) else qname
    return wire + struct.pack("!2H", qtype, qclass)


def rr(owner: bytes | str, rtype: int, rdata: bytes, ttl=300, rclass=1) -> bytes:
    wire = name(owner) if isinstance(owner, str) else owner
    return wire + struct.pack("!2HIH", rtype, rclass, ttl, len(rdata)) + rdata


def a(addr: str) -> bytes:
    return socket.inet_aton(addr)


def aaaa(addr: str) -> bytes:
    return socket.inet_pton(socket.AF_INET6, addr)


def strings(*items: bytes) -> bytes:
    """<character-string>s (RFC 1035 §3.3)."""
    return b"".join(bytes([len(s)]) + s for s in items)


def query(qname="example.com", qtype=1, tid=0x1234, **hdr) -> bytes:
    return header(tid=tid, **hdr) + question(qname, qtype)


def response(qname="example.com", qtype=1, answers=(), tid=0x1234, **hdr) -> bytes:
    """A reply echoing the question; ``answers`` are (rtype, rdata[, ttl]) owned by the
    question name through a pointer to offset 12."""
    body = b"".join(rr(ptr(12), *ans) for ans in answers)
    hdr.setdefault("ra", 1)
    return header(tid=tid, qr=1, an=len(answers), **hdr) + question(qname, qtype) + body


def tcp_frame(msg: bytes) -> bytes:
    return struct.pack("!H", len(msg)) + msg
