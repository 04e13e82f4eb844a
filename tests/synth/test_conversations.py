"""Whole conversations: TCP sequence arithmetic, DNS/TLS/QUIC/DHCP/SSH bytes that parse."""

import random
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from cryptography import x509

from shoestring.synth import conversations as C
from shoestring.synth import dnswire, quicwire
from shoestring.synth import frames as F

from .wire import pseudo, split, sums_to_zero, tcp_fields

CLIENT, SERVER = C.endpoint("10.1.0.5", 51000), C.endpoint("93.184.216.34", 80)


def segments(packets):
    """Each TCP packet as (from_client, fields), checking every checksum on the way."""
    out = []
    for _, frame in packets:
        p = split(frame)
        assert sums_to_zero(p["ip_header"]) if p["version"] == 4 else True
        assert sums_to_zero(pseudo(p["src"], p["dst"], 6, len(p["l4"])) + p["l4"])
        out.append((p["src"] == CLIENT.ip or p["src"] == C.endpoint("2001:db8::5").ip, tcp_fields(p["l4"])))
    return out


def assert_sorted(packets):
    assert [t for t, _ in packets] == sorted(t for t, _ in packets)


def test_tcp_session_seq_ack_follow_the_bytes():
    rng = random.Random(3)
    up, down = b"q" * 3000, b"r" * 5000
    pkts = C.tcp_session(rng, CLIENT, SERVER, 100.0, [(up, down)])
    assert_sorted(pkts)
    segs = segments(pkts)
    (c0, syn), (s0, synack), (c1, ack) = segs[:3]
    assert (c0, s0, c1) == (True, False, True)
    assert syn["flags"] == F.SYN and synack["flags"] == F.SYN | F.ACK and ack["flags"] == F.ACK
    assert synack["ack"] == syn["seq"] + 1 and ack["ack"] == synack["seq"] + 1
    isn_c, isn_s = syn["seq"], synack["seq"]
    for from_c, f in segs[3:]:
        base, peer = (isn_c, isn_s) if from_c else (isn_s, isn_c)
        # modulo 2**32: never before the first data byte of either side
        assert (f["ack"] - (peer + 1)) & 0xFFFFFFFF < 2**31
        assert (f["seq"] - (base + 1)) & 0xFFFFFFFF < 2**31
    client_bytes = b"".join(f["payload"] for c, f in segs if c)
    server_bytes = b"".join(f["payload"] for c, f in segs if not c)
    assert client_bytes == up and server_bytes == down
    fins = [(c, f) for c, f in segs if f["flags"] & F.FIN]
    assert [c for c, _ in fins] == [True, False]
    assert fins[0][1]["seq"] == (isn_c + 1 + len(up)) & 0xFFFFFFFF
    assert fins[1][1]["seq"] == (isn_s + 1 + len(down)) & 0xFFFFFFFF
    last = segs[-1][1]
    assert segs[-1][0] and last["flags"] == F.ACK and last["ack"] == fins[1][1]["seq"] + 1


@pytest.mark.parametrize("close,flags", [("rst_client", (True, F.RST | F.ACK)),
                                         ("rst_server", (False, F.RST | F.ACK))])
def test_tcp_session_resets(close, flags):
    segs = segments(C.tcp_session(random.Random(1), CLIENT, SERVER, 1.0, [(b"a", b"b")], close=close))
    assert (segs[-1][0], segs[-1][1]["flags"]) == flags


def test_rejected_and_unanswered():
    rej = segments(C.tcp_rejected(random.Random(1), CLIENT, SERVER, 1.0))
    assert [f["flags"] for _, f in rej] == [F.SYN, F.RST | F.ACK]
    assert rej[1][1]["ack"] == rej[0][1]["seq"] + 1 and rej[1][1]["seq"] == 0
    s0 = segments(C.tcp_no_answer(random.Random(1), CLIENT, SERVER, 1.0, retries=2))
    assert [c for c, _ in s0] == [True] * 3 and len({f["seq"] for _, f in s0}) == 1


def test_ipv6_http_get_has_request_and_response():
    c6, s6 = C.endpoint("2001:db8::5", 50000), C.endpoint("2001:db8:1::80", 80)
    pkts = C.http_get(random.Random(2), c6, s6, 5.0, "v6.example", "/x", body_size=4000)
    data = b"".join(f["payload"] for c, f in segments(pkts) if not c)
    req = b"".join(f["payload"] for c, f in segments(pkts) if c)
    assert req.startswith(b"GET /x HTTP/1.1\r\nHost: v6.example\r\n")
    head, body = data.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 OK") and b"Content-Length: 4000" in head and len(body) == 4000


def parse_name(msg: bytes, pos: int) -> tuple[str, int]:
    labels, end = [], None
    while msg[pos]:
        if msg[pos] & 0xC0 == 0xC0:
            end = end or pos + 2
            pos = struct.unpack("!H", msg[pos:pos + 2])[0] & 0x3FFF
            continue
        labels.append(msg[pos + 1:pos + 1 + msg[pos]].decode())
        pos += 1 + msg[pos]
    return ".".join(labels), end or pos + 1


