"""Per-connection QUIC analyzer: quic.log (and the handshake's ssl.log record) from datagrams.

Theory of operation, following Zeek's QUIC analyzer (QUIC.spicy + quic/main.zeek) so the
logs match record for record:
- a datagram holds one or more packets; long-header packets say their length and are
  walked in turn; a short-header packet, or bytes whose fixed bit is 0 (zero padding
  after the last packet), end the datagram;
- every Initial, Handshake and 0-RTT packet adds a history letter (I, H, Z; lower case
  from the responder) and updates the connection ids; Initials are decrypted with keys
  from the client's first DCID until each side's hello is complete; their CRYPTO frames
  are reassembled and the hello gives S/s plus server_name and client_protocol;
- a Retry logs the record and starts a new one (the client's next Initial carries a new
  DCID, and new keys); so do a CONNECTION_CLOSE frame and a version we cannot parse (U);
- short-header packets add O/o at the 1st, 2nd, 4th, 8th, ... of each side;
- X marks padding/garbage discarded after Initials decrypted, at most 100 times.
"""

from __future__ import annotations

from typing import Any, Final

from ..base import Analyzer, ConnContext
from ..tls.ciphers import cipher_name
from ..tls.consts import (EXT_PRE_SHARED_KEY, HS_CLIENT_HELLO, HS_SERVER_HELLO, curve_name,
                          version_name)
from ..tls.fingerprints import extension_types, ja3, ja3s, ja4
from ..tls.hellos import ClientHello, ServerHello
from ..tls.parse import TLSParseError, parse_client_hello, parse_server_hello
from . import consts as C
from .crypto import initial_keys, unprotect
from .parse import (CryptoStream, LongHeader, QUICParseError, parse_initial_frames,
                    parse_long_header)

MAX_HISTORY: Final = 100        # Zeek's QUIC::max_history_length
MAX_DISCARDED_EVENTS: Final = 100   # Zeek's QUIC::max_discarded_packet_events
#: Packets walked in one datagram; a 1500-byte datagram holds at most ~70 minimal ones.
MAX_PACKETS_PER_DATAGRAM: Final = 128
MAX_SSL_HISTORY: Final = 100    # Zeek's SSL::max_ssl_history_length

#: History letter of a long packet type (consts INITIAL=0, ZERO_RTT=1, HANDSHAKE=2), the
#: initiator's in upper case: a string indexed by the type, no dict lookup.
_ORIG_LETTERS: Final = "IZH"
_RESP_LETTERS: Final = "izh"


