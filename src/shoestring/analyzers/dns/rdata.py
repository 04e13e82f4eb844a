"""Per-type RDATA parsers that render each answer exactly as Zeek's dns.log shows it.

Each renderer is ``render(buf, pos, rdlen, owner, weirds, udp) -> reply`` over the RDATA
at ``buf[pos:pos + rdlen]`` (names inside may point anywhere earlier in the message).
``reply`` is the text of Zeek's ``DNS::do_reply`` hook for the type (main.zeek), "" where
Zeek reports the answer without text (WKS), or None where base/protocols/dns has no
handler for the type's event, so the answer never reaches dns.log (CAA, HINFO, SVCB,
HTTPS, OPT, TSIG, TKEY, NetBIOS NB). Names are lowercased, as Zeek's ExtractName does.
"""

from __future__ import annotations

import socket
import struct

from . import consts as C
from .parse import DNSParseError, parse_name

_ntoa = socket.inet_ntoa
_ntop = socket.inet_ntop
_AF_INET6 = socket.AF_INET6
_U16 = struct.Struct("!H").unpack_from
_U16x2 = struct.Struct("!2H").unpack_from
_U16x3 = struct.Struct("!3H").unpack_from
_RRSIG_FIXED = struct.Struct("!HBBIIIH").unpack_from   # RFC 4034 §3.1: 18 bytes
_TSIG_FIXED = struct.Struct("!HIHH").unpack_from       # RFC 8945 §4.2: time(48), fudge, mac size


def text(name: bytes) -> str:
    """A name or string as log text: raw bytes kept (the writer escapes them)."""
    return name.decode("utf-8", "surrogateescape")


def lower_text(name: bytes) -> str:
    return name.lower().decode("utf-8", "surrogateescape")


def _name_in(buf, pos, rdlen, weirds):
    """A name inside RDATA; a length that disagrees is noted, as Zeek does."""
    name, nxt = parse_name(buf, pos, weirds)
    if nxt != pos + rdlen:
        weirds.append(("DNS_RR_length_mismatch", None))
    return name


def _char_strings(buf, pos, rdlen, weirds):
    """RFC 1035 §3.3 <character-string>s filling RDATA -> (strings, complete)."""
    out = []
    end = pos + rdlen
    while pos < end:
        n = buf[pos]
        pos += 1
        if pos + n > end:
            weirds.append(("DNS_TXT_char_str_past_rdlen", None))
            return out, False
        out.append(buf[pos:pos + n])
        pos += n
    return out, True


def render_a(buf, pos, rdlen, owner, weirds, udp):
    if rdlen != 4:
        raise DNSParseError("DNS_RR_bad_length")
    return _ntoa(buf[pos:pos + 4])


_V4_MAPPED = b"\x00" * 10 + b"\xff\xff"


def render_aaaa(buf, pos, rdlen, owner, weirds, udp):
    if rdlen != 16:
        raise DNSParseError("DNS_RR_bad_length")
    raw = buf[pos:pos + 16]
    if raw[:12] == _V4_MAPPED:
        # Zeek holds IPv4 addresses as v4-mapped IPv6 ones, so it prints these dotted.
        return _ntoa(raw[12:])
    return _ntop(_AF_INET6, raw)


def render_name(buf, pos, rdlen, owner, weirds, udp):        # NS, CNAME, PTR
    return lower_text(_name_in(buf, pos, rdlen, weirds))


def render_mx(buf, pos, rdlen, owner, weirds, udp):
    if rdlen < 3:
        raise DNSParseError("DNS_RR_bad_length")
    return lower_text(_name_in(buf, pos + 2, rdlen - 2, weirds))


def render_srv(buf, pos, rdlen, owner, weirds, udp):
    if rdlen < 7:
        raise DNSParseError("DNS_RR_bad_length")
    return lower_text(_name_in(buf, pos + 6, rdlen - 6, weirds))


def render_soa(buf, pos, rdlen, owner, weirds, udp):
    mname, nxt = parse_name(buf, pos, weirds)
    _rname, nxt = parse_name(buf, nxt, weirds)
    if len(buf) - nxt < 20:
        raise DNSParseError(None)          # Zeek gives up silently here
    if nxt + 20 != pos + rdlen:
        weirds.append(("DNS_RR_length_mismatch", None))
    return lower_text(mname)


def render_wks(buf, pos, rdlen, owner, weirds, udp):
    return ""


def render_hinfo(buf, pos, rdlen, owner, weirds, udp):
    strings, complete = _char_strings(buf, pos, rdlen, weirds)
    if not complete or len(strings) != 2:
        raise DNSParseError(None)
    return None


def _strings_reply(label, buf, pos, rdlen, weirds):
    strings, complete = _char_strings(buf, pos, rdlen, weirds)
    reply = " ".join(f"{label} {len(s)} {text(s)}" for s in strings)
    if not complete:
        # Zeek raises the event with the strings read so far, then stops the message.
        raise DNSParseError(None, rr=reply)
    return reply


