"""Hello extensions (RFC 8446 §4.2): the block walk and the bodies ssl.log and the
fingerprints read (server_name, ALPN, key_share groups, and the cached "static" ones).

Speed: these run for every extension of every hello, so the walk is unchecked when the
block is well formed (the checked walk names the fault otherwise) and the bodies that repeat
across a client's connections are parsed once per distinct body (a bounded cache).
Compiled with mypyc: the walk reads the u16 headers as ``body[i]`` (C array reads)."""

from __future__ import annotations

from typing import Final

from .consts import (EXT_ALPN, EXT_EC_POINT_FORMATS, EXT_KEY_SHARE, EXT_SERVER_NAME,
                     EXT_SIGNATURE_ALGORITHMS, EXT_SUPPORTED_GROUPS, EXT_SUPPORTED_VERSIONS)
from .records import TLSParseError
from .wire import U16_U16, _need, _text, _u16_vec, _vec16

#: Most extensions one hello may carry before we stop: there are ~60 registered types,
#: and a hello repeating them past this is hostile (it bounds the extension loop).
MAX_EXTENSIONS: Final = 256


def _walk(body: bytes, off: int, pick: frozenset[int] | None
          ) -> tuple[tuple[int, ...], list[tuple[int, bytes]]]:
    """Check the extensions block at ``off`` (absent = empty; RFC 8446 §4.1.2); returns
    (every type in wire order, [(type, body)] of the types in ``pick``, all if None).

    Speed: this loop runs for every extension of every hello, so a well-formed block is
    walked without per-extension checks; the walk must then land exactly on the block's
    end within MAX_EXTENSIONS steps, and anything else (an overrun, too many extensions)
    is walked again by :func:`_walk_checked`, which raises the precise error."""
    n = len(body)
    if off == n:
        return (), []
    if off + 2 > n:
        _need(body, off, 2, "extensions")
    end = off + 2 + ((body[off] << 8) | body[off + 1])
    if end > n:
        _need(body, off + 2, end - off - 2, "extensions")
    if end != n:
        # Trailing bytes after the extensions: tolerated by most stacks, but not ours to guess.
        raise TLSParseError(f"{n - end} bytes after extensions")
    types: list[int] = []
    picked: list[tuple[int, bytes]] = []
    pos = off + 2
    while pos < end:
        if pos + 4 > end:          # a header past the end (end == len(body) here)
            pos = -1
            break
        etype = (body[pos] << 8) | body[pos + 1]
        elen = (body[pos + 2] << 8) | body[pos + 3]
        types.append(etype)
        if pick is None or etype in pick:
            picked.append((etype, body[pos + 4:pos + 4 + elen]))
        pos += 4 + elen
    if pos != end or len(types) > MAX_EXTENSIONS:
        _walk_checked(body, off + 2, end)          # raises
        raise AssertionError("unreachable: the checked walk raises")  # pragma: no cover
    return tuple(types), picked


def _walk_checked(body: bytes, base: int, end: int) -> None:
    """The extension walk with every bound checked, for a block the fast walk could not
    finish cleanly: raises the error that names the first fault."""
    block = body[base:end]
    pos, count, n = 0, 0, len(block)
    while pos < n:
        if count >= MAX_EXTENSIONS:
            raise TLSParseError("too many extensions")
        _need(block, pos, 4, "extension header")
        _, elen = U16_U16.unpack_from(block, pos)
        _need(block, pos + 4, elen, "extension body")
        pos += 4 + elen
        count += 1


def parse_extensions(body: bytes, off: int) -> list[tuple[int, bytes]]:
    """The extensions block at ``off`` (absent = empty; RFC 8446 §4.1.2)."""
    return _walk(body, off, None)[1]


def parse_server_names(data: bytes) -> list[str]:
    """server_name's ServerNameList: the host_name entries (RFC 6066 §3)."""
    n = len(data)
    # The usual list: one host_name entry spanning the whole extension.
    if n >= 5 and data[2] == 0 and ((data[0] << 8) | data[1]) == n - 2 \
            and ((data[3] << 8) | data[4]) == n - 5:
        return [_text(data[5:])]
    block, end = _vec16(data, 0, "server_name list")
    if end != len(data):
        raise TLSParseError("server_name: trailing bytes")
    names: list[str] = []
    pos = 0
    while pos < len(block):
        _need(block, pos, 1, "server_name type")
        ntype = block[pos]
        name, pos = _vec16(block, pos + 1, "server_name")
        if ntype == 0:
            names.append(_text(name))
    return names


