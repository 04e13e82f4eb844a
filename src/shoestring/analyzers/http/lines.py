"""HTTP start lines and URIs: pure functions that read one line as Zeek's HTTP analyzer does.

Zeek's reading is deliberately lenient and these functions copy its decisions (method is
an RFC 7230 token, the URI runs over URI characters, the version is the first "HTTP/"
after it, a missing version means HTTP/0.9) so that logs match Zeek field for field.
"""

from __future__ import annotations

import re
from typing import Final

from .errors import HTTPParseError

#: (weird name, addl) anomalies found while reading a line.
Weirds = list[tuple[str, str | None]]

# RFC 7230 tchar: printable ASCII minus separators (Zeek's is_HTTP_token_char).
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]*")
# RFC 3986 reserved + unreserved characters, plus '%' (Zeek's end-of-URI scan).
_URI = re.compile(rb"[A-Za-z0-9:/?#\[\]@!$&'()*+,;=\-_.~%]*")
_WS: Final = b" \t"
_HTTP: Final = b"HTTP/"


def as_text(b: bytes) -> str:
    """Bytes from the wire as a log string (undecodable bytes kept, escaped by writers)."""
    return b.decode("utf-8", "surrogateescape")


def _match_end(rx: re.Pattern[bytes], data: bytes) -> int:
    """End of ``rx``'s match at the start of ``data`` (the patterns here match "" at
    least, so no match cannot happen; 0 keeps the checker and mypyc exact)."""
    m = rx.match(data)
    return m.end() if m is not None else 0


def _skip_ws(line: bytes, i: int) -> int:
    n = len(line)
    while i < n and line[i] in (32, 9):
        i += 1
    return i


def parse_version(raw: bytes) -> tuple[int, int] | None:
    """'1.1...' -> (1, 1); only [0-9].[0-9] is recognised, anything else is None."""
    if len(raw) >= 3 and 48 <= raw[0] <= 57 and raw[1] == 46 and 48 <= raw[2] <= 57:
        return (raw[0] - 48, raw[2] - 48)
    return None


def _find_version(rest: bytes, start: int, weirds: Weirds) -> tuple[int, int]:
    """Zeek's scan for the version: the first "HTTP/" at or after ``start`` once
    whitespace is skipped. Returns (end_of_uri, version_start) with version_start ==
    len(rest) when there is none."""
    n = len(rest)
    i = start
    while i < n:
        end_of_uri = i
        j = _skip_ws(rest, i)
        if rest.startswith(_HTTP, j):
            return end_of_uri, j
        if rest[j:j + 5].upper() == _HTTP:
            weirds.append(("lowercase_HTTP_keyword", None))
            return end_of_uri, j
        i = j + 1
    return i, n


def parse_request_line(line: bytes) -> tuple[bytes, bytes, tuple[int, int] | None, Weirds]:
    """One request line -> (method, raw_uri, version, weirds).

    ``version`` is (major, minor), (0, 9) when the line names none, or None when the
    line names one Zeek cannot read. ``weirds`` lists (name, addl) anomalies that do not
    stop the request. Raises HTTPParseError (weird = Zeek's name) when the line is not a
    request; its ``version`` attribute carries a version already read, as Zeek records
    it before giving up.
    """
    weirds: Weirds = []
    end_of_method = _match_end(_TOKEN, line)
    if end_of_method == 0:
        if len(line) >= 9 and line[-9:-3].lower() == b" http/":
            raise HTTPParseError("bad_HTTP_request_with_version")
        raise HTTPParseError("bad_HTTP_request")
    start = _skip_ws(line, end_of_method)
    if start == end_of_method:
        raise HTTPParseError("bad_HTTP_request")
    rest = line[start:]
    end_of_uri = _match_end(_URI, rest)
    if end_of_uri >= len(rest):
        if rest.startswith(_HTTP):
            weirds.append(("missing_HTTP_uri", None))
            end_of_uri = 0
        elif rest[:5].upper() == _HTTP:
            weirds.append(("lowercase_HTTP_keyword", None))
            weirds.append(("missing_HTTP_uri", None))
            end_of_uri = 0
    end_of_uri, vstart = _find_version(rest, end_of_uri, weirds)
    if vstart >= len(rest):
        version: tuple[int, int] | None = (0, 9)
    elif vstart + 8 <= len(rest):
        version = parse_version(rest[vstart + 5:])
    else:
        version = None          # "HTTP/1." and the like: Zeek leaves the version unset
    uri = rest[:end_of_uri]
    if version == (0, 9) and (end_of_method < 3 or not uri):
        # HTTP/0.9 only knows GET: a shorter method or no URI is not a request.
        err = HTTPParseError("bad_HTTP_request")
        err.version = version
        raise err
    return line[:end_of_method], uri, version, weirds


