"""SNTP packets (RFC 4330), sans-IO: build a client request, parse and judge a reply.

No sockets and no clock here: the caller passes the times (check.py does the I/O), so
every rule below is tested with bytes alone.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

NTP_PACKET = struct.Struct("!BBbbII4sQQQQ")    # RFC 4330 §4: the 48-byte header
NTP_EPOCH_OFFSET = 2208988800                  # 1900-01-01 to 1970-01-01, seconds
NTP_PORT = 123
VERSION = 4
MODE_CLIENT = 3
MODE_SERVER = 4
MODE_BROADCAST = 5
LI_ALARM = 3                                   # leap indicator "clock not synchronized"
# RFC 4330 §5: stratum 0 is a kiss-o'-death; above 15 is unsynchronized.
MAX_STRATUM = 15
# A reply's transmit stamp beyond this many bytes of extension fields is still parsed
# from its first 48 bytes; NTS/MAC extensions are ignored (we check only the header).
MIN_LEN = NTP_PACKET.size


class SntpError(Exception):
    """A reply that cannot be used; ``str`` says why (for ntp_check.log's error)."""


@dataclass(frozen=True)
class Reply:
    offset: float             # server minus local, seconds
    delay: float              # round trip, seconds
    stratum: int
    ref_id: str
    leap: int


def to_ntp(t: float) -> int:
    """Unix time → 64-bit NTP timestamp (32.32 fixed point since 1900)."""
    return int(round((t + NTP_EPOCH_OFFSET) * (1 << 32))) & 0xFFFFFFFFFFFFFFFF


def from_ntp(stamp: int) -> float:
    """64-bit NTP timestamp → Unix time. Era 0 (1900–2036) is assumed, except that
    stamps whose seconds look earlier than 1968 are taken as era 1 (RFC 4330 §3)."""
    seconds, frac = stamp >> 32, stamp & 0xFFFFFFFF
    if not seconds & 0x80000000:
        seconds += 1 << 32                     # era 1: after 2036-02-07
    return seconds - NTP_EPOCH_OFFSET + frac / (1 << 32)


def request(now: float) -> tuple[bytes, int]:
    """A client request sent at ``now`` and the transmit stamp to match the reply to.

    The low 16 bits of the fraction are random (RFC 4330 §5 allows this): a forged
    reply must echo them, so an off-path spoofer cannot just guess the time."""
    stamp = (to_ntp(now) & ~0xFFFF) | int.from_bytes(os.urandom(2), "big")
    packet = NTP_PACKET.pack((0 << 6) | (VERSION << 3) | MODE_CLIENT, 0, 0, 0, 0, 0,
                             b"\0\0\0\0", 0, 0, 0, stamp)
    return packet, stamp


def parse_reply(data: bytes, sent_stamp: int, t1: float, t4: float) -> Reply:
    """Judge a reply received at ``t4`` to the request sent at ``t1`` (both local
    Unix times) with transmit stamp ``sent_stamp``; raise SntpError if unusable."""
    if len(data) < MIN_LEN:
        raise SntpError(f"reply of {len(data)} bytes, shorter than an NTP header")
    (flags, stratum, _poll, _prec, _root_delay, _root_disp, ref_id,
     _ref, originate, receive, transmit) = NTP_PACKET.unpack_from(data)
    leap, version, mode = flags >> 6, (flags >> 3) & 7, flags & 7
    if mode not in (MODE_SERVER, MODE_BROADCAST):
        raise SntpError(f"reply mode {mode}, not a server's")
    if version < 1 or version > 4:
        raise SntpError(f"NTP version {version}")
    if originate != sent_stamp:
        raise SntpError("reply does not echo our transmit time (stale or forged)")
    if stratum == 0:
        code = ref_id.decode("ascii", "replace").strip("\0")
        raise SntpError(f"kiss-o'-death {code!r}")
    if stratum > MAX_STRATUM:
        raise SntpError(f"stratum {stratum}: server unsynchronized")
    if leap == LI_ALARM:
        raise SntpError("server says its clock is not synchronized")
    if not transmit or not receive:
        raise SntpError("reply has a zero timestamp")
    t2, t3 = from_ntp(receive), from_ntp(transmit)
    offset = ((t2 - t1) + (t3 - t4)) / 2       # RFC 4330 §5
    delay = (t4 - t1) - (t3 - t2)
    if stratum == 1:
        ident = ref_id.decode("ascii", "replace").strip("\0")
    else:
        ident = ".".join(str(b) for b in ref_id)
    return Reply(offset, delay, stratum, ident, leap)


def server_reply(req: bytes, recv_time: float, send_time: float, stratum: int = 1,
                 ref_id: bytes = b"GPS\0") -> bytes:
    """What a server sends back (used by tests' responders, and handy for a local
    relay): receive/transmit stamps from the given times, originate echoed."""
    if len(req) < MIN_LEN:
        raise SntpError("request shorter than an NTP header")
    transmit = NTP_PACKET.unpack_from(req)[10]
    return NTP_PACKET.pack((0 << 6) | (VERSION << 3) | MODE_SERVER, stratum, 6, -20,
                           0, 0, ref_id, to_ntp(recv_time), transmit,
                           to_ntp(recv_time), to_ntp(send_time))