def test_dns_answer_with_cname_chain_parses():
    msg = dnswire.response(0xBEEF, "www.example.com", "A",
                           [("CNAME", "edge.example.net"), ("A", "192.0.2.7")], ttl=60)
    txid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg[:12])
    assert (txid, flags & 0x8000, qd, an) == (0xBEEF, 0x8000, 1, 2)
    qname, pos = parse_name(msg, 12)
    assert qname == "www.example.com"
    pos += 4
    owners, rdatas = [], []
    for _ in range(an):
        owner, pos = parse_name(msg, pos)
        rtype, _, ttl, rdlen = struct.unpack("!HHIH", msg[pos:pos + 10])
        owners.append(owner)
        rdatas.append(parse_name(msg, pos + 10)[0] if rtype == 5 else msg[pos + 10:pos + 10 + rdlen])
        pos += 10 + rdlen
    assert pos == len(msg)
    assert owners == ["www.example.com", "edge.example.net"]
    assert rdatas == ["edge.example.net", bytes([192, 0, 2, 7])]


def test_dns_lookup_udp_checksums_and_nxdomain():
    pkts = C.dns_lookup(random.Random(4), CLIENT, C.endpoint("10.1.0.1", 53), 1.0, "nope.example", rcode="NXDOMAIN")
    q, r = (split(f) for _, f in pkts)
    for p in (q, r):
        assert sums_to_zero(pseudo(p["src"], p["dst"], 17, len(p["l4"])) + p["l4"])
    assert struct.unpack("!H", r["l4"][8 + 2:8 + 4])[0] & 0x0F == 3
    assert q["l4"][8:10] == r["l4"][8:10]  # same transaction id


@pytest.mark.parametrize("tls13", [True, False])
def test_tls_handshake_carries_sni_alpn_and_a_real_certificate(tls13):
    pkts = C.tls_session(random.Random(5), CLIENT, SERVER._replace(port=443), 1.0, "shop.example.in",
                         alpn=("h2", "http/1.1"), tls13=tls13)
    segs = segments(pkts)
    up = b"".join(f["payload"] for c, f in segs if c)
    down = b"".join(f["payload"] for c, f in segs if not c)
    assert up[0] == 22 and up[5] == 1  # handshake record, ClientHello
    assert b"shop.example.in" in up and b"\x02h2\x08http/1.1" in up
    assert down[0] == 22 and down[5] == 2  # ServerHello
    if tls13:
        assert b"\x00\x2b\x00\x02\x03\x04" in down  # supported_versions = TLS 1.3
    else:
        rec_len = struct.unpack("!H", down[3:5])[0]
        body, pos, certs = down[5:5 + rec_len], 0, []
        while pos < len(body):
            kind, length = body[pos], int.from_bytes(body[pos + 1:pos + 4], "big")
            if kind == 11:
                der_len = int.from_bytes(body[pos + 7:pos + 10], "big")
                certs.append(body[pos + 10:pos + 10 + der_len])
            pos += 4 + length
        assert pos == len(body) and len(certs) == 1
        cert = x509.load_der_x509_certificate(certs[0])
        assert cert.subject.rfc4514_string().startswith("CN=shop.example.in")


def test_quic_initial_keys_match_rfc9001_appendix_a():
    dcid = bytes.fromhex("8394c8f03e515708")
    assert [k.hex() for k in quicwire.initial_keys(dcid, server=False)] == [
        "1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c", "9f50449e04a0e810283a1e9933adedd2"]
    assert [k.hex() for k in quicwire.initial_keys(dcid, server=True)] == [
        "cf3a5331653c364c88f0f379b6067e37", "0ac1493ca1905853b0bba03e", "c206b8d9b9f0f37644430b490eeaa314"]


def test_quic_client_initial_decrypts_to_a_clienthello_with_sni():
    pkts = C.quic_session(random.Random(6), CLIENT._replace(port=50001), SERVER._replace(port=443), 1.0,
                          "quic.example.org", down=5000)
    first = split(pkts[0][1])
    dgram = first["l4"][8:]
    assert len(dgram) >= 1200 and dgram[0] & 0xF0 == 0xC0 and dgram[1:5] == b"\x00\x00\x00\x01"
    dcid = dgram[6:6 + dgram[5]]
    pn, payload = quicwire.unprotect_long(dgram, quicwire.initial_keys(dcid, server=False))
    assert pn == 0 and payload[0] == 0x06  # CRYPTO frame
    assert b"quic.example.org" in payload and b"\x02h3" in payload
    server = split(pkts[1][1])["l4"][8:]
    _, spayload = quicwire.unprotect_long(server, quicwire.initial_keys(dcid, server=True))
    assert spayload[0] == 0x02 and b"\x02\x00" in spayload  # ACK, then a ServerHello in CRYPTO


