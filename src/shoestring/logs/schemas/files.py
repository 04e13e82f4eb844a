"""files.log: Files seen in traffic. Fields and order as Zeek writes them."""

from ..schema import declare

SCHEMA = declare("files", "Files seen in traffic.", """
ts time
fuid string
uid string
id.orig_h addr
id.orig_p port
id.resp_h addr
id.resp_p port
source string
depth count
analyzers set[string]
mime_type string
filename string
duration interval
local_orig bool
is_orig bool
seen_bytes count
total_bytes count
missing_bytes count
overflow_bytes count
timedout bool
parent_fuid string
md5 string MD5 of the file.
sha1 string SHA-1 of the file.
sha256 string SHA-256 of the file.
""")
