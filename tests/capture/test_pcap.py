"""The capture reader (capture/pcap.py): both pcap resolutions and byte orders, pcapng
sections, interfaces, time resolutions and block kinds, gzip, and how it stops on damage."""

from __future__ import annotations

import gzip
import io
import mmap
import struct

import pytest

from shoestring.capture import pcap
from shoestring.capture.errors import NotACapture
from shoestring.synth import pcapwrite as W

FRAMES = [(1700000000.25, b"\x01" * 60), (1700000001.5, b"\x02" * 1514), (1700000002.0, b"\x03" * 61)]


def reader_for(tmp_path, data: bytes, name="c.pcap") -> pcap.CaptureReader:
    path = tmp_path / name
    path.write_bytes(data)
    return pcap.CaptureReader(str(path))


@pytest.mark.parametrize("nano", [False, True])
@pytest.mark.parametrize("big", [False, True])
def test_classic_pcap(tmp_path, nano, big):
    reader = reader_for(tmp_path, W.pcap_bytes(FRAMES, W.LINKTYPE_RAW, nano=nano, big_endian=big))
    assert reader.format == "pcap" and reader.linktype == W.LINKTYPE_RAW
    records = list(reader)
    assert [(round(ts, 6), lt, f, wl) for ts, lt, f, wl in records] == \
        [(ts, W.LINKTYPE_RAW, f, len(f)) for ts, f in FRAMES]
    assert reader.error is None


def test_nanosecond_stamps_keep_their_digits(tmp_path):
    buf = io.BytesIO()
    with W.PcapWriter(buf, nano=True) as w:
        w.write_ns(1_700_000_000_123_456_789, b"\x00" * 20)
    [(ts, _, _, _)] = list(reader_for(tmp_path, buf.getvalue()))
    assert abs(ts - 1700000000.123456789) < 1e-6 and round(ts % 1, 9) != round(ts % 1, 6)


def test_linktype_high_bits_are_fcs_info(tmp_path):
    data = bytearray(W.pcap_bytes(FRAMES[:1]))
    struct.pack_into("<I", data, 20, 0x10000000 | 1)     # FCS length present, Ethernet
    assert reader_for(tmp_path, bytes(data)).linktype == 1


def test_snapped_frames_keep_their_wire_length(tmp_path):
    [(_, _, frame, wirelen)] = list(reader_for(tmp_path, W.pcap_bytes(FRAMES[1:2], snaplen=96)))
    assert len(frame) == 96 and wirelen == 1514


def test_pcapng_interfaces_and_resolutions(tmp_path):
    path = tmp_path / "two.pcapng"
    W.write_pcapng(path, [(1.5, b"\xaa" * 40, 0), (2.25, b"\x45" + b"\x00" * 39, 1)],
                   interfaces=((W.LINKTYPE_ETHERNET, "eth0"), (W.LINKTYPE_RAW, "tun0")), nano=True)
    reader = pcap.CaptureReader(str(path))
    assert reader.format == "pcapng"
    records = list(reader)
    assert [(ts, lt, len(f)) for ts, lt, f, _ in records] == [(1.5, 1, 40), (2.25, 101, 40)]
    assert reader.linktypes == {0: 1, 1: 101}


def test_pcapng_big_endian_and_second_section(tmp_path):
    one = io.BytesIO()
    with W.PcapngWriter(one, ((W.LINKTYPE_RAW, "a"),), big_endian=True) as w:
        w.write(10.0, b"\x45" + bytes(19))
    two = io.BytesIO()
    with W.PcapngWriter(two, ((W.LINKTYPE_ETHERNET, "b"),)) as w:
        w.write(20.0, b"\xff" * 14)
    # A second section starts a new interface list: its interface 0 is Ethernet.
    records = list(reader_for(tmp_path, one.getvalue() + two.getvalue(), "s.pcapng"))
    assert [(ts, lt) for ts, lt, _, _ in records] == [(10.0, 101), (20.0, 1)]