def parse_status_line(line: bytes) -> tuple[tuple[int, int] | None, int, bytes | None, Weirds]:
    """One status line -> (version, code, reason, weirds); reason is None when absent.

    Raises HTTPParseError when the line is not a status line (no "HTTP/", no code)."""
    weirds: Weirds = []
    if line.startswith(_HTTP):
        rest = 5
    elif line[:5].upper() == _HTTP:
        weirds.append(("lowercase_HTTP_keyword", None))
        rest = 5
    else:
        raise HTTPParseError("bad_HTTP_reply")
    version = parse_version(line[rest:])
    n = len(line)
    sp = rest
    while sp < n and line[sp] not in (32, 9):
        sp += 1
    if sp >= n:
        raise HTTPParseError("HTTP_reply_code_missing")
    c = _skip_ws(line, sp)
    if c + 3 > n:
        raise HTTPParseError("HTTP_reply_code_missing")
    digits = line[c:c + 3]
    code = int(digits) if digits.isdigit() else 0
    r = c + 3
    while r < n and line[r] not in (32, 9):
        r += 1
    if r >= n:
        return version, code, None, weirds
    return version, code, line[_skip_ws(line, r):], weirds


_HEX = b"0123456789abcdefABCDEF"


def unescape_uri(raw: bytes) -> tuple[bytes, Weirds]:
    """Percent-decoding as Zeek's unescape_URI does it, with its weirds."""
    if b"%" not in raw:
        return raw, []
    weirds: Weirds = []
    out = bytearray()
    i, n = 0, len(raw)
    while i < n:
        pct = raw.find(b"%", i)
        if pct < 0:
            out += raw[i:]
            break
        out += raw[i:pct]
        i = pct + 1
        if i == n:
            out += b"%"
            weirds.append(("illegal_%_at_end_of_URI", None))
            break
        if i + 1 == n:
            out += b"%" + raw[i:i + 1]
            weirds.append(("partial_escape_at_end_of_URI", None))
            break
        a, b = raw[i], raw[i + 1]
        if a == 37:                         # "%%": drop the first, look again
            weirds.append(("double_%_in_URI", None))
            continue
        if a in _HEX and b in _HEX:
            out.append(int(raw[i:i + 2], 16))
            i += 2
        elif (a == 117 and n - i >= 5 and all(x in _HEX for x in raw[i + 1:i + 5])):
            if raw[i + 1:i + 3] != b"00":   # %uXXXX: drop a zero high byte
                out.append(int(raw[i + 1:i + 3], 16))
            out.append(int(raw[i + 3:i + 5], 16))
            i += 5
        else:
            weirds.append(("unescaped_%_in_URI", None))
            out += b"%" + raw[i:i + 1]
            i += 1
    return bytes(out), weirds


def parse_content_range(value: bytes) -> tuple[int, int, int | None]:
    """A 206 reply's Content-Range "bytes first-last/instance" -> (first, length,
    instance) with instance None for "*" and 0 when unreadable (Zeek's reading).
    Raises HTTPParseError with Zeek's weird name when the range cannot be used."""
    tok = header_token(value)
    rng = value.lstrip(b" \t")[len(tok):].replace(b" ", b"")
    if tok != b"bytes":
        raise HTTPParseError("HTTP_content_range_unknown_byte_unit")
    spec, slash, inst = rng.partition(b"/")
    first, dash, last = spec.partition(b"-")
    text = rng.decode("latin-1")
    if (not slash or not dash or not first.isdigit() or not last.isdigit()
            or len(first) > 18 or len(last) > 18):
        raise HTTPParseError("HTTP_content_range_cannot_parse", text)
    f, l_ = int(first), int(last)
    if l_ < f:
        raise HTTPParseError("HTTP_non_positive_content_range", text)
    if inst == b"*":
        instance = None
    else:
        instance = int(inst) if inst.isdigit() and len(inst) <= 18 else 0
    return f, l_ - f + 1, instance


def header_token(value: bytes) -> bytes:
    """The first MIME token of a header value (what Zeek compares Content-Length etc. to)."""
    v = value.lstrip(b" \t")
    end = 0
    n = len(v)
    while end < n and v[end] not in b" \t;,()<>@:\\\"/[]?=":
        end += 1
    return v[:end]
