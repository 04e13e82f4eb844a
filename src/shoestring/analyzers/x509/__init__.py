"""X.509 certificates for x509.log: parsed with cryptography, rendered as Zeek renders them.

Used by the TLS analyzer (and any other that meets certificates, e.g. RDP):
:func:`certificate_record` builds one x509.log record, :func:`hostname_matches` answers
ssl.log's sni_matches_cert, :func:`should_log` keeps Zeek's once-a-day deduplication.
"""

from __future__ import annotations

from .certificate import X509ParseError, common_names, describe, fingerprint
from .hostname import hostname_matches

__all__ = ["X509ParseError", "certificate_record", "fingerprint", "hostname_matches",
           "should_log", "common_names", "describe", "RELOG_AFTER"]

#: Zeek's X509::relog_known_certificates_after: a certificate already logged with the same
#: (fingerprint, host_cert, client_cert) is not logged again within a day of network time.
RELOG_AFTER = 86400.0


def certificate_record(der: bytes, ts: float, host_cert: bool, client_cert: bool) -> dict:
    """A whole x509.log record; raises X509ParseError when the DER does not load."""
    record = {"ts": ts}
    record.update(describe(der))
    record["host_cert"] = host_cert
    record["client_cert"] = client_cert
    return record


def should_log(seen: dict, fp: str, host_cert: bool, client_cert: bool, ts: float) -> bool:
    """Dedup state ``seen`` (shared across connections): True when this certificate is to
    be logged now, and remembers it."""
    key = (fp, host_cert, client_cert)
    last = seen.get(key)
    if last is not None and ts - last < RELOG_AFTER:
        return False
    seen[key] = ts
    return True
