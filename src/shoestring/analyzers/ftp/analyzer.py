"""ftp.log: FTP control sessions as Zeek's ftp/main.zeek logs them, and the data channels.

Theory of operation:
- Client lines are commands, server lines replies (multi-line replies "227-...",
  "227 ..." per RFC 959 4.2). A reply is paired with the pending command that fits it
  best (Zeek's get_pending_cmd: a reply code the command may get, its name or argument
  in the message, then the oldest), so pipelined commands pair correctly.
- A command/reply pair is written when the next command arrives (or several are
  pending, or the session ends), and only for Zeek's logged commands (RETR, STOR,
  PORT, PASV, ...). File arguments become ftp://host/path with the tracked directory.
- PORT/EPRT commands and 227/229 replies announce a data connection; it is registered
  in the run-wide :class:`ExpectedChannels` (``ctx.shared("ftp-data", ...)``), where
  the pipeline finds it (see the package docstring), and the data analyzer reports the
  file's MIME type and fuid back into this session.
- Passwords: logged only for guest users (anonymous, ftp, ...), else "<hidden>", as Zeek.
"""

from __future__ import annotations

import re

from ..base import Analyzer, ConnContext
from . import consts as C
from .parse import (
    ParseError, build_url_ftp, build_path, compress_path, extract_count_last, extract_path,
    first_illegal_base64, next_line, parse_eftp, parse_ftp_epsv, parse_ftp_pasv,
    parse_ftp_port, parse_request, reply_code)
from .data import ExpectedChannels

# Zeek keeps a code-less continuation line only if it looks like a reply of its own
# (servers that break the multi-line rules, see ftp/main.zeek).
_LOOKS_LIKE_REPLY = re.compile(r"[1-9][0-9]{2} [\x20-\x7e]{10}")


class _Cmd:
    __slots__ = ("ts", "cmd", "arg", "seq", "cwd_consumed")

    def __init__(self, ts, cmd, arg, seq):
        self.ts, self.cmd, self.arg, self.seq, self.cwd_consumed = ts, cmd, arg, seq, False


