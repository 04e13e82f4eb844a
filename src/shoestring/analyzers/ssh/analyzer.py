"""ssh.log: SSH sessions, with auth success inferred from encrypted packet sizes.

Theory of operation (after Zeek's SSH analyzer and ssh/main.zeek):
- Each side starts with an identification line ("SSH-2.0-OpenSSH_9.6"), then cleartext
  binary packets: KEXINIT from both sides (algorithm lists: the negotiated algorithms
  and HASSH come from them), the key exchange (the server's reply carries its host key),
  and NEWKEYS, after which that side is encrypted.
- Encrypted traffic is only measured, per delivered segment, as Zeek does: the server's
  first encrypted segment after the client's is SERVICE_ACCEPT (its size is the yard
  stick); USERAUTH_SUCCESS is 16 bytes smaller; USERAUTH_FAILURE has its own size and
  repeats once per failed attempt. This is a size heuristic, so auth_success may be
  unset, and it is not used with compression.
- The record is written at the first inferred success, else when the connection ends.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Final

from ..base import Analyzer, ConnContext
from . import consts as C
from .parse import (
    KexInit, ParseError, find_alg, find_bidirectional_alg, fingerprint, hassh, kex_family,
    parse_host_key, parse_kexinit, protocol_version, read_line, read_packet)

# A side's parsing state (C constants once compiled).
_VERSION: Final = 0
_KEX: Final = 1
_ENCRYPTED: Final = 2
_DONE: Final = 3


def _is_local(ctx: ConnContext, orig: bool) -> bool | None:
    """Whether an endpoint is local: the context's view when it has one (local_resp is
    optional in the contract), else the private/special ranges Zeek treats as local."""
    known = getattr(ctx, "local_orig" if orig else "local_resp", None)
    if known is not None:
        return known
    try:
        return ipaddress.ip_address(ctx.orig_h if orig else ctx.resp_h).is_private
    except ValueError:
        return None


class _Side:
    """One direction's parsing state."""

    def __init__(self) -> None:
        self.state: int = _VERSION
        self.buf = bytearray()
        self.pre_lines = 0


