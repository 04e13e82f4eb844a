"""Property tests: random bytes and mutated valid frames, for every link type, never make
the decoder raise; only Packets and Weirds come out, and what comes out is sane. Lies in
each length and flag field are tried on purpose. Fragment floods stay bounded."""

from __future__ import annotations

import os
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shoestring.decode import fragments, link
from shoestring.decode.decoder import Decoder
from shoestring.decode.packet import Packet, Weird
from shoestring.synth import frames as F

from .seeds import SEEDS

LINKTYPES = sorted(link.LINK_DECODERS)
# SHOESTRING_FUZZ_EXAMPLES=20000 for a long hunt; the default keeps the suite quick.
PROPERTY = settings(max_examples=int(os.environ.get("SHOESTRING_FUZZ_EXAMPLES", "300")),
                    deadline=None, suppress_health_check=[HealthCheck.too_slow])


def decode_checked(decoder: Decoder, linktype: int, frame: bytes) -> tuple[list, list]:
    out: list = []
    weirds: list = []
    decoder.decode(1700000000.0, linktype, frame, out, weirds)
    for pkt in out:
        assert type(pkt) is Packet
        assert len(pkt.src) in (4, 16) and len(pkt.dst) == len(pkt.src)
        assert 0 <= pkt.proto <= 255
        assert isinstance(pkt.payload, bytes)
        assert pkt.payload_len >= 0, "a negative payload length would count bytes back"
        assert pkt.ip_len >= 0
        assert 0 <= pkt.sport <= 0xFFFF and 0 <= pkt.dport <= 0xFFFF
    for w in weirds:
        assert type(w) is Weird
        assert isinstance(w.name, str) and w.name and " " not in w.name
    return out, weirds


# --- random bytes ---------------------------------------------------------------------------

@PROPERTY
@given(linktype=st.sampled_from(LINKTYPES), frame=st.binary(max_size=400),
       ignore=st.booleans())
def test_random_bytes(linktype, frame, ignore):
    decode_checked(Decoder(ignore), linktype, frame)


@PROPERTY
@given(seed=st.sampled_from(SEEDS), tail=st.binary(max_size=200), ignore=st.booleans())
def test_valid_header_then_random_bytes(seed, tail, ignore):
    """A real link and IP header start, then garbage: the deeper parsers get exercised."""
    linktype, frame, ip_offset = seed
    cut = ip_offset + (20 if frame[ip_offset] >> 4 == 4 else 40)
    decode_checked(Decoder(ignore), linktype, frame[:cut] + tail)


@pytest.mark.parametrize("linktype", [99, 147, 65535, 1 << 20])
def test_unknown_link_type_is_a_weird(linktype):
    out, weirds = decode_checked(Decoder(), linktype, b"\x45" + bytes(40))
    assert out == [] and [w.name for w in weirds] == ["unknown_link_type"]
    assert weirds[0].addl == str(linktype)


# --- mutations -------------------------------------------------------------------------------

