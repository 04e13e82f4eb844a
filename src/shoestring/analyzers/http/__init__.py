"""HTTP analyzer: http.log per request/reply pair, files.log for the bodies."""

from ..base import AnalyzerSpec
from .analyzer import HttpAnalyzer
from .consts import PORTS, SIGNATURE_METHODS
from .errors import HTTPParseError


def looks_like_http(payload: bytes, is_orig: bool) -> bool:
    """Cheap DPD test: a request line's method (client) or "HTTP/d.d " (server)."""
    if is_orig:
        return payload.startswith(SIGNATURE_METHODS)
    return (len(payload) >= 9 and payload[:5] == b"HTTP/" and payload[5:6].isdigit()
            and payload[6:7] == b"." and payload[7:8].isdigit() and payload[8] in (32, 9))


# Zeek's base/protocols/http registers 80, 81, 631, 1080, 3128, 8000, 8080, 8888/tcp.
SPEC = AnalyzerSpec(name="http", factory=HttpAnalyzer, tcp_ports=PORTS,
                    signature=looks_like_http)

__all__ = ["SPEC", "HttpAnalyzer", "HTTPParseError", "looks_like_http"]
