"""QUIC analyzer: quic.log and ssl.log from QUIC v1/v2 handshakes (Initial packets decrypted).

detect.py finds ``SPEC`` here: Zeek's QUIC ports, plus Zeek's dynamic-detection signature
(an Initial of v1 or v2 at the start of a datagram) for QUIC on other ports.
"""

from __future__ import annotations

from ..base import AnalyzerSpec
from .analyzer import QuicAnalyzer
from .consts import UDP_PORTS, VERSION_1, VERSION_2
from .parse import MAX_CID_LEN

_V1 = VERSION_1.to_bytes(4, "big")
_V2 = VERSION_2.to_bytes(4, "big")


def looks_like_quic_initial(payload: bytes, is_orig: bool) -> bool:
    """Zeek's dpd.sig for QUIC: /^[\\xC0-\\xCF]\\x00\\x00\\x00\\x01/ (v1 Initial) or
    /^[\\xD0-\\xDF]\\x6b\\x33\\x43\\xcf/ (v2 Initial), plus a DCID no longer than v1 allows,
    which costs nothing and keeps random UDP from matching one time in 2^36."""
    if len(payload) < 7:
        return False
    first, version = payload[0], payload[1:5]
    if not ((0xC0 <= first <= 0xCF and version == _V1) or
            (0xD0 <= first <= 0xDF and version == _V2)):
        return False
    return payload[5] <= MAX_CID_LEN


SPEC = AnalyzerSpec(name="quic", factory=QuicAnalyzer, udp_ports=UDP_PORTS,
                    signature=looks_like_quic_initial)

__all__ = ["SPEC", "QuicAnalyzer", "looks_like_quic_initial"]
