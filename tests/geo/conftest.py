"""Fixtures for the geo tests: the stand-in API and a runner for the real console scripts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .standin import StandIn

BIN = Path(sys.executable).parent


@pytest.fixture
def api():
    with StandIn() as standin:
        yield standin


def command(name: str) -> list[str]:
    """The installed console script; its entry function if the venv has no script."""
    script = BIN / name
    if script.exists():
        return [str(script)]
    func = {"geoping": "geoping_main", "geodns": "geodns_main"}.get(name)
    if func:
        return [sys.executable, "-c", f"from shoestring.geo.cli import {func}; {func}()"]
    return [sys.executable, "-m", "shoestring.cli"]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
           and k != "SHOESTRING_GEONET_URL"}
    # Never the real API: anything that slips past --api-url lands on a closed loopback port.
    env["SHOESTRING_GEONET_URL"] = "http://127.0.0.1:9"
    env["SHOESTRING_GEONET_BACKOFF"] = "0.01"
    env.update(extra)
    return env


def run(name: str, *args: str, env: dict[str, str] | None = None, timeout: float = 30):
    return subprocess.run(command(name) + list(args), capture_output=True, timeout=timeout,
                          env=env or clean_env())
