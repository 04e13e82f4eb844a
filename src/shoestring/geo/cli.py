"""The geoping and geodns commands: ping and resolve a target from around the world.

Both ask Shodan's geonet service, so the target leaves the machine for a service abroad;
they run only when a person types them, never from the sensor's automatic paths. Entry
points: geoping_main/geodns_main (console scripts) and run() (`shoestring geoping|geodns`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap

from . import answers, client, compare_local, render, validate
from .errors import ExitCode, GeoError, InvalidInput

PRIVACY = ("Privacy: {what} is sent to Shodan's geonet service ({default}), a service abroad "
           "run by Shodan (USA), which probes it from vantage points in several countries. Do "
           "not use it for names or addresses you must keep to yourself.")

# Ten minutes is longer than any person waits at a prompt; it also keeps socket timeouts in
# range (an infinite one overflows the C timeval).
MAX_TIMEOUT_S = 600.0

DESCRIPTIONS = {
    "geoping": ("Ping TARGET (a public IP address or hostname) from Shodan's vantage points "
                "around the world: is it down for everyone, or only for us? One line per "
                "vantage point, sorted by city: average RTT, then min and max. A vantage point "
                "that got no reply shows the loss instead."),
    "geodns": ("Resolve NAME from Shodan's vantage points around the world: does it resolve "
               "to the same thing everywhere? One line per answer, sorted by value, with the "
               "city that got it; a vantage point that got no answer prints no line."),
}


def _epilog(which: str) -> str:
    is_dns = which == "geodns"
    codes = [(0, "answers printed" + (" (with --compare-local: local answers agree)"
                                      if is_dns else ""))]
    if is_dns:
        codes.append((1, "--compare-local: local answers share nothing with any vantage point"))
    codes += [(2, f"bad argument or invalid {'name or type' if is_dns else 'target'}; "
                  "nothing was sent"),
              (3, "service unreachable (refused, timed out, DNS or TLS failure)"),
              (4, "service answered with an HTTP error (429 and 5xx are retried first)"),
              (5, "service's answer is not the JSON expected")]
    if is_dns:
        codes.append((6, "--compare-local: this machine's resolver failed"))
    privacy = PRIVACY.format(what="NAME" if is_dns else "TARGET", default=client.DEFAULT_API_URL)
    return "\n".join([
        textwrap.fill(privacy, 79), "", "exit status:",
        *(f"  {code}  {text}" for code, text in codes), "", "environment:",
        f"  {client.API_URL_ENV}  API base URL (--api-url wins)",
        f"  {client.BACKOFF_ENV}  seconds before the first retry, doubled each time "
        f"(default {client.DEFAULT_BACKOFF_S:g})",
    ])


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line (and exit 2) like every other failure."""

    def error(self, message: str):
        self.exit(ExitCode.USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser(which: str) -> argparse.ArgumentParser:
    is_dns = which == "geodns"
    parser = _Parser(prog=which, description=textwrap.fill(DESCRIPTIONS[which], 79),
                     epilog=_epilog(which),
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    if is_dns:
        parser.add_argument("name", metavar="NAME", help="DNS name to resolve (sent abroad)")
        parser.add_argument("-t", "--type", dest="rtype", default="A", metavar="RTYPE",
                            help=f"record type: {', '.join(validate.ALLOWED_RTYPES)} (default A)")
        parser.add_argument("--compare-local", action="store_true",
                            help="also resolve NAME here and flag it when the local answers "
                                 "share nothing with any vantage point (possible DNS hijacking; "
                                 "CDNs differ by place too, so it is a lead, not proof)")
        parser.add_argument("--nameserver", metavar="IP[:PORT]",
                            help="with --compare-local, ask this server instead of the "
                                 "system resolver")
    else:
        parser.add_argument("target", metavar="TARGET",
                            help="public IP address or hostname to ping (sent abroad)")
    parser.add_argument("--json", action="store_true",
                        help="print the API's answer as it came" + (
                            " (with --compare-local, an object holding it and the local "
                            "comparison)" if is_dns else ""))
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="say on standard error what is sent, each retry"
                             + (", and the vantage points that got no answer" if is_dns else ""))
    parser.add_argument("--api-url", metavar="URL",
                        help=f"API base URL (default ${client.API_URL_ENV} or "
                             f"{client.DEFAULT_API_URL})")
    parser.add_argument("--timeout", type=float, default=client.DEFAULT_TIMEOUT_S,
                        metavar="SECONDS",
                        help=f"give up on one request after this long "
                             f"(default {client.DEFAULT_TIMEOUT_S:g})")
    parser.add_argument("--retries", type=int, default=client.DEFAULT_RETRIES, metavar="N",
                        help=f"retries on HTTP 429/5xx, with exponential backoff "
                             f"(default {client.DEFAULT_RETRIES})")
    return parser


def run(which: str, argv: list[str]) -> int:
    """Run geoping or geodns with argv (without the program name); returns the exit status."""
    if which not in DESCRIPTIONS:
        print(f"shoestring: unknown geo command {which!r}", file=sys.stderr)
        return ExitCode.USAGE
    parser = build_parser(which)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2, already printed)
        return exc.code if isinstance(exc.code, int) else ExitCode.USAGE
    try:
        return int(_geodns(args) if which == "geodns" else _geoping(args))
    except GeoError as exc:
        print(f"{which}: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `geodns x | head`: the reader left; not an error. Point stdout at devnull so the
        # interpreter's final flush does not complain on stderr.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OK


def _client(args, which: str) -> client.GeonetClient:
    if not 0 < args.timeout <= MAX_TIMEOUT_S:
        raise InvalidInput(f"--timeout must be between 0 and {MAX_TIMEOUT_S:g} seconds")
    if not 0 <= args.retries <= 10:
        raise InvalidInput("--retries must be between 0 and 10")
    base = validate.api_url(args.api_url or os.environ.get(client.API_URL_ENV)
                            or client.DEFAULT_API_URL)
    log = (lambda msg: print(f"{which}: {msg}", file=sys.stderr)) if args.verbose else None
    return client.GeonetClient(base, timeout=args.timeout, retries=args.retries,
                               backoff=client.backoff_from_env(), log=log)


def _geoping(args) -> int:
    target = validate.geoping_target(args.target)
    body = _client(args, "geoping").get("geoping", target)
    results = answers.parse_geoping(body)  # checked even with --json: no garbage passes as data
    if args.json:
        _write_raw(body)
    else:
        _write(render.geoping_text(results))
    if not results:
        print(f"geoping: the service returned no vantage point for {target}", file=sys.stderr)
    return ExitCode.OK


def _geodns(args) -> int:
    rtype = validate.record_type(args.rtype)
    name = validate.geodns_name(args.name, rtype)
    nameserver = None
    if args.nameserver is not None:
        if not args.compare_local:
            raise InvalidInput("--nameserver only makes sense with --compare-local")
        nameserver = compare_local.parse_nameserver(args.nameserver)
    body = _client(args, "geodns").get("geodns", name, {"rtype": rtype})
    results = answers.parse_geodns(body)
    if args.verbose:
        for label in render.silent_locations(results):
            print(f"geodns: no answer from {label}", file=sys.stderr)
    if not any(r.answers for r in results):
        print(f"geodns: no vantage point got an answer for {name} {rtype}", file=sys.stderr)
    if not args.compare_local:
        _write_raw(body) if args.json else _write(render.geodns_text(results))
        return ExitCode.OK

    local = compare_local.resolve_local(name, rtype, nameserver=nameserver,
                                        timeout=args.timeout)
    cmp = compare_local.compare(rtype, local, results)
    if args.json:
        _write(json.dumps({"name": name, "type": rtype, "remote": json.loads(body),
                           "local": list(cmp.local), "shared": sorted(cmp.shared),
                           "mismatch": cmp.mismatch}, indent=2) + "\n")
    else:
        _write(render.geodns_text(results) + _local_text(name, rtype, cmp))
    return ExitCode.MISMATCH if cmp.mismatch else ExitCode.OK


def _local_text(name: str, rtype: str, cmp: compare_local.Comparison) -> str:
    width = render.LABEL_WIDTH
    lines = [f"{render.safe(v):{width}s} this machine"
             + ("" if v in cmp.remote else " (seen at no vantage point)") for v in cmp.local]
    if not cmp.local:
        lines.append(f"{'-':{width}s} this machine (no answer)")
    if cmp.mismatch:
        lines.append(f"MISMATCH: this machine's answers for {name} {rtype} share nothing with "
                     "any vantage point (possible DNS hijacking or blocking; CDNs also differ "
                     "by place)")
    else:
        lines.append(f"match: this machine's answers for {name} {rtype} agree with at least "
                     "one vantage point")
    return "".join(line + "\n" for line in lines)


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _write_raw(body: bytes) -> None:
    """The body byte for byte; a final newline only if it lacks one, for the shell prompt."""
    sys.stdout.buffer.write(body if body.endswith(b"\n") else body + b"\n")
    sys.stdout.flush()


def geoping_main() -> None:
    sys.exit(run("geoping", sys.argv[1:]))


def geodns_main() -> None:
    sys.exit(run("geodns", sys.argv[1:]))
