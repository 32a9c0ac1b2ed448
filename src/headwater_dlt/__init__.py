"""headwater_dlt: load data with dlt (data load tool) as headwater assets.

What dagster-dlt offers, under the names a ported project expects:

- `@dlt_assets(dlt_source=, dlt_pipeline=, ...)` (asset_decorator.py): one asset per selected
  resource of a dlt source, in one multi-asset that can be subset;
- `build_dlt_asset_specs` (asset_decorator.py): the same specs, for custom execution;
- `HeadwaterDltTranslator` and `DltResourceTranslatorData` (translator.py): the rules from a
  dlt resource to an asset spec (key `dlt_<source>_<resource>`, dep `<source>_<resource>`,
  kinds `dlt` + destination), overridable;
- `HeadwaterDltResource` (resource.py): `run(context=...)` runs the pipeline and yields one
  materialization per resource with dlt's load metadata; `DltEventIterator`
  (event_iterator.py) adds `fetch_row_count()`;
- `DltLoadCollectionComponent` (component.py): the same from a `defs.yaml`.

May import dlt, and headwater's public names (`from headwater import ...`); headwater itself
never imports this package. Needs the `headwater[dlt]` extra.
"""

from headwater._extras import needs_extra

with needs_extra("dlt", "headwater_dlt"):
    from .asset_decorator import build_dlt_asset_specs, dlt_assets
    from .component import DltLoadCollectionComponent
    from .event_iterator import DltEventIterator
    from .resource import HeadwaterDltResource
    from .translator import DltResourceTranslatorData, HeadwaterDltTranslator

__all__ = [
    "DltEventIterator",
    "DltLoadCollectionComponent",
    "DltResourceTranslatorData",
    "HeadwaterDltResource",
    "HeadwaterDltTranslator",
    "build_dlt_asset_specs",
    "dlt_assets",
]
