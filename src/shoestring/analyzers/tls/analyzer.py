"""The per-connection TLS/SSL analyzer (TCP) and its DTLS twin (UDP): records in, ssl.log out.

Theory of operation, following Zeek's SSL analyzer:
- Each direction is plaintext until it sends ChangeCipherSpec, or, once a version above
  TLS 1.2 is negotiated, until its first application-data record. Plaintext records are
  parsed (handshake messages, alerts, CCS, heartbeats); encrypted ones only count.
- The handshake is *established* at the first encrypted record once both directions are
  encrypted. Zeek then logs ssl.log and detaches the analyzer; so do we (later bytes are
  ignored, which is also what keeps TLS cheap on the hot path).
- A content gap stops the analysis (Zeek's ``had_gap``); a record that cannot be TLS is a
  violation: the record so far is logged and the analyzer detaches.
- SSLv2: a v2 CLIENT-HELLO, SERVER-HELLO (with its certificate) and CLIENT-MASTER-KEY
  (after which both sides are encrypted) are understood.

Compiled with mypyc: both analyzers are native classes (attribute slots, direct calls into
the native record readers and session).
"""

from __future__ import annotations

from typing import ClassVar, Final

from ..base import Analyzer, ConnContext
from . import consts as C
from .parse import parse_alert
from .records import (CT_SSLV2, DtlsHandshakeReader, HandshakeReader, RecordReader,
                      TLSParseError, parse_dtls_records, parse_sslv2_client_hello,
                      parse_sslv2_server_hello)
from .session import TlsSession

#: Client hello versions Zeek accepts before confirming the protocol (version_ok).
_HELLO_VERSIONS: Final = frozenset({C.SSLv2, C.SSLv3, C.TLSv10, C.TLSv11, C.TLSv12, C.TLSv13,
                                    C.DTLSv10, C.DTLSv12, C.DTLSv13})
_SSLV2_CLIENT_HELLO: Final = 1
_SSLV2_CLIENT_MASTER_KEY: Final = 2
_SSLV2_SERVER_HELLO: Final = 4
_SSLV2_ERROR: Final = 0


def _version_ok(v: int) -> bool:
    return v in _HELLO_VERSIONS or v // 0xFF == 0x7F or (v >> 8) == 0x7E


