"""Sans-IO SMTP parsers: lines, commands, replies, message headers, and the address
helpers of Zeek's base/utils (email.zeek, addrs.zeek) that smtp.log's fields go through.

All functions are pure; the only error type is :class:`ParseError`.
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple

from ..lines import next_line_crs_stripped as next_line  # noqa: F401  (re-exported)



class ParseError(Exception):
    """A line that is not the SMTP element it should be."""


class Reply(NamedTuple):
    code: int
    continued: bool             # "250-..." : more lines follow
    text: str


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def parse_command(line: bytes) -> tuple[str, str]:
    """(command word in upper case, argument with leading blanks skipped)."""
    word, _, rest = line.partition(b" ")
    if b"\t" in word:                       # Zeek's get_word stops at any blank
        word, _, more = word.partition(b"\t")
        rest = more + b" " + rest if rest else more
    return _text(word).upper(), _text(rest.lstrip(b" \t"))


def parse_reply(line: bytes) -> Reply:
    """"250-text" / "250 text". ParseError when the code is not 100-599, as Zeek."""
    if len(line) < 3 or not line[:3].isdigit():
        raise ParseError("reply without a code")
    code = int(line[:3])
    if not 100 <= code <= 599:
        raise ParseError(f"reply code {code} out of range")
    continued = line[3:4] == b"-"
    return Reply(code, continued, _text(line[4:] if continued else line[3:]).lstrip(" \t"))


# -- message headers (RFC 5322 section 2.2; folding 2.2.3) ---------------------------

_FIELD_NAME = re.compile(rb"[ \t]*([!-9;-~]+)[ \t]*:")


def _skip_lws_comments(text: str) -> str:
    """Zeek's MIME_skip_lws_comments: leading blanks and (nested) comments go."""
    pos, n = 0, len(text)
    while pos < n:
        ch = text[pos]
        if ch in " \t":
            pos += 1
        elif ch == "(":
            depth = 0
            while pos < n:                      # bounded by the string
                if text[pos] == "\\":
                    pos += 2
                    continue
                if text[pos] == "(":
                    depth += 1
                elif text[pos] == ")":
                    depth -= 1
                    if depth == 0:
                        pos += 1
                        break
                pos += 1
        else:
            break
    return text[pos:]


def parse_header(raw: bytes) -> tuple[str, str] | None:
    """A header's (NAME in upper case, value) from its unfolded bytes, or None when it
    has no field name (Zeek ignores such a line)."""
    m = _FIELD_NAME.match(raw)
    if m is None:
        return None
    return _text(m.group(1)).upper(), _skip_lws_comments(_text(raw[m.end():]))


# -- address helpers (Zeek's base/utils/email.zeek and addrs.zeek) ------------------

# email.zeek's pattern: (^|[<,:[:blank:]])[^<,:[:blank:]@]+"@"[^>,;[:blank:]]+([>,;[:blank:]]|$)
_EMAIL = re.compile(r"(?:^|[<,: \t])[^<,: \t@]+@[^>,; \t]+(?:[>,; \t]|$)")
_EMAIL_TRIM = re.compile(r"[<>,:; \t]")
_ORCPT = re.compile(r"ORCPT=rfc822;?")
_MIME_ADDR = re.compile(r'(?:"[^"]*")?[^,]+')
# Candidates for addrs.zeek's ip_addr_regex; every candidate is validated by ipaddress.
_IP_CANDIDATE = re.compile(r"[0-9A-Fa-f:]*:[0-9A-Fa-f:.]+|\d{1,3}(?:\.\d{1,3}){3}")
_WRAPS = {"[": "]", "(": ")", "{": "}", " ": " "}


def extract_email_addrs(text: str) -> list[str]:
    """extract_email_addrs_vec: addresses in order of appearance."""
    return [_EMAIL_TRIM.sub("", m) for m in _EMAIL.findall(text)]


def extract_first_email_addr(text: str) -> str | None:
    found = extract_email_addrs(text)
    return found[0] if found else None


def rcpt_addresses(arg: str) -> list[str]:
    """RCPT TO's addresses, with a DSN "ORCPT=rfc822;" prefix removed as Zeek does."""
    return [_ORCPT.sub("", a) for a in extract_email_addrs(arg)]


def split_mime_email_addresses(value: str) -> list[str]:
    """split_mime_email_addresses: comma-separated parts, quoted names kept whole."""
    out = []
    for part in _MIME_ADDR.findall(value):
        part = part.strip()
        if part not in out:
            out.append(part)
    return out


def extract_ip_addresses(text: str, check_wrapping: bool = False) -> list[str]:
    """extract_ip_addresses: valid IPv4/IPv6 addresses in order; with check_wrapping
    only those between matching brackets, parentheses, braces or spaces (or alone)."""
    out = []
    for m in _IP_CANDIDATE.finditer(text):
        candidate = m.group(0)
        try:
            ipaddress.ip_address(candidate)
        except ValueError:
            continue
        if check_wrapping:
            before = text[m.start() - 1] if m.start() > 0 else ""
            after = text[m.end()] if m.end() < len(text) else ""
            alone = m.start() == 0 and m.end() == len(text)
            if not alone and not (before in _WRAPS and _WRAPS[before] == after):
                continue
        out.append(candidate)
    return out


def find_address_in_smtp_header(value: str) -> str | None:
    """smtp/main.zeek: the second wrapped address of a Received header if there are
    several (the first is usually the sending host's claimed name), else the first."""
    ips = extract_ip_addresses(value, check_wrapping=True)
    if len(ips) > 1:
        return ips[1]
    return ips[0] if ips else None


def looks_like_smtp(payload: bytes, is_orig: bool) -> bool:
    """Detection signature after Zeek's dpd.sig: a server greeting "220 ..." /
    "220-", or a client's EHLO/HELO."""
    if is_orig:
        head = payload[:5].upper()
        return head in (b"EHLO ", b"HELO ")
    return len(payload) >= 4 and payload[:3] == b"220" and payload[3:4] in (b" ", b"-")
