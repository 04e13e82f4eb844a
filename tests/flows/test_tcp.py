"""TCP state, history letters, sizes and conn_state (flows/tcp.py, through ConnTable), from
tables of flag sequences. Each expected value is derived in a comment from Zeek's rules:
update_history in TCPSessionAdapter (one letter per kind per side; SYN/FIN/RST repeat only
when their sequence number moved; T, W, C scaled at the 1st, 10th, 100th...), the endpoint
state machine, and conn_state in base/protocols/conn/main.zeek."""

from __future__ import annotations

import pytest

from shoestring.decode.packet import ACK, FIN, PSH, RST, SYN, TCP, URG, Packet
from shoestring.flows import tcp
from shoestring.flows.ids import IdGenerator
from shoestring.flows.table import ConnTable

CLIENT, SERVER = b"\x0a\x00\x00\x01", b"\xc0\xa8\x01\x02"
CPORT, SPORT = 40000, 80
LETTERS = {"S": SYN, "A": ACK, "F": FIN, "R": RST, "P": PSH, "U": URG}


class Events:
    def __init__(self):
        self.done, self.weirds = [], []

    def payload(self, conn, is_orig, pkt, seq):
        pass

    def conn_done(self, conn):
        self.done.append(conn)

    def weird(self, name, conn, ts, addl="", source=None):
        self.weirds.append(name)


def run(steps, isn_o=1000, isn_r=5000, conns=1):
    """Feed steps like "o S", "r SA", "o PA:100", "o PA:100@-100" (seq moved back 100),
    "r A w0" (zero window) to a ConnTable; returns (conn, weird names)."""
    events = Events()
    table = ConnTable(IdGenerator(1), events, {TCP: frozenset({SPORT})})
    nxt = {"o": isn_o, "r": isn_r}
    ts = 1700000000.0
    for step in steps:
        side, spec, *extra = step.split()
        spec, _, delta = spec.partition("@")
        flags_text, _, length = spec.partition(":")
        length = int(length or 0)
        flags = 0
        for letter in flags_text:
            flags |= LETTERS[letter]
        src, dst, sp, dp = (CLIENT, SERVER, CPORT, SPORT) if side == "o" else \
            (SERVER, CLIENT, SPORT, CPORT)
        peer = "r" if side == "o" else "o"
        seq = (nxt[side] + int(delta or 0)) & 0xFFFFFFFF
        pkt = Packet(ts, src, dst, TCP, 40 + length)
        pkt.sport, pkt.dport, pkt.flags, pkt.seq = sp, dp, flags, seq
        pkt.ack = nxt[peer] if flags & ACK else 0
        pkt.win = 0 if "w0" in extra else 65535
        pkt.payload_len, pkt.payload = length, b"x" * length
        table.packet(pkt)
        end = (seq + (0 if flags & RST else length) + (1 if flags & SYN else 0)
               + (1 if flags & FIN else 0)) & 0xFFFFFFFF
        if (end - nxt[side]) & 0xFFFFFFFF < 0x80000000:
            nxt[side] = end
        ts += 0.01
    table.flush()
    assert len(events.done) == conns
    return (events.done[0] if conns == 1 else events.done), events.weirds


HANDSHAKE = ["o S", "r SA", "o A"]

CASES = [
    # A lone SYN: orig SYN_SENT, resp INACTIVE -> S0.
    ("lone SYN", ["o S"], "S0", "S", 0, 0),
    # The same SYN again (same seq): CheckHistory already saw S and rel_seq == last -> one S.
    ("SYN retransmitted", ["o S", "o S"], "S0", "S", 0, 0),
    # SYN answered by RST-ACK: resp RESET while orig is SYN_SENT -> REJ; r lower case.
    ("rejected", ["o S", "r RA"], "REJ", "Sr", 0, 0),
    # Handshake only: both ESTABLISHED -> S1; h is the responder's SYN-ACK.
    ("established", HANDSHAKE, "S1", "ShA", 0, 0),
    # Data both ways and FINs both ways: both CLOSED -> SF. Sizes come from sequence
    # numbers: last_seq - start_seq - 1 (SYN) - 1 (FIN) = 100 and 50.
    ("orderly", HANDSHAKE + ["o PA:100", "r A", "r PA:50", "o A", "o FA", "r FA", "o A"],
     "SF", "ShADadFf", 100, 50),
    # Originator closes, responder never does: orig CLOSED, resp ESTABLISHED -> S2.
    ("half closed by orig", HANDSHAKE + ["o FA"], "S2", "ShAF", 0, 0),
    # Responder closes alone -> S3.
    ("half closed by resp", HANDSHAKE + ["r FA"], "S3", "ShAf", 0, 0),
    # Originator aborts after data: orig RESET, resp ESTABLISHED -> RSTO.
    ("orig reset", HANDSHAKE + ["o PA:10", "o R"], "RSTO", "ShADR", 10, 0),
    # Responder aborts: RSTR.
    ("resp reset", HANDSHAKE + ["r R"], "RSTR", "ShAr", 0, 0),
    # SYN then the originator's own RST, no answer: orig RESET, resp INACTIVE -> RSTOS0.
    ("SYN then RST", ["o S", "o R"], "RSTOS0", "SR", 0, 0),
    # SYN then FIN, no answer: orig CLOSED, resp INACTIVE -> SH.
    ("SYN then FIN", ["o S", "o F"], "SH", "SF", 0, 0),
    # Joined mid-stream: both PARTIAL -> OTH; sizes from the first seq seen (start = seq-1).
    ("mid-stream", ["o PA:100", "r PA:100", "o A"], "OTH", "DdA", 100, 100),
    # SYN-ACK seen first, from a likely server port: the roles flip (^) so the client is
    # the originator; the responder's h; then its FIN: resp CLOSED, orig INACTIVE -> SHR.
    ("SYN-ACK then FIN", ["r SA", "r FA"], "SHR", "^hf", 0, 0),
    # ... and with an RST instead: resp RESET, orig INACTIVE -> RSTRH.
    ("SYN-ACK then RST", ["r SA", "r R"], "RSTRH", "^hr", 0, 0),
    # SYN+FIN in one packet: more than one of SYN/FIN/RST -> Q (not S or F).
    ("SYN+FIN", ["o SF"], "SH", "Q", 0, 0),
    # FIN+RST together -> I; the RST makes the originator RESET -> RSTO.
    ("FIN+RST", HANDSHAKE + ["o FR"], "RSTO", "ShAI", 0, 0),
    # Data sent again at the same seq: delta_last <= 0 with payload -> T (DidRxmit), and
    # the size counts the bytes once.
    ("retransmission", HANDSHAKE + ["o PA:100", "r A", "o PA:100@-100"], "S1", "ShADaT", 100, 0),
    # Ten retransmissions: T at the 1st and the 10th only (ScaledHistoryEntry).
    ("ten retransmissions", HANDSHAKE + ["o PA:100"] + ["o PA:100@-100"] * 10, "S1",
     "ShADTT", 100, 0),
    # A zero window from the responder: w (lower case); the 10th gives a second w.
    ("zero windows", HANDSHAKE + ["r A w0"] * 10, "S1", "ShAaww", 0, 0),
    # RST twice at different sequence numbers: R repeats because rel_seq moved.
    ("two RSTs, seq moved", HANDSHAKE + ["o R", "o R@10"], "RSTO", "ShARR", 0, 0),
    # ... at the same sequence number: one R.
    ("two RSTs, same seq", HANDSHAKE + ["o R", "o R"], "RSTO", "ShAR", 0, 0),
    # A FIN retransmitted at the same seq: F once; data after the FIN is not a new F.
    ("FIN retransmitted", HANDSHAKE + ["o FA", "o FA@-1"], "S2", "ShAF", 0, 0),
    # The originator sends SYN-ACK first (no likely server port on its side): H upper case,
    # orig SYN_ACK_SENT and resp INACTIVE match no rule -> OTH.
    ("orig SYN-ACK", ["o SA"], "OTH", "H", 0, 0),
]


