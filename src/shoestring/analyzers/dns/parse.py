"""DNS wire format (RFC 1035 §4): header, names, questions and resource records, sans-IO.

Why not dnspython: its ``message.from_wire`` builds a full object graph per message and
manages about 15,000 messages/s on the project's 2-core box; the sensor needs at least
100,000/s on the per-message path, so this module walks the bytes with precompiled
``struct`` formats and renders each answer straight into the text Zeek's dns.log shows
(see ``rdata.py`` beside this module for the per-type renderers).

Every function is pure: ``parse_x(buf, offset, ...) -> (value, next_offset)`` over the
bytes of one whole DNS message (offsets are message-relative, as compression needs).
Malformed input raises :class:`DNSParseError`, whose ``weird`` is Zeek's weird name for
the anomaly (or None where Zeek stays silent); anomalies that Zeek notes but parses past
are appended to the caller's ``weirds`` list as ``(name, addl)``.
"""

from __future__ import annotations

import struct

from . import consts as C


class DNSParseError(Exception):
    """The message cannot be parsed further; ``weird`` is Zeek's name for why."""

    def __init__(self, weird: str | None, addl: str | None = None,
                 rr: str | tuple | None = None):
        super().__init__(weird or "DNS parse stopped")
        self.weird = weird
        self.addl = addl
        #: a record Zeek still reports although parsing stops right after it (TXT): its
        #: rdata text as rdata.py raises it, the whole record once parse_rr adds the rest
        self.rr = rr


# --- limits (each one bounds work an attacker can make us do) --------------------------

#: Zeek extracts names into a 513-byte buffer (512 usable); a label that would not fit
#: raises DNS_label_len_gt_name_len. This also bounds a "10,000-label name" to ~256 labels.
NAME_BUDGET = 512
#: RFC 1035 §2.3.4: names are at most 255 octets; longer ones are still parsed (Zeek
#: only notes DNS_NAME_too_long), up to NAME_BUDGET.
MAX_NAME_OCTETS = 255
#: RFC 1035 §2.3.4: labels are at most 63 octets (NetBIOS name service uses longer ones).
MAX_LABEL = 63
MAX_LABEL_NETBIOS = 191      # 0xC0 and above are compression pointers
#: Zeek's dns_max_compression_chain_depth: pointers to pointers to ... are followed this
#: deep and no deeper. Pointers must also point strictly backwards, so no loop is possible;
#: the limit bounds the work a staircase of descending pointers can cause.
MAX_POINTER_HOPS = 20
#: Zeek's dns_max_queries: a "DNS" message asking more questions is not DNS.
MAX_QUESTIONS = 25
#: Parsed queries remembered across connections (see parse_message): clients ask the
#: same few names over and over. Cleared when full, so hostile traffic of ever-new
#: names costs one dict of this many entries at most...
MAX_CACHED_QUERIES = 4096
#: ... each at most this long (the classic UDP message limit; real queries are ~40
#: bytes), so the cache holds at most 2 MiB of keys.
MAX_CACHED_QUERY_LEN = 512

# --- wire formats ----------------------------------------------------------------------

HEADER = struct.Struct("!6H")          # RFC 1035 §4.1.1: id, flags, qd/an/ns/ar counts
HEADER_LEN = HEADER.size
QUESTION_TAIL = struct.Struct("!2H")   # RFC 1035 §4.1.2: qtype, qclass
RR_HEAD = struct.Struct("!2HIH")       # RFC 1035 §4.1.3: type, class, ttl, rdlength
_unpack_header = HEADER.unpack_from
_unpack_qtail = QUESTION_TAIL.unpack_from
_unpack_rr = RR_HEAD.unpack_from

# A compression pointer to offset 12, where the first question's name starts.
_POINTER_TO_QUESTION = b"\xc0\x0c"

# Section numbers in a parsed RR tuple.
ANSWER, AUTHORITY, ADDITIONAL = 1, 2, 3


def parse_header(buf: bytes, offset: int = 0) -> tuple[tuple[int, ...], int]:
    """-> ((id, flags, qdcount, ancount, nscount, arcount), offset after the header)."""
    if len(buf) - offset < HEADER_LEN:
        raise DNSParseError("DNS_truncated_len_lt_hdr_len")
    return _unpack_header(buf, offset), offset + HEADER_LEN


