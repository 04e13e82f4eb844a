"""Byte-level tests of the SSH parsers, HASSH against its published example, fuzzing."""

import struct

import pytest
from hypothesis import given, settings, strategies as st

from shoestring.analyzers.ssh import consts as C
from shoestring.analyzers.ssh.parse import (
    ParseError, find_alg, find_bidirectional_alg, fingerprint, hassh,
    hassh_algorithms, kex_family, looks_like_ssh, name_list, parse_host_key, parse_kexinit,
    parse_string, protocol_version, read_line, read_packet)

from .corpus import CURVE25519


def ssh_string(b: bytes) -> bytes:
    return struct.pack("!I", len(b)) + b


def kexinit_payload(kex, hostkey, enc, mac, cmp, enc_s=None, mac_s=None, cmp_s=None):
    lists = [kex, hostkey, enc, enc_s or enc, mac, mac_s or mac, cmp, cmp_s or cmp, "", ""]
    return b"\x11" * 16 + b"".join(ssh_string(x.encode()) for x in lists) + b"\x00" + b"\0" * 4


def packet(msg_type: int, payload: bytes, padding: int = 4) -> bytes:
    body = bytes([padding, msg_type]) + payload + b"\0" * padding
    return struct.pack("!I", len(body)) + body


# HASSH README (salesforce/hassh, "Example 1: Client Fingerprinting"): the algorithm
# lists of SSH-2.0-Cyberduck/6.7.1.28683 and its published hassh 8a8ae540028bf433cd68356c1b9e8d5b.
CYBERDUCK_KEX = ("curve25519-sha256@libssh.org,diffie-hellman-group-exchange-sha256,"
                 "ecdh-sha2-nistp521,ecdh-sha2-nistp384,ecdh-sha2-nistp256,"
                 "diffie-hellman-group-exchange-sha1,diffie-hellman-group1-sha1,"
                 "diffie-hellman-group14-sha1,diffie-hellman-group14-sha256,"
                 "diffie-hellman-group15-sha512,diffie-hellman-group16-sha512,"
                 "diffie-hellman-group17-sha512,diffie-hellman-group18-sha512,"
                 "diffie-hellman-group14-sha256@ssh.com,diffie-hellman-group15-sha256,"
                 "diffie-hellman-group15-sha256@ssh.com,diffie-hellman-group15-sha384@ssh.com,"
                 "diffie-hellman-group16-sha256,diffie-hellman-group16-sha384@ssh.com,"
                 "diffie-hellman-group16-sha512@ssh.com,diffie-hellman-group18-sha512@ssh.com")
CYBERDUCK_ENC = ("aes128-cbc,aes128-ctr,aes192-cbc,aes192-ctr,aes256-cbc,aes256-ctr,"
                 "blowfish-cbc,blowfish-ctr,cast128-cbc,cast128-ctr,idea-cbc,idea-ctr,"
                 "serpent128-cbc,serpent128-ctr,serpent192-cbc,serpent192-ctr,serpent256-cbc,"
                 "serpent256-ctr,3des-cbc,3des-ctr,twofish128-cbc,twofish128-ctr,"
                 "twofish192-cbc,twofish192-ctr,twofish256-cbc,twofish256-ctr,twofish-cbc,"
                 "arcfour,arcfour128,arcfour256")
CYBERDUCK_MAC = "hmac-sha1,hmac-sha1-96,hmac-md5,hmac-md5-96,hmac-sha2-256,hmac-sha2-512"
CYBERDUCK_CMP = "zlib@openssh.com,zlib,none"

# HASSH README, "Example 2: Server Fingerprinting": SSH-2.0-OpenSSH_5.3's lists and the
# hasshServerAlgorithms string it prints for them (the README gives no md5 for this one).
OPENSSH53_KEX = ("diffie-hellman-group-exchange-sha256,diffie-hellman-group-exchange-sha1,"
                 "diffie-hellman-group14-sha1,diffie-hellman-group1-sha1")
