"""The import arrows of DESIGN.md, checked by parsing every module with ast."""

from __future__ import annotations

import ast
import pathlib
from collections.abc import Iterable

SRC = pathlib.Path(__file__).resolve().parents[1] / "src" / "headwater"

# layer -> the headwater layers it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "definitions": {"errors"},
    "execution": {"errors", "definitions"},
    "storage": {"errors", "definitions", "execution", "_extras"},
    "code": {"errors", "definitions", "execution", "storage"},
    "daemon": {"errors", "definitions", "execution", "storage", "code"},
    "server": {"errors", "definitions", "execution", "storage", "code", "daemon"},
    "cli": {"errors", "definitions", "execution", "storage", "code", "daemon", "server",
            "migration", "_extras"},
    "integrations": {"errors", "definitions", "execution", "_extras"},
    "pipes": {"errors", "definitions", "execution"},
    "_compat": {"_exports"},
    "migration": {"errors", "_compat", "_exports"},
    # the one-line error of a missing extra, for the layers that import optional packages
    "_extras": {"errors"},
}
# Inside `definitions`: room -> the rooms it may import (besides itself). The vocabulary at the
# top (`key`, `tags`, `run_request`, `_runtime`) is shared; the bundle (`definitions`,
# `repository`, `repository_decorator`, `module_loader`, `serdes`) sits on everything else.
VOCABULARY = {"key", "tags", "keywords", "run_request", "_runtime"}
BUNDLE = {"definitions", "repository", "repository_decorator", "module_loader", "serdes"}
DEFINITION_ROOMS: dict[str, set[str]] = {
    "key": set(),
    "tags": set(),
    "keywords": set(),
    "_runtime": set(),
    "run_request": {"key", "tags"},
    "metadata": {"key", "tags", "keywords"},
    "partitions": {"key", "tags", "keywords"},
    "config": {"metadata", "partitions"} | VOCABULARY,
    "ops": {"config", "metadata", "partitions"} | VOCABULARY,
    "assets": {"ops", "config", "metadata", "partitions"} | VOCABULARY,
    "automation": {"assets", "ops", "config", "metadata", "partitions"} | VOCABULARY,
    "checks": {"assets", "ops", "config", "metadata", "partitions", "automation"} | VOCABULARY,
    **{name: {"assets", "ops", "config", "metadata", "partitions", "automation", "checks"}
       | VOCABULARY | BUNDLE for name in BUNDLE},
    # components: a project's defs folder and defs.yaml files, loaded through the bundle
    "components": {"assets", "ops", "config", "metadata", "partitions", "automation", "checks"}
    | VOCABULARY | BUNDLE,
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
               if d.is_dir() and len(list(d.glob("*.py"))) > 20]
    giants = [f"{p.relative_to(SRC)} ({n} lines)" for p in SRC.rglob("*.py")
              if (n := len(p.read_text().splitlines())) > 850]
    assert crowded == [] and giants == []


# --- import cycles -------------------------------------------------------------------------
# Cycles that a function-level import hides today, each to be removed by moving the shared
# thing down a layer (STYLE.md). Drop an entry when its cycle is gone; add none.
KNOWN_HIDDEN_CYCLES: list[set[str]] = [
    # Empty: the three found when this test was written are gone.
]


def _module_names() -> dict[str, pathlib.Path]:
    names = {}
    for path in SRC.parent.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[0] == "headwater" or parts[0].startswith("headwater_"):
            names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def _import_targets(module: str, path: pathlib.Path, node: ast.AST, known: Iterable[str]
                    ) -> set[str]:
    """The headwater modules an import statement loads (`from pkg import mod` loads pkg.mod)."""
    known = set(known)
    if isinstance(node, ast.Import):
        return {a.name for a in node.names} & known
    assert isinstance(node, ast.ImportFrom)
    base = node.module or ""
    if node.level:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        package = package[:len(package) - node.level + 1]
        base = ".".join([*package, *([node.module] if node.module else [])])
    found = {f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names}
    return found & known


def _top_level_imports(tree: ast.Module) -> list[ast.AST]:
    """Imports that run when the module is imported: its body, and `if`/`try` blocks in it
    (not `if TYPE_CHECKING:`), never function or class bodies."""
    found: list[ast.AST] = []

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found.append(node)
            elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                visit(node.orelse)
                visit(node.finalbody)
                for handler in node.handlers:
                    visit(handler.body)

    visit(tree.body)
    return found


