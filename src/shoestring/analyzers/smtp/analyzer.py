"""smtp.log: one record per mail transaction, as Zeek's SMTP analyzer and smtp/main.zeek.

Theory of operation:
- Both sides are line based. Client lines are commands, except while a message is
  being sent (DATA: until a line "."; BDAT: a byte count) and during AUTH exchanges.
- Replies pair with commands in order (pipelining: commands may run ahead of their
  replies), starting with the greeting that answers the connection itself.
- As in Zeek, data mode starts when the client sends DATA, not at the 354 reply (one
  sided captures still show the message); a refusing reply ends it again.
- The top-level header block of each message fills date, from, to, cc, subject, ...;
  "Received:" headers build the path. Only the top-level headers: an attached message
  has its own From/To that must not overwrite the envelope's.
- A record is written when the server acknowledges the end of a message, when the next
  MAIL FROM starts a new transaction before that acknowledgement was seen, and when
  the connection ends with client activity not yet logged.
- STARTTLS accepted with 220: tls=T and parsing stops (what follows is TLS).
- Credentials sent during AUTH are never logged; nothing here keeps them.

Files (fuids): each MIME leaf body (mime.py) is a file of the files package
(files.log, source SMTP); its fuid is listed in the transaction's fuids.
"""

from __future__ import annotations

from collections import deque

from ..base import Analyzer, ConnContext
from ..files import emit_file, new_file
from . import consts as C
from .mime import MimeMessage
from .parse import (
    ParseError, extract_first_email_addr, extract_ip_addresses,
    find_address_in_smtp_header, next_line, parse_command, parse_reply, rcpt_addresses,
    split_mime_email_addresses)


# States (a subset of Zeek's SMTP_* states that decide how client lines are read).
_COMMANDS, _DATA, _BDAT, _AUTH, _AFTER_GAP, _TLS, _STOPPED = range(7)

# Message body runs handed to MIME in one piece: at most this much (bounded copies),
# and only when worth it (short runs go line by line).
_BLOCK = 256 * 1024
_MIN_BLOCK = 512


class _MailFile:
    """A MIME leaf body as a file (files.log source SMTP); its fuid joins smtp.log."""

    __slots__ = ("owner", "file")

    def __init__(self, owner: "SmtpAnalyzer", depth: int, filename: str | None):
        self.owner = owner
        self.file = new_file(owner.ctx, "SMTP", True, owner.now, depth=depth,
                             filename=filename)
        fuids = owner.rec["fuids"]
        if len(fuids) < C.MAX_FILES_PER_MESSAGE:
            fuids.append(self.file.fuid)

    def data(self, data: bytes) -> None:
        self.file.data(data, self.owner.now)

    def end(self) -> None:
        emit_file(self.owner.ctx, self.file)


class _Line:
    """One direction's line buffer with the MAX_LINE limit."""

    __slots__ = ("buf", "skipping")

    def __init__(self):
        self.buf = bytearray()
        self.skipping = False      # inside an over-long line: drop until its end


