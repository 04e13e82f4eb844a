"""Per-connection DNS analyzer: frames messages, pairs queries with replies, emits dns.log.

Theory of operation (mirrors Zeek's DNS analyzer and base/protocols/dns/main.zeek, so
the records match Zeek's):
- UDP: each datagram is one message. TCP: each direction is a stream of messages behind
  a 2-byte length (RFC 1035 §4.2.2), split anywhere across deliver() calls.
- Each message becomes, in Zeek's event order, ``dns_message`` (find or create the
  transaction record: ``_set_session``), ``dns_request``/``dns_rejected`` per question,
  one ``do_reply`` per answer, then ``dns_end``, which writes the record once both the
  query and the reply have been seen. Queries wait in Zeek's pending tables keyed by
  transaction id; whatever is still unpaired is written by ``finish`` (Zeek's removal
  hook; the 10 s DNS inactivity timeout is the connection table's business).
- Multicast (mDNS to 224.0.0.251/ff02::fb): every message is a record of its own.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Final

from ..base import Analyzer
from . import consts as C
from .parse import ANSWER, AUTHORITY, DNSParseError, parse_message
from .rdata import lower_text

#: Zeek's DNS::max_pending_msgs: give up pairing one transaction id after this many
#: unmatched messages (a broken resolver or an AXFR), so memory stays bounded.
MAX_PENDING_MSGS = 50
#: Zeek's DNS::max_pending_query_ids: likewise across distinct transaction ids.
MAX_PENDING_QUERY_IDS = 50
#: RFC 1035 §4.2.2 frames TCP messages with a 16-bit length: a partial message never
#: holds more than this many bytes, so per-direction buffering is bounded by it.
TCP_LENGTH_PREFIX = 2
#: mDNS (RFC 6762) and LLMNR (RFC 4795) ports, analysed only towards multicast groups.
UNICAST_IGNORED_PORTS = frozenset({5353, 5355})


class _Session:
    """One transaction's dns.log record under construction (Zeek's DNS::Info)."""

    __slots__ = ("rec", "saw_query", "saw_reply")

    def __init__(self, rec: dict[str, Any]):
        self.rec = rec
        self.saw_query = False
        self.saw_reply = False


def _is_multicast(addr: str) -> bool:
    if ":" in addr:
        return addr.lower().startswith("ff")
    if not addr.startswith("2"):        # 224-239 all start so: most servers do not
        return False
    head = addr.split(".", 1)[0]
    return head.isdigit() and 224 <= int(head) <= 239


def decode_netbios_name(name: str) -> str:
    """NetBIOS first-level decoding (RFC 1001 §14.1), as Zeek's decode_netbios_name:
    32 letters -> up to 15 characters, stopping at the first padding/odd byte."""
    if len(name) != 32:
        return ""
    raw = name.upper().encode("latin-1", "replace")
    out = []
    for i in range(0, 30, 2):
        b = (((raw[i] - 65) << 4) + (raw[i + 1] - 65)) & 0xFF
        if b < 3 or b >= 0x80 or (0x21 <= b <= 0x7E):   # isalnum/ispunct, or passed through
            out.append(b)
        else:
            break
    return bytes(out).decode("latin-1")


# Name tables bound once as compiled constants: consts.py is interpreted, so reading
# C.X costs a module attribute lookup each time.
_LOGGED_OPCODES: Final = C.LOGGED_OPCODES
_QTYPE_NAMES: Final[dict[int, str]] = C.QUERY_TYPES
_CLASS_NAMES: Final[dict[int, str]] = C.CLASSES
_RCODE_NAMES: Final[dict[int, str]] = C.RCODES
_OPCODES: Final[dict[int, str]] = C.OPCODES
_OP_UPDATE: Final[int] = C.OP_UPDATE


class DnsAnalyzer(Analyzer):
    """dns.log for one connection (UDP or TCP; DNS, mDNS, LLMNR, NetBIOS-NS)."""

    service = "dns"

    # Per-connection state starts as these class attributes, so that creating an
    # analyzer (once per DNS connection: most carry one query and its reply) allocates
    # only what every connection uses; an instance attribute shadows its default once
    # it is needed (the pending tables, TCP's stream buffers).
    _udp = True
    _netbios = False
    _nb_query = False
    _multicast = False
    _stopped = False
    _confirmed = False
    _opcode_names: dict[int, str] = _OPCODES
    _current: _Session | None = None          # Zeek's c$dns
    _pending_query: _Session | None = None
    _pending_queries: dict[int, deque] | None = None
    _pending_replies: dict[int, deque] | None = None
    _stream: dict[bool, bytearray] | None = None      # TCP only
    _stream_dead: dict[bool, bool] | None = None

    def __init__(self, ctx):
        self.ctx = ctx
        # The records' id fields, fetched now: this draws the connection's uid, and
        # uids are numbered in order of first use, so fetching them later would change
        # the uids of this and later connections in every log.
        ids = self._ids = ctx.id_fields()
        resp_p = ids["id.resp_p"]
        proto = self._proto = ctx.proto
        multicast = _is_multicast(ids["id.resp_h"])
        if multicast:
            self._multicast = True
        self._seen = []             # parse_message's memory of the last question
        if proto != "tcp":
            if resp_p == 137 or ids["id.orig_p"] == 137:
                self._netbios = True
                self._opcode_names = C.NETBIOS_OPCODES
                self._nb_query = resp_p == 137
            # mDNS and LLMNR are DNS only towards their multicast groups: Zeek 9 leaves
            # unicast traffic to 5353/5355 alone (no dns.log, no weirds).
            if resp_p in UNICAST_IGNORED_PORTS and not multicast:
                self._stopped = True
        else:
            self._udp = False

    # --- the contract -----------------------------------------------------------------

    def deliver(self, is_orig: bool, data: bytes, ts: float) -> None:
        if self._stopped:
            return
        try:
            if self._udp:
                self._message(data if data.__class__ is bytes else bytes(data), ts)
            else:
                self._tcp_data(is_orig, data, ts)
        except Exception as e:          # never raise out: count it and keep the sensor going
            self.ctx.weird("DNS_analyzer_error", type(e).__name__, ts)

    def gap(self, is_orig: bool, length: int, ts: float) -> None:
        # Message boundaries are lost with the missing bytes: stop this direction rather
        # than parse garbage as DNS.
        if not self._udp:
            stream, dead = self._tcp_streams()
            dead[is_orig] = True
            stream[is_orig].clear()

    def finish(self, ts: float) -> None:
        try:
            if self._stream is not None and not self._stopped:
                stream, dead = self._tcp_streams()
                for is_orig in (True, False):
                    buf = stream[is_orig]
                    if len(buf) > TCP_LENGTH_PREFIX and not dead[is_orig]:
                        self._message(bytes(buf[TCP_LENGTH_PREFIX:]), ts)   # Zeek's Flush()
                    buf.clear()
            self._flush_pending()
        except Exception as e:
            self.ctx.weird("DNS_analyzer_error", type(e).__name__, ts)

    # --- framing ----------------------------------------------------------------------

    def _tcp_streams(self) -> tuple[dict[bool, bytearray], dict[bool, bool]]:
        stream, dead = self._stream, self._stream_dead
        if stream is None or dead is None:
            stream = self._stream = {True: bytearray(), False: bytearray()}
            dead = self._stream_dead = {True: False, False: False}
        return stream, dead

    def _tcp_data(self, is_orig: bool, data: bytes, ts: float) -> None:
        stream, dead = self._tcp_streams()
        if dead[is_orig]:
            return
        buf = stream[is_orig]
        buf += data
        pos = 0
        have = len(buf)
        while have - pos >= TCP_LENGTH_PREFIX:
            size = (buf[pos] << 8) | buf[pos + 1]
            if have - pos - TCP_LENGTH_PREFIX < size:
                break
            start = pos + TCP_LENGTH_PREFIX
            pos = start + size
            self._message(bytes(buf[start:pos]), ts)
            if self._stopped:
                return
        if pos:
            del buf[:pos]

    # --- one message, in Zeek's event order -------------------------------------------

    def _message(self, msg: bytes, ts: float) -> None:
        # Zeek's events for one message, inlined into one function: dns_message
        # (_set_session), dns_request per question, do_reply per answer, dns_end. A call
        # per event cost more than the work of most of them.
        ctx = self.ctx
        try:
            hdr, questions, rrs, weirds, error, confirmed = parse_message(
                msg, netbios=self._netbios, udp=self._udp, seen=self._seen)
        except DNSParseError as e:       # shorter than a header: no event at all
            ctx.weird(e.weird or "DNS_truncated_len_lt_hdr_len", e.addl, ts)
            return
        flags: int = hdr[1]
        qr = flags >> 15
        opcode = (flags >> 11) & 0xF
        cur: _Session | None
        if opcode in _LOGGED_OPCODES:
            cur = self._set_session(hdr, qr, opcode, ts)
            rec = cur.rec
            if not qr:
                for name, qtype, qclass in questions:            # dns_request
                    rec["RD"] = bool(flags & 0x0100)
                    rec["TC"] = bool(flags & 0x0200)
                    rec["Z"] = (flags >> 4) & 0x7
                    rec["qclass"] = qclass
                    cname = _CLASS_NAMES.get(qclass)
                    rec["qclass_name"] = cname if cname is not None else C.class_name(qclass)
                    rec["qtype"] = qtype
                    tname = _QTYPE_NAMES.get(qtype)
                    rec["qtype_name"] = tname if tname is not None else C.qtype_name(qtype)
                    query = name.lower().decode("utf-8", "surrogateescape")
                    if self._nb_query:
                        decoded = decode_netbios_name(query)
                        if decoded:
                            query = decoded
                        if qtype == C.NBSTAT:
                            rec["qtype_name"] = "NBSTAT"
                    rec["query"] = query
            else:
                if questions and hdr[3] == 0 and hdr[4] == 0 and hdr[5] == 0 \
                        and (opcode != _OP_UPDATE or self._netbios):
                    rec["rejected"] = True   # dns_rejected (an update's zone is no question)
                if rrs:
                    if opcode == _OP_UPDATE and not self._netbios:
                        rrs = _update_replies(rrs)
                    self._replies(rec, flags, rrs, ts)
        else:
            cur = self._current
            if cur is not None and qr and questions and hdr[3] == 0 and hdr[4] == 0 \
                    and hdr[5] == 0 and (opcode != _OP_UPDATE or self._netbios):
                cur.rec["rejected"] = True
            if not self._netbios:
                ctx.weird("DNS_unknown_opcode", str(opcode), ts)
        if weirds:
            for wname, addl in weirds:
                ctx.weird(wname, addl, ts)
        if error is not None and error.weird is not None:
            ctx.weird(error.weird, error.addl, ts)
        if confirmed and not self._confirmed:
            self._confirmed = True
            ctx.confirm()
        if cur is not None:                                      # dns_end
            if qr:
                cur.saw_reply = True
            else:
                cur.saw_query = True
            if cur.saw_query and cur.saw_reply:
                ctx.emit("dns", cur.rec)
                self._current = None
        if error is not None and error.weird == "DNS_Conn_count_too_large":
            # Not DNS after all. The pipeline detaches us, so write what was already
            # seen now rather than trust that finish() still comes.
            self._stopped = True
            self._flush_pending()
            ctx.violation("DNS_Conn_count_too_large")

    @staticmethod
    def _replies(rec: dict[str, Any], flags: int, rrs: list[tuple], ts: float) -> None:
        # Zeek's DNS::do_reply, once per answer that has a text.
        answered = False
        for section, owner, _rtype, _rclass, ttl, reply in rrs:
            if reply is None or section != ANSWER:
                continue
            answered = True
            if rec["query"] is None:
                rec["query"] = lower_text(owner)
            if rec["rtt"] is None:
                rtt = ts - rec["ts"]
                rec["rtt"] = rtt if rtt != 0 else None
            if reply:
                answers = rec["answers"]
                if answers is None:
                    rec["answers"] = [reply]
                    rec["TTLs"] = [float(ttl)]
                else:
                    answers.append(reply)
                    rec["TTLs"].append(float(ttl))
        if answered:
            # do_reply sets these from the one header of the message: once is enough.
            rec["AA"] = bool(flags & 0x0400)
            rec["RA"] = bool(flags & 0x0080)

    # --- pairing (main.zeek's set_session hook) ----------------------------------------

    def _new_session(self, trans_id: int, ts: float) -> _Session:
        # A copy of one blank record shared by all connections, then this one's own
        # fields: a dict copy keeps the blank's layout, where building the record as a
        # display with **ids cost three times as much.
        rec = _BLANK_RECORD.copy()
        rec.update(self._ids)
        rec["ts"] = ts
        rec["proto"] = self._proto
        rec["trans_id"] = trans_id
        return _Session(rec)

    def _set_session(self, hdr: tuple[int, ...], qr: int, opcode: int, ts: float) -> _Session:
        trans_id = hdr[0]
        if self._multicast:
            cur = self._new_session(trans_id, ts)
            cur.saw_query = cur.saw_reply = True
        elif not qr:
            replies = self._pending_replies
            if replies and replies.get(trans_id):
                cur = _pop(replies, trans_id)
            else:
                cur = self._new_session(trans_id, ts)
                if self._pending_query is None:
                    self._pending_query = cur
                else:
                    self._enqueue("_pending_queries", trans_id, cur)
        else:
            pq = self._pending_query
            queries = self._pending_queries
            if pq is not None and pq.rec["trans_id"] == trans_id:
                cur = pq
                self._pending_query = None
                if queries:
                    if queries.get(trans_id):
                        self._pending_query = _pop(queries, trans_id)
                    else:
                        for tid, q in queries.items():
                            if q:
                                self._pending_query = _pop(queries, tid)
                                break
            elif queries and queries.get(trans_id):
                cur = _pop(queries, trans_id)
            else:
                cur = self._new_session(trans_id, ts)
                self._enqueue("_pending_replies", trans_id, cur)
        self._current = cur
        rec = cur.rec
        if qr:
            rcode = hdr[1] & 0xF
            rec["rcode"] = rcode
            name = _RCODE_NAMES.get(rcode)
            rec["rcode_name"] = name if name is not None else C.rcode_name(rcode)
            if rcode != 0 and hdr[2] == 0:
                rec["rejected"] = True
        rec["opcode"] = opcode
        name = self._opcode_names.get(opcode)
        rec["opcode_name"] = name if name is not None else C.opcode_name(opcode,
                                                                           self._netbios)
        return cur

    def _enqueue(self, which: str, trans_id: int, session: _Session) -> None:
        table = getattr(self, which)
        if table is None:
            table = {}
            setattr(self, which, table)
        queue = table.get(trans_id)
        if queue is None:
            if len(table) > MAX_PENDING_QUERY_IDS:
                self._log_all(table)
            table[trans_id] = deque((session,))
            return
        if len(queue) > MAX_PENDING_MSGS:
            for s in queue:
                self.ctx.emit("dns", s.rec)
            queue.clear()
        queue.append(session)

    def _log_all(self, table: dict | None) -> None:
        if not table:
            return
        for queue in table.values():
            for s in queue:
                self.ctx.emit("dns", s.rec)
        table.clear()

    def _flush_pending(self) -> None:
        if self._pending_query is not None:
            self.ctx.emit("dns", self._pending_query.rec)
            self._pending_query = None
        self._log_all(self._pending_queries)
        self._log_all(self._pending_replies)


#: Every dns.log record starts as a copy of this, in Zeek's field order.
_BLANK_RECORD: dict[str, Any] = {
    "ts": None, "uid": None, "id.orig_h": None, "id.orig_p": None, "id.resp_h": None,
    "id.resp_p": None, "proto": None, "trans_id": None, "rtt": None, "query": None,
    "qclass": None, "qclass_name": None, "qtype": None, "qtype_name": None, "rcode": None,
    "rcode_name": None, "AA": False, "TC": False, "RD": False, "RA": False, "Z": 0,
    "answers": None, "TTLs": None, "rejected": False, "opcode": None, "opcode_name": None}



def _update_replies(rrs: list[tuple]) -> list[tuple]:
    """A dynamic update's prerequisites (answer section) and updates (authority
    section) as the texts main.zeek's dns_dynamic_update_* handlers log, each labelled
    an answer: that is how do_reply sees them."""
    out: list[tuple] = []
    for section, owner, rtype, rclass, ttl, reply in rrs:
        if section == ANSWER:
            reply = _prerequisite_text(owner, rtype, rclass)
        elif section == AUTHORITY:
            reply = _update_text(owner, rtype, rclass, reply)
        else:
            continue
        out.append((ANSWER, owner, rtype, rclass, ttl, reply))
    return out


def _pop(table: dict, trans_id: int) -> _Session:
    queue = table[trans_id]
    session = queue.popleft()
    if not queue:
        del table[trans_id]
    return session


def _prerequisite_text(owner: bytes, rtype: int, rclass: int) -> str:
    """RFC 2136 §2.4 prerequisites, worded as main.zeek's dns_dynamic_update_pre."""
    name = lower_text(owner)
    if rclass == C.CLASS_NONE and rtype == C.ANY:
        what = f"NameNotInUse {name}"
    elif rclass == C.CLASS_ANY and rtype == C.ANY:
        what = f"NameInUse {name}"
    elif rclass == C.CLASS_NONE:
        what = f"NoRRSet {C.qtype_name(rtype)} {name}"
    else:
        what = f"RRSetExists {C.qtype_name(rtype)} {name}"
    return f"pre: {what}"


def _update_text(owner: bytes, rtype: int, rclass: int, reply: str | None) -> str | None:
    """RFC 2136 §2.5 updates, worded as main.zeek's dns_dynamic_update_del / do_reply."""
    name = lower_text(owner)
    if rclass == C.CLASS_ANY and rtype == C.ANY:
        return f"del: RRSet * {name}"
    if rclass == C.CLASS_NONE:
        return f"del: RR {C.qtype_name(rtype)} {name}"
    if rclass == C.CLASS_ANY:
        return f"del: RRSet {C.qtype_name(rtype)}"
    if reply is None or reply == "":
        return reply
    if rtype in (C.A, C.AAAA, C.A6):
        reply = f"{C.qtype_name(rtype)} {name} {reply}"
    return f"add: {reply}"
