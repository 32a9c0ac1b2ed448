"""@asset_check and @multi_asset_check: a function that tests assets becomes checks.

The checked asset's value arrives as the one parameter that is not an extra input
(`additional_ins`); with no such parameter the asset is an ordering-only input, so the check
still runs after its asset. Imports the `assets`, `ops` and `metadata` rooms and this room's
`spec` and `definition`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from headwater.definitions.assets.inout import AssetIn
from headwater.definitions.checks.definition import AssetChecksDefinition
from headwater.definitions.checks.spec import AssetCheckSpec
from headwater.definitions.key import AssetKey, to_asset_key
from headwater.definitions.metadata.annotation import resolve_headwater_type
from headwater.definitions.ops.docstrings import docstring
from headwater.definitions.ops.inout import In
from headwater.definitions.ops.op import OpDefinition, build_input_defs, inspect_signature
from headwater.definitions.ops.output import NO_VALUE
from headwater.definitions.tags import COMPUTE_KIND_TAG
from headwater.errors import HeadwaterInvalidDefinitionError


def _as_asset_in(value: Any) -> AssetIn:
    return value if isinstance(value, AssetIn) else AssetIn(key=to_asset_key(value))


def _data_in(ins: Mapping[str, AssetIn], name: str, key: AssetKey) -> In:
    spec = ins.get(name)
    return In(headwater_type=spec.headwater_type if spec else NO_VALUE,
              metadata=spec.metadata if spec else None, asset_key=key,
              input_manager_key=spec.input_manager_key if spec else None)


def _ordering_in(key: AssetKey) -> In:
    return In(headwater_type=resolve_headwater_type(None), asset_key=key)


def _resource_keys(required: Iterable[str] | None, defs: Mapping[str, Any] | None) -> list[str]:
    """The resources a check's op asks for: those it names and those it brings."""
    return sorted({*(required or ()), *(defs or {})})


def _op_tags(op_tags: Mapping[str, Any] | None, compute_kind: str | None) -> dict[str, Any]:
    tags = dict(op_tags or {})
    if compute_kind:
        tags[COMPUTE_KIND_TAG] = compute_kind
    return tags


