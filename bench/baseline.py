"""The reference floor for the benchmark: a plain struct loop keeping a two-way flow record.

    python bench/baseline.py FILE

Reads a classic Ethernet pcap, takes IPv4/IPv6 addresses, protocol and ports, and keeps per
two-way flow [first ts, last ts, packets, bytes] in a dict: the least work any flow meter in
Python can do, so its rate is the ceiling a pure-Python conn.log can approach on this machine
(issue 2 quotes about 700,000 packets/s). Not a tool to use: no checksums, tunnels, VLANs,
fragments or TCP state.
"""

from __future__ import annotations

import struct
import sys

REC = struct.Struct("<IIII")
ETH_TYPE = struct.Struct("!H")
PORTS = struct.Struct("!HH")


CHUNK = 1 << 22  # read 4 MiB at a time: memory stays flat whatever the file's size


def flows(path: str) -> dict:
    table: dict = {}
    unpack_rec, unpack_type, unpack_ports = REC.unpack_from, ETH_TYPE.unpack_from, PORTS.unpack_from
    with open(path, "rb") as f:
        if f.read(24)[:4] not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
            sys.exit("baseline.py: only little-endian classic pcap")
        data, pos = b"", 0
        while True:
            more = f.read(CHUNK)
            if not more:
                break
            data, pos = data[pos:] + more, 0
            end = len(data)
            while pos + 16 <= end:
                sec, frac, incl, orig = unpack_rec(data, pos)
                start = pos + 16
                if start + incl > end:
                    break  # the rest of this record is in the next chunk
                pos = start + incl
                etype = unpack_type(data, start + 12)[0]
                ip = start + 14
                if etype == 0x0800:
                    proto = data[ip + 9]
                    src, dst = data[ip + 12:ip + 16], data[ip + 16:ip + 20]
                    l4 = ip + (data[ip] & 0x0F) * 4
                elif etype == 0x86DD:
                    proto = data[ip + 6]
                    src, dst = data[ip + 8:ip + 24], data[ip + 24:ip + 40]
                    l4 = ip + 40
                else:
                    continue
                sp, dp = unpack_ports(data, l4) if proto in (6, 17) else (0, 0)
                key = (src, sp, dst, dp, proto) if (src, sp) < (dst, dp) else (dst, dp, src, sp, proto)
                rec = table.get(key)
                if rec is None:
                    table[key] = [sec, sec, 1, orig]
                else:
                    rec[1] = sec
                    rec[2] += 1
                    rec[3] += orig
    return table


if __name__ == "__main__":
    print(len(flows(sys.argv[1])), "flows")
