"""The import arrows of DESIGN.md, checked by parsing every module with ast."""

from __future__ import annotations

import ast
import pathlib

SRC = pathlib.Path(__file__).resolve().parents[1] / "src" / "headwater"

# layer -> the headwater layers it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "definitions": {"errors"},
    "execution": {"errors", "definitions"},
    "storage": {"errors", "definitions", "execution"},
    "code": {"errors", "definitions", "execution", "storage"},
    "daemon": {"errors", "definitions", "execution", "storage", "code"},
    "server": {"errors", "definitions", "execution", "storage", "code", "daemon"},
    "cli": {"errors", "definitions", "execution", "storage", "code", "daemon", "server"},
    "integrations": {"errors", "definitions", "execution"},
}
HEAVY = {"sqlalchemy", "fastapi", "pandas", "dask", "distributed", "uvicorn", "alembic", "numpy"}


def _layer(path: pathlib.Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 or rel.name != "__init__.py" else "root"


def _imports(path: pathlib.Path) -> list[tuple[str, bool]]:
    """(module imported, at module level?) for every import in the file."""
    tree = ast.parse(path.read_text())
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            found.append((name, id(node) in top_level))
    return found


def test_layers_import_only_downwards():
    """No module imports a layer above its own (definitions -> execution is forbidden, etc.)."""
    problems = []
    for path in SRC.rglob("*.py"):
        layer = _layer(path)
        if layer == "root":
            continue
        for name, _ in _imports(path):
            parts = name.split(".")
            if parts[0] != "headwater" or len(parts) < 2:
                continue
            target = parts[1]
            if target != layer and target not in ALLOWED.get(layer, set()):
                problems.append(f"{path.relative_to(SRC)} imports {name}")
    assert problems == []


def test_heavy_dependencies_are_not_imported_at_module_level_of_the_core():
    """SQLAlchemy, pandas, dask and friends load only where used, never at import of the core."""
    problems = []
    for layer in ("definitions", "execution"):
        for path in (SRC / layer).rglob("*.py"):
            for name, top in _imports(path):
                if top and name.split(".")[0] in HEAVY:
                    problems.append(f"{path.relative_to(SRC)} imports {name} at module level")
    assert problems == []


def test_tree_is_at_most_two_levels_deep():
    """Modules live at most two levels below headwater/ (no _core/... trees)."""
    deep = [p for p in SRC.rglob("*.py") if len(p.relative_to(SRC).parts) > 3]
    assert deep == []
