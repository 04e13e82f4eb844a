"""ssh.log through the analyzer: Zeek's expected records for its SSH traces."""

import struct

from hypothesis import given, settings, strategies as st

from shoestring.analyzers.ssh import SPEC
from shoestring.analyzers.ssh.analyzer import SshAnalyzer

from ...fakes import FakeContext
from .corpus import CURVE25519, CURVE25519_ENDPOINTS, MLKEM, MLKEM_ENDPOINTS


def run(segments, endpoints, split=None):
    ctx = FakeContext(*endpoints)
    ctx.local_resp = True
    a = SPEC.factory(ctx)
    for ts, is_orig, data in segments:
        if split and len(data) > split:
            for i in range(0, len(data), split):     # cleartext may arrive in pieces
                a.deliver(is_orig, data[i:i + split], ts)
        else:
            a.deliver(is_orig, data, ts)
    a.finish(segments[-1][0] + 1)
    return ctx


def test_curve25519_like_zeek():
    ctx = run(CURVE25519, CURVE25519_ENDPOINTS)
    [rec] = ctx.records["ssh"]
    assert rec["ts"] == CURVE25519[0][0]
    expected = {
        "version": 2, "auth_success": True, "auth_attempts": 2, "direction": None,
        "client": "SSH-2.0-OpenSSH_7.4", "server": "SSH-2.0-OpenSSH_7.5",
        "cipher_alg": "chacha20-poly1305@openssh.com",
        "mac_alg": "hmac-sha2-512-etm@openssh.com", "compression_alg": "none",
        "kex_alg": "curve25519-sha256", "host_key_alg": "ssh-ed25519-cert-v01@openssh.com",
        "host_key_fingerprint": "SHA256:trtjp/Gp6neQFvx/rk16+fmc3q8dWs/0"}
    assert {k: rec[k] for k in expected} == expected
    assert rec["id.resp_p"] == 22
    assert len(rec["hassh"]) == 32 and len(rec["hasshServer"]) == 32
    assert ctx.services == ["ssh"] and not ctx.weirds


def test_mlkem_like_zeek():
    ctx = run(MLKEM, MLKEM_ENDPOINTS)
    [rec] = ctx.records["ssh"]
    expected = {
        "version": 2, "auth_success": True, "auth_attempts": 1,
        "client": "SSH-2.0-OpenSSH_10.2", "server": "SSH-2.0-OpenSSH_9.9",
        "cipher_alg": "chacha20-poly1305@openssh.com", "mac_alg": "umac-64-etm@openssh.com",
        "compression_alg": "none", "kex_alg": "mlkem768x25519-sha256",
        "host_key_alg": "ssh-ed25519",
        "host_key_fingerprint": "SHA256:nrATGN+v83T2ZnNKhuYTSpkxmd6Td1jx"}
    assert {k: rec[k] for k in expected} == expected


def test_handshake_split_into_small_pieces_gives_the_same_record():
    # Cleartext handshake segments cut into 7-byte pieces; the encrypted ones are not
    # cut because auth inference measures whole segments, as Zeek does.
    pieces = [(ts, o, d) for ts, o, d in CURVE25519[:6]]
    ctx = run(pieces, CURVE25519_ENDPOINTS, split=7)
    [rec] = ctx.records["ssh"]
    assert rec["host_key_fingerprint"] == "SHA256:trtjp/Gp6neQFvx/rk16+fmc3q8dWs/0"
    assert rec["kex_alg"] == "curve25519-sha256" and rec["auth_success"] is None


def test_failed_logins_logged_at_end():
    # Service accept (44), then three failures of one size and no success.
    segs = list(CURVE25519[:8]) + [(2.0, False, bytes(44))] + [
        (2.0 + i, o, bytes(n)) for i, (o, n) in
        enumerate([(True, 68), (False, 60), (True, 100), (False, 60), (True, 100),
                   (False, 60)])]
    ctx = run(segs, CURVE25519_ENDPOINTS)
    [rec] = ctx.records["ssh"]
    assert rec["auth_success"] is False and rec["auth_attempts"] == 2


def test_direction_outbound():
    ctx = FakeContext("10.0.0.1", 40000, "8.8.8.8", 22)
    ctx.local_resp = False
    a = SshAnalyzer(ctx)
    a.deliver(True, b"SSH-2.0-x\r\n", 1.0)
    a.finish(2.0)
    assert ctx.records["ssh"][0]["direction"] == "OUTBOUND"
    assert ctx.records["ssh"][0]["version"] is None      # the server never spoke


def test_not_ssh_is_a_violation():
    ctx = FakeContext(resp_p=22)
    a = SshAnalyzer(ctx)
    a.deliver(True, b"GET / HTTP/1.1\r\n\r\n", 1.0)
    a.finish(2.0)
    assert ctx.violations and ctx.weirds[0][0] == "malformed_ssh_identification"


def test_hostile_packet_length_is_a_weird():
    ctx = FakeContext(resp_p=22)
    a = SshAnalyzer(ctx)
    a.deliver(True, b"SSH-2.0-x\r\n" + struct.pack("!IB", 2**31, 4), 1.0)
    assert ctx.weirds and ctx.weirds[0][0] == "ssh_bad_packet"
    a.deliver(True, b"\0" * 100, 1.1)                    # ignored from now on
    a.finish(2.0)


def test_gap_stops_analysis():
    ctx = FakeContext(resp_p=22)
    a = SshAnalyzer(ctx)
    a.deliver(True, b"SSH-2.0-x\r\n", 1.0)
    a.gap(False, 100, 1.1)
    a.deliver(False, b"SSH-2.0-y\r\n", 1.2)
    a.finish(2.0)
    assert ctx.records["ssh"][0]["server"] is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=300)), max_size=10),
       st.integers(0, 7))
def test_analyzer_never_raises(chunks, prefix):
    ctx = FakeContext(resp_p=22)
    a = SshAnalyzer(ctx)
    for ts, is_orig, data in CURVE25519[:prefix]:
        a.deliver(is_orig, data, ts)
    for is_orig, data in chunks:
        a.deliver(is_orig, data, 5.0)
    a.finish(6.0)
    assert len(ctx.records.get("ssh", [])) <= 1
