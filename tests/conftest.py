"""Fixtures shared across the suite."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@pytest.fixture
def components_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                       ) -> Iterator[Callable[[str, dict[str, str]], tuple[Path, str]]]:
    """A factory writing a components project under tmp_path: `make(prefix, files)` gives
    (root, package name); `files` maps paths to dedented text, `{name}` in either standing for
    the package name. The package name is unique to the test, and its modules are
    forgotten afterwards."""
    made: list[str] = []

    def make(prefix: str, files: dict[str, str]) -> tuple[Path, str]:
        name = f"{prefix}_{tmp_path.name.replace('-', '_').lower()}"
        made.append(name)
        base = {
            "pyproject.toml": f'[project]\nname = "{name}"\n[tool.dg.project]\n'
                              f'root_module = "{name}"\n',
            f"src/{name}/__init__.py": "",
            f"src/{name}/defs/__init__.py": "",
        }
        for rel, text in {**base, **{k.replace('{name}', name): v.replace('{name}', name)
                                        for k, v in files.items()}}.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        return tmp_path, name

    monkeypatch.setattr(sys, "path", list(sys.path))
    yield make
    for name in made:
        for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[module]
