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
# Inside `definitions`: room -> the rooms it may import (besides itself). The vocabulary at the
# top (`key`, `tags`, `run_request`, `_runtime`) is shared; the bundle (`definitions`,
# `repository`, `module_loader`, `serdes`) sits on everything else.
VOCABULARY = {"key", "tags", "run_request", "_runtime"}
BUNDLE = {"definitions", "repository", "module_loader", "serdes"}
DEFINITION_ROOMS: dict[str, set[str]] = {
    "key": set(),
    "tags": set(),
    "_runtime": set(),
    "run_request": {"key", "tags"},
    "metadata": {"key", "tags"},
    "partitions": {"key", "tags"},
    "config": {"metadata"} | VOCABULARY,
    "ops": {"config", "metadata", "partitions"} | VOCABULARY,
    "assets": {"ops", "config", "metadata", "partitions"} | VOCABULARY,
    "automation": {"assets", "ops", "config", "metadata", "partitions"} | VOCABULARY,
    **{name: {"assets", "ops", "config", "metadata", "partitions", "automation"}
       | VOCABULARY | BUNDLE for name in BUNDLE},
}
# The one inversion: `definitions/_runtime.py` loads the engine by name. No other module of
# `definitions` may even spell the name of a layer above it.
RUNTIME_SEAM = SRC / "definitions" / "_runtime.py"
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


def _room(path: pathlib.Path) -> str:
    rel = path.relative_to(SRC / "definitions")
    return rel.parts[0].removesuffix(".py")


def test_definitions_rooms_import_only_downwards():
    """Inside definitions: metadata and partitions at the bottom, then config, ops, assets,
    automation, and the Definitions bundle on top; a room never imports one above it."""
    problems = []
    for path in (SRC / "definitions").rglob("*.py"):
        if path.parent == SRC / "definitions" and path.name == "__init__.py":
            continue
        room = _room(path)
        assert room in DEFINITION_ROOMS, f"definitions/{room} is a new room: add it to DEFINITION_ROOMS"
        for name, _ in _imports(path):
            parts = name.split(".")
            if parts[:2] != ["headwater", "definitions"] or len(parts) < 3:
                continue
            target = parts[2]
            if target != room and target not in DEFINITION_ROOMS[room]:
                problems.append(f"definitions/{path.relative_to(SRC / 'definitions')} imports {name}")
        if path != RUNTIME_SEAM:
            for upper in ("execution", "storage", "code", "daemon", "server", "cli"):
                text = path.read_text()
                if f'"headwater.{upper}' in text or f"'headwater.{upper}" in text:
                    problems.append(f"{path.relative_to(SRC)} names headwater.{upper} "
                                    "(only definitions/_runtime.py may)")
    assert problems == []


def test_the_runtime_seam_is_the_only_string_import_of_the_engine():
    """_runtime.py names only headwater.execution, and the engine registers itself there."""
    text = RUNTIME_SEAM.read_text()
    assert '"headwater.execution"' in text
    for upper in ("storage", "code", "daemon", "server", "cli"):
        assert f"headwater.{upper}" not in text
    assert "_runtime.register(" in (SRC / "execution" / "api.py").read_text()


def test_no_room_is_crowded():
    """No package folder holds more than ~20 modules and no module is over ~800 lines."""
    crowded = [str(d.relative_to(SRC)) for d in [SRC, *SRC.rglob("*")]
               if d.is_dir() and len(list(d.glob("*.py"))) > 21]
    giants = [f"{p.relative_to(SRC)} ({n} lines)" for p in SRC.rglob("*.py")
              if (n := len(p.read_text().splitlines())) > 850]
    assert crowded == [] and giants == []


def test_the_ephemeral_instance_seam_is_the_only_string_import_of_storage():
    """Only execution/event.py names headwater.storage (to load the ephemeral instance), and
    storage registers its constructor there."""
    naming = [str(p.relative_to(SRC)) for p in (SRC / "execution").rglob("*.py")
              if '"headwater.storage' in p.read_text() or "'headwater.storage" in p.read_text()]
    assert naming == ["execution/event.py"]
    assert "register_ephemeral_instance(" in (SRC / "storage" / "instance.py").read_text()
