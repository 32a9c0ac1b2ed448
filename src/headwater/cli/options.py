"""The options every command that reads definitions shares: where the code is.

    @click.command()
    @location_options
    def command(locations: Locations, ...) -> None:
        origin, defs = locations.load_one()

`config_options` adds -c/--config FILE and --config-json, handing `run_config`, as Dagster's
commands take them; both are parsed and checked as click parses the options, so a bad value
is a usage error (exit code 2) naming the option, before any code is loaded
(`parse_json_object` does the same for other JSON options). `location_options` adds
-f/--python-file, -m/--module-name, -d/--working-directory, -a/--attribute and
-l/--location and -w/--workspace (a workspace.yaml, code/workspace_file.py), and hands the
command one `Locations` value instead of six loose parameters. Without -f/-m, the locations come from `[tool.headwater]` in
pyproject.toml (code/location.py); -l picks one of several. Imported by the command modules
of this package, never the other way round. Imports `code` and `definitions` inside the
functions that use them, so that a command's --help loads neither.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from headwater.errors import yaml_problem

if TYPE_CHECKING:
    from headwater.code.location import CodeLocationOrigin
    from headwater.code.remote import RemoteOrigin
    from headwater.definitions.definitions import Definitions


@dataclass(frozen=True)
class Locations:
    """The code locations named on the command line, as the options gave them."""

    python_file: str | None = None
    module_name: str | None = None
    working_directory: str | None = None
    attribute: str | None = None
    location: str | None = None
    workspace: str | None = None

    def all_origins(self) -> list[CodeLocationOrigin | RemoteOrigin]:
        """Every location named (by -w, by -f/-m/-d/-a, else by pyproject.toml), narrowed by
        -l; a workspace file's `grpc_server` entries are `RemoteOrigin`s."""
        from headwater.code.loader import CodeLoadError
        from headwater.code.location import origins_from_options
        from headwater.code.workspace_file import origins_from_workspace

        origins: list[CodeLocationOrigin | RemoteOrigin]
        if self.workspace:
            given = [flag for flag, value in (("-f", self.python_file), ("-m", self.module_name),
                                              ("-d", self.working_directory),
                                              ("-a", self.attribute)) if value]
            if given:
                raise CodeLoadError(f"Give the code locations one way: -w {self.workspace} or "
                                    f"{'/'.join(given)}, not both.")
            origins = list(origins_from_workspace(self.workspace))
        else:
            origins = [o.resolved() for o in origins_from_options(
                self.python_file, self.module_name, self.working_directory, self.attribute)]
        if self.location:
            known = ", ".join(o.name for o in origins)
            origins = [o for o in origins if o.name == self.location]
            if not origins:
                raise CodeLoadError(f"No code location named {self.location!r}; "
                                    f"locations: {known}.")
        return origins

    def origins(self) -> list[CodeLocationOrigin]:
        """The locations named, for a command that imports their code itself: a remote one
        (a workspace's `grpc_server`) is an error saying how to leave it out."""
        from headwater.code.loader import CodeLoadError
        from headwater.code.location import CodeLocationOrigin

        origins = self.all_origins()
        for origin in origins:
            if not isinstance(origin, CodeLocationOrigin):
                raise CodeLoadError(
                    f"Code location {origin.name!r} of {self.workspace} is a code server at "
                    f"{origin.host}:{origin.port}, and this command imports the code itself; "
                    "pick a python_file or python_module location with -l NAME.")
        return [o for o in origins if isinstance(o, CodeLocationOrigin)]

    def one(self) -> CodeLocationOrigin:
        """The one location named; several are an error that says how to pick."""
        from headwater.code.loader import CodeLoadError

        origins = self.origins()
        if len(origins) > 1:
            names = ", ".join(o.name for o in origins)
            raise CodeLoadError(f"{len(origins)} code locations are declared ({names}); pick "
                                "one with --location NAME.")
        return origins[0]

    def load_one(self) -> tuple[CodeLocationOrigin, Definitions]:
        """The one location named, and its Definitions imported in this process."""
        origin = self.one()
        return origin, origin.load()

    def to_args(self) -> list[str]:
        """The same options as command-line arguments, for a subprocess."""
        args: list[str] = []
        for flag, value in (("-f", self.python_file), ("-m", self.module_name),
                            ("-d", self.working_directory), ("-a", self.attribute),
                            ("-l", self.location), ("-w", self.workspace)):
            if value:
                args += [flag, value]
        return args


_FIELDS = ("python_file", "module_name", "working_directory", "attribute", "location",
           "workspace")