def test_pcapng_tsresol_power_of_two():
    option = struct.pack("<HH", 9, 1) + b"\x8a\x00\x00\x00" + struct.pack("<HH", 0, 0)
    assert pcap._tsresol(option, "<") == 2.0 ** -10
    assert pcap._tsresol(struct.pack("<HH", 9, 1) + b"\x03\x00\x00\x00", "<") == 1e-3
    assert pcap._tsresol(b"", "<") == 1e-6


def test_pcapng_simple_and_obsolete_packet_blocks(tmp_path):
    buf = io.BytesIO()
    with W.PcapngWriter(buf, ((W.LINKTYPE_RAW, "a"),)) as w:
        pass
    head = buf.getvalue()
    spb_body = struct.pack("<I", 20) + b"\x45" + bytes(19)
    spb = struct.pack("<II", 3, 12 + len(spb_body)) + spb_body + struct.pack("<I", 12 + len(spb_body))
    pb_body = struct.pack("<HHIIII", 0, 0, 0, 5_000_000, 20, 20) + b"\x45" + bytes(19)
    pb = struct.pack("<II", 2, 12 + len(pb_body)) + pb_body + struct.pack("<I", 12 + len(pb_body))
    records = list(reader_for(tmp_path, head + spb + pb, "p.pcapng"))
    assert [(ts, lt, len(f)) for ts, lt, f, _ in records] == [(0.0, 101, 20), (5.0, 101, 20)]


def test_pcapng_damage(tmp_path):
    buf = io.BytesIO()
    with W.PcapngWriter(buf, ((W.LINKTYPE_RAW, "a"),)) as w:
        w.write(1.0, b"\x45" + bytes(19))
        w.write(2.0, b"\x45" + bytes(19))
    data = buf.getvalue()
    # A block length that is not a multiple of 4: corrupt, stop, keep what came before.
    last = len(data) - 52
    bad = bytearray(data)
    struct.pack_into("<I", bad, last + 4, 53)
    reader = reader_for(tmp_path, bytes(bad), "bad.pcapng")
    assert len(list(reader)) == 1 and f"corrupt pcapng block at byte {last} " in reader.error
    # An enhanced packet block naming interface 7, which was never described.
    bad = bytearray(data)
    struct.pack_into("<I", bad, last + 8, 7)
    reader = reader_for(tmp_path, bytes(bad), "if.pcapng")
    assert len(list(reader)) == 1 and "names no interface" in reader.error
    # A bad byte-order magic in the section header.
    bad = bytearray(data)
    bad[8:12] = b"\x00\x00\x00\x00"
    reader = reader_for(tmp_path, bytes(bad), "bom.pcapng")
    assert list(reader) == [] and "byte-order magic" in reader.error


def test_gzip_and_stdin_like_streams(tmp_path):
    raw = W.pcap_bytes(FRAMES)
    reader = reader_for(tmp_path, gzip.compress(raw), "c.pcap.gz")
    assert len(list(reader)) == 3 and reader.error is None
    assert reader.stream.tell() > 0                     # position in the compressed file


@pytest.mark.parametrize("data,words", [
    (b"", "empty"), (b"\xd4\xc3", "too short"), (b"%PDF-1.7\n" + bytes(30), "not a pcap"),
    (struct.pack("<IHHiIII", 0xA1B2C3D4, 3, 0, 0, 0, 65535, 1), "version 3"),
    (gzip.compress(b"just text, not a capture"), "not a pcap"),
])
def test_not_captures(tmp_path, data, words):
    with pytest.raises(NotACapture, match=words):
        reader_for(tmp_path, data)


def walk_chunks(reader) -> tuple[list[bytes], int]:
    """What the pipeline's loop does with chunks(): the frames, and how many buffers."""
    chunks = reader.chunks()
    seen, buffers = [], 1
    buf, pos, linktype = next(chunks)
    while True:
        while pos + 16 <= len(buf):
            sec, frac, caplen, wirelen = reader.record(buf, pos)
            if pos + 16 + caplen > len(buf):
                break
            seen.append(buf[pos + 16:pos + 16 + caplen])
            pos += 16 + caplen
        try:
            buf, pos, linktype = chunks.send(pos)
            buffers += 1
        except StopIteration:
            break
    return seen, buffers


