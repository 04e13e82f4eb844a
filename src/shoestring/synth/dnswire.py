"""Build DNS wire messages (RFC 1035) with struct: queries and answers, with name compression."""

from __future__ import annotations

import socket
import struct

DNS_HDR = struct.Struct("!HHHHHH")  # RFC 1035 section 4.1.1: id, flags, qd, an, ns, ar
RR_FIXED = struct.Struct("!HHIH")    # RFC 1035 section 4.1.3: type, class, ttl, rdlength
QTYPE = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28,
         "SRV": 33, "HTTPS": 65}
CLASS_IN = 1
RCODE = {"NOERROR": 0, "FORMERR": 1, "SERVFAIL": 2, "NXDOMAIN": 3, "REFUSED": 5}
QNAME_OFFSET = 12  # the question's name always starts right after the header: pointer 0xC00C


def encode_name(name: str) -> bytes:
    """A domain name as length-prefixed labels ending with the root label."""
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            raw = label.encode("idna") if not label.isascii() else label.encode()
            out += bytes([len(raw)]) + raw
    return out + b"\x00"


def query(txid: int, name: str, qtype: str = "A", rd: bool = True) -> bytes:
    """A standard query for one name."""
    flags = 0x0100 if rd else 0
    return DNS_HDR.pack(txid, flags, 1, 0, 0, 0) + encode_name(name) + struct.pack(
        "!HH", QTYPE[qtype], CLASS_IN)


def _rdata(rtype: str, value) -> bytes:
    if rtype == "A":
        return socket.inet_pton(socket.AF_INET, value)
    if rtype == "AAAA":
        return socket.inet_pton(socket.AF_INET6, value)
    if rtype in ("CNAME", "NS", "PTR"):
        return encode_name(value)
    if rtype == "MX":
        pref, host = value
        return struct.pack("!H", pref) + encode_name(host)
    if rtype == "TXT":
        data = value.encode()
        return b"".join(bytes([len(data[i:i + 255])]) + data[i:i + 255]
                        for i in range(0, max(len(data), 1), 255))
    raise ValueError(f"no rdata builder for {rtype}")


def response(txid: int, name: str, qtype: str = "A", answers=(), rcode: str = "NOERROR",
             ttl: int = 300, rd: bool = True, ra: bool = True) -> bytes:
    """An answer to query(txid, name, qtype). `answers` is a list of (rtype, value); the
    first answer's owner is the question name (compressed as a pointer to offset 12), a CNAME
    answer changes the owner of the following ones to the CNAME's target."""
    flags = 0x8000 | (0x0100 if rd else 0) | (0x0080 if ra else 0) | RCODE[rcode]
    body = encode_name(name) + struct.pack("!HH", QTYPE[qtype], CLASS_IN)
    owner = b"\xc0" + bytes([QNAME_OFFSET])
    msg_len = DNS_HDR.size + len(body)
    rrs = b""
    for rtype, value in answers:
        rdata = _rdata(rtype, value)
        rr = owner + RR_FIXED.pack(QTYPE[rtype], CLASS_IN, ttl, len(rdata))
        if rtype == "CNAME":
            # the target's labels start right after the fixed part: point the next owner there
            target_at = msg_len + len(rrs) + len(rr)
            owner = struct.pack("!H", 0xC000 | target_at) if target_at < 0x3FFF else encode_name(value)
        rrs += rr + rdata
    return DNS_HDR.pack(txid, flags, 1, len(answers), 0, 0) + body + rrs
