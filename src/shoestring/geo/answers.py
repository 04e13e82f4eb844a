"""Parses geonet's JSON answers into small records; hostile or odd answers raise GeoParseError.

geoping answers a list of per-vantage-point ping results (field names of icmplib's Host:
min_rtt, avg_rtt, max_rtt, packets_sent, packets_received, packet_loss, is_alive); geodns
answers a list of {"answers": [{"type", "value"}], "from_loc": {"city", "country"}}.
Pure functions over bytes: the client fetched them, render.py prints them.
"""

from __future__ import annotations

import json
import math
from typing import NamedTuple

from .errors import GeoParseError, ServiceRefused

# geonet has six vantage points; a thousand means the answer is not geonet's.
MAX_LOCATIONS = 1000
# A DNS answer fits in 64 KiB, so no location can hold more records than this.
MAX_ANSWERS_PER_LOCATION = 4096


class Location(NamedTuple):
    city: str
    country: str

    @property
    def label(self) -> str:
        return f"{self.city} ({self.country})"


class PingResult(NamedTuple):
    where: Location
    is_alive: bool
    avg_rtt: float | int | None   # None when the target did not reply from there
    min_rtt: float | int | None
    max_rtt: float | int | None
    packets_sent: int | None
    packets_received: int | None
    packet_loss: float | None     # fraction 0..1, as icmplib reports it


class DnsAnswer(NamedTuple):
    rtype: str
    value: str


class DnsResult(NamedTuple):
    where: Location
    answers: tuple[DnsAnswer, ...]


def _reject_constant(name: str):
    raise GeoParseError(f"the answer holds {name}, which is not JSON")


def load(body: bytes, what: str) -> list:
    """Decode and shape-check the top level: a list of objects (or geonet's {"error": ...})."""
    try:
        text = body.decode("utf-8")
        data = json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise GeoParseError(f"the {what} answer is not UTF-8 text") from None
    except RecursionError:
        raise GeoParseError(f"the {what} answer nests too deeply to be geonet's") from None
    except ValueError as exc:
        raise GeoParseError(f"the {what} answer is not JSON ({exc.msg} at byte {exc.pos})") from None
    if isinstance(data, dict) and "error" in data:
        # Some failures come back as 200 with an explanation rather than an HTTP status.
        raise ServiceRefused(f"the service refused the request: {_text(data['error'])[:200]}")
    if not isinstance(data, list):
        raise GeoParseError(f"the {what} answer is a JSON {type(data).__name__}, not a list")
    if len(data) > MAX_LOCATIONS:
        raise GeoParseError(f"the {what} answer lists {len(data)} locations (limit {MAX_LOCATIONS})")
    return data


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _location(entry, index: int) -> Location:
    if not isinstance(entry, dict):
        raise GeoParseError(f"location #{index + 1} is not a JSON object")
    loc = entry.get("from_loc")
    if not isinstance(loc, dict):
        raise GeoParseError(f"location #{index + 1} has no from_loc object")
    city, country = loc.get("city"), loc.get("country")
    if not isinstance(city, str) or not isinstance(country, str):
        raise GeoParseError(f"location #{index + 1} has no city/country text")
    return Location(city, country)


def _number(entry: dict, key: str, index: int):
    value = entry.get(key)
    if value is None:
        return None
    # bool is an int in Python; true as an RTT is a broken answer, not 1 ms.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GeoParseError(f"location #{index + 1}: {key} is not a number")
    if not math.isfinite(value) or value < 0:
        raise GeoParseError(f"location #{index + 1}: {key} is {value}, not an RTT or count")
    return value


def parse_geoping(body: bytes) -> list[PingResult]:
    results = []
    for i, entry in enumerate(load(body, "geoping")):
        where = _location(entry, i)
        alive = entry.get("is_alive")
        if not isinstance(alive, bool):
            raise GeoParseError(f"location #{i + 1} has no is_alive true/false")
        rtts = [_number(entry, k, i) for k in ("avg_rtt", "min_rtt", "max_rtt")]
        if alive and None in rtts:
            raise GeoParseError(f"location #{i + 1} is alive but lacks avg/min/max_rtt")
        sent, received = (_number(entry, k, i) for k in ("packets_sent", "packets_received"))
        loss = _number(entry, "packet_loss", i)
        if not alive:
            rtts = [None, None, None]  # icmplib reports 0.0 for a host that never answered
        results.append(PingResult(where, alive, *rtts, _int(sent), _int(received), loss))
    return results


def _int(value) -> int | None:
    return int(value) if value is not None else None


def parse_geodns(body: bytes) -> list[DnsResult]:
    results = []
    for i, entry in enumerate(load(body, "geodns")):
        where = _location(entry, i)
        raw = entry.get("answers")
        if raw is None:
            raw = []  # a location that answered nothing may leave the list out
        if not isinstance(raw, list):
            raise GeoParseError(f"location #{i + 1}: answers is not a list")
        if len(raw) > MAX_ANSWERS_PER_LOCATION:
            raise GeoParseError(f"location #{i + 1} lists {len(raw)} answers "
                                f"(limit {MAX_ANSWERS_PER_LOCATION})")
        answers = []
        for j, ans in enumerate(raw):
            if not isinstance(ans, dict) or not isinstance(ans.get("value"), str):
                raise GeoParseError(f"location #{i + 1}, answer #{j + 1} has no value text")
            rtype = ans.get("type")
            answers.append(DnsAnswer(rtype if isinstance(rtype, str) else "", ans["value"]))
        results.append(DnsResult(where, tuple(answers)))
    return results
