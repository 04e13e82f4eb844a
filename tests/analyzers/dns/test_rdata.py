"""Every record type, rendered as Zeek's dns.log renders its answer (main.zeek do_reply)."""

import struct

import pytest

from shoestring.analyzers.dns.parse import DNSParseError, parse_message

from . import wire

OWNER = "Example.COM"     # answers point back at the question name (offset 12)


def answer(rtype, rdata, *, qtype=None, netbios=False):
    """Parse a reply with one answer -> (reply text, weirds, error)."""
    msg = wire.response(OWNER, qtype or rtype, [(rtype, rdata)])
    _hdr, _qs, rrs, weirds, error, _ok = parse_message(msg, netbios=netbios)
    return (rrs[0][5] if rrs else "<none>"), weirds, error


RSA_KEY = bytes(range(64))

CASES = [
    # (id, rtype, rdata, Zeek's text, weirds)
    ("A", 1, bytes.fromhex("c0000296"), "192.0.2.150", []),
    ("AAAA", 28, wire.aaaa("2001:db8::1"), "2001:db8::1", []),
    ("AAAA-v4mapped-as-zeek-prints-it", 28, wire.aaaa("::ffff:1.2.3.4"), "1.2.3.4", []),
    ("AAAA-v4-compatible", 28, wire.aaaa("::1.2.3.4"), "::1.2.3.4", []),     # inet_ntop, as Zeek
    ("A6", 38, wire.aaaa("2001:db8::2"), "2001:db8::2", []),
    ("CNAME-lowercased", 5, wire.name("WWW.Example.net"), "www.example.net", []),
    ("NS", 2, wire.name("ns1.example.net"), "ns1.example.net", []),
    ("PTR", 12, wire.name("host.example.net"), "host.example.net", []),
    ("MX", 15, struct.pack("!H", 10) + wire.name("mail.example.net"), "mail.example.net", []),
    ("SOA", 6, wire.name("ns.example.net") + wire.name("admin.example.net")
     + struct.pack("!5I", 1, 2, 3, 4, 5), "ns.example.net", []),
    ("SRV", 33, struct.pack("!3H", 0, 5, 5060) + wire.name("sip.example.net"),
     "sip.example.net", []),
    ("TXT-two-strings", 16, wire.strings(b"v=spf1 mx", b"-all"), "TXT 9 v=spf1 mx TXT 4 -all", []),
    ("TXT-empty-string", 16, wire.strings(b""), "TXT 0 ", []),
    ("SPF", 99, wire.strings(b"v=spf1 mx -all"), "SPF 14 v=spf1 mx -all", []),
    ("WKS-no-text", 11, bytes.fromhex("c0000201" "06" "0000"), "", []),
    ("NAPTR", 35, struct.pack("!2H", 100, 10) + wire.strings(b"S", b"SIP+D2U", b"")
     + wire.name("_sip._udp.example.net"), "NAPTR 100 10 S SIP+D2U _sip._udp.example.net", []),
    ("NAPTR-regexp", 35, struct.pack("!2H", 1, 2) + wire.strings(b"U", b"E2U+sip", b"!^.*$!sip:a@b!")
     + wire.name(""), "NAPTR 1 2 U E2U+sip !^.*$!sip:a@b!", []),
    ("RRSIG", 46, struct.pack("!HBBIIIH", 48, 5, 2, 455, 2, 1, 7) + wire.name("PayPal.com")
     + b"sig", "RRSIG 48 paypal.com", []),
    ("RRSIG-root-signer", 46, struct.pack("!HBBIIIH", 2, 8, 0, 1, 2, 1, 7) + b"\x00" + b"s",
     "RRSIG 2 <Root>", []),
    ("RRSIG-md5", 46, struct.pack("!HBBIIIH", 1, 1, 0, 1, 2, 1, 7) + b"\x00" + b"s",
     "RRSIG 1 <Root>", [("DNSSEC_RRSIG_NotRecommended_ZoneSignAlgo", "1")]),
    ("DNSKEY", 48, struct.pack("!HBB", 257, 3, 5) + RSA_KEY, "DNSKEY 5", []),
    ("DNSKEY-bad-protocol", 48, struct.pack("!HBB", 256, 2, 8) + RSA_KEY, "DNSKEY 8",
     [("DNSSEC_DNSKEY_Invalid_Protocol", "2")]),
    ("DNSKEY-unknown-algo", 48, struct.pack("!HBB", 256, 3, 99) + RSA_KEY, "DNSKEY 99",
     [("DNSSEC_DNSKEY_unknown_ZoneSignAlgo", "99")]),
    ("DS", 43, struct.pack("!HBB", 60485, 5, 1) + bytes(20), "DS 5 1", []),
    ("DS-reserved-digest", 43, struct.pack("!HBB", 1, 8, 0) + bytes(4), "DS 8 0",
     [("DNSSEC_DS_ReservedDigestType", "0")]),
    ("NSEC", 47, wire.name("b.Example.com") + bytes.fromhex("0006" "400000000003"),
     "NSEC example.com b.example.com", []),
    ("NSEC-bitmap-len0", 47, wire.name("b.example.com") + bytes.fromhex("0000"),
     "NSEC example.com b.example.com", [("DNSSEC_NSEC_bitmapLen0", "0")]),
    ("NSEC3", 50, bytes.fromhex("01" "00" "000a" "04aabbccdd" "14") + bytes(20)
     + bytes.fromhex("0006400000000002"), "NSEC3", []),
    ("NSEC3PARAM", 51, bytes.fromhex("01" "00" "000a" "04aabbccdd"), "NSEC3PARAM", []),
    ("SSHFP", 44, bytes.fromhex("01" "01" "dead00beef"), "SSHFP: dead00beef", []),
    ("LOC", 29, bytes.fromhex("00" "12" "16" "13") + bytes(12), "LOC:  18 22 19", []),
    ("LOC-version", 29, bytes.fromhex("01" "12" "16" "13") + bytes(12), "LOC:  18 22 19",
     [("DNS_LOC_version_unrecognized", "1")]),
    ("BINDS", 65534, bytes.fromhex("08" "1234" "00" "01"), "BIND9 signing signal", []),
    ("CAA-not-logged", 257, b"\x00\x05issue" + b"letsencrypt.org", None, []),
    ("HINFO-not-logged", 13, wire.strings(b"PC", b"Linux"), None, []),
    ("SVCB-not-logged", 64, struct.pack("!H", 1) + wire.name("svc.example.net")
     + bytes.fromhex("0001000302683200"), None, []),
    ("HTTPS-not-logged", 65, struct.pack("!H", 1) + b"\x00" + bytes.fromhex("00010003026832"),
     None, []),
    ("TSIG-not-logged", 250, wire.name("hmac-sha256") + struct.pack("!HIHH", 0, 1, 300, 4)
     + b"MAC!" + struct.pack("!3H", 0x1234, 0, 0), None, []),
    ("TKEY-not-logged", 249, wire.name("gss-tsig") + struct.pack("!IIHH", 1, 2, 3, 0)
     + struct.pack("!H", 3) + b"key" + struct.pack("!H", 0), None, []),
    ("NB-not-logged", 32, bytes.fromhex("6000" "0a000001"), None, []),
    ("unknown", 39, wire.name("target.example.net"), "<unknown type=39>",
     [("DNS_RR_unknown_type", "39")]),
]