def location_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add the location options to a command; it receives them as `locations: Locations`."""
    @functools.wraps(fn)
    def command(*args: Any, **kwargs: Any) -> Any:
        given = {name: kwargs.pop(name) for name in _FIELDS}
        return fn(*args, locations=Locations(**given), **kwargs)

    for option in reversed((
        click.option("-f", "--python-file", help="Python file holding Definitions."),
        click.option("-m", "--module-name", help="Module holding Definitions."),
        click.option("-d", "--working-directory", help="Directory to import from."),
        click.option("-a", "--attribute", help="Name of the Definitions object."),
        click.option("-l", "--location",
                     help="Which code location (of pyproject.toml or -w), when there are "
                          "several."),
        click.option("-w", "--workspace", type=click.Path(dir_okay=False),
                     help="workspace.yaml listing the code locations (local files and "
                          "modules, and code servers over the network)."),
    )):
        command = option(command)
    return command


#: How deeply run config (and other JSON/YAML option values) may nest. Real config is a few
#: levels deep; a cap keeps every recursive step after parsing (merging, validation, storage)
#: far from Python's recursion limit.
MAX_NESTING = 100

_EXAMPLE = """'{"ops": {"load": {"config": {"limit": 10}}}}'"""


def nesting_depth(value: Any, limit: int = MAX_NESTING) -> int:
    """How deeply `value` nests lists and mappings, counted without recursion; stops counting
    once past `limit`."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_json_object(text: str, what: str) -> dict[str, Any]:
    """`text` as a JSON object of bounded depth; anything else is a `click.BadParameter`
    saying what was wrong and how a good value looks (`what` names the value)."""
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(
            f"{what} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            f"write a JSON object, e.g. {_EXAMPLE}.") from None
    except RecursionError:
        raise click.BadParameter(_too_deep(what)) from None
    if not isinstance(loaded, dict):
        raise click.BadParameter(
            f"{what} holds {_a(loaded)}; it must be a JSON object, e.g. {_EXAMPLE}.")
    if nesting_depth(loaded) > MAX_NESTING:
        raise click.BadParameter(_too_deep(what))
    return loaded


_JSON_TYPES = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}


def _a(value: Any) -> str:
    return "null" if value is None else f"a JSON {_JSON_TYPES.get(type(value), 'value')}"


def _too_deep(what: str) -> str:
    return (f"{what} is nested more than {MAX_NESTING} levels deep; run config is a few levels "
            "of mappings: flatten it.")


def _config_json(ctx: click.Context, param: click.Parameter,
                 value: str | None) -> dict[str, Any] | None:
    return None if value is None else parse_json_object(value, "the value")


def _config_files(ctx: click.Context, param: click.Parameter,
                  patterns: tuple[str, ...]) -> dict[str, Any] | None:
    """The -c files (YAML, globs allowed) merged in order, later files winning."""
    import glob

    import yaml

    from headwater.definitions.config.run_config import deep_merge

    if not patterns:
        return None
    merged: dict[str, Any] = {}
    for pattern in patterns:
        paths = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not paths:
            raise click.BadParameter(f"{pattern!r} matches no file; check the glob (relative "
                                     "to the current directory).")
        for path in paths:
            try:
                with open(path, encoding="utf-8") as handle:
                    loaded = yaml.safe_load(handle)
            except (OSError, UnicodeDecodeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
                raise click.BadParameter(f"cannot read {path}: {reason}; give a YAML file of "
                                         "run config.") from None
            except yaml.YAMLError as exc:
                raise click.BadParameter(f"{path} is not valid YAML: {yaml_problem(exc)}.") \
                    from None
            except RecursionError:
                raise click.BadParameter(_too_deep(path)) from None
            if loaded is None:
                continue
            if not isinstance(loaded, dict):
                raise click.BadParameter(f"{path} holds a YAML {type(loaded).__name__}; run "
                                         "config is a mapping, e.g. `ops: {load: {config: "
                                         "{limit: 10}}}`.")
            if nesting_depth(loaded) > MAX_NESTING:
                raise click.BadParameter(_too_deep(path))
            merged = deep_merge(merged, loaded)
    return merged


def config_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add -c/--config FILE and --config-json; the command receives `run_config` (None when
    neither is given). Values are checked as the options are parsed: a bad one is a usage
    error (exit 2) naming the option."""
    @functools.wraps(fn)
    def command(*args: Any, **kwargs: Any) -> Any:
        from headwater.definitions.config.run_config import deep_merge

        files, given = kwargs.pop("config_files"), kwargs.pop("config_json")
        run_config = None if files is None and given is None else \
            deep_merge(files or {}, given or {})
        return fn(*args, run_config=run_config, **kwargs)

    command = click.option(
        "--config-json", "config_json", default=None, callback=_config_json,
        help="Run config as a JSON object, merged over the -c files.")(command)
    return click.option(
        "-c", "--config", "config_files", multiple=True, metavar="FILE", callback=_config_files,
        help="Run config YAML file (repeatable; globs allowed; later files win).")(command)


def log_to_stderr(logger_name: str) -> None:
    """Show the warnings of a long-running process's logger (`headwater.daemon`,
    `headwater.webserver`) on stderr, one timestamped line each."""
    import logging
    import sys

    logger = logging.getLogger(logger_name)
    if any(getattr(h, "_headwater_stderr", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter(f"%(asctime)s {logger_name}: %(message)s"))
    handler._headwater_stderr = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
