"""How a dlt resource becomes an asset: `HeadwaterDltTranslator` and the data it reads.

The default rules (the ones dagster-dlt documents, so a ported project keeps its asset keys):

- key: `dlt_<source name>_<resource name>`, one asset per selected resource of the source;
- deps: one upstream asset `<source name>_<resource name>` standing for the data the resource
  reads; a transformer depends on the resource at the root of its chain instead;
- description: the docstring of the resource's function, when the resource is one function;
- kinds: `dlt` and the destination's name (`duckdb`, `snowflake`, ...);
- no group, owners, tags, metadata or automation condition.

Override `get_asset_spec` to change any of them (call `super().get_asset_spec(data)` and
`replace_attributes` / `merge_attributes` on the spec). The older per-field methods
(`get_asset_key`, `get_deps_asset_keys`, `get_description`, `get_group_name`, `get_metadata`,
`get_owners`, `get_tags`, `get_kinds`, `get_automation_condition`,
`get_auto_materialize_policy`) are still honoured when a subclass overrides them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dlt.common.destination import Destination
from dlt.extract.resource import DltResource
from dlt.pipeline.pipeline import Pipeline

from headwater import AssetKey, AssetSpec, AutoMaterializePolicy, AutomationCondition


@dataclass(frozen=True)
class DltResourceTranslatorData:
    """What the translator sees of one dlt resource: the resource, and the pipeline that loads
    it (or just its destination), from which the destination comes."""

    resource: DltResource
    pipeline: Pipeline | None = None
    destination: Destination | None = field(default=None)

    def __post_init__(self) -> None:
        if self.destination is None and self.pipeline is not None:
            object.__setattr__(self, "destination", self.pipeline.destination)


class HeadwaterDltTranslator:
    """Maps each dlt resource of a source to the `AssetSpec` of the asset it loads."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        """The asset spec of `data.resource`; override to change keys, deps, groups, ..."""
        resource = data.resource
        return AssetSpec(
            key=self.get_asset_key(resource),
            deps=list(self.get_deps_asset_keys(resource)),
            description=self.get_description(resource),
            group_name=self.get_group_name(resource),
            metadata=self.get_metadata(resource),
            owners=self.get_owners(resource),
            tags=self.get_tags(resource),
            kinds=self.get_kinds(resource, data.destination),
            automation_condition=self.get_automation_condition(resource),
        )

    # The per-field hooks below are what the default get_asset_spec is made of. They predate
    # get_asset_spec in dagster-dlt; subclasses written against them keep working.

    def get_asset_key(self, resource: DltResource) -> AssetKey:
        """`dlt_<source name>_<resource name>`."""
        return AssetKey(f"dlt_{resource.source_name}_{resource.name}")

    def get_deps_asset_keys(self, resource: DltResource) -> Iterable[AssetKey]:
        """The upstream asset standing for the data the resource (or its root) reads."""
        return [AssetKey(f"{resource.source_name}_{_root_pipe_name(resource)}")]

    def get_description(self, resource: DltResource) -> str | None:
        """The docstring of the resource's function, if the resource is one function."""
        steps = resource._pipe.steps
        if len(steps) == 1 and callable(steps[0]):
            return steps[0].__doc__
        return None

    def get_group_name(self, resource: DltResource) -> str | None:
        """No group by default: `@dlt_assets(group_name=...)` or the default group applies."""
        return None

    def get_metadata(self, resource: DltResource) -> Mapping[str, Any]:
        """Definition metadata of the asset; none by default."""
        return {}

    def get_owners(self, resource: DltResource) -> Sequence[str] | None:
        """Owners of the asset; none by default."""
        return None

    def get_tags(self, resource: DltResource) -> Mapping[str, str]:
        """Tags of the asset; none by default."""
        return {}

    def get_kinds(self, resource: DltResource, destination: Destination | None) -> set[str]:
        """`dlt` plus the destination's name when the pipeline has a destination."""
        kinds = {"dlt"}
        if destination is not None:
            kinds.add(destination.destination_name)
        return kinds

    def get_auto_materialize_policy(self, resource: DltResource) -> AutoMaterializePolicy | None:
        """An automation policy under its older name; none by default."""
        return None

    def get_automation_condition(self, resource: DltResource) -> AutomationCondition | None:
        """The asset's automation condition: the one of `get_auto_materialize_policy`, if any."""
        policy = self.get_auto_materialize_policy(resource)
        return policy.to_automation_condition() if policy is not None else None


def _root_pipe_name(resource: DltResource) -> str:
    """The name of the resource at the start of a transformer chain (the resource itself when
    it reads from nothing upstream)."""
    if not resource.is_transformer:
        return resource.name
    pipe = resource._pipe
    while pipe.has_parent:
        pipe = pipe.parent
    return pipe.name