def asset_check(
    compute_fn: Callable[..., Any] | None = None,
    *,
    asset: Any,
    name: str | None = None,
    description: str | None = None,
    blocking: bool = False,
    additional_ins: Mapping[str, Any] | None = None,
    additional_deps: Iterable[Any] | None = None,
    required_resource_keys: Iterable[str] | None = None,
    resource_defs: Mapping[str, Any] | None = None,
    config_schema: Any = None,
    compute_kind: str | None = None,
    op_tags: Mapping[str, Any] | None = None,
    retry_policy: Any = None,
    metadata: Mapping[str, Any] | None = None,
    automation_condition: Any = None,
    pool: str | None = None,
    partitions_def: Any = None,
) -> Any:
    """Declare a check on `asset`, evaluated by the decorated function.

    The function returns an AssetCheckResult. It may take the checked asset's value as a
    parameter (named like the asset) and `context`. Checks run in the same run as their asset
    when both are selected; a blocking check that fails with ERROR severity stops the assets
    downstream. Usable bare or called; the check's name defaults to the function's name.

    Args:
        compute_fn: the decorated function, when used bare.
        asset: the checked asset: a key, a string or an asset definition.
        name: the check's name; defaults to the function's name.
        description: shown in the UI; defaults to the function's docstring.
        blocking: whether a failure (ERROR severity) stops downstream assets in the run.
        additional_ins: AssetIn per parameter, for other assets the function loads.
        additional_deps: other assets the check depends on without loading them.
        required_resource_keys: resources reached through `context.resources`.
        resource_defs: resources bound to this check only.
        config_schema: schema of the run config the function reads.
        compute_kind: a kind shown as a badge.
        op_tags: tags of the check's step.
        retry_policy: retries of the step on failure.
        metadata: static metadata of the check.
        automation_condition: when automation should run the check.
        pool: the concurrency pool the step takes a slot from.
        partitions_def: the partitions the check runs per (those of its asset).

    Example:
        ```python
        from headwater import AssetCheckResult, asset, asset_check, materialize

        @asset
        def orders() -> list[int]:
            return [3, 5]

        @asset_check(asset=orders, blocking=True)
        def no_negative_orders(orders: list[int]) -> AssetCheckResult:
            return AssetCheckResult(passed=all(o >= 0 for o in orders))

        result = materialize([orders, no_negative_orders])
        [evaluation] = result.get_asset_check_evaluations()
        assert evaluation.passed
        ```
    """

    def decorate(fn: Callable[..., Any]) -> AssetChecksDefinition:
        asset_key = to_asset_key(asset)
        check_name = name or fn.__name__
        ins = {n: _as_asset_in(v) for n, v in (additional_ins or {}).items()}
        sig = inspect_signature(fn, "@asset_check")
        for in_name in ins:
            if in_name not in sig.input_args:
                raise HeadwaterInvalidDefinitionError(
                    f"@asset_check '{check_name}' declares additional_ins['{in_name}'], but the "
                    f"function has no parameter '{in_name}'. Add the parameter, or list the asset "
                    "in additional_deps=[...] if its value is not needed."
                )
        asset_params = [p for p in sig.input_args if p not in ins]
        if len(asset_params) > 1:
            raise HeadwaterInvalidDefinitionError(
                f"When defining check '{check_name}', multiple assets provided as parameters: "
                f"{asset_params}. These should either match the target asset or be specified in "
                "'additional_ins'."
            )
        spec = AssetCheckSpec(
            check_name, asset=asset_key, description=description or docstring(fn),
            blocking=blocking, metadata=metadata,
            additional_deps=[*(additional_deps or ()), *(i.key for i in ins.values())],
            automation_condition=automation_condition, partitions_def=partitions_def,
        )
        keys: dict[str, AssetKey] = {}
        op_ins: dict[str, In] = {}
        if asset_params:
            keys[asset_params[0]] = asset_key
            op_ins[asset_params[0]] = _data_in({}, asset_params[0], asset_key)
        else:
            ident = asset_key.to_python_identifier()
            keys[ident] = asset_key
            op_ins[ident] = _ordering_in(asset_key)
        for in_name, asset_in in ins.items():
            in_key = asset_in.key or AssetKey([*(asset_in.key_prefix or ()), in_name])
            keys[in_name] = in_key
            op_ins[in_name] = _data_in(ins, in_name, in_key)
        for dep in spec.additional_deps:
            if dep.asset_key not in keys.values():
                ident = dep.asset_key.to_python_identifier()
                keys[ident] = dep.asset_key
                op_ins[ident] = _ordering_in(dep.asset_key)
        op_def = OpDefinition(
            fn, name=spec.get_python_identifier(), description=spec.description,
            config_schema=config_schema,
            required_resource_keys=_resource_keys(required_resource_keys, resource_defs),
            tags=_op_tags(op_tags, compute_kind), retry_policy=retry_policy, pool=pool,
            input_defs=build_input_defs(check_name, sig, op_ins, "@asset_check"),
            output_defs={}, signature=sig,
        )
        return AssetChecksDefinition(node_def=op_def, check_specs=[spec], keys_by_input_name=keys,
                                     resource_defs=resource_defs, partitions_def=partitions_def)

    if compute_fn is not None:
        return decorate(compute_fn)
    return decorate


