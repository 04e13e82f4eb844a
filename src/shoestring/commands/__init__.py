"""One module per subcommand. Each defines ``ORDER`` (its place in --help) and
``register(subparsers)``, which adds its parser and sets ``func=handler(args) -> int``.
cli.py discovers them; adding a command never edits a shared file."""

from __future__ import annotations

import importlib
import pkgutil


def all_commands():
    modules = [importlib.import_module(f"{__name__}.{info.name}")
               for info in pkgutil.iter_modules(__path__)]
    return sorted((m for m in modules if hasattr(m, "register")),
                  key=lambda m: getattr(m, "ORDER", 100))