@pytest.mark.parametrize("rtype,rdata,text,weirds", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_record_type(rtype, rdata, text, weirds):
    reply, got_weirds, error = answer(rtype, rdata)
    assert error is None
    assert reply == text
    assert got_weirds == weirds


def test_opt_with_options_in_additional_section():
    opt = wire.rr(b"\x00", 41, bytes.fromhex("000a0008" "0102030405060708"), ttl=0x8000,
                  rclass=4096)                                   # COOKIE (client only)
    msg = wire.header(qr=1, an=1, ar=1) + wire.question("a.b") \
        + wire.rr(wire.ptr(12), 1, wire.a("10.0.0.1")) + opt
    hdr, qs, rrs, weirds, error, ok = parse_message(msg, all_sections=True)
    assert [r[5] for r in rrs] == ["10.0.0.1", None] and rrs[1][2] == 41
    assert (weirds, error, ok) == ([], None, True)


def test_opt_truncated_option():
    opt = wire.rr(b"\x00", 41, bytes.fromhex("000800"), rclass=4096)   # 3 bytes: no room
    msg = wire.header(qr=1, an=0, ar=1) + wire.question("a.b") + opt
    weirds, error = parse_message(msg, all_sections=True)[3:5]
    assert weirds == [("EDNS_truncated_option", None)] and error is not None


def test_edns_client_subnet_prefix_longer_than_address():
    ecs = bytes.fromhex("0008" "0007" "0001" "21" "00" "0a0000")  # v4, /33 > 32 bits
    opt = wire.rr(b"\x00", 41, ecs, rclass=4096)
    msg = wire.header(qr=1, an=0, ar=1) + wire.question("a.b") + opt
    weirds = parse_message(msg, all_sections=True)[3]
    assert weirds == [("EDNS_ECS_invalid_addr_v4_prefix", "33 bits")]


def test_a_with_wrong_length_stops_the_message():
    reply, weirds, error = answer(1, b"\x01\x02\x03")
    assert reply == "<none>" and error.weird == "DNS_RR_bad_length"


def test_txt_string_past_rdata_reports_what_it_read_then_stops():
    rdata = wire.strings(b"ok") + b"\x09abc"            # second string claims 9 bytes
    reply, weirds, error = answer(16, rdata)
    assert reply == "TXT 2 ok"
    assert weirds == [("DNS_TXT_char_str_past_rdlen", None)] and error is not None


def test_caa_tag_past_rdata():
    reply, weirds, error = answer(257, b"\x00\x09iss")
    assert weirds == [("DNS_CAA_char_str_past_rdlen", None)] and error is not None


def test_name_rdata_length_mismatch_is_noted():
    reply, weirds, error = answer(5, wire.name("a.b") + b"\x00\x00")
    assert reply == "a.b" and weirds == [("DNS_RR_length_mismatch", None)] and error is None


def test_svcb_too_short():
    reply, weirds, error = answer(64, b"\x00\x01")
    assert weirds == [("DNS_SVBC_wrong_length", None)] and error is not None


def test_netbios_srv_is_node_status_and_not_parsed():
    reply, weirds, error = answer(33, b"\x01" + bytes(40), netbios=True)
    assert reply is None and error is None


def test_renderer_raising_keeps_earlier_answers():
    msg = wire.response(OWNER, 1, [(1, wire.a("10.0.0.1")), (1, b"\x00")])
    rrs, weirds, error = parse_message(msg)[2:5]
    assert [r[5] for r in rrs] == ["10.0.0.1"] and error.weird == "DNS_RR_bad_length"


def test_parse_error_type():
    with pytest.raises(DNSParseError):
        parse_message(b"\x00" * 5)
