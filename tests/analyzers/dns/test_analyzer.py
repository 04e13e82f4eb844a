"""DnsAnalyzer through FakeContext: dns.log records as Zeek writes them, pairing, TCP."""

import pytest

from shoestring.analyzers.dns import SPEC, DnsAnalyzer
from shoestring.analyzers.dns.analyzer import MAX_PENDING_QUERY_IDS, decode_netbios_name
from shoestring.logs.schemas.dns import SCHEMA
from tests.fakes import FakeContext

from . import corpus, wire


def run(messages, orig=("10.0.0.1", 40000), resp=("10.0.0.2", 53), proto="udp",
        finish=True):
    """Feed (ts, is_orig, bytes) to a fresh analyzer -> its FakeContext."""
    ctx = FakeContext(orig[0], orig[1], resp[0], resp[1], proto=proto)
    analyzer = DnsAnalyzer(ctx)
    for ts, is_orig, data in messages:
        analyzer.deliver(is_orig, data, ts)
    if finish:
        analyzer.finish(messages[-1][0] + 100 if messages else 0.0)
    return ctx


def replay(trace, skip_queries=False):
    """A conformance trace's DNS payloads; Zeek's own run dropped queries whose UDP
    checksum was bad (the pipeline's business), so those cases skip them."""
    first = trace[0]
    msgs = [(ts, src == first[1], data) for ts, src, sp, dst, dp, data in trace
            if not (skip_queries and not data[2] & 0x80)]
    return run(msgs, orig=(first[1], first[2]), resp=(first[3], first[4]))


def only(ctx):
    assert len(ctx.records.get("dns", [])) == 1, ctx.records
    return ctx.records["dns"][0]


# --- records Zeek wrote for the conformance traces -------------------------------------

def test_dnskey_case():
    rec = only(replay(corpus.DNSKEY2))
    assert rec["trans_id"] == 41477 and rec["query"] == "paypal.com"
    assert rec["rtt"] == pytest.approx(0.075138, abs=1e-6)
    assert (rec["qclass"], rec["qclass_name"], rec["qtype"], rec["qtype_name"]) == \
        (1, "C_INTERNET", 48, "DNSKEY")
    assert (rec["rcode"], rec["rcode_name"]) == (0, "NOERROR")
    assert (rec["AA"], rec["TC"], rec["RD"], rec["RA"], rec["Z"]) == (False, False, True, True, 1)
    assert rec["answers"] == ["DNSKEY 5", "DNSKEY 5", "RRSIG 48 paypal.com",
                              "RRSIG 48 paypal.com"]
    assert rec["TTLs"] == [455.0] * 4
    assert (rec["rejected"], rec["opcode"], rec["opcode_name"]) == (False, 0, "query")
    assert rec["ts"] == corpus.DNSKEY2[0][0] and rec["proto"] == "udp"


def test_multiple_txt_strings_case_reply_only():
    rec = only(replay(corpus.TXT_MULTIPLE, skip_queries=True))
    assert rec["query"] == "flkr._domainkey.flickr.com"
    assert rec["rtt"] is None and rec["qclass"] is None and rec["qtype_name"] is None
    assert (rec["AA"], rec["RD"], rec["RA"]) == (True, False, False)
    assert rec["answers"][:2] == ["fa14._domainkey.flickr.com", "fa14._domainkey.yahoo.com"]
    assert rec["answers"][2].startswith("TXT 127 k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBi")
    assert " TXT 98 HSrDI23PU+HOuqJ6ergE1IOsL6LOEgG6YT53vMb8Z6UiBSsYPlrDEC+8CUIkTLMLXJauRK5bN" \
        in rec["answers"][2]
    assert rec["TTLs"] == [900.0, 900.0, 7200.0]


def test_spf_case_reply_only():
    rec = only(replay(corpus.SPF, skip_queries=True))
    assert rec["query"] == "mail.vladg.net" and rec["trans_id"] == 64161
    assert rec["answers"] == ["SPF 19 v=spf1 mx -all test", "SPF 14 v=spf1 mx -all"]
    assert rec["TTLs"] == [300.0, 300.0] and rec["RA"] is True and rec["RD"] is False


