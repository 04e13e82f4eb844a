"""Sans-IO FTP parsers: control lines, replies, PORT/PASV/EPRT/EPSV addresses, paths.

Ports of the Zeek built-ins the ftp scripts rely on (parse_ftp_port, parse_ftp_pasv,
parse_eftp_port, parse_ftp_epsv, extract_count, build_path, compress_path), so the
log renders as Zeek's does. The only error type is :class:`ParseError`.
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple

from ..lines import next_line_crs_stripped as next_line  # noqa: F401  (re-exported)
from . import consts as C


class ParseError(Exception):
    """An FTP element that does not parse."""


class Endpoint(NamedTuple):
    """A data channel endpoint from PORT/PASV/EPRT/EPSV."""

    host: str
    port: int


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def parse_request(line: bytes) -> tuple[str, str]:
    """(COMMAND, argument) as Zeek's FTP analyzer splits a client line."""
    line = line.lstrip(b" \t")
    word, _, rest = line.partition(b" ")
    if b"\t" in word:
        word, _, more = word.partition(b"\t")
        rest = more + (b" " + rest if rest else b"")
    cmd = _text(word).upper() if word else C.MISSING
    return cmd, _text(rest.lstrip(b" \t"))


def reply_code(line: bytes) -> int:
    """The leading 3-digit code (100-999 as Zeek's get_reply_code accepts), or 0."""
    if len(line) >= 3 and line[:3].isdigit() and line[:1] != b"0":
        return int(line[:3])
    return 0


_PORT6 = re.compile(r"\s*(-?\d+),(-?\d+),(-?\d+),(-?\d+),(-?\d+),(-?\d+)")


def parse_ftp_port(text: str) -> Endpoint:
    """PORT h1,h2,h3,h4,p1,p2 (RFC 959 4.1.2). ParseError when Zeek says invalid."""
    m = _PORT6.match(text)
    if m is None:
        raise ParseError("not h1,h2,h3,h4,p1,p2")
    b = [int(x) for x in m.groups()]
    if any(not 0 <= x <= 255 for x in b):
        raise ParseError("PORT number out of byte range")
    return Endpoint(".".join(map(str, b[:4])), (b[4] << 8) | b[5])


def parse_ftp_pasv(msg: str) -> Endpoint:
    """The 227 reply's address, found as Zeek's parse_ftp_pasv finds it."""
    pos = msg.find("(")
    if pos >= 0:
        rest = msg[pos + 1:]
    elif (pos := msg.find("PORT")) >= 0:
        rest = msg[pos + 5:]
    elif (pos := msg.find(",")) >= 0:
        start = pos
        while start > 0 and msg[start - 1].isdigit():
            start -= 1
        rest = msg[start:]
    else:
        raise ParseError("no address in PASV reply")
    return parse_ftp_port(rest)


def parse_eftp(text: str) -> Endpoint:
    """EPRT/EPSV's <d>proto<d>address<d>port<d> (RFC 2428); host "::" when absent."""
    text = text.lstrip()
    if not text:
        raise ParseError("empty extended address")
    d = text[0]
    parts = text[1:].split(d)
    if len(parts) < 4:
        raise ParseError("extended address needs four delimiters")
    proto, host, port = parts[0], parts[1], parts[2]
    if proto and not proto.isdigit():
        raise ParseError("bad network protocol")
    if host:
        try:
            host = str(ipaddress.ip_address(host))
        except ValueError as exc:
            raise ParseError("bad address") from exc
    else:
        host = "::"
    if not port.isdigit() or int(port) > 65535:
        raise ParseError("bad port")
    return Endpoint(host, int(port))


def parse_ftp_epsv(msg: str) -> Endpoint:
    pos = msg.find("(")
    if pos < 0:
        raise ParseError("no ( in EPSV reply")
    return parse_eftp(msg[pos + 1:])


_NUMBER = re.compile(r"[0-9]+")


def extract_count_last(text: str) -> int:
    """Zeek's extract_count(s, F): the last number in the text, 0 if there is none
    (that is Zeek's value, so ftp.log shows it too)."""
    nums = _NUMBER.findall(text)
    return int(nums[-1]) if nums else 0


_ABSOLUTE = re.compile(r"(/|[A-Za-z]:[\\/]).*", re.S)


def build_path(directory: str, name: str) -> str:
    if _ABSOLUTE.fullmatch(name) or directory == "":
        return name
    return directory + ("" if directory.endswith("/") else "/") + name


def compress_path(path: str) -> str:
    """Zeek's compress_path: "//" and "/./" collapse, "dir/.." cancels; a leading "./"
    or ".." that nothing cancels stays."""
    absolute = path.startswith("/")
    out: list[str] = []
    parts = path.split("/")
    for i, part in enumerate(parts):
        if part == "" and i not in (0, len(parts) - 1):
            continue
        if part == "." and i > 0:
            continue
        if part == ".." and out and out[-1] not in ("..", ".", ""):
            out.pop()
            continue
        out.append(part)
    result = "/".join(out)
    if absolute and not result.startswith("/"):
        result = "/" + result
    return result


def build_url_ftp(resp_h: str, cwd: str, arg: str) -> str:
    """ftp://host/path as Zeek's build_url_ftp (IPv6 hosts in brackets)."""
    path = compress_path(build_path(cwd, arg))
    if not path.startswith("/"):
        path = "/" + path
    host = f"[{resp_h}]" if ":" in resp_h else resp_h
    return f"ftp://{host}{path}"


_QUOTED_DIR = re.compile(r'"((?:/|[A-Za-z]:[\\/])[^"]*)"')
_DIR = re.compile(r'(?:/|[A-Za-z]:[\\/])(?:[^" ]|\\ )*')


def extract_path(text: str) -> str:
    """Zeek's extract_path: the first (quoted, else bare) absolute path, or ""."""
    m = _QUOTED_DIR.search(text)
    if m:
        return m.group(1)
    m = _DIR.search(text)
    return m.group(0) if m else ""


_B64 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


def first_illegal_base64(data: bytes) -> int | None:
    """The first byte outside the base64 alphabet (Zeek weirds on it), or None."""
    illegal = data.translate(None, bytes(_B64))
    return illegal[0] if illegal else None


def looks_like_ftp(payload: bytes, is_orig: bool) -> bool:
    """Zeek's dpd.sig: a client USER/PASS line or a server's 220 greeting."""
    if is_orig:
        return payload[:5].upper() in (b"USER ", b"PASS ")
    return payload[:4] in (b"220 ", b"220-")
