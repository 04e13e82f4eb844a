"""Does a certificate cover a host name? ssl.log's sni_matches_cert, as Zeek's
x509_check_cert_hostname answers it: the DNS SANs, or the subject CNs when there are none;
a ``*`` only as the whole left-most label, matching exactly one label."""

from __future__ import annotations


def _match(pattern: str, host: str) -> bool:
    pattern = pattern.lower().rstrip(".")
    if pattern == host:
        return True
    if pattern.startswith("*.") and "*" not in pattern[2:]:
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:] and rest != ""
    return False


def hostname_matches(host: str, dns_sans: list[str] | None, common_names: list[str]) -> bool:
    host = host.lower().rstrip(".")
    names = dns_sans if dns_sans else common_names
    return any(_match(n, host) for n in names)
