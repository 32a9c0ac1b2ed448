"""headwater_dbt: dbt projects as headwater assets (the `dagster_dbt` API, renamed).

```python
from pathlib import Path
from headwater import AssetExecutionContext, Definitions
from headwater_dbt import DbtCliResource, DbtProject, dbt_assets

project = DbtProject(project_dir=Path(__file__).parent / "jaffle_shop")
project.prepare_if_dev()

@dbt_assets(manifest=project.manifest_path)
def jaffle_dbt(context: AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()

defs = Definitions(assets=[jaffle_dbt], resources={"dbt": DbtCliResource(project_dir=project)})
```

Modules:
  project          DbtProject, prepare_and_package: where the project and its manifest are
  manifest         reading manifest.json once per file version; node lookups
  node_selection   dbt's --select/--exclude/selector syntax, evaluated on the manifest
  translator       HeadwaterDbtTranslator(+Settings): dbt node -> AssetSpec / AssetCheckSpec
  asset_decorator  @dbt_assets: a subsettable multi-asset over a dbt selection
  resource         DbtCliResource: runs dbt for the assets of the current step
  invocation       DbtCliInvocation: dbt's JSON events streamed as headwater events
  selection        DbtManifestAssetSelection, schedules and asset-key helpers
  errors           HeadwaterDbtError and its subclasses

This package imports headwater's public API (and, where it must, AssetSelection's resolution
hooks); dbt itself is only ever run as a subprocess (`dbt` of this environment), so importing
it does not import dbt. headwater's core never imports this package.
"""

from headwater_dbt.asset_decorator import dbt_assets
from headwater_dbt.errors import (
    HeadwaterDbtCliRuntimeError,
    HeadwaterDbtError,
    HeadwaterDbtManifestNotFoundError,
    HeadwaterDbtProjectNotFoundError,
)
from headwater_dbt.invocation import DbtCliEventMessage, DbtCliInvocation, DbtEventIterator
from headwater_dbt.project import DbtProject, prepare_and_package
from headwater_dbt.resource import DbtCliResource
from headwater_dbt.selection import (
    DbtManifestAssetSelection,
    build_dbt_asset_selection,
    build_schedule_from_dbt_selection,
    get_asset_key_for_model,
    get_asset_key_for_source,
    get_asset_keys_by_output_name_for_source,
)
from headwater_dbt.translator import HeadwaterDbtTranslator, HeadwaterDbtTranslatorSettings

__all__ = [
    "DbtCliEventMessage",
    "DbtCliInvocation",
    "DbtCliResource",
    "DbtEventIterator",
    "DbtManifestAssetSelection",
    "DbtProject",
    "HeadwaterDbtCliRuntimeError",
    "HeadwaterDbtError",
    "HeadwaterDbtManifestNotFoundError",
    "HeadwaterDbtProjectNotFoundError",
    "HeadwaterDbtTranslator",
    "HeadwaterDbtTranslatorSettings",
    "build_dbt_asset_selection",
    "build_schedule_from_dbt_selection",
    "dbt_assets",
    "get_asset_key_for_model",
    "get_asset_key_for_source",
    "get_asset_keys_by_output_name_for_source",
    "prepare_and_package",
]
