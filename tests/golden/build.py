"""Writes the golden test captures into tests/data/, one small file per named case.

    .venv/bin/python tests/golden/build.py            # all cases
    .venv/bin/python tests/golden/build.py tcp_sf     # some

Everything comes from the project's own builder (shoestring.synth) with a fixed seed per
case, so running it again writes byte-identical files. Each case says in its docstring
what Zeek should log for it; tests/golden/expected/<case>/ holds the logs checked by hand.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from shoestring.synth import conversations as C
from shoestring.synth import frames as F
from shoestring.synth import pcapwrite as W

DATA = Path(__file__).resolve().parent.parent / "data"
T0 = 1700000000.0                       # 2023-11-14 22:13:20 UTC

CLIENT = C.endpoint("10.0.0.1", 40000)
SERVER = C.endpoint("192.168.1.2", 9000)     # a port no analyzer claims
EXTERNAL = C.endpoint("198.18.7.7", 9000)    # 198.18/15 is in Zeek's local nets too
REMOTE = C.endpoint("93.184.216.34", 9000)   # not local: local_resp F

CASES: dict = {}


def case(filename: str):
    """Register a builder that returns (ts, frame) pairs or writes the file itself."""
    def register(fn):
        CASES[fn.__name__] = (filename, fn)
        return fn
    return register


def _pcap(name, packets, **kw):
    W.write_pcap(DATA / name, sorted(packets, key=lambda p: p[0]), **kw)


def _strip_eth(frame: bytes) -> bytes:
    """The IP packet of an untagged Ethernet frame."""
    return frame[14:]


# --- TCP states ----------------------------------------------------------------------------

@case("tcp_sf.pcap")
def tcp_sf(name):
    """Handshake, 300 bytes up, 2000 down, FIN both ways: SF, ShADadFf, sizes from seqs."""
    rng = random.Random(1)
    _pcap(name, C.tcp_session(rng, CLIENT, SERVER, T0, ((b"q" * 300, b"r" * 2000),)))


@case("tcp_rej.pcap")
def tcp_rej(name):
    """SYN answered by RST-ACK: REJ, Sr."""
    _pcap(name, C.tcp_rejected(random.Random(2), CLIENT, SERVER, T0))


@case("tcp_s0.pcap")
def tcp_s0(name):
    """SYN sent three times with backoff, never answered: S0, one S (same seq)."""
    _pcap(name, C.tcp_no_answer(random.Random(3), CLIENT, SERVER, T0, retries=2))


@case("tcp_rsto.pcap")
def tcp_rsto(name):
    """Established, data, then the originator aborts with RST: RSTO."""
    rng = random.Random(4)
    _pcap(name, C.tcp_session(rng, CLIENT, SERVER, T0, ((b"a" * 100, b"b" * 100),),
                              close="rst_client"))


@case("tcp_rstr.pcap")
def tcp_rstr(name):
    """Established, data, then the responder aborts with RST: RSTR."""
    rng = random.Random(5)
    _pcap(name, C.tcp_session(rng, CLIENT, SERVER, T0, ((b"a" * 100, b"b" * 100),),
                              close="rst_server"))


@case("tcp_partial_midstream.pcap")
def tcp_partial_midstream(name):
    """Joined mid-connection: data both ways, no SYN, no FIN: OTH."""
    _pcap(name, C.tcp_half_open(random.Random(6), CLIENT, SERVER, T0, b"m" * 100))


@case("tcp_retransmission.pcap")
def tcp_retransmission(name):
    """The client's first data segment is sent again 200 ms later: T in history, and the
    byte count (from sequence numbers) does not count it twice."""
    rng = random.Random(7)
    c = C.TcpConv(rng, CLIENT, SERVER, T0).handshake()
    c.send(True, b"x" * 1000, think=0.001)
    first_data = c.out[3]
    c.out.append((first_data[0] + 0.2, first_data[1]))
    c.t += 0.3
    c.send(False, b"y" * 500)
    c.fin(True)
    _pcap(name, c.sorted())


@case("tcp_zero_window.pcap")
def tcp_zero_window(name):
    """The server advertises a zero window once, then opens it: w in history."""
    rng = random.Random(8)
    c = C.TcpConv(rng, CLIENT, SERVER, T0).handshake()
    c.send(True, b"z" * 800, think=0.001)
    c.t += 0.05
    seg = F.tcp(SERVER.ip, CLIENT.ip, SERVER.port, CLIENT.port, c.sseq, c.cseq, F.ACK, window=0)
    c.out.append((c.t, c.wire.ip(False, F.PROTO_TCP, seg)))
    c.t += 0.05
    seg = F.tcp(SERVER.ip, CLIENT.ip, SERVER.port, CLIENT.port, c.sseq, c.cseq, F.ACK,
                window=4096)
    c.out.append((c.t, c.wire.ip(False, F.PROTO_TCP, seg)))
    c.fin(True)
    _pcap(name, c.sorted())


# --- UDP and ICMP --------------------------------------------------------------------------

@case("udp_dns.pcap")
def udp_dns(name):
    """One DNS query and its answer: SF, Dd, service dns."""
    rng = random.Random(9)
    _pcap(name, C.dns_lookup(rng, C.endpoint("10.0.0.1", 53111), C.endpoint("10.0.0.53", 53),
                             T0, "example.com", answers=[("A", "93.184.216.34")]))


@case("udp_s0.pcap")
def udp_s0(name):
    """Two datagrams to a port that never answers: S0, D."""
    rng = random.Random(10)
    _pcap(name, C.udp_exchange(rng, CLIENT, SERVER, T0, [(b"hello" * 4, None), (b"again", None)]))


@case("icmp_echo.pcap")
def icmp_echo(name):
    """Three pings answered: one icmp connection 8 -> 0, OTH, bytes are ICMP payload."""
    _pcap(name, C.ping(random.Random(11), CLIENT, REMOTE, T0, count=3))


@case("icmpv6.pcap")
def icmpv6(name):
    """ICMPv6: two echo request/reply pairs (one connection 128 -> 129), a neighbour
    solicitation to a solicited-node multicast address (Zeek's ICMP6_counterpart pairs
    135 with 136, so it is logged 135 -> 136 with no reply), and a destination
    unreachable (type 1 code 3 has no counterpart: one-way, logged 1 -> 3)."""
    rng = random.Random(12)
    a, b = C.endpoint("fe80::1"), C.endpoint("fe80::2")
    packets = C.ping(rng, a, b, T0, count=2)
    target = F.ip_bytes("fe80::2")
    ns_dst = "ff02::1:ff00:2"
    body = b"\x00\x00\x00\x00" + target + b"\x01\x01" + a.mac     # RFC 4861 4.3, SLLA option
    ns = F.ipv6(a.ip, ns_dst, F.PROTO_ICMPV6, F.icmpv6(a.ip, ns_dst, 135, 0, body), hop_limit=255)
    packets.append((T0 + 5, F.ethernet(a.mac, "33:33:ff:00:00:02", F.ETH_IPV6, ns)))
    # The unreachable quotes the start of the packet that could not be delivered.
    quoted = F.ipv6(a.ip, "2001:db8::99", F.PROTO_UDP, F.udp(a.ip, "2001:db8::99", 5353, 9, b"?"))
    unreach = F.ipv6(b.ip, a.ip, F.PROTO_ICMPV6,
                     F.icmpv6(b.ip, a.ip, 1, 3, b"\x00\x00\x00\x00" + quoted))
    packets.append((T0 + 6, F.ethernet(b.mac, a.mac, F.ETH_IPV6, unreach)))
    _pcap(name, packets)


# --- link layers and encapsulations ---------------------------------------------------------

@case("vlan.pcap")
def vlan(name):
    """An 802.1Q-tagged TCP session (VLAN 10): logs as if untagged."""
    rng = random.Random(13)
    _pcap(name, C.tcp_session(rng, CLIENT, SERVER, T0, ((b"v" * 64, b"w" * 64),), vlan=10))


@case("qinq.pcap")
def qinq(name):
    """A QinQ (802.1ad outer 100, 802.1Q inner 10) TCP session."""
    rng = random.Random(14)
    _pcap(name, C.tcp_session(rng, CLIENT, SERVER, T0, ((b"v" * 64, b"w" * 64),),
                              vlan=(100, 10)))


@case("ipv6_ext.pcap")
def ipv6_ext(name):
    """IPv6 UDP request and reply behind hop-by-hop, routing and destination-options
    headers: ip_bytes count 40 + payload length (extension headers included). The
    routing header is type 2 (Mobile IPv6) with no segments left: Zeek raises no weird
    for it and keeps the destination (type 0 would add routing0_hdr)."""
    a, b = C.endpoint("2001:db8::1", 33000), C.endpoint("2001:db8::2", 9000)
    ext = (F.ipv6_ext(F.PROTO_HOPOPTS, b"\x05\x02\x00\x00"),        # router alert
           F.ipv6_ext(F.PROTO_ROUTING, b"\x02\x00\x00\x00\x00\x00"       # type 2, segleft 0
                      + F.ip_bytes("2001:db8::2")),                     # home address
           F.ipv6_ext(F.PROTO_DSTOPTS))
    packets = []
    for i, (src, dst, data) in enumerate(((a, b, b"ping" * 5), (b, a, b"pong" * 10))):
        l4 = F.udp(src.ip, dst.ip, src.port, dst.port, data)
        pkt = F.ipv6(src.ip, dst.ip, F.PROTO_UDP, l4, ext_headers=ext)
        packets.append((T0 + i * 0.01, F.ethernet(src.mac, dst.mac, F.ETH_IPV6, pkt)))
    _pcap(name, packets)


@case("ipv4_frags.pcap")
def ipv4_frags(name):
    """A 3000-byte UDP datagram in three fragments, out of order, then a small reply:
    reassembled, counted as one packet of the whole datagram's length."""
    payload = bytes(range(256)) * 11 + bytes(184)                   # 3000 bytes
    l4 = F.udp(CLIENT.ip, SERVER.ip, CLIENT.port, SERVER.port, payload)
    frags = F.ipv4_fragments(CLIENT.ip, SERVER.ip, F.PROTO_UDP, l4, 1480, ident=0x4242)
    order = [frags[0], frags[2], frags[1]]
    packets = [(T0 + i * 0.001, F.ethernet(CLIENT.mac, SERVER.mac, F.ETH_IPV4, f))
               for i, f in enumerate(order)]
    reply = F.ipv4(SERVER.ip, CLIENT.ip, F.PROTO_UDP,
                   F.udp(SERVER.ip, CLIENT.ip, SERVER.port, CLIENT.port, b"ok"), ident=7)
    packets.append((T0 + 0.01, F.ethernet(SERVER.mac, CLIENT.mac, F.ETH_IPV4, reply)))
    _pcap(name, packets)