def test_zero_responses_case():
    rec = only(replay(corpus.ZERO_RRS))
    assert (rec["query"], rec["qtype_name"], rec["rcode_name"]) == ("psu.edu", "AAAA", "NOERROR")
    assert rec["rtt"] is None and rec["answers"] is None and rec["TTLs"] is None
    assert (rec["AA"], rec["RA"], rec["rejected"]) == (False, False, False)


def test_unanswered_query_logged_at_finish():
    rec = only(replay(corpus.FALSE_GTP))
    assert (rec["query"], rec["trans_id"], rec["rcode"], rec["rcode_name"]) == \
        ("abcd.efg.hijklm.nm", 27595, None, None)
    assert rec["opcode_name"] == "query" and rec["RD"] is True


def test_cname_chain_and_confirmation():
    ctx = replay(corpus.SMTP)
    rec = only(ctx)
    assert rec["answers"] == ["patriots.in", "74.53.140.153"]
    assert ctx.services == [""] and ctx.violations == [] and ctx.weirds == []


def test_records_only_use_schema_fields():
    rec = only(replay(corpus.DNSKEY2))
    assert set(rec) == set(SCHEMA.names)


# --- pairing (main.zeek's set_session) --------------------------------------------------

def test_replies_out_of_order_pair_by_trans_id():
    ctx = run([(1.0, True, wire.query("a.example", tid=1)),
               (1.1, True, wire.query("b.example", tid=2)),
               (1.3, False, wire.response("b.example", answers=[(1, wire.a("10.0.0.2"))], tid=2)),
               (1.5, False, wire.response("a.example", answers=[(1, wire.a("10.0.0.1"))], tid=1))])
    recs = ctx.records["dns"]
    assert [(r["query"], r["answers"]) for r in recs] == [
        ("b.example", ["10.0.0.2"]), ("a.example", ["10.0.0.1"])]
    assert recs[0]["rtt"] == pytest.approx(0.2) and recs[1]["rtt"] == pytest.approx(0.5)


def test_same_trans_id_twice_pairs_in_order():
    ctx = run([(1.0, True, wire.query("x.example", tid=7)),
               (2.0, True, wire.query("y.example", tid=7)),
               (3.0, False, wire.response("x.example", answers=[(1, wire.a("1.1.1.1"))], tid=7)),
               (4.0, False, wire.response("y.example", answers=[(1, wire.a("2.2.2.2"))], tid=7))])
    assert [(r["ts"], r["query"], r["answers"]) for r in ctx.records["dns"]] == [
        (1.0, "x.example", ["1.1.1.1"]), (2.0, "y.example", ["2.2.2.2"])]


def test_reply_before_query_waits_for_it():
    ctx = run([(5.0, False, wire.response("late.example", answers=[(1, wire.a("1.2.3.4"))])),
               (5.5, True, wire.query("late.example"))])
    rec = only(ctx)
    assert rec["ts"] == 5.0 and rec["rtt"] is None and rec["qtype_name"] == "A"


def test_unmatched_reply_logged_at_finish():
    ctx = run([(1.0, False, wire.response("r.example", answers=[(1, wire.a("1.2.3.4"))], tid=9))])
    rec = only(ctx)
    assert rec["query"] == "r.example" and rec["rcode_name"] == "NOERROR" and rec["qtype"] is None


def test_timeout_is_the_connection_tables_and_finish_flushes():
    # The 10 s DNS timeout ends the connection (the table's job): nothing is written
    # until finish(), which writes every unanswered query.
    msgs = [(float(i), True, wire.query(f"q{i}.example", tid=i)) for i in range(3)]
    ctx = run(msgs, finish=False)
    assert "dns" not in ctx.records
    assert SPEC.extra["udp_inactivity_timeout"] == 10.0
    ctx = run(msgs)
    assert sorted(r["query"] for r in ctx.records["dns"]) == ["q0.example", "q1.example",
                                                              "q2.example"]


def test_pending_queries_are_bounded():
    msgs = [(float(i), True, wire.query("flood.example", tid=i)) for i in range(200)]
    ctx = run(msgs, finish=False)
    assert len(ctx.records["dns"]) >= 200 - 2 * (MAX_PENDING_QUERY_IDS + 2)
    ctx = run(msgs)
    assert len(ctx.records["dns"]) == 200