OPENSSH53_ENC = ("aes128-ctr,aes192-ctr,aes256-ctr,arcfour256,arcfour128,aes128-cbc,3des-cbc,"
                 "blowfish-cbc,cast128-cbc,aes192-cbc,aes256-cbc,arcfour,"
                 "rijndael-cbc@lysator.liu.se")
OPENSSH53_MAC = ("hmac-md5,hmac-sha1,umac-64@openssh.com,hmac-ripemd160,"
                 "hmac-ripemd160@openssh.com,hmac-sha1-96,hmac-md5-96")
OPENSSH53_CMP = "none,zlib@openssh.com"


def test_hassh_published_client_example():
    k = parse_kexinit(kexinit_payload(CYBERDUCK_KEX, "ssh-rsa", CYBERDUCK_ENC,
                                      CYBERDUCK_MAC, CYBERDUCK_CMP))
    assert hassh(k, server=False) == "8a8ae540028bf433cd68356c1b9e8d5b"


def test_hassh_server_uses_server_to_client_lists():
    # Client-to-server lists differ on purpose: hasshServer must not read them.
    k = parse_kexinit(kexinit_payload(OPENSSH53_KEX, "ssh-rsa", "x-enc", "x-mac", "x-cmp",
                                      OPENSSH53_ENC, OPENSSH53_MAC, OPENSSH53_CMP))
    assert hassh_algorithms(k, server=True) == ";".join(
        (OPENSSH53_KEX, OPENSSH53_ENC, OPENSSH53_MAC, OPENSSH53_CMP))
    assert hassh(k, server=True) == "b1c6c0d56317555b85c7005a3de29325"  # md5 of the above
    assert hassh_algorithms(k, server=False) == f"{OPENSSH53_KEX};x-enc;x-mac;x-cmp"


def test_read_line_strips_crlf_and_returns_offset():
    assert read_line(b"SSH-2.0-OpenSSH_7.4\r\nrest", 0) == (b"SSH-2.0-OpenSSH_7.4", 21)
    assert read_line(b"SSH-2.0-x\n", 0) == (b"SSH-2.0-x", 10)
    assert read_line(b"SSH-2.0-incomplete", 0) is None
    with pytest.raises(ParseError):
        read_line(b"A" * (C.MAX_BANNER_LINE + 5), 0)


def test_read_packet_value_and_offset():
    raw = packet(21, b"", padding=10)          # NEWKEYS: 00 00 00 0c 0a 15 + 10 pad
    assert raw[:6] == bytes.fromhex("0000000c0a15")
    assert read_packet(raw + b"tail", 0) == (21, b"", 16)
    assert read_packet(raw[:10], 0) is None


def test_incomplete_is_none_and_the_analyzers_bytearray_is_read():
    # The analyzer's loop holds a bytearray and ends on None every segment.
    raw = bytearray(packet(20, b"x" * 40, padding=6))
    assert read_packet(raw + b"tail", 0) == (20, b"x" * 40, len(raw))
    assert read_packet(raw[:-1], 0) is None and read_packet(raw[:4], 0) is None
    line = bytearray(b"SSH-2.0-x\r\nSSH")
    assert read_line(line, 0) == (b"SSH-2.0-x", 11) and read_line(line, 11) is None
    assert type(read_line(line, 0)[0]) is bytes
    with pytest.raises(ParseError):
        read_line(bytearray(b"A" * (C.MAX_BANNER_LINE + 5)), 0)
    with pytest.raises(ParseError):
        read_packet(bytearray(struct.pack("!IB", C.MAX_PACKET_LEN + 1, 4)), 0)


def test_read_packet_lying_lengths():
    with pytest.raises(ParseError):
        read_packet(struct.pack("!IB", C.MAX_PACKET_LEN + 1, 4), 0)
    with pytest.raises(ParseError):
        read_packet(struct.pack("!IB", 5, 200) + b"\0" * 5, 0)   # padding > length