def _import_graph(top_level_only: bool) -> dict[str, set[str]]:
    modules = _module_names()
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                       and "TYPE_CHECKING" in ast.unparse(block.test)
                       for n in ast.walk(block)}  # annotations only: never imported at run time
        nodes = _top_level_imports(tree) if top_level_only else [
            n for n in ast.walk(tree)
            if isinstance(n, (ast.Import, ast.ImportFrom)) and id(n) not in typing_only]
        graph[name] = set().union(*(_import_targets(name, path, n, modules) for n in nodes)) - {name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def _cycle_path(graph: dict[str, set[str]], component: set[str]) -> str:
    """One cycle through the component, written `a -> b -> a`."""
    start = min(component)
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node] & component):
                if child == start:
                    path = [start]
                    while node != start:
                        path.append(node)
                        node = previous[node]
                    return " -> ".join([start, *reversed(path[1:]), start])
                if child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    return " <-> ".join(sorted(component))


def test_no_import_cycles_at_module_level():
    """No two modules import each other, directly or round a loop, when they are imported."""
    graph = _import_graph(top_level_only=True)
    assert [_cycle_path(graph, c) for c in _cycles(graph)] == []


def test_no_cycle_hides_behind_a_function_level_import():
    """A function-level import does not close a loop either (outside the known list above)."""
    graph = _import_graph(top_level_only=False)
    found = [_cycle_path(graph, c) for c in _cycles(graph) if c not in KNOWN_HIDDEN_CYCLES]
    assert found == []


def test_the_cycle_finder_finds_and_writes_a_cycle():
    """The finder itself: a loop of three is one cycle, written from its first module."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert _cycles(graph) == [{"a", "b", "c"}]
    assert _cycle_path(graph, {"a", "b", "c"}) == "a -> b -> c -> a"


def test_the_ephemeral_instance_seam_is_the_only_string_import_of_storage():
    """Only execution/event.py names headwater.storage (to load the ephemeral instance), and
    storage registers its constructor there."""
    naming = [str(p.relative_to(SRC)) for p in (SRC / "execution").rglob("*.py")
              if '"headwater.storage' in p.read_text() or "'headwater.storage" in p.read_text()]
    assert naming == ["execution/event.py"]
    assert "register_ephemeral_instance(" in (SRC / "storage" / "instance.py").read_text()


# --- integrations ----------------------------------------------------------------------------
# `src/headwater_<tool>/` packages sit on top of the core: they may import headwater, the core
# never imports them (headwater_pipes, the dependency-free external side, is the one exception:
# the host side of Pipes shares its message vocabulary).
INTEGRATIONS = sorted(p for p in SRC.parent.glob("headwater_*") if p.is_dir())
CORE_MAY_IMPORT = {"headwater_pipes"}


def test_the_core_never_imports_an_integration():
    problems = []
    for path in SRC.rglob("*.py"):
        for name, _ in _imports(path):
            top = name.split(".")[0]
            if top.startswith("headwater_") and top not in CORE_MAY_IMPORT:
                problems.append(f"{path.relative_to(SRC)} imports {name}")
    assert problems == []


def test_integration_packages_are_rooms_too():
    """Each integration package: a docstring in __init__, ~20 modules at most, none over ~800 lines."""
    problems = []
    for package in INTEGRATIONS:
        init = package / "__init__.py"
        if not init.exists() or ast.get_docstring(ast.parse(init.read_text())) is None:
            problems.append(f"{package.name}/__init__.py has no docstring")
        for folder in [package, *package.rglob("*")]:
            if folder.is_dir() and len(list(folder.glob("*.py"))) > 20:
                problems.append(f"{folder.relative_to(SRC.parent)} holds over 20 modules")
        for path in package.rglob("*.py"):
            if (n := len(path.read_text().splitlines())) > 850:
                problems.append(f"{path.relative_to(SRC.parent)} ({n} lines)")
    assert problems == []


def test_import_headwater_imports_no_integration_tool():
    """`import headwater` (and its public names) loads none of the integrations' tools."""
    import subprocess
    import sys

    tools = ["duckdb", "dbt", "polars", "deltalake", "pyspark", "dlt", "mlflow", "sklearn",
             "pandas", "pyarrow", "matplotlib"]
    code = ("import sys, headwater\n"
            "from headwater import asset, Definitions, materialize, ConfigurableResource\n"
            f"loaded = [t for t in {tools!r} if t in sys.modules]\n"
            "assert loaded == [], loaded\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_integration_ships_in_the_wheel_and_is_type_checked():
    import tomllib

    project = tomllib.loads((SRC.parents[1] / "pyproject.toml").read_text())
    shipped = set(project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"])
    checked = set(project["tool"]["mypy"]["files"])
    for package in INTEGRATIONS:
        assert f"src/{package.name}" in shipped, f"add src/{package.name} to the wheel packages"
        assert f"src/{package.name}" in checked, f"add src/{package.name} to mypy's files"
