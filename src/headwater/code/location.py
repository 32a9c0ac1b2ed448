"""Code locations: where user code lives (file, module, directory) and whether it loaded.

A `CodeLocationOrigin` says how to import one location; `origins_from_options` turns the
CLI's -f/-m/-d/-a into origins, falling back to `[tool.headwater]` in pyproject.toml, then
to `[tool.dg.project]` (a components project: `<root_module>.definitions`).
`CodeLocation` records a location's load status and error. Imports `code.loader` and
`definitions`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from headwater.code.loader import CodeLoadError, error_from_exception, load_definitions
from headwater.definitions.definitions import Definitions
from headwater.errors import HeadwaterInvalidDefinitionError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_ORIGIN_KEYS = ("python_file", "module_name", "working_directory", "attribute")
_NAME_KEYS = ("location_name", "code_location_name")
# Files a bare `-d project/` looks for when the directory has no [tool.headwater].
_DEFAULT_FILES = ("definitions.py", "defs.py")


@dataclass(frozen=True)
class CodeLocationOrigin:
    """How to import one code location: a file or a module, optionally from a directory."""

    python_file: str | None = None
    module_name: str | None = None
    working_directory: str | None = None
    attribute: str | None = None
    location_name: str | None = None
    #: the address (`http(s)://host:port`) of the network code server holding this code, when
    #: it was learned from one: runs of it start on that server's machine (its `start_run`)
    code_server: str | None = None

    @property
    def name(self) -> str:
        if self.location_name:
            return self.location_name
        if self.module_name:
            return self.module_name
        if self.python_file:
            return os.path.splitext(os.path.basename(self.python_file))[0]
        return os.path.basename(os.path.abspath(self.working_directory or "."))

    def resolved(self) -> CodeLocationOrigin:
        """The same origin with absolute paths, so it means the same in another process."""
        wd = os.path.abspath(self.working_directory) if self.working_directory else None
        if wd is None and self.module_name:
            wd = os.getcwd()  # where `-m` imports from
        python_file = self.python_file
        if python_file and not os.path.isabs(python_file):
            in_wd = os.path.join(wd, python_file) if wd else None
            python_file = in_wd if in_wd and os.path.exists(in_wd) else os.path.abspath(python_file)
        return replace(self, python_file=python_file, working_directory=wd)

    def to_args(self) -> list[str]:
        """Command-line arguments (-f/-m/-d/-a/--location-name) naming this origin."""
        args: list[str] = []
        for flag, value in (("-f", self.python_file), ("-m", self.module_name),
                            ("-d", self.working_directory), ("-a", self.attribute),
                            ("--location-name", self.location_name)):
            if value:
                args += [flag, value]
        return args

    def load(self) -> Definitions:
        """Import the code in this process and return its Definitions."""
        return load_definitions(self.python_file, self.module_name, self.working_directory,
                                self.attribute, location=self.name)

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}"
                           for k in (*_ORIGIN_KEYS, "location_name", "code_server")
                           if getattr(self, k))
        return f"CodeLocationOrigin({fields})"


@dataclass
class CodeLocation:
    """One code location: its origin, and after `load()`, its Definitions or its error (and,
    once a code server was asked, its snapshot)."""

    origin: CodeLocationOrigin
    status: str = "unloaded"  # unloaded | loaded | error
    error: dict[str, Any] | None = None
    definitions: Definitions | None = field(default=None, repr=False)
    snapshot: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.origin.name

    def load(self) -> CodeLocation:
        """Import the code in this process; a broken file sets `status="error"`, never raises."""
        self.snapshot = None
        try:
            defs = self.origin.load()
            defs.resolve_asset_graph()
        except CodeLoadError as exc:
            self.status, self.error, self.definitions = "error", exc.to_dict(), None
        except HeadwaterInvalidDefinitionError as exc:  # every problem, as one error
            self.status, self.definitions = "error", None
            self.error = {"kind": "definition_error", "message": str(exc), "file": None,
                          "line": None, "traceback": "",
                          "problems": list(getattr(exc, "problems", [str(exc)]))}
        except Exception as exc:  # e.g. raised by a @definitions function
            self.status, self.definitions = "error", None
            self.error = error_from_exception(exc, "load_error")
        else:
            self.status, self.error, self.definitions = "loaded", None, defs
        return self


def _origin_from_table(table: Mapping[str, Any], root: str, where: str) -> CodeLocationOrigin:
    unknown = sorted(set(table) - set(_ORIGIN_KEYS) - set(_NAME_KEYS))
    if unknown:
        raise CodeLoadError(
            f"{where}: unknown key(s) {', '.join(unknown)}; known keys are "
            f"{', '.join(_ORIGIN_KEYS + _NAME_KEYS)}.", where)
    if not table.get("python_file") and not table.get("module_name"):
        raise CodeLoadError(f"{where}: set module_name = \"pkg.defs\" or python_file = "
                            "\"defs.py\" to say where the Definitions are.", where)
    wd = table.get("working_directory")
    wd = os.path.normpath(os.path.join(root, wd)) if wd else root
    python_file = table.get("python_file")
    if python_file and not os.path.isabs(python_file):
        python_file = os.path.normpath(os.path.join(wd, python_file))
    name = next((table[k] for k in _NAME_KEYS if table.get(k)), None)
    return CodeLocationOrigin(python_file=python_file, module_name=table.get("module_name"),
                              working_directory=wd, attribute=table.get("attribute"),
                              location_name=name)


def origins_from_pyproject(path: str) -> list[CodeLocationOrigin]:
    """The locations declared under [tool.headwater] (one, or `code_locations = [...]`)."""
    path = os.path.abspath(path)
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CodeLoadError(f"Cannot read {path}: {exc}", path) from exc
    root = os.path.dirname(path)
    table = data.get("tool", {}).get("headwater")
    dg_project = data.get("tool", {}).get("dg", {}).get("project")
    if not isinstance(table, Mapping):
        table = {}
    where = f"{path} [tool.headwater]"
    listed = table.get("code_locations")
    if listed is None:
        single = {k: v for k, v in table.items() if k in _ORIGIN_KEYS or k in _NAME_KEYS}
        if isinstance(dg_project, Mapping) and not set(single) & {"python_file", "module_name"}:
            name = next((single[k] for k in _NAME_KEYS if single.get(k)), None)
            return [_origin_from_dg_project(dg_project, data, root, path, name)]
        return [_origin_from_table(single, root, where)] if single else []
    if not isinstance(listed, list):
        raise CodeLoadError(f"{where}: code_locations must be a list of tables, e.g. "
                            "code_locations = [{module_name = \"pkg.defs\"}].", path)
    origins = [_origin_from_table(item, root, f"{where} code_locations[{i}]")
               for i, item in enumerate(listed)]
    names = [o.name for o in origins]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise CodeLoadError(f"{where}: two code locations are named {duplicates[0]!r}; give "
                            "each a distinct location_name.", path)
    return origins


def _origin_from_dg_project(table: Mapping[str, Any], data: Mapping[str, Any], root: str,
                            path: str, name: str | None) -> CodeLocationOrigin:
    """The location of a components project (`[tool.dg.project]`): the module
    `<root_module>.definitions` (or code_location_target_module), imported from `src/` when
    the package lives there."""
    where = f"{path} [tool.dg.project]"
    root_module = table.get("root_module")
    if not isinstance(root_module, str) or not root_module:
        raise CodeLoadError(f"{where}: set root_module = \"my_project\" (the project's "
                            "top-level package).", path)
    if table.get("autoload_defs"):
        raise CodeLoadError(
            f"{where}: autoload_defs is not supported by headwater; remove it and add "
            f"{root_module.replace('.', '/')}/definitions.py returning "
            "load_from_defs_folder(project_root=...) from a @definitions function.", path)
    top = root_module.split(".")[0]
    src = os.path.join(root, "src")
    wd = src if os.path.isdir(os.path.join(src, top)) else root
    target = table.get("code_location_target_module") or f"{root_module}.definitions"
    project_name = data.get("project", {}).get("name")
    location_name = name or table.get("code_location_name") or project_name or root_module
    return CodeLocationOrigin(module_name=target, working_directory=wd,
                              location_name=location_name)


def load_locations_from_pyproject(path: str) -> list[CodeLocation]:
    """CodeLocations (not yet loaded) for each location of a pyproject.toml."""
    return [CodeLocation(origin) for origin in origins_from_pyproject(path)]


def find_pyproject(start: str | None = None) -> str | None:
    """The nearest pyproject.toml at or above `start` (default: the current directory)."""
    directory = os.path.abspath(start or os.getcwd())
    while True:
        candidate = os.path.join(directory, "pyproject.toml")
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def origins_from_options(python_file: str | None = None, module_name: str | None = None,
                         working_directory: str | None = None, attribute: str | None = None,
                         ) -> list[CodeLocationOrigin]:
    """What -f/-m/-d/-a name; without -f/-m, the [tool.headwater] locations of pyproject.toml
    (in -d, else the nearest above the current directory), else a definitions.py in -d."""
    if python_file or module_name:
        return [CodeLocationOrigin(python_file, module_name, working_directory, attribute)]
    start = working_directory or os.getcwd()
    pyproject = (os.path.join(start, "pyproject.toml") if working_directory
                 else find_pyproject(start))
    origins = (origins_from_pyproject(pyproject)
               if pyproject and os.path.isfile(pyproject) else [])
    if origins:
        return [replace(o, attribute=attribute) if attribute else o for o in origins]
    if working_directory:
        for name in _DEFAULT_FILES:
            if os.path.isfile(os.path.join(working_directory, name)):
                return [CodeLocationOrigin(name, None, working_directory, attribute)]
    searched = f"{working_directory}" if working_directory else "the current directory"
    raise CodeLoadError(
        "No code location given: pass -f defs.py or -m pkg.defs, or add [tool.headwater] "
        f"module_name = \"pkg.defs\" to pyproject.toml (searched from {searched}).")
