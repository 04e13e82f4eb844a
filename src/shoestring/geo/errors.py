"""Exit statuses and the one exception tree of the geo commands (geoping, geodns).

Every failure becomes a GeoError carrying the exit status the shell sees, so cli.run()
turns each into exactly one line on standard error and never a traceback.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """What `echo $?` says after geoping/geodns; documented in --help and the README."""

    OK = 0              # answers printed (and, with --compare-local, local answers agree)
    MISMATCH = 1        # --compare-local: local answers share nothing with any vantage point
    USAGE = 2           # bad argument or invalid host/name/type: nothing was sent
    UNREACHABLE = 3     # service not reached: refused, timed out, name/TLS failure
    HTTP_ERROR = 4      # service answered with an HTTP error (after retries for 429/5xx)
    BAD_ANSWER = 5      # service answered 200 but not with the JSON these commands expect
    LOCAL_RESOLVER = 6  # --compare-local: this machine's resolver failed (not "no such name")


class GeoError(Exception):
    """A failure the user is told about in one line; exit_code is what the process returns."""

    exit_code = ExitCode.BAD_ANSWER


class InvalidInput(GeoError):
    """The target, name, record type or API URL is not acceptable; nothing was sent."""

    exit_code = ExitCode.USAGE


class Unreachable(GeoError):
    """The service could not be reached or did not answer in time."""

    exit_code = ExitCode.UNREACHABLE


class HTTPFailure(GeoError):
    """The service answered with an HTTP error status."""

    exit_code = ExitCode.HTTP_ERROR


class GeoParseError(GeoError):
    """The service's answer is not JSON of the expected shape (the geo package's ParseError)."""

    exit_code = ExitCode.BAD_ANSWER


class ServiceRefused(GeoParseError):
    """The answer is geonet's {"error": "..."} explanation instead of results."""

    exit_code = ExitCode.HTTP_ERROR


class LocalResolverError(GeoError):
    """This machine's resolver failed in a way that is not an answer (e.g. it timed out)."""

    exit_code = ExitCode.LOCAL_RESOLVER
