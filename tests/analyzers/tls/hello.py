"""Test helper: build TLS hellos and records from parts (hex kept readable in the tests)."""

from __future__ import annotations

import struct


def vec8(b: bytes) -> bytes:
    return bytes([len(b)]) + b


def vec16(b: bytes) -> bytes:
    return struct.pack(">H", len(b)) + b


def u16s(values) -> bytes:
    return b"".join(struct.pack(">H", v) for v in values)


def ext(etype: int, body: bytes) -> bytes:
    return struct.pack(">HH", etype, len(body)) + body


def sni(name: str) -> bytes:
    return ext(0, vec16(b"\x00" + vec16(name.encode())))


def alpn(*protos: str) -> bytes:
    return ext(16, vec16(b"".join(vec8(p.encode()) for p in protos)))


def client_hello_body(version=0x0303, ciphers=(0x1301, 0xC02F), session_id=b"",
                      exts: bytes | None = b"", random=bytes(range(32))) -> bytes:
    body = struct.pack(">H", version) + random + vec8(session_id) + vec16(u16s(ciphers)) \
        + vec8(b"\x00")
    if exts is not None:
        body += vec16(exts)
    return body


def server_hello_body(version=0x0303, cipher=0xC02F, session_id=b"", exts: bytes | None = b"",
                      random=bytes(32)) -> bytes:
    body = struct.pack(">H", version) + random + vec8(session_id) + struct.pack(">HB", cipher, 0)
    if exts is not None:
        body += vec16(exts)
    return body


def handshake(msg_type: int, body: bytes) -> bytes:
    return struct.pack(">I", (msg_type << 24) | len(body)) + body


def record(ctype: int, payload: bytes, version=0x0303) -> bytes:
    return struct.pack(">BHH", ctype, version, len(payload)) + payload
