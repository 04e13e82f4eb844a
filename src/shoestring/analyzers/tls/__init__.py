"""TLS/SSL/DTLS analysis: ssl.log (with JA3/JA3S/JA4) and the certificates for x509.log.

Shape: ``parse.py`` (handshake messages, pure; the hellos in ``hellos.py``, their
extensions in ``extensions.py``, shared primitives in ``wire.py``), ``records.py`` (record
layer), ``session.py`` (one handshake's ssl.log record, shared with QUIC), ``analyzer.py``
(per-connection TCP/DTLS analyzers), ``fingerprints.py`` (JA3/JA3S/JA4), ``consts.py`` and
``ciphers.py`` (code-point names).

STARTTLS hand-off: a cleartext analyzer (SMTP, IMAP, POP3, XMPP, IRC) that sees STARTTLS
accepted calls :func:`starttls` with its own ctx and passes the returned analyzer every later
byte of both directions through deliver/gap/finish (the first byte it passes must be the
first TLS record). The TLS analyzer confirms "ssl" itself, so conn.log's service becomes
e.g. ``smtp,ssl`` as in Zeek; if the bytes turn out not to be TLS it calls
``ctx.violation``, which detaches the host analyzer too (its stream is not cleartext any
more either). Without a hand-off, DPD finds the ClientHello by signature on ports no
analyzer claims (the corpus's IRC/POP3/XMPP cases work that way).

QUIC: parse the ClientHello/ServerHello from CRYPTO frames with
``parse.parse_client_hello``/``parse_server_hello``; ``session.TlsSession(ctx, ts, "q")``
turns those messages (``.handshake(is_client, msg_type, body, ts)``) into the ssl.log record
Zeek writes for QUIC (``.log()``).
"""

from __future__ import annotations

from ..base import AnalyzerSpec
from .analyzer import DtlsAnalyzer, TlsAnalyzer

__all__ = ["SPEC", "TlsAnalyzer", "DtlsAnalyzer", "looks_like_tls", "starttls"]

#: Zeek's SSL::ssl_ports (base/protocols/ssl/main.zeek). 8443 and friends are left to
#: signature detection, as in Zeek, so that a non-TLS service there is not mislabelled.
TLS_PORTS = frozenset({443, 563, 585, 614, 636, 989, 990, 992, 993, 995, 5223})
#: Zeek's SSL::dtls_ports. QUIC shares 443/udp: on a QUIC connection the DTLS analyzer
#: fails at the first datagram (no DTLS content type fits a QUIC header) and detaches
#: without a log; on other ports DTLS is found by its signature.
DTLS_PORTS = frozenset({443})

_TLS_VERSIONS = (b"\x03\x00", b"\x03\x01", b"\x03\x02", b"\x03\x03")
_DTLS_VERSIONS = (b"\xfe\xff", b"\xfe\xfd", b"\xfe\xfc", b"\x01\x00")


def looks_like_tls(data: bytes, is_orig: bool) -> bool:
    """A first payload that opens a TLS handshake (record of type 22 with a 3.x version and
    a ClientHello from the originator / ServerHello from the responder), an SSLv2
    CLIENT-HELLO, or a DTLS ClientHello/HelloVerifyRequest/ServerHello."""
    if len(data) < 6:
        return False
    want = (1,) if is_orig else (2, 3)
    if data[0] == 22 and data[1:3] in _TLS_VERSIONS:
        return data[5] in want
    if data[0] == 22 and data[1:3] in _DTLS_VERSIONS:
        return len(data) > 13 and data[13] in want
    if is_orig and data[0] & 0x80 and data[2] == 1:       # SSLv2 CLIENT-HELLO
        return data[3:5] in (b"\x00\x02", *_TLS_VERSIONS)
    return False


def _factory(ctx):
    return DtlsAnalyzer(ctx) if getattr(ctx, "proto", "tcp") == "udp" else TlsAnalyzer(ctx)


def starttls(ctx) -> TlsAnalyzer:
    """A TLS analyzer for a connection that switches to TLS mid-stream (STARTTLS)."""
    return TlsAnalyzer(ctx)


SPEC = AnalyzerSpec(name="ssl", factory=_factory, tcp_ports=TLS_PORTS, udp_ports=DTLS_PORTS,
                    signature=looks_like_tls)
