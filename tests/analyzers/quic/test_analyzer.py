"""QuicAnalyzer through FakeContext: real conversations from Zeek's traces, and hostile ones.

Expected values are Zeek's own baselines for the same traces
(testing/btest/Baseline/scripts.base.protocols.quic.*/{quic,ssl}.log).
"""

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shoestring.analyzers.quic import SPEC, QuicAnalyzer, looks_like_quic_initial
from tests.fakes import FakeContext

from . import build as B
from . import vectors as V

DATA = json.loads((Path(__file__).parent / "data" / "datagrams.json").read_text())
QUIC_FIELDS = ("version", "client_initial_dcid", "client_scid", "server_scid", "server_name",
               "client_protocol", "history")
SSL_FIELDS = ("version", "cipher", "curve", "server_name", "resumed", "last_alert",
              "next_protocol", "established", "ssl_history", "cert_chain_fps")

# (quic records, ssl record) as Zeek logged them; "" is Zeek's (empty), None its "-".
EXPECTED = {
    "chromium": (
        [("1", "95412c47018cdfe8", "", "d5412c47018cdfe8", "api.cirrus-ci.com", "h3",
          "ISishoHOOooOoO")],
        ("TLSv13", "TLS_AES_128_GCM_SHA256", "x25519", "api.cirrus-ci.com", True, None, None,
         False, "Cs", None)),
    "quicv2-http3-443": (
        [("quicv2", "bdf0c5b27927cc667e58d95b", "71b8f3f4", "cdc8b6e6", None, "h3",
          "ISishhooIHHOOoO")],
        ("TLSv13", "TLS_AES_128_GCM_SHA256", "x25519", None, False, None, None, False, "Cs",
         None)),
    "retry": (
        [("1", "4a8294bf9201d6cf", "", None, "server4:443", "hq-interop", "ISr"),
         ("1", "1b036a11", "", "fc674735", "server4:443", "hq-interop", "ISishhoIHOOoOoo")],
        ("TLSv13", "TLS_AES_128_GCM_SHA256", "x25519", "server4:443", False, None, None, False,
         "CCs", None)),
    "quicdoq": (
        [("1", "fda05288ab9ff546", "0fb934775f247b8e", "a31f4933d8727231", None, "doq",
          "ISishhoHOoOo")],
        ("TLSv13", "TLS_AES_128_GCM_SHA256", "secp256r1", None, False, None, None, False, "Cs",
         None)),
    "39264-rand": (   # ClientHello split over three Initials, zero padding (X), 0-RTT (Z)
        [("1", "ceef7990f5bb4071", "1e6dc7", "eeef7990f5bb4071", "tr6.snapchat.com", "h3",
          "IXIXISZXiiiiishooIHOOoO")],
        ("TLSv13", "TLS_AES_128_GCM_SHA256", "x25519", "tr6.snapchat.com", True, None, None,
         False, "Cs", None)),
}


def replay(name, datagrams=None):
    case = DATA[name]
    oh, op, rh, rp = case["orig"]
    ctx = FakeContext(oh, op, rh, rp, proto="udp")
    a = QuicAnalyzer(ctx)
    last = 0.0
    for ts, is_orig, payload in datagrams if datagrams is not None else case["datagrams"]:
        a.deliver(is_orig, bytes.fromhex(payload) if isinstance(payload, str) else payload, ts)
        last = ts
    a.finish(last)
    return ctx


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_trace_matches_zeek(name):
    ctx = replay(name)
    quic_expected, ssl_expected = EXPECTED[name]
    got = [tuple(r[f] for f in QUIC_FIELDS) for r in ctx.records["quic"]]
    assert got == quic_expected
    (ssl,) = ctx.records["ssl"]
    assert tuple(ssl[f] for f in SSL_FIELDS) == ssl_expected
    assert ssl["ja4"].startswith("q13") and len(ssl["ja3"]) == 32
    assert ctx.services == ["quic", "ssl"]              # conn.log's service: quic,ssl
    assert ctx.violations == []
    rec = ctx.records["quic"][0]
    assert (rec["uid"], rec["id.orig_h"], rec["id.resp_p"]) == (ctx.uid, ctx.orig_h, ctx.resp_p)
    assert rec["ts"] == DATA[name]["datagrams"][0][0]   # first Initial's time


