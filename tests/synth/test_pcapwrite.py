"""The capture writers produce files whose headers parse with the stdlib struct alone."""

import gzip
import io
import struct

import pytest

from shoestring.synth import pcapwrite as P

PACKETS = [(1700000000.123456, b"\x01" * 60), (1700000000.5, b"\x02" * 1514),
           (1700000001.999999, b"\x03" * 61)]


def read_classic(data: bytes):
    """(order, magic, header fields, records) with each record (sec, frac, incl, orig, bytes)."""
    order = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    magic, major, minor, zone, sigfigs, snaplen, linktype = struct.unpack(order + "IHHiIII", data[:24])
    pos, recs = 24, []
    while pos < len(data):
        sec, frac, incl, orig = struct.unpack(order + "IIII", data[pos:pos + 16])
        recs.append((sec, frac, incl, orig, data[pos + 16:pos + 16 + incl]))
        pos += 16 + incl
    assert pos == len(data), "records must fill the file exactly"
    return order, magic, (major, minor, zone, sigfigs, snaplen, linktype), recs


@pytest.mark.parametrize("nano", [False, True])
@pytest.mark.parametrize("big", [False, True])
def test_classic_pcap_header_and_records(nano, big):
    data = P.pcap_bytes(PACKETS, P.LINKTYPE_ETHERNET, nano=nano, big_endian=big)
    order, magic, head, recs = read_classic(data)
    assert order == (">" if big else "<")
    assert magic == (0xA1B23C4D if nano else 0xA1B2C3D4)
    assert head == (2, 4, 0, 0, 262144, 1)
    scale = 10**9 if nano else 10**6
    want = [(1700000000, round(0.123456 * scale)), (1700000000, scale // 2),
            (1700000001, round(0.999999 * scale))]
    # a float near 1.7e9 s resolves ~240 ns, so nano files from float times are within 1 us;
    # write_ns is the exact path (tested below)
    slack = 1000 if nano else 0
    assert all(s == ws and abs(f - wf) <= slack for (s, f, *_), (ws, wf) in zip(recs, want))
    assert len(recs) == len(want)
    assert [r[4] for r in recs] == [p[1] for p in PACKETS]
    assert all(r[2] == r[3] == len(r[4]) for r in recs)


def test_nanosecond_writes_are_exact_with_integer_time():
    buf = io.BytesIO()
    with P.PcapWriter(buf, P.LINKTYPE_RAW, nano=True) as w:
        w.write_ns(1_700_000_000_123_456_789, b"\x45" + b"\x00" * 19)
    _, _, head, recs = read_classic(buf.getvalue())
    assert head[5] == 101 and recs[0][:2] == (1700000000, 123456789)


def test_snaplen_cuts_frames_but_keeps_original_length():
    data = P.pcap_bytes(PACKETS, snaplen=100)
    _, _, head, recs = read_classic(data)
    assert head[4] == 100
    assert [(r[2], r[3]) for r in recs] == [(60, 60), (100, 1514), (61, 61)]


def test_orig_len_can_claim_more_than_captured():
    buf = io.BytesIO()
    with P.PcapWriter(buf) as w:
        w.write(1.0, b"\x00" * 40, orig_len=9000)
    assert read_classic(buf.getvalue())[3][0][2:4] == (40, 9000)


def test_gzip_when_name_ends_gz(tmp_path):
    path = tmp_path / "x.pcap.gz"
    assert P.write_pcap(path, PACKETS, nano=True) == 3
    raw = path.read_bytes()
    assert raw[:2] == b"\x1f\x8b"
    assert read_classic(gzip.decompress(raw))[3][1][4] == PACKETS[1][1]


def walk_pcapng(data: bytes):
    """Every block as (type, body) after checking both length fields agree and align."""
    order = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    pos, blocks = 0, []
    while pos < len(data):
        kind, length = struct.unpack(order + "II", data[pos:pos + 8])
        assert length % 4 == 0 and length >= 12
        assert struct.unpack(order + "I", data[pos + length - 4:pos + length])[0] == length
        blocks.append((kind, data[pos + 8:pos + length - 4]))
        pos += length
    assert pos == len(data)
    return order, blocks


def options(order: str, raw: bytes) -> dict:
    out, pos = {}, 0
    while pos + 4 <= len(raw):
        code, length = struct.unpack(order + "HH", raw[pos:pos + 4])
        if code == 0:
            break
        out[code] = raw[pos + 4:pos + 4 + length]
        pos += 4 + length + (-length % 4)
    return out


@pytest.mark.parametrize("big", [False, True])
@pytest.mark.parametrize("nano", [False, True])
def test_pcapng_blocks_interfaces_and_packets(big, nano, tmp_path):
    ifaces = [(P.LINKTYPE_ETHERNET, "eth0"), (P.LINKTYPE_RAW, "tun0", 128), (P.LINKTYPE_LINUX_SLL, "any")]
    items = [(10.5, b"\xaa" * 61, 0), (11.25, b"\x45" + b"\x00" * 300, 1), (12.0, b"\xbb" * 33, 2)]
    path = tmp_path / "multi.pcapng"
    assert P.write_pcapng(path, items, ifaces, nano=nano, big_endian=big) == 3
    order, blocks = walk_pcapng(path.read_bytes())
    assert order == (">" if big else "<")
    assert [b[0] for b in blocks] == [0x0A0D0D0A, 1, 1, 1, 6, 6, 6]
    bom, major, minor, section = struct.unpack(order + "IHHq", blocks[0][1][:16])
    assert (bom, major, minor, section) == (0x1A2B3C4D, 1, 0, -1)
    idbs = [struct.unpack(order + "HHI", b[1][:8]) for b in blocks[1:4]]
    assert [(lt, snap) for lt, _, snap in idbs] == [(1, 262144), (101, 128), (113, 262144)]
    opts = options(order, blocks[2][1][8:])
    assert opts[2] == b"tun0" and (opts.get(9) == b"\x09") == nano
    scale = 10**9 if nano else 10**6
    for (ts, frame, iface), (_, body) in zip(items, blocks[4:]):
        if_id, hi, lo, cap, orig = struct.unpack(order + "IIIII", body[:20])
        assert if_id == iface and ((hi << 32) | lo) == round(ts * scale)
        assert orig == len(frame) and body[20:20 + cap] == frame[:cap]
    assert struct.unpack(order + "IIIII", blocks[5][1][:20])[3] == 128  # cut to tun0's snaplen
