"""Byte-level tests of the DNS wire parser: header, names (compression, limits), questions."""

import pytest

from shoestring.analyzers.dns.parse import (
    MAX_POINTER_HOPS, NAME_BUDGET, DNSParseError, looks_like_dns, parse_header,
    parse_message, parse_name, parse_question, parse_rr)

from . import wire


def test_header_fields_and_offset():
    buf = bytes.fromhex(
        "a205"      # id 0xa205
        "0110"      # flags: RD, Z=1 (AD)
        "0001"      # qdcount 1
        "0000"      # ancount 0
        "0000"      # nscount 0
        "0001")     # arcount 1
    assert parse_header(buf, 0) == ((0xA205, 0x0110, 1, 0, 0, 1), 12)


def test_header_shorter_than_12_bytes():
    with pytest.raises(DNSParseError) as e:
        parse_header(bytes(11), 0)
    assert e.value.weird == "DNS_truncated_len_lt_hdr_len"


def test_plain_name():
    buf = bytes.fromhex("03777777" "076578616d706c65" "03636f6d" "00" "ff")  # www.example.com.
    assert parse_name(buf, 0) == (b"www.example.com", 17)


def test_root_name_is_empty():
    assert parse_name(b"\x00", 0) == (b"", 1)


def test_label_keeps_raw_bytes_and_case():
    buf = b"\x03A.b\x02\xff\x00\x00"             # label "A.b", label ff 00
    assert parse_name(buf, 0) == (b"A.b.\xff\x00", 8)


def test_compression_pointer_resumes_after_pointer():
    # offset 0: "example.com" ; offset 13: "www" + pointer to 0
    buf = wire.name("example.com") + b"\x03www" + wire.ptr(0)
    assert parse_name(buf, 13) == (b"www.example.com", 19)


def test_pointer_chain():
    # "com" at 0, "example"+ptr(0) at 5, "www"+ptr(5) at 15
    buf = wire.name("com") + b"\x07example" + wire.ptr(0) + b"\x03www" + wire.ptr(5)
    assert parse_name(buf, 15) == (b"www.example.com", 21)


def test_pointer_to_itself_is_a_forward_offset():
    buf = b"\x00" * 12 + wire.ptr(12)            # c00c at offset 12: points at itself
    with pytest.raises(DNSParseError) as e:
        parse_name(buf, 12)
    assert e.value.weird == "DNS_label_forward_compress_offset"


def test_compression_loop_between_two_pointers_is_rejected():
    # 0: "a" then pointer to 3 ; 3: pointer to 0 -> the second pointer goes backwards
    # to a name that runs past the pointer itself, which Zeek does not follow.
    buf = b"\x01a" + wire.ptr(4) + wire.ptr(0)
    with pytest.raises(DNSParseError) as e:
        parse_name(buf, 4)
    assert e.value.weird in ("DNS_label_forward_compress_offset", "DNS_label_len_gt_pkt")


def test_pointer_hops_are_bounded():
    # Each pointer points at the previous one: 2 bytes per hop, all backwards.
    buf = b"\x00"
    for i in range(MAX_POINTER_HOPS + 5):
        buf += wire.ptr(len(buf) - (1 if i == 0 else 2))
    with pytest.raises(DNSParseError) as e:
        parse_name(buf, len(buf) - 2)
    assert e.value.weird == "DNS_compression_chain_depth_exceeded"
    # ... while a chain exactly at the limit still parses
    ok = b"\x01a\x00"
    for _ in range(MAX_POINTER_HOPS):
        ok += wire.ptr(len(ok) - (3 if len(ok) == 3 else 2))
    assert parse_name(ok, len(ok) - 2) == (b"a", len(ok))


def test_ten_thousand_label_name_stops_at_the_name_budget():
    buf = b"\x01a" * 10_000 + b"\x00"
    with pytest.raises(DNSParseError) as e:
        parse_name(buf, 0)
    assert e.value.weird == "DNS_label_len_gt_name_len"


def test_name_over_255_octets_is_noted_but_parsed():
    label = b"\x3f" + b"x" * 63                   # 64 octets per label with its dot
    buf = label * 5 + b"\x00"                     # 320 octets < NAME_BUDGET
    weirds = []
    name, nxt = parse_name(buf, 0, weirds)
    assert len(name) == 5 * 63 + 4 and nxt == len(buf)
    assert weirds == [("DNS_NAME_too_long", None)]
    assert NAME_BUDGET > 320


def test_label_longer_than_63():
    buf = b"\x40" + b"x" * 64 + b"\x00"
    with pytest.raises(DNSParseError) as e:
        parse_name(buf, 0)
    assert e.value.weird == "DNS_label_too_long"
    assert parse_name(buf, 0, max_label=191) == (b"x" * 64, 66)     # NetBIOS allows it


