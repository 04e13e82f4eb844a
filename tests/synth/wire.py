"""Independent decoding for the synth tests: a word-by-word RFC 1071 checksum and a plain
Ethernet/IP/L4 splitter, written apart from shoestring.synth so the two check each other."""

from __future__ import annotations

import struct


def rfc1071(data: bytes) -> int:
    """The textbook one's-complement sum: add 16-bit words, fold carries, complement."""
    if len(data) % 2:
        data += b"\x00"
    total = 0
    for i in range(0, len(data), 2):
        total += (data[i] << 8) | data[i + 1]
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def sums_to_zero(data: bytes) -> bool:
    """A message whose checksum field is filled in verifies to 0."""
    return rfc1071(data) == 0


def split(frame: bytes) -> dict:
    """Ethernet (+802.1Q tags) -> IPv4/IPv6 (+extension headers) -> transport bytes."""
    etype, pos, vlans = struct.unpack("!H", frame[12:14])[0], 14, []
    while etype in (0x8100, 0x88A8):
        tci, etype = struct.unpack("!HH", frame[pos:pos + 4])
        vlans.append(tci & 0x0FFF)
        pos += 4
    out = {"ethertype": etype, "vlans": vlans, "dst_mac": frame[:6], "src_mac": frame[6:12]}
    ip = frame[pos:]
    if etype == 0x0800:
        ihl = (ip[0] & 0x0F) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        frag = struct.unpack("!H", ip[6:8])[0]
        out.update(version=4, ip_header=ip[:ihl], proto=ip[9], src=ip[12:16], dst=ip[16:20],
                   l4=ip[ihl:total], ident=struct.unpack("!H", ip[4:6])[0],
                   frag_offset=(frag & 0x1FFF) * 8, mf=bool(frag & 0x2000), df=bool(frag & 0x4000),
                   total_length=total)
    elif etype == 0x86DD:
        plen, nh = struct.unpack("!HB", ip[4:7])
        body, chain = ip[40:40 + plen], []
        while nh in (0, 43, 44, 60):
            chain.append(nh)
            size = 8 if nh == 44 else (body[1] + 1) * 8
            if nh == 44:
                out["frag"] = struct.unpack("!HI", body[2:8])
            nh, body = body[0], body[size:]
        out.update(version=6, proto=nh, src=ip[8:24], dst=ip[24:40], l4=body, ext_chain=chain)
    return out


def pseudo(src: bytes, dst: bytes, proto: int, length: int) -> bytes:
    if len(src) == 4:
        return src + dst + bytes([0, proto]) + struct.pack("!H", length)
    return src + dst + struct.pack("!I", length) + b"\x00\x00\x00" + bytes([proto])


def tcp_fields(l4: bytes) -> dict:
    sport, dport, seq, ack, off, flags, win = struct.unpack("!HHIIBBH", l4[:16])
    return {"sport": sport, "dport": dport, "seq": seq, "ack": ack, "flags": flags,
            "payload": l4[(off >> 4) * 4:], "options": l4[20:(off >> 4) * 4], "window": win}