@case("ipv4_frag_overlap.pcap")
def ipv4_frag_overlap(name):
    """Two fragments of one datagram that overlap with different bytes (an evasion
    trick): fragment_inconsistency; the first copy wins and the datagram completes."""
    payload = b"A" * 40
    l4 = F.udp(CLIENT.ip, SERVER.ip, CLIENT.port, SERVER.port, payload)   # 48 bytes
    first = F.ipv4(CLIENT.ip, SERVER.ip, F.PROTO_UDP, l4[:32], ident=99, df=False,
                   more_fragments=True)
    # Offset 24 overlaps bytes 24..31 of the first fragment with different data.
    second = F.ipv4(CLIENT.ip, SERVER.ip, F.PROTO_UDP, b"B" * 8 + l4[32:], ident=99, df=False,
                    frag_offset=24)
    _pcap(name, [(T0, F.ethernet(CLIENT.mac, SERVER.mac, F.ETH_IPV4, first)),
                 (T0 + 0.001, F.ethernet(CLIENT.mac, SERVER.mac, F.ETH_IPV4, second))])


@case("gre.pcap")
def gre(name):
    """A TCP session inside plain GRE (RFC 2784, protocol 0x0800) between two routers:
    one tunnel.log DISCOVER (ports 0), the inner conn names it in tunnel_parents."""
    rng = random.Random(15)
    inner = C.tcp_session(rng, CLIENT, SERVER, T0, ((b"g" * 50, b"h" * 80),))
    r1, r2 = C.endpoint("203.0.113.1"), C.endpoint("203.0.113.2")
    out = []
    for ts, frame in inner:
        ip = _strip_eth(frame)
        from_client = ip[12:16] == CLIENT.ip
        src, dst = (r1, r2) if from_client else (r2, r1)
        outer = F.ipv4(src.ip, dst.ip, 47, b"\x00\x00\x08\x00" + ip, ident=len(out))
        out.append((ts, F.ethernet(src.mac, dst.mac, F.ETH_IPV4, outer)))
    _pcap(name, out)


