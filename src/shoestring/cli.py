"""The command line: parses arguments, calls the library, formats results. Nothing else."""

from __future__ import annotations

import argparse
import sys

EXIT_USAGE = 2


class UserError(Exception):
    """A mistake of the user's (a missing file, a bad flag): one line, exit 2."""


def _geo(argv: list[str], which: str) -> int:
    from .geo import cli as geo_cli

    return geo_cli.run(which, argv)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shoestring",
        description="Network security monitoring sensor: packets in, Zeek-compatible logs out.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    read = sub.add_parser("read", help="read capture files and write Zeek logs")
    read.add_argument("files", nargs="+", metavar="FILE",
                      help="pcap, pcapng or gzip-compressed capture; - for standard input")
    read.add_argument("-C", dest="ignore_checksums", action="store_true",
                      help="ignore IP/TCP/UDP checksums (as zeek -C)")
    read.add_argument("--logdir", default="logs", help="folder for the logs (default ./logs)")
    read.add_argument("--json", action="store_true", help="write JSON lines instead of Zeek TSV")
    read.add_argument("--logs", default=None,
                      help="comma-separated logs to write (default: all), e.g. conn,dns")
    read.add_argument("--no-progress", action="store_true", help="no progress bar")
    read.add_argument("--quiet", "-q", action="store_true", help="no summary")

    sub.add_parser("geoping", add_help=False,
                   help="ping a host from several places in the world (Shodan geonet)")
    sub.add_parser("geodns", add_help=False,
                   help="resolve a name from several places in the world (Shodan geonet)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("geoping", "geodns"):
        return _geo(argv[1:], argv[0])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        if args.command == "read":
            from .commands.read import run_read
            return run_read(args)
    except UserError as exc:
        print(f"shoestring: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    parser.error(f"unknown command {args.command}")
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
