"""ClientHello and ServerHello (RFC 8446 §4.1.2-4; TLS 1.2 §7.4.1): message bytes in,
the values ssl.log, x509 and the fingerprints need out. Pure functions, shared by the TCP,
DTLS and QUIC analyzers; the extensions themselves are read in ``extensions.py``."""

from __future__ import annotations

import struct
from functools import partial
from typing import Final, NamedTuple

from .consts import (EXT_ALPN, EXT_EC_POINT_FORMATS, EXT_KEY_SHARE, EXT_PRE_SHARED_KEY,
                     EXT_SERVER_NAME, EXT_SUPPORTED_GROUPS, EXT_SUPPORTED_VERSIONS, HRR_RANDOM)
from .extensions import (_BAD, _CH_PARSED, _STATIC_CACHE, _STATIC_EXTS, MAX_CACHED_EXT_LEN,
                         MAX_CACHED_EXTS, MAX_FP_KEY_BYTES, _key_share_groups, _static_ext,
                         _walk, parse_alpn, parse_server_names)
from .records import TLSParseError
from .wire import _need, _vec8, u16_list

VERSION_RANDOM: Final = struct.Struct(">H32s")  # legacy_version, random (RFC 8446 §4.1.2)


#: ClientHello's fields in constructor order (a NamedTuple's, for == and repr).
_CH_FIELDS: Final = ("legacy_version", "random", "session_id", "cipher_suites",
                     "compression_methods", "extensions", "server_name", "alpn",
                     "supported_versions", "supported_groups", "ec_point_formats",
                     "signature_algorithms", "key_share_groups", "server_names",
                     "bad_extensions", "sslv2", "cookie", "ext_types", "fp_key")
#: The raw inputs of the lazy fields: (body, extensions offset, suites, compression,
#: versions, groups, points, sigalgs).
_RawHello = tuple[bytes, int, bytes, bytes, bytes, bytes, bytes, bytes]


class ClientHello:
    """A ClientHello (RFC 8446 §4.1.2; SSLv2 §2.5 when ``sslv2``).

    Built like a NamedTuple (the same fields, in this order). A hello from
    :func:`parse_client_hello` is lazy: the list fields (cipher suites, extensions, ...)
    are decoded from the already-validated bytes on first access, since on the hot path
    the fingerprint cache (``fp_key``) and ``ext_types`` answer without them.
    A native class when compiled (mypyc): fixed attribute slots, no ``__dict__``."""

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
                 cipher_suites: list[int] | None, compression_methods: list[int] | None,
                 extensions: list[tuple[int, bytes]] | None, server_name: str | None,
                 alpn: list[str], supported_versions: list[int] | None,
                 supported_groups: list[int] | None, ec_point_formats: list[int] | None,
                 signature_algorithms: list[int] | None,
                 key_share_groups: list[int], server_names: list[str],
                 bad_extensions: list[int], sslv2: bool = False, cookie: bytes | None = None,
                 ext_types: tuple[int, ...] | None = None, fp_key: tuple | None = None):
        # A list field given as None is lazy: it is decoded from ``_raw`` on first read
        # (only parse_client_hello does that, and it sets ``_raw``).
        self.legacy_version, self.random, self.session_id = legacy_version, random, session_id
        self._cipher_suites, self._compression_methods = cipher_suites, compression_methods
        self._extensions, self.server_name, self.alpn = extensions, server_name, alpn
        self._supported_versions, self._supported_groups = supported_versions, supported_groups
        self._ec_point_formats, self._signature_algorithms = ec_point_formats, \
            signature_algorithms
        self.key_share_groups, self.server_names = key_share_groups, server_names
        self.bad_extensions, self.sslv2, self.cookie = bad_extensions, sslv2, cookie
        self.ext_types, self.fp_key = ext_types, fp_key
        self._raw: _RawHello | None = None

    def _raw_inputs(self) -> _RawHello:
        raw = self._raw
        if raw is None:
            raise ValueError("a lazy ClientHello field without the parser's raw bytes")
        return raw

    @property
    def cipher_suites(self) -> list[int]:
        value = self._cipher_suites
        if value is None:
            value = self._cipher_suites = u16_list(self._raw_inputs()[2])
        return value

    @property
    def compression_methods(self) -> list[int]:
        value = self._compression_methods
        if value is None:
            value = self._compression_methods = list(self._raw_inputs()[3])
        return value

    @property
    def extensions(self) -> list[tuple[int, bytes]]:
        """(type, raw body) in wire order."""
        value = self._extensions
        if value is None:
            raw = self._raw_inputs()
            value = self._extensions = _walk(raw[0], raw[1], None)[1]
        return value

    @property
    def supported_versions(self) -> list[int]:
        value = self._supported_versions
        if value is None:
            value = self._supported_versions = u16_list(self._raw_inputs()[4])
        return value

    @property
    def supported_groups(self) -> list[int]:
        value = self._supported_groups
        if value is None:
            value = self._supported_groups = u16_list(self._raw_inputs()[5])
        return value

    @property
    def ec_point_formats(self) -> list[int]:
        value = self._ec_point_formats
        if value is None:
            value = self._ec_point_formats = list(self._raw_inputs()[6])
        return value

    @property
    def signature_algorithms(self) -> list[int]:
        value = self._signature_algorithms
        if value is None:
            value = self._signature_algorithms = u16_list(self._raw_inputs()[7])
        return value

    def _astuple(self) -> tuple:
        return tuple([getattr(self, name) for name in _CH_FIELDS])

    def __eq__(self, other: object) -> bool:
        # the hello's values; ext_types and fp_key are derived from them (and only the
        # parser sets them), so they do not take part
        if not isinstance(other, ClientHello):
            return NotImplemented
        return self._astuple()[:17] == other._astuple()[:17]

    def __hash__(self) -> int:
        # unhashable, as before (mutable lists inside); spelled out because a compiled
        # class does not drop __hash__ by itself when it defines __eq__
        raise TypeError("unhashable type: 'ClientHello'")

    def __repr__(self) -> str:
        return "ClientHello(" + ", ".join([f"{name}={getattr(self, name)!r}"
                                           for name in _CH_FIELDS]) + ")"


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


