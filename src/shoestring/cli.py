"""The command line: parses arguments, calls the library, formats results. Nothing else.

Subcommands live in ``shoestring.commands`` (one module each, discovered at start).
"""

from __future__ import annotations

import argparse
import sys

from .errors import EXIT_USAGE, UserError


def build_parser() -> argparse.ArgumentParser:
    from .commands import all_commands

    parser = argparse.ArgumentParser(
        prog="shoestring",
        description="Network security monitoring sensor: packets in, Zeek-compatible "
                    "logs out, kept tamper-evident for 180 days.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in all_commands():
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("geoping", "geodns"):
        # geo keeps its own parser so `shoestring geoping` and `geoping` are one program.
        from .geo import cli as geo_cli
        return geo_cli.run(argv[0], argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"shoestring: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
