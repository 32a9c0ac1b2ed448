"""The project commands, named as Dagster's `dg` names them (docs/components.md maps them):
`project scaffold NAME` writes a components project, `list defs` and `check defs` load the
project's definitions. `launch --assets` lives in main.py beside `asset materialize`, which
it runs. Imports `cli.options`, and `code` and `definitions` inside the commands.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
import textwrap
from pathlib import Path
from typing import Any

import click

from headwater.cli.options import Locations, location_options, parse_json_object
from headwater.errors import HeadwaterInvalidInvocationError

_PYPROJECT = """\
[project]
name = "{name}"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["headwater"]

[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[tool.setuptools.packages.find]
where = ["src"]

[tool.dg]
directory_type = "project"

[tool.dg.project]
root_module = "{package}"
"""

_DEFINITIONS = '''\
from pathlib import Path

from headwater import definitions, load_from_defs_folder


@definitions
def defs():
    return load_from_defs_folder(project_root=Path(__file__).parent.parent.parent)
'''

_COMPONENT = '''\
from dataclasses import dataclass

from headwater import AssetSpec, Component, Definitions, MaterializeResult, Resolvable, multi_asset


@dataclass
class StaticTables(Component, Resolvable):
    """One asset per table name, each holding `rows` numbered rows."""

    table_names: list[str]
    rows: int = 3

    def build_defs(self, context):
        specs = [AssetSpec(name, group_name=context.relative_path.name)
                 for name in self.table_names]

        @multi_asset(specs=specs, name=f"static_tables_{context.relative_path.name}")
        def tables():
            for spec in specs:
                yield MaterializeResult(asset_key=spec.key,
                                        metadata={"rows": self.rows})

        return Definitions(assets=[tables])
'''

_ASSETS = '''\
from headwater import asset


@asset
def hello() -> str:
    return "hello from {name}"
'''

_DEFS_YAML = """\
type: {package}.components.static_tables.StaticTables
attributes:
  table_names: [customers, orders]
  rows: 3
"""


@click.group()
def project() -> None:
    """Create components projects."""


@project.command("scaffold")
@click.argument("name")
@click.option("--root", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Directory to create the project folder in.")
def project_scaffold(name: str, root: str) -> None:
    """Write a components project NAME: pyproject.toml with [tool.dg.project], a
    definitions.py loading the defs folder, one Python asset and one defs.yaml component."""
    package = re.sub(r"[^0-9a-zA-Z_]", "_", name).lower()
    if not package.isidentifier() or keyword.iskeyword(package):
        raise HeadwaterInvalidInvocationError(
            f"Project name {name!r} does not make a Python package name ({package!r}); use "
            "letters, digits, '-' and '_', starting with a letter.")
    target = Path(root) / name
    if target.exists():
        raise HeadwaterInvalidInvocationError(
            f"{target} already exists; pick another NAME or remove it first.")
    files = {
        "pyproject.toml": _PYPROJECT,
        f"src/{package}/__init__.py": "",
        f"src/{package}/definitions.py": _DEFINITIONS,
        f"src/{package}/components/__init__.py": "",
        f"src/{package}/components/static_tables.py": _COMPONENT,
        f"src/{package}/defs/__init__.py": "",
        f"src/{package}/defs/assets.py": _ASSETS,
        f"src/{package}/defs/tables/defs.yaml": _DEFS_YAML,
    }
    for rel, text in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text if rel.endswith("static_tables.py")
                        else text.format(name=name, package=package))
    click.echo(f"Created {target}. Next:\n"
               + textwrap.indent(f"cd {target}\nheadwater dev\nheadwater launch --assets '*'",
                                 "  "))


_PYTHON_DEFS = {
    "headwater.asset": ("from headwater import asset\n\n\n@asset\n"
                        "def {name}() -> None:\n    \"\"\"Compute {name} here.\"\"\"\n"),
    "headwater.schedule": ("from headwater import AssetSelection, ScheduleDefinition\n\n"
                           "{name} = ScheduleDefinition(name=\"{name}\", cron_schedule=\"@daily\", "
                           "target=AssetSelection.all())\n"),
}


@click.group("scaffold")
def scaffold_group() -> None:
    """Add definitions to a components project."""


def _checked_json(text: str | None) -> str | None:
    """--json-params as given, once it is known to be a JSON object of sane depth."""
    if text is not None:
        parse_json_object(text, "the value")
    return text


@scaffold_group.command("defs")
@click.argument("kind")
@click.argument("path")
@click.option("-d", "--working-directory", default=None,
              help="A directory of the project (default: the current one).")
@click.option("--json-params", default=None, callback=lambda _c, _p, v: _checked_json(v),
              help="Parameters for the component's scaffolder, as a JSON object.")
@click.option("--format", "scaffold_format", type=click.Choice(["yaml", "python"]),
              default="yaml", show_default=True,
              help="Declare the component in defs.yaml, or in a component.py module.")
def scaffold_defs(kind: str, path: str, working_directory: str | None, json_params: str | None,
                  scaffold_format: str) -> None:
    """Add KIND at PATH inside the project's defs folder: headwater.asset or
    headwater.schedule write a Python module (PATH ends in .py); a Component class
    (package.module.Class) writes PATH/defs.yaml declaring it."""
    from headwater.code.location import find_pyproject
    from headwater.definitions.components.defs_folder import project_settings

    pyproject = find_pyproject(working_directory)
    if pyproject is None:
        raise HeadwaterInvalidInvocationError(
            "No pyproject.toml here or above; run inside a project made by "
            "`headwater project scaffold NAME`.")
    root = Path(pyproject).parent
    defs_parts = project_settings(root)["defs_module"].split(".")
    defs_dir = next((base.joinpath(*defs_parts) for base in (root / "src", root)
                     if base.joinpath(*defs_parts).is_dir()), None)
    if defs_dir is None:
        raise HeadwaterInvalidInvocationError(
            f"The defs package {'.'.join(defs_parts)} of {pyproject} is not a folder under "
            f"{root / 'src'} or {root}; create it, or set [tool.dg.project] defs_module.")
    target = defs_dir / path
    if target.exists() and (kind in _PYTHON_DEFS or (target / "defs.yaml").exists()):
        raise HeadwaterInvalidInvocationError(f"{target} already exists; pick another PATH.")
    if kind in _PYTHON_DEFS:
        if json_params is not None or scaffold_format != "yaml":
            raise HeadwaterInvalidInvocationError(
                f"{kind} writes a Python module: --json-params and --format apply to "
                "components only.")
        if target.suffix != ".py" or not target.stem.isidentifier():
            raise HeadwaterInvalidInvocationError(
                f"PATH {path!r} for {kind} must be a Python file name, e.g. assets/orders.py.")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_PYTHON_DEFS[kind].format(name=target.stem))
    else:
        import_root = defs_dir.parents[len(defs_parts) - 1]  # where the root package lives
        if str(import_root) not in sys.path:
            sys.path.insert(0, str(import_root))
        files = _component_files(kind, target, root, json_params, scaffold_format)
        target.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            if not (target / name).exists():
                (target / name).write_text(text)
        target = target / ("component.py" if scaffold_format == "python" else "defs.yaml")
    click.echo(f"Created {target}.")


def _component_files(kind: str, folder: Path, root: Path, json_params: str | None,
                     scaffold_format: str) -> dict[str, str]:
    """The files to write for a component: its `@scaffold_with` scaffolder writes them
    itself (nothing returned); else what the class offers (`scaffold_files(folder,
    type_name)`, e.g. a defs.yaml and the script it runs), else a listing defs.yaml."""
    text = _component_yaml(kind)
    import importlib

    from headwater.definitions.components.scaffold import (
        ScaffoldRequest,
        parse_params,
        scaffolder_of,
    )

    cls = getattr(importlib.import_module(kind.rpartition(".")[0]), kind.rpartition(".")[2])
    scaffolder = scaffolder_of(cls)
    if scaffolder is not None:
        try:
            params = parse_params(scaffolder, json_params, kind)
        except ValueError as exc:  # also pydantic's ValidationError
            raise HeadwaterInvalidInvocationError(f"{kind}: {exc}") from exc
        scaffolder().scaffold(ScaffoldRequest(kind, folder, scaffold_format,  # type: ignore[arg-type]
                                              root, params))
        return {}
    if json_params is not None:
        raise HeadwaterInvalidInvocationError(
            f"{kind} has no scaffolder (@scaffold_with), so --json-params has no use; drop it.")
    if scaffold_format == "python":
        from headwater.definitions.components.scaffold import scaffold_component

        scaffold_component(ScaffoldRequest(kind, folder, "python", root))
        return {}
    offered = getattr(cls, "scaffold_files", None)
    return dict(offered(folder, kind)) if callable(offered) else {"defs.yaml": text}


def _component_yaml(kind: str) -> str:
    """A defs.yaml declaring the Component class `kind`, its attributes listed (defaults
    written out, required ones as comments to fill in)."""
    import importlib

    from headwater.definitions.components.component import Component, attribute_fields

    module_name, _, attr = kind.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), attr, None) if module_name else None
    except ImportError as exc:
        raise HeadwaterInvalidInvocationError(f"Cannot import {module_name!r}: {exc}.") from exc
    if not (isinstance(cls, type) and issubclass(cls, Component)):
        known = ", ".join(_PYTHON_DEFS)
        raise HeadwaterInvalidInvocationError(
            f"{kind!r} is neither {known} nor a Component class (package.module.Class).")
    lines = [f"type: {kind}"]
    fields = attribute_fields(cls)
    if fields:
        lines.append("attributes:")
        for name, (required, default) in fields.items():
            lines.append(f"  # {name}: (required)" if required else
                         f"  {name}: {json.dumps(default)}")
    return "\n".join(lines) + "\n"


@click.group("list")
def list_group() -> None:
    """List what a project defines."""


@list_group.command("defs")
@location_options
@click.option("--json", "as_json", is_flag=True)
def list_defs(locations: Locations, as_json: bool) -> None:
    """The assets, asset checks, jobs, schedules, sensors and resources of the project."""
    _origin, defs = locations.load_one()
    graph = defs.resolve_asset_graph()
    listed: dict[str, list[Any]] = {
        "assets": [{"key": k.to_user_string(), "group": graph.group_name(k)}
                   for k in sorted(graph.all_keys, key=lambda k: k.to_user_string())],
        "asset_checks": sorted(c.to_user_string() for c in graph.check_keys()),
        "jobs": sorted(j.name for j in defs.get_all_job_defs()
                       if not j.name.startswith("__")),
        "schedules": sorted(s.name for s in defs.schedules),
        "sensors": sorted(s.name for s in defs.sensors),
        "resources": sorted(defs.resources),
    }
    if as_json:
        click.echo(json.dumps(listed, indent=2))
        return
    for kind, items in listed.items():
        if not items:
            continue
        click.echo(f"{kind.replace('_', ' ').capitalize()}:")
        for item in items:
            text = f"{item['key']}  [{item['group']}]" if isinstance(item, dict) else item
            click.echo(f"  {text}")


@click.group("check")
def check_group() -> None:
    """Check a project."""


@check_group.command("defs")
@location_options
def check_defs(locations: Locations) -> None:
    """Load the project's definitions and validate them, reporting every problem."""
    from headwater.definitions.definitions import Definitions

    origin, defs = locations.load_one()
    Definitions.validate_loadable(defs)
    click.echo(f"{origin.name}: all definitions loaded and valid "
               f"({len(defs.resolve_asset_graph().all_keys)} assets).")
