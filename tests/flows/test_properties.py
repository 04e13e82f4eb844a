"""End to end under hostile input: random and mutated frames, and random TCP flag and
sequence soups, through Pipeline (decoder, ConnTable, analyzers, log writers) into a real
folder. Nothing raises, and every log written parses: header, one value per field, #close."""

from __future__ import annotations

import json
import os
import random
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shoestring.decode.packet import ACK, FIN, PSH, RST, SYN, URG
from shoestring.logs.output import DirectoryOutput
from shoestring.logs.schema import get as schema_of
from shoestring.pipeline import Pipeline
from shoestring.synth import conversations as C
from shoestring.synth import frames as F

from tests.decode.seeds import SEEDS

EXAMPLES = int(os.environ.get("SHOESTRING_FUZZ_EXAMPLES", "60"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

_rng = random.Random(5)
_c, _s = C.endpoint("10.0.0.1", 40000), C.endpoint("192.168.1.2", 80)
CONVERSATION = [(1, f) for _, f in
                C.http_get(_rng, _c, _s, 0.0, "example.com", "/", body_size=3000)
                + C.dns_lookup(_rng, _c._replace(port=5353), _s._replace(port=53), 0.0, "a.example")]
FRAMES = [(lt, f) for lt, f, _ in SEEDS] + CONVERSATION


def check_logs(logdir: Path, as_json: bool) -> int:
    """Every log parses; returns the number of records."""
    total = 0
    for path in logdir.glob("*.log"):
        schema = schema_of(path.stem)
        lines = path.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
        if as_json:
            for line in lines:
                record = json.loads(line)
                assert set(record) <= set(schema.names)
            total += len(lines)
            continue
        assert lines[0] == "#separator \\x09" and lines[-1].startswith("#close\t")
        fields = [line for line in lines if line.startswith("#fields\t")][0].split("\t")[1:]
        assert fields == list(schema.names)
        for line in lines:
            if not line.startswith("#"):
                assert len(line.split("\t")) == len(fields), line
                total += 1
    return total


def run_pipeline(records, as_json=False, analyzers=True, general_only=False) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        output = DirectoryOutput(tmp, json=as_json)
        pipeline = Pipeline(output, analyzers=analyzers, seed=1)
        if general_only:
            for ts, lt, frame in records:
                pipeline.packet(ts, lt, frame, len(frame))
        else:
            pipeline.run((ts, lt, frame, len(frame)) for ts, lt, frame in records)
        pipeline.finish()
        output.close()
        return check_logs(Path(tmp), as_json)


@st.composite
def frame_soup(draw):
    """Frames drawn from the seeds and a real HTTP/DNS exchange, each maybe mutated, with
    time moving forward in random steps (sometimes past every timeout)."""
    out, ts = [], 1700000000.0
    for _ in range(draw(st.integers(1, 40))):
        linktype, frame = draw(st.sampled_from(FRAMES))
        buf = bytearray(frame)
        if draw(st.booleans()):
            for _ in range(draw(st.integers(1, 4))):
                pos = draw(st.integers(0, max(len(buf) - 1, 0)))
                if buf and draw(st.booleans()):
                    buf[pos] = draw(st.integers(0, 255))
                else:
                    del buf[pos:]
        ts += draw(st.sampled_from((0.0, 0.001, 0.5, 7.0, 400.0)))
        out.append((ts, linktype, bytes(buf)))
    return out


@SETTINGS
@given(records=frame_soup(), as_json=st.booleans(), analyzers=st.booleans(),
       general_only=st.booleans())
def test_random_frames_end_to_end(records, as_json, analyzers, general_only):
    run_pipeline(records, as_json, analyzers, general_only)


FLAG_CHOICES = (SYN, SYN | ACK, ACK, ACK | PSH, FIN | ACK, RST, RST | ACK, FIN, SYN | FIN,
                SYN | RST, FIN | RST, URG | SYN, 0, 0xFF)


@st.composite
def tcp_soup(draw):
    """Random segments between two endpoints: random direction, flags, sequence numbers
    near each other or anywhere (wrap-around), acks, windows, payload sizes."""
    a, b = ("10.0.0.1", 40000), ("192.168.1.2", 9000)
    base = draw(st.integers(0, 0xFFFFFFFF))
    out, ts = [], 1700000000.0
    for _ in range(draw(st.integers(1, 30))):
        from_a = draw(st.booleans())
        (sh, sp), (dh, dp) = (a, b) if from_a else (b, a)
        seq = (base + draw(st.one_of(st.integers(-3000, 3000), st.integers(0, 0xFFFFFFFF)))) \
            & 0xFFFFFFFF
        ack = (base + draw(st.integers(-3000, 3000))) & 0xFFFFFFFF
        flags = draw(st.sampled_from(FLAG_CHOICES))
        payload = b"p" * draw(st.sampled_from((0, 0, 1, 100, 1460)))
        seg = F.tcp(sh, dh, sp, dp, seq, ack, flags, payload,
                    window=draw(st.sampled_from((0, 512, 65535))),
                    bad_checksum=draw(st.integers(0, 9)) == 0)
        ts += draw(st.sampled_from((0.0, 0.01, 1.0, 6.0, 301.0)))
        out.append((ts, 101, F.ipv4(sh, dh, F.PROTO_TCP, seg)))
    return out


@SETTINGS
@given(records=tcp_soup(), general_only=st.booleans())
def test_tcp_state_soup(records, general_only):
    assert run_pipeline(records, analyzers=False, general_only=general_only) >= 1


def test_conn_table_counts_balance():
    """After a soup of real conversations, every connection opened was logged once."""
    rng = random.Random(9)
    packets = []
    for i in range(30):
        c, s = C.endpoint(f"10.0.0.{i + 1}", 40000 + i), C.endpoint("192.168.1.2", 9000)
        packets += C.tcp_session(rng, c, s, 1700000000.0 + i, ((b"a" * 10, b"b" * 10),))
        packets += C.tcp_rejected(rng, c._replace(port=50000 + i), s, 1700000000.5 + i)
    packets.sort(key=lambda p: p[0])
    with tempfile.TemporaryDirectory() as tmp:
        output = DirectoryOutput(tmp)
        pipeline = Pipeline(output, analyzers=False, seed=1)
        pipeline.run((ts, 1, f, len(f)) for ts, f in packets)
        pipeline.finish()
        output.close()
        assert pipeline.table.total == 60 and pipeline.table.open == 0
        assert check_logs(Path(tmp), False) == 60