def test_rejected_when_reply_has_no_records():
    ctx = run([(1.0, True, wire.query("gone.example")),
               (1.2, False, wire.response("gone.example", rcode=5))])
    rec = only(ctx)
    assert (rec["rejected"], rec["rcode_name"]) == (True, "REFUSED")


def test_rejected_when_error_without_question():
    ctx = run([(1.0, True, wire.query("q.example")),
               (1.2, False, wire.header(qr=1, qd=0, rcode=1))])
    rec = only(ctx)
    assert (rec["rejected"], rec["rcode_name"]) == (True, "FORMERR")


def test_unknown_codes_get_zeeks_default_names():
    ctx = run([(1.0, True, wire.header() + wire.question("q.example", qtype=4242, qclass=77)),
               (1.2, False, wire.header(qr=1, qd=0, rcode=12))])
    rec = only(ctx)
    assert (rec["qtype_name"], rec["qclass_name"], rec["rcode_name"]) == \
        ("query-4242", "qclass-77", "unassigned-12")


def test_opcodes_outside_query_notify_update_are_not_logged():
    ctx = run([(1.0, True, wire.query("status.example", opcode=2))])
    assert "dns" not in ctx.records and ctx.weirds == [("DNS_unknown_opcode", "2")]


def test_notify_is_logged():
    ctx = run([(1.0, True, wire.query("zone.example", qtype=6, opcode=4, rd=0)),
               (1.1, False, wire.header(qr=1, opcode=4, aa=1, rd=0) + wire.question(
                   "zone.example", qtype=6))])
    rec = only(ctx)
    assert (rec["opcode"], rec["opcode_name"], rec["qtype_name"]) == (4, "notify", "SOA")


def test_dynamic_update_zone_only_reply_is_not_rejected():
    zone = wire.question("example.com", qtype=6)
    req = wire.header(opcode=5, qd=1, ns=1, rd=0) + zone \
        + wire.rr("h.example.com", 1, wire.a("10.1.1.1"), ttl=60)
    rep = wire.header(qr=1, opcode=5, qd=1, rd=0) + zone
    rec = only(run([(1.0, True, req), (1.1, False, rep)]))
    assert (rec["query"], rec["rejected"], rec["answers"]) == ("example.com", False, None)


def test_dynamic_update_reply():
    zone = wire.question("example.com", qtype=6)
    body = (wire.rr("old.example.com", 255, b"", ttl=0, rclass=254)        # prereq
            + wire.rr("h.example.com", 1, b"", ttl=0, rclass=255)          # delete RRset A
            + wire.rr("h.example.com", 1, wire.a("10.1.1.1"), ttl=60))     # add
    req = wire.header(opcode=5, qd=1, an=1, ns=2, rd=0) + zone + body
    rep = wire.header(qr=1, opcode=5, qd=1, an=1, ns=2, rd=0) + zone + body
    rec = only(run([(1.0, True, req), (1.1, False, rep)]))
    assert rec["opcode_name"] == "dynamic-update" and rec["qtype_name"] == "SOA"
    assert rec["answers"] == ["pre: NameNotInUse old.example.com", "del: RRSet A",
                              "add: A h.example.com 10.1.1.1"]


# --- mDNS, LLMNR, NetBIOS ---------------------------------------------------------------

def test_mdns_every_message_is_its_own_record():
    q = wire.query("_ipp._tcp.local", qtype=12, tid=0, rd=0)
    r = wire.response("_ipp._tcp.local", qtype=12, tid=0, rd=0, aa=1, ra=0,
                      answers=[(12, wire.name("Printer._ipp._tcp.local"), 4500)])
    ctx = run([(1.0, True, q), (1.1, True, r)], orig=("10.0.0.5", 5353),
              resp=("224.0.0.251", 5353), finish=False)
    recs = ctx.records["dns"]
    assert [(r["query"], r["answers"], r["rcode"]) for r in recs] == [
        ("_ipp._tcp.local", None, None), ("_ipp._tcp.local", ["printer._ipp._tcp.local"], 0)]
    assert recs[1]["AA"] is True and recs[1]["TTLs"] == [4500.0]


def test_llmnr_query_to_its_group_is_logged():
    ctx = run([(1.0, True, wire.query("fileserver", tid=0x55, rd=0))],
              orig=("10.0.0.7", 50123), resp=("224.0.0.252", 5355), finish=False)
    rec = only(ctx)
    assert (rec["query"], rec["rcode"], rec["opcode_name"]) == ("fileserver", None, "query")


