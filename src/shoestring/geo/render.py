"""Formats geonet results as the terminal lines geoping and geodns print (see the fixtures).

geoping: one line per vantage point sorted by city, "City (CC)" padded to 30, then the
average RTT rounded to 3 decimals right-aligned in 5, then min and max likewise, exactly as
the published geonet client prints them. geodns: one line per answer sorted by value, the
value padded to 30, then the city. Text from the network is made safe for a terminal first.
"""

from __future__ import annotations

from .answers import DnsResult, PingResult

LABEL_WIDTH = 30  # column width of the published output


def safe(text: str) -> str:
    """Escape control characters so a hostile answer cannot drive the terminal (ESC sequences,
    carriage returns that overwrite a line); printable text, accents included, passes as is."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _ms(value) -> str:
    # round(), not a format spec: the published output prints 1.53, not 1.530.
    return f"{round(value, 3):>5}"


def loss_percent(result: PingResult) -> float | None:
    """Lost share in percent, from the packet counts when they are there (exact), else from
    packet_loss (a 0..1 fraction in icmplib's terms)."""
    if result.packets_sent:
        received = result.packets_received or 0
        return 100.0 * (result.packets_sent - received) / result.packets_sent
    if result.packet_loss is not None:
        return result.packet_loss * 100.0 if result.packet_loss <= 1 else result.packet_loss
    return None


def geoping_line(result: PingResult) -> str:
    label = f"{safe(result.where.label):{LABEL_WIDTH}s}"
    loss = loss_percent(result)
    if not result.is_alive:
        counts = ""
        if result.packets_sent is not None:
            counts = f", {result.packets_received or 0} of {result.packets_sent} packets answered"
        lost = f"{loss:.0f}%" if loss is not None else "all"
        return f"{label} no reply      (loss: {lost}{counts})"
    line = (f"{label} {_ms(result.avg_rtt)} ms       "
            f"(min: {_ms(result.min_rtt)} ms, max: {_ms(result.max_rtt)} ms")
    # Partial loss is worth seeing; the published format has no room for it, so it only
    # appears when there is some.
    if loss:
        line += f", loss: {loss:.0f}%"
    return line + ")"


def geoping_text(results: list[PingResult]) -> str:
    ordered = sorted(results, key=lambda r: (r.where.city, r.where.country))
    return "".join(geoping_line(r) + "\n" for r in ordered)


def geodns_rows(results: list[DnsResult]) -> list[tuple[str, str]]:
    """(value, city) per answer, sorted by value as text (city breaks ties, for a stable
    order when every vantage point gives the same address)."""
    rows = [(a.value, r.where.city, r.where.country) for r in results for a in r.answers]
    return [(value, city) for value, city, _ in sorted(rows)]


def geodns_text(results: list[DnsResult]) -> str:
    return "".join(f"{safe(value):{LABEL_WIDTH}s} {safe(city)}\n"
                   for value, city in geodns_rows(results))


def silent_locations(results: list[DnsResult]) -> list[str]:
    """Labels of vantage points that answered nothing (named on stderr with --verbose)."""
    return sorted(safe(r.where.label) for r in results if not r.answers)