def multi_asset_check(
    *,
    specs: Sequence[AssetCheckSpec],
    name: str | None = None,
    description: str | None = None,
    can_subset: bool = False,
    compute_kind: str | None = None,
    op_tags: Mapping[str, Any] | None = None,
    resource_defs: Mapping[str, Any] | None = None,
    required_resource_keys: Iterable[str] | None = None,
    retry_policy: Any = None,
    config_schema: Any = None,
    ins: Mapping[str, Any] | None = None,
    pool: str | None = None,
    partitions_def: Any = None,
) -> Callable[[Callable[..., Any]], AssetChecksDefinition]:
    """Declare several checks evaluated by one function, which yields one
    AssetCheckResult(asset_key=..., check_name=...) per check.

    Use it when one query can answer several checks at once. With `can_subset=True` a run may
    select only some of the checks (read `context.selected_asset_check_keys`).

    Args:
        specs: one AssetCheckSpec per check.
        name: the op's name; defaults to the function's name.
        description: shown in the UI.
        can_subset: whether a run may evaluate only some of the checks.
        compute_kind: a kind shown as a badge.
        op_tags: tags of the step.
        resource_defs: resources bound to these checks only.
        required_resource_keys: resources reached through `context.resources`.
        retry_policy: retries of the step on failure.
        config_schema: schema of the run config the function reads.
        ins: AssetIn per parameter, for assets the function loads.
        pool: the concurrency pool the step takes a slot from.
        partitions_def: the partitions the checks run per.

    Example:
        ```python
        from headwater import (AssetCheckResult, AssetCheckSpec, asset, materialize,
                               multi_asset_check)

        @asset
        def users() -> list[str]:
            return ["ada", "grace"]

        @multi_asset_check(specs=[AssetCheckSpec("not_empty", asset="users"),
                                  AssetCheckSpec("unique", asset="users")])
        def user_checks(users: list[str]):
            yield AssetCheckResult(asset_key="users", check_name="not_empty", passed=bool(users))
            yield AssetCheckResult(asset_key="users", check_name="unique",
                                   passed=len(set(users)) == len(users))

        result = materialize([users, user_checks])
        assert all(e.passed for e in result.get_asset_check_evaluations())
        ```
    """

    def decorate(fn: Callable[..., Any]) -> AssetChecksDefinition:
        op_name = name or fn.__name__
        given = {n: _as_asset_in(v) for n, v in (ins or {}).items()}
        sig = inspect_signature(fn, "@multi_asset_check")
        targets: dict[str, AssetKey] = {}
        for spec in specs:
            for key in (spec.asset_key, *spec.additional_deps_keys):
                targets.setdefault(key.to_python_identifier(), key)
                targets.setdefault(key.path[-1], key)
        keys: dict[str, AssetKey] = {}
        op_ins: dict[str, In] = {}
        for param in sig.input_args:
            if param in given:
                asset_in = given[param]
                key = asset_in.key or AssetKey([*(asset_in.key_prefix or ()), param])
            elif param in targets:
                key = targets[param]
            else:
                raise HeadwaterInvalidDefinitionError(
                    f"@multi_asset_check '{op_name}' has parameter '{param}', which names none of "
                    f"the assets its checks target ({sorted(set(targets))}). Rename the "
                    f"parameter, or map it with ins={{'{param}': AssetKey(...)}}."
                )
            keys[param] = key
            op_ins[param] = _data_in(given, param, key)
        for in_name in given:
            if in_name not in sig.input_args:
                raise HeadwaterInvalidDefinitionError(
                    f"@multi_asset_check '{op_name}' declares ins['{in_name}'], but the function "
                    f"has no parameter '{in_name}'. Add the parameter or remove the entry."
                )
        for spec in specs:
            for key in (spec.asset_key, *spec.additional_deps_keys):
                if key not in keys.values():
                    ident = key.to_python_identifier()
                    keys[ident] = key
                    op_ins[ident] = _ordering_in(key)
        op_def = OpDefinition(
            fn, name=op_name, description=description or docstring(fn),
            config_schema=config_schema,
            required_resource_keys=_resource_keys(required_resource_keys, resource_defs),
            tags=_op_tags(op_tags, compute_kind), retry_policy=retry_policy, pool=pool,
            input_defs=build_input_defs(op_name, sig, op_ins, "@multi_asset_check"),
            output_defs={}, signature=sig,
        )
        return AssetChecksDefinition(node_def=op_def, check_specs=list(specs),
                                     keys_by_input_name=keys, resource_defs=resource_defs,
                                     can_subset=can_subset, partitions_def=partitions_def)

    return decorate