def parse_name(buf: bytes, offset: int, weirds: list | None = None,
               max_label: int = MAX_LABEL) -> tuple[bytes, int]:
    """A possibly compressed name (RFC 1035 §4.1.4) -> (labels joined by '.', next offset).

    The root name is b"". Labels keep their raw bytes (a label may hold a '.').
    A pointer must point before itself and the name it points to must end before the
    pointer (what Zeek enforces), which rules out loops."""
    end = len(buf)            # where the bytes currently being read must stop
    pos = offset
    resume = -1               # offset after the first pointer: where the caller resumes
    room = NAME_BUDGET        # Zeek's remaining name buffer: each label costs len + 1
    hops = 0
    labels: list[bytes] = []
    append = labels.append
    while True:
        if pos >= end:            # no room left for the next label's length byte
            raise DNSParseError("dns_invalid_name")
        n = buf[pos]
        if 0 < n <= max_label:            # the common case first: an ordinary label
            pos += 1
            stop = pos + n
            if stop > end:
                raise DNSParseError("DNS_label_len_gt_pkt")
            room -= n + 1
            if room < 0:
                raise DNSParseError("DNS_label_len_gt_name_len")
            append(buf[pos:stop])
            pos = stop
            continue
        if n == 0:
            pos += 1
            break
        if n < 0xC0:
            raise DNSParseError("DNS_label_too_long")
        if pos + 1 >= end:        # a pointer cut in half
            raise DNSParseError("dns_invalid_name")
        target = ((n & 0x3F) << 8) | buf[pos + 1]
        if resume < 0:
            resume = pos + 2
        if target >= pos:
            raise DNSParseError("DNS_label_forward_compress_offset")
        hops += 1
        if hops > MAX_POINTER_HOPS:
            raise DNSParseError("DNS_compression_chain_depth_exceeded", str(MAX_POINTER_HOPS))
        end = pos
        pos = target
    if room <= NAME_BUDGET - MAX_NAME_OCTETS and weirds is not None:
        weirds.append(("DNS_NAME_too_long", None))
    return b".".join(labels), (resume if resume >= 0 else pos)


def parse_question(buf: bytes, offset: int, weirds: list | None = None,
                   max_label: int = MAX_LABEL) -> tuple[tuple[bytes, int, int], int]:
    """-> ((qname, qtype, qclass), next offset)."""
    name, pos = parse_name(buf, offset, weirds, max_label)
    if len(buf) - pos < 4:
        raise DNSParseError("DNS_truncated_quest_too_short")
    qtype, qclass = _unpack_qtail(buf, pos)
    return (name, qtype, qclass), pos + 4


def parse_rr(buf: bytes, offset: int, section: int, weirds: list, netbios: bool = False,
             udp: bool = True, update: bool = False, qname: bytes | None = None
             ) -> tuple[tuple, int]:
    """One resource record -> ((section, owner, type, class, ttl, reply), next offset).

    ``reply`` is the text Zeek's dns.log shows for it: a str (possibly "" where Zeek
    reports the answer without text, as for WKS), or None where Zeek's dns.log ignores
    the type (CAA, HINFO, SVCB, OPT, ...). In a dynamic update (``update``), the
    prerequisite RRs and the deletions carry no rdata to render: reply is None."""
    if qname is not None and buf.startswith(_POINTER_TO_QUESTION, offset):
        # The usual owner, a pointer to the first question's name: ``qname`` is what
        # parse_name would return (see parse_message), without walking its labels again.
        owner, pos = qname, offset + 2
    else:
        owner, pos = parse_name(buf, offset, weirds,
                                MAX_LABEL_NETBIOS if netbios else MAX_LABEL)
    size = len(buf)
    if size - pos < 10:
        raise DNSParseError("DNS_truncated_ans_too_short")
    rtype, rclass, ttl, rdlen = _unpack_rr(buf, pos)
    pos += 10
    rd_end = pos + rdlen
    if rd_end > size:
        raise DNSParseError("DNS_truncated_RR_rdlength_lt_len")
    if update and (section == ANSWER or (section == AUTHORITY and rclass >= C.CLASS_NONE)):
        return (section, owner, rtype, rclass, ttl, None), rd_end
    if rdlen == 0 and rd_end < size:
        raise DNSParseError("DNS_zero_rdlength")
    render = _renderers_get(rtype)
    if render is None:
        reply = _render_unknown(rtype, weirds)
    elif rtype == C.SRV and netbios:
        reply = None       # NBSTAT: Zeek does not parse node status answers
    else:
        try:
            reply = render(buf, pos, rdlen, owner, weirds, udp)
        except DNSParseError as e:
            if e.rr is not None:
                e.rr = (section, owner, rtype, rclass, ttl, e.rr)
            raise
    return (section, owner, rtype, rclass, ttl, reply), rd_end


