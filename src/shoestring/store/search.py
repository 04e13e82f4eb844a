"""search: the common questions without SQL. A term is classified (IP, CIDR, domain,
uid, community id, file hash) and each log is asked on the columns where that kind of
value lives, chosen from the log schemas by name and Zeek type; results newest first.

Speed (issue 5: one IP across 30 days in under 2 s): each column test that DuckDB can push
into the Parquet scan is asked on its own, so the daily files' Bloom filters and min/max
statistics (compact.py) skip the row groups that cannot hold the value; the newest day's
files are asked first, and older ones only when they could still hold a newer match than
those found."""

from __future__ import annotations

import calendar
import datetime as dt
import ipaddress
import re
from dataclasses import dataclass

from ..errors import UserError
from ..logs import schema as schemas
from . import query

# Per-log result cap: a search is for reading; a count or a dump is what `query` is for.
DEFAULT_LIMIT = 1000
HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.)+"
                         r"[a-z0-9-]{1,63}\.?$")
UID_RE = re.compile(r"^[CF][A-Za-z0-9]{8,24}$")
COMMUNITY_RE = re.compile(r"^1:[A-Za-z0-9+/]{27}=$")
HASH_LENGTHS = {32: "md5", 40: "sha1", 64: "sha256"}
_MIN = dt.datetime.min
# String columns that hold names of hosts (exact or as the parent of a subdomain).
DOMAIN_COLUMNS = ("query", "host", "server_name", "san.dns", "answers",
                  "certificate.subject", "sni")
UID_COLUMNS = ("uid", "fuid", "parent_fuid", "orig_fuids", "resp_fuids", "conn_uids",
               "tunnel_parents")
HASH_COLUMNS = ("md5", "sha1", "sha256", "fingerprint", "cert_chain_fps",
                "client_cert_chain_fps", "ja3", "ja3s")


@dataclass
class Term:
    kind: str          # ip, cidr, domain, uid, community_id, hash
    value: str
    network: object = None


def classify(text: str) -> Term:
    text = text.strip()
    try:
        return Term("ip", str(ipaddress.ip_address(text)))
    except ValueError:
        pass
    if "/" in text:
        try:
            net = ipaddress.ip_network(text, strict=False)
            if net.num_addresses == 1:          # a /32 or /128 is one address
                return Term("ip", str(net.network_address))
            return Term("cidr", str(net), net)
        except ValueError:
            pass
    if COMMUNITY_RE.match(text):
        return Term("community_id", text)
    if re.fullmatch(r"[0-9a-fA-F]+", text) and len(text) in HASH_LENGTHS:
        return Term("hash", text.lower())
    if UID_RE.match(text) and not text.islower():
        return Term("uid", text)
    lowered = text.lower().rstrip(".")
    if HOSTNAME_RE.match(lowered):
        return Term("domain", lowered.removeprefix("*."))
    raise UserError(f"cannot tell what {text!r} is: search takes an IP address, a CIDR "
                    "(10.1.0.0/24), a domain (example.com finds its subdomains too), a "
                    "uid (C...), a community id (1:...=) or a file hash (md5/sha1/sha256)")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _match(field, test) -> str:
    """``test(sql_expr)`` on a column, or on any element of a set/vector column."""
    if field.container:
        return f"len(list_filter({_q(field.name)}, lambda x: {test('x')})) > 0"
    return test(_q(field.name))


def _ipv4_cidr(expr: str, net) -> str:
    """IPv4 CIDR membership on the dotted text, without splitting every address: the
    whole octets of the prefix are a string range (a pushed-down filter DuckDB also prunes
    row groups with: '10.1.0.' <= x < '10.1.0/', as '/' follows '.'), and a partial
    octet is one number compared on the rows inside that range."""
    octets = str(net.network_address).split(".")
    whole, partial = divmod(net.prefixlen, 8)
    prefix = ".".join(octets[:whole]) + "." if whole else ""
    tests = []
    if prefix:
        tests.append(f"{expr} >= {_lit(prefix)} AND {expr} < {_lit(prefix[:-1] + '/')}")
    else:
        tests.append(f"(contains({expr}, '.') AND NOT contains({expr}, ':'))")
    if partial:
        lo = int(octets[whole])
        hi = lo + (1 << (8 - partial)) - 1
        tests.append(f"TRY_CAST(split_part(substr({expr}, {len(prefix) + 1}), '.', 1) "
                     f"AS INTEGER) BETWEEN {lo} AND {hi}")
    return "(" + " AND ".join(tests) + ")"


