"""Jobs made of assets: define_asset_job and the graph that materializes a selection.

Imports `asset`, `asset_graph`, `composition`, `graph`, `job`, `selection` and `errors`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from headwater.definitions.assets.definition import (
    AssetsDefinition,
    AssetSpec,
    external_asset_from_spec,
)
from headwater.definitions.assets.graph import AssetGraph
from headwater.definitions.assets.selection import AssetSelection
from headwater.definitions.key import AssetKey
from headwater.definitions.ops.composition import Invocation, OutputHandle
from headwater.definitions.ops.graph import GraphDefinition
from headwater.definitions.ops.job import AssetLayer, JobDefinition
from headwater.definitions.run_request import run_request_for_partition
from headwater.errors import HeadwaterInvalidDefinitionError, HeadwaterInvalidSubsetError

IMPLICIT_JOB = "__ASSET_JOB"


def build_asset_job(
    name: str,
    asset_graph: AssetGraph,
    selected: Iterable[AssetKey] | None = None,
    resource_defs: Mapping[str, Any] | None = None,
    description: str | None = None,
    config: Any = None,
    tags: Mapping[str, Any] | None = None,
    run_tags: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    executor_def: Any = None,
    hooks: Any = None,
    op_retry_policy: Any = None,
    partitions_def: Any = None,
    allow_partial_multi_assets: bool = False,
) -> JobDefinition:
    """One node per selected AssetsDefinition, wired where an upstream asset is selected too."""
    if selected is None:
        selected_keys = set(asset_graph.executable_keys)
    else:
        selected_keys = set(selected)
    nodes: dict[str, AssetsDefinition] = {}
    producer: dict[AssetKey, tuple[str, str]] = {}
    seen: set[int] = set()
    for key in asset_graph.toposort(selected_keys) if selected_keys else []:
        assets_def = asset_graph.assets_def_by_key[key]
        if not assets_def.is_executable or id(assets_def) in seen:
            continue
        seen.add(id(assets_def))
        wanted = assets_def.keys & selected_keys
        if wanted != assets_def.keys:
            if not assets_def.can_subset and not allow_partial_multi_assets:
                missing = sorted(k.to_user_string() for k in assets_def.keys - wanted)
                raise HeadwaterInvalidSubsetError(
                    f"Selection includes part of the multi-asset '{assets_def.node_def.name}' "  # type: ignore[union-attr]
                    f"but not {missing}, and it cannot be subset. Select all of its assets, or "
                    "declare it with can_subset=True."
                )
            if assets_def.can_subset:
                assets_def = assets_def.subset_for(wanted)
        node_name = assets_def.node_def.name  # type: ignore[union-attr]
        if node_name in nodes:
            raise HeadwaterInvalidDefinitionError(
                f"Two asset definitions compute with an op named '{node_name}' ("
                f"{sorted(k.to_user_string() for k in nodes[node_name].keys)} and "
                f"{sorted(k.to_user_string() for k in assets_def.keys)}). Give one a different "
                "name or key_prefix."
            )
        nodes[node_name] = assets_def
        for out_name, key in assets_def.keys_by_output_name.items():
            producer[key] = (node_name, out_name)
    return _job_from_nodes(
        name, asset_graph, nodes, producer, selected_keys, resource_defs,
        description=description, config=config, tags=tags, run_tags=run_tags, metadata=metadata,
        executor_def=executor_def, hooks=hooks, op_retry_policy=op_retry_policy,
        partitions_def=partitions_def,
    )


def _job_from_nodes(
    name: str,
    asset_graph: AssetGraph,
    nodes: Mapping[str, AssetsDefinition],
    producer: Mapping[AssetKey, tuple[str, str]],
    selected_keys: set[AssetKey],
    resource_defs: Mapping[str, Any] | None,
    **job_kwargs: Any,
) -> JobDefinition:
    invocations: dict[str, Invocation] = {}
    layer = AssetLayer(selected_keys=frozenset(selected_keys))
    resources: dict[str, Any] = {}
    for node_name, assets_def in nodes.items():
        node_def = assets_def.node_def
        bindings: dict[str, Any] = {}
        for input_name, key in assets_def.keys_by_input_name.items():
            layer.key_by_input[(node_name, input_name)] = key
            if key in producer and producer[key][0] != node_name:
                up_node, up_out = producer[key]
                bindings[input_name] = OutputHandle(up_node, up_out)
        # like a node in a job, it shows its op's tags (op_tags=)
        invocations[node_name] = Invocation(node_def, node_name, bindings,
                                            tags=dict(getattr(node_def, "tags", None) or {}))
        layer.assets_defs_by_node[node_name] = assets_def
        for out_name, key in assets_def.keys_by_output_name.items():
            layer.key_by_output[(node_name, out_name)] = key
        for res_key, res in assets_def.resource_defs.items():
            resources.setdefault(res_key, res)
    layer.assets_defs = list(asset_graph.assets_defs)
    graph_def = GraphDefinition(name=name, invocations=invocations)
    for res_key, res in (resource_defs or {}).items():
        resources[res_key] = res
    partitions_def = job_kwargs.pop("partitions_def", None)
    if partitions_def is None:
        for assets_def in nodes.values():
            if assets_def.partitions_def is not None:
                partitions_def = assets_def.partitions_def
                break
    return JobDefinition(
        graph_def=graph_def,
        name=name,
        resource_defs=resources,
        asset_layer=layer,
        partitions_def=partitions_def,
        **job_kwargs,
    )


class UnresolvedAssetJobDefinition:
    """A job over an asset selection, resolved when Definitions knows every asset."""

    def __init__(
        self,
        name: str,
        selection: Any,
        config: Any = None,
        description: str | None = None,
        tags: Mapping[str, Any] | None = None,
        run_tags: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        partitions_def: Any = None,
        executor_def: Any = None,
        hooks: Any = None,
        op_retry_policy: Any = None,
    ):
        self.name = name
        self.selection = AssetSelection.from_coercible(selection) if selection is not None else AssetSelection.all()
        self.config = config
        self.description = description
        self.tags = dict(tags or {})
        self.run_tags = dict(run_tags) if run_tags is not None else None
        self.metadata = dict(metadata or {})
        self.partitions_def = partitions_def
        self.executor_def = executor_def
        self.hooks = hooks
        self.op_retry_policy = op_retry_policy

    def resolve(
        self,
        asset_graph: AssetGraph,
        resource_defs: Mapping[str, Any] | None = None,
        executor_def: Any = None,
        **_: Any,
    ) -> JobDefinition:
        keys = self.selection.resolve(asset_graph)
        executable = {k for k in keys if k in asset_graph.executable_keys}
        if keys and not executable:
            raise HeadwaterInvalidDefinitionError(
                f"Asset job '{self.name}' selects only external assets "
                f"{sorted(k.to_user_string() for k in keys)}; nothing to materialize."
            )
        return build_asset_job(
            self.name, asset_graph, executable, resource_defs,
            description=self.description, config=self.config, tags=self.tags,
            run_tags=self.run_tags, metadata=self.metadata,
            executor_def=self.executor_def or executor_def, hooks=self.hooks,
            op_retry_policy=self.op_retry_policy, partitions_def=self.partitions_def,
        )

    def __repr__(self) -> str:
        return f"define_asset_job(name={self.name!r}, selection={self.selection!r})"

    def run_request_for_partition(self, partition_key: str, **kwargs: Any) -> Any:
        """A RunRequest for one partition of this job (see run_request.py)."""
        return run_request_for_partition(self, partition_key, **kwargs)


def define_asset_job(
    name: str,
    selection: Any = None,
    config: Any = None,
    description: str | None = None,
    tags: Mapping[str, Any] | None = None,
    run_tags: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    partitions_def: Any = None,
    executor_def: Any = None,
    hooks: Any = None,
    op_retry_policy: Any = None,
) -> UnresolvedAssetJobDefinition:
    """A job that materializes the assets a selection picks (all assets by default)."""
    return UnresolvedAssetJobDefinition(
        name, selection, config=config, description=description, tags=tags, run_tags=run_tags,
        metadata=metadata, partitions_def=partitions_def, executor_def=executor_def, hooks=hooks,
        op_retry_policy=op_retry_policy,
    )


def flatten_assets(values: Sequence[Any]) -> list[AssetsDefinition]:
    """AssetsDefinitions from what users pass as assets=: definitions, specs, lists."""
    result: list[AssetsDefinition] = []
    for value in values:
        if isinstance(value, AssetsDefinition):
            result.append(value)
        elif isinstance(value, AssetSpec):
            result.append(external_asset_from_spec(value))
        elif isinstance(value, (list, tuple)):
            result.extend(flatten_assets(value))
        else:
            raise HeadwaterInvalidDefinitionError(
                f"assets=[...] got {type(value).__name__} ({value!r}); pass @asset / "
                "@multi_asset definitions, AssetSpec or SourceAsset objects."
            )
    return result
