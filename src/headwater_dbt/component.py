"""DbtProjectComponent: a dbt project declared in a `defs.yaml`, no Python needed.

```yaml
type: headwater_dbt.DbtProjectComponent
attributes:
  project: ../../jaffle          # relative to this defs.yaml's folder
  select: "fqn:*"
  exclude: "tag:nightly"
  cli_args: [build]
```

The component parses the project in development (`prepare_if_dev`), loads its models, seeds
and snapshots as a `@dbt_assets` definition and runs `dbt <cli_args>` on the selected subset,
with its own `DbtCliResource` (no `dbt` resource needs to be declared).

Imports headwater's public component names and this package's modules.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import Field

from headwater import AssetExecutionContext, Component, ComponentLoadContext, Definitions, Model
from headwater_dbt.asset_decorator import dbt_assets
from headwater_dbt.errors import HeadwaterDbtError
from headwater_dbt.project import DbtProject
from headwater_dbt.resource import DbtCliResource


class DbtProjectArgs(Model):
    """The `project:` mapping form: DbtProject's arguments."""

    project_dir: str
    target_path: str = "target"
    profiles_dir: str | None = None
    profile: str | None = None
    target: str | None = None
    packaged_project_dir: str | None = None
    state_path: str | None = None


class OpArgs(Model):
    """The `op:` mapping: the name and tags of the op that runs dbt."""

    name: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    pool: str | None = None


class DbtProjectComponent(Component, Model):
    """The models, seeds and snapshots of a dbt project, run with `dbt <cli_args>`."""

    project: str | DbtProjectArgs
    select: str = "fqn:*"
    exclude: str | None = None
    selector: str | None = None
    cli_args: list[str] = Field(default_factory=lambda: ["build"])
    prepare_if_dev: bool = True
    op: OpArgs | None = None

    def dbt_project(self, context: ComponentLoadContext) -> DbtProject:
        args = self.project if isinstance(self.project, DbtProjectArgs) \
            else DbtProjectArgs(project_dir=self.project)
        values = args.model_dump()
        for name in ("project_dir", "profiles_dir", "packaged_project_dir"):
            if values[name] is not None:
                values[name] = context.path / values[name]
        project_dir = values.pop("project_dir")
        return DbtProject(project_dir, **values)

    def build_defs(self, context: ComponentLoadContext) -> Definitions:
        project = self.dbt_project(context)
        if self.prepare_if_dev:
            project.prepare_if_dev()
        if not self.cli_args:
            raise HeadwaterDbtError(
                f"DbtProjectComponent in {context.path}: cli_args is empty; give the dbt "
                "command to run, e.g. cli_args: [build].")
        resource = DbtCliResource(project_dir=project)
        cli_args = list(self.cli_args)
        op = self.op or OpArgs()

        def body(context: AssetExecutionContext) -> Iterator[Any]:
            yield from resource.cli(cli_args, context=context).stream()

        body.__name__ = op.name or f"{project.project_dir.name.replace('-', '_')}_dbt"
        assets = dbt_assets(manifest=project.manifest_path, select=self.select,
                            exclude=self.exclude, selector=self.selector, name=body.__name__,
                            op_tags=op.tags or None, pool=op.pool, project=project)(body)
        return Definitions(assets=[assets])