@st.composite
def mutated(draw):
    linktype, frame, ip_offset = draw(st.sampled_from(SEEDS))
    buf = bytearray(frame)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(("flip", "insert", "delete", "cut", "byte")))
        pos = draw(st.integers(0, max(len(buf) - 1, 0)))
        if op == "flip" and buf:
            buf[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "byte" and buf:
            buf[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            buf[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and buf:
            del buf[pos:pos + draw(st.integers(1, 8))]
        elif op == "cut":
            del buf[pos:]
    return linktype, bytes(buf)


@PROPERTY
@given(case=mutated(), ignore=st.booleans())
def test_mutated_frames(case, ignore):
    decode_checked(Decoder(ignore), *case)


# The fields a hostile sender lies in, found from the seed's own IP header.
LIES = ("ip_total", "ihl", "frag", "tcp_offset", "udp_length", "ipv6_payload",
        "ext_length", "gre_flags", "vxlan_flags", "inner_length")


def _fields(frame: bytes, ip: int) -> dict[str, tuple[int, str]]:
    """(offset, struct format) of each liable field present in this frame."""
    found: dict[str, tuple[int, str]] = {}
    if frame[ip] >> 4 == 4:
        ihl = (frame[ip] & 0x0F) * 4
        proto, t = frame[ip + 9], ip + ihl
        found.update(ip_total=(ip + 2, "!H"), ihl=(ip, "!B"), frag=(ip + 6, "!H"))
    else:
        proto, t = frame[ip + 6], ip + 40
        found["ipv6_payload"] = (ip + 4, "!H")
        if proto in (0, 43, 44, 60):
            found["ext_length"] = (ip + 41, "!B")
    if proto == 6 and len(frame) >= t + 20:
        found["tcp_offset"] = (t + 12, "!B")
    if proto == 17 and len(frame) >= t + 8:
        found["udp_length"] = (t + 4, "!H")
        if struct.unpack_from("!H", frame, t + 2)[0] == 4789:
            found["vxlan_flags"] = (t + 8, "!B")
        if len(frame) >= t + 8 + 14 + 20:                      # a tunnelled packet's length
            found["inner_length"] = (t + 8 + 8 + 14 + 2, "!H")
    if proto == 47 and len(frame) >= t + 4:
        found["gre_flags"] = (t, "!H")
        if len(frame) >= t + 4 + 20:
            found["inner_length"] = (t + 4 + 2, "!H")
    return found


@st.composite
def lying(draw):
    linktype, frame, ip_offset = draw(st.sampled_from(SEEDS))
    buf = bytearray(frame)
    fields = _fields(frame, ip_offset)
    names = draw(st.lists(st.sampled_from(LIES), min_size=1, max_size=3))
    for name in names:
        if name not in fields:
            continue
        offset, fmt = fields[name]
        if offset + struct.calcsize(fmt) > len(buf):
            continue
        top = 0xFF if fmt == "!B" else 0xFFFF
        value = draw(st.one_of(st.integers(0, top), st.sampled_from((0, 1, 4, 5, 8, 15, 20, 40, top))))
        if name == "ihl":
            value = (buf[offset] & 0xF0) | (value & 0x0F)
        elif name == "tcp_offset":
            value = (value & 0xF0) | (buf[offset] & 0x0F)
        struct.pack_into(fmt, buf, offset, value)
    if draw(st.booleans()):
        del buf[draw(st.integers(ip_offset, len(buf))):]
    return linktype, bytes(buf)


@PROPERTY
@given(case=lying(), ignore=st.booleans())
def test_lying_length_fields(case, ignore):
    decode_checked(Decoder(ignore), *case)


def test_lies_are_reported_not_believed():
    """Each lie on its own, on a clean TCP frame: the weird Zeek names, nothing read past
    the frame."""
    ip = F.ipv4("10.0.0.1", "10.0.0.2", F.PROTO_TCP,
                F.tcp("10.0.0.1", "10.0.0.2", 1, 2, 3, 4, F.ACK, b"data"))
    frame = F.ethernet("02:00:00:00:00:01", "02:00:00:00:00:02", F.ETH_IPV4, ip)

    def names(buf, ignore=True):
        return [w.name for w in decode_checked(Decoder(ignore), 1, bytes(buf))[1]]

    short_ihl = bytearray(frame)
    short_ihl[14] = 0x44                                           # IHL 4: 16 bytes
    assert names(short_ihl) == ["bad_IP_header_len"]
    total_lt_ihl = bytearray(frame)
    struct.pack_into("!H", total_lt_ihl, 16, 19)                   # total < header
    assert names(total_lt_ihl) == ["bad_IP_len"]
    tcp_off = bytearray(frame)
    tcp_off[14 + 20 + 12] = 0x40                                   # data offset 16 bytes
    assert names(tcp_off) == ["bad_TCP_header_len"]
    long_off = bytearray(frame)
    long_off[14 + 20 + 12] = 0xF0                                  # 60 bytes: past the end
    out, weirds = decode_checked(Decoder(True), 1, bytes(long_off))
    assert weirds == [] and out[0].broken == "truncated_header"
    assert names(frame[:14 + 19]) == ["truncated_IP"]
    assert names(frame, ignore=False) == []
    bad_sum = bytearray(frame)
    bad_sum[14 + 8] ^= 0xFF                                        # TTL changed, sum not
    assert names(bad_sum, ignore=False) == ["bad_IP_checksum"]


# --- fragments ---------------------------------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(pieces=st.lists(st.tuples(st.integers(0, 7),            # datagram id
                                 st.integers(0, 8191),         # offset in 8-byte units
                                 st.integers(0, 1600),         # length
                                 st.booleans()),               # more fragments
                       max_size=120))
