"""BPF capture filters: tcpdump expressions compiled by libpcap's own compiler.

Writing a filter compiler is a project of its own (libpcap's grammar has hundreds of
primitives and an optimiser); a filter that compiles to the wrong program silently
drops evidence. So the expression goes to ``pcap_compile`` in the system's libpcap
(Debian's ``libpcap0.8``), loaded with ctypes: no Python binding to install, no
compiler needed. The compiled instructions are plain data (``Program``) that
capture/live.py attaches to its socket with SO_ATTACH_FILTER.

When libpcap is missing the user gets one line saying which package to install.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import struct
from dataclasses import dataclass
from functools import cache

from ..errors import UserError

DLT_EN10MB = 1
# Kernel's BPF_MAXINSNS: a longer program is refused by SO_ATTACH_FILTER anyway.
MAX_INSNS = 4096
# What the kernel passes to a socket filter: a whole frame up to this is matched.
SNAPLEN = 262144
PCAP_NETMASK_UNKNOWN = 0xFFFFFFFF
LIBPCAP_NAMES = ("pcap", "libpcap.so.0.8", "libpcap.so.1")
INSN = struct.Struct("=HBBI")        # struct sock_filter / bpf_insn: code, jt, jf, k


class FilterError(UserError):
    """The filter expression is wrong, or nothing can compile it here."""


class _BpfInsn(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte),
                ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint32)]


class _BpfProgram(ctypes.Structure):
    _fields_ = [("bf_len", ctypes.c_uint), ("bf_insns", ctypes.POINTER(_BpfInsn))]


@dataclass(frozen=True)
class Program:
    """A compiled filter: the expression it came from and its instructions."""

    expression: str
    insns: tuple[tuple[int, int, int, int], ...]

    def packed(self) -> bytes:
        """The instructions as the kernel's ``struct sock_filter`` array."""
        return b"".join(INSN.pack(*i) for i in self.insns)


@cache
def _libpcap():
    for name in LIBPCAP_NAMES:
        path = ctypes.util.find_library(name) if "." not in name else name
        if not path:
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        lib.pcap_open_dead.restype = ctypes.c_void_p
        lib.pcap_open_dead.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.pcap_compile.restype = ctypes.c_int
        lib.pcap_compile.argtypes = [ctypes.c_void_p, ctypes.POINTER(_BpfProgram),
                                     ctypes.c_char_p, ctypes.c_int, ctypes.c_uint32]
        lib.pcap_geterr.restype = ctypes.c_char_p
        lib.pcap_geterr.argtypes = [ctypes.c_void_p]
        lib.pcap_freecode.argtypes = [ctypes.POINTER(_BpfProgram)]
        lib.pcap_close.argtypes = [ctypes.c_void_p]
        return lib
    return None


def available() -> bool:
    return _libpcap() is not None


def compile_filter(expression: str, linktype: int = DLT_EN10MB) -> Program:
    """``expression`` (tcpdump syntax) compiled and optimised for ``linktype``."""
    lib = _libpcap()
    if lib is None:
        raise FilterError("compiling a capture filter needs libpcap: install the Debian "
                          "package libpcap0.8 (apt-get install libpcap0.8)")
    handle = lib.pcap_open_dead(linktype, SNAPLEN)
    if not handle:
        raise FilterError("libpcap could not open a compiler handle")
    program = _BpfProgram()
    try:
        if lib.pcap_compile(handle, ctypes.byref(program), expression.encode(), 1,
                            PCAP_NETMASK_UNKNOWN) != 0:
            message = lib.pcap_geterr(handle).decode(errors="replace")
            raise FilterError(f"bad capture filter {expression!r}: {message}")
        try:
            if program.bf_len > MAX_INSNS:
                raise FilterError(f"capture filter {expression!r} compiles to "
                                  f"{program.bf_len} instructions; the kernel takes "
                                  f"at most {MAX_INSNS}")
            insns = tuple((program.bf_insns[i].code, program.bf_insns[i].jt,
                           program.bf_insns[i].jf, program.bf_insns[i].k)
                          for i in range(program.bf_len))
        finally:
            lib.pcap_freecode(ctypes.byref(program))
    finally:
        lib.pcap_close(handle)
    return Program(expression, insns)


def run_program(program: Program, frame: bytes) -> int:
    """A small interpreter for the classic BPF subset pcap_compile emits on Ethernet,
    used by tests and by ``shoestring pcap --host/--port`` cuts: returns the number
    of bytes to keep (0 = rejected). Unknown instructions reject the packet."""
    a = x = 0
    mem = [0] * 16
    pc = 0
    n = len(program.insns)
    wirelen = len(frame)
    # Classic BPF has only forward jumps, so at most n steps: this bound cannot trip
    # on a valid program and stops a hostile one.
    for _ in range(n + 1):
        if pc >= n:
            return 0
        code, jt, jf, k = program.insns[pc]
        pc += 1
        cls = code & 0x07
        if cls in (0x00, 0x01):                           # LD / LDX
            mode, size = code & 0xE0, code & 0x18
            if mode == 0x00:                              # IMM
                val = k
            elif mode == 0x80:                            # LEN
                val = wirelen
            elif mode == 0x60:                            # MEM
                val = mem[k & 15]
            elif mode == 0xA0 and cls == 0x01:            # MSH: 4 * (P[k] & 0xf)
                if k >= wirelen:
                    return 0
                val = (frame[k] & 0x0F) << 2
            else:                                         # ABS / IND
                off = k + (x if mode == 0x40 else 0)
                width = {0x00: 4, 0x08: 2, 0x10: 1}.get(size, 0)
                if not width or off + width > wirelen:
                    return 0
                val = int.from_bytes(frame[off:off + width], "big")
            if cls == 0x00:
                a = val
            else:
                x = val
        elif cls == 0x02:                                 # ST
            mem[k & 15] = a
        elif cls == 0x03:                                 # STX
            mem[k & 15] = x
        elif cls == 0x04:                                 # ALU
            operand = x if code & 0x08 else k
            op = code & 0xF0
            if op == 0x00:
                a = (a + operand) & 0xFFFFFFFF
            elif op == 0x10:
                a = (a - operand) & 0xFFFFFFFF
            elif op == 0x20:
                a = (a * operand) & 0xFFFFFFFF
            elif op == 0x30:
                if not operand:
                    return 0
                a //= operand
            elif op == 0x40:
                a |= operand
            elif op == 0x50:
                a &= operand
            elif op == 0x60:
                a = (a << operand) & 0xFFFFFFFF
            elif op == 0x70:
                a >>= operand
            elif op == 0x80:
                a = (-a) & 0xFFFFFFFF
            elif op == 0x90:
                if not operand:
                    return 0
                a %= operand
            elif op == 0xA0:
                a ^= operand
            else:
                return 0
        elif cls == 0x05:                                 # JMP
            op = code & 0xF0
            operand = x if code & 0x08 else k
            if op == 0x00:
                pc += k
                continue
            taken = {0x10: a == operand, 0x20: a > operand, 0x30: a >= operand,
                     0x40: bool(a & operand)}.get(op)
            if taken is None:
                return 0
            pc += jt if taken else jf
        elif cls == 0x06:                                 # RET
            return (a if code & 0x18 == 0x10 else k)
        elif cls == 0x07:                                 # MISC: TAX / TXA
            if code & 0xF8 == 0x00:
                x = a
            else:
                a = x
    return 0
