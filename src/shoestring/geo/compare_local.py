"""geodns --compare-local: what this machine's resolver answers, and whether it agrees abroad.

A name whose local answers share nothing with any remote vantage point is flagged: that is
what a hijacked resolver, a poisoned cache or a DNS-based block looks like. It is a lead,
not proof: CDNs (google.com, akamai) legitimately hand out different addresses per place.

A/AAAA go through socket.getaddrinfo, i.e. exactly what every program here gets (nsswitch,
/etc/hosts, the system resolver). Other types have no stdlib API, so they use dnspython with
the system's resolv.conf; --nameserver points either at one server instead.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import NamedTuple

from .answers import DnsResult
from .errors import InvalidInput, LocalResolverError

ADDRESS_TYPES = {"A": socket.AF_INET, "AAAA": socket.AF_INET6}
# getaddrinfo errors that mean "no such name / no such record", i.e. an empty answer, as
# opposed to a resolver that could not do its job.
_NO_ANSWER_EAI = {getattr(socket, n) for n in ("EAI_NONAME", "EAI_NODATA", "EAI_ADDRFAMILY")
                  if hasattr(socket, n)}


class Comparison(NamedTuple):
    local: tuple[str, ...]      # normalised local answers, sorted
    remote: frozenset[str]      # normalised answers of all vantage points together
    mismatch: bool              # local answers share nothing with any vantage point

    @property
    def shared(self) -> frozenset[str]:
        return self.remote.intersection(self.local)


def normalise(rtype: str, value: str) -> str:
    """One spelling per answer, so geonet's text and the local resolver's compare equal:
    addresses in compressed form, names lower-case without the final dot, MX as its exchange
    (geonet and resolvers disagree on whether the preference is shown), TXT unquoted."""
    value = value.strip()
    if rtype in ADDRESS_TYPES:
        try:
            return ipaddress.ip_address(value).compressed
        except ValueError:
            return value.lower()
    if rtype == "TXT":
        if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
            # '"part one" "part two"' is one TXT record split into strings; join them.
            return "".join(value[1:-1].split('" "'))
        return value
    tokens = [t.lower().rstrip(".") if t != "." else t for t in value.split()]
    if rtype == "MX" and tokens:
        return tokens[-1]
    return " ".join(tokens)


def compare(rtype: str, local: set[str], remote: list[DnsResult]) -> Comparison:
    remote_values = frozenset(normalise(rtype, a.value) for r in remote for a in r.answers)
    local_values = tuple(sorted(normalise(rtype, v) for v in local))
    # Both empty (a name that exists nowhere) agrees; one side empty does not.
    mismatch = bool(local_values or remote_values) and not remote_values.intersection(local_values)
    return Comparison(local_values, remote_values, mismatch)


def parse_nameserver(text: str) -> tuple[str, int]:
    """IP, IP:PORT or [IPv6]:PORT -> (ip, port)."""
    host, port = text.strip(), 53
    if host.startswith("["):
        host, _, rest = host[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise InvalidInput(f"nameserver {text!r} is not IP, IP:PORT or [IPv6]:PORT")
            port = _port(rest[1:], text)
    elif host.count(":") == 1:
        host, raw = host.split(":")
        port = _port(raw, text)
    try:
        return ipaddress.ip_address(host).compressed, port
    except ValueError:
        raise InvalidInput(f"nameserver {text!r} is not an IP address") from None


def _port(raw: str, text: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise InvalidInput(f"nameserver {text!r} has an invalid port")
    return int(raw)


def resolve_local(name: str, rtype: str, *, nameserver: tuple[str, int] | None = None,
                  timeout: float = 10.0) -> set[str]:
    """The answers this machine gets for name/rtype, as text; empty for no such name."""
    if rtype in ADDRESS_TYPES and nameserver is None:
        return _getaddrinfo(name, ADDRESS_TYPES[rtype])
    return _dnspython(name, rtype, nameserver, timeout)


def _getaddrinfo(name: str, family: int) -> set[str]:
    try:
        infos = socket.getaddrinfo(name, None, family, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        if exc.errno in _NO_ANSWER_EAI:
            return set()
        raise LocalResolverError(f"this machine's resolver failed for {name}: {exc.strerror}") from None
    except (UnicodeError, OSError) as exc:
        raise LocalResolverError(f"this machine's resolver failed for {name}: {exc}") from None
    # sockaddr[0] is the address; IPv6 may carry a %scope we do not compare on.
    return {info[4][0].split("%")[0] for info in infos if info[0] == family}


def _dnspython(name: str, rtype: str, nameserver, timeout: float) -> set[str]:
    try:
        import dns.exception
        import dns.resolver
    except ImportError:
        raise InvalidInput(f"--compare-local for {rtype} records (or with --nameserver) needs "
                           "dnspython: pip install dnspython") from None
    try:
        if nameserver is None:
            resolver = dns.resolver.Resolver()
        else:
            resolver = dns.resolver.Resolver(configure=False)
            resolver.nameservers = [nameserver[0]]
            resolver.port = nameserver[1]
        answer = resolver.resolve(name, rtype, lifetime=timeout, raise_on_no_answer=False,
                                  search=False)
    except dns.resolver.NXDOMAIN:
        return set()
    except dns.exception.DNSException as exc:
        raise LocalResolverError(f"this machine's resolver failed for {name} {rtype}: "
                                 f"{type(exc).__name__}") from None
    return {_rdata_text(rtype, rd) for rd in (answer.rrset or ())}


def _rdata_text(rtype: str, rdata) -> str:
    if rtype == "TXT":
        return b"".join(rdata.strings).decode("utf-8", "replace")
    return rdata.to_text()
