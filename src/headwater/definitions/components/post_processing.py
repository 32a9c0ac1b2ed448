"""`post_processing:` of a defs.yaml: asset attributes changed by selection after a component
built its Definitions.

    post_processing:
      assets:
        - target: "group:raw"        # a selection string; "*" (the default) is every asset
          operation: merge           # merge (default) or replace
          attributes: {group_name: staging, tags: {team: data}}

`merge` adds to metadata, tags, owners and kinds; `replace` sets them. group_name,
description and code_version are set either way. Imports `assets` and the bundle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from headwater.definitions.assets.definition import AssetsDefinition, AssetSpec
from headwater.definitions.assets.graph import AssetGraph
from headwater.definitions.assets.job import flatten_assets
from headwater.definitions.assets.selection import AssetSelection
from headwater.definitions.components.component import Model
from headwater.definitions.definitions import Definitions


class AssetAttributes(Model):
    """The asset attributes a post-processing rule may set."""

    group_name: str | None = None
    description: str | None = None
    code_version: str | None = None
    metadata: dict[str, Any] | None = None
    tags: dict[str, str] | None = None
    owners: list[str] | None = None
    kinds: list[str] | None = None


class AssetPostProcessing(Model):
    """One rule: which assets, merge or replace, and the attributes."""

    target: str = "*"
    operation: Literal["merge", "replace"] = "merge"
    attributes: AssetAttributes


class PostProcessing(Model):
    """The `post_processing:` mapping of a defs.yaml."""

    assets: list[AssetPostProcessing] = []


def post_process(defs: Definitions, rules: PostProcessing) -> Definitions:
    """`defs` with each rule applied in order to the assets its target selects."""
    for rule in rules.assets:
        graph = AssetGraph(flatten_assets(defs.assets))
        selected = AssetSelection.from_coercible(rule.target).resolve(graph)

        def change(spec: AssetSpec, rule: AssetPostProcessing = rule,
                   selected: Any = selected) -> AssetSpec:
            return _changed(spec, rule) if spec.key in selected else spec

        assets = [a.map_asset_specs(change) if isinstance(a, AssetsDefinition)
                  else change(a) if isinstance(a, AssetSpec) else a for a in defs.assets]
        defs = Definitions(assets, defs.schedules, defs.sensors, defs.jobs, defs.resources,
                           defs.executor, defs.loggers, defs.asset_checks, defs.metadata)
    return defs


def _changed(spec: AssetSpec, rule: AssetPostProcessing) -> AssetSpec:
    given = rule.attributes.model_dump(exclude_none=True)
    scalars = {k: given.pop(k) for k in ("group_name", "description", "code_version")
               if k in given}
    if rule.operation == "merge":
        spec = spec.merge_attributes(**_merge_keywords(given))
        return spec.replace_attributes(**scalars) if scalars else spec
    return spec.replace_attributes(**scalars, **given)


def _merge_keywords(given: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in given.items() if k in ("metadata", "tags", "owners", "kinds")}