def parse_message(buf: bytes, *, netbios: bool = False, udp: bool = True,
                  all_sections: bool = False, reuse_owner: bool = True,
                  seen: list | None = None
                  ) -> tuple[tuple, list, list, list, DNSParseError | None, bool]:
    """A whole message -> (header, questions, rrs, weirds, error, confirmed).

    Parsing stops at the first malformed part, keeping what came before (``error`` is
    the DNSParseError, else None). ``confirmed`` is Zeek's test for "this is DNS": the
    questions and answers parsed. By default the authority and additional sections are
    skipped, as Zeek skips them unless dns_skip_all_auth/addl are turned off; dynamic
    updates (opcode 5) are parsed whole, since their updates sit in the authority
    section.

    Two shortcuts give the same result with less work: answers' owner names that point
    at the first question's name reuse it (``reuse_owner=False`` turns that off, for
    tests to compare), and ``seen``, a list the caller keeps for one connection (empty
    at first), remembers the last lone question written out whole, so that the reply
    repeating it is not parsed again.

    The result's type is spelled out (a fixed-length tuple) so that compiled callers
    take it apart without a tuple object being built per message."""
    size = len(buf)
    if size < HEADER_LEN:
        raise DNSParseError("DNS_truncated_len_lt_hdr_len")
    key = None
    if size <= MAX_CACHED_QUERY_LEN and not buf[2] & 0x80 and not netbios \
            and not all_sections:
        # A query parsed before but for its transaction id (see _remember_query).
        key = buf[2:]
        hit = _cached_queries_get(key)
        if hit is not None:
            rest, question, wire = hit
            if seen is not None:
                seen[:] = (wire, question, MAX_LABEL)
            return ((buf[0] << 8) | buf[1], *rest), [question], [], [], None, True
    weirds: list = []
    questions: list = []
    rrs: list = []
    hdr = _unpack_header(buf, 0)
    qdcount = hdr[2]
    if qdcount > MAX_QUESTIONS:
        return hdr, questions, rrs, weirds, DNSParseError("DNS_Conn_count_too_large"), False
    update = ((hdr[1] >> 11) & 0xF) == C.OP_UPDATE and not netbios
    max_label = MAX_LABEL_NETBIOS if netbios else MAX_LABEL
    qname = None
    pos = HEADER_LEN
    try:
        if qdcount == 1 and seen and seen[2] == max_label \
                and buf.startswith(seen[0], HEADER_LEN):
            # A reply repeats its query's question byte for byte: the same bytes parse
            # the same way (the cached question was written out whole, so it reads
            # nothing outside them), and its name qualifies for reuse as below.
            question = seen[1]
            questions.append(question)
            pos = HEADER_LEN + len(seen[0])
            qname = question[0] if reuse_owner else None
        elif qdcount:
            for _ in range(qdcount):         # parse_question, inlined
                name, pos = parse_name(buf, pos, weirds, max_label)
                if len(buf) - pos < 4:
                    raise DNSParseError("DNS_truncated_quest_too_short")
                qtype, qclass = _unpack_qtail(buf, pos)
                pos += 4
                if not questions:
                    first_end = pos - 4
                questions.append((name, qtype, qclass))
            qname = questions[0][0]
            # Answers' owners usually point at the first question's name (offset 12).
            # Following that pointer gives back the same name when the name is written
            # out whole (no pointers of its own: its wire form is then its text plus the
            # first length byte and the final zero, a length no compressed name's wire
            # form can have) and drew no weird (a too-long name would draw it again).
            # Only such a lone question is remembered in ``seen``: a compressed one is
            # partly read from other bytes, which the reply need not repeat.
            if weirds or first_end - HEADER_LEN != len(qname) + (2 if qname else 1):
                qname = None
            else:
                if qdcount == 1:
                    wire = buf[HEADER_LEN:first_end + 4]
                    if seen is not None:
                        seen[:] = (wire, questions[0], max_label)
                    if key is not None and hdr[3] == 0 and (hdr[4] == 0 and hdr[5] == 0
                                                            or not update):
                        _remember_query(key, hdr, questions[0], wire)
                if not reuse_owner:
                    qname = None
        for _ in range(hdr[3]):
            rr, pos = parse_rr(buf, pos, ANSWER, weirds, netbios, udp, update, qname)
            rrs.append(rr)
    except DNSParseError as e:
        if e.rr is not None:
            rrs.append(e.rr)
        return hdr, questions, rrs, weirds, e, False
    if not (all_sections or update) or (hdr[4] == 0 and hdr[5] == 0):
        return hdr, questions, rrs, weirds, None, True
    try:
        for section, count in ((AUTHORITY, hdr[4]), (ADDITIONAL, hdr[5])):
            for _ in range(count):
                rr, pos = parse_rr(buf, pos, section, weirds, netbios, udp, update, qname)
                rrs.append(rr)
    except DNSParseError as e:
        if e.rr is not None:
            rrs.append(e.rr)
        return hdr, questions, rrs, weirds, e, True
    return hdr, questions, rrs, weirds, None, True


