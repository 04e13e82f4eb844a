"""One TLS handshake's ssl.log record, built from handshake events as Zeek's ssl/main.zeek
builds it: version, cipher, curve, SNI, ALPN, resumption, history letters, certificates.

Transport-free: the TCP/DTLS analyzer (analyzer.py) feeds it messages from records, and the
QUIC analyzer may feed it the messages it finds in CRYPTO frames (then ``record()`` gives the
ssl.log line Zeek writes for QUIC). Certificates go to x509.log through ``ctx.emit``.
A native class when compiled (mypyc).
"""

from __future__ import annotations

from typing import Any, Final, cast

from ..base import ConnContext
from ..x509 import CertificateCache, hostname_matches, should_log
from . import consts as C
from .ciphers import cipher_name
from .fingerprints import ja3, ja3s, ja4
from .hellos import ClientHello, ServerHello
from .parse import (TLSParseError, parse_certificate, parse_client_hello,
                    parse_server_hello, parse_server_key_exchange_curve)

#: Handshake-message types Zeek knows by letter; others are 'z' and a weird.
_KNOWN: Final = C.HISTORY_LETTERS
_MAX_HISTORY: Final = C.MAX_HISTORY
#: An all-zero session_id is no session to resume.
_NULL_SESSION_ID: Final = bytes(32)


def _has_ext(hello: ClientHello | ServerHello, etype: int) -> bool:
    # a parsed hello carries its extension types as a tuple: one C-level scan
    types = hello.ext_types
    if types is not None:
        return etype in types
    return any(t == etype for t, _ in hello.extensions)


