"""What keeps half a million open connections under the memory floor: one table entry per
connection under a direction-free int key (flows/conn.py conn_key) from which the
connection's addresses and ports are read back, and nothing else that grows with every
connection or host (flush lets each connection go once logged; top talkers are bounded)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shoestring.decode.packet import ACK, ICMP, ICMP6, SYN, TCP, UDP, Packet
from shoestring.flows.conn import conn_key, key_side
from shoestring.flows.ids import IdGenerator
from shoestring.flows.table import ConnTable
from shoestring.pipeline import MAX_TALKERS, Stats

V4 = st.binary(min_size=4, max_size=4)
V6 = st.binary(min_size=16, max_size=16)
PORT = st.integers(0, 0xFFFF)


@given(st.one_of(st.tuples(V4, V4), st.tuples(V6, V6)), PORT, PORT,
       st.sampled_from([TCP, UDP, ICMP, ICMP6, 47]))
def test_key_is_the_same_from_both_sides_and_gives_both_ends_back(addrs, sport, dport, proto):
    src, dst = addrs
    key, first = conn_key(src, sport, dst, dport, proto, False)
    back, back_first = conn_key(dst, dport, src, sport, proto, False)
    assert key == back
    # Exactly one direction is the key's first side, unless both ends are the same.
    assert first != back_first or (src, sport) == (dst, dport)
    assert key_side(key, first) == (src, sport)
    assert key_side(key, not first) == (dst, dport) or (src, sport) == (dst, dport)


@given(V4, V4, PORT, PORT)
def test_keys_of_other_protocols_and_families_do_not_meet(a, b, sport, dport):
    tcp, _ = conn_key(a, sport, b, dport, TCP, False)
    udp, _ = conn_key(a, sport, b, dport, UDP, False)
    v6, _ = conn_key(bytes(12) + a, sport, bytes(12) + b, dport, TCP, False)
    assert len({tcp, udp, v6}) == 3


def test_one_way_key_keeps_its_direction():
    a, b = b"\x0a\x00\x00\x01", b"\x0a\x00\x00\x02"
    key, first = conn_key(b, 3, a, 1, ICMP, True)       # unreachable, from the higher side
    assert first and key_side(key, True) == (b, 3)
    assert conn_key(a, 3, b, 1, ICMP, True)[0] != key


class Events:
    def __init__(self):
        self.done = []

    def payload(self, conn, is_orig, pkt, seq):
        pass

    def conn_done(self, conn):
        self.done.append(conn)

    def weird(self, name, conn, ts, addl="", source=None):
        pass


CLIENT, SERVER = b"\xc0\xa8\x01\x02", b"\x0a\x00\x00\x01"     # client sorts higher


def _tcp(ts, src, dst, sport, dport, flags, seq, ack):
    pkt = Packet(ts, src, dst, TCP, 40)
    pkt.sport, pkt.dport, pkt.flags, pkt.seq, pkt.ack, pkt.win = sport, dport, flags, seq, \
        ack, 65535
    return pkt


def _table():
    events = Events()
    return ConnTable(IdGenerator(1), events, {TCP: frozenset({80}), UDP: frozenset()}), events


def test_one_entry_per_connection_and_both_directions_find_it():
    table, events = _table()
    table.packet(_tcp(1.0, CLIENT, SERVER, 40000, 80, SYN, 100, 0))
    table.packet(_tcp(1.1, SERVER, CLIENT, 80, 40000, SYN | ACK, 500, 101))
    table.packet(_tcp(1.2, CLIENT, SERVER, 40000, 80, ACK, 101, 501))
    assert len(table.conns) == 1 and table.open == 1
    (conn,) = table.conns.values()
    assert conn.history == "ShA" and (conn.orig_pkts, conn.resp_pkts) == (2, 1)
    assert (conn.orig_h, conn.orig_p, conn.resp_h, conn.resp_p) == (CLIENT, 40000, SERVER, 80)
    table.flush()
    assert table.conns == {} and table.open == 0 and events.done == [conn]


def test_a_flip_swaps_the_ends_read_from_the_key():
    # The server's SYN-ACK is seen first: its source port is a likely server port, so
    # the connection flips and the client (the destination) is the originator.
    table, _ = _table()
    table.packet(_tcp(1.0, SERVER, CLIENT, 80, 40000, SYN | ACK, 500, 101))
    table.packet(_tcp(1.1, CLIENT, SERVER, 40000, 80, ACK, 101, 501))
    (conn,) = table.conns.values()
    assert (conn.orig_h, conn.orig_p, conn.resp_h, conn.resp_p) == (CLIENT, 40000, SERVER, 80)
    assert conn.history == "^hA" and (conn.orig_pkts, conn.resp_pkts) == (1, 1)
    assert len(table.conns) == 1


def test_icmp_pairs_share_an_entry_and_one_way_messages_do_not():
    table, _ = _table()
    for ts, src, dst, icmp_type in ((1.0, CLIENT, SERVER, 8), (1.1, SERVER, CLIENT, 0),
                                    (1.2, SERVER, CLIENT, 3), (1.3, CLIENT, SERVER, 3)):
        pkt = Packet(ts, src, dst, ICMP, 28)
        pkt.icmp_type, pkt.icmp_code = icmp_type, 1
        table.packet(pkt)
    echo, unreach_s, unreach_c = table.conns.values()
    assert (echo.orig_pkts, echo.resp_pkts) == (1, 1) and not echo.one_way
    assert unreach_s.one_way and unreach_s.orig_h == SERVER and unreach_s.orig_pkts == 1
    assert unreach_c.one_way and unreach_c.orig_h == CLIENT and unreach_c.orig_pkts == 1


def test_top_talkers_are_bounded_and_keep_the_heaviest():
    stats = Stats()
    stats.talk(b"heavy", 10 ** 9)
    for i in range(MAX_TALKERS + 10):
        stats.talk(i.to_bytes(4, "big"), 1 + i % 7)
    assert len(stats.talkers) <= MAX_TALKERS
    assert stats.talkers.most_common(1) == [(b"heavy", 10 ** 9)]
