"""The graph asset decorators: @graph_asset and @graph_multi_asset.

An asset whose value is computed by a graph of ops, each step retried and logged on its own.
The decorator builds the graph (`ops/graph.py`) and its specs and returns one
AssetsDefinition. Imports `decorators.py` (for how parameters map to upstream keys),
`definition.py` and `inout.py` of this room and the `ops` room (`graph.py`, `wiring.py`);
nothing imports this module but the package's export table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from headwater.definitions.assets.decorators import asset_input_keys, check_hooks
from headwater.definitions.assets.definition import AssetDep, AssetsDefinition, AssetSpec
from headwater.definitions.assets.inout import AssetIn, AssetOut
from headwater.definitions.key import AssetKey, prefix_path, to_asset_key
from headwater.definitions.ops.docstrings import docstring
from headwater.definitions.ops.graph import build_graph
from headwater.definitions.ops.op import inspect_signature
from headwater.definitions.ops.output import DEFAULT_OUTPUT
from headwater.definitions.ops.wiring import GraphOut
from headwater.errors import HeadwaterInvalidDefinitionError


def graph_asset(
    compose_fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    ins: Mapping[str, AssetIn] | None = None,
    config: Any = None,
    key_prefix: Any = None,
    group_name: str | None = None,
    partitions_def: Any = None,
    metadata: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    owners: Sequence[str] | None = None,
    kinds: Iterable[str] | None = None,
    automation_condition: Any = None,
    backfill_policy: Any = None,
    resource_defs: Mapping[str, Any] | None = None,
    check_specs: Sequence[Any] | None = None,
    code_version: str | None = None,
    key: Any = None,
    hooks: Iterable[Any] | None = None,
) -> Any:
    """Declare an asset computed by a graph of ops.

    The decorated function composes ops (calls them, passing outputs along) and returns the
    output that becomes the asset's value. Use it when one asset needs several steps, each
    retried and logged on its own. Parameters name upstream assets, as with `@asset`.

    Args:
        compose_fn: the decorated function, when used bare.
        name: the last part of the key; defaults to the function's name.
        description: shown in the UI; defaults to the function's docstring.
        ins: AssetIn per parameter, to map a parameter to another key.
        config: config of the graph's ops (a dict, or a ConfigMapping).
        key_prefix: parts put before `name` in the key.
        group_name: the group shown in the UI.
        partitions_def: how the asset is partitioned.
        metadata: static metadata of the asset.
        tags: tags of the asset.
        owners: people or teams owning the asset.
        kinds: technologies shown as badges.
        automation_condition: when automation should request the asset.
        backfill_policy: how many partitions one backfill run computes.
        resource_defs: resources bound to this asset only.
        check_specs: checks that the graph's ops report.
        code_version: a version of the code.
        key: the whole key, instead of `name` and `key_prefix`.
        hooks: hooks run after the graph's steps.

    Example:
        ```python
        from headwater import graph_asset, materialize, op

        @op
        def fetch() -> list[int]:
            return [3, 1, 2]

        @op
        def sort(values: list[int]) -> list[int]:
            return sorted(values)

        @graph_asset
        def sorted_values():
            return sort(fetch())

        result = materialize([sorted_values])
        assert result.output_for_node("sorted_values") == [1, 2, 3]
        ```
    """
    if key is not None and (name is not None or key_prefix is not None):
        raise HeadwaterInvalidDefinitionError(
            "Cannot specify a name or key prefix for @graph_asset when the key argument is "
            "provided: pass key=[*prefix, name] alone.")

    def decorate(fn: Callable[..., Any]) -> AssetsDefinition:
        asset_key = to_asset_key(key) if key is not None else AssetKey(
            [*prefix_path(key_prefix), name or fn.__name__]
        )
        graph_def = build_graph(fn, name=name or asset_key.to_python_identifier(),
                                description=description, config=config)
        sig = inspect_signature(fn, "@graph_asset", allow_context=False)
        input_keys = asset_input_keys(fn.__name__, sig.input_args, dict(ins or {}), ())
        spec = AssetSpec(
            asset_key, deps=[AssetDep(k) for k in input_keys.values()],
            description=description or docstring(fn), metadata=metadata,
            group_name=group_name, code_version=code_version, owners=owners, tags=tags,
            kinds=kinds, automation_condition=automation_condition, partitions_def=partitions_def,
        )
        out_name = next(iter(graph_def.output_dict), DEFAULT_OUTPUT)
        return AssetsDefinition(
            hook_defs=check_hooks(hooks),
            keys_by_input_name=input_keys,
            keys_by_output_name={out_name: asset_key},
            node_def=graph_def,
            specs=[spec],
            partition_mappings=_graph_partition_mappings(ins, input_keys),
            resource_defs=resource_defs,
            partitions_def=partitions_def,
            backfill_policy=backfill_policy,
            check_specs=check_specs,
        )

    if compose_fn is not None:
        return decorate(compose_fn)
    return decorate


def graph_multi_asset(
    *,
    outs: Mapping[str, AssetOut],
    name: str | None = None,
    ins: Mapping[str, AssetIn] | None = None,
    partitions_def: Any = None,
    group_name: str | None = None,
    can_subset: bool = False,
    config: Any = None,
    resource_defs: Mapping[str, Any] | None = None,
    backfill_policy: Any = None,
    check_specs: Sequence[Any] | None = None,
    hooks: Iterable[Any] | None = None,
) -> Callable[[Callable[..., Any]], AssetsDefinition]:
    """Declare several assets computed by a graph, one graph output per asset.

    The decorated function composes ops and returns a dict from output name to op output
    (or a tuple in the order of `outs`).

    Args:
        outs: AssetOut per graph output name.
        name: the graph's name; defaults to the function's name.
        ins: AssetIn per parameter, to map a parameter to an upstream key.
        partitions_def: the partitions shared by the assets.
        group_name: the group of the assets.
        can_subset: whether a run may materialize only some of the assets.
        config: config of the graph's ops.
        resource_defs: resources bound to these assets only.
        backfill_policy: how many partitions one backfill run computes.
        check_specs: checks that the graph's ops report.
        hooks: hooks run after the graph's steps.

    Example:
        ```python
        from headwater import AssetOut, graph_multi_asset, materialize, op

        @op
        def numbers() -> list[int]:
            return [1, 2, 3, 4]

        @op
        def evens(values: list[int]) -> list[int]:
            return [v for v in values if v % 2 == 0]

        @op
        def odds(values: list[int]) -> list[int]:
            return [v for v in values if v % 2]

        @graph_multi_asset(outs={"even": AssetOut(), "odd": AssetOut()})
        def split():
            values = numbers()
            return {"even": evens(values), "odd": odds(values)}

        assert materialize([split]).success
        ```
    """

    def decorate(fn: Callable[..., Any]) -> AssetsDefinition:
        # the body may return a tuple: its items are the outputs, in the order of outs
        graph_def = build_graph(fn, name=name or fn.__name__, config=config, out={
            n: GraphOut(description=o.description) for n, o in outs.items()})
        sig = inspect_signature(fn, "@graph_multi_asset", allow_context=False)
        input_keys = asset_input_keys(fn.__name__, sig.input_args, dict(ins or {}), ())
        specs = []
        keys_by_output = {}
        for out_name, out in outs.items():
            asset_key = out.key or AssetKey([*(out.key_prefix or ()), out_name])
            keys_by_output[out_name] = asset_key
            specs.append(AssetSpec(
                asset_key, deps=[AssetDep(k) for k in input_keys.values()],
                description=out.description, metadata=out.metadata,
                group_name=out.group_name or group_name, code_version=out.code_version,
                owners=out.owners, tags=out.tags, kinds=out.kinds, partitions_def=partitions_def,
                skippable=not out.is_required,
            ))
        return AssetsDefinition(
            hook_defs=check_hooks(hooks),
            keys_by_input_name=input_keys,
            keys_by_output_name=keys_by_output,
            node_def=graph_def,
            specs=specs,
            can_subset=can_subset,
            resource_defs=resource_defs,
            partitions_def=partitions_def,
            backfill_policy=backfill_policy,
            check_specs=check_specs,
            partition_mappings=_graph_partition_mappings(ins, input_keys),
        )

    return decorate


def _graph_partition_mappings(ins: Mapping[str, AssetIn] | None,
                              input_keys: Mapping[str, AssetKey]) -> dict[AssetKey, Any]:
    """The partition mappings that a graph asset's ins= declare, by upstream key."""
    return {input_keys[n]: i.partition_mapping for n, i in (ins or {}).items()
            if i.partition_mapping is not None and n in input_keys}