@pytest.mark.parametrize("port", [5353, 5355])
def test_unicast_mdns_and_llmnr_ports_are_not_dns(port):
    # Zeek's unicast-mdns-llmnr test: an odd opcode sent unicast to these ports gives
    # neither dns.log nor weird.log.
    odd = wire.header(opcode=15, qd=0)
    ctx = run([(1.0, True, odd), (1.1, True, wire.query("x.local"))],
              orig=("192.0.2.10", 40000), resp=("192.0.2.20", port))
    assert ctx.records == {} and ctx.weirds == [] and ctx.services == []


def test_unknown_opcode_is_a_weird_and_not_logged():
    ctx = run([(1.0, True, wire.header(opcode=15, qd=0))])
    assert ctx.weirds == [("DNS_unknown_opcode", "15")] and "dns" not in ctx.records


NB_WORKGROUP = "FHEPFCELEHFCEPFFFACACACACACACABL"     # "WORKGROUP" padded, type 0x1b


def test_netbios_name_decoding():
    assert decode_netbios_name(NB_WORKGROUP.lower()) == "WORKGROUP"
    assert decode_netbios_name("ABACFPFPENFDECFCEPFHFDEFFPFPACAB") == "\x01\x02__MSBROWSE__\x02"
    assert decode_netbios_name("short") == ""


def test_netbios_query_and_node_status():
    q = wire.header(rd=1) + wire.question(NB_WORKGROUP, qtype=0x20)
    nbstat = wire.header(tid=2, rd=0) + wire.question("CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", qtype=33)
    ctx = run([(1.0, True, q), (2.0, True, nbstat)], orig=("10.0.0.5", 137),
              resp=("10.0.0.255", 137))
    recs = sorted(ctx.records["dns"], key=lambda r: r["ts"])
    assert [(r["query"], r["qtype_name"], r["opcode_name"]) for r in recs] == [
        ("WORKGROUP", "NIMLOC", "netbios-query"),
        ("*" + "\x00" * 14, "NBSTAT", "netbios-query")]    # Zeek passes bytes < 3 through


def test_netbios_registration_opcode_name():
    reg = wire.header(opcode=5, ar=1) + wire.question(NB_WORKGROUP, qtype=0x20) \
        + wire.rr(wire.ptr(12), 0x20, bytes.fromhex("6000" "0a000005"), ttl=300000)
    rec = only(run([(1.0, True, reg)], orig=("10.0.0.5", 137), resp=("10.0.0.255", 137)))
    assert (rec["opcode"], rec["opcode_name"]) == (5, "netbios-registration")


# --- DNS over TCP -----------------------------------------------------------------------

def tcp_conversation():
    q1, q2 = wire.query("one.example", tid=1), wire.query("two.example", tid=2)
    r1 = wire.response("one.example", answers=[(1, wire.a("10.0.0.1"))], tid=1)
    r2 = wire.response("two.example", answers=[(16, wire.strings(b"hello"))], tid=2)
    return (wire.tcp_frame(q1) + wire.tcp_frame(q2), wire.tcp_frame(r1) + wire.tcp_frame(r2))


def check_tcp_records(ctx):
    recs = ctx.records["dns"]
    assert [(r["query"], r["answers"], r["proto"]) for r in recs] == [
        ("one.example", ["10.0.0.1"], "tcp"), ("two.example", ["TXT 5 hello"], "tcp")]
    assert ctx.weirds == []


def test_tcp_several_messages_in_one_segment():
    orig, resp = tcp_conversation()
    check_tcp_records(run([(1.0, True, orig), (1.2, False, resp)], proto="tcp"))


@pytest.mark.parametrize("cut", [1, 2, 3, 13, 14, 30])
def test_tcp_split_at_odd_places(cut):
    orig, resp = tcp_conversation()
    msgs = [(1.0, True, orig[:cut]), (1.01, True, orig[cut:]),
            (1.2, False, resp[:cut]), (1.21, False, resp[cut:])]
    check_tcp_records(run(msgs, proto="tcp"))