#: Builds a ServerHello from a 15-tuple in C: a NamedTuple's own __new__ is Python code,
#: which in the compiled parser was most of parse_server_hello's time.
_new_server_hello = partial(tuple.__new__, ServerHello)


def parse_client_hello(body: bytes, dtls: bool = False) -> ClientHello:
    """A ClientHello's body (after the handshake header). ``dtls``: RFC 6347 §4.2.1 cookie.

    Speed: one per TLS/QUIC connection, so the fixed part is read with inline bounds
    checks (``_need`` only raises), and only the extensions the logs and fingerprints read
    are looked into. ``fp_key`` holds the raw inputs of JA3/JA4 for their cache."""
    n = len(body)
    if n < 34:
        _need(body, 0, 34, "client_hello version/random")
    version = (body[0] << 8) | body[1]           # VERSION_RANDOM, read inline
    random = body[2:34]
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
    sni: str | None = None
    server_names: list[str] = []
    alpn: list[str] = []
    shares: list[int] = []
    bad: list[int] = []
    versions_raw = groups_raw = points_raw = sigalgs_raw = b""
    cache = _STATIC_CACHE
    for etype, data in exts:
        if etype in _STATIC_EXTS:
            # ALPN's names, the same on every connection of a client, are parsed once (by
            # body); the u16 lists are only sliced and bounds-checked, which compiled costs
            # less than hashing their bodies for a cache lookup
            cacheable = etype == EXT_ALPN and len(data) <= MAX_CACHED_EXT_LEN
            value = cache.get((etype, data)) if cacheable else None
            if value is None:
                try:
                    value = _static_ext(etype, data)
                except TLSParseError:
                    value = _BAD
                if cacheable:
                    if len(cache) >= MAX_CACHED_EXTS:
                        cache.clear()
                    cache[(etype, data)] = value
            # the cached outcomes: ALPN's names (a tuple), a list's raw bytes, or _BAD
            if isinstance(value, tuple):                # EXT_ALPN
                alpn = list(value)
            elif not isinstance(value, bytes):          # _BAD
                bad.append(etype)     # keep the hello; the analyzer records a weird
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
    version = (body[0] << 8) | body[1]           # VERSION_RANDOM, read inline
    random = body[2:34]
    off = 35 + body[34] if n > 34 else 35        # session_id: an inline _vec8
    if off > n:
        _vec8(body, 34, "session_id")             # raises the usual error
    session_id = body[35:off]
    if off + 3 > n:
        _need(body, off, 3, "cipher_suite/compression")
    suite = (body[off] << 8) | body[off + 1]
    comp = body[off + 2]
    types, exts = _walk(body, off + 3, None)
    is_hrr = random == HRR_RANDOM
    selected: int | None = None
    alpn: list[str] = []
    group: int | None = None
    points: list[int] = []
    psk = False
    bad: list[int] = []
    for etype, data in exts:
        try:
            if etype == EXT_SUPPORTED_VERSIONS:
                _need(data, 0, 2, "supported_versions")
                selected = (data[0] << 8) | data[1]
            elif etype == EXT_ALPN:
                alpn = parse_alpn(data)
            elif etype == EXT_KEY_SHARE:
                _need(data, 0, 2, "key_share")    # HRR: group only; else group + key
                group = (data[0] << 8) | data[1]
            elif etype == EXT_EC_POINT_FORMATS:
                raw, _ = _vec8(data, 0, "ec_point_formats")
                points = list(raw)
            elif etype == EXT_PRE_SHARED_KEY:
                psk = True
        except TLSParseError:
            bad.append(etype)
    return _new_server_hello((version, random, session_id, suite, comp, exts, selected, alpn,
                              group, points, is_hrr, psk, bad, False, types))
