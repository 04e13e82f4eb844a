"""Checks what the user typed before anything leaves the machine (targets, names, types, URL).

Each check returns the normalised value to send or raises InvalidInput with one line that
says what is wrong. Pure functions: no sockets, no resolver.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse

from .errors import InvalidInput

# RFC 1035 §2.3.4: a name is at most 255 octets on the wire, i.e. 253 characters of text
# without the trailing dot; a label is at most 63 octets.
MAX_NAME_CHARS = 253
MAX_LABEL_CHARS = 63

# Record types geonet's geodns answers for; anything else is refused before sending so a
# typo does not leak the name abroad for nothing.
ALLOWED_RTYPES = ("A", "AAAA", "CAA", "CNAME", "MX", "NS", "PTR", "SOA", "SRV", "TXT")

# A hostname label (RFC 952/1123): letters, digits, hyphen, not starting/ending with hyphen.
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)\Z")
# A DNS name label may also hold "_" (_dmarc, _sip._tcp SRV names; RFC 2782, RFC 7489).
_DNS_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)\Z")


def _to_ascii(text: str, what: str) -> str:
    """IDN to its xn-- form (what DNS carries); an invalid one is a user mistake."""
    if text.isascii():
        return text
    try:
        return text.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidInput(f"{what} {text!r} is not a valid internationalised name") from None


def _check_name(text: str, what: str, label_re: re.Pattern) -> str:
    name = _to_ascii(text.strip(), what)
    bare = name[:-1] if name.endswith(".") else name
    if not bare:
        raise InvalidInput(f"{what} is empty")
    if len(bare) > MAX_NAME_CHARS:
        raise InvalidInput(f"{what} is {len(bare)} characters long; DNS allows {MAX_NAME_CHARS}")
    for label in bare.split("."):
        if not label_re.match(label):
            raise InvalidInput(f"{what} {_show(text)} has an invalid label {_show(label)} "
                               f"(letters, digits and inner hyphens, 1-{MAX_LABEL_CHARS} long)")
    return bare.lower()


def _show(text: str) -> str:
    """Quote user input for an error line without letting control characters through."""
    return repr(text[:80] + ("..." if len(text) > 80 else ""))


def geoping_target(text: str) -> str:
    """An IP address that the internet can reach, or a hostname; returns what to send."""
    try:
        addr = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        addr = None
    if addr is not None:
        if not addr.is_global or addr.is_multicast:
            # Pinging 10.0.0.1 from abroad tells nothing, and sending it leaks our addressing.
            raise InvalidInput(f"{addr} is not a public address: vantage points on the internet "
                               "cannot reach it")
        return addr.compressed
    if any(c.isdigit() for c in text) and re.fullmatch(r"[0-9.]+", text.strip()):
        raise InvalidInput(f"{_show(text)} is not a valid IP address")
    name = _check_name(text, "target", _HOST_LABEL)
    if "." not in name:
        # "localhost" or an intranet short name: abroad it means something else, or nothing.
        raise InvalidInput(f"target {_show(text)} is a single-label name; give the full "
                           "public hostname")
    return name


def geodns_name(text: str, rtype: str) -> str:
    """A DNS name to resolve; for PTR an IP address becomes its in-addr/ip6.arpa name."""
    if rtype == "PTR":
        try:
            return ipaddress.ip_address(text.strip()).reverse_pointer
        except ValueError:
            pass
    try:
        ipaddress.ip_address(text.strip())
    except ValueError:
        return _check_name(text, "name", _DNS_LABEL)
    raise InvalidInput(f"{text.strip()} is an IP address, not a name (use --type PTR to look "
                       "up its reverse name, or geoping to ping it)")


def record_type(text: str) -> str:
    rtype = text.strip().upper()
    if rtype not in ALLOWED_RTYPES:
        raise InvalidInput(f"record type {_show(text)} is not one of {', '.join(ALLOWED_RTYPES)}")
    return rtype


def api_url(text: str) -> str:
    """The service's base URL: http(s)://host[:port][/prefix], without a trailing slash."""
    try:
        parts = urllib.parse.urlsplit(text.strip())
        parts.port  # raises ValueError for a port out of range or not a number
    except ValueError:
        raise InvalidInput(f"API URL {_show(text)} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"API URL {_show(text)} must look like https://host[:port][/path]")
    if parts.query or parts.fragment:
        raise InvalidInput(f"API URL {_show(text)} must not carry a query or fragment")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