class QuicAnalyzer(Analyzer):
    """One UDP connection's QUIC: fed one datagram per deliver()."""

    service = "quic"

    def __init__(self, ctx: ConnContext):
        super().__init__(ctx)
        self._rec: dict[str, Any] | None = None  # quic.log record being built
        self._hist: list[str] = []
        self._initial_dcid: bytes | None = None  # the client DCID the Initial keys come from
        # (server's, client's) CryptoStream
        self._streams: tuple[CryptoStream, CryptoStream] | None = None
        self._decrypted = 0
        self._discarded = 0
        # Short-header packets per side: how many are left before the next power of two
        # (which adds an O/o to the history), and that power. Plain attributes, not a
        # list indexed by side: this is the per-datagram path.
        self._orig_left = self._resp_left = 1
        self._orig_next = self._resp_next = 1
        self._ssl: dict[str, Any] | None = None  # the ssl.log record of the handshake
        self._ssl_hist: list[str] = []
        self._client_psk = False
        self._confirmed = False
        self._ssl_confirmed = False
        self._dead = False
        # The connection's id fields, built on first use: quic.log and ssl.log records
        # both start with them, and each ctx.id_fields() formats both addresses anew (a UDP
        # connection's roles are settled before an analyzer attaches: they never flip).
        self._ids: dict[str, Any] | None = None

    # --- the Analyzer contract ---------------------------------------------------------
    def deliver(self, is_orig: bool, data: bytes, ts: float) -> None:
        # The commonest datagram by far is one short-header (1-RTT) packet (fixed bit 1,
        # long-header bit 0): no log needs its bytes, only a per-side count whose powers
        # of two add O/o to the history. A short packet runs to the end of its datagram,
        # so nothing else in it needs a look.
        if data and data[0] & 0xC0 == 0x40:
            self._short_packet(is_orig, ts)
            return
        if self._dead or not data:
            return
        try:
            self._datagram(is_orig, data, ts)
        except QUICParseError as e:
            # Before an Initial decrypted this is simply not QUIC (Zeek: a violation, no
            # weird); inside a confirmed connection it is an anomaly worth a weird.
            if self._confirmed:
                self.ctx.weird(e.weird, str(e), ts)
            else:
                self._give_up(f"{e.weird}: {e}")
        except Exception as e:                  # a bug must not take the sensor down
            self.ctx.weird("QUIC_analyzer_error", f"{type(e).__name__}: {e}", ts)
            self._give_up(f"internal error: {e}")

    def finish(self, ts: float) -> None:
        try:
            if self._rec is not None:
                self._log()
            ssl = self._ssl
            if ssl is not None:
                ssl["ssl_history"] = "".join(self._ssl_hist)
                self.ctx.emit("ssl", ssl)
                self._ssl = None
        except Exception as e:                  # never raise out of an analyzer
            self.ctx.weird("QUIC_analyzer_error", f"{type(e).__name__}: {e}", ts)

    # --- packets -----------------------------------------------------------------------
    def _give_up(self, reason: str) -> None:
        self._dead = True
        self.ctx.violation(reason)

    def _datagram(self, is_orig: bool, data: bytes, ts: float) -> None:
        off, n, count = 0, len(data), 0
        while off < n:
            count += 1
            if count > MAX_PACKETS_PER_DATAGRAM:
                self.ctx.weird("QUIC_too_many_coalesced_packets", str(count), ts)
                return
            first = data[off]
            if not first & 0x40:                # fixed bit 0: not a packet (RFC 9000 §17.2)
                self._discarded += 1
                if self._decrypted and self._discarded <= MAX_DISCARDED_EVENTS:
                    if self._rec is None:
                        self.ctx.weird("QUIC_spurious_discarded_packet", None, ts)
                    else:
                        self._add(is_orig, "X")
                return
            if not first & 0x80:                # short header: the rest of the datagram
                self._short_packet(is_orig, ts)
                return
            hdr = parse_long_header(data, off)
            if hdr.ptype is None:               # Version Negotiation or unknown version
                self._unhandled_version(is_orig, hdr, ts)
                return
            if hdr.ptype == C.RETRY:
                self._retry(is_orig, hdr, ts)
            else:
                self._long_packet(is_orig, data, off, hdr, ts)
            off = hdr.end

    def _short_packet(self, is_orig: bool, ts: float) -> None:
        """One short-header packet: counted down per side (a native call once compiled,
        cheaper than the datagram parse it spares)."""
        if is_orig:
            left = self._orig_left = self._orig_left - 1
        else:
            left = self._resp_left = self._resp_left - 1
        if not left:
            self._short_threshold(is_orig, ts)

    def _short_threshold(self, is_orig: bool, ts: float) -> None:
        """This side's short-header count just reached the next power of two."""
        if is_orig:
            count = self._orig_next
            self._orig_next = count * 2
            self._orig_left = count             # the next one is at twice the count
        else:
            count = self._resp_next
            self._resp_next = count * 2
            self._resp_left = count
        if self._dead:                          # a connection given up on reports nothing
            return
        if self._rec is None:
            self.ctx.weird("QUIC_spurious_short_packet_threshold_crossed", str(count), ts)
        else:
            self._add(is_orig, "O")

    def _unhandled_version(self, is_orig: bool, hdr: LongHeader, ts: float) -> None:
        if self._rec is None:
            self._set_session(is_orig, hdr, ts)
        self._add(is_orig, "U")
        self._log()
        if not self._confirmed:
            self._give_up(f"unhandled QUIC version 0x{hdr.version:x}")

    def _retry(self, is_orig: bool, hdr: LongHeader, ts: float) -> None:
        # The client answers a Retry with a new DCID: Initial keys start over.
        self._streams = None
        self._initial_dcid = None
        if self._rec is None:
            self._set_session(is_orig, hdr, ts)
        self._add(is_orig, "R")
        self._log()

    def _long_packet(self, is_orig: bool, data: bytes, off: int, hdr: LongHeader,
                     ts: float) -> None:
        ptype = hdr.ptype
        if ptype is None:                       # _datagram() handles unknown versions
            return
        self._set_session(is_orig, hdr, ts)
        hist = self._hist
        if len(hist) < MAX_HISTORY - 1:         # _add's common case, without the call
            hist.append(_ORIG_LETTERS[ptype] if is_orig else _RESP_LETTERS[ptype])
        else:
            self._add(is_orig, _ORIG_LETTERS[ptype])
        if ptype != C.INITIAL:
            return                              # Handshake and 0-RTT keys are not public
        streams = self._streams
        if streams is None:
            streams = self._streams = (CryptoStream(), CryptoStream())
        stream = streams[1] if is_orig else streams[0]
        dcid = self._initial_dcid
        if stream.finished or (not is_orig and dcid is None):
            return
        if dcid is None:                        # the client's first Initial: is_orig here
            dcid = self._initial_dcid = hdr.dcid
        keys = initial_keys(hdr.version, dcid, is_orig)
        _, plain = unprotect(data, hdr.pn_offset, hdr.end, keys, off)
        self._decrypted += 1
        if not self._confirmed:
            self._confirmed = True
            self.ctx.confirm("quic")
        for frame in parse_initial_frames(plain):
            if frame[0] == "crypto":
                try:
                    msg = stream.add(frame[1], frame[2])
                finally:
                    if stream.dropped:
                        self.ctx.weird("QUIC_crypto_data_dropped", str(stream.dropped), ts)
                        stream.dropped = 0
                if msg is not None:
                    self._hello(is_orig, msg, ts)
            elif self._rec is not None:         # CONNECTION_CLOSE ends this record
                self._add(is_orig, "C")
                self._log()

    # --- records -----------------------------------------------------------------------
    def _id_fields(self) -> dict[str, Any]:
        ids = self._ids
        if ids is None:
            ids = self._ids = self.ctx.id_fields()
        return ids

    def _set_session(self, is_orig: bool, hdr: LongHeader, ts: float) -> None:
        rec = self._rec
        if rec is None:
            rec = self._rec = {"ts": ts, **self._id_fields(),
                               "version": C.version_name(hdr.version),
                               "client_initial_dcid": None, "client_scid": None,
                               "server_scid": None, "server_name": None,
                               "client_protocol": None, "history": None}
            self._hist = []
        if is_orig:
            if hdr.dcid and rec["client_initial_dcid"] is None:
                rec["client_initial_dcid"] = hdr.dcid.hex()
            rec["client_scid"] = hdr.scid.hex()
        else:
            rec["server_scid"] = hdr.scid.hex()

    def _add(self, is_orig: bool, letter: str) -> None:
        if len(self._hist) >= MAX_HISTORY:
            return
        self._hist.append(letter if is_orig else letter.lower())
        if len(self._hist) == MAX_HISTORY:
            self.ctx.weird("QUIC_max_history_length_reached")

    def _log(self) -> None:
        rec, self._rec = self._rec, None
        if rec is None:                         # callers log only a record they started
            return
        rec["history"] = "".join(self._hist)
        self._hist = []
        self.ctx.emit("quic", rec)

    # --- the TLS hellos ----------------------------------------------------------------
    def _hello(self, is_orig: bool, msg: bytes, ts: float) -> None:
        """The first handshake message of one side, as Zeek's SSL analyzer sees it."""
        mtype = msg[0]
        ch: ClientHello | None = None
        sh: ServerHello | None = None
        try:
            if mtype == HS_CLIENT_HELLO:
                ch = parse_client_hello(msg[4:])
                bad = ch.bad_extensions
            elif mtype == HS_SERVER_HELLO:
                sh = parse_server_hello(msg[4:])
                bad = sh.bad_extensions
            else:
                self.ctx.weird("QUIC_unexpected_tls_message", str(mtype), ts)
                return
        except TLSParseError as e:
            self.ctx.weird("QUIC_malformed_tls_hello", str(e), ts)
            return
        if bad:
            self.ctx.weird("QUIC_tls_bad_extension", _zeek_vector(bad), ts)
        if not self._ssl_confirmed:
            self._ssl_confirmed = True
            self.ctx.confirm("ssl")
        ssl = self._ssl
        if ssl is None:
            ssl = self._ssl = {"ts": ts, **self._id_fields(), "version": None,
                               "cipher": None, "curve": None, "server_name": None,
                               "resumed": False, "last_alert": None, "next_protocol": None,
                               "established": False, "ssl_history": None,
                               "cert_chain_fps": None, "client_cert_chain_fps": None,
                               "sni_matches_cert": None, "ja3": None, "ja3s": None,
                               "ja4": None}
        if ch is not None:
            self._client_hello(is_orig, ch, ssl, ts)
        elif sh is not None:
            self._server_hello(is_orig, sh, ssl)

    def _client_hello(self, is_orig: bool, ch: ClientHello, ssl: dict[str, Any],
                      ts: float) -> None:
        rec = self._rec
        names = ch.server_names
        if names:
            ssl["server_name"] = names[0]
            if len(names) > 1:
                self.ctx.weird("SSL_many_server_names", _zeek_vector(names), ts)
            if rec is not None and is_orig:
                rec["server_name"] = names[0]
        alpn = ch.alpn
        if alpn and rec is not None and is_orig:
            rec["client_protocol"] = alpn[0]
            if len(alpn) > 1:
                self.ctx.weird("QUIC_many_protocols", _zeek_vector(alpn), ts)
        if is_orig and EXT_PRE_SHARED_KEY in extension_types(ch):
            self._client_psk = True
        self._ssl_add(is_orig, "c")
        if rec is not None:
            self._add(True, "S")                # Zeek's ssl_client_hello adds S either way
        ssl["ja3"] = ja3(ch)[1]
        ssl["ja4"] = ja4(ch, transport="q")

    def _server_hello(self, is_orig: bool, sh: ServerHello, ssl: dict[str, Any]) -> None:
        if sh.selected_version is not None:     # supported_versions wins (RFC 8446 §4.2.1)
            ssl["version"] = version_name(sh.selected_version)
        elif ssl["version"] is None:
            ssl["version"] = version_name(sh.legacy_version)
        ssl["cipher"] = cipher_name(sh.cipher_suite)
        if sh.key_share_group is not None:
            ssl["curve"] = curve_name(sh.key_share_group)
        if sh.psk_selected and self._client_psk:
            ssl["resumed"] = True               # the server took the client's PSK
        if sh.alpn and not is_orig:
            ssl["next_protocol"] = sh.alpn[0]
        ssl["ja3s"] = ja3s(sh)[1]
        self._ssl_add(is_orig, "j" if sh.is_hrr else "s")
        if self._rec is not None:
            self._add(False, "s")

    def _ssl_add(self, is_orig: bool, letter: str) -> None:
        if len(self._ssl_hist) >= MAX_SSL_HISTORY:
            return
        self._ssl_hist.append(letter.upper() if is_orig else letter)
        if len(self._ssl_hist) == MAX_SSL_HISTORY:
            self.ctx.weird("SSL_max_ssl_history_length_reached", str(MAX_SSL_HISTORY))


def _zeek_vector(items: list[str] | list[int]) -> str:
    """A vector of strings as Zeek's cat() prints it, for a weird's addl."""
    return "[" + ", ".join(str(i) for i in items) + "]"