def test_parse_string_overrun():
    assert parse_string(b"\0\0\0\x02abc", 0) == (b"ab", 6)
    with pytest.raises(ParseError):
        parse_string(b"\xff\xff\xff\xffabc", 0)


def test_name_list_like_zeek():
    assert name_list(b",a,,b,") == ["a", "b"]
    assert name_list(b"") == []


def test_kexinit_from_corpus():
    # Client's second segment: KEXINIT of OpenSSH 7.4.
    _, is_orig, seg = CURVE25519[2]
    assert is_orig
    msg_type, payload, end = read_packet(seg, 0)
    assert msg_type == C.MSG_KEXINIT and end == len(seg)
    k = parse_kexinit(payload)
    assert k.kex[0] == "curve25519-sha256"
    assert "chacha20-poly1305@openssh.com" in k.enc_c2s
    assert k.cmp_c2s == ["none", "zlib@openssh.com", "zlib"]


def test_host_key_and_fingerprint_from_corpus():
    # Server's third segment: KEX_ECDH_REPLY then NEWKEYS then encrypted bytes.
    _, is_orig, seg = CURVE25519[5]
    msg_type, payload, end = read_packet(seg, 0)
    assert not is_orig and msg_type == C.MSG_KEXDH_REPLY
    key = parse_host_key(payload)
    assert key[4:36] == b"ssh-ed25519-cert-v01@openssh.com"
    assert fingerprint(key) == "SHA256:trtjp/Gp6neQFvx/rk16+fmc3q8dWs/0"  # Zeek's log
    assert read_packet(seg, end)[0] == C.MSG_NEWKEYS


def test_negotiation_like_zeek():
    assert find_alg(["a", "b"], ["b", "a"]) == "a"             # the client's order wins
    assert find_alg(["a"], ["b"]) == "Algorithm negotiation failed"
    assert find_bidirectional_alg((["a"], ["a"]), (["b"], ["b"])) == \
        "To server: a, to client: b"
    assert kex_family("curve25519-sha256@libssh.org") == C.KEX_ECC
    assert kex_family("diffie-hellman-group-exchange-sha256") == C.KEX_DH_GEX
    assert kex_family("diffie-hellman-group14-sha256") == C.KEX_DH
    assert kex_family("mlkem768x25519-sha256") == C.KEX_ECC
    assert kex_family("made-up") is None


def test_protocol_version_like_zeek():
    assert protocol_version("SSH-2.0-a", "SSH-2.0-b") == 2
    assert protocol_version("SSH-1.99-a", "SSH-2.0-b") == 2
    assert protocol_version("SSH-1.5-a", "SSH-2.0-b") == 0
    assert protocol_version("SSH-1.5-a", "SSH-1.99-b") == 1
    assert protocol_version("SSH-2.0-a", None) is None


def test_signature():
    assert looks_like_ssh(b"SSH-2.0-OpenSSH\r\n", True)
    assert looks_like_ssh(b"ssh-1.99-x", False)
    assert not looks_like_ssh(b"SSH-3.0", True) and not looks_like_ssh(b"GET /", True)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.integers(0, 20))
def test_random_bytes_raise_only_parse_error(data, offset):
    for fn in (lambda: read_packet(data, offset), lambda: read_line(data, offset),
               lambda: parse_kexinit(data), lambda: parse_host_key(data)):
        try:
            fn()
        except ParseError:
            pass


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1500), st.integers(0, 255)), max_size=10),
       st.integers(0, 1500))
def test_mutated_kexinit_raises_only_parse_error(flips, cut):
    seg = bytearray(CURVE25519[2][2])
    for pos, value in flips:
        if pos < len(seg):
            seg[pos] = value
    try:
        got = read_packet(bytes(seg[:max(0, len(seg) - cut)]), 0)
        if got is not None:                 # None: cut short of a whole packet
            parse_kexinit(got[1])
    except ParseError:
        pass