class TlsSession:
    """The ssl.log record of one connection (Zeek's SSL::Info) and the rules that fill it."""

    def __init__(self, ctx: ConnContext, ts: float, transport: str = "t"):
        self.ctx = ctx
        self.ts = ts
        self.transport = transport          # JA4's t / q / d
        self.version_num: int | None = None
        self.cipher: str | None = None
        self.curve: str | None = None
        self.server_name: str | None = None
        self.session_id: str | None = None
        self.resumed = False
        self.ticket_empty_session = False
        self.client_key_exchange_seen = False
        self.client_psk_seen = False
        self.last_alert: str | None = None
        self.next_protocol: str | None = None
        self.established = False
        self.logged = False
        self.hrr_seen = False
        self.history: list[str] = []
        self.flipped = False
        self.cert_chain: list[str] | None = None      # fingerprints; None until a cert
        self.client_cert_chain: list[str] | None = None
        self.leaf_names: tuple[list[str] | None, list[str]] | None = None
        self.ja3: str | None = None
        self.ja3s: str | None = None
        self.ja4: str | None = None
        self.negotiated: int | None = None            # for "encrypted from here" rules

    # -- history ---------------------------------------------------------------------
    def add_history(self, is_client: bool, letter: str) -> None:
        history = self.history
        if len(history) >= _MAX_HISTORY:
            return
        history.append(letter.upper() if is_client else letter)
        if len(history) == _MAX_HISTORY:
            self.ctx.weird("SSL_max_ssl_history_length_reached", str(_MAX_HISTORY))

    def flip(self) -> None:
        """The ClientHello came from the responder (e.g. DTLS after STUN)."""
        if not self.flipped:
            self.flipped = True
            self.history.append("^")

    # -- records other than handshake ---------------------------------------------------
    def change_cipher_spec(self, is_client: bool) -> None:
        self.add_history(is_client, C.HISTORY_CCS)
        if is_client and self.ticket_empty_session and not self.client_key_exchange_seen:
            self.resumed = True

    def alert(self, is_client: bool, level: int, desc: int) -> None:
        self.add_history(is_client, C.HISTORY_ALERT)
        self.last_alert = C.alert_name(desc)

    def heartbeat(self, is_client: bool) -> None:
        self.add_history(is_client, C.HISTORY_HEARTBEAT)

    # -- handshake messages --------------------------------------------------------------
    def handshake(self, is_client: bool, msg_type: int, body: bytes, ts: float) -> bool:
        """One plaintext handshake message; False when it does not parse (a weird is
        recorded; the caller decides whether that ends the analysis)."""
        try:
            if msg_type == C.HS_CLIENT_HELLO and is_client:
                self.client_hello(parse_client_hello(body, dtls=self.transport == "d"))
            elif msg_type == C.HS_SERVER_HELLO and not is_client:
                self.server_hello(parse_server_hello(body))
            elif msg_type == C.HS_CERTIFICATE:
                tls13 = self.negotiated is not None and self.negotiated not in C.PRE_TLS13
                self.certificates(is_client, parse_certificate(body, tls13), ts)
            elif msg_type == C.HS_SERVER_KEY_EXCHANGE and not is_client:
                if self.cipher and ("_ECDHE_" in self.cipher or "_ECDH_" in self.cipher):
                    curve = parse_server_key_exchange_curve(body)
                    if curve is not None:
                        self.curve = C.curve_name(curve)
            elif msg_type == C.HS_CLIENT_KEY_EXCHANGE and is_client:
                self.client_key_exchange_seen = True
        except TLSParseError as exc:
            self.ctx.weird("SSL_handshake_parse_error",
                           f"{'client' if is_client else 'server'} type {msg_type}: {exc}", ts)
            self.add_history(is_client, _KNOWN.get(msg_type, C.HISTORY_UNKNOWN))
            return False
        letter = _KNOWN.get(msg_type, C.HISTORY_UNKNOWN)
        if msg_type == C.HS_SERVER_HELLO and self.hrr_seen:
            letter, self.hrr_seen = "j", False
        self.add_history(is_client, letter)
        return True

    def client_hello(self, ch: ClientHello) -> None:
        for etype in ch.bad_extensions:
            self.ctx.weird("SSL_malformed_extension", f"client extension {etype}")
        sid = ch.session_id
        if sid and sid != _NULL_SESSION_ID:
            self.session_id = sid.hex()
            self.ticket_empty_session = False
        elif _has_ext(ch, C.EXT_SESSION_TICKET) and \
                any(t == C.EXT_SESSION_TICKET and v for t, v in ch.extensions):
            self.ticket_empty_session = True
        if _has_ext(ch, C.EXT_PRE_SHARED_KEY):
            self.client_psk_seen = True
        if ch.server_names:
            self.server_name = ch.server_names[0]
            if len(ch.server_names) > 1:
                self.ctx.weird("SSL_many_server_names", ",".join(ch.server_names))
        if self.ja3 is None and not ch.sslv2:
            self.ja3 = ja3(ch)[1]
            self.ja4 = ja4(ch, self.transport)

    def server_hello(self, sh: ServerHello) -> None:
        for etype in sh.bad_extensions:
            self.ctx.weird("SSL_malformed_extension", f"server extension {etype}")
        if sh.selected_version is not None:
            self.version_num = sh.selected_version
        elif self.version_num is None:
            self.version_num = sh.legacy_version
        self.negotiated = self.version_num
        self.cipher = cipher_name(sh.cipher_suite)
        if sh.is_hrr:
            self.hrr_seen = True
        v = self.version_num
        if (self.session_id is not None and self.session_id == sh.session_id.hex()
                and v // 0xFF != 0x7F and v != C.TLSv13):
            self.resumed = True
        if sh.key_share_group is not None:
            self.curve = C.curve_name(sh.key_share_group)
        if sh.alpn:
            self.next_protocol = sh.alpn[0]
        if sh.psk_selected and self.client_psk_seen:
            self.resumed = True
        if self.ja3s is None and not sh.sslv2:
            self.ja3s = ja3s(sh)[1]

    def certificates(self, is_client: bool, certs: list[bytes], ts: float) -> None:
        if not certs:
            return
        server_chain, client_chain = self.cert_chain, self.client_cert_chain
        if server_chain is None or client_chain is None:     # the first certificates
            server_chain = self.cert_chain = []
            client_chain = self.client_cert_chain = []
        chain = client_chain if is_client else server_chain
        # shared() hands back what the factory made (the casts are checked when compiled)
        seen = cast(dict, self.ctx.shared("x509.logged", dict))
        cache = cast(CertificateCache, self.ctx.shared("x509.cache", CertificateCache))
        for depth, der in enumerate(certs):
            fp, fields, cns = cache.lookup(der)
            chain.append(fp)
            if fields is None:
                self.ctx.weird("x509_cert_parse_error", None, ts)   # Zeek: no addl
                continue
            host, client = depth == 0 and not is_client, depth == 0 and is_client
            if host and self.leaf_names is None:
                self.leaf_names = (fields["san.dns"], cns)
            if should_log(seen, fp, host, client, ts):
                rec: dict[str, Any] = {"ts": ts}
                rec.update(fields)
                rec["host_cert"], rec["client_cert"] = host, client
                self.ctx.emit("x509", rec)

    # -- the record ------------------------------------------------------------------------
    @property
    def version(self) -> str | None:
        return C.version_name(self.version_num) if self.version_num is not None else None

    def record(self) -> dict:
        sni_match = None
        if self.server_name is not None and self.leaf_names is not None:
            sni_match = hostname_matches(self.server_name, *self.leaf_names)
        # one dict display (compiled: a presized dict, no temporaries to merge)
        rec: dict[str, Any] = {
            "ts": self.ts, **self.ctx.id_fields(),
            "version": self.version, "cipher": self.cipher, "curve": self.curve,
            "server_name": self.server_name, "resumed": self.resumed,
            "last_alert": self.last_alert, "next_protocol": self.next_protocol,
            "established": self.established, "ssl_history": "".join(self.history),
            "cert_chain_fps": self.cert_chain, "client_cert_chain_fps": self.client_cert_chain,
            "sni_matches_cert": sni_match, "ja3": self.ja3, "ja3s": self.ja3s, "ja4": self.ja4,
        }
        return rec

    def log(self) -> None:
        """Write the ssl.log record once."""
        if not self.logged:
            self.logged = True
            self.ctx.emit("ssl", self.record())