def test_rfc9001_client_initial_alone():
    ctx = FakeContext(proto="udp", resp_p=443)
    a = QuicAnalyzer(ctx)
    a.deliver(True, V.V1_CLIENT_PACKET, 1.0)
    a.finish(2.0)
    (rec,) = ctx.records["quic"]
    assert (rec["server_name"], rec["client_protocol"], rec["history"]) == \
        ("example.com", "alpn", "IS")
    assert rec["client_initial_dcid"] == V.DCID.hex() and rec["client_scid"] == ""
    assert rec["server_scid"] is None                   # never seen: "-", not ""
    assert ctx.records["ssl"][0]["version"] is None and ctx.records["ssl"][0]["ssl_history"] == "C"


DCID = bytes(range(8))


def test_split_hello_many_names_and_protocols_then_close():
    ch = B.client_hello(server_names=("a.example", "b.example"), alpn=("h3", "h3-29"))
    ctx = FakeContext(proto="udp")
    a = QuicAnalyzer(ctx)
    a.deliver(True, B.initial(B.crypto_frame(40, ch[40:]), DCID), 1.0)       # second half first
    a.deliver(True, B.initial(B.crypto_frame(0, ch[:40]) + b"\x1c\x00\x00\x00", DCID, pn=1), 1.1)
    a.deliver(True, b"\x40" + bytes(20), 1.2)          # short packet after the close: no record
    a.finish(2.0)
    (rec,) = ctx.records["quic"]
    assert (rec["server_name"], rec["client_protocol"], rec["history"]) == \
        ("a.example", "h3", "IISC")                     # C: CONNECTION_CLOSE logs the record
    assert ("SSL_many_server_names", "[a.example, b.example]") in ctx.weirds
    assert ("QUIC_many_protocols", "[h3, h3-29]") in ctx.weirds
    assert ("QUIC_spurious_short_packet_threshold_crossed", "1") in ctx.weirds


def test_trailing_garbage_is_x_after_decryption_only():
    ch = B.client_hello()
    ctx = FakeContext(proto="udp")
    a = QuicAnalyzer(ctx)
    a.deliver(True, b"\x00" * 50, 0.5)                 # before any decryption: not counted
    a.deliver(True, B.initial(B.crypto_frame(0, ch), DCID) + bytes(300), 1.0)
    a.finish(2.0)
    assert ctx.records["quic"][0]["history"] == "ISX"


def test_psk_accepted_marks_resumed():
    ch = B.client_hello(psk=True)
    # ServerHello: TLS 1.3, TLS_AES_256_GCM_SHA384, key_share secp384r1, pre_shared_key.
    exts = b"\x00\x2b\x00\x02\x03\x04" + b"\x00\x33\x00\x04\x00\x18\x00\x00" + \
        b"\x00\x29\x00\x02\x00\x00"
    body = b"\x03\x03" + bytes(32) + b"\x00" + b"\x13\x02" + b"\x00" + \
        len(exts).to_bytes(2, "big") + exts
    sh = b"\x02" + len(body).to_bytes(3, "big") + body
    ctx = FakeContext(proto="udp")
    a = QuicAnalyzer(ctx)
    a.deliver(True, B.initial(B.crypto_frame(0, ch), DCID, b"\xcc"), 1.0)
    a.deliver(False, B.initial(B.crypto_frame(0, sh), b"\xcc", b"\x5e\x4e", key_dcid=DCID,
                               from_client=False), 1.1)
    a.finish(2.0)
    (ssl,) = ctx.records["ssl"]
    assert (ssl["version"], ssl["cipher"], ssl["curve"], ssl["resumed"], ssl["ssl_history"]) == \
        ("TLSv13", "TLS_AES_256_GCM_SHA384", "secp384r1", True, "Cs")
    assert ssl["ja3s"] is not None
    assert ctx.records["quic"][0]["server_scid"] == "5e4e"


def test_crypto_flood_is_bounded_and_reported():
    ctx = FakeContext(proto="udp")
    a = QuicAnalyzer(ctx)
    ch = B.client_hello()
    a.deliver(True, B.initial(B.crypto_frame(0, ch[:5]), DCID), 0.0)   # length known: small
    for i in range(200):                               # pieces far past the hello's end
        a.deliver(True, B.initial(B.crypto_frame(5000 + 300 * i, bytes(200)), DCID, pn=i + 1),
                  float(i))
    stream = a._streams[1]
    assert len(stream._buf) <= len(ch) and not stream._pending
    assert any(w[0] == "QUIC_crypto_data_dropped" for w in ctx.weirds)
    a.deliver(True, B.initial(B.crypto_frame(5, ch[5:]), DCID, pn=999), 300.0)
    a.finish(301.0)
    assert ctx.records["quic"][0]["server_name"] == "example.com"


