"""Content-Encoding gzip/deflate decoding of HTTP bodies, with a hard cap on output.

zlib.decompressobj is used with max_length so that one hostile input can never make a
single call allocate its whole expansion (a gzip bomb expands ~1000x); the total per body
is capped too (consts.MAX_DECODED), after which a weird is recorded and decoding stops.
"""

from __future__ import annotations

import zlib

from . import consts


class Decoder:
    """Content-Encoding gzip/deflate decoding with a hard output cap."""

    __slots__ = ("obj", "raw_fallback", "produced", "failed", "capped")

    def __init__(self, kind: str):
        # wbits 47 = zlib or gzip header, auto-detected; deflate servers disagree on
        # zlib-wrapped vs raw, so try zlib first and fall back to raw once.
        self.obj = zlib.decompressobj(47 if kind == "gzip" else 15)
        self.raw_fallback = kind == "deflate"
        self.produced = 0
        self.failed = False
        self.capped = False

    def feed(self, data: bytes, out: list[bytes], weirds: list[str]) -> None:
        if self.failed or self.capped:
            return
        try:
            while data:
                room = consts.MAX_DECODED - self.produced
                if room <= 0:
                    self.capped = True
                    weirds.append("HTTP_decompressed_size_exceeded")
                    return
                chunk = self.obj.decompress(data, min(consts.INFLATE_STEP, room))
                if chunk:
                    self.produced += len(chunk)
                    out.append(chunk)
                data = self.obj.unconsumed_tail
                if self.obj.eof:
                    return
                if not chunk and data:
                    return
        except zlib.error:
            if self.raw_fallback and self.produced == 0:
                self.raw_fallback = False
                self.obj = zlib.decompressobj(-15)
                self.feed(data, out, weirds)
                return
            self.failed = True
            weirds.append("inflate_failed")
