"""The asset decorators: @asset, @multi_asset, @observable_source_asset and
@multi_observable_source_asset (the graph-backed ones are in `graph_decorators.py`).

Each decorator inspects the function's signature once, builds the op and its specs, and
returns one AssetsDefinition; no intermediate record. Imports `definition.py`, `inout.py`
and `source_asset.py` of this room and the `ops`, `metadata`, `config` rooms; never
`graph_decorators.py`, which imports this module.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from headwater.definitions.assets.definition import (
    AssetDep,
    AssetsDefinition,
    AssetSpec,
    to_asset_dep,
)
from headwater.definitions.assets.inout import AssetIn, AssetOut
from headwater.definitions.assets.rules import add_unique_dep
from headwater.definitions.assets.source_asset import SourceAsset, own_io_manager_key
from headwater.definitions.key import (
    AssetKey,
    check_key_parts,
    prefix_path,
    to_asset_key,
)
from headwater.definitions.metadata.annotation import resolve_headwater_type
from headwater.definitions.ops.docstrings import docstring
from headwater.definitions.ops.inout import In, Out, OutputDefinition
from headwater.definitions.ops.op import (
    OpDefinition,
    build_input_defs,
    inspect_signature,
    output_def,
)
from headwater.definitions.ops.output import DEFAULT_OUTPUT, NO_VALUE
from headwater.definitions.ops.policy import RetryPolicy
from headwater.definitions.tags import COMPUTE_KIND_TAG, IO_MANAGER_KEY_METADATA
from headwater.errors import (
    HeadwaterInvalidDefinitionError,
)


def asset_input_keys(
    fn_name: str,
    input_args: Sequence[str],
    ins: Mapping[str, AssetIn],
    owner_prefix: tuple[str, ...],
) -> dict[str, AssetKey]:
    keys: dict[str, AssetKey] = {}
    for name in input_args:
        spec = ins.get(name)
        if spec is not None and spec.key is not None:
            keys[name] = spec.key
        elif spec is not None and spec.key_prefix is not None:
            keys[name] = AssetKey([*spec.key_prefix, name])
        else:
            keys[name] = AssetKey(name)
    for name in ins:
        if name not in input_args:
            keys[name] = ins[name].key or AssetKey([*(ins[name].key_prefix or ()), name])
    return keys


def _asset_ins(
    fn_name: str, sig: Any, ins: Mapping[str, AssetIn], deps: Sequence[AssetDep], decorator: str
) -> tuple[dict[str, AssetKey], dict[str, In]]:
    """Data inputs from parameters and `ins`, plus one Nothing input per non-data dep (and
    per Nothing-typed AssetIn, which needs no parameter since it carries no value)."""
    ordering_only = [n for n, spec in ins.items() if n not in sig.input_args
                     and spec.headwater_type is not NO_VALUE
                     and resolve_headwater_type(spec.headwater_type).is_nothing]
    for name in ins:
        if name not in sig.input_args and name not in ordering_only and not sig.var_kwargs:
            raise HeadwaterInvalidDefinitionError(
                f"{decorator} '{fn_name}' declares ins['{name}'], but the function has no "
                f"parameter '{name}'. Add the parameter, or list the asset in deps=[...] if its "
                "value is not needed."
            )
    keys = asset_input_keys(fn_name, sig.input_args, ins, ())
    _check_ins_against_deps(decorator, fn_name, ins, keys, [d.asset_key for d in deps])
    op_ins: dict[str, In] = {}
    # a function taking **kwargs receives the ins it does not name as keyword arguments
    for name in [*sig.input_args, *(n for n in ins if n not in sig.input_args)]:
        spec = ins.get(name)
        op_ins[name] = In(
            headwater_type=spec.headwater_type if spec else NO_VALUE,
            metadata=spec.metadata if spec else None,
            asset_key=keys[name],
            input_manager_key=spec.input_manager_key if spec else None,
        )
    for name in ordering_only:
        op_ins[name] = In(headwater_type=resolve_headwater_type(None),
                          metadata=ins[name].metadata, asset_key=keys[name])
    data_keys = set(keys.values())
    for dep in deps:
        if dep.asset_key in data_keys:
            continue
        name = dep.asset_key.to_python_identifier()
        keys[name] = dep.asset_key
        op_ins[name] = In(headwater_type=resolve_headwater_type(None), asset_key=dep.asset_key)
    return keys, op_ins


def _check_ins_against_deps(decorator: str, fn_name: str, ins: Mapping[str, AssetIn],
                            keys: Mapping[str, AssetKey], dep_keys: Iterable[AssetKey]) -> None:
    """An asset named in deps and in ins: deps says how it is depended on, so the AssetIn
    may only pick the parameter (by key); anything more would be a second, competing word."""
    for dep_key in dep_keys:
        for name, asset_in in ins.items():
            if keys.get(name) != dep_key and dep_key.to_python_identifier() != name:
                continue
            extra = [label for label, is_set in (
                ("partition_mapping", asset_in.partition_mapping is not None),
                ("metadata", bool(asset_in.metadata)),
                ("key_prefix", asset_in.key_prefix is not None),
                ("headwater_type", asset_in.headwater_type is not NO_VALUE)) if is_set]
            if extra:
                raise HeadwaterInvalidDefinitionError(
                    f"{decorator} '{fn_name}': asset '{dep_key.to_user_string()}' is in deps and "
                    f"ins['{name}'] sets {', '.join(extra)}. When an asset is in both, ins may "
                    "only give the key its parameter reads; put partition_mapping on the "
                    "AssetDep in deps, and drop the rest (or drop the dep from deps).")


def _check_params_declared(op_name: str, params: Sequence[str], keys: Mapping[str, AssetKey],
                           declared: Iterable[AssetDep]) -> None:
    """With specs=, the specs' deps are the whole list of upstream assets: a parameter must
    read one of them."""
    declared_keys = {d.asset_key for d in declared}
    names = {k.to_python_identifier() for k in declared_keys}
    for param in params:
        if keys[param] not in declared_keys and param not in names:
            raise HeadwaterInvalidDefinitionError(
                f"@multi_asset '{op_name}': parameter '{param}' reads asset "
                f"'{keys[param].to_user_string()}', which no AssetSpec lists in its deps. With "
                "specs=, declare every upstream asset in the deps of the specs that use it "
                "(AssetSpec(..., deps=[...])).")


def _collect_deps(deps: Iterable[Any] | None, owner: str) -> list[AssetDep]:
    result: list[AssetDep] = []
    seen: set[AssetKey] = set()
    for value in deps or ():
        if isinstance(value, AssetsDefinition) and len(value.keys) > 1:
            for key in sorted(value.keys):
                if key not in seen:
                    result.append(AssetDep(key))
                    seen.add(key)
            continue
        add_unique_dep(result, seen, to_asset_dep(value), f"'{owner}'")
    return result


def check_hooks(hooks: Iterable[Any] | None) -> frozenset[Any]:
    """hooks= of an asset decorator: hook definitions run after the asset's steps."""
    found = frozenset(hooks or ())
    for hook in found:
        if not callable(getattr(hook, "hook_fn", None)) and type(hook).__name__ != "HookDefinition":
            raise HeadwaterInvalidDefinitionError(
                f"hooks={{...}} got {type(hook).__name__} ({hook!r}); pass hooks made with "
                "@success_hook, @failure_hook or HookDefinition.")
    return found


