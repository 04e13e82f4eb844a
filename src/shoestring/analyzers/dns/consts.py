"""DNS code -> name tables, as Zeek's base/protocols/dns/consts.zeek renders them (data only)."""

from __future__ import annotations

# Resource record types the parser treats specially (RFC 1035 §3.2.2 and successors).
A, NS, CNAME, SOA, WKS, PTR, HINFO, MX, TXT = 1, 2, 5, 6, 11, 12, 13, 15, 16
AAAA, LOC, SRV, NAPTR, A6 = 28, 29, 33, 35, 38
NBS = 32          # NetBIOS "NB" record (RFC 1002), shares its value with NIMLOC
NBSTAT = 33       # NetBIOS node status, shares its value with SRV (RFC 1002 predates RFC 2782)
OPT = 41          # EDNS(0) pseudo-RR (RFC 6891)
DS, SSHFP, RRSIG, NSEC, DNSKEY, NSEC3, NSEC3PARAM = 43, 44, 46, 47, 48, 50, 51
SVCB, HTTPS = 64, 65
SPF = 99
TKEY = 249
TSIG = 250
ANY = 255
CAA = 257
BINDS = 65534     # BIND 9's private "signing signal" record

# Classes with special meaning in dynamic update (RFC 2136 §2.4, §2.5).
CLASS_NONE, CLASS_ANY = 254, 255

# Opcodes (RFC 6895 §2.2).
OP_QUERY, OP_IQUERY, OP_STATUS, OP_NOTIFY, OP_UPDATE, OP_DSO = 0, 1, 2, 4, 5, 6
#: The opcodes whose messages Zeek's dns.log tracks; others are parsed but not logged.
LOGGED_OPCODES = frozenset({OP_QUERY, OP_NOTIFY, OP_UPDATE})

QUERY_TYPES = {
    1: "A", 2: "NS", 3: "MD", 4: "MF", 5: "CNAME", 6: "SOA", 7: "MB", 8: "MG", 9: "MR",
    10: "NULL", 11: "WKS", 12: "PTR", 13: "HINFO", 14: "MINFO", 15: "MX", 16: "TXT",
    17: "RP", 18: "AFSDB", 19: "X25", 20: "ISDN", 21: "RT", 22: "NSAP", 23: "NSAP-PTR",
    24: "SIG", 25: "KEY", 26: "PX", 27: "GPOS", 28: "AAAA", 29: "LOC", 30: "NXT",
    31: "EID", 32: "NIMLOC", 33: "SRV", 34: "ATMA", 35: "NAPTR", 36: "KX", 37: "CERT",
    38: "A6", 39: "DNAME", 40: "SINK", 41: "OPT", 42: "APL", 43: "DS", 44: "SSHFP",
    45: "IPSECKEY", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 49: "DHCID", 50: "NSEC3",
    51: "NSEC3PARAM", 52: "TLSA", 53: "SMIMEA", 55: "HIP", 56: "NINFO", 57: "RKEY",
    58: "TALINK", 59: "CDS", 60: "CDNSKEY", 61: "OPENPGPKEY", 62: "CSYNC", 63: "ZONEMD",
    64: "SVCB", 65: "HTTPS", 99: "SPF", 100: "UINFO", 101: "UID", 102: "GID",
    103: "UNSPEC", 104: "NID", 105: "L32", 106: "L64", 107: "LP", 108: "EUI48",
    109: "EUI64", 249: "TKEY", 250: "TSIG", 251: "IXFR", 252: "AXFR", 253: "MAILB",
    254: "MAILA", 255: "*", 256: "URI", 257: "CAA", 32768: "TA", 32769: "DLV",
    65281: "WINS", 65282: "WINS-R", 65422: "XPF", 65521: "INTEGRITY",
}

RCODES = {
    0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED",
    6: "YXDOMAIN", 7: "YXRRSET", 8: "NXRRSet", 9: "NOTAUTH", 10: "NOTZONE",
    11: "unassigned-11", 12: "unassigned-12", 13: "unassigned-13", 14: "unassigned-14",
    15: "unassigned-15", 16: "BADVERS", 17: "BADKEY", 18: "BADTIME", 19: "BADMODE",
    20: "BADNAME", 21: "BADALG", 22: "BADTRUNC", 23: "BADCOOKIE", 3842: "BADSIG",
}

CLASSES = {1: "C_INTERNET", 2: "C_CSNET", 3: "C_CHAOS", 4: "C_HESIOD",
           254: "C_NONE", 255: "C_ANY"}

OPCODES = {0: "query", 1: "iquery", 2: "server-status", 4: "notify",
           5: "dynamic-update", 6: "dso"}

NETBIOS_OPCODES = {0: "netbios-query", 5: "netbios-registration", 6: "netbios-release",
                   7: "netbios-wack", 8: "netbios-refresh"}

# DNSSEC algorithm numbers (RFC 8624 §3.1) that need no weird when seen in DNSKEY/RRSIG.
DNSSEC_ALGO_OK = frozenset({2, 3, 4, 5, 6, 7, 8, 10, 12, 13, 14, 15, 16})
# ... and the ones Zeek names in its weird (everything else is "unknown").
DNSSEC_ALGO_WEIRD = {1: "NotRecommended", 252: "Indirect", 253: "PrivateDNS",
                     254: "PrivateOID"}
# DS digest types (RFC 8624 §3.3): 0 is reserved, others beyond 4 unknown.
DS_DIGESTS_OK = frozenset({1, 2, 3, 4})


def qtype_name(n: int) -> str:
    name = QUERY_TYPES.get(n)
    return name if name is not None else f"query-{n}"


def class_name(n: int) -> str:
    name = CLASSES.get(n)
    return name if name is not None else f"qclass-{n}"


def rcode_name(n: int) -> str:
    name = RCODES.get(n)
    return name if name is not None else f"rcode-{n}"


def opcode_name(n: int, netbios: bool = False) -> str:
    if netbios:
        name = NETBIOS_OPCODES.get(n)
        return name if name is not None else f"netbios-opcode-{n}"
    name = OPCODES.get(n)
    return name if name is not None else f"opcode-{n}"