class SmtpAnalyzer(Analyzer):
    service = "smtp"

    def __init__(self, ctx: ConnContext):
        super().__init__(ctx)
        self.lines = {True: _Line(), False: _Line()}
        self.state = _COMMANDS
        # Commands awaiting replies; the greeting answers the connection itself.
        self.pending: deque[str] = deque([C.CONN_ESTABLISHMENT])
        self.last_replied: str | None = None
        self.pending_reply = 0
        self.confirmed = False
        # Zeek's SMTP::State.
        self.helo: str | None = None
        self.messages_transferred = 0
        self.mail_from_seen = False
        self.rcpt_to_seen = False
        self.invalid_transactions = 0
        self.bdat_last_observed = False
        self.bdat_remaining = 0
        self.mime: MimeMessage | None = None
        self.bdat_active = False
        self.bdat_partial = b""
        self.now = 0.0
        self.rec = self._new_record(None)

    # -- records ---------------------------------------------------------------------

    def _new_record(self, ts: float | None) -> dict:
        ctx = self.ctx
        rec = {"ts": ts, **ctx.id_fields(), "trans_depth": self.messages_transferred + 1,
               "helo": self.helo, "mailfrom": None, "rcptto": None, "date": None,
               "from": None, "to": None, "cc": None, "reply_to": None, "msg_id": None,
               "in_reply_to": None, "subject": None, "x_originating_ip": None,
               "first_received": None, "second_received": None, "last_reply": None,
               "path": [ctx.resp_h, ctx.orig_h], "user_agent": None, "tls": False,
               "fuids": []}
        self.activity = False           # Zeek's has_client_activity
        self.process_received = True
        return rec

    def _touch(self, ts: float) -> None:
        if self.rec["ts"] is None:
            self.rec["ts"] = ts

    def _message_done(self, ts: float) -> None:
        """Zeek's smtp_message(): write the record if the client did something."""
        if self.activity:
            self.ctx.emit("smtp", self.rec)
            self.rec = self._new_record(ts)

    # -- feeding ---------------------------------------------------------------------

    def deliver(self, is_orig: bool, data: bytes, ts: float) -> None:
        try:
            self._deliver(is_orig, data, ts)
        except Exception as exc:  # noqa: BLE001 - analyzers never raise
            self.ctx.weird("smtp_analyzer_error", repr(exc)[:200], ts)
            self.state = _STOPPED

    def gap(self, is_orig: bool, length: int, ts: float) -> None:
        if self.state in (_TLS, _STOPPED):
            return
        # Zeek: a gap loses sync; client lines are ignored until the server replies.
        if self.state in (_DATA, _BDAT):
            self._end_data(ts)
        self.pending.clear()
        self.state = _AFTER_GAP
        self.lines[is_orig] = _Line()

    def finish(self, ts: float) -> None:
        try:
            if self.state in (_DATA, _BDAT):
                self._end_data(ts)
            self._message_done(ts)
        except Exception as exc:  # noqa: BLE001
            self.ctx.weird("smtp_analyzer_error", repr(exc)[:200], ts)

    def _deliver(self, is_orig: bool, data: bytes, ts: float) -> None:
        if self.state in (_TLS, _STOPPED):
            return
        self.now = ts
        side = self.lines[is_orig]
        side.buf += data
        buf = side.buf
        pos = 0
        while self.state not in (_TLS, _STOPPED):
            if is_orig and self.state == _BDAT:
                take = min(self.bdat_remaining, len(buf) - pos)
                self._bdat_bytes(bytes(buf[pos:pos + take]), ts)
                pos += take
                self.bdat_remaining -= take
                if self.bdat_remaining:
                    break
                self.state = _COMMANDS
                continue
            if is_orig and self.state == _DATA and not side.skipping:
                nxt = self._data_block(buf, pos)
                if nxt > pos:
                    pos = nxt
                    continue
            line, nxt = next_line(buf, pos)
            if line is None:
                if len(buf) - pos > C.MAX_LINE:
                    self.ctx.weird(C.WEIRD_LINE_TOO_LONG, str(len(buf) - pos), ts)
                    side.skipping = True
                    pos = len(buf)
                break
            pos = nxt
            if side.skipping:               # the tail of an over-long line
                side.skipping = False
                continue
            if is_orig:
                self._client_line(bytes(line), ts)
            else:
                self._server_line(bytes(line), ts)
        if self.state in (_TLS, _STOPPED):
            side.buf = bytearray()
        else:
            del buf[:pos]

    # -- client side -----------------------------------------------------------------

    def _client_line(self, line: bytes, ts: float) -> None:
        state = self.state
        if state == _AFTER_GAP:
            return
        if state == _DATA:
            if line == b".":
                self._end_of_data(ts)
            else:
                self.mime.line(line[1:] if line[:1] == b"." else line)  # RFC 5321 4.5.2
            return
        if state == _AUTH:
            self._queue(C.AUTH_ANSWER, ts)
            return
        command, arg = parse_command(line)
        if command not in C.KNOWN_COMMANDS:
            return                          # Zeek: "unknown command", no event
        self._queue(command, ts)
        self._request(command, arg, ts)

    def _queue(self, command: str, ts: float) -> None:
        if len(self.pending) >= C.MAX_PENDING_COMMANDS:
            self.pending.popleft()
            self.ctx.weird("smtp_too_many_pending_commands", None, ts)
        self.pending.append(command)

    def _request(self, command: str, arg: str, ts: float) -> None:
        """Zeek's smtp_request handler plus the command side of UpdateState()."""
        if not self.confirmed:
            self.confirmed = True
            self.ctx.confirm("smtp")
        self._touch(ts)
        rec = self.rec
        if command in ("HELO", "EHLO"):
            self.helo = rec["helo"] = arg
        elif command == "RCPT" and arg[:3].upper() == "TO:":
            rcpt = rec["rcptto"] if rec["rcptto"] is not None else []
            for addr in rcpt_addresses(arg):
                if len(rcpt) >= C.MAX_RCPTTO:
                    self.ctx.weird(C.WEIRD_TOO_MANY_RCPTTO, None, ts)
                    break
                if addr not in rcpt:
                    rcpt.append(addr)
            rec["rcptto"] = rcpt
            self.activity = True
            self.rcpt_to_seen = True
            if not self.mail_from_seen:
                self._invalid("rcpt to missing mail from", ts)
        elif command == "MAIL" and arg[:5].upper() == "FROM:":
            self._message_done(ts)          # the previous one was never acknowledged
            rec = self.rec
            self._touch(ts)
            mailfrom = extract_first_email_addr(arg)
            if mailfrom:
                rec["mailfrom"] = mailfrom
            self.activity = True
            self.mail_from_seen = True
            self.rcpt_to_seen = False
        elif command in ("DATA", "BDAT"):
            if not self.rcpt_to_seen:
                self._invalid("data missing rcpt to", ts)
            if command == "DATA":
                self._begin_data(ts)
            else:
                self._begin_bdat(arg, ts)

    def _invalid(self, why: str, ts: float) -> None:
        self.ctx.weird(C.WEIRD_INVALID_TRANSACTION, why, ts)
        self.invalid_transactions += 1
        if self.invalid_transactions > C.MAX_INVALID_TRANSACTIONS:
            self.ctx.weird(C.WEIRD_EXCESSIVE_INVALID, str(self.invalid_transactions), ts)
            self.state = _STOPPED

    # -- message data ----------------------------------------------------------------

    def _data_block(self, buf: bytearray, pos: int) -> int:
        """Hand the MIME layer a run of complete body lines at once when none of them
        can be special (a "." line or dot-stuffing, a "--" boundary); returns the new
        position, or ``pos`` to go line by line."""
        if buf[pos:pos + 1] in (b".", b"-"):
            return pos
        end = buf.rfind(b"\n", pos, pos + _BLOCK) + 1
        if end <= pos:
            return pos
        for special in (b"\n.", b"\n-"):
            cut = buf.find(special, pos, end) + 1
            if cut > 0:
                end = cut
        if end - pos < _MIN_BLOCK or not self.mime.block(bytes(buf[pos:end])):
            return pos
        return end

    def _begin_data(self, ts: float) -> None:
        if self.mime is not None:
            self.ctx.weird(C.WEIRD_NESTED_MAIL, None, ts)
            self._end_data(ts)
        self.state = _DATA
        self.mime = MimeMessage(self._header, self._file_begin)

    def _file_begin(self, depth: int, filename: str | None) -> _MailFile:
        return _MailFile(self, depth, filename)

    def _begin_bdat(self, arg: str, ts: float) -> None:
        size, _, rest = arg.partition(" ")
        if not size.isdigit():
            self.ctx.weird(C.WEIRD_BAD_BDAT, arg[:100], ts)
            return
        if rest.strip().upper() == "LAST":
            self.mail_from_seen = self.rcpt_to_seen = False
            self.bdat_last_observed = True
        if not self.bdat_active:            # the first chunk starts a message
            self.bdat_active = True
            self.mime = MimeMessage(self._header, self._file_begin)
            self.bdat_partial = b""
        self.bdat_remaining = int(size)
        if self.bdat_remaining:
            self.state = _BDAT

    def _bdat_bytes(self, chunk: bytes, ts: float) -> None:
        """BDAT content is raw bytes (no dot-stuffing); cut into lines for MIME."""
        if self.mime is None:
            return
        data = self.bdat_partial + chunk
        pos = 0
        while True:
            line, nxt = next_line(data, pos)
            if line is None:
                break
            self.mime.line(line)
            pos = nxt
        self.bdat_partial = data[pos:][:C.MAX_LINE]

    def _end_data(self, ts: float) -> None:
        mime, self.mime = self.mime, None
        if mime is not None:
            self.now = ts
            mime.end()

    def _end_of_data(self, ts: float) -> None:
        self._end_data(ts)
        self.state = _COMMANDS
        self._queue(C.END_OF_DATA, ts)
        self.mail_from_seen = self.rcpt_to_seen = False

    def _header(self, name: str, value: str) -> None:
        """Zeek's mime_one_header handlers for the top-level entity."""
        rec = self.rec
        field = C.STRING_HEADERS.get(name)
        if field is not None:
            rec[field] = value
        elif name == "RECEIVED":
            if rec["first_received"] is not None:
                rec["second_received"] = rec["first_received"]
            rec["first_received"] = value
            self._received_path(value)
        elif name in ("TO", "CC"):
            key, limit = ("to", C.MAX_TO) if name == "TO" else ("cc", C.MAX_CC)
            addrs = rec[key] if rec[key] is not None else []
            for addr in split_mime_email_addresses(value):
                if len(addrs) >= limit:
                    self.ctx.weird(C.WEIRD_TOO_MANY_TO if key == "to" else C.WEIRD_TOO_MANY_CC)
                    break
                if addr not in addrs:
                    addrs.append(addr)
            rec[key] = addrs
        elif name == "X-ORIGINATING-IP":
            found = extract_ip_addresses(value)
            if found:
                rec["x_originating_ip"] = found[0]

    def _received_path(self, value: str) -> None:
        # Zeek's mail_path_capture default ALL_HOSTS never stops the path early.
        ip = find_address_in_smtp_header(value)
        if ip is None or not self.process_received:
            return
        path = self.rec["path"]
        if path[-1] != ip:
            if len(path) >= C.MAX_PATH:
                self.ctx.weird(C.WEIRD_PATH_TOO_LONG)
                return
            path.append(ip)

    # -- server side -----------------------------------------------------------------

    def _server_line(self, line: bytes, ts: float) -> None:
        try:
            reply = parse_reply(line)
        except ParseError as exc:
            if not self.confirmed:
                self.ctx.violation(str(exc))
                self.state = _STOPPED
            else:
                self.ctx.weird(C.WEIRD_REPLY_OUT_OF_RANGE, line[:50].decode("latin-1"), ts)
            return
        if self.pending_reply and reply.code != self.pending_reply:
            self.pending_reply = 0
        if not self.pending_reply:
            self._new_reply(reply.code, ts)
        self.pending_reply = reply.code if reply.continued else 0
        self._touch(ts)
        cmd = self.last_replied or C.UNKNOWN
        self.rec["last_reply"] = f"{reply.code} {reply.text}"
        if cmd == C.END_OF_DATA or (not reply.continued and cmd == "BDAT"
                                    and self.bdat_last_observed):
            self.messages_transferred += 1
            self.bdat_last_observed = False
            if self.bdat_active:
                self.bdat_active = False
                self._end_data(ts)
            self._message_done(ts)
            self.rec = self._new_record(ts)

    def _new_reply(self, code: int, ts: float) -> None:
        """Zeek's NewReply + the reply side of UpdateState()."""
        if self.state == _AFTER_GAP:
            self.state = _COMMANDS
        cmd = self.pending.popleft() if self.pending else None
        self.last_replied = cmd
        if cmd == "DATA" and code != 354 and self.state == _DATA:
            # Refused (Zeek ends data mode on any reply but 354).
            self._end_data(ts)
            self.state = _COMMANDS
        elif cmd == "AUTH" or cmd == C.AUTH_ANSWER:
            self.state = _AUTH if code == 334 else _COMMANDS
        elif cmd == "STARTTLS" and code == 220:
            self.rec["tls"] = True
            self.activity = True
            self.state = _TLS