def test_rfc_server_initial_alone_is_not_decrypted():
    # Without the client's Initial there is no DCID to derive the server's keys from.
    ctx = FakeContext(proto="udp")
    a = QuicAnalyzer(ctx)
    a.deliver(False, V.V1_SERVER_PACKET, 1.0)
    a.finish(1.0)
    assert ctx.records["quic"][0]["history"] == "i"
    assert ctx.services == [] and "ssl" not in ctx.records


def test_rfc_v2_client_then_server():
    ctx = FakeContext(proto="udp")
    a = QuicAnalyzer(ctx)
    a.deliver(True, V.V2_CLIENT_PACKET, 1.0)
    a.deliver(False, V.V2_SERVER_PACKET, 1.1)
    a.finish(2.0)
    (rec,) = ctx.records["quic"]
    assert (rec["version"], rec["history"], rec["server_scid"]) == ("quicv2", "ISis",
                                                                   "f067a5502a4262b5")
    ssl = ctx.records["ssl"][0]
    assert (ssl["version"], ssl["cipher"], ssl["curve"], ssl["ssl_history"]) == \
        ("TLSv13", "TLS_AES_128_GCM_SHA256", "x25519", "Cs")


def test_not_quic_is_a_violation():
    ctx = FakeContext(proto="udp", resp_p=443)
    a = QuicAnalyzer(ctx)
    a.deliver(True, bytes.fromhex("c000000001") + b"\x30" + bytes(40), 1.0)   # DCID of 48
    a.deliver(True, V.V1_CLIENT_PACKET, 1.1)        # detached: ignored
    a.finish(2.0)
    assert ctx.violations[0].startswith("QUIC_invalid_connection_id_length")
    assert ctx.weirds == []                         # not QUIC is not an anomaly
    assert "quic" not in ctx.records


def test_undecryptable_initial_is_a_violation_before_confirmation():
    bad = bytearray(V.V1_CLIENT_PACKET)
    bad[700] ^= 0xFF
    ctx = FakeContext(proto="udp")
    a = QuicAnalyzer(ctx)
    a.deliver(True, bytes(bad), 1.0)
    assert len(ctx.violations) == 1 and ctx.violations[0].startswith("QUIC_decryption_failed")


def test_undecryptable_initial_after_confirmation_is_a_weird():
    ctx = FakeContext(proto="udp")
    a = QuicAnalyzer(ctx)
    a.deliver(True, V.V1_CLIENT_PACKET, 1.0)
    bad = bytearray(V.V1_SERVER_PACKET)
    bad[60] ^= 0xFF
    a.deliver(False, bytes(bad), 1.1)
    a.finish(2.0)
    assert ctx.violations == [] and [w[0] for w in ctx.weirds] == ["QUIC_decryption_failed"]
    assert ctx.records["quic"][0]["history"] == "ISi"


def test_unknown_version_logs_u_and_detaches():
    ctx = FakeContext(proto="udp")
    a = QuicAnalyzer(ctx)
    a.deliver(True, bytes.fromhex("c0" "1a2a3a4a" "04" "01020304" "00") + bytes(40), 1.0)
    a.finish(2.0)
    (rec,) = ctx.records["quic"]
    assert (rec["version"], rec["history"], rec["client_initial_dcid"]) == \
        ("unknown-1a2a3a4a", "U", "01020304")
    assert ctx.violations


def test_short_packets_without_session_are_weird_not_records():
    ctx = FakeContext(proto="udp")
    a = QuicAnalyzer(ctx)
    for i in range(5):
        a.deliver(True, b"\x40" + bytes(30), float(i))
    a.finish(6.0)
    assert "quic" not in ctx.records
    # thresholds 1, 2, 4 crossed: Zeek's QUIC_spurious_short_packet_threshold_crossed each time
    assert [w for w in ctx.weirds] == [("QUIC_spurious_short_packet_threshold_crossed", n)
                                       for n in ("1", "2", "4")]


