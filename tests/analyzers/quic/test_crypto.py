"""Initial packet protection against the published vectors (RFC 9001 App. A, RFC 9369 App. A)."""

import hmac as std_hmac

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shoestring.analyzers.quic import consts as C
from shoestring.analyzers.quic.crypto import (QUICDecryptError, header_mask, hkdf_expand_label,
                                              hkdf_extract, initial_keys, unprotect)
from shoestring.analyzers.quic.parse import QUICParseError, parse_initial_frames, \
    parse_long_header

from . import vectors as V


def _hex(keys):
    return tuple(k.hex() for k in keys)


def test_rfc9001_a1_initial_secret_and_client_secret():
    # RFC 9001 A.1: initial_secret = HKDF-Extract(initial_salt, cid), then "client in"/"server in".
    initial = hkdf_extract(C.SALT_V1, V.DCID)
    assert initial.hex() == "7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44"
    assert hkdf_expand_label(initial, "client in", 32).hex() == V.V1_CLIENT_SECRET
    assert hkdf_expand_label(initial, "server in", 32).hex() == V.V1_SERVER_SECRET


def test_rfc9001_a1_keys_both_sides():
    assert _hex(initial_keys(C.VERSION_1, V.DCID, True)) == V.V1_CLIENT_KEYS
    assert _hex(initial_keys(C.VERSION_1, V.DCID, False)) == V.V1_SERVER_KEYS


def test_rfc9369_a1_keys_both_sides():
    # RFC 9369 A.1: same DCID, v2 salt and "quicv2 key/iv/hp" labels.
    initial = hkdf_extract(C.SALT_V2, V.DCID)
    assert hkdf_expand_label(initial, "client in", 32).hex() == V.V2_CLIENT_SECRET
    assert hkdf_expand_label(initial, "server in", 32).hex() == V.V2_SERVER_SECRET
    assert _hex(initial_keys(C.VERSION_2, V.DCID, True)) == V.V2_CLIENT_KEYS
    assert _hex(initial_keys(C.VERSION_2, V.DCID, False)) == V.V2_SERVER_KEYS


def test_rfc9001_a2_header_protection_mask():
    hp = bytes.fromhex(V.V1_CLIENT_KEYS[2])
    assert header_mask(hp, bytes.fromhex(V.V1_CLIENT_SAMPLE))[:5].hex() == V.V1_CLIENT_MASK


@pytest.mark.parametrize("version,packet,header,from_client,pn,payload", [
    (C.VERSION_1, V.V1_CLIENT_PACKET, V.V1_CLIENT_HEADER, True, 2, V.CLIENT_PAYLOAD),  # 9001 A.2
    (C.VERSION_1, V.V1_SERVER_PACKET, None, False, 1, V.SERVER_PAYLOAD),              # 9001 A.3
    (C.VERSION_2, V.V2_CLIENT_PACKET, V.V2_CLIENT_HEADER, True, 2, V.CLIENT_PAYLOAD),  # 9369 A.2
    (C.VERSION_2, V.V2_SERVER_PACKET, None, False, 1, V.SERVER_PAYLOAD),              # 9369 A.3
], ids=["v1-client", "v1-server", "v2-client", "v2-server"])
def test_decrypts_published_initials(version, packet, header, from_client, pn, payload):
    hdr = parse_long_header(packet)
    assert hdr.version == version and hdr.ptype == C.INITIAL
    assert hdr.end == len(packet)
    got_pn, plain = unprotect(packet, hdr.pn_offset, hdr.end,
                              initial_keys(version, V.DCID, from_client))
    assert got_pn == pn
    assert plain == payload
    if header is not None:                  # the unprotected header the appendix shows
        assert hdr.pn_offset == len(bytes.fromhex(header)) - 4


def test_client_initial_frames_and_hello():
    _, plain = unprotect(V.V1_CLIENT_PACKET, 18, 1200, initial_keys(C.VERSION_1, V.DCID, True))
    frames = parse_initial_frames(plain)
    assert [f[0] for f in frames] == ["crypto"]
    _, offset, data = frames[0]
    assert offset == 0 and len(data) == 0xF1 and data[0] == 1      # ClientHello, 241 bytes
    assert b"example.com" in data


@pytest.mark.parametrize("index", [20, 600, 1199])
def test_tampered_packet_does_not_decrypt(index):
    bad = bytearray(V.V1_CLIENT_PACKET)
    bad[index] ^= 0x01
    with pytest.raises(QUICDecryptError) as e:
        unprotect(bytes(bad), 18, 1200, initial_keys(C.VERSION_1, V.DCID, True))
    assert isinstance(e.value, QUICParseError) and e.value.weird == "QUIC_decryption_failed"


def test_wrong_dcid_does_not_decrypt():
    with pytest.raises(QUICDecryptError):
        unprotect(V.V1_CLIENT_PACKET, 18, 1200, initial_keys(C.VERSION_1, b"\x00" * 8, True))


def test_too_short_for_sample_or_tag():
    keys = initial_keys(C.VERSION_1, V.DCID, True)
    with pytest.raises(QUICDecryptError):
        unprotect(V.V1_CLIENT_PACKET[:30], 18, 30, keys)        # no 16-byte sample after pn
    with pytest.raises(QUICDecryptError):
        unprotect(V.V1_CLIENT_PACKET[:38], 18, 38, keys)        # sample, but no room for tag


def test_unknown_version_has_no_keys():
    with pytest.raises(QUICDecryptError):
        initial_keys(0x1A2A3A4A, V.DCID, True)


@given(st.binary(min_size=1, max_size=20), st.sampled_from([C.VERSION_1, C.VERSION_2]),
       st.booleans())
@settings(max_examples=100, deadline=None)
def test_initial_keys_match_the_plain_hkdf_chain(dcid, version, from_client):
    # initial_keys shares the Initial secret between sides and caches HMAC states; the
    # result must be what the RFC 9001 §5.2 chain gives step by step.
    salt, prefix = C.initial_salt_and_prefix(version)
    initial = std_hmac.digest(salt, dcid, "sha256")
    secret = hkdf_expand_label(initial, "client in" if from_client else "server in", 32)
    assert initial_keys(version, dcid, from_client) == (
        hkdf_expand_label(secret, prefix + " key", 16),
        hkdf_expand_label(secret, prefix + " iv", 12),
        hkdf_expand_label(secret, prefix + " hp", 16))


@given(st.binary(max_size=200), st.binary(max_size=300))
@example(bytes(range(64)), b"block-sized key")
@example(bytes(range(65)), b"key one byte over the block: hashed first")
@settings(max_examples=200, deadline=None)
def test_hmac_over_hashlib_matches_the_stdlib(key, msg):
    # crypto.py writes HMAC out over hashlib (RFC 2104) for speed: it must equal the
    # stdlib's, for keys shorter than, equal to and longer than SHA-256's 64-byte block.
    assert hkdf_extract(key, msg) == std_hmac.digest(key, msg, "sha256")
    assert hkdf_expand_label(key, "quic hp", 16) == std_hmac.digest(
        key, b"\x00\x10\x0dtls13 quic hp\x00\x01", "sha256")[:16]
