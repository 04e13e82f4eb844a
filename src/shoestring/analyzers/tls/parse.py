"""TLS handshake message parsers: pure functions from message bytes to small tuples.

Each ``parse_*`` takes the body of one handshake message (the bytes after the 4-byte
handshake header, RFC 8446 §4) and returns a small value, or raises :class:`TLSParseError`.
The hellos live in ``hellos.py`` (extensions in ``extensions.py``, primitives in
``wire.py``) and are re-exported here, the one import point for the analyzers.
No state, no I/O: the QUIC analyzer feeds the ClientHello it finds in CRYPTO frames to the
same functions the TCP analyzer uses. The record layer (records, fragments, DTLS, SSLv2)
lives in ``records.py`` and is re-exported here.

Speed: hellos arrive once per connection, but lists of u16 are still unpacked with one
``struct.unpack`` call each rather than a Python loop over bytes.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from . import records
from .extensions import MAX_EXTENSIONS, parse_alpn, parse_extensions, parse_server_names
from .hellos import ClientHello, ServerHello, parse_client_hello, parse_server_hello
# the record layer, re-exported (by name: mypyc mis-resolves a relative star import)
from .records import (CT_SSLV2, MAX_HANDSHAKE_LEN, MAX_RECORD_LEN,  # noqa: F401
                      DtlsHandshakeReader, HandshakeReader, Record, RecordReader,
                      TLSParseError, parse_dtls_records, parse_sslv2_client_hello,
                      parse_sslv2_server_hello)
from .wire import U8, U16, U16_U16, _need, _vec8, _vec16, u16_list

__all__ = records.__all__ + [
    "MAX_EXTENSIONS", "MAX_CERTIFICATES", "ClientHello", "ServerHello", "NewSessionTicket",
    "parse_client_hello", "parse_server_hello", "parse_extensions", "parse_server_names",
    "parse_alpn", "parse_certificate", "parse_server_key_exchange_curve", "parse_alert",
    "parse_new_session_ticket", "u16_list", "U8", "U16", "U16_U16"]

#: Most certificates one Certificate message may carry: real chains are < 10 deep and the
#: message is itself bounded by records.MAX_HANDSHAKE_LEN; this bounds the loop.
MAX_CERTIFICATES: Final = 64


def parse_certificate(body: bytes, tls13: bool = False) -> list[bytes]:
    """A Certificate message's DER certificates, leaf first (TLS 1.2 §7.4.2; RFC 8446 §4.4.2
    when ``tls13``, which adds a request context and per-certificate extensions)."""
    off = 0
    if tls13:
        _, off = _vec8(body, 0, "certificate_request_context")
    _need(body, off, 3, "certificate_list length")
    total = int.from_bytes(body[off:off + 3], "big")
    off += 3
    _need(body, off, total, "certificate_list")
    end = off + total
    certs: list[bytes] = []
    while off < end:
        if len(certs) >= MAX_CERTIFICATES:
            raise TLSParseError("too many certificates")
        _need(body, off, 3, "certificate length")
        n = int.from_bytes(body[off:off + 3], "big")
        if off + 3 + n > end:
            raise TLSParseError(f"certificate of {n} bytes overruns its list")
        certs.append(body[off + 3:off + 3 + n])
        off += 3 + n
        if tls13:
            _, off = _vec16(body, off, "certificate extensions")
    return certs


def parse_server_key_exchange_curve(body: bytes) -> int | None:
    """The named curve of an ECDHE ServerKeyExchange (RFC 8422 §5.4), None when the params
    are not ``named_curve`` (DHE/RSA exchanges carry no curve)."""
    _need(body, 0, 3, "server_key_exchange")
    if body[0] != 3:           # ECCurveType.named_curve
        return None
    return (body[1] << 8) | body[2]


def parse_alert(fragment: bytes) -> list[tuple[int, int]]:
    """(level, description) pairs of an alert record (TLS 1.2 §7.2); a record may hold
    several alerts, and an odd trailing byte is an (encrypted or broken) alert."""
    if not fragment or len(fragment) & 1:
        raise TLSParseError(f"alert record of {len(fragment)} bytes")
    return list(zip(fragment[0::2], fragment[1::2]))


class NewSessionTicket(NamedTuple):
    """A NewSessionTicket (RFC 5077 §3.3; RFC 8446 §4.6.1 when ``tls13``)."""

    lifetime_hint: int
    ticket: bytes


def parse_new_session_ticket(body: bytes, tls13: bool = False) -> NewSessionTicket:
    _need(body, 0, 4, "ticket lifetime")
    lifetime = int.from_bytes(body[:4], "big")
    off = 4
    if tls13:
        _need(body, off, 4, "ticket_age_add")
        _, off = _vec8(body, off + 4, "ticket_nonce")
    ticket, _ = _vec16(body, off, "ticket")
    return NewSessionTicket(lifetime, ticket)
