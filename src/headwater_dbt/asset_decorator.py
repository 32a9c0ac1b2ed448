"""@dbt_assets: one multi-asset for the models, seeds and snapshots of a dbt selection.

The decorator reads the manifest once, evaluates the selection (see `node_selection`), asks
the translator for an AssetSpec per node and an AssetCheckSpec per data test, and builds a
subsettable `@multi_asset` around the user's function. What the resource needs at run time
to turn dbt's events back into assets (the manifest, the translator, the selection and the
unique id of each asset) is kept in a `DbtAssetsInfo` registered against the op, so that
`DbtCliResource.cli(..., context=context)` finds it from the context alone.

Imports headwater's public names and this package's `manifest`, `node_selection` and
`translator`.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from headwater import (
    AssetCheckKey,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    TimeWindowPartitionsDefinition,
    multi_asset,
)
from headwater_dbt.errors import HeadwaterDbtError
from headwater_dbt.manifest import ASSET_RESOURCE_TYPES, attached_node, load_manifest
from headwater_dbt.node_selection import select_unique_ids
from headwater_dbt.translator import HeadwaterDbtTranslator

#: op tags that record the selection a `@dbt_assets` was built from (as dagster-dbt's do)
SELECT_TAG = "headwater_dbt/select"
EXCLUDE_TAG = "headwater_dbt/exclude"
SELECTOR_TAG = "headwater_dbt/selector"


@dataclass
class DbtAssetsInfo:
    """What a `@dbt_assets` definition knows of its dbt project."""

    manifest: dict[str, Any]
    translator: HeadwaterDbtTranslator
    select: str
    exclude: str | None
    selector: str | None
    project: Any
    unique_id_by_key: dict[AssetKey, str] = field(default_factory=dict)
    check_by_test_id: dict[str, AssetCheckKey] = field(default_factory=dict)


_INFO: weakref.WeakKeyDictionary[Any, DbtAssetsInfo] = weakref.WeakKeyDictionary()


def dbt_info(assets_def_or_op: Any) -> DbtAssetsInfo | None:
    """The dbt information of a `@dbt_assets` definition (or its op), if it is one."""
    op = getattr(assets_def_or_op, "node_def", assets_def_or_op)
    try:
        return _INFO.get(op)
    except TypeError:
        return None


def dbt_assets(
    *,
    manifest: Any,
    select: str = "fqn:*",
    exclude: str | None = None,
    selector: str | None = None,
    name: str | None = None,
    io_manager_key: str | None = None,
    partitions_def: Any = None,
    headwater_dbt_translator: HeadwaterDbtTranslator | None = None,
    backfill_policy: Any = None,
    op_tags: Mapping[str, Any] | None = None,
    required_resource_keys: Sequence[str] | None = None,
    project: Any = None,
    retry_policy: Any = None,
    pool: str | None = None,
) -> Callable[[Callable[..., Any]], AssetsDefinition]:
    """Declare the models, seeds and snapshots of a dbt project (or of `select`/`exclude`/
    `selector` within it) as assets computed by the decorated function, which usually runs
    `yield from dbt.cli(["build"], context=context).stream()`."""
    translator = headwater_dbt_translator or HeadwaterDbtTranslator()
    if not isinstance(translator, HeadwaterDbtTranslator):
        raise HeadwaterDbtError(
            f"@dbt_assets(headwater_dbt_translator={translator!r}): expected an instance of "
            "HeadwaterDbtTranslator (or a subclass), e.g. MyTranslator(), not the class.")
    for tag in (SELECT_TAG, EXCLUDE_TAG, SELECTOR_TAG):
        if tag in (op_tags or {}):
            raise HeadwaterDbtError(
                f"@dbt_assets(op_tags={{'{tag}': ...}}): headwater_dbt sets that tag itself; "
                "pass the selection as select=, exclude= or selector= instead.")
    data = load_manifest(manifest)
    if project is None and getattr(manifest, "manifest_path", None) is not None:
        project = manifest
    info = DbtAssetsInfo(data, translator, select, exclude, selector, project)
    specs, check_specs = _specs(info, io_manager_key)
    if not specs:
        raise HeadwaterDbtError(
            f"@dbt_assets(select={select!r}, exclude={exclude!r}, selector={selector!r}) "
            "selects no model, seed or snapshot of the dbt project. Check the selection "
            "(e.g. with `dbt ls --select ...`) or parse the project again.")
    if backfill_policy is None and isinstance(partitions_def, TimeWindowPartitionsDefinition):
        # one dbt command over the whole range (--vars from context.partition_time_window)
        backfill_policy = BackfillPolicy.single_run()
    tags = {**(op_tags or {}), SELECT_TAG: select}
    if exclude:
        tags[EXCLUDE_TAG] = exclude
    if selector:
        tags[SELECTOR_TAG] = selector

    def decorate(fn: Callable[..., Any]) -> AssetsDefinition:
        assets_def = multi_asset(
            specs=specs, check_specs=check_specs, name=name or fn.__name__, can_subset=True,
            partitions_def=partitions_def, backfill_policy=backfill_policy, op_tags=tags,
            required_resource_keys=required_resource_keys, retry_policy=retry_policy,
            pool=pool,
        )(fn)
        _INFO[assets_def.node_def] = info
        return assets_def

    return decorate


def build_dbt_asset_specs(
    *,
    manifest: Any,
    headwater_dbt_translator: HeadwaterDbtTranslator | None = None,
    select: str = "fqn:*",
    exclude: str | None = None,
    selector: str | None = None,
    project: Any = None,
) -> list[Any]:
    """The AssetSpecs of the selected dbt nodes, without anything that runs them: for dbt
    projects run elsewhere, whose tables headwater assets depend on."""
    translator = headwater_dbt_translator or HeadwaterDbtTranslator()
    info = DbtAssetsInfo(load_manifest(manifest), translator, select, exclude, selector, project)
    specs, _checks = _specs(info, None)
    return specs


def _specs(info: DbtAssetsInfo, io_manager_key: str | None) -> tuple[list[Any], list[Any]]:
    chosen = select_unique_ids(info.manifest, info.select, info.exclude, info.selector)
    specs: list[Any] = []
    seen: dict[AssetKey, str] = {}
    for uid, props in info.manifest.get("nodes", {}).items():
        if uid not in chosen or props.get("resource_type") not in ASSET_RESOURCE_TYPES:
            continue
        spec = info.translator.get_asset_spec(info.manifest, uid, info.project)
        if spec.key in seen:
            raise HeadwaterDbtError(
                f"dbt nodes '{seen[spec.key]}' and '{uid}' both map to asset key "
                f"{spec.key.to_user_string()!r}. Give one of them another key with "
                "meta: {headwater: {asset_key: [...]}} or override get_asset_key.")
        seen[spec.key] = uid
        info.unique_id_by_key[spec.key] = uid
        specs.append(spec.with_io_manager_key(io_manager_key) if io_manager_key else spec)
    _check_sources(info)
    spec_by_uid = {uid: s for s, uid in zip(specs, info.unique_id_by_key.values(), strict=True)}
    check_specs = []
    for uid, props in info.manifest.get("nodes", {}).items():
        if uid not in chosen or props.get("resource_type") != "test":
            continue
        tested = attached_node(info.manifest, props)
        tested_spec = spec_by_uid.get(tested) if tested is not None else None
        if tested_spec is None:
            continue
        check = info.translator.get_asset_check_spec(tested_spec, info.manifest, uid,
                                                     info.project)
        if check is not None:
            check_specs.append(check)
            info.check_by_test_id[uid] = check.key
    return specs, check_specs


def _check_sources(info: DbtAssetsInfo) -> None:
    """Two sources on one asset key are refused unless the settings allow it."""
    if info.translator.settings.enable_duplicate_source_asset_keys:
        return
    seen: dict[AssetKey, str] = {}
    for uid, props in info.manifest.get("sources", {}).items():
        key = info.translator.get_asset_key(props)
        if key in seen:
            raise HeadwaterDbtError(
                f"dbt sources '{seen[key]}' and '{uid}' both map to asset key "
                f"{key.to_user_string()!r}. Give them distinct keys, or allow it with "
                "HeadwaterDbtTranslatorSettings(enable_duplicate_source_asset_keys=True).")
        seen[key] = uid
