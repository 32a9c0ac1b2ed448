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
  fetch            row counts, column schemas and column lineage asked of the warehouse
  component        DbtProjectComponent: a dbt project declared in a defs.yaml
  freshness        build_freshness_checks_from_dbt_assets: freshness declared in dbt meta
  errors           HeadwaterDbtError and its subclasses

This package imports headwater's public API, plus one metadata key of
`headwater.definitions.tags` (marking dbt sources as deliberate external deps) and the
`_select`/`_select_checks` hooks that an `AssetSelection` resolves through; dbt itself is only ever run as a subprocess (`dbt` of this environment), so importing
it does not import dbt. headwater's core never imports this package.
"""

from headwater_dbt.asset_decorator import build_dbt_asset_specs, dbt_assets
from headwater_dbt.component import DbtProjectComponent
from headwater_dbt.errors import (
    HeadwaterDbtCliRuntimeError,
    HeadwaterDbtError,
    HeadwaterDbtManifestNotFoundError,
    HeadwaterDbtProjectNotFoundError,
)
from headwater_dbt.freshness import build_freshness_checks_from_dbt_assets
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
from headwater_dbt.translator import (
    HeadwaterDbtTranslator,
    HeadwaterDbtTranslatorSettings,
    default_group_from_dbt_resource_props,
    default_metadata_from_dbt_resource_props,
    group_from_dbt_resource_props_fallback_to_directory,
)

__version__ = "0.1.0"

__all__ = [
    "DbtCliEventMessage",
    "DbtCliInvocation",
    "DbtCliResource",
    "DbtEventIterator",
    "DbtManifestAssetSelection",
    "DbtProject",
    "DbtProjectComponent",
    "HeadwaterDbtCliRuntimeError",
    "HeadwaterDbtError",
    "HeadwaterDbtManifestNotFoundError",
    "HeadwaterDbtProjectNotFoundError",
    "HeadwaterDbtTranslator",
    "HeadwaterDbtTranslatorSettings",
    "build_dbt_asset_selection",
    "build_dbt_asset_specs",
    "build_freshness_checks_from_dbt_assets",
    "build_schedule_from_dbt_selection",
    "dbt_assets",
    "default_group_from_dbt_resource_props",
    "default_metadata_from_dbt_resource_props",
    "get_asset_key_for_model",
    "get_asset_key_for_source",
    "get_asset_keys_by_output_name_for_source",
    "group_from_dbt_resource_props_fallback_to_directory",
    "prepare_and_package",
]