def test_tcp_one_byte_at_a_time():
    orig, resp = tcp_conversation()
    msgs = [(1.0, True, orig[i:i + 1]) for i in range(len(orig))]
    msgs += [(1.2, False, resp[i:i + 1]) for i in range(len(resp))]
    check_tcp_records(run(msgs, proto="tcp"))


def test_tcp_partial_message_parsed_at_finish():
    framed = wire.tcp_frame(wire.query("cut.example"))
    ctx = run([(1.0, True, framed[:-3])], proto="tcp")
    assert ctx.weirds == [("DNS_truncated_quest_too_short", None)]
    assert "dns" in ctx.records and ctx.records["dns"][0]["query"] is None


def test_tcp_zero_length_message():
    ctx = run([(1.0, True, b"\x00\x00" + wire.tcp_frame(wire.query("a.example")))],
              proto="tcp")
    assert ctx.weirds[0] == ("DNS_truncated_len_lt_hdr_len", None)
    assert ctx.records["dns"][0]["query"] == "a.example"


def test_tcp_gap_stops_that_direction():
    orig, resp = tcp_conversation()
    ctx = FakeContext(proto="tcp", resp_p=53)
    a = DnsAnalyzer(ctx)
    a.deliver(True, orig[:5], 1.0)
    a.gap(True, 100, 1.0)
    a.deliver(True, orig[5:], 1.0)
    a.finish(2.0)
    assert "dns" not in ctx.records and ctx.weirds == []


# --- hostile input ----------------------------------------------------------------------

def test_too_many_questions_is_a_violation():
    ctx = run([(1.0, True, wire.header(qd=500) + bytes(100)),
               (1.1, True, wire.query("after.example"))])
    assert ctx.violations == ["DNS_Conn_count_too_large"]
    assert ("DNS_Conn_count_too_large", None) in ctx.weirds
    assert all(r["query"] != "after.example" for r in ctx.records.get("dns", []))


def test_compression_loop_is_a_weird_not_a_hang():
    msg = wire.header(qd=1) + wire.ptr(12) + b"\x00\x01\x00\x01"
    ctx = run([(1.0, True, msg)])
    assert ctx.weirds == [("DNS_label_forward_compress_offset", None)]
    assert ctx.services == []


def test_short_datagram():
    ctx = run([(1.0, True, b"\x12\x34\x01")])
    assert ctx.weirds == [("DNS_truncated_len_lt_hdr_len", None)] and "dns" not in ctx.records


def test_answer_errors_keep_earlier_answers_and_log():
    rep = wire.response("x.example", answers=[(1, wire.a("1.1.1.1")), (1, b"\x01\x02")])
    ctx = run([(1.0, True, wire.query("x.example")), (1.1, False, rep)])
    rec = only(ctx)
    assert rec["answers"] == ["1.1.1.1"] and ("DNS_RR_bad_length", None) in ctx.weirds


# --- golden: our records through the Zeek TSV writer vs Zeek's own dns.log lines --------

from pathlib import Path  # noqa: E402

from shoestring.logs.zeek_tsv import TsvFormat  # noqa: E402

CASES_DIR = Path(__file__).resolve().parents[3].parent / "shared/conformance/zeek/cases"
GOLDEN = [("scripts.base.protocols.dns.dns-key", corpus.DNSKEY2, False),
          ("scripts.base.protocols.dns.multiple-txt-strings", corpus.TXT_MULTIPLE, True),
          ("scripts.base.protocols.dns.spf", corpus.SPF, True),
          ("scripts.base.protocols.dns.zero-responses", corpus.ZERO_RRS, False),
          ("core.tunnels.gtp.false_gtp", corpus.FALSE_GTP, False)]


@pytest.mark.parametrize("case,trace,reply_only", GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden_dns_log_lines(case, trace, reply_only):
    expected_log = CASES_DIR / case / "expected" / "dns.log"
    if not expected_log.exists():
        pytest.skip("conformance corpus not beside the repository")
    fmt = TsvFormat(SCHEMA)
    ours = [fmt.line(r).rstrip("\n").split("\t")[2:]          # ts and uid are Zeek's own
            for r in replay(trace, skip_queries=reply_only).records["dns"]]
    theirs = [line.split("\t")[2:] for line in expected_log.read_text().splitlines()
              if not line.startswith("#")]
    assert ours == theirs