def test_fragments_never_raise(pieces):
    reasm = fragments.FragmentReassembler()
    for ident, offset8, size, more in pieces:
        weirds: list = []
        whole = reasm.add((b"\x0a\x00\x00\x01", b"\x0a\x00\x00\x02", ident, 17), 1.0,
                          offset8 * 8, b"\x55" * size, more, weirds)
        assert whole is None or isinstance(whole, bytes)
        assert all(isinstance(w, str) for w in weirds)
        assert len(reasm) <= fragments.MAX_PENDING
        assert reasm.pending_bytes <= fragments.MAX_PENDING_BYTES


@settings(max_examples=150, deadline=None)
@given(data=st.binary(min_size=1, max_size=3000), size=st.integers(1, 200),
       order=st.randoms(use_true_random=False), dups=st.integers(0, 3))
def test_fragments_reassemble_in_any_order(data, size, order, dups):
    """Split at multiples of 8, shuffled, some sent twice: the datagram comes back
    exactly, once, when the last hole fills."""
    step = size * 8
    parts = [(off, data[off:off + step], off + step < len(data))
             for off in range(0, len(data), step)]
    parts += [order.choice(parts) for _ in range(dups)]
    order.shuffle(parts)
    reasm = fragments.FragmentReassembler()
    results = []
    for off, chunk, more in parts:
        whole = reasm.add(("k",), 1.0, off, chunk, more, [])
        if whole is not None:
            results.append(whole)
    assert results[:1] == [data]
    assert reasm.pending_bytes >= 0


def test_fragment_flood_through_the_decoder_is_bounded():
    """Three times the table's size in first fragments that never complete, through the
    decoder: the table stays at its limit, evicting the stalest with a weird each."""
    decoder = Decoder()
    n = fragments.MAX_PENDING * 3
    udp = F.udp("10.0.0.1", "10.0.0.2", 1, 2, bytes(64))
    weird_count = 0
    for i in range(n):
        ip = F.ipv4("10.0.0.1", "10.0.0.2", F.PROTO_UDP, udp[:32], ident=i,   # n < 65536
                    df=False, more_fragments=True)
        _out, weirds = decode_checked(decoder, link.DLT_RAW, ip)
        weird_count += sum(w.name == "fragment_table_full" for w in weirds)
        assert len(decoder.fragments) <= fragments.MAX_PENDING
    assert weird_count == n - fragments.MAX_PENDING


def test_duplicate_fragment_flood_is_bounded_in_bytes():
    reasm = fragments.FragmentReassembler()
    weirds: list = []
    chunk = b"\x00" * 65000
    for i in range(2000):                          # 130 MB of overlapping copies
        reasm.add(("k", i % 50), float(i), 0, chunk, True, weirds)
        assert reasm.pending_bytes <= fragments.MAX_PENDING_BYTES
    assert "fragment_table_full" in weirds and "fragment_overlap" in weirds


def test_oversized_and_excessive_fragments():
    reasm = fragments.FragmentReassembler()
    weirds: list = []
    assert reasm.add(("a",), 1.0, 65528, b"x" * 70000, False, weirds) is None
    assert weirds == ["excessively_large_fragment"] and len(reasm) == 0
    weirds.clear()
    for i in range(fragments.MAX_FRAGMENTS_PER_DATAGRAM + 1):
        reasm.add(("b",), 1.0, 8 + i * 8, b"y" * 8, True, weirds)
    assert weirds == ["excessive_fragments"] and len(reasm) == 0 and reasm.pending_bytes == 0
