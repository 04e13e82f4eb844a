"""analyzer.log: Analyzer failures (protocol violations). Fields and order as Zeek writes them."""

from ..schema import declare

SCHEMA = declare("analyzer", "Analyzer failures (protocol violations).", """
ts time
analyzer_kind string
analyzer_name string
uid string
fuid string
id.orig_h addr
id.orig_p port
id.resp_h addr
id.resp_p port
proto enum
failure_reason string
failure_data string
""")