def render_txt(buf, pos, rdlen, owner, weirds, udp):
    return _strings_reply("TXT", buf, pos, rdlen, weirds)


def render_spf(buf, pos, rdlen, owner, weirds, udp):
    return _strings_reply("SPF", buf, pos, rdlen, weirds)


def render_caa(buf, pos, rdlen, owner, weirds, udp):          # RFC 8659 §4.1
    if rdlen < 2 or buf[pos + 1] >= rdlen - 2:
        weirds.append(("DNS_CAA_char_str_past_rdlen", None))
        raise DNSParseError(None)
    return None


def render_naptr(buf, pos, rdlen, owner, weirds, udp):        # RFC 3403 §4.1
    end = pos + rdlen
    if rdlen < 7:
        raise DNSParseError("DNS_RR_bad_length")
    order, pref = _U16x2(buf, pos)
    p = pos + 4
    parts = []
    for _ in range(3):                     # flags, services, regexp
        if p >= end:
            raise DNSParseError("DNS_RR_bad_length")
        n = buf[p]
        p += 1
        if p + n > end:
            weirds.append(("DNS_TXT_char_str_past_rdlen", None))
            raise DNSParseError(None)
        parts.append(text(buf[p:p + n]))
        p += n
    replacement = lower_text(_name_in(buf, p, end - p, weirds))
    tail = parts[2]
    if replacement:
        tail = f"{tail} {replacement}" if tail else replacement
    return f"NAPTR {order} {pref} {parts[0]} {parts[1]} {tail}"


def _algo_weird(kind, algo, weirds):
    if algo not in C.DNSSEC_ALGO_OK:
        which = C.DNSSEC_ALGO_WEIRD.get(algo, "unknown")
        weirds.append((f"DNSSEC_{kind}_{which}_ZoneSignAlgo", str(algo)))


def render_rrsig(buf, pos, rdlen, owner, weirds, udp):        # RFC 4034 §3.1
    if rdlen < 18:
        raise DNSParseError(None)
    covered, algo, _labels, _ttl, _exp, _inc, _tag = _RRSIG_FIXED(buf, pos)
    signer, _nxt = parse_name(buf, pos + 18, weirds)
    _algo_weird("RRSIG", algo, weirds)
    return f"RRSIG {covered} {lower_text(signer) if signer else '<Root>'}"


def render_dnskey(buf, pos, rdlen, owner, weirds, udp):       # RFC 4034 §2.1
    if rdlen < 4:
        raise DNSParseError(None)
    flags = _U16(buf, pos)[0]
    proto, algo = buf[pos + 2], buf[pos + 3]
    if flags & 0xFE7E:
        weirds.append(("DNSSEC_DNSKEY_Invalid_Flag", str(flags)))
    if flags & 0x0181 == 0x0181:
        weirds.append(("DNSSEC_DNSKEY_Revoked_KSK", str(flags)))
    if proto != 3:
        weirds.append(("DNSSEC_DNSKEY_Invalid_Protocol", str(proto)))
    _algo_weird("DNSKEY", algo, weirds)
    return f"DNSKEY {algo}"


def render_ds(buf, pos, rdlen, owner, weirds, udp):           # RFC 4034 §5.1
    if rdlen < 4:
        raise DNSParseError(None)
    algo, dtype = buf[pos + 2], buf[pos + 3]
    if dtype == 0:
        weirds.append(("DNSSEC_DS_ReservedDigestType", "0"))
    elif dtype not in C.DS_DIGESTS_OK:
        weirds.append(("DNSSEC_DS_unknown_DigestType", str(dtype)))
    return f"DS {algo} {dtype}"


def _type_bitmaps(kind, buf, pos, end, weirds):
    """RFC 4034 §4.1.2 window blocks; a zero-length bitmap ends them with a weird."""
    while pos + 2 <= end:
        window, size = buf[pos], buf[pos + 1]
        if size == 0:
            weirds.append((f"DNSSEC_{kind}_bitmapLen0", str(window)))
            return
        pos += 2 + size


def render_nsec(buf, pos, rdlen, owner, weirds, udp):         # RFC 4034 §4.1
    nxt_name, nxt = parse_name(buf, pos, weirds)
    _type_bitmaps("NSEC", buf, nxt, pos + rdlen, weirds)
    return f"NSEC {lower_text(owner)} {lower_text(nxt_name)}"


def render_nsec3(buf, pos, rdlen, owner, weirds, udp):        # RFC 5155 §3.2
    end = pos + rdlen
    if rdlen < 6:
        raise DNSParseError(None)
    p = pos + 4
    for _ in range(2):                     # salt, then next hashed owner
        if p < end:
            p += 1 + buf[p]
    _type_bitmaps("NSEC3", buf, p, end, weirds)
    return "NSEC3"


def render_nsec3param(buf, pos, rdlen, owner, weirds, udp):   # RFC 5155 §4.2
    if rdlen < 5:
        raise DNSParseError(None)
    return "NSEC3PARAM"