def parse_alpn(data: bytes) -> list[str]:
    """ALPN's ProtocolNameList (RFC 7301 §3.1)."""
    n = len(data)
    if n < 2:
        _need(data, 0, 2, "alpn list")
    end = 2 + ((data[0] << 8) | data[1])
    if end > n:
        _need(data, 2, end - 2, "alpn list")
    if end != n:
        raise TLSParseError("alpn: trailing bytes")
    protos: list[str] = []
    pos = 2
    while pos < n:
        nxt = pos + 1 + data[pos]
        if nxt > n:
            _need(data[2:], pos - 1, nxt - pos - 1, "alpn name")
        protos.append(_text(data[pos + 1:nxt]))
        pos = nxt
    return protos


def _key_share_groups(data: bytes) -> list[int]:
    """The groups of a client KeyShareClientHello (RFC 8446 §4.2.8)."""
    block, _ = _vec16(data, 0, "key_share list")
    groups: list[int] = []
    pos, n = 0, len(block)
    while pos < n:
        if pos + 4 > n:          # group and key length (either may be what is missing)
            _need(block, pos, 2, "key_share group")
            _need(block, pos + 2, 2, "key_share key")
        group = (block[pos] << 8) | block[pos + 1]
        klen = (block[pos + 2] << 8) | block[pos + 3]
        pos += 4 + klen
        if pos > n:
            _need(block, pos - klen, klen, "key_share key")
        groups.append(group)
    return groups


#: Client-hello extensions whose bodies the logs or fingerprints read; the others are kept
#: raw and never looked into.
_CH_PARSED: Final = frozenset({EXT_SERVER_NAME, EXT_ALPN, EXT_SUPPORTED_VERSIONS,
                               EXT_SUPPORTED_GROUPS, EXT_EC_POINT_FORMATS,
                               EXT_SIGNATURE_ALGORITHMS, EXT_KEY_SHARE})


#: Client-hello extensions whose bodies repeat across a client's connections (unlike the
#: server name or key shares); ALPN's parse outcome is cached by (type, body) (the others
#: are a slice and a bounds check, cheaper than the lookup once compiled).
_STATIC_EXTS: Final = frozenset({EXT_ALPN, EXT_SUPPORTED_VERSIONS, EXT_SUPPORTED_GROUPS,
                                 EXT_EC_POINT_FORMATS, EXT_SIGNATURE_ALGORITHMS})
#: Longest body cached: real ones are tens of bytes; a longer one is parsed every time, so
#: hostile hellos cannot fill the cache with big keys (4096 x 128 B bounds it to ~1 MiB).
MAX_CACHED_EXT_LEN: Final = 128
#: Entries kept (distinct bodies); when full the cache is emptied and refills.
MAX_CACHED_EXTS: Final = 4096
#: Largest raw input of the JA3/JA4 cache key (``fp_key``; real hellos need a few hundred
#: bytes): a hello with longer lists gets no key and its fingerprints are computed afresh,
#: which bounds the fingerprint caches' memory against hostile hellos.
MAX_FP_KEY_BYTES: Final = 1024
#: (type, body) -> ALPN's names (a tuple) or _BAD.
_STATIC_CACHE: Final[dict[tuple[int, bytes], object]] = {}
_BAD: Final = object()        # cached outcome: the body does not parse


def _static_ext(etype: int, data: bytes) -> object:
    """One _STATIC_EXTS body: the ALPN names (a tuple) or the list's validated raw bytes."""
    if etype == EXT_ALPN:
        return tuple(parse_alpn(data))
    if etype == EXT_EC_POINT_FORMATS:
        return _u16_vec(data, 1, "ec_point_formats")
    if etype == EXT_SUPPORTED_VERSIONS:
        raw = _u16_vec(data, 1, "supported_versions")
    elif etype == EXT_SUPPORTED_GROUPS:
        raw = _u16_vec(data, 2, "supported_groups")
    else:
        raw = _u16_vec(data, 2, "signature_algorithms")
    if len(raw) & 1:
        raise TLSParseError("odd-length u16 list")
    return raw