def test_name_cut_before_its_terminator():
    with pytest.raises(DNSParseError) as e:
        parse_name(b"\x01a", 0)                      # no byte left for the next length
    assert e.value.weird == "dns_invalid_name"
    with pytest.raises(DNSParseError) as e:
        parse_name(b"\x00" * 12 + b"\xc0", 12)       # pointer missing its second byte
    assert e.value.weird == "dns_invalid_name"


def test_label_past_end_of_message():
    with pytest.raises(DNSParseError) as e:
        parse_name(b"\x05abc", 0)
    assert e.value.weird == "DNS_label_len_gt_pkt"


def test_name_without_terminator():
    with pytest.raises(DNSParseError):
        parse_name(b"\x03abc", 0)


def test_question():
    buf = wire.name("psu.edu") + bytes.fromhex("001c" "0001")   # AAAA, IN
    assert parse_question(buf, 0) == ((b"psu.edu", 28, 1), 13)


def test_question_missing_type_and_class():
    with pytest.raises(DNSParseError) as e:
        parse_question(wire.name("psu.edu") + b"\x00", 0)
    assert e.value.weird == "DNS_truncated_quest_too_short"


def test_rr_header_truncated():
    with pytest.raises(DNSParseError) as e:
        parse_rr(wire.name("a") + bytes(6), 0, 1, [])
    assert e.value.weird == "DNS_truncated_ans_too_short"


def test_rdlength_beyond_message():
    buf = wire.name("a") + bytes.fromhex("0001" "0001" "0000012c" "0004") + b"\x01\x02"
    with pytest.raises(DNSParseError) as e:
        parse_rr(buf, 0, 1, [])
    assert e.value.weird == "DNS_truncated_RR_rdlength_lt_len"


def test_zero_rdlength_followed_by_more_data():
    buf = wire.name("a") + bytes.fromhex("0001" "0001" "0000012c" "0000") + b"\x00"
    with pytest.raises(DNSParseError) as e:
        parse_rr(buf, 0, 1, [])
    assert e.value.weird == "DNS_zero_rdlength"


# --- whole messages, taken from the conformance traces ---------------------------------

SMTP_REPLY = bytes.fromhex(
    "7956" "8180" "0001" "0002" "0002" "0000"                  # reply, RD RA, 1 q, 2 an, 2 ns
    "046d61696c0870617472696f747302696e00" "0001" "0001"       # mail.patriots.in A IN
    "c00c" "0005" "0001" "00002a4b" "0002" "c011"              # CNAME -> patriots.in
    "c011" "0001" "0001" "00002a4c" "0004" "4a358c99"          # A 74.53.140.153
    "c011" "0002" "0001" "0001438c" "0006" "036e7332c011"      # NS ns2.patriots.in
    "c011" "0002" "0001" "0001438c" "0006" "036e7331c011")     # NS ns1.patriots.in


def test_message_answers_only_by_default():
    hdr, qs, rrs, weirds, error, confirmed = parse_message(SMTP_REPLY)
    assert hdr == (0x7956, 0x8180, 1, 2, 2, 0)
    assert qs == [(b"mail.patriots.in", 1, 1)]
    assert rrs == [(1, b"mail.patriots.in", 5, 1, 10827, "patriots.in"),
                   (1, b"patriots.in", 1, 1, 10828, "74.53.140.153")]
    assert (weirds, error, confirmed) == ([], None, True)


def test_message_all_sections():
    rrs = parse_message(SMTP_REPLY, all_sections=True)[2]
    assert [(r[0], r[5]) for r in rrs[2:]] == [(2, "ns2.patriots.in"), (2, "ns1.patriots.in")]


def test_truncated_message_keeps_what_parsed():
    hdr, qs, rrs, weirds, error, confirmed = parse_message(SMTP_REPLY[:60])
    assert qs and len(rrs) == 1 and rrs[0][5] == "patriots.in"
    assert error.weird == "DNS_truncated_RR_rdlength_lt_len" and not confirmed


def test_too_many_questions_is_not_dns():
    msg = wire.header(qd=26) + b"\x00" * 40
    error = parse_message(msg)[4]
    assert error.weird == "DNS_Conn_count_too_large"


def test_signature():
    q = wire.query("example.com")
    assert looks_like_dns(q, True)
    assert looks_like_dns(wire.tcp_frame(q), True)           # TCP, length-prefixed
    assert not looks_like_dns(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", True)
    assert not looks_like_dns(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(40), True)
    assert not looks_like_dns(wire.query("example.com", qtype=0), True)
    assert not looks_like_dns(b"", True)
    assert not looks_like_dns(q + b"trailing junk", True)
    assert not looks_like_dns(SMTP_REPLY, True)               # answers from the originator
    assert looks_like_dns(SMTP_REPLY, False)


def test_signature_rarely_fires_on_random_payloads():
    import random
    rnd = random.Random(1)
    hits = sum(looks_like_dns(rnd.randbytes(rnd.randint(12, 200)), True) for _ in range(20000))
    assert hits <= 2
