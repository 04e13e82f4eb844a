"""The installed build is the one setup.py promises.

A normal install compiles the modules listed in setup.py's COMPILED with mypyc; when mypyc
cannot build them, setup.py falls back to pure Python with a warning only. The logs are the
same either way, so every other test passes on a fallen-back build, and the speed and
memory figures in bench/RESULTS.md silently stop holding. This test is what notices: on a
normal (non-editable) install, every listed module must be a compiled extension.
"""

from __future__ import annotations

import ast
import importlib
import os
from pathlib import Path

import pytest

import shoestring

ROOT = Path(__file__).resolve().parent.parent


def _compiled_list() -> list[str]:
    tree = ast.parse((ROOT / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "COMPILED" for t in node.targets):
            return [ast.literal_eval(e) for e in node.value.elts]
    raise AssertionError("setup.py has no COMPILED list")


def _module_name(path: str) -> str:
    parts = Path(path).with_suffix("").parts
    assert parts[0] == "src", path
    name = ".".join(parts[1:])
    return name[: -len(".__init__")] if name.endswith(".__init__") else name


def test_compiled_list_names_real_modules():
    for path in _compiled_list():
        assert (ROOT / path).is_file(), f"setup.py COMPILED lists a missing file: {path}"


@pytest.mark.skipif(Path(shoestring.__file__).resolve().is_relative_to(ROOT / "src"),
                    reason="editable install: pure Python on purpose (setup.py)")
@pytest.mark.skipif(os.environ.get("SHOESTRING_PURE") == "1",
                    reason="SHOESTRING_PURE=1 asked for a pure-Python build")
def test_every_listed_module_is_compiled():
    interpreted = []
    for path in _compiled_list():
        module = importlib.import_module(_module_name(path))
        if not (module.__file__ or "").endswith(".so"):
            interpreted.append(module.__name__)
    assert not interpreted, (
        f"installed as pure Python, though setup.py compiles them: {interpreted} "
        "(the mypyc build failed and fell back; reinstall with `pip install -v .` to see why)")
