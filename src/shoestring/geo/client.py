"""HTTP client for Shodan's geonet API: one GET, with a deadline, a size cap and retries.

Stdlib urllib on purpose: one small GET per command run does not justify a dependency, and
urllib honours the usual *_proxy variables a corporate network needs. The client returns the
body bytes as they came; answers.py decides whether they make sense.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Callable

from .errors import GeoParseError, HTTPFailure, Unreachable

DEFAULT_API_URL = "https://geonet.shodan.io"
API_URL_ENV = "SHOESTRING_GEONET_URL"
# Seconds before the first retry; doubled each time. An environment override lets tests
# (and impatient users) shorten it without a flag nobody else needs.
BACKOFF_ENV = "SHOESTRING_GEONET_BACKOFF"
DEFAULT_BACKOFF_S = 1.0
DEFAULT_TIMEOUT_S = 30.0  # geoping pings from every vantage point first: answers take seconds
DEFAULT_RETRIES = 3
# Six vantage points answer in a few KB; a megabyte means this is not geonet talking.
MAX_RESPONSE_BYTES = 1 << 20
# A Retry-After longer than this is not worth blocking a terminal for: give up and say so.
MAX_RETRY_AFTER_S = 60.0
# Error bodies are quoted in the one-line message; more than this is noise.
MAX_ERROR_TEXT = 200
READ_CHUNK = 64 * 1024
USER_AGENT = "shoestring-geo/0.1 (+https://github.com/shoestring)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def one_line(text: str, limit: int = MAX_ERROR_TEXT) -> str:
    """Text from the network made safe for one terminal line: no control characters."""
    cleaned = "".join(c if c.isprintable() else " " for c in text)
    cleaned = " ".join(cleaned.split())
    return cleaned[:limit] + ("..." if len(cleaned) > limit else "")


def backoff_from_env(default: float = DEFAULT_BACKOFF_S) -> float:
    raw = os.environ.get(BACKOFF_ENV)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        return default
    return value if 0 <= value <= MAX_RETRY_AFTER_S else default


class GeonetClient:
    """GETs one geonet path. Retries 429 and 5xx with exponential backoff, nothing else:
    a refused connection or a timeout will not be cured by asking again a second later."""

    def __init__(self, base_url: str, *, timeout: float = DEFAULT_TIMEOUT_S,
                 retries: int = DEFAULT_RETRIES, backoff: float = DEFAULT_BACKOFF_S,
                 sleep: Callable[[float], None] = time.sleep,
                 log: Callable[[str], None] | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self._sleep, self._log = sleep, log or (lambda msg: None)

    def url_for(self, kind: str, target: str, query: dict[str, str] | None = None) -> str:
        # ":" stays literal so an IPv6 target reads as it does in geonet's own examples.
        url = f"{self.base_url}/api/{kind}/{urllib.parse.quote(target, safe=':')}"
        return url + ("?" + urllib.parse.urlencode(query) if query else "")

    def get(self, kind: str, target: str, query: dict[str, str] | None = None) -> bytes:
        url = self.url_for(kind, target, query)
        attempt = 0
        while True:
            self._log(f"GET {url}")
            try:
                return self._get_once(url)
            except _Retryable as exc:
                if attempt >= self.retries:
                    raise HTTPFailure(f"{exc.describe()} from {url} "
                                      f"(gave up after {attempt + 1} attempts)") from None
                delay = self.backoff * (2 ** attempt)
                if exc.retry_after is not None:
                    if exc.retry_after > MAX_RETRY_AFTER_S:
                        raise HTTPFailure(f"{exc.describe()} from {url}: the service asks to "
                                          f"wait {exc.retry_after:g} s; try again later") from None
                    delay = max(delay, exc.retry_after)
                attempt += 1
                self._log(f"{exc.describe()}; retry {attempt} of {self.retries} in {delay:g} s")
                self._sleep(delay)

    def _get_once(self, url: str) -> bytes:
        request = urllib.request.Request(url, headers={
            "User-Agent": USER_AGENT, "Accept": "application/json"})
        deadline = time.monotonic() + self.timeout
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                return _read_capped(resp, deadline, self.timeout)
        except urllib.error.HTTPError as exc:
            body = _read_error_body(exc)
            if exc.code in RETRY_STATUSES:
                raise _Retryable(exc.code, exc.reason, _retry_after(exc.headers)) from None
            detail = _error_detail(body)
            raise HTTPFailure(f"HTTP {exc.code} {one_line(str(exc.reason), 60)} from {url}"
                              + (f": {detail}" if detail else "")) from None
        except urllib.error.URLError as exc:
            raise Unreachable(f"cannot reach {url}: {_describe_oserror(exc.reason)}") from None
        except (TimeoutError, socket.timeout):
            raise Unreachable(f"{url} did not answer within {self.timeout:g} s") from None
        except http.client.HTTPException as exc:
            raise Unreachable(f"{url} broke off the answer: {type(exc).__name__}") from None
        except OSError as exc:
            raise Unreachable(f"connection to {url} failed: {_describe_oserror(exc)}") from None


class _Retryable(Exception):
    def __init__(self, code: int, reason: str, retry_after: float | None):
        super().__init__(code)
        self.code, self.reason, self.retry_after = code, reason, retry_after

    def describe(self) -> str:
        return f"HTTP {self.code} {one_line(str(self.reason), 60)}"


def _read_capped(resp, deadline: float, timeout: float) -> bytes:
    """Read at most MAX_RESPONSE_BYTES, within the same deadline as the connect: the socket
    timeout alone restarts on every byte, so a server dripping bytes could hold us forever."""
    chunks, total = [], 0
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError
        # read1, not read: read(n) blocks until n bytes arrive, which a drip never delivers.
        chunk = resp.read1(READ_CHUNK)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > MAX_RESPONSE_BYTES:
            raise GeoParseError(f"the answer from {resp.geturl()} exceeds {MAX_RESPONSE_BYTES} bytes; "
                           "that is not geonet")
        chunks.append(chunk)


def _read_error_body(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read(MAX_ERROR_TEXT * 8)
    except Exception:  # the body of an error is a courtesy; its absence is not a new error
        return b""
    finally:
        exc.close()


def _error_detail(body: bytes) -> str:
    """geonet explains errors as {"error": "..."}; quote that, else the text itself."""
    text = body.decode("utf-8", "replace")
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        obj = None
    if isinstance(obj, dict) and isinstance(obj.get("error"), str):
        text = obj["error"]
    return one_line(text)


def _retry_after(headers) -> float | None:
    raw = headers.get("Retry-After") if headers else None
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None  # an HTTP-date: rare from APIs; plain backoff is good enough
    return value if value >= 0 else None


def _describe_oserror(reason) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return "timed out"
    if isinstance(reason, socket.gaierror):
        return f"cannot resolve the service's name ({one_line(str(reason.strerror), 80)})"
    if isinstance(reason, ssl.SSLError):
        return f"TLS failed ({one_line(str(reason.reason or reason), 80)})"
    if isinstance(reason, OSError) and reason.strerror:
        return one_line(reason.strerror, 80)
    return one_line(str(reason), 120)