def render_binds(buf, pos, rdlen, owner, weirds, udp):
    if rdlen < 5:
        raise DNSParseError(None)
    return "BIND9 signing signal"


def render_sshfp(buf, pos, rdlen, owner, weirds, udp):        # RFC 4255 §3.1
    if rdlen < 2:
        raise DNSParseError(None)
    return "SSHFP: " + buf[pos + 2:pos + rdlen].hex()


def render_loc(buf, pos, rdlen, owner, weirds, udp):          # RFC 1876 §2
    if rdlen != 16:
        raise DNSParseError(None)
    version, size, horiz, vert = buf[pos], buf[pos + 1], buf[pos + 2], buf[pos + 3]
    if version != 0:
        weirds.append(("DNS_LOC_version_unrecognized", str(version)))
    return f"LOC:  {size} {horiz} {vert}"


def render_svcb(buf, pos, rdlen, owner, weirds, udp):         # RFC 9460 §2.2
    if rdlen < 3:
        weirds.append(("DNS_SVBC_wrong_length", None))
        raise DNSParseError(None)
    parse_name(buf, pos + 2, weirds)
    return None


def render_skip(buf, pos, rdlen, owner, weirds, udp):         # NetBIOS NB: not parsed
    return None


# EDNS option codes (RFC 6891 §6.1.2 registry) that Zeek looks into.
_EDNS_ECS, _EDNS_KEEPALIVE, _EDNS_COOKIE = 8, 11, 10


def render_opt(buf, pos, rdlen, owner, weirds, udp):          # RFC 6891 §6.1.2
    end = pos + rdlen
    while end - pos >= 4:
        code, size = _U16x2(buf, pos)
        pos += 4
        if size > end - pos:
            break
        if code == _EDNS_ECS:
            _check_ecs(buf, pos, size, weirds)
        elif code == _EDNS_KEEPALIVE and size in (0, 2) and udp:
            weirds.append(("EDNS_TCP_Keepalive_In_UDP", None))
        pos += size
    if pos < end:
        weirds.append(("EDNS_truncated_option", None))
        raise DNSParseError(None)
    return None


def _check_ecs(buf, pos, size, weirds):                        # RFC 7871 §6
    if size <= 4:
        weirds.append(("EDNS_ECS_invalid_option_len", None))
        return
    family = _U16(buf, pos)[0]
    prefix = buf[pos + 2]
    have = (size - 4) * 8
    for fam, bits, v in ((1, 32, "v4"), (2, 128, "v6")):
        if family == fam:
            if prefix > bits:
                weirds.append((f"EDNS_ECS_invalid_addr_{v}_prefix", f"{prefix} bits"))
            elif prefix > have:
                weirds.append((f"EDNS_ECS_invalid_addr_{v}",
                               f"need {prefix} bits, have {have} bits"))


def render_tsig(buf, pos, rdlen, owner, weirds, udp):         # RFC 8945 §4.2
    _alg, p = parse_name(buf, pos, weirds)
    end = pos + rdlen
    if end - p < 10:
        raise DNSParseError("DNS_RR_bad_length")
    _hi, _lo, _fudge, mac_size = _TSIG_FIXED(buf, p)
    p += 10 + mac_size
    if end - p < 6:
        raise DNSParseError("DNS_RR_bad_length")
    return None


def render_tkey(buf, pos, rdlen, owner, weirds, udp):         # RFC 2930 §2
    _alg, p = parse_name(buf, pos, weirds)
    end = pos + rdlen
    p += 12                                  # inception, expiration, mode, error
    for _ in range(2):                       # key data, other data: 16-bit size + bytes
        if end - p < 2:
            raise DNSParseError("DNS_RR_bad_length")
        p += 2 + _U16(buf, p)[0]
    if p > end:
        raise DNSParseError("DNS_RR_bad_length")
    return None


def render_unknown(rtype, weirds):
    weirds.append(("DNS_RR_unknown_type", str(rtype)))
    return f"<unknown type={rtype}>"


RENDERERS = {
    C.A: render_a, C.AAAA: render_aaaa, C.A6: render_aaaa,
    C.NS: render_name, C.CNAME: render_name, C.PTR: render_name,
    C.SOA: render_soa, C.WKS: render_wks, C.HINFO: render_hinfo, C.MX: render_mx,
    C.TXT: render_txt, C.SPF: render_spf, C.CAA: render_caa, C.NBS: render_skip,
    C.SRV: render_srv, C.NAPTR: render_naptr, C.OPT: render_opt, C.TSIG: render_tsig,
    C.RRSIG: render_rrsig, C.DNSKEY: render_dnskey, C.NSEC: render_nsec,
    C.NSEC3: render_nsec3, C.NSEC3PARAM: render_nsec3param, C.DS: render_ds,
    C.BINDS: render_binds, C.SSHFP: render_sshfp, C.LOC: render_loc,
    C.SVCB: render_svcb, C.HTTPS: render_svcb, C.TKEY: render_tkey,
}
