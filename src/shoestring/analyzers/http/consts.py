"""HTTP tables as data: ports, methods, proxy headers and the parser's named limits."""

from typing import Final

# Zeek's base/protocols/http/main.zeek registers these ports for the HTTP analyzer.
PORTS: Final = frozenset({80, 81, 631, 1080, 3128, 8000, 8080, 8888})

# HTTP::http_methods: any other method is logged but raises the weird unknown_HTTP_method.
KNOWN_METHODS: Final = frozenset({
    "GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE", "CONNECT",
    # WebDAV and friends (distributed authoring)
    "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK",
    "POLL", "REPORT", "SUBSCRIBE", "BMOVE", "SEARCH",
})

# HTTP::proxy_headers: request headers that suggest the request went through a proxy.
PROXY_HEADERS: Final = frozenset({
    "FORWARDED", "X-FORWARDED-FOR", "X-FORWARDED-FROM", "CLIENT-IP", "VIA",
    "XROXY-CONNECTION", "PROXY-CONNECTION",
})

# Methods the signature accepts as the start of a request (cheap DPD on any port).
SIGNATURE_METHODS: Final = (
    b"GET ", b"POST ", b"HEAD ", b"PUT ", b"DELETE ", b"OPTIONS ", b"TRACE ", b"CONNECT ",
    b"PATCH ", b"PROPFIND ", b"PROPPATCH ", b"MKCOL ", b"COPY ", b"MOVE ", b"LOCK ",
    b"UNLOCK ", b"SEARCH ", b"REPORT ", b"SUBSCRIBE ", b"POLL ", b"BMOVE ",
)

# --- Named limits (each hit records a weird) ---------------------------------------
#: Longest request/status/header line kept. Servers refuse far less (Apache 8 KiB,
#: nginx 8-16 KiB); 64 KiB keeps every real URI while a 1 MB line cannot grow memory.
MAX_LINE: Final = 64 * 1024
#: Headers kept per message; real messages carry dozens, a flood is an attack.
MAX_HEADERS: Final = 1000
#: Largest chunk size believed. Bodies are streamed, never allocated by size, but a
#: 2^64 size must not overflow arithmetic or pin the parser forever: 2^40 (1 TiB) is
#: beyond any real chunk.
MAX_CHUNK_SIZE: Final = 1 << 40
#: Decoded (gunzipped/inflated) bytes per message body. A gzip bomb expands ~1000x;
#: 32 MiB of output is far above real pages and bounds time spent inflating.
MAX_DECODED: Final = 32 * 1024 * 1024
#: Decoded bytes produced per inflate call, so one small hostile input cannot make a
#: single call allocate its full expansion.
INFLATE_STEP: Final = 256 * 1024
#: Requests awaiting replies per connection (HTTP::max_pending_requests in Zeek).
MAX_PENDING: Final = 100
#: Files logged per direction per transaction (HTTP::max_files_orig / max_files_resp).
MAX_FILES: Final = 15