@case("vxlan.pcap")
def vxlan(name):
    """A TCP session inside VXLAN (UDP 4789, VNI 42): the outer UDP connection is the
    tunnel (service vxlan, tunnel.log DISCOVER and CLOSE with its ports)."""
    rng = random.Random(16)
    inner = C.tcp_session(rng, CLIENT, SERVER, T0, ((b"x" * 50, b"y" * 80),))
    v1, v2 = C.endpoint("172.16.0.1", 51000), C.endpoint("172.16.0.2", 4789)
    header = b"\x08\x00\x00\x00" + (42 << 8).to_bytes(4, "big")   # I flag, VNI 42
    wire = C.Wire(rng, v1, v2)
    out = []
    for ts, frame in inner:
        from_client = frame[26:30] == CLIENT.ip
        # Both directions use the same outer ports, as a VTEP pair with a fixed
        # source port (a flow hash) does; replies come back to 4789 on the other side
        # in real networks, but one outer connection keeps the case small.
        src, dst = (v1, v2) if from_client else (v2, v1)
        l4 = F.udp(src.ip, dst.ip, src.port, dst.port, header + frame)
        out.append((ts, wire.ip(from_client, F.PROTO_UDP, l4)))
    _pcap(name, out)


@case("bad_checksums.pcap")
def bad_checksums(name):
    """Without -C: a TCP segment with a bad checksum (weird bad_TCP_checksum, C in
    history, the segment ignored, its good retransmission counted once), a UDP datagram
    with a bad checksum (weird, C, not counted) and an IP header with a bad checksum
    (weird bad_IP_checksum, no connection at all)."""
    rng = random.Random(17)
    c = C.TcpConv(rng, CLIENT, SERVER, T0).handshake()
    c.t += 0.001
    seq = c.cseq
    c.pkt(True, F.ACK | F.PSH, b"c" * 100, bad_checksum=True)
    c.cseq = seq
    c.t += 0.2
    c.pkt(True, F.ACK | F.PSH, b"c" * 100)
    c.t += 0.02
    c.pkt(False, F.ACK)
    c.fin(True)
    packets = c.sorted()
    u1, u2 = C.endpoint("10.0.0.1", 41000), C.endpoint("192.168.1.2", 9001)
    w = C.Wire(rng, u1, u2)
    packets.append((T0 + 1, w.udp(True, b"bad" * 10, bad_checksum=True)))
    packets.append((T0 + 1.1, w.udp(True, b"good" * 10)))
    packets.append((T0 + 1.2, w.udp(False, b"back")))
    bad_ip = F.ipv4("10.0.0.3", "192.168.1.9", F.PROTO_UDP,
                    F.udp("10.0.0.3", "192.168.1.9", 5000, 5001, b"x"), bad_checksum=True)
    packets.append((T0 + 2, F.ethernet("02:00:00:00:00:03", "02:00:00:00:00:09",
                                       F.ETH_IPV4, bad_ip)))
    _pcap(name, packets)


