"""x509: fields and renderings as Zeek's x509.log has them; hostile DER is an X509ParseError."""

import datetime
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from shoestring.analyzers.x509 import (X509ParseError, certificate_record, describe,
                                       fingerprint, hostname_matches, should_log)
from shoestring.analyzers.x509.render import escape_value, render_name, render_serial

T0 = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)


def build(key=None, subject=None, serial=0x0B6771, exts=(), sign_hash=hashes.SHA256()):
    key = key or ec.generate_private_key(ec.SECP384R1())
    subject = subject or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "leaf")])
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
         .public_key(key.public_key()).serial_number(serial)
         .not_valid_before(T0).not_valid_after(T0 + datetime.timedelta(days=1)))
    for e, critical in exts:
        b = b.add_extension(e, critical)
    return b.sign(key, sign_hash).public_bytes(serialization.Encoding.DER)


def test_ec_certificate_fields():
    der = build(exts=[(x509.SubjectAlternativeName([
        x509.DNSName("a.example"), x509.UniformResourceIdentifier("https://a.example/"),
        x509.RFC822Name("ops@a.example"), x509.IPAddress(ipaddress.ip_address("192.0.2.7")),
        x509.IPAddress(ipaddress.ip_address("2001:db8::1"))]), False),
        (x509.BasicConstraints(ca=True, path_length=0), True)])
    rec = certificate_record(der, 5.0, True, False)
    assert rec["fingerprint"] == fingerprint(der) and len(rec["fingerprint"]) == 64
    assert rec["certificate.version"] == 3 and rec["certificate.serial"] == "0B6771"
    assert rec["certificate.subject"] == rec["certificate.issuer"] == "CN=leaf"
    assert rec["certificate.not_valid_before"] == T0.timestamp()
    assert rec["certificate.key_alg"] == "id-ecPublicKey"
    assert rec["certificate.sig_alg"] == "ecdsa-with-SHA256"
    assert (rec["certificate.key_type"], rec["certificate.key_length"],
            rec["certificate.curve"], rec["certificate.exponent"]) == ("ecdsa", 384,
                                                                        "secp384r1", None)
    assert rec["san.dns"] == ["a.example"] and rec["san.uri"] == ["https://a.example/"]
    assert rec["san.email"] == ["ops@a.example"]
    assert rec["san.ip"] == ["192.0.2.7", "2001:db8::1"]
    assert rec["basic_constraints.ca"] is True and rec["basic_constraints.path_len"] == 0
    assert rec["host_cert"] is True and rec["client_cert"] is False and rec["ts"] == 5.0


def test_rsa_certificate_without_extensions_leaves_them_unset():
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    rec = describe(build(key=key, sign_hash=hashes.SHA384()))
    assert rec["certificate.key_alg"] == "rsaEncryption"
    assert rec["certificate.sig_alg"] == "sha384WithRSAEncryption"
    assert (rec["certificate.key_type"], rec["certificate.key_length"],
            rec["certificate.exponent"], rec["certificate.curve"]) == ("rsa", 1024, "65537", None)
    for f in ("san.dns", "san.uri", "san.email", "san.ip", "basic_constraints.ca",
              "basic_constraints.path_len"):
        assert rec[f] is None


def test_p256_is_prime256v1_as_openssl_names_it():
    rec = describe(build(key=ec.generate_private_key(ec.SECP256R1())))
    assert rec["certificate.curve"] == "prime256v1" and rec["certificate.key_length"] == 256