@pytest.mark.parametrize("name,steps,state,history,orig_bytes,resp_bytes", CASES,
                         ids=[c[0] for c in CASES])
def test_flag_sequences(name, steps, state, history, orig_bytes, resp_bytes):
    conn, _weirds = run(steps)
    got_state, got_orig, got_resp = conn.state_and_sizes()
    assert (got_state, conn.history) == (state, history)
    assert (got_orig, got_resp) == (orig_bytes, resp_bytes)


def test_weirds_named_as_zeek():
    # SYN with a new ISN while SYN_SENT: SYN_seq_jump; FIN in SYN_SENT: inappropriate_FIN.
    _, weirds = run(["o S", "o S@7", "o F"])
    assert "SYN_seq_jump" in weirds and "inappropriate_FIN" in weirds
    # SYN with URG: baroque_SYN; SYN+RST: TCP_christmas.
    assert "baroque_SYN" in run(["o SU"])[1]
    assert "TCP_christmas" in run(["o SR"])[1]
    # A SYN-ACK nobody asked for.
    assert "unsolicited_SYN_response" in run(["r SA"])[1]
    # Data before the handshake completes.
    assert "data_before_established" in run(["o S", "o PA:5"])[1]
    # The original SYN again after the originator closed: SYN_after_close.
    assert "SYN_after_close" in run(HANDSHAKE + ["o FA", "o S@-2"])[1]


def test_new_isn_after_close_is_a_new_connection():
    """Zeek's connection reuse: a SYN with a new ISN on a connection that has ended
    starts a new connection (its own uid and record)."""
    (first, second), _ = run(HANDSHAKE + ["o FA", "r FA", "o A", "o S@5000", "r SA", "o A"],
                             conns=2)
    assert first.state_and_sizes()[0] == "SF" and first.history == "ShAFf"
    assert second.history == "ShA" and second.uid != first.uid


def test_sequence_wrap_counts_bytes():
    """ISN just below 2**32: 3000 bytes cross the wrap; sizes stay exact, no underflow."""
    steps = HANDSHAKE + ["o PA:1000", "o PA:1000", "o PA:1000", "r A", "o FA", "r FA", "o A"]
    conn, weirds = run(steps, isn_o=0xFFFFFF00)
    assert conn.state_and_sizes() == ("SF", 3000, 0)
    assert conn.orig_ep.seq_wraps == 1
    assert not [w for w in weirds if "underflow" in w]


def test_size_is_zero_for_aborted_half_open():
    """Zeek's TCP_Endpoint::Size: SYN_SENT then RESET with the peer INACTIVE and an ack
    that moved is a half-open connection discovered and aborted: size 0."""
    ep, peer = tcp.Endpoint(True), tcp.Endpoint(False)
    ep.init_seqs(100, 101)
    ep.ack_seq = 500
    ep.state, ep.prev_state = tcp.RESET, tcp.SYN_SENT
    assert ep.size(peer) == 0
    ep.prev_state = tcp.ESTABLISHED
    assert ep.size(peer) == 399        # 500 - 100 - 1 (the SYN)


@pytest.mark.parametrize("a,b,delta", [
    (10, 5, 5), (5, 10, -5), (0, 0xFFFFFFFF, 1), (0xFFFFFFFF, 0, -1),
    (0x80000000, 0, -0x80000000), (0x7FFFFFFF, 0, 0x7FFFFFFF)])
def test_seq_delta(a, b, delta):
    assert tcp.seq_delta(a, b) == delta