class FtpAnalyzer(Analyzer):
    service = "ftp"

    #: Zeek's FTP::default_capture_password: log every user's password (off).
    capture_password = False

    def __init__(self, ctx: ConnContext):
        super().__init__(ctx)
        self.bufs = {True: bytearray(), False: bytearray()}
        self.skipping = {True: False, False: False}
        self.channels: ExpectedChannels = ctx.shared("ftp-data", ExpectedChannels)
        self.started = False
        self.confirmed = False
        self.stopped = False
        self.pending_reply = 0          # code of a multi-line reply in progress
        # Zeek's FTP::Info session state.
        self.user = C.UNKNOWN_USER
        self.password: str | None = None
        self.cwd = "."
        self.pending: dict[int, _Cmd] = {}
        self.command_seq = 0
        self.cmdarg: _Cmd | None = None
        self.reply_code: int | None = None
        self.reply_msg: str | None = None
        self.mime_type: str | None = None
        self.file_size: int | None = None
        self.data_channel: tuple | None = None
        self.fuid: str | None = None
        self.data_analyzer = None       # the data connection of the current transfer
        self.adat_first = True
        self.adat_active = False

    # -- feeding ---------------------------------------------------------------------

    def deliver(self, is_orig: bool, data: bytes, ts: float) -> None:
        if self.stopped:
            return
        try:
            buf = self.bufs[is_orig]
            buf += data
            pos = 0
            while True:
                line, nxt = next_line(buf, pos)
                if line is None:
                    if len(buf) - pos > C.MAX_LINE:
                        self.ctx.weird(C.WEIRD_LINE_TOO_LONG, str(len(buf) - pos), ts)
                        self.skipping[is_orig] = True
                        pos = len(buf)
                    break
                pos = nxt
                if self.skipping[is_orig]:
                    self.skipping[is_orig] = False
                    continue
                if is_orig:
                    self._client_line(bytes(line), ts)
                else:
                    self._server_line(bytes(line), ts)
                if self.stopped:
                    break
            del buf[:pos]
        except Exception as exc:  # noqa: BLE001 - analyzers never raise
            self.ctx.weird("ftp_analyzer_error", repr(exc)[:200], ts)
            self.stopped = True

    def gap(self, is_orig: bool, length: int, ts: float) -> None:
        # A gap loses the line framing of this side; drop the partial line.
        self.bufs[is_orig] = bytearray()
        self.skipping[is_orig] = True

    def finish(self, ts: float) -> None:
        """Zeek's finalize_ftp: every command still pending is written."""
        try:
            for seq in sorted(self.pending):
                self.cmdarg = self.pending[seq]
                self._message()
            self.pending.clear()
        except Exception as exc:  # noqa: BLE001
            self.ctx.weird("ftp_analyzer_error", repr(exc)[:200], ts)

    # -- session ---------------------------------------------------------------------

    def _session(self, ts: float) -> None:
        if not self.started:
            self.started = True
            self._add_pending(C.INIT, "", ts)   # the greeting answers this shim

    def _add_pending(self, cmd: str, arg: str, ts: float) -> None:
        self.command_seq += 1
        self.pending[self.command_seq] = _Cmd(ts, cmd, arg, self.command_seq)

    def _hide_password(self) -> bool:
        return not self.capture_password and self.user.lower() not in C.GUEST_IDS

    def _message(self) -> None:
        """Zeek's ftp_message(): log the current command/reply pair if it is one of the
        logged commands, then forget the per-transfer fields."""
        ca = self.cmdarg
        if ca is None:
            return
        arg = ca.arg
        if ca.cmd in C.FILE_COMMANDS:
            arg = build_url_ftp(self.ctx.resp_h, self.cwd, arg)
        if len(arg) > C.MAX_ARG_LENGTH:
            self.ctx.weird(C.WEIRD_ARG_TOO_LONG, str(len(arg)), ca.ts)
            arg = arg[:C.MAX_ARG_LENGTH]
        msg = self.reply_msg
        if msg is not None and len(msg) > C.MAX_REPLY_MSG_LENGTH:
            self.ctx.weird(C.WEIRD_REPLY_TOO_LONG, str(len(msg)), ca.ts)
            msg = msg[:C.MAX_REPLY_MSG_LENGTH]
        hide = self._hide_password()
        if ca.cmd == "PASS" and hide:
            arg = C.HIDDEN_PASSWORD
        if self.password is not None and hide:
            self.password = C.HIDDEN_PASSWORD
        if self.mime_type is None and self.data_analyzer is not None:
            mime = self.data_analyzer.peek_mime()
            if mime is not None:
                self.data_mime(mime)
        if ca.cmd in C.LOGGED_COMMANDS:
            dc = self.data_channel
            self.ctx.emit("ftp", {
                "ts": ca.ts, **self.ctx.id_fields(), "user": self.user,
                "password": self.password, "command": ca.cmd, "arg": arg or None,
                "mime_type": self.mime_type, "file_size": self.file_size,
                "reply_code": self.reply_code, "reply_msg": msg,
                "data_channel.passive": dc[0] if dc else None,
                "data_channel.orig_h": dc[1] if dc else None,
                "data_channel.resp_h": dc[2] if dc else None,
                "data_channel.resp_p": dc[3] if dc else None,
                "fuid": self.fuid})
        self.mime_type = self.file_size = self.data_channel = self.fuid = None
        self.data_analyzer = None

    def _expect(self, passive: bool, orig_h: str, resp_h: str, resp_p: int, ts: float):
        self.data_channel = (passive, orig_h, resp_h, resp_p)
        self.channels.expect(orig_h, resp_h, resp_p, self, ts, self.ctx)

    # Called by the data-channel analyzer (data.py).
    def data_file(self, fuid: str, data_analyzer) -> None:
        self.fuid = fuid
        self.data_analyzer = data_analyzer

    def data_mime(self, mime_type: str, data_analyzer=None) -> None:
        # A data connection that ends after its command was logged must not lend its
        # type to the next command's record.
        if data_analyzer is None or data_analyzer is self.data_analyzer:
            self.mime_type = mime_type.split(";", 1)[0]

    # -- client ----------------------------------------------------------------------

    def _client_line(self, line: bytes, ts: float) -> None:
        cmd, arg = parse_request(line)
        if self.adat_active:
            self._adat(cmd, arg, ts)
        if self.cmdarg is not None and self.reply_code is not None:
            if self.pending.pop(self.cmdarg.seq, None) is not None:
                self._message()
        self._session(ts)
        if len(self.pending) < C.MAX_PENDING_COMMANDS:
            self._add_pending(cmd, arg, ts)
        else:
            self.ctx.weird(C.WEIRD_TOO_MANY_PENDING, str(len(self.pending)), ts)
        if cmd == "USER":
            if len(arg) > C.MAX_USER_LENGTH:
                self.ctx.weird(C.WEIRD_USER_TOO_LONG, str(len(arg)), ts)
                arg = arg[:C.MAX_USER_LENGTH]
            self.user = arg
            self._confirm()
        elif cmd == "PASS":
            if len(arg) > C.MAX_PASSWORD_LENGTH:
                self.ctx.weird(C.WEIRD_PASSWORD_TOO_LONG, str(len(arg)), ts)
                arg = arg[:C.MAX_PASSWORD_LENGTH]
            self.password = arg
        elif cmd in ("PORT", "EPRT"):
            try:
                ep = parse_ftp_port(arg) if cmd == "PORT" else parse_eftp(arg)
            except ParseError:
                return
            # Active mode: the server connects to the client's announced address.
            self._expect(False, self.ctx.resp_h, ep.host, ep.port, ts)
        elif cmd == "AUTH":
            self.adat_active = True
            self.adat_first = True

    def _adat(self, cmd: str, arg: str, ts: float) -> None:
        """Zeek's FTP_ADAT analyzer, first token only: GSI starts with a TLS record."""
        if cmd != "ADAT" or not self.adat_first:
            return
        self.adat_first = False
        bad = first_illegal_base64(arg.encode("utf-8", "surrogateescape"))
        if bad is not None:
            # Zeek's base64 decoder reports without a source; the ADAT check as FTP_ADAT.
            self.ctx.weird(C.WEIRD_BASE64, f"character {bad} ignored by Base64 decoding", ts,
                           source=None)
            self.ctx.weird(C.WEIRD_ADAT_FIRST_TOKEN, None, ts, source="FTP_ADAT")
        self.adat_active = False

    def _confirm(self) -> None:
        if not self.confirmed:
            self.confirmed = True
            self.ctx.confirm("ftp")

    # -- server ----------------------------------------------------------------------

    def _server_line(self, line: bytes, ts: float) -> None:
        code = reply_code(line)
        text = line.decode("utf-8", "surrogateescape")
        if self.pending_reply:
            if code == self.pending_reply and line[3:4] == b" ":
                self.pending_reply = 0
                cont, msg = False, text[3:].lstrip(" \t")
            else:
                cont, code, msg = True, 0, text
        elif code and line[3:4] == b"-":
            self.pending_reply = code
            cont, msg = True, text[4:].lstrip(" \t")
        else:
            if not code:
                if not self.confirmed:
                    self.ctx.violation("FTP reply without a code")
                    self.stopped = True
                    return
                msg = text
            else:
                msg = text[3:].lstrip(" \t")
            cont = False
        self._reply(code, msg, cont, ts)

    def _reply(self, code: int, msg: str, cont: bool, ts: float) -> None:
        """Zeek's ftp_reply handler."""
        self._session(ts)
        if code:
            self._confirm()
        if cont and code == 0 and self.reply_code is not None:
            if not _LOOKS_LIKE_REPLY.match(msg):
                return
        if not self.pending:
            return
        self.cmdarg = self._best_pending(code, msg)
        self.reply_code = code
        self.reply_msg = msg
        if cont:
            return
        cmd = self.cmdarg.cmd
        if (code == 150 and cmd == "RETR") or (code == 213 and cmd == "SIZE"):
            self.file_size = extract_count_last(msg)
        elif code in (227, 229) and cmd in ("PASV", "EPSV"):
            try:
                ep = parse_ftp_pasv(msg) if code == 227 else parse_ftp_epsv(msg)
            except ParseError:
                ep = None
            if ep is not None:
                host = self.ctx.resp_h if code == 229 and ep.host == "::" else ep.host
                self._expect(True, self.ctx.orig_h, host, ep.port, ts)
        if (cmd, code) in C.DIRECTORY_COMMANDS and not self.cmdarg.cwd_consumed:
            self.cmdarg.cwd_consumed = True
            if cmd == "CWD":
                self.cwd = compress_path(build_path(self.cwd, self.cmdarg.arg))
            elif cmd == "CDUP":
                self.cwd = compress_path(build_path(self.cwd, "/.."))
            else:
                self.cwd = extract_path(msg)
        if len(self.pending) > 1:
            self.pending.pop(self.cmdarg.seq, None)
            self._message()

    def _best_pending(self, code: int, msg: str) -> _Cmd:
        """Zeek's get_pending_cmd scoring."""
        best, best_score = None, -1
        for seq in sorted(self.pending):
            ca = self.pending[seq]
            score = 0
            if code == 500 or (ca.cmd, code) in C.CMD_REPLY_CODES:
                score += 100
            if ca.cmd in msg:
                score += 20
            if ca.arg in msg:
                score += 10
            if score > best_score:
                best, best_score = ca, score
        return best