_cached_queries: dict[bytes, tuple] = {}
_cached_queries_get = _cached_queries.get


def _remember_query(key: bytes, hdr: tuple, question: tuple, wire: bytes) -> None:
    """Keep a query's parse for its next asking, keyed by all its bytes but the
    transaction id. Only a query whose parse reads nothing but its own header and its
    one question, written out whole (no pointers, so no name reads the id bytes), with
    no records to parse and nothing to note: its parse is then the same for any id."""
    if len(_cached_queries) >= MAX_CACHED_QUERIES:
        _cached_queries.clear()
    _cached_queries[key] = (hdr[1:], question, wire)


# Question classes a real query uses (mDNS sets the top bit for "unicast response").
_PLAUSIBLE_CLASSES = frozenset({1, 3, 4, 254, 255})


def looks_like_dns(payload: bytes, is_orig: bool) -> bool:
    """Cheap plausibility test for DNS on a non-standard port (dynamic detection).

    Accepts a bare message (UDP) or one behind TCP's 2-byte length prefix: the header
    must be sane and the first question must parse with a real type and class."""
    # _plausible wants a question count (bytes 4 and 5) of 1..4: a cheap first test.
    if len(payload) >= HEADER_LEN + 5 and payload[4] == 0 and 0 < payload[5] <= 4 \
            and _plausible(payload, is_orig):
        return True
    # Behind a length prefix, the question count (bytes 6 and 7) must be 1..4 for
    # _plausible to accept: test that before copying the message out. Most payloads
    # that get here are TLS and HTTP, which fail it.
    if len(payload) >= 2 + HEADER_LEN and payload[6] == 0 and 0 < payload[7] <= 4:
        size = (payload[0] << 8) | payload[1]
        if size >= len(payload) - 2:
            return _plausible(payload[2:2 + size], is_orig)
    return False


def _plausible(msg: bytes, is_orig: bool) -> bool:
    if len(msg) < HEADER_LEN + 5:
        return False
    _id, flags, qd, an, ns, ar = _unpack_header(msg, 0)
    qr = flags >> 15
    opcode = (flags >> 11) & 0xF
    if opcode not in (0, 1, 2, 4, 5, 6) or not 1 <= qd <= 4:
        return False
    if is_orig and (qr or an or ns > 4 or ar > 2):      # a query carries no answers
        return False
    try:
        (_name, qtype, qclass), pos = parse_question(msg, HEADER_LEN)
    except DNSParseError:
        return False
    if qd == 1 and not (an or ns or ar) and pos != len(msg):
        return False              # a lone question is the whole message
    return qtype != 0 and (qclass & 0x7FFF) in _PLAUSIBLE_CLASSES


# rdata.py needs parse_name and DNSParseError from above, so it is imported last.
from .rdata import RENDERERS as _RENDERERS, render_unknown as _render_unknown  # noqa: E402

_renderers_get = _RENDERERS.get
