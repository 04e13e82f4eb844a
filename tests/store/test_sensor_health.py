"""`shoestring status` shows the live sensor's newest health records, from the open
hour's journal while the sensor runs and from the query copies after rotation."""

from __future__ import annotations

import time

from shoestring.store import sensor_health
from shoestring.store.archive import StoreOutput
from shoestring.store.layout import Store


def _stats(ts: float, peer: str, pkts: int, dropped: int) -> dict:
    return {"ts": ts, "peer": peer, "mem": 120, "pkts_proc": pkts, "bytes_recv": pkts * 800,
            "pkts_dropped": dropped, "pkts_link": pkts + dropped, "pkt_lag": 0.01,
            "active_tcp_conns": 42, "active_udp_conns": 7, "active_icmp_conns": 0,
            "tcp_conns": 10, "udp_conns": 3, "icmp_conns": 0}


def _loss(ts: float, peer: str, percent: float) -> dict:
    return {"ts": ts, "ts_delta": 300.0, "peer": peer, "gaps": 1, "acks": 100,
            "percent_lost": percent}


def test_newest_record_per_peer_from_journal_then_parquet(tmp_path):
    store = Store.create(tmp_path / "store")
    now = time.time()
    out = StoreOutput(store)
    for i, ts in enumerate((now - 600, now - 300)):
        for peer in ("sensor-0", "sensor-1"):
            out.write("stats", _stats(ts, peer, 30_000 * (i + 1), i))
            out.write("capture_loss", _loss(ts, peer, 0.5 * i))
    out.flush()

    running = sensor_health.latest(Store.open(tmp_path / "store"))
    assert sorted(running) == ["sensor-0", "sensor-1"]
    assert running["sensor-0"]["stats"]["pkts_proc"] == 60_000      # the newer interval
    assert running["sensor-1"]["capture_loss"]["percent_lost"] == 0.5
    lines = sensor_health.render(running, now=now)
    assert any("sensor-0: running, 200 packets/s, 1 dropped of 60,001" in line
               for line in lines), lines

    out.close()
    stopped = sensor_health.latest(Store.open(tmp_path / "store"))
    assert stopped["sensor-1"]["stats"]["pkts_proc"] == 60_000
    lines = sensor_health.render(stopped, now=now + 3600)
    assert all("stopped?" in line for line in lines[1:]), lines


def test_no_sensor_says_so(tmp_path):
    store = Store.create(tmp_path / "store")
    assert sensor_health.latest(store) == {}
    assert "no stats.log yet" in sensor_health.render({})[0]