def _equals(field, value: str) -> str:
    """Equality on a column, or membership in a set/vector column (list_contains: six
    times faster than a lambda over the list on the bench's dns answers)."""
    if field.container:
        return f"list_contains({_q(field.name)}, {_lit(value)})"
    return f"{_q(field.name)} = {_lit(value)}"


@dataclass
class Condition:
    sql: str
    pushable: bool       # a test of one scalar column DuckDB pushes into the Parquet scan


def conditions(log_schema, term: Term) -> list[Condition]:
    out = []
    for field in log_schema.fields:
        etype, name = field.element_type, field.name
        scalar = not field.container
        if term.kind == "ip" and (etype == "addr" or name == "answers"):
            out.append(Condition(_equals(field, term.value), scalar))
        elif term.kind == "cidr" and etype == "addr":
            net = term.network
            if net.version == 4:
                out.append(Condition(_match(field, lambda x: _ipv4_cidr(x, net)), scalar))
            else:
                # Python, but only on the rows that hold an IPv6 address at all.
                out.append(Condition(_match(field, lambda x: f"(contains({x}, ':') AND "
                                                             f"_in_net6({x}))"), False))
        elif term.kind == "domain" and name in DOMAIN_COLUMNS:
            d = term.value
            out.append(Condition(_match(field, lambda x: f"(lower({x}) = {_lit(d)} OR "
                                                         f"ends_with(lower({x}), "
                                                         f"{_lit('.' + d)}))"), False))
        elif term.kind == "uid" and name in UID_COLUMNS:
            out.append(Condition(_equals(field, term.value), scalar))
        elif term.kind == "community_id" and name == "community_id":
            out.append(Condition(_equals(field, term.value), scalar))
        elif term.kind == "hash" and name in HASH_COLUMNS:
            out.append(Condition(_match(field, lambda x: f"lower({x}) = {_lit(term.value)}"),
                                 False))
    return out


@dataclass
class Hits:
    log: str
    columns: list[str]
    rows: list[tuple]


# The first batch of files searched: those holding the newest day of records. A busy
# host's newest ``limit`` matches are all there, so the older files are never opened.
NEWEST_SPAN_S = 86400.0


def search(store, text: str, rng: query.TimeRange, limit: int = DEFAULT_LIMIT,
           timeout: float | None = None) -> list[Hits]:
    """Each log's newest ``limit`` matches, newest first."""
    term = classify(text)
    timeout = timeout or store.config.query_timeout_s
    found = query.parquet_entries(store, rng)
    try:
        return _search(term, found, rng, limit, timeout)
    except query.QueryError:
        if not query.vanished(e["file"] for log in found.values() for e in log):
            raise
    # Compaction or retention replaced files meanwhile: list them again, once.
    return _search(term, query.parquet_entries(store, rng), rng, limit, timeout)


def _search(term: Term, found: dict[str, list[dict]], rng: query.TimeRange, limit: int,
            timeout: float) -> list[Hits]:
    con = query.new_connection()
    if term.kind == "cidr" and term.network.version == 6:
        net = term.network

        def in_net6(value: str) -> bool:
            try:
                return value is not None and ipaddress.ip_address(value) in net
            except ValueError:
                return False
        con.create_function("_in_net6", in_net6, ["VARCHAR"], "BOOLEAN",
                            null_handling="special")
    span = query.range_condition(rng)
    out = []
    try:
        with query.time_limit(con, timeout):
            for log in sorted(found):
                where = conditions(schemas.get(log), term)
                if where:
                    hits = _log_hits(con, log, found[log], where, span, int(limit))
                    if hits is not None:
                        out.append(hits)
    finally:
        con.close()
    return out


