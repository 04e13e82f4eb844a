"""The live sensor's health counters: capture_loss.log's gaps and acks, stats.log's
connection counts, from a hand-built TCP exchange with a hole in it."""

import socket
import struct

from shoestring.commands._sensor import SensorPipeline
from shoestring.decode.packet import TCP, UDP


class ListOutput:
    def __init__(self):
        self.records = []

    def write(self, log, record):
        self.records.append((log, record))

    def flush(self):
        pass

    def close(self):
        pass


def tcp_frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 1, 0, 64,
                     6, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + tcp + payload


SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
C, S = "10.1.0.1", "10.1.0.2"


def exchange_with_a_hole():
    """Handshake, 100 bytes seen, 100 bytes never seen (the sensor lost them), 100
    more seen, the server acknowledges all 300: one content gap, 8 packets."""
    t = 1000.0
    pkts = [(C, S, 40000, 8080, 100, 0, SYN, b""), (S, C, 8080, 40000, 500, 101, SYN | ACK, b""),
            (C, S, 40000, 8080, 101, 501, ACK, b""),
            (C, S, 40000, 8080, 101, 501, ACK | PSH, b"a" * 100),
            (C, S, 40000, 8080, 301, 501, ACK | PSH, b"c" * 100),     # 201..300 missing
            (S, C, 8080, 40000, 501, 401, ACK, b""),
            (C, S, 40000, 8080, 401, 501, FIN | ACK, b""),
            (S, C, 8080, 40000, 501, 402, FIN | ACK, b"")]
    return [(t + i * 0.01, 1, tcp_frame(*p[:7], p[7]), 0) for i, p in enumerate(pkts)]


def exchange_with_holes(holes: int):
    """Handshake, then ``holes`` times 100 bytes seen and 100 never seen, then the last
    100 seen and everything acknowledged: ``holes`` content gaps on the client's side."""
    t = 1000.0
    pkts = [(C, S, 40000, 8080, 100, 0, SYN, b""), (S, C, 8080, 40000, 500, 101, SYN | ACK, b""),
            (C, S, 40000, 8080, 101, 501, ACK, b"")]
    seq = 101
    for _ in range(holes):
        pkts.append((C, S, 40000, 8080, seq, 501, ACK | PSH, b"a" * 100))
        seq += 200                                  # the next 100 bytes are lost
    pkts.append((C, S, 40000, 8080, seq, 501, ACK | PSH, b"c" * 100))
    seq += 100
    pkts.append((S, C, 8080, 40000, 501, seq, ACK, b""))
    return [(t + i * 0.01, 1, tcp_frame(*p[:7], p[7]), 0) for i, p in enumerate(pkts)]


def test_gap_counter_is_exact_past_the_history_letters():
    # 12 holes: history shows G twice (1st and 10th), the counter says 12.
    out = ListOutput()
    pipe = SensorPipeline(out, ignore_checksums=True)
    pipe.run(exchange_with_holes(12))
    pipe.finish()
    (conn,) = [r for log, r in out.records if log == "conn"]
    assert conn["missed_bytes"] == 1200 and conn["history"].count("G") == 2
    assert pipe.gap_events == 12


def test_gap_and_ack_counters():
    out = ListOutput()
    pipe = SensorPipeline(out, ignore_checksums=True)
    pipe.run(exchange_with_a_hole())
    assert pipe.active()[TCP] == 1                 # still in the table until the end
    pipe.finish()
    (conn,) = [r for log, r in out.records if log == "conn"]
    assert conn["missed_bytes"] == 100 and "G" in conn["history"]
    assert pipe.gap_events == 1 and pipe.ack_packets == 8
    assert pipe.ended[TCP] == 1 and pipe.ended[UDP] == 0 and pipe.active()[TCP] == 0
