"""TLS handshake message parsers: pure functions from message bytes to small tuples.

Each ``parse_*`` takes the body of one handshake message (the bytes after the 4-byte
handshake header, RFC 8446 §4) and returns a NamedTuple, or raises :class:`TLSParseError`.
No state, no I/O: the QUIC analyzer feeds the ClientHello it finds in CRYPTO frames to the
same functions the TCP analyzer uses. The record layer (records, fragments, DTLS, SSLv2)
lives in ``records.py`` and is re-exported here.

Speed: hellos arrive once per connection, but lists of u16 are still unpacked with one
``struct.unpack`` call each rather than a Python loop over bytes.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from .consts import (EXT_ALPN, EXT_EC_POINT_FORMATS, EXT_KEY_SHARE, EXT_PRE_SHARED_KEY,
                     EXT_SERVER_NAME, EXT_SIGNATURE_ALGORITHMS,
                     EXT_SUPPORTED_GROUPS, EXT_SUPPORTED_VERSIONS, HRR_RANDOM)
from .records import *  # noqa: F401,F403  (the record layer, re-exported)
from .records import TLSParseError


U8 = struct.Struct(">B")
U16 = struct.Struct(">H")
U16_U16 = struct.Struct(">HH")           # extension header: type, length (RFC 8446 §4.2)
VERSION_RANDOM = struct.Struct(">H32s")  # legacy_version, random (RFC 8446 §4.1.2)

#: Most extensions one hello may carry before we stop: there are ~60 registered types,
#: and a hello repeating them past this is hostile (it bounds the extension loop).
MAX_EXTENSIONS = 256
#: Most certificates one Certificate message may carry: real chains are < 10 deep and the
#: message is itself bounded by records.MAX_HANDSHAKE_LEN; this bounds the loop.
MAX_CERTIFICATES = 64


class ClientHello:
    """A ClientHello (RFC 8446 §4.1.2; SSLv2 §2.5 when ``sslv2``).

    Built like a NamedTuple (the same fields, in this order). A hello from
    :func:`parse_client_hello` is lazy: the list fields (cipher suites, extensions, ...)
    are decoded from the already-validated bytes on first access, since on the hot path
    the fingerprint cache (``fp_key``) and ``ext_types`` answer without them."""

    _FIELDS = ("legacy_version", "random", "session_id", "cipher_suites",
               "compression_methods", "extensions", "server_name", "alpn",
               "supported_versions", "supported_groups", "ec_point_formats",
               "signature_algorithms", "key_share_groups", "server_names", "bad_extensions",
               "sslv2", "cookie", "ext_types", "fp_key")
    __slots__ = ("legacy_version", "random", "session_id", "_cipher_suites",
                 "_compression_methods", "_extensions", "server_name", "alpn",
                 "_supported_versions", "_supported_groups", "_ec_point_formats",
                 "_signature_algorithms", "key_share_groups", "server_names",
                 "bad_extensions", "sslv2", "cookie", "ext_types", "fp_key", "_raw")

    legacy_version: int
    random: bytes
    session_id: bytes
    server_name: str | None                  # first host_name of server_name
    alpn: list[str]
    key_share_groups: list[int]
    server_names: list[str]                  # every host_name (Zeek weirds on > 1)
    bad_extensions: list[int]                # extensions whose body did not parse
    sslv2: bool
    cookie: bytes | None                     # DTLS HelloVerifyRequest cookie echo
    ext_types: tuple[int, ...] | None        # extension types in wire order (parsed hellos)
    fp_key: tuple | None                     # JA3/JA4's raw inputs: the fingerprint cache key

    def __init__(self, legacy_version: int, random: bytes, session_id: bytes,
                 cipher_suites: list[int], compression_methods: list[int],
                 extensions: list[tuple[int, bytes]], server_name: str | None,
                 alpn: list[str], supported_versions: list[int], supported_groups: list[int],
                 ec_point_formats: list[int], signature_algorithms: list[int],
                 key_share_groups: list[int], server_names: list[str],
                 bad_extensions: list[int], sslv2: bool = False, cookie: bytes | None = None,
                 ext_types: tuple[int, ...] | None = None, fp_key: tuple | None = None):
        self.legacy_version, self.random, self.session_id = legacy_version, random, session_id
        self._cipher_suites, self._compression_methods = cipher_suites, compression_methods
        self._extensions, self.server_name, self.alpn = extensions, server_name, alpn
        self._supported_versions, self._supported_groups = supported_versions, supported_groups
        self._ec_point_formats, self._signature_algorithms = ec_point_formats, \
            signature_algorithms
        self.key_share_groups, self.server_names = key_share_groups, server_names
        self.bad_extensions, self.sslv2, self.cookie = bad_extensions, sslv2, cookie
        self.ext_types, self.fp_key, self._raw = ext_types, fp_key, None

    # The lazy fields: None until first read when the parser left their raw bytes in _raw
    # = (body, extensions offset, suites, compression, versions, groups, points, sigalgs).
    @property
    def cipher_suites(self) -> list[int]:
        if self._cipher_suites is None:
            self._cipher_suites = u16_list(self._raw[2])
        return self._cipher_suites

    @property
    def compression_methods(self) -> list[int]:
        if self._compression_methods is None:
            self._compression_methods = list(self._raw[3])
        return self._compression_methods

    @property
    def extensions(self) -> list[tuple[int, bytes]]:
        """(type, raw body) in wire order."""
        if self._extensions is None:
            self._extensions = _walk(self._raw[0], self._raw[1], None)[1]
        return self._extensions

    @property
    def supported_versions(self) -> list[int]:
        if self._supported_versions is None:
            self._supported_versions = u16_list(self._raw[4])
        return self._supported_versions

    @property
    def supported_groups(self) -> list[int]:
        if self._supported_groups is None:
            self._supported_groups = u16_list(self._raw[5])
        return self._supported_groups

    @property
    def ec_point_formats(self) -> list[int]:
        if self._ec_point_formats is None:
            self._ec_point_formats = list(self._raw[6])
        return self._ec_point_formats

    @property
    def signature_algorithms(self) -> list[int]:
        if self._signature_algorithms is None:
            self._signature_algorithms = u16_list(self._raw[7])
        return self._signature_algorithms

    def _astuple(self) -> tuple:
        return tuple(getattr(self, name) for name in self._FIELDS)

    def __eq__(self, other: object) -> bool:
        # the hello's values; ext_types and fp_key are derived from them (and only the
        # parser sets them), so they do not take part
        if not isinstance(other, ClientHello):
            return NotImplemented
        return self._astuple()[:17] == other._astuple()[:17]

    __hash__ = None         # type: ignore[assignment]   (mutable lists inside, as before)

    def __repr__(self) -> str:
        return "ClientHello(" + ", ".join(f"{name}={getattr(self, name)!r}"
                                          for name in self._FIELDS) + ")"


class ServerHello(NamedTuple):
    """A ServerHello or HelloRetryRequest (RFC 8446 §4.1.3-4)."""

    legacy_version: int
    random: bytes
    session_id: bytes
    cipher_suite: int
    compression_method: int
    extensions: list[tuple[int, bytes]]
    selected_version: int | None             # supported_versions extension
    alpn: list[str]
    key_share_group: int | None
    ec_point_formats: list[int]
    is_hrr: bool                             # random is the HelloRetryRequest magic
    psk_selected: bool                       # pre_shared_key extension present
    bad_extensions: list[int]
    sslv2: bool = False
    ext_types: tuple[int, ...] | None = None  # extension types in wire order (parsed hellos)

    @property
    def version(self) -> int:
        """The negotiated version: supported_versions wins over legacy_version."""
        return self.selected_version if self.selected_version is not None \
            else self.legacy_version


def _need(body: bytes, off: int, n: int, what: str) -> None:
    if n < 0 or off + n > len(body):
        raise TLSParseError(f"{what}: need {n} bytes at {off}, have {len(body) - off}")


def _vec8(body: bytes, off: int, what: str) -> tuple[bytes, int]:
    """An opaque<0..2^8-1>: returns (value, next offset)."""
    _need(body, off, 1, what)
    n = body[off]
    _need(body, off + 1, n, what)
    return body[off + 1:off + 1 + n], off + 1 + n


def _vec16(body: bytes, off: int, what: str) -> tuple[bytes, int]:
    """An opaque<0..2^16-1>: returns (value, next offset)."""
    _need(body, off, 2, what)
    (n,) = U16.unpack_from(body, off)
    _need(body, off + 2, n, what)
    return body[off + 2:off + 2 + n], off + 2 + n


#: struct.Struct per u16-list length seen (a hello's lists are short; the formats are
#: compiled once instead of parsed from a fresh format string every call).
_U16_LISTS: dict[int, struct.Struct] = {}
#: Longest list whose Struct is kept: a u16 list inside a bounded handshake message.
_U16_LIST_CACHED = 512


def u16_list(data: bytes) -> list[int]:
    """A packed list of big-endian u16 (odd trailing byte is an error)."""
    n = len(data)
    if n & 1:
        raise TLSParseError("odd-length u16 list")
    if not n:
        return []
    fmt = _U16_LISTS.get(n)
    if fmt is None:
        fmt = struct.Struct(f">{n // 2}H")
        if n <= _U16_LIST_CACHED:
            _U16_LISTS[n] = fmt
    return list(fmt.unpack(data))


def _text(raw: bytes) -> str:
    # Names are ASCII on the wire (IDNA). Other bytes survive as surrogates, which the log
    # writers print as \xNN the way Zeek does, and fingerprints can recover exactly.
    return raw.decode("utf-8", "surrogateescape")


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
    add_type, add, unpack = types.append, picked.append, U16_U16.unpack_from
    pos = off + 2
    try:
        if pick is None:
            while pos < end:
                etype, elen = unpack(body, pos)
                add_type(etype)
                add((etype, body[pos + 4:pos + 4 + elen]))
                pos += 4 + elen
        else:
            while pos < end:
                etype, elen = unpack(body, pos)
                add_type(etype)
                if etype in pick:
                    add((etype, body[pos + 4:pos + 4 + elen]))
                pos += 4 + elen
    except struct.error:           # a header past the end (end == len(body) here)
        pos = -1
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
    names, pos = [], 0
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
    protos, pos = [], 2
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
    groups, pos, n = [], 0, len(block)
    while pos < n:
        if pos + 4 > n:          # group and key length (either may be what is missing)
            _need(block, pos, 2, "key_share group")
            _need(block, pos + 2, 2, "key_share key")
        group, klen = U16_U16.unpack_from(block, pos)
        pos += 4 + klen
        if pos > n:
            _need(block, pos - klen, klen, "key_share key")
        groups.append(group)
    return groups


#: Client-hello extensions whose bodies the logs or fingerprints read; the others are kept
#: raw and never looked into.
_CH_PARSED = frozenset({EXT_SERVER_NAME, EXT_ALPN, EXT_SUPPORTED_VERSIONS, EXT_SUPPORTED_GROUPS,
                        EXT_EC_POINT_FORMATS, EXT_SIGNATURE_ALGORITHMS, EXT_KEY_SHARE})


def _u16_vec(data: bytes, width: int, what: str) -> bytes:
    """The payload of an opaque vector with a ``width``-byte length at the start of
    ``data`` (the rest is ignored, as before); checked inline, ``_need`` raises."""
    n = len(data)
    if width == 1:
        if n < 1:
            _need(data, 0, 1, what)
        end = 1 + data[0]
    else:
        if n < 2:
            _need(data, 0, 2, what)
        end = 2 + ((data[0] << 8) | data[1])
    if end > n:
        _need(data, width, end - width, what)
    return data[width:end]


#: Client-hello extensions whose bodies repeat across a client's connections (unlike the
#: server name or key shares): their parse outcome is cached by (type, body).
_STATIC_EXTS = frozenset({EXT_ALPN, EXT_SUPPORTED_VERSIONS, EXT_SUPPORTED_GROUPS,
                          EXT_EC_POINT_FORMATS, EXT_SIGNATURE_ALGORITHMS})
#: Longest body cached: real ones are tens of bytes; a longer one is parsed every time, so
#: hostile hellos cannot fill the cache with big keys (4096 x 128 B bounds it to ~1 MiB).
MAX_CACHED_EXT_LEN = 128
#: Entries kept (distinct bodies); when full the cache is emptied and refills.
MAX_CACHED_EXTS = 4096
#: Largest raw input of the JA3/JA4 cache key (``fp_key``; real hellos need a few hundred
#: bytes): a hello with longer lists gets no key and its fingerprints are computed afresh,
#: which bounds the fingerprint caches' memory against hostile hellos.
MAX_FP_KEY_BYTES = 1024
_STATIC_CACHE: dict[tuple[int, bytes], object] = {}
_BAD = object()        # cached outcome: the body does not parse


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


def parse_client_hello(body: bytes, dtls: bool = False) -> ClientHello:
    """A ClientHello's body (after the handshake header). ``dtls``: RFC 6347 §4.2.1 cookie.

    Speed: one per TLS/QUIC connection, so the fixed part is read with inline bounds
    checks (``_need`` only raises), and only the extensions the logs and fingerprints read
    are looked into. ``fp_key`` holds the raw inputs of JA3/JA4 for their cache."""
    n = len(body)
    if n < 34:
        _need(body, 0, 34, "client_hello version/random")
    version, random = VERSION_RANDOM.unpack_from(body, 0)
    off = 35 + body[34] if n > 34 else 35        # session_id: an inline _vec8
    if off > n:
        _vec8(body, 34, "session_id")             # raises the usual error
    session_id = body[35:off]
    if len(session_id) > 32:
        raise TLSParseError(f"session_id of {len(session_id)} bytes (max 32)")
    cookie = None
    if dtls:
        cookie, off = _vec8(body, off, "dtls cookie")
    if off + 2 > n:
        _need(body, off, 2, "cipher_suites")
    nxt = off + 2 + ((body[off] << 8) | body[off + 1])
    if nxt > n:
        _need(body, off + 2, nxt - off - 2, "cipher_suites")
    suites_raw, off = body[off + 2:nxt], nxt
    if off + 1 > n:
        _need(body, off, 1, "compression_methods")
    nxt = off + 1 + body[off]
    if nxt > n:
        _need(body, off + 1, nxt - off - 1, "compression_methods")
    comp, off = body[off + 1:nxt], nxt
    types, exts = _walk(body, off, _CH_PARSED)
    if len(suites_raw) & 1:
        raise TLSParseError("odd-length u16 list")
    sni, server_names, alpn, shares, bad = None, [], [], [], []
    versions_raw = groups_raw = points_raw = sigalgs_raw = b""
    static, cache = _STATIC_EXTS, _STATIC_CACHE
    for etype, data in exts:
        if etype in static:
            # the same few bodies on every connection of a client: parsed once
            value = cache.get((etype, data)) if len(data) <= MAX_CACHED_EXT_LEN else None
            if value is None:
                try:
                    value = _static_ext(etype, data)
                except TLSParseError:
                    value = _BAD
                if len(data) <= MAX_CACHED_EXT_LEN:
                    if len(cache) >= MAX_CACHED_EXTS:
                        cache.clear()
                    cache[(etype, data)] = value
            if value is _BAD:
                bad.append(etype)     # keep the hello; the analyzer records a weird
            elif etype == EXT_ALPN:
                alpn = list(value)
            elif etype == EXT_SUPPORTED_VERSIONS:
                versions_raw = value
            elif etype == EXT_SUPPORTED_GROUPS:
                groups_raw = value
            elif etype == EXT_EC_POINT_FORMATS:
                points_raw = value
            else:                                       # EXT_SIGNATURE_ALGORITHMS
                sigalgs_raw = value
            continue
        try:
            if etype == EXT_SERVER_NAME:
                if data:
                    server_names = parse_server_names(data)
                    sni = server_names[0] if server_names else None
            else:                                       # EXT_KEY_SHARE
                shares = _key_share_groups(data)
        except TLSParseError:
            bad.append(etype)
    fp_key = None
    if len(suites_raw) + 2 * len(types) + len(versions_raw) + len(groups_raw) \
            + len(points_raw) + len(sigalgs_raw) <= MAX_FP_KEY_BYTES:
        fp_key = (version, suites_raw, types, versions_raw, groups_raw, points_raw,
                  sigalgs_raw, sni is not None, alpn[0] if alpn else None)
    ch = ClientHello(version, random, session_id, None, None, None, sni, alpn, None, None,
                     None, None, shares, server_names, bad, False, cookie, types, fp_key)
    ch._raw = (body, off, suites_raw, comp, versions_raw, groups_raw, points_raw, sigalgs_raw)
    return ch


def parse_server_hello(body: bytes) -> ServerHello:
    """A ServerHello's (or HelloRetryRequest's) body (RFC 8446 §4.1.3; TLS 1.2 §7.4.1.3)."""
    n = len(body)
    if n < 34:
        _need(body, 0, 34, "server_hello version/random")
    version, random = VERSION_RANDOM.unpack_from(body, 0)
    off = 35 + body[34] if n > 34 else 35        # session_id: an inline _vec8
    if off > n:
        _vec8(body, 34, "session_id")             # raises the usual error
    session_id = body[35:off]
    if off + 3 > n:
        _need(body, off, 3, "cipher_suite/compression")
    (suite,) = U16.unpack_from(body, off)
    comp = body[off + 2]
    types, exts = _walk(body, off + 3, None)
    is_hrr = random == HRR_RANDOM
    selected, alpn, group, points, psk, bad = None, [], None, [], False, []
    for etype, data in exts:
        try:
            if etype == EXT_SUPPORTED_VERSIONS:
                _need(data, 0, 2, "supported_versions")
                (selected,) = U16.unpack_from(data, 0)
            elif etype == EXT_ALPN:
                alpn = parse_alpn(data)
            elif etype == EXT_KEY_SHARE:
                _need(data, 0, 2, "key_share")    # HRR: group only; else group + key
                (group,) = U16.unpack_from(data, 0)
            elif etype == EXT_EC_POINT_FORMATS:
                raw, _ = _vec8(data, 0, "ec_point_formats")
                points = list(raw)
            elif etype == EXT_PRE_SHARED_KEY:
                psk = True
        except TLSParseError:
            bad.append(etype)
    return ServerHello(version, random, session_id, suite, comp, exts, selected, alpn, group,
                       points, is_hrr, psk, bad, False, types)


def parse_certificate(body: bytes, tls13: bool = False) -> list[bytes]:
    """A Certificate message's DER certificates, leaf first (TLS 1.2 §7.4.2; RFC 8446 §4.4.2
    when ``tls13``, which adds a request context and per-certificate extensions)."""
    off = 0
    if tls13:
        _, off = _vec8(body, 0, "certificate_request_context")
    _need(body, off, 3, "certificate_list length")
    total = int.from_bytes(body[off:off + 3], "big")
    off += 3
    _need(body, off, total, "certificate_list")
    end, certs = off + total, []
    while off < end:
        if len(certs) >= MAX_CERTIFICATES:
            raise TLSParseError("too many certificates")
        _need(body, off, 3, "certificate length")
        n = int.from_bytes(body[off:off + 3], "big")
        if off + 3 + n > end:
            raise TLSParseError(f"certificate of {n} bytes overruns its list")
        certs.append(body[off + 3:off + 3 + n])
        off += 3 + n
        if tls13:
            _, off = _vec16(body, off, "certificate extensions")
    return certs


def parse_server_key_exchange_curve(body: bytes) -> int | None:
    """The named curve of an ECDHE ServerKeyExchange (RFC 8422 §5.4), None when the params
    are not ``named_curve`` (DHE/RSA exchanges carry no curve)."""
    _need(body, 0, 3, "server_key_exchange")
    if body[0] != 3:           # ECCurveType.named_curve
        return None
    (curve,) = U16.unpack_from(body, 1)
    return curve


def parse_alert(fragment: bytes) -> list[tuple[int, int]]:
    """(level, description) pairs of an alert record (TLS 1.2 §7.2); a record may hold
    several alerts, and an odd trailing byte is an (encrypted or broken) alert."""
    if not fragment or len(fragment) & 1:
        raise TLSParseError(f"alert record of {len(fragment)} bytes")
    return list(zip(fragment[0::2], fragment[1::2]))


class NewSessionTicket(NamedTuple):
    """A NewSessionTicket (RFC 5077 §3.3; RFC 8446 §4.6.1 when ``tls13``)."""

    lifetime_hint: int
    ticket: bytes


def parse_new_session_ticket(body: bytes, tls13: bool = False) -> NewSessionTicket:
    _need(body, 0, 4, "ticket lifetime")
    lifetime = int.from_bytes(body[:4], "big")
    off = 4
    if tls13:
        _need(body, off, 4, "ticket_age_add")
        _, off = _vec8(body, off + 4, "ticket_nonce")
    ticket, _ = _vec16(body, off, "ticket")
    return NewSessionTicket(lifetime, ticket)

