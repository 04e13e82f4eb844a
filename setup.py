"""Build hook: compile the per-packet modules with mypyc when installing normally.

The connection table and the pipeline's hot loop are plain, type-annotated Python; mypyc
turns them into C extensions (native attribute slots, unboxed integers), which the
benchmark measures at about 1.4x the packets per second and about 40% less memory with
500,000 connections open (289 MB against 484 MB pure; bench/RESULTS.md): the 400 MB
ceiling holds for the compiled build only. The analyzers of the protocols that carry most
traffic (DNS, TLS/DTLS, QUIC, HTTP with files, SSH, DHCP, ...), the log line formatter and
uid generation are compiled the same way: native classes, so the calls between analyzer,
parser and file hashing stay in C (all analyzers +16% packets/s, bench/RESULTS.md
2026-11-28 08:42); so is the packet decoder (decode/: Packet as a native class the
connection table reads directly; conn-only -10% instructions, 2026-11-28 11:00).
Everything else stays interpreted; an interpreted analyzer subclasses
the native Analyzer as before (base.py allows it). Compiled code checks annotations at
run time: a parameter typed ``bytes`` refuses a bytearray, so type what is really passed.

- An editable install (``pip install -e .``), for working on the code, stays pure Python
  so edits take effect at once.
- ``SHOESTRING_PURE=1`` forces a pure-Python build; a machine where mypyc cannot build
  falls back to pure Python with a warning. Both give the same logs, byte for byte
  (tests/flows/test_fastpath.py and the golden tests run on whichever is installed);
  tests/test_build.py fails a normal install that fell back, so CI notices.
"""

from __future__ import annotations

import os
import sys

from setuptools import setup

COMPILED = [
    "src/shoestring/flows/tcp.py",
    "src/shoestring/flows/conn.py",
    "src/shoestring/flows/table.py",
    "src/shoestring/pipeline.py",
    "src/shoestring/flows/ids.py",
    "src/shoestring/flows/local_nets.py",
    "src/shoestring/decode/packet.py",
    "src/shoestring/decode/checksum.py",
    "src/shoestring/decode/link.py",
    "src/shoestring/decode/tunnels.py",
    "src/shoestring/decode/fragments.py",
    "src/shoestring/decode/fields.py",
    "src/shoestring/decode/decoder.py",
    "src/shoestring/logs/zeek_tsv.py",
    "src/shoestring/logs/output.py",
    "src/shoestring/flows/reassembly.py",
    "src/shoestring/analyzers/base.py",
    "src/shoestring/analyzers/dns/analyzer.py",
    "src/shoestring/analyzers/dns/parse.py",
    "src/shoestring/analyzers/dns/rdata.py",
    "src/shoestring/analyzers/quic/analyzer.py",
    "src/shoestring/analyzers/quic/parse.py",
    "src/shoestring/analyzers/quic/consts.py",
    "src/shoestring/analyzers/quic/crypto.py",
    "src/shoestring/analyzers/tls/consts.py",
    "src/shoestring/analyzers/tls/ciphers.py",
    "src/shoestring/analyzers/tls/records.py",
    "src/shoestring/analyzers/tls/wire.py",
    "src/shoestring/analyzers/tls/extensions.py",
    "src/shoestring/analyzers/tls/hellos.py",
    "src/shoestring/analyzers/tls/parse.py",
    "src/shoestring/analyzers/tls/fingerprints.py",
    "src/shoestring/analyzers/tls/session.py",
    "src/shoestring/analyzers/tls/analyzer.py",
    "src/shoestring/analyzers/ssh/analyzer.py",
    "src/shoestring/analyzers/ssh/parse.py",
    "src/shoestring/analyzers/dhcp/analyzer.py",
    "src/shoestring/analyzers/dhcp/parse.py",
    "src/shoestring/analyzers/buffered.py",
    "src/shoestring/analyzers/xmpp/analyzer.py",
    "src/shoestring/analyzers/xmpp/parse.py",
    "src/shoestring/analyzers/rdp/analyzer.py",
    "src/shoestring/analyzers/rdp/parse.py",
    "src/shoestring/analyzers/socks/analyzer.py",
    "src/shoestring/analyzers/socks/parse.py",
    "src/shoestring/analyzers/files/file.py",
    "src/shoestring/analyzers/files/magic.py",
    "src/shoestring/analyzers/http/analyzer.py",
    "src/shoestring/analyzers/http/entities.py",
    "src/shoestring/analyzers/http/parse.py",
    "src/shoestring/analyzers/http/lines.py",
    "src/shoestring/analyzers/http/multipart.py",
    "src/shoestring/analyzers/http/decode.py",
    "src/shoestring/analyzers/http/errors.py",
    "src/shoestring/analyzers/http/consts.py",
]


def _ext_modules():
    editable = any(arg.startswith("editable") or arg == "develop" for arg in sys.argv)
    if editable or os.environ.get("SHOESTRING_PURE") == "1":
        return []
    try:
        from mypyc.build import mypycify

        # Only the compiled modules are type-checked strictly; what they import is
        # read for its types but not judged (--follow-imports=silent).
        return mypycify(["--disable-error-code", "annotation-unchecked",
                         "--follow-imports", "silent", *COMPILED],
                        opt_level="3", debug_level="1")
    except BaseException as exc:                # noqa: BLE001 - mypy exits on errors
        print(f"warning: mypyc build unavailable ({exc}); installing pure Python",
              file=sys.stderr)
        return []


setup(ext_modules=_ext_modules())