class SshAnalyzer(Analyzer):
    service = "ssh"

    def __init__(self, ctx: ConnContext):
        super().__init__(ctx)
        self.sides = {True: _Side(), False: _Side()}
        self.record: dict[str, Any] | None = None
        self.logged = False
        self.had_gap = False
        self.confirmed = False
        self.kexinit: dict[bool, KexInit] = {}
        self.kex_family: str | None = None
        # Zeek's packet-size state (SSH.cc ProcessEncrypted).
        self.auth_decision_made = False
        self.saw_encrypted_client_data = False
        self.skipped_banner = False
        self.service_accept_size = 0
        self.userauth_failure_size = 0

    # -- the record ----------------------------------------------------------------

    def _session(self, ts: float) -> dict[str, Any]:
        if self.record is None:
            ctx = self.ctx
            direction = None
            lo, lr = _is_local(ctx, True), _is_local(ctx, False)
            if lo is not None and lr is not None and lo != lr:
                direction = "OUTBOUND" if lo else "INBOUND"
            self.record = {"ts": ts, **ctx.id_fields(), "version": None,
                           "auth_success": None, "auth_attempts": 0,
                           "direction": direction, "client": None, "server": None,
                           "cipher_alg": None, "mac_alg": None, "compression_alg": None,
                           "kex_alg": None, "host_key_alg": None,
                           "host_key_fingerprint": None, "hassh": None, "hasshServer": None}
        return self.record

    def _write(self) -> None:
        if self.record is not None and not self.logged:
            self.logged = True
            self.ctx.emit("ssh", self.record)

    # -- feeding -------------------------------------------------------------------

    def deliver(self, is_orig: bool, data: bytes, ts: float) -> None:
        try:
            self._deliver(is_orig, data, ts)
        except Exception as exc:  # noqa: BLE001 - analyzers never raise
            self.ctx.weird("ssh_analyzer_error", repr(exc)[:200], ts)
            self._side_done(self.sides[is_orig])

    def gap(self, is_orig: bool, length: int, ts: float) -> None:
        # Zeek stops analysing both sides after a content gap.
        self.had_gap = True
        self.wants_more = False             # the connection may take the fast path

    def finish(self, ts: float) -> None:
        # Zeek's finalize_ssh: a success was written already; otherwise write now.
        self._write()

    def _deliver(self, is_orig: bool, data: bytes, ts: float) -> None:
        if self.had_gap:
            return
        side = self.sides[is_orig]
        if side.state == _ENCRYPTED:
            self._encrypted(is_orig, len(data))
            return
        if side.state == _DONE:
            return
        side.buf += data
        pos = 0
        buf = side.buf
        try:
            while side.state == _VERSION:
                got = read_line(buf, pos)
                if got is None:
                    break                   # the rest of the line is still to come
                line, pos = got
                if not self._version_line(is_orig, line, side, ts):
                    side.buf = bytearray()
                    return
            while side.state == _KEX:
                packet = read_packet(buf, pos)
                if packet is None:
                    break                   # the rest of the packet is still to come
                msg_type, payload, pos = packet
                self._kex_message(is_orig, msg_type, payload, ts)
                if msg_type == C.MSG_NEWKEYS:
                    side.state = _ENCRYPTED
                    self._confirm()
        except ParseError as exc:
            name = C.WEIRD_MALFORMED_VERSION if side.state == _VERSION else C.WEIRD_BAD_PACKET
            self.ctx.weird(name, str(exc), ts)
            self._side_done(side)
            side.buf = bytearray()
            return
        rest = len(buf) - pos
        if side.state == _ENCRYPTED:
            side.buf = bytearray()
            if rest:
                # The segment that carried NEWKEYS also carried encrypted bytes.
                self._encrypted(is_orig, rest)
        else:
            del buf[:pos]

    def _version_line(self, is_orig: bool, line: bytes, side: _Side, ts: float) -> bool:
        """True to go on parsing this side."""
        if not line.startswith(b"SSH-"):
            # RFC 4253 4.2 allows a server lines before its identification.
            side.pre_lines += 1
            if is_orig or side.pre_lines > C.MAX_PRE_BANNER_LINES:
                self.ctx.weird(C.WEIRD_MALFORMED_IDENT, None, ts)
                self._side_done(side)
                if not self.confirmed:
                    self.ctx.violation("malformed ssh identification")
                return False
            return True
        version = line.decode("utf-8", "surrogateescape")
        rec = self._session(ts)
        rec["client" if is_orig else "server"] = version
        v = protocol_version(rec["client"], rec["server"])
        if v is not None:
            rec["version"] = v
        # SSH-1 key exchange is not parsed: only its identification lines are logged.
        if version.startswith("SSH-1.") and not version.startswith("SSH-1.99"):
            self._side_done(side)
            return False
        side.state = _KEX
        return True

    def _side_done(self, side: _Side) -> None:
        """Nothing more to parse on this side; when both are done no payload is needed
        (finish still writes the record), so the connection may take the fast path."""
        side.state = _DONE
        if self.sides[True].state == _DONE and self.sides[False].state == _DONE:
            self.wants_more = False

    def _confirm(self) -> None:
        if not self.confirmed:
            self.confirmed = True
            self.ctx.confirm("ssh")

    def _kex_message(self, is_orig: bool, msg_type: int, payload: bytes, ts: float) -> None:
        if msg_type == C.MSG_KEXINIT:
            try:
                kexinit = parse_kexinit(payload)
            except ParseError as exc:
                self.ctx.weird(C.WEIRD_BAD_KEXINIT, str(exc), ts)
                return
            self._capabilities(is_orig, kexinit, ts)
            return
        if is_orig or self.kex_family is None:
            return
        if msg_type == C.HOST_KEY_MESSAGE.get(self.kex_family):
            try:
                key = parse_host_key(payload)
            except ParseError as exc:
                self.ctx.weird(C.WEIRD_BAD_KEX_REPLY, str(exc), ts)
                return
            self._session(ts)["host_key_fingerprint"] = fingerprint(key)

    def _capabilities(self, is_orig: bool, kexinit: KexInit, ts: float) -> None:
        """Zeek's ssh_capabilities handler, plus HASSH."""
        rec = self._session(ts)
        rec["hasshServer" if not is_orig else "hassh"] = hassh(kexinit, server=not is_orig)
        if is_orig in self.kexinit:
            return          # a second KEXINIT from the same side changes nothing in Zeek
        self.kexinit[is_orig] = kexinit
        if len(self.kexinit) < 2:
            return
        cl, sv = self.kexinit[True], self.kexinit[False]
        rec["cipher_alg"] = find_bidirectional_alg((cl.enc_c2s, sv.enc_c2s),
                                                   (cl.enc_s2c, sv.enc_s2c))
        rec["mac_alg"] = find_bidirectional_alg((cl.mac_c2s, sv.mac_c2s),
                                                (cl.mac_s2c, sv.mac_s2c))
        rec["compression_alg"] = find_bidirectional_alg((cl.cmp_c2s, sv.cmp_c2s),
                                                        (cl.cmp_s2c, sv.cmp_s2c))
        rec["kex_alg"] = find_alg(cl.kex, sv.kex)
        rec["host_key_alg"] = find_alg(cl.host_key, sv.host_key)
        self.kex_family = kex_family(rec["kex_alg"])
        if self.kex_family is None:
            self.ctx.weird(C.WEIRD_UNKNOWN_KEX, rec["kex_alg"], ts)

    # -- encrypted phase: Zeek's SSH_Analyzer::ProcessEncrypted, per segment --------

    def _encrypted(self, is_orig: bool, length: int) -> None:
        rec = self.record
        if self.auth_decision_made or rec is None or rec["version"] != 2:
            return
        if is_orig:
            self.saw_encrypted_client_data = True
            return
        if not self.saw_encrypted_client_data:
            return
        if not self.service_accept_size:
            self.service_accept_size = length
            return
        if not self.userauth_failure_size and length + 16 == self.service_accept_size:
            self.auth_decision_made = True
            self._auth_attempted(rec, True)
            return
        if not self.userauth_failure_size:
            # Much bigger than SERVICE_ACCEPT: a pre-auth banner, skipped once.
            if not self.skipped_banner and length - self.service_accept_size > 256:
                self.skipped_banner = True
                return
            self.userauth_failure_size = length
            return
        if length == self.userauth_failure_size:
            self._auth_attempted(rec, False)
            return
        if length - self.service_accept_size == -16:
            self.auth_decision_made = True
            self._auth_attempted(rec, True)

    def _auth_attempted(self, rec: dict[str, Any], authenticated: bool) -> None:
        """Zeek's ssh_auth_attempted handlers (``rec``: the record, which exists by now)."""
        if rec["auth_success"]:
            return
        if rec["compression_alg"] in C.COMPRESSION_ALGORITHMS:
            return
        rec["auth_success"] = authenticated
        rec["auth_attempts"] += 1
        if authenticated:
            self._write()
            for side in self.sides.values():     # Zeek detaches the analyzer here
                self._side_done(side)