def test_name_rendering_order_escapes_and_multivalued_rdn():
    name = x509.Name([
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COUNTRY_NAME, "DE")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                                                           "1&1 Mail, Media+Co")]),
        x509.RelativeDistinguishedName([
            x509.NameAttribute(NameOID.LOCALITY_NAME, "TURNBKL"),
            x509.NameAttribute(NameOID.COMMON_NAME, "SERVR")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.EMAIL_ADDRESS,
                                                           "a@b.de")]),
    ])
    # through DER, as on the wire: the multi-valued RDN is a DER SET (CN sorts before L),
    # and OpenSSL prints every attribute last-to-first, so L comes before CN (as in Zeek's
    # rdp-x509 expected log: "L=TURNBKL+CN=SERVR")
    rendered = describe(build(subject=name))["certificate.subject"]
    assert rendered == "emailAddress=a@b.de,L=TURNBKL+CN=SERVR,O=1&1 Mail\\, Media\\+Co,C=DE"
    assert render_name(x509.Name([])) == ""


@pytest.mark.parametrize("value,text", [
    ("plain", "plain"), (" lead", "\\ lead"), ("#hash", "\\#hash"), ("trail ", "trail\\ "),
    ('a"b<c>d;e', 'a\\"b\\<c\\>d\\;e'), ("x\r\n", "x\\0D\\0A"), ("Müller", "M\\C3\\BCller"),
    ("back\\slash", "back\\\\slash"),
])
def test_escape_value_as_openssl_rfc2253(value, text):
    assert escape_value(value) == text


@pytest.mark.parametrize("serial,text", [(0, "00"), (0x26, "26"), (0x0100000001, "0100000001"),
                                         (0xF0AFBBF558BF4D1B71FED9CB33793EE4,
                                          "F0AFBBF558BF4D1B71FED9CB33793EE4"), (-5, "-05")])
def test_serial_rendering(serial, text):
    assert render_serial(serial) == text


def test_hostname_matching_rules():
    assert hostname_matches("www.example.com", ["*.example.com"], [])
    assert not hostname_matches("a.b.example.com", ["*.example.com"], [])
    assert not hostname_matches("example.com", ["*.example.com"], [])
    assert hostname_matches("EXAMPLE.com.", ["example.com"], [])
    assert hostname_matches("cn.example", None, ["cn.example"])          # CN only without SANs
    assert not hostname_matches("cn.example", ["other.example"], ["cn.example"])


def test_should_log_dedups_for_a_day():
    seen = {}
    assert should_log(seen, "fp", True, False, 0.0)
    assert not should_log(seen, "fp", True, False, 100.0)
    assert should_log(seen, "fp", False, False, 100.0)       # a different role is logged
    assert should_log(seen, "fp", True, False, 86400.0 + 1)


def test_garbage_and_oversized_der():
    with pytest.raises(X509ParseError):
        describe(b"\x30\x03abc")
    with pytest.raises(X509ParseError, match="max"):
        describe(b"\x30" * (200 * 1024))


SEED = build()


@given(st.data())
@settings(max_examples=150, deadline=None)
def test_mutated_certificates_only_raise_x509_parse_error(data):
    buf = bytearray(SEED)
    for _ in range(data.draw(st.integers(1, 6))):
        pos = data.draw(st.integers(0, len(buf) - 1))
        if data.draw(st.booleans()):
            buf[pos] = data.draw(st.integers(0, 255))
        else:
            del buf[pos:pos + data.draw(st.integers(1, 8))]
    try:
        rec = describe(bytes(buf))
    except X509ParseError:
        return
    assert rec["fingerprint"] == fingerprint(bytes(buf))


@given(st.binary(max_size=400))
@settings(max_examples=150)
def test_random_bytes_only_raise_x509_parse_error(blob):
    try:
        describe(blob)
    except X509ParseError:
        pass


def test_certificate_cache_parses_once_and_stays_bounded():
    from shoestring.analyzers.x509 import CertificateCache
    cache = CertificateCache(size=2)
    der = build()
    fp, fields, cns = cache.lookup(der)
    assert fp == fingerprint(der) and fields["certificate.subject"] == "CN=leaf"
    assert cns == ["leaf"]
    assert cache.lookup(der)[1] is fields          # the same parsed record: no second parse
    assert cache.lookup(b"junk")[1] is None        # a bad DER is remembered as bad
    cache.lookup(build())
    assert len(cache) == 2                         # the oldest entry made room