class TlsAnalyzer(Analyzer):
    """TLS over TCP. ``deliver`` takes stream bytes of either side in order.

    STARTTLS: a cleartext analyzer (SMTP, IMAP, POP3, XMPP, IRC, ...) that sees the server
    accept STARTTLS creates ``TlsAnalyzer(ctx)`` and hands it every later byte through
    ``deliver``/``gap``/``finish``; the TLS records then start at the first byte it passes.
    """

    service = "ssl"
    transport: ClassVar[str] = "t"

    def __init__(self, ctx: ConnContext):
        super().__init__(ctx)
        self.session: TlsSession | None = None
        # Per-direction state indexed by is_orig (False -> 0 = responder, True -> 1 =
        # originator): lists rather than dicts, fewer objects per connection (and not
        # tuples: compiled, a tuple indexed by a variable is boxed on every read). None
        # once the analysis is over (see _ciphertext).
        self._records: list[RecordReader] | None = [RecordReader(), RecordReader()]
        self._handshakes: list[HandshakeReader] | None = [HandshakeReader(),
                                                           HandshakeReader()]
        self._encrypted = [False, False]
        self._done = False            # detached: established, violation or gap
        self._confirmed = False
        self._ts = 0.0

    # -- Analyzer contract --------------------------------------------------------------
    def deliver(self, is_orig: bool, data: bytes, ts: float) -> None:
        readers = self._records
        if self._done or readers is None:
            return
        self._ts = ts
        try:
            records = readers[is_orig].feed(data)
        except TLSParseError as exc:
            self._violation(f"{'client' if is_orig else 'server'}: {exc}")
            return
        for ctype, _, fragment in records:
            if self._done:
                return
            self._record(is_orig, ctype, fragment, ts)

    def gap(self, is_orig: bool, length: int, ts: float) -> None:
        if not self._done:
            self._done = True        # as Zeek: after a content gap nothing more is parsed
            self.wants_more = False

    def finish(self, ts: float) -> None:
        s = self.session
        readers = self._records
        if s is not None:
            if not self._done and readers is not None:
                for is_orig in (True, False):
                    pending = readers[is_orig].pending
                    if pending:
                        self.ctx.weird("SSL_truncated_record",
                                       f"{pending} bytes pending from "
                                       f"{'client' if is_orig else 'server'}", ts)
            s.log()
        self._done = True

    # -- records ----------------------------------------------------------------------
    def _record(self, is_orig: bool, ctype: int, fragment: bytes, ts: float) -> None:
        s = self.session
        if s is None:
            s = self.session = TlsSession(self.ctx, ts, self.transport)
        if ctype == CT_SSLV2:
            self._sslv2(is_orig, fragment, ts)
            return
        encrypted = self._encrypted
        if encrypted[is_orig]:
            self._ciphertext()
            return
        if ctype == C.CT_APPLICATION_DATA and s.negotiated is not None \
                and s.negotiated not in C.PRE_TLS13:
            encrypted[is_orig] = True                # TLS 1.3: no CCS needed
            self._ciphertext()
            return
        is_client = is_orig != s.flipped
        if ctype == C.CT_HANDSHAKE:
            self._handshake(is_orig, is_client, fragment, ts)
        elif ctype == C.CT_CHANGE_CIPHER_SPEC:
            s.change_cipher_spec(is_client)
            encrypted[is_orig] = True
        elif ctype == C.CT_ALERT:
            try:
                alerts = parse_alert(fragment)
            except TLSParseError as exc:
                self.ctx.weird("SSL_malformed_alert", str(exc), ts)
                return
            for level, desc in alerts:
                s.alert(is_client, level, desc)
        elif ctype == C.CT_HEARTBEAT:
            s.heartbeat(is_client)
        elif ctype == C.CT_APPLICATION_DATA:
            if s.version_num is not None and not s.established:
                self.ctx.weird("ssl_early_application_data", None, ts)
        else:
            self._violation(f"unknown SSL record type ({ctype}) from "
                            f"{'originator' if is_orig else 'responder'}")

    def _ciphertext(self) -> None:
        s = self.session
        if s is None:
            return
        if self._encrypted[True] and self._encrypted[False] and not s.established:
            s.established = True
            s.log()
            self._done = True        # Zeek's disable_analyzer_after_detection
            self.wants_more = False  # the rest is ciphertext: fast path from here
            # The connection stays open (and this analyzer attached) until it ends; its
            # buffers and the logged session are no use any more, so they leave the heap
            # the GC walks now (finish() has nothing left to log).
            self._records = self._handshakes = self.session = None

    def _handshake(self, is_orig: bool, is_client: bool, fragment: bytes, ts: float) -> None:
        s = self.session
        readers = self._handshakes
        if s is None or readers is None:
            return
        try:
            messages = readers[is_orig].feed(fragment)
        except TLSParseError as exc:
            self.ctx.weird("SSL_oversized_handshake_message", str(exc), ts)
            self._violation(str(exc))
            return
        for msg_type, body in messages:
            if msg_type == C.HS_CLIENT_HELLO and not is_orig and not s.history:
                s.flip()
                is_client = True
            ok = s.handshake(is_client, msg_type, body, ts)
            if msg_type == C.HS_CLIENT_HELLO and is_client:
                self._check_hello(ok, body)
            if self._done:
                return

    def _check_hello(self, ok: bool, body: bytes) -> None:
        version = (body[0] << 8) | body[1] if len(body) >= 2 else None
        if ok and version is not None and _version_ok(version):
            if not self._confirmed:
                self._confirmed = True
                self.ctx.confirm(self.service)
        elif not self._confirmed:
            self._violation(f"unsupported client SSL version 0x{version or 0:04x}"
                            if ok else "malformed client hello")

    def _sslv2(self, is_orig: bool, fragment: bytes, ts: float) -> None:
        s = self.session
        if s is None:
            return
        if self._encrypted[is_orig]:
            self._ciphertext()
            return
        msg = fragment[0] if fragment else -1
        try:
            if msg == _SSLV2_CLIENT_HELLO and is_orig:
                ch = parse_sslv2_client_hello(fragment)
                s.client_hello(ch)
                s.add_history(True, "c")
                self._check_hello(True, ch.legacy_version.to_bytes(2, "big"))
            elif msg == _SSLV2_SERVER_HELLO and not is_orig:
                sh, cert = parse_sslv2_server_hello(fragment)
                s.server_hello(sh)
                s.add_history(False, "s")
                if cert:
                    s.certificates(False, [cert], ts)
            elif msg == _SSLV2_CLIENT_MASTER_KEY and is_orig:
                self._encrypted[True] = self._encrypted[False] = True
            elif msg == _SSLV2_ERROR and len(fragment) >= 3:
                s.alert(is_orig, 2, int.from_bytes(fragment[1:3], "big"))
            else:
                self._violation(f"unexpected SSLv2 message {msg}")
        except TLSParseError as exc:
            self._violation(f"SSLv2: {exc}")

    def _violation(self, reason: str) -> None:
        if self._done:
            return
        self._done = True
        self.ctx.violation(reason)
        if self.session is not None:     # Zeek logs what it has when the analyzer errs out
            self.session.log()


class DtlsAnalyzer(TlsAnalyzer):
    """DTLS over UDP: each ``deliver`` is one datagram holding one or more records."""

    service = "dtls"          # Zeek's conn.log service for the DTLS analyzer
    transport: ClassVar[str] = "d"

    def __init__(self, ctx: ConnContext):
        super().__init__(ctx)
        self._handshakes = [DtlsHandshakeReader(), DtlsHandshakeReader()]

    def deliver(self, is_orig: bool, data: bytes, ts: float) -> None:
        if self._done:
            return
        try:
            records = parse_dtls_records(data)
        except TLSParseError as exc:
            if self.session is None:
                self._violation(f"not DTLS: {exc}")
            else:
                self.ctx.weird("DTLS_malformed_record", str(exc), ts)
            return
        for ctype, _, fragment in records:
            if self._done:
                return
            self._record(is_orig, ctype, fragment, ts)
