"""Per-connection RDP analyzer: the connection sequence up to encryption, and the
server's certificates for x509.log.

Theory of operation (after Zeek's RDP analyzer, rdp-protocol.pac and rdp-analyzer.pac):
- Both sides send TPKT frames holding X.224 TPDUs. The client's Connection Request may
  ask for TLS or CredSSP; when the server's Connection Confirm selects one (any protocol
  but standard RDP security), the rest of the connection is TLS: the analyzer hands the
  stream on (``ctx.handoff()``) so the TLS analyzer is found on the bytes that follow,
  as Zeek's RDP analyzer feeds its PIA.
- With standard RDP security the MCS Connect-Initial (client) and Connect-Response
  (server) follow, carrying GCC user data blocks. The client's core data, the server's
  GCC response and its security data each confirm RDP (conn.log service "rdp"), as in
  Zeek. The server's security data may carry an X.509 certificate chain: each
  certificate goes to x509.log as a host certificate (Zeek passes them to the file
  analysis as the responder's "application/x-x509-user-cert"), with the same
  once-a-day deduplication as TLS's.
- After the MCS connect exchange the analyzer stops: what follows is encrypted (or of
  no interest to any log).
- rdp.log is not written: no schema declares it yet (logs/schemas).
"""

from __future__ import annotations

from typing import Any, Final, cast

from ..base import ConnContext
from ..buffered import BufferedAnalyzer
from ..x509 import CertificateCache, should_log
from . import consts as C
from .parse import (RdpParseError, gcc_blocks, mcs_user_data, parse_connect_request,
                    parse_negotiation, parse_server_security, parse_tpkt, parse_x224,
                    rsa_key_of)

#: Key algorithm names of RSA keys mislabelled by Windows (see parse.rsa_key_of).
MISLABELLED_RSA: Final = frozenset({"md5WithRSAEncryption", "sha1WithRSAEncryption"})

#: TPKT frames parsed per side before the MCS connect PDU must have come: the sequence
#: has the X.224 pair and then the MCS connect PDU; a few spare for odd stacks.
MAX_FRAMES: Final = 8


class RdpAnalyzer(BufferedAnalyzer):
    """RDP up to encryption: service, TLS hand-off, server certificates."""

    service = "rdp"

    def __init__(self, ctx: ConnContext):
        super().__init__(ctx)
        self.frames: dict[bool, int] = {True: 0, False: 0}
        self.done: dict[bool, bool] = {True: False, False: False}   # this side is parsed
        self.confirmed = False

    # -- the contract ------------------------------------------------------------------
    def deliver(self, is_orig: bool, data: bytes, ts: float) -> None:
        if self.stopped or self.done[is_orig] or not data:
            return
        buf = self.bufs[is_orig]
        buf += data
        try:
            while not self.stopped and not self.done[is_orig]:
                got = parse_tpkt(buf)
                if got is None:
                    break
                tpdu, end = got
                del buf[:end]
                self.frames[is_orig] += 1
                if self.frames[is_orig] > MAX_FRAMES:
                    self.ctx.weird("RDP_connection_sequence_too_long", None, ts)
                    self._finish_side(is_orig)
                    break
                self._tpdu(is_orig, tpdu, ts)
        except RdpParseError as exc:
            self._give_up(str(exc))
        except Exception as exc:            # noqa: BLE001 - an analyzer never raises out
            self.ctx.weird("RDP_analyzer_error", type(exc).__name__, ts)
            self._give_up(f"internal error: {type(exc).__name__}")

    # -- frames --------------------------------------------------------------------------
    def _give_up(self, reason: str) -> None:
        self._stop()
        self.ctx.violation(reason)

    def _finish_side(self, is_orig: bool) -> None:
        self.done[is_orig] = True
        self.bufs[is_orig].clear()
        if self.done[not is_orig]:
            self._stop()

    def _confirm(self) -> None:
        if not self.confirmed:
            self.confirmed = True
            self.ctx.confirm("rdp")

    def _tpdu(self, is_orig: bool, tpdu: bytes, ts: float) -> None:
        x = parse_x224(tpdu)
        if x.code == C.X224_CONNECT_REQUEST and is_orig:
            parse_connect_request(x.variable)       # only its well-formedness matters
        elif x.code == C.X224_CONNECT_CONFIRM and not is_orig:
            neg, _ = parse_negotiation(x.variable, 0)
            if neg is not None and neg.kind == C.NEG_RESPONSE and neg.value != C.PROTOCOL_RDP:
                self._to_tls()
        elif x.code == C.X224_DATA:
            if is_orig and x.variable.startswith(C.MCS_CONNECT_INITIAL):
                self._client_data(x.variable)
                self._finish_side(True)
            elif not is_orig and x.variable.startswith(C.MCS_CONNECT_RESPONSE):
                self._server_data(x.variable, ts)
                self._finish_side(False)
        elif self.frames[is_orig] == 1:
            raise RdpParseError(f"X.224 TPDU 0x{x.code:02x} where a connection request "
                                f"or confirm was expected")

    def _to_tls(self) -> None:
        """The server chose TLS/CredSSP: what follows the confirm is a TLS handshake."""
        orig, resp = bytes(self.bufs[True]), bytes(self.bufs[False])
        self._stop()
        self.ctx.handoff(None, orig, resp)

    def _client_data(self, mcs: bytes) -> None:
        blocks = gcc_blocks(mcs_user_data(mcs, C.MCS_CONNECT_INITIAL), C.H221_CLIENT_KEY)
        if any(btype == C.CS_CORE for btype, _ in blocks):
            self._confirm()

    def _server_data(self, mcs: bytes, ts: float) -> None:
        blocks = gcc_blocks(mcs_user_data(mcs, C.MCS_CONNECT_RESPONSE), C.H221_SERVER_KEY)
        self._confirm()                             # Zeek: on the GCC create response
        for btype, body in blocks:
            if btype == C.SC_SECURITY:
                security = parse_server_security(body)
                self._certificates(security.certificates, ts)

    def _certificates(self, certs: list[bytes], ts: float) -> None:
        # Each factory makes the one object stored under its key (TLS shares them).
        seen = cast(dict, self.ctx.shared("x509.logged", dict))
        cache = cast(CertificateCache, self.ctx.shared("x509.cache", CertificateCache))
        for der in certs:
            fp, fields, _names = cache.lookup(der)
            if fields is None:
                self.ctx.weird("x509_cert_parse_error", None, ts)
                continue
            if should_log(seen, fp, True, False, ts):
                rec: dict[str, Any] = {"ts": ts}
                rec.update(fields)
                if rec["certificate.key_type"] is None and \
                        rec["certificate.key_alg"] in MISLABELLED_RSA:
                    self._rsa_fields(rec, der)
                rec["host_cert"], rec["client_cert"] = True, False
                self.ctx.emit("x509", rec)

    @staticmethod
    def _rsa_fields(rec: dict[str, Any], der: bytes) -> None:
        try:
            bits, exponent = rsa_key_of(der)
        except RdpParseError:
            return                                  # the fields stay unset
        rec["certificate.key_type"] = "rsa"
        rec["certificate.key_length"] = bits
        rec["certificate.exponent"] = str(exponent)
