"""Test helper: pull TCP payload streams out of a small classic pcap (stdlib only).

Good enough for the corpus's clean TLS traces: Ethernet, Linux SLL, BSD loopback; IPv4 and
IPv6; segments ordered by sequence number with retransmissions dropped. Not the project's
decoder (that is decode/ and flows/): it exists so analyzer tests can replay real handshakes.
"""

from __future__ import annotations

import struct
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[4] / "shared" / "conformance" / "zeek"
TRACES = CORPUS / "traces"
CASES = CORPUS / "cases"


def _packets(path: Path):
    data = path.read_bytes()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        yield sec + frac / (1e9 if nano else 1e6), linktype, data[off:off + caplen]
        off += caplen


def _ip_payload(linktype: int, frame: bytes):
    if linktype == 1:
        etype, pos = struct.unpack(">H", frame[12:14])[0], 14
        while etype == 0x8100:
            etype, pos = struct.unpack(">H", frame[pos + 2:pos + 4])[0], pos + 4
    elif linktype == 113:
        etype, pos = struct.unpack(">H", frame[14:16])[0], 16
    elif linktype == 0:
        family = struct.unpack("<I", frame[:4])[0]
        etype, pos = (0x0800 if family == 2 else 0x86DD), 4
    elif linktype == 101:
        etype, pos = (0x0800 if frame[0] >> 4 == 4 else 0x86DD), 0
    else:
        return None
    ip = frame[pos:]
    if etype == 0x0800 and ip[9] == 6:
        ihl, total = (ip[0] & 15) * 4, struct.unpack(">H", ip[2:4])[0]
        return ".".join(map(str, ip[12:16])), ".".join(map(str, ip[16:20])), ip[ihl:total]
    if etype == 0x86DD and ip[6] == 6:
        plen = struct.unpack(">H", ip[4:6])[0]
        return ip[8:24].hex(), ip[24:40].hex(), ip[40:40 + plen]
    return None


def tcp_streams(path: Path):
    """{(orig, orig_p, resp, resp_p): [(is_orig, ts, bytes), ...]} in capture order per
    direction, the originator being the side that sent the first SYN (or first packet)."""
    conns: dict = {}
    for ts, lt, frame in _packets(path):
        got = _ip_payload(lt, frame)
        if not got:
            continue
        src, dst, tcp = got
        sp, dp, seq = struct.unpack(">HHI", tcp[:8])
        flags, doff = tcp[13], (tcp[12] >> 4) * 4
        key, rev = (src, sp, dst, dp), (dst, dp, src, sp)
        if key not in conns and rev not in conns:
            conns[key] = {"next": {}, "chunks": []}
        k = key if key in conns else rev
        is_orig = k == key
        c = conns[k]
        payload = tcp[doff:]
        if flags & 0x02:                     # SYN takes one sequence number
            c["next"][is_orig] = seq + 1
            continue
        if not payload:
            continue
        nxt = c["next"].setdefault(is_orig, seq)
        if seq + len(payload) <= nxt:        # retransmission
            continue
        if seq < nxt:
            payload = payload[nxt - seq:]
        c["next"][is_orig] = max(nxt, seq) + len(payload)
        c["chunks"].append((is_orig, ts, payload))
    return {k: v["chunks"] for k, v in conns.items()}


def expected_log(case: str, log: str) -> list[dict]:
    """Rows of a case's expected Zeek log as {field: text}."""
    path = CASES / case / "expected" / f"{log}.log"
    fields, rows = [], []
    for line in path.read_text().splitlines():
        if line.startswith("#fields"):
            fields = line.split("\t")[1:]
        elif line and not line.startswith("#"):
            rows.append(dict(zip(fields, line.split("\t"))))
    return rows
