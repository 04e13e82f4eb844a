"""RDP parsers byte by byte: TPKT, X.224, negotiation, MCS/GCC user data, security data."""

import struct

import pytest

from shoestring.analyzers.rdp import consts as C
from shoestring.analyzers.rdp.parse import (
    RdpParseError, data_blocks, gcc_blocks, looks_like_rdp, mcs_user_data,
    parse_connect_request, parse_negotiation, parse_server_security, parse_tpkt, parse_x224,
    rsa_key_of)

from . import wire


def test_tpkt_frames_and_waits():
    data = wire.CONNECT_REQUEST + b"\x03\x00"
    tpdu, end = parse_tpkt(data)
    assert end == 47 and tpdu == wire.CONNECT_REQUEST[4:]
    assert parse_tpkt(data, end) is None                 # 2 of the next frame's 4 bytes
    assert parse_tpkt(wire.CONNECT_REQUEST[:46]) is None
    with pytest.raises(RdpParseError, match="version 22"):
        parse_tpkt(b"\x16\x03\x01\x00\x10")
    with pytest.raises(RdpParseError, match="too short"):
        parse_tpkt(b"\x03\x00\x00\x05\x00")


def test_connection_request_of_the_corpus_trace():
    x = parse_x224(parse_tpkt(wire.CONNECT_REQUEST)[0])
    assert x.code == C.X224_CONNECT_REQUEST
    req = parse_connect_request(x.variable)
    assert req.cookie == b"mstshash=JOHN-PC  "
    assert req.negotiation == (C.NEG_REQUEST, 0, 0)      # asks for standard RDP security


def test_connection_confirm_selects_a_protocol():
    x = parse_x224(parse_tpkt(wire.CONNECT_CONFIRM)[0])
    assert x.code == C.X224_CONNECT_CONFIRM
    assert parse_negotiation(x.variable, 0) == ((C.NEG_RESPONSE, 0, 0), 8)
    x = parse_x224(parse_tpkt(wire.confirm(2))[0])
    assert parse_negotiation(x.variable, 0)[0].value == 2   # HYBRID (CredSSP)


def test_x224_and_negotiation_errors():
    with pytest.raises(RdpParseError, match="length indicator"):
        parse_x224(b"\x20\xe0\x00")
    with pytest.raises(RdpParseError, match="header of 2"):
        parse_x224(b"\x02\xe0\x00")
    with pytest.raises(RdpParseError, match="negotiation"):
        parse_negotiation(b"\x07\x00\x08\x00\x00\x00\x00\x00", 0)
    with pytest.raises(RdpParseError, match="CR LF"):
        parse_connect_request(b"Cookie: mstshash=x")
    assert parse_negotiation(b"\x01\x00", 0) == (None, 0)  # absent (old clients)


def test_server_user_data_blocks():
    der = wire.certificate("SERVR")
    frame = wire.connect_response(wire.block(0x0C01, b"\x04\x00\x08\x00\x00\x00\x00\x00")
                                  + wire.security_block([der, der]))
    x = parse_x224(parse_tpkt(frame)[0])
    blocks = gcc_blocks(mcs_user_data(x.variable, C.MCS_CONNECT_RESPONSE), C.H221_SERVER_KEY)
    assert [t for t, _ in blocks] == [C.SC_CORE, C.SC_SECURITY]
    sec = parse_server_security(blocks[1][1])
    assert (sec.method, sec.level, sec.chain_version, sec.permanent) == (2, 2, 2, True)
    assert sec.certificates == [der, der]


def test_client_user_data_blocks():
    frame = wire.connect_initial(wire.CLIENT_CORE)
    x = parse_x224(parse_tpkt(frame)[0])
    blocks = gcc_blocks(mcs_user_data(x.variable, C.MCS_CONNECT_INITIAL), C.H221_CLIENT_KEY)
    assert [t for t, _ in blocks] == [C.CS_CORE]


def test_security_data_without_encryption_and_temporary_proprietary():
    assert parse_server_security(struct.pack("<II", 0, 0)).certificates == []
    proprietary = wire.security_block([], version=0x80000001)[4:]
    sec = parse_server_security(proprietary)
    assert (sec.chain_version, sec.permanent, sec.certificates) == (1, False, [])


def test_lying_lengths_are_errors():
    with pytest.raises(RdpParseError, match="bad length"):
        data_blocks(struct.pack("<HH", 0x0C02, 400) + bytes(10))
    body = wire.security_block([b"x" * 10])[4:]
    with pytest.raises(RdpParseError, match="past"):
        parse_server_security(body[:-20])                  # certificate cut
    too_many = struct.pack("<IIII", 1, 1, 0, 8) + struct.pack("<II", 2, 100000)
    with pytest.raises(RdpParseError, match="100000 certificates"):
        parse_server_security(too_many)
    with pytest.raises(RdpParseError, match="H.221"):
        gcc_blocks(C.T124_OID + bytes(64) + b"McDn\x00", C.H221_SERVER_KEY)
    with pytest.raises(RdpParseError, match="BER"):
        mcs_user_data(b"\x7f\x66\x85\x00\x00\x00\x00\x01", C.MCS_CONNECT_RESPONSE)


def test_rsa_key_of_a_relabelled_key():
    der = wire.relabel_key_as_md5_rsa(wire.certificate("SERVR"))
    assert rsa_key_of(der) == (1024, 65537)
    with pytest.raises(RdpParseError):
        rsa_key_of(der[:100])


def test_signature():
    assert looks_like_rdp(wire.CONNECT_REQUEST, True)
    assert not looks_like_rdp(wire.CONNECT_REQUEST, False)
    no_cookie = wire.tpkt(b"\x0e\xe0\x00\x00\x00\x00\x00" + b"\x01\x00\x08\x00\x03\x00\x00\x00")
    assert looks_like_rdp(no_cookie, True)
    # S7comm's COTP connection request: TSAP parameters, no RDP cookie or negotiation
    s7 = bytes.fromhex("0300001611e00000000100c0010ac1020100c2020102")
    assert not looks_like_rdp(s7, True)
    assert not looks_like_rdp(b"\x03\x00\x00\x2f\x2a\xe0", True)
