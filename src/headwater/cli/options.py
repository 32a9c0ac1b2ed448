"""The options every command that reads definitions shares: where the code is.

    @click.command()
    @location_options
    def command(locations: Locations, ...) -> None:
        origin, defs = locations.load_one()

`config_options` adds -c/--config FILE and --config-json, handing `run_config`, as Dagster's
commands take them. `location_options` adds -f/--python-file, -m/--module-name, -d/--working-directory,
-a/--attribute and -l/--location, and hands the command one `Locations` value instead of
five loose parameters. Without -f/-m, the locations come from `[tool.headwater]` in
pyproject.toml (code/location.py); -l picks one of several. Imported by the command modules
of this package, never the other way round. Imports `code`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from headwater.code.loader import CodeLoadError
from headwater.code.location import CodeLocationOrigin, origins_from_options
from headwater.definitions.definitions import Definitions
from headwater.errors import HeadwaterInvalidInvocationError


@dataclass(frozen=True)
class Locations:
    """The code locations named on the command line, as the options gave them."""

    python_file: str | None = None
    module_name: str | None = None
    working_directory: str | None = None
    attribute: str | None = None
    location: str | None = None

    def origins(self) -> list[CodeLocationOrigin]:
        """Every location named (by -f/-m/-d/-a, else by pyproject.toml), narrowed by -l."""
        origins = [o.resolved() for o in origins_from_options(
            self.python_file, self.module_name, self.working_directory, self.attribute)]
        if self.location:
            known = ", ".join(o.name for o in origins)
            origins = [o for o in origins if o.name == self.location]
            if not origins:
                raise CodeLoadError(f"No code location named {self.location!r}; "
                                    f"locations: {known}.")
        return origins

    def one(self) -> CodeLocationOrigin:
        """The one location named; several are an error that says how to pick."""
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
                            ("-l", self.location)):
            if value:
                args += [flag, value]
        return args


_FIELDS = ("python_file", "module_name", "working_directory", "attribute", "location")


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
                     help="Which [tool.headwater] code location, when there are several."),
    )):
        command = option(command)
    return command


def run_config_from_options(config_files: tuple[str, ...],
                            config_json: str | None) -> dict[str, Any] | None:
    """The run config that -c FILE (YAML, repeatable, globs) and --config-json give, the JSON
    merged over the files; None when neither is given."""
    from headwater.definitions.config.run_config import config_from_files, deep_merge

    if not config_files and not config_json:
        return None
    config: dict[str, Any] = dict(config_from_files(list(config_files))) if config_files else {}
    if config_json:
        try:
            loaded = json.loads(config_json)
        except json.JSONDecodeError as exc:
            raise HeadwaterInvalidInvocationError(
                f"--config-json is not valid JSON ({exc}); write an object, e.g. "
                """'{"ops": {"load": {"config": {"limit": 10}}}}'.""") from None
        if not isinstance(loaded, dict):
            raise HeadwaterInvalidInvocationError(
                f"--config-json holds a {type(loaded).__name__}; run config is a JSON object, "
                """e.g. '{"ops": {"load": {"config": {"limit": 10}}}}'.""")
        config = deep_merge(config, loaded)
    return config


def config_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add -c/--config FILE and --config-json; the command receives `run_config`."""
    @functools.wraps(fn)
    def command(*args: Any, **kwargs: Any) -> Any:
        run_config = run_config_from_options(kwargs.pop("config_files"),
                                             kwargs.pop("config_json"))
        return fn(*args, run_config=run_config, **kwargs)

    command = click.option(
        "--config-json", "config_json", default=None,
        help="Run config as a JSON object, merged over the -c files.")(command)
    return click.option(
        "-c", "--config", "config_files", multiple=True, metavar="FILE",
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
