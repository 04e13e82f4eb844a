"""Text renderings of X.509 values the way Zeek's x509.log prints them (through OpenSSL).

Names: ``X509_NAME_print_ex(..., XN_FLAG_RFC2253)``: attributes last-to-first, ``,`` between
RDNs and ``+`` inside a multi-valued RDN, OpenSSL's short names, values converted to UTF-8
with RFC 2253 specials backslash-escaped and control or non-ASCII bytes written ``\\XX``.
Algorithm names: OpenSSL's long names for the OIDs (``OBJ_obj2txt``), the dotted OID else.
"""

from __future__ import annotations

from cryptography import x509

# OpenSSL short names of attribute types (crypto/objects/objects.txt), by dotted OID.
NAME_ATTRS = {
    "2.5.4.3": "CN", "2.5.4.4": "SN", "2.5.4.5": "serialNumber", "2.5.4.6": "C",
    "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.9": "street", "2.5.4.10": "O", "2.5.4.11": "OU",
    "2.5.4.12": "title", "2.5.4.13": "description", "2.5.4.15": "businessCategory",
    "2.5.4.17": "postalCode", "2.5.4.41": "name", "2.5.4.42": "GN", "2.5.4.43": "initials",
    "2.5.4.44": "generationQualifier", "2.5.4.45": "x500UniqueIdentifier",
    "2.5.4.46": "dnQualifier", "2.5.4.65": "pseudonym", "2.5.4.97": "organizationIdentifier",
    "1.2.840.113549.1.9.1": "emailAddress", "1.2.840.113549.1.9.2": "unstructuredName",
    "1.2.840.113549.1.9.8": "unstructuredAddress",
    "0.9.2342.19200300.100.1.1": "UID", "0.9.2342.19200300.100.1.25": "DC",
    "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionL", "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionST",
    "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionC",
}

# OpenSSL long names of signature and public-key algorithm OIDs.
ALGORITHMS = {
    "1.2.840.113549.1.1.1": "rsaEncryption", "1.2.840.113549.1.1.2": "md2WithRSAEncryption",
    "1.2.840.113549.1.1.4": "md5WithRSAEncryption", "1.2.840.113549.1.1.5":
    "sha1WithRSAEncryption", "1.2.840.113549.1.1.10": "rsassaPss",
    "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
    "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
    "1.2.840.113549.1.1.13": "sha512WithRSAEncryption",
    "1.2.840.113549.1.1.14": "sha224WithRSAEncryption",
    "1.3.14.3.2.29": "sha1WithRSA", "1.3.14.3.2.3": "md5WithRSA",
    "1.2.840.10040.4.1": "dsaEncryption", "1.2.840.10040.4.3": "dsaWithSHA1",
    "2.16.840.1.101.3.4.3.1": "dsa_with_SHA224", "2.16.840.1.101.3.4.3.2": "dsa_with_SHA256",
    "1.2.840.10045.2.1": "id-ecPublicKey", "1.2.840.10045.4.1": "ecdsa-with-SHA1",
    "1.2.840.10045.4.3.1": "ecdsa-with-SHA224", "1.2.840.10045.4.3.2": "ecdsa-with-SHA256",
    "1.2.840.10045.4.3.3": "ecdsa-with-SHA384", "1.2.840.10045.4.3.4": "ecdsa-with-SHA512",
    "1.3.101.110": "X25519", "1.3.101.111": "X448", "1.3.101.112": "ED25519",
    "1.3.101.113": "ED448", "1.2.840.10046.2.1": "dhpublicnumber",
    "1.2.840.113549.1.3.1": "dhKeyAgreement",
}

# OpenSSL short names of named curves (OBJ_nid2sn), by the names cryptography uses.
CURVES = {"secp256r1": "prime256v1", "secp192r1": "prime192v1", "secp384r1": "secp384r1",
          "secp521r1": "secp521r1", "secp224r1": "secp224r1", "secp256k1": "secp256k1",
          "brainpoolP256r1": "brainpoolP256r1", "brainpoolP384r1": "brainpoolP384r1",
          "brainpoolP512r1": "brainpoolP512r1"}

_SPECIAL = frozenset(',+"\\<>;')


def escape_value(text: str) -> str:
    """One attribute value escaped as OpenSSL's ASN1_STRFLGS_RFC2253 does it."""
    # Most values are printable ASCII with nothing to escape: returned as they are,
    # without the per-byte loop below.
    if text.isascii() and text.isprintable() and _SPECIAL.isdisjoint(text) \
            and text[:1] not in ("#", " ") and text[-1:] != " ":
        return text
    raw = text.encode("utf-8", "surrogateescape")
    out = []
    last = len(raw) - 1
    for i, b in enumerate(raw):      # names are short; a loop here is per certificate only
        c = chr(b)
        if b >= 0x80 or b < 0x20 or b == 0x7F:
            out.append(f"\\{b:02X}")
        elif c in _SPECIAL or (i == 0 and c in "# ") or (i == last and c == " "):
            out.append("\\" + c)
        else:
            out.append(c)
    return "".join(out)


def _attr_text(attr: x509.NameAttribute) -> str:
    oid = attr.oid.dotted_string
    key = NAME_ATTRS.get(oid, oid)
    value = attr.value
    if isinstance(value, bytes):       # BIT STRING types: OpenSSL dumps them as #hex
        return f"{key}=#{value.hex().upper()}"
    return f"{key}={escape_value(value)}"


def render_name(name: x509.Name) -> str:
    """``CN=...,O=...,C=..`` as Zeek logs subject and issuer."""
    parts = []
    for rdn in reversed(name.rdns):
        parts.append("+".join(_attr_text(a) for a in reversed(list(rdn))))
    return ",".join(parts)


def render_serial(serial: int) -> str:
    """i2a_ASN1_INTEGER: the magnitude's bytes in upper-case hex, "-" before negatives."""
    sign = "-" if serial < 0 else ""
    mag = abs(serial)
    return sign + mag.to_bytes((mag.bit_length() + 7) // 8 or 1, "big").hex().upper()


def algorithm_name(oid: x509.ObjectIdentifier) -> str:
    return ALGORITHMS.get(oid.dotted_string, oid.dotted_string)
