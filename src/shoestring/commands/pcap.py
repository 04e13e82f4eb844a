"""`shoestring pcap`: cut an incident's packets out of the full-packet ring.

    shoestring pcap --from 2026-11-28T04:00Z --to 2026-11-28T04:30Z --host 10.0.0.5 \\
        --port 443 -o incident.pcap

Times are UTC (ISO 8601, "YYYY-MM-DD HH:MM[:SS]", or Unix seconds). --host and --port
match either side of a packet (IPv4 or IPv6, TCP or UDP, inside up to two VLAN tags);
--filter takes any tcpdump expression instead (compiled by libpcap).
"""

from __future__ import annotations

import calendar
import ipaddress
import struct
import sys
import time
from pathlib import Path

from ..capture import ring
from ..errors import UserError
from ..store import config as storeconfig

ORDER = 35
VLAN_TYPES = (0x8100, 0x88A8)
MAX_VLAN_TAGS = 2            # QinQ: deeper stacks are not seen on access networks
ETHERTYPE = struct.Struct("!H")
PORTS = struct.Struct("!HH")


def register(sub) -> None:
    p = sub.add_parser("pcap", help="cut packets from the full-packet ring",
                       description=__doc__,
                       formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    p.add_argument("--from", dest="first", required=True, metavar="TIME")
    p.add_argument("--to", dest="last", required=True, metavar="TIME")
    p.add_argument("--host", default=None, help="an address either side")
    p.add_argument("--port", type=int, default=None, help="a TCP/UDP port either side")
    p.add_argument("--filter", default=None, metavar="BPF",
                   help="a tcpdump expression instead of --host/--port")
    p.add_argument("--ring", default=None, metavar="DIR",
                   help="the ring folder (default: [sensor] pcap_ring in the config)")
    p.add_argument("-o", "--output", required=True, metavar="FILE")
    p.set_defaults(func=run)


def parse_time(text: str) -> int:
    """UTC time → nanoseconds since the epoch."""
    text = text.strip()
    try:
        return int(round(float(text) * 1e9))
    except ValueError:
        pass
    cleaned = text.rstrip("Zz").replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            base, _, frac = cleaned.partition(".")
            parsed = time.strptime(base, fmt)
        except ValueError:
            continue
        ns = calendar.timegm(parsed) * 10**9
        if frac.isdigit():
            ns += int((frac + "000000000")[:9])
        return ns
    raise UserError(f"cannot read the time {text!r}: use UTC like 2026-11-28T04:00:00Z "
                    "or Unix seconds")


def make_match(linktype: int, host: str | None, port: int | None):
    """A predicate over frames for --host/--port (None when neither is given)."""
    if host is None and port is None:
        return None
    want = None
    if host is not None:
        try:
            want = ipaddress.ip_address(host).packed
        except ValueError:
            raise UserError(f"--host {host!r} is not an IP address") from None

    def match(frame: bytes) -> bool:
        off = 0
        if linktype == 1:
            if len(frame) < 14:
                return False
            etype = ETHERTYPE.unpack_from(frame, 12)[0]
            off = 14
            for _ in range(MAX_VLAN_TAGS):
                if etype not in VLAN_TYPES or len(frame) < off + 4:
                    break
                etype = ETHERTYPE.unpack_from(frame, off + 2)[0]
                off += 4
        elif linktype in (101, 12, 14):
            etype = 0x0800 if frame[:1] and frame[0] >> 4 == 4 else 0x86DD
        else:
            return False
        if etype == 0x0800 and len(frame) >= off + 20:
            src, dst = frame[off + 12:off + 16], frame[off + 16:off + 20]
            proto = frame[off + 9]
            fragment = struct.unpack_from("!H", frame, off + 6)[0] & 0x1FFF
            l4 = off + ((frame[off] & 0x0F) << 2) if not fragment else -1
        elif etype == 0x86DD and len(frame) >= off + 40:
            src, dst = frame[off + 8:off + 24], frame[off + 24:off + 40]
            proto, l4 = frame[off + 6], off + 40     # extension headers: no ports
        else:
            return False
        if want is not None and want not in (src, dst):
            return False
        if port is None:
            return True
        if proto not in (6, 17) or l4 < 0 or len(frame) < l4 + 4:
            return False
        return port in PORTS.unpack_from(frame, l4)
    return match


def _ring_dir(args) -> Path:
    if args.ring:
        return Path(args.ring)
    path = storeconfig.find_config_file()
    if path is not None and path.is_file():
        import tomllib
        try:
            section = tomllib.loads(path.read_text(encoding="utf-8")).get("sensor", {})
        except tomllib.TOMLDecodeError as exc:
            raise UserError(f"{path}: {exc}") from None
        if section.get("pcap_ring"):
            return Path(section["pcap_ring"])
    raise UserError("which ring? give --ring DIR or set [sensor] pcap_ring in the config")


def run(args) -> int:
    first, last = parse_time(args.first), parse_time(args.last)
    if last < first:
        raise UserError("--to is before --from")
    root = _ring_dir(args)
    if not root.is_dir():
        raise UserError(f"{root}: no packet ring there")
    files = ring.list_files(root)
    if not files:
        raise UserError(f"{root}: the ring is empty")
    linktype = ring.linktype_of(files[0].path) or 1
    if args.filter:
        if args.host or args.port:
            raise UserError("--filter replaces --host/--port: give one or the other")
        from ..capture import bpf
        program = bpf.compile_filter(args.filter, linktype)
        match = lambda frame: bpf.run_program(program, frame) > 0   # noqa: E731
    else:
        match = make_match(linktype, args.host, args.port)
    try:
        with open(args.output, "wb") as out:
            count, _ = ring.cut(root, first, last, out, match)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    held = f"{_fmt(files[0].first_ns)} to {_fmt(max(f.last_ns or f.first_ns for f in files))}"
    print(f"wrote {count:,} packets to {args.output} (the ring holds {held})",
          file=sys.stdout)
    return 0


def _fmt(ns: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ns / 1e9))