def _kinds(kinds: Iterable[str] | None, compute_kind: str | None) -> frozenset[str]:
    if kinds is not None and compute_kind is not None:
        raise HeadwaterInvalidDefinitionError("Use kinds= or compute_kind=, not both.")
    return frozenset(kinds or ())


def asset(
    compute_fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    key_prefix: Any = None,
    ins: Mapping[str, AssetIn] | None = None,
    deps: Iterable[Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    description: str | None = None,
    config_schema: Any = None,
    required_resource_keys: Sequence[str] | None = None,
    resource_defs: Mapping[str, Any] | None = None,
    io_manager_def: Any = None,
    io_manager_key: str | None = None,
    headwater_type: Any = NO_VALUE,
    partitions_def: Any = None,
    op_tags: Mapping[str, Any] | None = None,
    group_name: str | None = None,
    output_required: bool = True,
    automation_condition: Any = None,
    backfill_policy: Any = None,
    retry_policy: RetryPolicy | None = None,
    code_version: str | None = None,
    key: Any = None,
    check_specs: Sequence[Any] | None = None,
    owners: Sequence[str] | None = None,
    kinds: Iterable[str] | None = None,
    compute_kind: str | None = None,
    pool: str | None = None,
    non_argument_deps: Iterable[Any] | None = None,
    freshness_policy: Any = None,
    auto_materialize_policy: Any = None,
    hooks: Iterable[Any] | None = None,
    legacy_freshness_policy: Any = None,
) -> Any:
    """Declare an asset computed by the decorated function.

    The function's name becomes the asset key (unless `name`, `key_prefix` or `key` say
    otherwise); each parameter names an upstream asset whose value is loaded and passed in,
    except `context` and parameters typed as resources. What the function returns is stored by
    the asset's IO manager. Usable bare (`@asset`) or called (`@asset(...)`). Conflicting
    arguments (for example `key` with `name`) raise HeadwaterInvalidDefinitionError.

    Args:
        compute_fn: the decorated function, when used bare.
        name: the last part of the key; defaults to the function's name.
        key_prefix: parts put before `name` in the key.
        ins: AssetIn per parameter, to map a parameter to another key or set its partition mapping.
        deps: upstream assets this one depends on without loading their values.
        metadata: static metadata shown with the asset.
        tags: tags of the asset, for selection and display.
        description: shown in the UI; defaults to the function's docstring.
        config_schema: schema of the run config the function reads from `context.op_config`.
        required_resource_keys: resources the function reaches through `context.resources`.
        resource_defs: resources bound to this asset only.
        io_manager_def: an IO manager bound to this asset only.
        io_manager_key: the resource key of the IO manager storing the value ("io_manager").
        headwater_type: the type the output is checked against.
        partitions_def: how the asset is split into partitions; None for one whole asset.
        op_tags: tags of the step that computes the asset (e.g. concurrency).
        group_name: the group shown in the UI ("default" when not given).
        output_required: False lets the function yield no output without failing the run.
        automation_condition: when the automation sensor should request the asset.
        backfill_policy: how many partitions one run of a backfill computes.
        retry_policy: retries of the step on failure.
        code_version: a version of the code; a change marks the asset stale.
        key: the whole key, instead of `name` and `key_prefix`.
        check_specs: checks the function itself reports with AssetCheckResult.
        owners: people or teams owning the asset ("team:data", emails).
        kinds: technologies shown as badges ("python", "snowflake").
        compute_kind: older spelling of a single kind.
        pool: the concurrency pool the step takes a slot from.
        non_argument_deps: older spelling of `deps`.
        freshness_policy: how fresh the asset is expected to be.
        auto_materialize_policy: older spelling of `automation_condition`.
        hooks: hooks run after the asset's step succeeds or fails.
        legacy_freshness_policy: a LegacyFreshnessPolicy (maximum lag) for the asset.

    Example:
        ```python
        from headwater import asset, materialize

        @asset
        def orders() -> list[int]:
            return [12, 30, 7]

        @asset(group_name="sales")
        def revenue(orders: list[int]) -> int:
            return sum(orders)

        result = materialize([orders, revenue])
        assert result.success
        assert result.output_for_node("revenue") == 49
        ```
    """

    def decorate(fn: Callable[..., Any]) -> AssetsDefinition:
        fn_name = fn.__name__
        if key is not None and (name is not None or key_prefix is not None):
            raise HeadwaterInvalidDefinitionError(
                f"@asset '{fn_name}': key= cannot be combined with name= or key_prefix=; "
                "put the whole path in key=."
            )
        asset_key = to_asset_key(key) if key is not None else AssetKey(
            [*prefix_path(key_prefix), name or fn_name]
        )
        problem = check_key_parts(asset_key)
        if problem:
            raise HeadwaterInvalidDefinitionError(f"@asset '{fn_name}': {problem}.")
        sig = inspect_signature(fn, "@asset")
        dep_list = _collect_deps([*(deps or ()), *(non_argument_deps or ())],
                                 asset_key.to_user_string())
        input_keys, op_ins = _asset_ins(fn_name, sig, dict(ins or {}), dep_list, "@asset")
        mapped = {n for n, spec in (ins or {}).items()
                  if getattr(spec, "partition_mapping", None) is not None}
        if any(k == asset_key and n not in mapped for n, k in input_keys.items()):
            raise HeadwaterInvalidDefinitionError(
                f"@asset '{asset_key.to_user_string()}' depends on itself. An asset cannot be "
                "an input of its own computation; to read its previous value, use a partition "
                "mapping or load it through an IO manager explicitly."
            )
        # An IO manager given as a definition is bound under a key of the asset's own, so
        # that it never collides with the default `io_manager` of other assets.
        io_key = io_manager_key or (own_io_manager_key(asset_key)
                                    if io_manager_def is not None else None)
        out = Out(headwater_type=headwater_type, is_required=output_required,
                  io_manager_key=io_key, code_version=code_version, metadata=metadata)
        annotation = sig.return_annotation
        if annotation is None or annotation is type(None):
            annotation = inspect.Parameter.empty
            if headwater_type is NO_VALUE:
                out = Out(headwater_type=None, is_required=output_required,
                          io_manager_key=io_key, code_version=code_version,
                          metadata=metadata)
        # `-> Output[T]` types the value with T (a Python type or a HeadwaterType instance)
        output = output_def(DEFAULT_OUTPUT, out, annotation, fn_name=fn_name)
        all_tags = dict(op_tags or {})
        if compute_kind:
            all_tags[COMPUTE_KIND_TAG] = compute_kind
        op_def = OpDefinition(
            fn,
            name=asset_key.to_python_identifier(),
            description=description,
            config_schema=config_schema,
            # Resources the asset binds itself are resources it requires, as in Dagster.
            required_resource_keys=sorted({*(required_resource_keys or ()), *(resource_defs or {})}),
            tags=all_tags,
            retry_policy=retry_policy,
            code_version=code_version,
            pool=pool,
            input_defs=build_input_defs(fn_name, sig, op_ins, "@asset"),
            output_defs={DEFAULT_OUTPUT: output},
            signature=sig,
        )
        all_deps = [AssetDep(k, _mapping_for(ins, n)) for n, k in input_keys.items()
                    if not any(d.asset_key == k for d in dep_list)] + dep_list
        spec = AssetSpec(
            asset_key,
            deps=all_deps,
            description=description or docstring(fn),
            metadata=metadata,
            group_name=group_name,
            code_version=code_version,
            automation_condition=automation_condition,
            auto_materialize_policy=auto_materialize_policy,
            owners=owners,
            tags=tags,
            kinds=_kinds(kinds, compute_kind),
            partitions_def=partitions_def,
            freshness_policy=freshness_policy,
            legacy_freshness_policy=legacy_freshness_policy,
        )
        res = dict(resource_defs or {})
        if io_manager_def is not None:
            res[io_key or "io_manager"] = io_manager_def
        return AssetsDefinition(
            hook_defs=check_hooks(hooks),
            keys_by_input_name=input_keys,
            keys_by_output_name={DEFAULT_OUTPUT: asset_key},
            node_def=op_def,
            specs=[spec],
            resource_defs=res,
            partitions_def=partitions_def,
            backfill_policy=backfill_policy,
            check_specs=check_specs,
            io_manager_keys={asset_key: output.io_manager_key},
            partition_mappings={d.asset_key: d.partition_mapping for d in all_deps
                                if d.partition_mapping is not None},
        )

    if compute_fn is not None:
        return decorate(compute_fn)
    return decorate


def _mapping_for(ins: Mapping[str, AssetIn] | None, name: str) -> Any:
    spec = (ins or {}).get(name)
    return spec.partition_mapping if spec else None


def multi_asset(
    *,
    outs: Mapping[str, AssetOut] | None = None,
    name: str | None = None,
    ins: Mapping[str, AssetIn] | None = None,
    deps: Iterable[Any] | None = None,
    description: str | None = None,
    config_schema: Any = None,
    required_resource_keys: Sequence[str] | None = None,
    internal_asset_deps: Mapping[str, set[AssetKey]] | None = None,
    partitions_def: Any = None,
    backfill_policy: Any = None,
    op_tags: Mapping[str, Any] | None = None,
    can_subset: bool = False,
    resource_defs: Mapping[str, Any] | None = None,
    group_name: str | None = None,
    retry_policy: RetryPolicy | None = None,
    code_version: str | None = None,
    specs: Sequence[AssetSpec] | None = None,
    check_specs: Sequence[Any] | None = None,
    pool: str | None = None,
    compute_kind: str | None = None,
    hooks: Iterable[Any] | None = None,
) -> Callable[[Callable[..., Any]], AssetsDefinition]:
    """Declare several assets computed by one function, one output per asset.

    Use it when one computation produces several tables at once. Declare the assets with
    `outs` (one AssetOut per output name) or with `specs` (AssetSpecs; the function then
    returns MaterializeResult per asset), not both. With `can_subset=True` a run may ask for
    only some of the outputs, and the function reads `context.selected_output_names`.

    Args:
        outs: AssetOut per output name; the function returns a tuple in this order.
        name: the name of the underlying op; defaults to the function's name.
        ins: AssetIn per parameter, to map a parameter to an upstream key.
        deps: upstream assets depended on without loading their values.
        description: shown in the UI; defaults to the function's docstring.
        config_schema: schema of the run config the function reads.
        required_resource_keys: resources reached through `context.resources`.
        internal_asset_deps: per output name, the upstream keys that output depends on.
        partitions_def: the partitions shared by all the assets.
        backfill_policy: how many partitions one backfill run computes.
        op_tags: tags of the step.
        can_subset: whether a run may materialize only some of the assets.
        resource_defs: resources bound to these assets only.
        group_name: the group of all the assets.
        retry_policy: retries of the step on failure.
        code_version: a version of the code shared by the assets.
        specs: AssetSpecs declaring the assets, instead of `outs`.
        check_specs: checks the function reports with AssetCheckResult.
        pool: the concurrency pool the step takes a slot from.
        compute_kind: a kind shown as a badge on every asset.
        hooks: hooks run after the step succeeds or fails.

    Example:
        ```python
        from headwater import AssetOut, materialize, multi_asset

        @multi_asset(outs={"users": AssetOut(), "orders": AssetOut()})
        def load_tables():
            return ["ada", "grace"], [1, 2, 3]

        result = materialize([load_tables])
        assert result.output_for_node("load_tables", "users") == ["ada", "grace"]
        ```
    """

    def decorate(fn: Callable[..., Any]) -> AssetsDefinition:
        op_name = name or fn.__name__
        if outs and specs:
            raise HeadwaterInvalidDefinitionError(
                f"@multi_asset '{op_name}': pass outs= or specs=, not both."
            )
        if specs and (deps or internal_asset_deps):
            raise HeadwaterInvalidDefinitionError(
                f"@multi_asset '{op_name}': with specs=, each AssetSpec lists what its asset "
                "depends on; drop deps= / internal_asset_deps= and set AssetSpec(..., deps=[...]).")
        if compute_kind and (any(o.kinds for o in (outs or {}).values())
                             or any(spec.kinds for spec in specs or ())):
            raise HeadwaterInvalidDefinitionError(
                f"@multi_asset '{op_name}': compute_kind= and the kinds of its AssetSpecs or "
                "AssetOuts say the same thing twice; keep the kinds and drop compute_kind=.")
        sig = inspect_signature(fn, "@multi_asset")
        dep_list = _collect_deps(deps, op_name)
        input_keys, op_ins = _asset_ins(op_name, sig, dict(ins or {}), dep_list, "@multi_asset")
        if specs:  # a value read by the function is an upstream asset of one of the specs
            spec_upstream = {d.asset_key for spec in specs for d in spec.deps}
            stray = sorted(k.to_user_string() for n, k in input_keys.items()
                           if n in sig.input_args and k not in spec_upstream)
            if stray:
                raise HeadwaterInvalidDefinitionError(
                    f"@multi_asset '{op_name}' reads {stray} as inputs, but none of its "
                    "AssetSpecs depends on them: add them to the deps of the AssetSpecs that "
                    "use them, e.g. AssetSpec('x', deps=[...]).")
        out_specs: dict[str, tuple[AssetOut, AssetSpec]] = {}
        for out_name, out in (outs or {}).items():
            asset_key = out.key or AssetKey([*(out.key_prefix or ()), out_name])
            spec = AssetSpec(
                asset_key, description=out.description, metadata=out.metadata,
                group_name=out.group_name or group_name, code_version=out.code_version or code_version,
                owners=out.owners, tags=out.tags, kinds=out.kinds,
                automation_condition=out.automation_condition, partitions_def=partitions_def,
                skippable=not out.is_required, legacy_freshness_policy=out.legacy_freshness_policy,
            )
            out_specs[out_name] = (out, spec)
        for spec in specs or ():
            out_name = spec.key.to_python_identifier()
            spec = spec.replace_attributes(
                group_name=spec.group_name or group_name, partitions_def=partitions_def,
                code_version=spec.code_version or code_version,
            )
            out_specs[out_name] = (
                AssetOut(key=spec.key, is_required=not spec.skippable,
                         headwater_type=None,
                         io_manager_key=spec.metadata.get(IO_MANAGER_KEY_METADATA)),
                spec,
            )
            _check_ins_against_deps("@multi_asset", op_name, dict(ins or {}), input_keys,
                                    [d.asset_key for d in spec.deps])
            for dep in spec.deps:
                if dep.asset_key not in input_keys.values():
                    ident = dep.asset_key.to_python_identifier()
                    input_keys[ident] = dep.asset_key
                    op_ins[ident] = In(headwater_type=None, asset_key=dep.asset_key)
        if specs:
            _check_params_declared(op_name, sig.input_args, input_keys,
                                   [*(d for sp in specs for d in sp.deps), *dep_list])
        output_defs: dict[str, OutputDefinition] = {}
        for out_name, (out, out_spec) in out_specs.items():
            output_defs[out_name] = output_def(
                out_name,
                Out(out.headwater_type, out.description, out.is_required, out.io_manager_key,
                    metadata=out_spec.metadata, code_version=out.code_version),
                inspect.Parameter.empty,
            )
        keys_by_output = {n: s.key for n, (_o, s) in out_specs.items()}
        if can_subset:
            # An asset that depends on a sibling gets an ordering input for it: a subset that
            # leaves the sibling out still waits for (and records lineage from) it.
            siblings = {k for deps_ in (internal_asset_deps or {}).values() for k in deps_
                        if k in keys_by_output.values() and k not in input_keys.values()}
            for sibling in sorted(siblings):
                input_keys[sibling.to_python_identifier()] = sibling
                op_ins[sibling.to_python_identifier()] = In(headwater_type=None, asset_key=sibling)
        all_tags = dict(op_tags or {})
        if compute_kind:
            all_tags[COMPUTE_KIND_TAG] = compute_kind
        op_def = OpDefinition(
            fn,
            name=op_name,
            description=description,
            config_schema=config_schema,
            required_resource_keys=required_resource_keys,
            tags=all_tags,
            retry_policy=retry_policy,
            code_version=code_version,
            pool=pool,
            input_defs=build_input_defs(op_name, sig, op_ins, "@multi_asset"),
            output_defs=output_defs,
            signature=sig,
        )
        upstream = [AssetDep(k, _mapping_for(ins, n)) for n, k in input_keys.items()
                    if k not in keys_by_output.values()]
        final_specs = []
        for out_name, (_out, spec) in out_specs.items():
            if specs:
                data = [d for d in upstream if n_data(d, sig, input_keys)]
                spec_deps = [*spec.deps, *dep_list, *data]
            elif internal_asset_deps and out_name in internal_asset_deps:
                spec_deps = [AssetDep(k) for k in internal_asset_deps[out_name]]
            else:
                spec_deps = list(upstream)
            spec_deps = [d for d in spec_deps if d.asset_key != spec.key]
            final_specs.append(spec.replace_attributes(deps=_dedupe(spec_deps)))
        return AssetsDefinition(
            hook_defs=check_hooks(hooks),
            keys_by_input_name=input_keys,
            keys_by_output_name=keys_by_output,
            node_def=op_def,
            specs=final_specs,
            can_subset=can_subset,
            resource_defs=resource_defs,
            partitions_def=partitions_def,
            backfill_policy=backfill_policy,
            check_specs=check_specs,
            io_manager_keys={keys_by_output[n]: d.io_manager_key for n, d in output_defs.items()},
            partition_mappings={d.asset_key: d.partition_mapping
                                for d in [*upstream, *(x for sp in final_specs for x in sp.deps)]
                                if d.partition_mapping is not None},
        )

    return decorate


def multi_observable_source_asset(
    fn: Callable[..., Any] | None = None,
    *,
    specs: Sequence[AssetSpec],
    name: str | None = None,
    description: str | None = None,
    partitions_def: Any = None,
    group_name: str | None = None,
    can_subset: bool = False,
    required_resource_keys: Sequence[str] | None = None,
    resource_defs: Mapping[str, Any] | None = None,
    op_tags: Mapping[str, Any] | None = None,
) -> Any:
    """Several source assets observed by one function, which returns or yields one
    ObserveResult(asset_key=...) per asset.

    Like `observable_source_asset`, for a function that can check several external tables in
    one go. Its observations record a data version per asset, which marks downstream assets
    stale when it changes.

    Args:
        fn: the decorated function, when used bare.
        specs: one AssetSpec per observed asset.
        name: the name of the observing op; defaults to the function's name.
        description: shown in the UI.
        partitions_def: the partitions of the observed assets.
        group_name: the group of the observed assets.
        can_subset: whether a run may observe only some of the assets.
        required_resource_keys: resources reached through `context.resources`.
        resource_defs: resources bound to this definition only.
        op_tags: tags of the observing step.

    Example:
        ```python
        from headwater import (AssetSpec, DataVersion, ObserveResult,
                               multi_observable_source_asset)

        @multi_observable_source_asset(specs=[AssetSpec("raw_users"), AssetSpec("raw_events")])
        def raw_tables():
            yield ObserveResult(asset_key="raw_users", data_version=DataVersion("v1"))
            yield ObserveResult(asset_key="raw_events", data_version=DataVersion("v7"))

        assert {k.to_user_string() for k in raw_tables.keys} == {"raw_users", "raw_events"}
        ```
    """

    def decorate(fn: Callable[..., Any]) -> AssetsDefinition:
        assets_def = multi_asset(
            specs=list(specs), name=name, description=description,
            partitions_def=partitions_def, group_name=group_name, can_subset=can_subset,
            required_resource_keys=required_resource_keys, resource_defs=resource_defs,
            op_tags=op_tags,
        )(fn)
        return assets_def._copy(execution_type="OBSERVATION")

    return decorate(fn) if fn is not None else decorate


def n_data(dep: AssetDep, sig: Any, input_keys: Mapping[str, AssetKey]) -> bool:
    """Whether `dep` is a data input (a parameter) of the function."""
    return any(input_keys.get(p) == dep.asset_key for p in sig.input_args)


def _dedupe(deps: Iterable[AssetDep]) -> list[AssetDep]:
    seen: dict[AssetKey, AssetDep] = {}
    for d in deps:
        seen.setdefault(d.asset_key, d)
    return list(seen.values())


def observable_source_asset(
    observe_fn: Callable[..., Any] | None = None,
    *,
    key: Any = None,
    name: str | None = None,
    key_prefix: Any = None,
    metadata: Mapping[str, Any] | None = None,
    io_manager_key: str | None = None,
    io_manager_def: Any = None,
    description: str | None = None,
    partitions_def: Any = None,
    group_name: str | None = None,
    required_resource_keys: Sequence[str] | None = None,
    resource_defs: Mapping[str, Any] | None = None,
    op_tags: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    owners: Sequence[str] | None = None,
    kinds: Iterable[str] | None = None,
) -> Any:
    """Declare a source asset whose function reports its current version (an observation).

    A source asset is data that headwater reads but does not compute (a file, an external
    table). The function returns a DataVersion (or an ObserveResult); recording it is an
    observation, and a new version marks the assets downstream stale. Returns a SourceAsset.

    Args:
        observe_fn: the decorated function, when used bare.
        key: the whole key, instead of `name` and `key_prefix`.
        name: the last part of the key; defaults to the function's name.
        key_prefix: parts put before `name` in the key.
        metadata: static metadata of the source.
        io_manager_key: the IO manager that loads the source for downstream assets.
        io_manager_def: an IO manager bound to this source only.
        description: shown in the UI; defaults to the function's docstring.
        partitions_def: the partitions of the source.
        group_name: the group shown in the UI.
        required_resource_keys: resources reached through `context.resources`.
        resource_defs: resources bound to this source only.
        op_tags: tags of the observing step.
        tags: tags of the source asset.
        owners: people or teams owning the source.
        kinds: technologies shown as badges.

    Example:
        ```python
        from pathlib import Path

        from headwater import DataVersion, SourceAsset, observable_source_asset

        Path("events.csv").write_text("id,amount")

        @observable_source_asset
        def events():
            return DataVersion(str(Path("events.csv").stat().st_size))

        assert isinstance(events, SourceAsset)
        assert events.key.to_user_string() == "events"
        ```
    """
    if key is not None and (name is not None or key_prefix is not None):
        raise HeadwaterInvalidDefinitionError(
            "Cannot specify a name or key prefix for @observable_source_asset when the key "
            "argument is provided: pass key=[*prefix, name] alone."
        )

    def decorate(fn: Callable[..., Any]) -> SourceAsset:
        asset_key = to_asset_key(key) if key is not None else AssetKey(
            [*prefix_path(key_prefix), name or fn.__name__])
        return SourceAsset(asset_key, metadata=metadata, io_manager_key=io_manager_key,
                           io_manager_def=io_manager_def,
                           description=description or docstring(fn),
                           partitions_def=partitions_def, group_name=group_name,
                           resource_defs=resource_defs, observe_fn=fn, op_tags=op_tags,
                           tags=tags, owners=owners, kinds=kinds,
                           required_resource_keys=required_resource_keys)

    if observe_fn is not None:
        return decorate(observe_fn)
    return decorate
