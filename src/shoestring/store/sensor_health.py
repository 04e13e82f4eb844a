"""The live sensor's latest health, for `shoestring status`: the newest stats.log and
capture_loss.log record of each capture process (peer), from the open hour's journal
when the sensor is running, else from the store's query copies."""

from __future__ import annotations

import time

from ..logs import schema as schemas
from ..logs.zeek_tsv import SEPARATOR, UNSET_FIELD
from .journal import SUFFIX

HEALTH_LOGS = ("stats", "capture_loss")
# A record older than this is from a sensor that has stopped (Zeek's 5-minute
# interval, twice, and a little slack).
STALE_AFTER_S = 660.0


def latest(store) -> dict[str, dict[str, dict]]:
    """{peer: {"stats": record, "capture_loss": record}}, newest of each."""
    found: dict[str, dict[str, dict]] = {}
    _from_journal(store, found)
    if not found:
        _from_parquet(store, found)
    return found


def _keep(found: dict, log: str, record: dict) -> None:
    peer = record.get("peer") or "-"
    have = found.setdefault(peer, {}).get(log)
    if have is None or (record.get("ts") or 0) >= (have.get("ts") or 0):
        found[peer][log] = record


def _from_journal(store, found: dict) -> None:
    names = {log: schemas.get(log).names for log in HEALTH_LOGS}
    for path in sorted(store.journal_dir.glob(f"*{SUFFIX}")):
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            log, _, rest = line.partition(SEPARATOR)
            if log not in names:
                continue
            _stem, _, tsv = rest.partition(SEPARATOR)
            values = tsv.split(SEPARATOR)
            record = {name: _value(v) for name, v in zip(names[log], values)}
            _keep(found, log, record)


def _value(text: str):
    if text == UNSET_FIELD:
        return None
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return text


def _from_parquet(store, found: dict) -> None:
    from .query import QueryError, run, time_range

    for log in HEALTH_LOGS:
        try:
            result = run(store, f"SELECT * FROM {log} ORDER BY ts DESC LIMIT 64",
                         time_range(None, None), timeout=10.0)
        except (QueryError, OSError):
            continue
        for row in result.rows:
            record = dict(zip(result.columns, row))
            ts = record.get("ts")
            if hasattr(ts, "timestamp"):
                record["ts"] = ts.timestamp()
            _keep(found, log, record)


def render(found: dict, now: float | None = None) -> list[str]:
    """Lines for `status`: rates, kernel drops, capture loss, memory, per peer."""
    now = time.time() if now is None else now
    if not found:
        return ["Sensor: no stats.log yet (is `shoestring run` writing into this store?)"]
    lines = ["Sensor (newest stats.log / capture_loss.log per capture process):"]
    for peer in sorted(found):
        stats = found[peer].get("stats") or {}
        loss = found[peer].get("capture_loss") or {}
        ts = stats.get("ts") or loss.get("ts")
        age = now - ts if ts else None
        state = "stopped?" if age is None or age > STALE_AFTER_S else "running"
        interval = loss.get("ts_delta") or None
        pkts = stats.get("pkts_proc")
        rate = f"{pkts / interval:,.0f} packets/s" if pkts is not None and interval else "-"
        drops, link = stats.get("pkts_dropped"), stats.get("pkts_link")
        dropped = (f"{drops:,} dropped of {link:,}" if drops is not None and link
                   else "no kernel drop counts")
        lost = loss.get("percent_lost")
        lines.append(
            f"  {peer}: {state}, {rate}, {dropped}, capture loss "
            f"{'-' if lost is None else f'{lost:.2f}%'}, memory {stats.get('mem') or '-'} MB, "
            f"open connections tcp {stats.get('active_tcp_conns', '-')} udp "
            f"{stats.get('active_udp_conns', '-')}"
            + (f" (as of {int(age)} s ago)" if age is not None else ""))
    return lines
