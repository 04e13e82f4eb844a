"""Dropping privileges once the capture sockets are open.

Opening an AF_PACKET socket needs CAP_NET_RAW (and setting promiscuous mode through
PACKET_ADD_MEMBERSHIP is allowed on the socket itself); parsing hostile traffic
needs nothing. So after the sockets are open the sensor becomes the configured user
and keeps, of all capabilities, only CAP_NET_RAW in its permitted and effective sets:
that one is needed to reopen a capture when an interface is deleted and created again
(a USB NIC unplugged, a VM's tap recreated). Everything else, CAP_NET_ADMIN
included, is gone, and no_new_privs stops a setuid binary from giving any back.

Started by systemd as the unprivileged user with ambient CAP_NET_RAW/CAP_NET_ADMIN
(deploy/shoestring.service), the same call only trims the capability sets.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import grp
import os
import pwd
from dataclasses import dataclass

from ..errors import UserError

CAP_NET_ADMIN = 12
CAP_NET_RAW = 13
PR_SET_KEEPCAPS = 8
PR_SET_NO_NEW_PRIVS = 38
PR_CAPBSET_DROP = 24
LINUX_CAPABILITY_VERSION_3 = 0x20080522
CAP_LAST_CAP_GUESS = 63         # bounding-set drops past the kernel's last cap just fail


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


@dataclass
class Dropped:
    user: str | None
    uid: int
    gid: int
    kept: tuple[str, ...]


def _libc():
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _capset(keep: list[int]) -> None:
    libc = _libc()
    header = _CapHeader(LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    for cap in keep:
        word, bit = divmod(cap, 32)
        data[word].effective |= 1 << bit
        data[word].permitted |= 1 << bit
    if libc.capset(ctypes.byref(header), data) != 0:
        err = ctypes.get_errno()
        raise UserError(f"could not set capabilities: {os.strerror(err)}")


def capabilities() -> tuple[int, int]:
    """(effective, permitted) capability masks of this process, from /proc."""
    eff = prm = 0
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("CapEff:"):
                eff = int(line.split()[1], 16)
            elif line.startswith("CapPrm:"):
                prm = int(line.split()[1], 16)
    return eff, prm


def drop(user: str | None, keep_net_raw: bool = True) -> Dropped:
    """Become ``user`` (if given and we are root) keeping only CAP_NET_RAW."""
    libc = _libc()
    _eff, permitted = capabilities()
    # Only what we hold can be kept (an unprivileged run with no capabilities at all
    # has nothing to drop but must not fail).
    keep = [CAP_NET_RAW] if keep_net_raw and permitted >> CAP_NET_RAW & 1 else []
    uid, gid = os.getuid(), os.getgid()
    if user is not None and os.geteuid() == 0:
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            raise UserError(f"no such user {user!r} to run as: create it "
                            f"(useradd --system {user}) or change [sensor] user") from None
        uid, gid = entry.pw_uid, entry.pw_gid
        if uid == 0:
            raise UserError(f"user {user!r} is root: pick an unprivileged user")
        groups = [g.gr_gid for g in grp.getgrall() if user in g.gr_mem]
        libc.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)
        os.setgroups(groups)
        os.setgid(gid)
        os.setuid(uid)
        libc.prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0)
    # The bounding set needs CAP_SETPCAP to trim; try while we may still have it.
    for cap in range(CAP_LAST_CAP_GUESS + 1):
        if cap not in keep:
            libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    _capset(keep)
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    return Dropped(user, uid, gid, tuple("CAP_NET_RAW" for _ in keep))
