"""X.509 certificates for x509.log: parsed with cryptography, rendered as Zeek renders them.

Used by the TLS analyzer (and any other that meets certificates, e.g. RDP):
:func:`certificate_record` builds one x509.log record, :func:`hostname_matches` answers
ssl.log's sni_matches_cert, :func:`should_log` keeps Zeek's once-a-day deduplication.
"""

from __future__ import annotations

from .certificate import X509ParseError, analyse, common_names, describe, fingerprint
from .hostname import hostname_matches

__all__ = ["X509ParseError", "certificate_record", "fingerprint", "hostname_matches",
           "should_log", "common_names", "describe", "RELOG_AFTER", "CertificateCache"]

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


#: Certificates remembered per run. Servers send the same chain on every connection, so
#: each DER is parsed once; 4096 entries of a few KiB bound the memory to some MiB.
CACHE_SIZE = 4096


class CertificateCache:
    """fingerprint → (x509.log fields or None when the DER does not parse, subject CNs)."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self._entries: dict[str, tuple[dict | None, list[str]]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, der: bytes) -> tuple[str, dict | None, list[str]]:
        fp = fingerprint(der)
        hit = self._entries.get(fp)
        if hit is None:
            try:
                hit = analyse(der)
            except X509ParseError:
                hit = (None, [])
            if len(self._entries) >= self.size:          # drop the oldest entry
                del self._entries[next(iter(self._entries))]
            self._entries[fp] = hit
        return fp, hit[0], hit[1]