def _udp_pair_ip(seed: int):
    """A UDP request/reply as bare IP packets, for the other link types."""
    rng = random.Random(seed)
    return [(ts, _strip_eth(f)) for ts, f in
            C.udp_exchange(rng, CLIENT, SERVER, T0, [(b"req" * 10, b"rep" * 20)])]


@case("link_sll.pcap")
def link_sll(name):
    """Linux cooked capture (SLL, link type 113): UDP SF."""
    _pcap(name, [(ts, F.linux_sll(ip)) for ts, ip in _udp_pair_ip(18)],
          linktype=W.LINKTYPE_LINUX_SLL)


@case("link_null.pcap")
def link_null(name):
    """BSD loopback (link type 0, host-order family): UDP SF."""
    _pcap(name, [(ts, F.null_loopback(ip)) for ts, ip in _udp_pair_ip(19)],
          linktype=W.LINKTYPE_NULL)


@case("link_raw.pcap")
def link_raw(name):
    """Raw IP (link type 101): UDP SF."""
    _pcap(name, _udp_pair_ip(20), linktype=W.LINKTYPE_RAW)


# --- capture file formats -----------------------------------------------------------------

@case("pcapng_two_interfaces.pcapng")
def pcapng_two_interfaces(name):
    """pcapng with an Ethernet interface and a raw-IP interface: a TCP session on the
    first, a UDP exchange on the second, both logged."""
    rng = random.Random(21)
    tcp = [(ts, f, 0) for ts, f in C.tcp_session(rng, CLIENT, SERVER, T0, ((b"n" * 30, b"g" * 30),))]
    udp = [(ts + 0.5, ip, 1) for ts, ip in _udp_pair_ip(22)]
    W.write_pcapng(DATA / name, sorted(tcp + udp, key=lambda p: p[0]),
                   interfaces=((W.LINKTYPE_ETHERNET, "eth0"), (W.LINKTYPE_RAW, "tun0")))