def test_chunks_protocol_walks_every_record_read(tmp_path, monkeypatch):
    """chunks() yields buffers; the consumer sends back where it stopped. Read (as a
    pipe or gzip stream is) with a tiny block size, every record crosses a buffer
    boundary at some point."""
    monkeypatch.setattr(pcap, "BLOCK", 64)
    monkeypatch.setattr(pcap.CaptureReader, "_mappable_fd", lambda self: None)
    reader = reader_for(tmp_path, W.pcap_bytes(FRAMES * 5))
    seen, buffers = walk_chunks(reader)
    assert seen == [f for _, f in FRAMES * 5] and reader.error is None and buffers > 10


def test_chunks_protocol_walks_every_record_mapped(tmp_path, monkeypatch):
    """A file on disk is mapped a window at a time; with one-page windows records cross
    window ends all the time, and the 1514-byte frame of a window that cannot finish it
    makes the window grow."""
    monkeypatch.setattr(pcap, "MAP_WINDOW", mmap.ALLOCATIONGRANULARITY)
    frames = FRAMES * 40 + [(1700000003.0, b"\x04" * (3 * mmap.ALLOCATIONGRANULARITY))]
    reader = reader_for(tmp_path, W.pcap_bytes(frames + FRAMES))
    assert reader._mappable_fd() is not None
    seen, buffers = walk_chunks(reader)
    assert seen == [f for _, f in frames + FRAMES] and reader.error is None
    assert buffers > 10 and reader.position() == (tmp_path / "c.pcap").stat().st_size


@pytest.mark.parametrize("cut", [1, 10, 17, 70])    # the last record is 77 bytes
def test_mapped_file_cut_short_keeps_what_came_before(tmp_path, monkeypatch, cut):
    monkeypatch.setattr(pcap, "MAP_WINDOW", mmap.ALLOCATIONGRANULARITY)
    data = W.pcap_bytes(FRAMES * 10)
    reader = reader_for(tmp_path, data[:-cut])
    seen, _ = walk_chunks(reader)
    assert seen == [f for _, f in FRAMES * 10][:-1]
    assert "cut short mid-record" in reader.error


@pytest.mark.parametrize("mapped", [True, False])
def test_corrupt_record_names_its_file_offset(tmp_path, monkeypatch, mapped):
    # Small windows or blocks: the bad record lies past the first buffer either way.
    monkeypatch.setattr(pcap, "MAP_WINDOW", mmap.ALLOCATIONGRANULARITY)
    monkeypatch.setattr(pcap, "BLOCK", 256)
    if not mapped:
        monkeypatch.setattr(pcap.CaptureReader, "_mappable_fd", lambda self: None)
    data = bytearray(W.pcap_bytes(FRAMES * 10))
    offset = 24
    for _, frame in (FRAMES * 10)[:7]:
        offset += 16 + len(frame)
    struct.pack_into("<I", data, offset + 8, 1 << 30)        # record 8 claims 1 GiB
    reader = reader_for(tmp_path, bytes(data))
    chunks = reader.chunks()
    buf, pos, _ = next(chunks)
    seen = 0
    while True:
        while pos + 16 <= len(buf):
            caplen = reader.record(buf, pos)[2]
            if caplen > reader.limit:
                reader.corrupt(pos, caplen)
                break
            if pos + 16 + caplen > len(buf):
                break
            seen += 1
            pos += 16 + caplen
        if reader.error:
            break
        buf, pos, _ = chunks.send(pos)
    assert seen == 7 and f"corrupt record at byte {offset} " in reader.error


def test_record_source_repacks_any_records():
    records = [(1.5, 101, b"\x45" + bytes(19), 20), (2.0, 1, b"\xff" * 14, 60)]
    source = pcap.RecordSource(records)
    out = []
    for buf, pos, linktype in source.chunks():
        while pos < len(buf):
            sec, frac, caplen, wirelen = source.record(buf, pos)
            out.append((sec + frac / source.divisor, linktype, buf[pos + 16:pos + 16 + caplen],
                        wirelen))
            pos += 16 + caplen
    assert out == records