@given(st.lists(st.tuples(st.booleans(), st.booleans()), max_size=300))
@settings(max_examples=100, deadline=None)
def test_short_packet_letters_follow_each_sides_powers_of_two(packets):
    # deliver() counts short-header datagrams down to the next power of two; a short packet
    # coalesced after a long one goes through _datagram instead. Both must add O/o exactly
    # where a plain per-side count reaches 1, 2, 4, 8, ...
    hs = bytes.fromhex("e0" "00000001" "00" "00" "04") + bytes(4)   # empty Handshake packet
    ctx = FakeContext(proto="udp")
    a = QuicAnalyzer(ctx)
    a.deliver(True, V.V1_CLIENT_PACKET, 0.0)
    expected, counts = "IS", {True: 0, False: 0}
    for i, (is_orig, coalesced) in enumerate(packets):
        a.deliver(is_orig, (hs if coalesced else b"") + b"\x41" + bytes(30), float(i))
        if coalesced:
            expected += "H" if is_orig else "h"
        counts[is_orig] += 1
        if counts[is_orig] & (counts[is_orig] - 1) == 0:
            expected += "O" if is_orig else "o"
    a.finish(1000.0)
    assert ctx.records["quic"][0]["history"] == expected[:100]


def test_history_is_capped_at_100_with_a_weird():
    ctx = FakeContext(proto="udp")
    a = QuicAnalyzer(ctx)
    hs = bytes.fromhex("e0" "00000001" "00" "00" "04") + bytes(4)   # empty Handshake packets
    a.deliver(True, V.V1_CLIENT_PACKET, 0.0)
    for i in range(200):
        a.deliver(True, hs, float(i))
    a.finish(300.0)
    assert len(ctx.records["quic"][0]["history"]) == 100
    assert ("QUIC_max_history_length_reached", None) in ctx.weirds


def test_spec_ports_and_signature():
    assert SPEC.name == "quic" and SPEC.factory is QuicAnalyzer
    assert SPEC.udp_ports == {443, 853, 784}
    assert looks_like_quic_initial(V.V1_CLIENT_PACKET, True)
    assert looks_like_quic_initial(V.V2_CLIENT_PACKET, True)
    assert not looks_like_quic_initial(V.V1_CLIENT_PACKET[:6], True)
    assert not looks_like_quic_initial(b"\xe0" + V.V1_CLIENT_PACKET[1:], True)   # Handshake
    assert not looks_like_quic_initial(b"\xc0\x00\x00\x00\x02" + bytes(40), True)
    assert not looks_like_quic_initial(b"GET / HTTP/1.1\r\n", True)


# --- hostile input: the analyzer never raises --------------------------------------------

def _all_datagrams():
    return [(name, i) for name in sorted(DATA) for i in range(len(DATA[name]["datagrams"]))]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=1400)), max_size=12))
def test_random_datagrams_never_raise(datagrams):
    ctx = FakeContext(proto="udp")
    a = QuicAnalyzer(ctx)
    for i, (is_orig, d) in enumerate(datagrams):
        a.deliver(is_orig, d, float(i))
    a.finish(99.0)
    assert not [w for w in ctx.weirds if w[0] == "QUIC_analyzer_error"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(DATA)), st.randoms(use_true_random=False),
       st.integers(1, 8), st.integers(0, 3))
def test_mutated_traces_never_raise(name, rnd, n_mut, how):
    datagrams = [[ts, o, bytearray(bytes.fromhex(p))] for ts, o, p in DATA[name]["datagrams"]]
    for _ in range(n_mut):
        d = rnd.choice(datagrams)[2]
        if not d:
            continue
        if how == 0:
            d[rnd.randrange(len(d))] ^= 1 << rnd.randrange(8)       # flip a bit
        elif how == 1:
            del d[rnd.randrange(len(d)):]                           # truncate
        elif how == 2:
            d[rnd.randrange(len(d))] = rnd.randrange(256)           # overwrite a byte
        else:
            rnd.shuffle(datagrams)                                  # reorder
    ctx = replay(name, [(ts, o, bytes(p)) for ts, o, p in datagrams])
    assert not [w for w in ctx.weirds if w[0] == "QUIC_analyzer_error"]
    for rec in ctx.records.get("quic", []):
        assert len(rec["history"]) <= 100


def test_split_client_hello_in_reverse_order():
    # 39264-rand's first three client Initials carry the ClientHello in pieces; feeding them
    # in reverse still reassembles it (CRYPTO offsets), S comes with the piece that completes.
    dgs = DATA["39264-rand"]["datagrams"]
    first3 = [d for d in dgs if d[1]][:3]
    ctx = replay("39264-rand", list(reversed(first3)))
    (rec,) = ctx.records["quic"]
    assert rec["server_name"] == "tr6.snapchat.com" and "S" in rec["history"]