@case("pcap_nano.pcap")
def pcap_nano(name):
    """Nanosecond pcap: the stamps keep sub-microsecond parts (the log prints 6 places,
    the duration comes from the nanosecond values)."""
    rng = random.Random(23)
    pairs = C.udp_exchange(rng, CLIENT, SERVER, T0, [(b"nano", b"second")])
    with W.PcapWriter(DATA / name, nano=True) as w:
        base = 1_700_000_000_123_456_789
        w.write_ns(base, pairs[0][1])
        w.write_ns(base + 1_000_000_250, pairs[1][1])    # 1.00000025 s later


@case("pcap_big_endian.pcap")
def pcap_big_endian(name):
    """A pcap written by a big-endian host (magic a1b2c3d4 in network order)."""
    rng = random.Random(24)
    _pcap(name, C.tcp_session(rng, CLIENT, SERVER, T0, ((b"b" * 40, b"e" * 40),)),
          big_endian=True)


@case("pcap_gzip.pcap.gz")
def pcap_gzip(name):
    """A gzip-compressed pcap, read transparently. gzip stamps the time in its header,
    so the file is written with mtime 0 to stay byte-identical between builds."""
    import gzip
    import io
    rng = random.Random(25)
    raw = W.pcap_bytes(C.dns_lookup(rng, CLIENT._replace(port=53222),
                                    C.endpoint("10.0.0.53", 53), T0, "example.org",
                                    answers=[("A", "93.184.216.34")]))
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz:
        gz.write(raw)
    (DATA / name).write_bytes(buf.getvalue())


def build(names=None) -> list[Path]:
    DATA.mkdir(parents=True, exist_ok=True)
    written = []
    for case_name, (filename, fn) in CASES.items():
        if names and case_name not in names:
            continue
        fn(filename)
        written.append(DATA / filename)
    return written


def capture_for(case_name: str) -> Path:
    return DATA / CASES[case_name][0]


if __name__ == "__main__":
    for path in build(sys.argv[1:]):
        print(f"{path.stat().st_size:7d}  {path.name}")
