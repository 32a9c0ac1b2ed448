"""Jobs made of assets: define_asset_job and the graph that materializes a selection.

One recipe turns a selection into a job, whoever asks (materialize(), execute_in_process and
execute_job with asset_selection=, the CLI, the webserver, the daemon, run workers):
`build_asset_job` wires the selected assets of an asset graph into a job, and
`subset_asset_job` narrows an existing asset job to a selection of the same graph, keeping
everything else about the job (executor, loggers, resources, config, tags, hooks). The graph
is the one the job was built from (`job.asset_layer.asset_graph`, the Definitions' own
resolved graph for its jobs), never a second one. Imports `asset`, `asset_graph`,
`composition`, `graph`, `job`, `selection` and `errors`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from headwater.definitions.assets.definition import (
    AssetsDefinition,
    AssetSpec,
    external_asset_from_spec,
)
from headwater.definitions.assets.graph import AssetGraph
from headwater.definitions.assets.graph_subset import subset_graph
from headwater.definitions.assets.selection import AssetSelection
from headwater.definitions.key import AssetCheckKey, AssetKey
from headwater.definitions.ops.composition import Invocation, OutputHandle
from headwater.definitions.ops.graph import GraphDefinition
from headwater.definitions.ops.job import AssetLayer, JobDefinition, JobOptions, validated_owners
from headwater.definitions.run_request import run_request_for_partition
from headwater.errors import HeadwaterInvalidDefinitionError, HeadwaterInvalidSubsetError

IMPLICIT_JOB = "__ASSET_JOB"


def build_asset_job(
    name: str,
    asset_graph: AssetGraph,
    selected: Iterable[AssetKey] | None = None,
    resource_defs: Mapping[str, Any] | None = None,
    options: JobOptions | None = None,
    *,
    allow_partial_multi_assets: bool = False,
    selected_checks: Iterable[AssetCheckKey] | None = None,
    **option_values: Any,
) -> JobDefinition:
    """One node per selected AssetsDefinition, wired where an upstream asset is selected too.

    `selected_checks` are the asset checks the job evaluates (by default every check of the
    selected assets; every check at all when `selected` is None too). The job's options come
    as one `JobOptions`; callers that set one or two of them may pass them by name instead
    (`config=..., tags=...`), which replace those of `options`.
    """
    options = replace(options or JobOptions(), **option_values)
    selected_keys = set(asset_graph.executable_keys if selected is None else selected)
    if selected_checks is None:
        checks = set(asset_graph.check_keys()) if selected is None else {
            k for k in asset_graph.check_keys() if k.asset_key in selected_keys}
    else:
        checks = set(selected_checks)
    nodes, producer = _select_nodes(asset_graph, selected_keys, allow_partial_multi_assets, checks)
    graph_def, layer, resources = _wire(name, asset_graph, nodes, producer, selected_keys)
    for res_key, res in (resource_defs or {}).items():
        resources[res_key] = res
    if options.partitions_def is None:
        partitions_def = next((a.partitions_def for a in nodes.values()
                               if a.partitions_def is not None), None)
        if partitions_def is not None:
            options = replace(options, partitions_def=partitions_def)
    return JobDefinition.from_options(graph_def, options, name=name, resource_defs=resources,
                                      asset_layer=layer)


def selected_asset_keys(asset_graph: AssetGraph, selection: Any) -> set[AssetKey]:
    """The keys a selection (string, keys, definitions or AssetSelection) picks from the
    graph that a run can materialize (external assets left out)."""
    keys = AssetSelection.from_coercible(selection).resolve(asset_graph)
    return {k for k in keys if k in asset_graph.executable_keys}


def subset_asset_job(job: JobDefinition, selection: Any) -> JobDefinition:
    """`job` narrowed to the assets `selection` picks from the job's own asset graph; its
    executor, loggers, resources, config, tags, hooks and partitions stay as they are."""
    asset_graph = job.asset_layer.asset_graph
    if asset_graph is None:
        raise HeadwaterInvalidSubsetError(
            f"Job '{job.name}' is not an asset job, so it cannot be narrowed to an asset "
            "selection; select its ops with op_selection=[...] instead.")
    keys = selected_asset_keys(asset_graph, selection)
    checks = AssetSelection.from_coercible(selection).resolve_checks(asset_graph)
    nodes, producer = _select_nodes(asset_graph, keys, allow_partial=False, checks=checks)
    graph_def, layer, _ = _wire(job.graph.name, asset_graph, nodes, producer, keys)
    changes: dict[str, Any] = {"graph": graph_def, "asset_layer": layer}
    if job.name == IMPLICIT_JOB:
        # The implicit job of assets with several partitions definitions took the first one's;
        # narrowed to assets of one definition, it runs over that one.
        pdefs: list[Any] = []
        for node in nodes.values():
            if node.partitions_def is not None and node.partitions_def not in pdefs:
                pdefs.append(node.partitions_def)
        if len(pdefs) == 1:
            changes["partitions_def"] = pdefs[0]
    return job._copy(**changes)


def _select_nodes(asset_graph: AssetGraph, selected_keys: set[AssetKey], allow_partial: bool,
                  checks: set[AssetCheckKey] | None = None,
                  ) -> tuple[dict[str, AssetsDefinition], dict[AssetKey, tuple[str, str]]]:
    """The AssetsDefinitions (subset where they can be) that compute the selected keys and
    evaluate the selected checks, by node name, and which node output produces each key.

    A definition that cannot be subset evaluates all its checks whenever it runs."""
    nodes: dict[str, AssetsDefinition] = {}
    producer: dict[AssetKey, tuple[str, str]] = {}
    seen: set[int] = set()
    checks = set(checks or ())
    for key in asset_graph.toposort(selected_keys) if selected_keys else []:
        assets_def = asset_graph.assets_def_by_key[key]
        if not assets_def.is_executable or id(assets_def) in seen:
            continue
        seen.add(id(assets_def))
        wanted = assets_def.keys & selected_keys
        wanted_checks = checks & set(assets_def.check_specs_by_key)
        if wanted != assets_def.keys and not assets_def.can_subset and not allow_partial:
            missing = sorted(k.to_user_string() for k in assets_def.keys - wanted)
            raise HeadwaterInvalidSubsetError(
                f"Selection includes part of the multi-asset '{node_name_of(assets_def)}' "
                f"but not {missing}, and it cannot be subset. Select all of its assets, or "
                "declare it with can_subset=True."
            )
        if assets_def.can_subset and (wanted != assets_def.keys
                                      or wanted_checks != set(assets_def.check_specs_by_key)):
            assets_def = assets_def.subset_for(wanted, wanted_checks)
        _add_node(nodes, assets_def)
        for out_name, key in assets_def.keys_by_output_name.items():
            producer[key] = (node_name_of(assets_def), out_name)
    for check in sorted(checks):
        owner = asset_graph.assets_def_by_check_key.get(check)
        if owner is None or id(owner) in seen:
            continue
        seen.add(id(owner))
        wanted_checks = checks & set(owner.check_specs_by_key)
        if owner.keys or wanted_checks != set(owner.check_specs_by_key):
            if not owner.can_subset:
                what = (f"the asset(s) {sorted(k.to_user_string() for k in owner.keys)}"
                        if owner.keys else "its other checks")
                raise HeadwaterInvalidDefinitionError(
                    f"Selection includes check(s) {sorted(k.to_user_string() for k in wanted_checks)}"
                    f" of '{node_name_of(owner)}' without {what}, and '{node_name_of(owner)}' cannot "
                    "be subset. Select everything it evaluates, or declare it with can_subset=True."
                )
            owner = owner.subset_for((), wanted_checks)
        _add_node(nodes, owner)
    return nodes, producer


def node_name_of(assets_def: AssetsDefinition) -> str:
    return assets_def.node_def.name  # type: ignore[union-attr]


def _add_node(nodes: dict[str, AssetsDefinition], assets_def: AssetsDefinition) -> None:
    node_name = node_name_of(assets_def)
    if node_name in nodes:
            raise HeadwaterInvalidDefinitionError(
                f"Two asset definitions compute with an op named '{node_name}' ("
                f"{sorted(k.to_user_string() for k in nodes[node_name].keys)} and "
                f"{sorted(k.to_user_string() for k in assets_def.keys)}). Give one a different "
                "name or key_prefix."
            )
    nodes[node_name] = assets_def


def _wire(name: str, asset_graph: AssetGraph, nodes: Mapping[str, AssetsDefinition],
          producer: Mapping[AssetKey, tuple[str, str]], selected_keys: set[AssetKey],
          ) -> tuple[GraphDefinition, AssetLayer, dict[str, Any]]:
    """The op graph of the nodes, their asset layer, and the resources the assets bind."""
    invocations: dict[str, Invocation] = {}
    layer = AssetLayer(selected_keys=frozenset(selected_keys), asset_graph=asset_graph)
    for node_name, assets_def in nodes.items():
        node_def = assets_def.node_def
        bindings: dict[str, Any] = {}
        for input_name, key in assets_def.node_keys_by_input_name.items():
            layer.key_by_input[(node_name, input_name)] = key
            upstream = asset_graph.assets_def_by_key.get(key)
            # an observation yields no value: its downstream reads the asset from storage
            observed = upstream is not None and upstream.is_observable
            if key in producer and producer[key][0] != node_name and not observed:
                up_node, up_out = producer[key]
                bindings[input_name] = OutputHandle(up_node, up_out)
        if isinstance(node_def, GraphDefinition) and assets_def.is_subset:
            keys = assets_def.node_keys_by_output_name
            node_def, selected_outputs = subset_graph(node_def, [
                n for n in node_def.output_dict if n not in keys or keys[n] in assets_def.keys])
            layer.selected_outputs.update(
                {f"{node_name}.{h}": outs for h, outs in selected_outputs.items()})
        # like a node in a job, it shows its op's tags (op_tags=)
        invocations[node_name] = Invocation(node_def, node_name, bindings,
                                            tags=dict(getattr(node_def, "tags", None) or {}),
                                            hook_defs=assets_def.hook_defs)
        layer.assets_defs_by_node[node_name] = assets_def
        # every output keeps its key (an unselected one too: an op downstream in the graph
        # reads it as its input's asset); only the selected ones materialize
        for out_name, key in assets_def.node_keys_by_output_name.items():
            layer.key_by_output[(node_name, out_name)] = key
    resources = _asset_resources(asset_graph.assets_defs)
    layer.assets_defs = list(asset_graph.assets_defs)
    layer.selected_check_keys = frozenset(k for a in nodes.values() for k in a.check_keys)
    layer.blocking_upstream = _blocking_edges(nodes)
    return GraphDefinition(name=name, invocations=invocations), layer, resources


def _asset_resources(assets_defs: Iterable[AssetsDefinition]) -> dict[str, Any]:
    """The resources the assets bind themselves, the unselected ones too (a selected asset
    may load an upstream one through its IO manager). Two assets may bind one key only to
    the same resource."""
    resources: dict[str, Any] = {}
    owners: dict[str, AssetsDefinition] = {}
    for assets_def in assets_defs:
        for res_key, res in assets_def.resource_defs.items():
            known = resources.setdefault(res_key, res)
            owners.setdefault(res_key, assets_def)
            if known is not res and not _same_resource(known, res):
                first = sorted(k.to_user_string() for k in owners[res_key].keys)
                second = sorted(k.to_user_string() for k in assets_def.keys)
                raise HeadwaterInvalidDefinitionError(
                    f"Conflicting versions of resource with key '{res_key}' were provided to "
                    f"different assets ({first} and {second}). A key names one resource in a "
                    "job: give both assets the same resource object, or bind it once in "
                    "Definitions(resources=...)."
                )
    return resources


def _same_resource(one: Any, other: Any) -> bool:
    try:
        return bool(one == other)
    except Exception:  # an object whose __eq__ fails is not the same resource
        return False


def _blocking_edges(nodes: Mapping[str, AssetsDefinition]) -> dict[str, set[str]]:
    """Node -> the check nodes it waits for: a blocking check evaluated in its own step
    holds back every asset node that reads the checked asset."""
    blocking: dict[AssetKey, set[str]] = {}
    for node_name, assets_def in nodes.items():
        for spec in assets_def.check_specs:
            if spec.blocking and spec.asset_key not in assets_def.keys:
                blocking.setdefault(spec.asset_key, set()).add(node_name)
    edges: dict[str, set[str]] = {}
    if not blocking:
        return edges
    for node_name, assets_def in nodes.items():
        if not assets_def.keys:
            continue
        for key in set(assets_def.keys_by_input_name.values()) | assets_def.dependency_keys:
            for check_node in blocking.get(key, ()):
                if check_node != node_name:
                    edges.setdefault(node_name, set()).add(check_node)
    return edges


class AssetJobResolutionError(HeadwaterInvalidDefinitionError, HeadwaterInvalidSubsetError):
    """An asset job whose selection names assets or checks the definitions do not have: a
    broken definition (the job), caused by a bad selection."""


class UnresolvedAssetJobDefinition:
    """A job over an asset selection, resolved when Definitions knows every asset."""

    def __init__(self, name: str, selection: Any, options: JobOptions | None = None):
        self.name = name
        self.selection = AssetSelection.from_coercible(selection) if selection is not None else AssetSelection.all()
        self.options = options or JobOptions()

    def __getattr__(self, name: str) -> Any:
        # job.config, job.tags, job.partitions_def ...: read like a JobDefinition's, from the
        # options (only called for names that are not attributes of the instance)
        if name.startswith("__") or name == "options":
            raise AttributeError(name)
        try:
            return getattr(self.options, name)
        except AttributeError:
            raise AttributeError(
                f"'UnresolvedAssetJobDefinition' object has no attribute {name!r}") from None

    def with_metadata(self, metadata: Mapping[str, Any]) -> UnresolvedAssetJobDefinition:
        """A copy of this job with `metadata` replacing its metadata."""
        return UnresolvedAssetJobDefinition(self.name, self.selection,
                                            replace(self.options, metadata=metadata))

    def resolve(
        self,
        asset_graph: AssetGraph,
        resource_defs: Mapping[str, Any] | None = None,
        executor_def: Any = None,
    ) -> JobDefinition:
        try:
            keys = self.selection.resolve(asset_graph)
            checks = self.selection.resolve_checks(asset_graph)
        except HeadwaterInvalidSubsetError as exc:
            raise AssetJobResolutionError(
                f"Failed to resolve asset job {self.name}: {exc}") from exc
        executable = {k for k in keys if k in asset_graph.executable_keys}
        if keys and not executable and not checks:
            raise HeadwaterInvalidDefinitionError(
                f"Asset job '{self.name}' selects only external assets "
                f"{sorted(k.to_user_string() for k in keys)}; nothing to materialize."
            )
        options = self.options
        if options.executor_def is None and executor_def is not None:
            options = replace(options, executor_def=executor_def)
        return build_asset_job(self.name, asset_graph, executable, resource_defs, options,
                               selected_checks=checks)

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
    owners: Sequence[str] | None = None,
) -> UnresolvedAssetJobDefinition:
    """A job that materializes the assets a selection picks (all assets by default).

    The job is resolved when it is passed to Definitions, against all the assets there; a
    selection naming an asset that is not defined raises AssetJobResolutionError listing it.
    Give it to a schedule or sensor to run it on a cadence.

    Args:
        name: the job's name, unique in the code location.
        selection: the assets: an AssetSelection, a selection string, keys or definitions.
        config: run config of the job (a dict, or a config mapping).
        description: shown in the UI.
        tags: tags of the job, also put on its runs.
        run_tags: tags put on each run but not shown as the job's own.
        metadata: metadata of the job.
        partitions_def: the partitions of the job, when its assets are partitioned alike.
        executor_def: the executor of its runs.
        hooks: hooks run after each step.
        op_retry_policy: retries of every step on failure.
        owners: people or teams owning the job.

    Example:
        ```python
        from headwater import AssetSelection, Definitions, asset, define_asset_job

        @asset(group_name="daily")
        def report() -> str:
            return "done"

        refresh = define_asset_job("refresh", selection=AssetSelection.groups("daily"))
        defs = Definitions(assets=[report], jobs=[refresh])
        result = defs.resolve_job_def("refresh").execute_in_process()
        assert result.success
        ```
    """
    options = JobOptions(
        description=description, config=config, tags=tags or {}, run_tags=run_tags,
        metadata=metadata or {}, partitions_def=partitions_def, executor_def=executor_def,
        hooks=hooks, op_retry_policy=op_retry_policy,
        owners=validated_owners(name, owners) if owners is not None else None,
    )
    return UnresolvedAssetJobDefinition(name, selection, options)


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
