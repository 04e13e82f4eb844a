"""One DER certificate → the fields of an x509.log record, parsed by ``cryptography``.

Never parsed by hand: ``x509.load_der_x509_certificate`` does the ASN.1; this module only
picks fields and renders them as Zeek does (render.py). A certificate that does not load
raises :class:`X509ParseError`; one whose optional parts are odd (an unknown key type, a
broken extension) still yields a record with those fields unset.
"""

from __future__ import annotations

import hashlib
import ipaddress
import warnings

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

from .render import CURVES, algorithm_name, render_name, render_serial

#: Largest certificate we hand to the parser: real ones are a few KiB, the biggest seen in
#: the wild (huge SAN lists) stay well under 64 KiB; the TLS layer bounds messages anyway.
MAX_CERT_LEN = 128 * 1024


class X509ParseError(ValueError):
    """Bytes that are not a certificate cryptography can load."""


def fingerprint(der: bytes) -> str:
    """SHA-256 of the DER, lower-case hex (Zeek's x509.log fingerprint)."""
    return hashlib.sha256(der).hexdigest()


def _key_fields(cert: x509.Certificate) -> dict:
    out = {"certificate.key_type": None, "certificate.key_length": None,
           "certificate.exponent": None, "certificate.curve": None}
    try:
        key = cert.public_key()
    except Exception:        # unsupported or malformed key: fields stay unset
        return out
    if isinstance(key, rsa.RSAPublicKey):
        out["certificate.key_type"] = "rsa"
        out["certificate.key_length"] = key.key_size
        out["certificate.exponent"] = str(key.public_numbers().e)
    elif isinstance(key, dsa.DSAPublicKey):
        out["certificate.key_type"] = "dsa"
        out["certificate.key_length"] = key.key_size
    elif isinstance(key, ec.EllipticCurvePublicKey):
        out["certificate.key_type"] = "ecdsa"
        out["certificate.key_length"] = key.curve.key_size
        out["certificate.curve"] = CURVES.get(key.curve.name, key.curve.name)
    return out


_SAN_UNSET = {"san.dns": None, "san.uri": None, "san.email": None, "san.ip": None}
_BC_UNSET = {"basic_constraints.ca": None, "basic_constraints.path_len": None}


def _san_fields(cert: x509.Certificate) -> dict:
    dns, uri, email, ip = [], [], [], []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):
        san = ()
    for name in san:
        if isinstance(name, x509.DNSName):
            dns.append(name.value)
        elif isinstance(name, x509.UniformResourceIdentifier):
            uri.append(name.value)
        elif isinstance(name, x509.RFC822Name):
            email.append(name.value)
        elif isinstance(name, x509.IPAddress) and not isinstance(
                name.value, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            ip.append(str(name.value))
    return {"san.dns": dns or None, "san.uri": uri or None, "san.email": email or None,
            "san.ip": ip or None}


def _constraints(cert: x509.Certificate) -> dict:
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except (x509.ExtensionNotFound, ValueError):
        return dict(_BC_UNSET)
    return {"basic_constraints.ca": bc.ca, "basic_constraints.path_len": bc.path_length}


def describe(der: bytes) -> dict:
    """The x509.log fields of one certificate, except ts, host_cert and client_cert."""
    return analyse(der)[0]


def analyse(der: bytes) -> tuple[dict, list[str]]:
    """(x509.log fields, subject CNs) from one load of the DER."""
    if len(der) > MAX_CERT_LEN:
        raise X509ParseError(f"certificate of {len(der)} bytes (max {MAX_CERT_LEN})")
    try:
        with warnings.catch_warnings():          # negative serials etc. only warn
            warnings.simplefilter("ignore")
            cert = x509.load_der_x509_certificate(der)
            serial = cert.serial_number
            version = cert.version.value + 1
            before = cert.not_valid_before_utc.timestamp()
            after = cert.not_valid_after_utc.timestamp()
            subject, issuer = render_name(cert.subject), render_name(cert.issuer)
            key_alg = algorithm_name(cert.public_key_algorithm_oid)
            sig_alg = algorithm_name(cert.signature_algorithm_oid)
            cns = [a.value for a in cert.subject.get_attributes_for_oid(
                x509.NameOID.COMMON_NAME) if isinstance(a.value, str)]
    except Exception as exc:   # cryptography raises ValueError and friends on bad DER
        raise X509ParseError(str(exc)) from exc
    record = {
        "fingerprint": fingerprint(der),
        "certificate.version": version,
        "certificate.serial": render_serial(serial),
        "certificate.subject": subject,
        "certificate.issuer": issuer,
        "certificate.not_valid_before": before,
        "certificate.not_valid_after": after,
        "certificate.key_alg": key_alg,
        "certificate.sig_alg": sig_alg,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        record.update(_key_fields(cert))
        for part, unset in ((_san_fields, _SAN_UNSET), (_constraints, _BC_UNSET)):
            try:
                record.update(part(cert))
            except Exception:  # a broken extension leaves its fields unset, not the record
                record.update(unset)
    return record, cns


def common_names(der: bytes) -> list[str]:
    """Subject CNs (for SNI matching when a certificate has no DNS SAN)."""
    try:
        cert = x509.load_der_x509_certificate(der)
        return [a.value for a in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
                if isinstance(a.value, str)]
    except Exception:
        return []