def test_dhcp_exchange_is_four_bootp_messages_with_the_magic_cookie():
    pkts = C.dhcp_exchange(random.Random(7), "00:11:22:33:44:55", C.endpoint("10.1.0.1", 67), 1.0, "10.1.0.77")
    kinds = []
    for _, frame in pkts:
        p = split(frame)
        bootp = p["l4"][8:]
        assert bootp[236:240] == b"\x63\x82\x53\x63" and bootp[28:34] == bytes.fromhex("001122334455")
        assert bootp[240] == 53
        kinds.append(bootp[242])
    assert kinds == [1, 2, 3, 5]


def test_ssh_banners_come_first_each_way():
    ssh = C.endpoint("10.1.0.9", 22)
    segs = segments(C.ssh_session(random.Random(8), CLIENT, ssh, 1.0))
    up = b"".join(f["payload"] for c, f in segs if c)
    down = b"".join(f["payload"] for c, f in segs if not c)
    assert up.startswith(b"SSH-2.0-OpenSSH_9.6") and down.startswith(b"SSH-2.0-OpenSSH_8.9")
    kex = down[down.index(b"\r\n") + 2:]
    plen, pad = struct.unpack("!IB", kex[:5])
    assert kex[5] == 20 and (plen + 4) % 8 == 0  # SSH_MSG_KEXINIT, block-aligned


def test_port_scan_answers_closed_with_rst_and_open_with_synack():
    scanner, target = C.endpoint("10.1.0.66", 40000), C.endpoint("10.1.0.9")
    pkts = C.port_scan(random.Random(9), scanner, target, 1.0, range(20, 30), open_ports={22, 25})
    assert_sorted(pkts)
    answers = {}
    for _, frame in pkts:
        p = split(frame)
        f = tcp_fields(p["l4"])
        if p["src"] == target.ip:
            answers[f["sport"]] = f["flags"]
    assert answers == {port: (F.SYN | F.ACK if port in (22, 25) else F.RST | F.ACK) for port in range(20, 30)}


def test_ping_v4_and_v6_checksums():
    for a, b, proto in ((CLIENT, SERVER, 1), (C.endpoint("fe80::1"), C.endpoint("fe80::2"), 58)):
        for _, frame in C.ping(random.Random(1), a, b, 1.0, count=2):
            p = split(frame)
            assert p["proto"] == proto
            body = p["l4"] if proto == 1 else pseudo(p["src"], p["dst"], 58, len(p["l4"])) + p["l4"]
            assert sums_to_zero(body)


def test_same_seed_same_bytes():
    def make(seed):
        rng = random.Random(seed)
        return (C.tls_session(rng, CLIENT, SERVER._replace(port=443), 1.0, "a.example")
                + C.quic_session(rng, CLIENT, SERVER._replace(port=443), 2.0, "b.example"))
    assert make(11) == make(11) and make(11) != make(12)


@given(st.integers(0, 2**32), st.booleans())
@settings(max_examples=25, deadline=None)
def test_any_seed_gives_frames_whose_checksums_all_verify(seed, v6):
    rng = random.Random(seed)
    c = C.endpoint("2001:db8::5" if v6 else "10.1.0.5", rng.randint(1024, 65535))
    s = C.endpoint("2001:db8:1::80" if v6 else "93.184.216.34", 443)
    pkts = (C.tls_session(rng, c, s, 1.0, "a.example", tls13=rng.random() < 0.5, down=rng.randint(0, 30000))
            + C.quic_session(rng, c, s, 2.0, "b.example", down=rng.randint(0, 20000))
            + C.tcp_session(rng, c, s._replace(port=80), 3.0, [(rng.randbytes(rng.randint(0, 4000)), b"ok")],
                            close=rng.choice(("fin", "fin_server", "rst_client", "rst_server", "half", "none"))))
    for _, frame in pkts:
        p = split(frame)
        if p["version"] == 4:
            assert sums_to_zero(p["ip_header"])
        assert sums_to_zero(pseudo(p["src"], p["dst"], p["proto"], len(p["l4"])) + p["l4"])


@pytest.mark.parametrize("upload", [False, True])
def test_bulk_transfer_is_smb2_messages_carrying_every_byte(upload):
    share = C.endpoint("10.1.0.10", 445)
    segs = segments(C.bulk_transfer(random.Random(12), CLIENT, share, 1.0, 2_500_000, upload=upload))
    stream = b"".join(f["payload"] for c, f in segs if c == upload)
    other = b"".join(f["payload"] for c, f in segs if c != upload)
    for data in (stream, other):
        pos, n = 0, 0
        while pos < len(data):
            length = struct.unpack("!I", data[pos:pos + 4])[0]
            assert data[pos + 4:pos + 8] == b"\xfeSMB"
            pos += 4 + length
            n += 1
        assert pos == len(data) and n == 3  # 1 MiB + 1 MiB + the rest
    assert len(stream) > 2_500_000
