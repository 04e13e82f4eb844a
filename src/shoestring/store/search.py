"""search: the common questions without SQL. A term is classified (IP, CIDR, domain,
uid, community id, file hash) and each log is asked on the columns where that kind of
value lives, chosen from the log schemas by name and Zeek type; results newest first."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

import duckdb

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


def _ipv4_int(expr: str) -> str:
    parts = [f"TRY_CAST(split_part({expr}, '.', {i}) AS UBIGINT)" for i in range(1, 5)]
    return f"(({parts[0]} * 16777216) + ({parts[1]} * 65536) + ({parts[2]} * 256) + {parts[3]})"


def conditions(log_schema, term: Term) -> list[str]:
    out = []
    for field in log_schema.fields:
        etype, name = field.element_type, field.name
        if term.kind == "ip" and (etype == "addr" or name == "answers"):
            out.append(_match(field, lambda x: f"{x} = {_lit(term.value)}"))
        elif term.kind == "cidr" and etype == "addr":
            net = term.network
            if net.version == 4:
                lo, hi = int(net.network_address), int(net.broadcast_address)
                out.append(_match(field, lambda x: f"({x} NOT LIKE '%:%' AND "
                                                   f"{_ipv4_int(x)} BETWEEN {lo} AND {hi})"))
            else:
                out.append(_match(field, lambda x: f"_in_net6({x})"))
        elif term.kind == "domain" and name in DOMAIN_COLUMNS:
            d = term.value
            out.append(_match(field, lambda x: f"(lower({x}) = {_lit(d)} OR "
                                               f"ends_with(lower({x}), {_lit('.' + d)}))"))
        elif term.kind == "uid" and name in UID_COLUMNS:
            out.append(_match(field, lambda x: f"{x} = {_lit(term.value)}"))
        elif term.kind == "community_id" and name == "community_id":
            out.append(_match(field, lambda x: f"{x} = {_lit(term.value)}"))
        elif term.kind == "hash" and name in HASH_COLUMNS:
            out.append(_match(field, lambda x: f"lower({x}) = {_lit(term.value)}"))
    return out


@dataclass
class Hits:
    log: str
    columns: list[str]
    rows: list[tuple]


def search(store, text: str, rng: query.TimeRange, limit: int = DEFAULT_LIMIT,
           timeout: float | None = None) -> list[Hits]:
    """Each log's newest ``limit`` matches. Two passes per log, because DuckDB would read
    every column of every row for ``SELECT * ... ORDER BY ts LIMIT``: the first reads only
    ts, the file name and the searched columns to find which hour files hold the newest
    matches; the second reads whole records from just those files."""
    term = classify(text)
    timeout = timeout or store.config.query_timeout_s
    files = query.parquet_files(store, rng)
    con = duckdb.connect(":memory:", config={"threads": query.DUCKDB_THREADS})
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
    found = []
    try:
        with query.time_limit(con, timeout):
            for log in sorted(files):
                where = conditions(schemas.get(log), term)
                if not where:
                    continue
                cond = "(" + " OR ".join(where) + ")" + (f" AND {span}" if span else "")
                # files.log has a "filename" column: name DuckDB's own one apart.
                source = (f"read_parquet({query.file_list(files[log])}, "
                          "filename = '_store_file', union_by_name = true)")
                holders = con.execute(
                    f"SELECT DISTINCT _store_file FROM (SELECT _store_file FROM {source} "
                    f"WHERE {cond} ORDER BY ts DESC NULLS LAST LIMIT {int(limit)})"
                ).fetchall()
                if not holders:
                    continue
                source = (f"read_parquet({query.file_list([h[0] for h in holders])}, "
                          "filename = '_store_file', union_by_name = true)")
                cursor = con.execute(f"SELECT * EXCLUDE (_store_file) FROM {source} "
                                     f"WHERE {cond} ORDER BY ts DESC NULLS LAST "
                                     f"LIMIT {int(limit)}")
                rows = cursor.fetchall()
                if rows:
                    found.append(Hits(log, [d[0] for d in cursor.description], rows))
    finally:
        con.close()
    return found