def _find(files: list[str], where: list[Condition], span: str, limit: int) -> str:
    """Pass 1: where the newest matches are (file, row number, ts), reading only ts and
    the searched columns. One SELECT per pushable condition (a lone column test is pushed
    into the scan, where each row group's Bloom filter and min/max can rule it out; an OR
    of columns is not), each excluding rows an earlier one matched; the rest together."""
    source = (f"read_parquet({query.file_list(files)}, filename = '_store_file', "
              "file_row_number = true, union_by_name = true)")
    extra = f" AND {span}" if span else ""
    pushed = [c.sql for c in where if c.pushable]
    rest = [c.sql for c in where if not c.pushable]
    keys = "SELECT _store_file, file_row_number, ts"
    branches = []
    for i, cond in enumerate(pushed):
        before = "".join(f" AND NOT coalesce({p}, false)" for p in pushed[:i])
        branches.append(f"{keys} FROM {source} WHERE {cond}{before}{extra}")
    if rest:
        before = "".join(f" AND NOT coalesce({p}, false)" for p in pushed)
        branches.append(f"{keys} FROM {source} WHERE ({' OR '.join(rest)}){before}{extra}")
    union = " UNION ALL ".join(f"({b})" for b in branches)
    return f"SELECT * FROM ({union}) ORDER BY ts DESC NULLS LAST LIMIT {limit}"


def _fetch(rows_by_file: dict[str, list[int]]) -> str:
    """Pass 2: whole records of just those rows; the row-number range lets DuckDB skip
    every other row group (a file is ts-sorted, so the newest matches sit together)."""
    parts = []
    for path, numbers in sorted(rows_by_file.items()):
        listed = ", ".join(str(n) for n in sorted(numbers))
        parts.append(f"(SELECT * EXCLUDE (file_row_number) FROM read_parquet("
                     f"{query.file_list([path])}, file_row_number = true) "
                     f"WHERE file_row_number BETWEEN {min(numbers)} AND {max(numbers)} "
                     f"AND file_row_number IN ({listed}))")
    return (f"SELECT * FROM ({' UNION ALL BY NAME '.join(parts)}) "
            "ORDER BY ts DESC NULLS LAST")


def _log_hits(con, log: str, entries: list[dict], where: list[Condition], span: str,
              limit: int) -> Hits | None:
    """The newest files first (a day's worth); the rest only if they could still hold
    one of the newest ``limit`` matches. Then the records of the matches found."""
    ends = [e.get("last_ts") for e in entries if e.get("last_ts") is not None]
    newest = max(ends) if ends else None
    first = [e for e in entries if newest is None or e.get("last_ts") is None
             or e["last_ts"] >= newest - NEWEST_SPAN_S]
    rest = [e for e in entries if e not in first]
    found: list[tuple] = []                 # (file, row number, ts), newest first
    for batch in (first, rest):
        if not batch:
            continue
        if len(found) >= limit:
            oldest_kept = _epoch(found[-1][2])
            if oldest_kept is not None and oldest_kept > max(
                    (e.get("last_ts") or float("inf")) for e in batch):
                break
        found += con.execute(_find([e["file"] for e in batch], where, span,
                                   limit)).fetchall()
        found.sort(key=lambda r: (r[2] is not None, r[2] or _MIN), reverse=True)
        del found[limit:]
    if not found:
        return None
    by_file: dict[str, list[int]] = {}
    for path, number, _ in found:
        by_file.setdefault(path, []).append(number)
    cursor = con.execute(_fetch(by_file))
    return Hits(log, [d[0] for d in cursor.description], cursor.fetchall())


def _epoch(value) -> float | None:
    if value is None:
        return None
    return calendar.timegm(value.utctimetuple()) + value.microsecond / 1e6
