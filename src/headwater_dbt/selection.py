"""Selecting dbt assets with dbt's syntax, and finding the asset keys of dbt nodes.

- `DbtManifestAssetSelection`: an `AssetSelection` written in dbt's selection syntax, resolved
  against the manifest (its models, seeds, snapshots, and the checks of its tests);
- `build_dbt_asset_selection` / `build_schedule_from_dbt_selection`: the same, from
  `@dbt_assets` definitions, and a schedule of a job over it;
- `get_asset_key_for_model`, `get_asset_key_for_source`,
  `get_asset_keys_by_output_name_for_source`: so that Python assets can depend on dbt nodes
  by their dbt name.

Imports headwater's public names, `AssetSelection`'s resolution hooks, and this package's
`asset_decorator`, `manifest`, `node_selection` and `translator`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from headwater import (
    AssetCheckKey,
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    DefaultScheduleStatus,
    ScheduleDefinition,
    define_asset_job,
)
from headwater_dbt.asset_decorator import DbtAssetsInfo, dbt_info
from headwater_dbt.errors import HeadwaterDbtError
from headwater_dbt.manifest import ASSET_RESOURCE_TYPES, attached_node, load_manifest, node
from headwater_dbt.node_selection import select_unique_ids
from headwater_dbt.translator import HeadwaterDbtTranslator


class DbtManifestAssetSelection(AssetSelection):
    """The assets (and asset checks) of the dbt nodes a dbt selection picks in a manifest."""

    __slots__ = ("manifest", "select", "exclude", "selector", "headwater_dbt_translator",
                 "project", "_keys", "_checks")

    def __init__(self, manifest: Any, select: str = "fqn:*", exclude: str | None = None,
                 selector: str | None = None,
                 headwater_dbt_translator: HeadwaterDbtTranslator | None = None,
                 project: Any = None):
        self.manifest = load_manifest(manifest)
        self.select = select
        self.exclude = exclude
        self.selector = selector
        self.headwater_dbt_translator = headwater_dbt_translator or HeadwaterDbtTranslator()
        self.project = project
        self._keys, self._checks = self._evaluate()

    @classmethod
    def build(cls, manifest: Any, select: str = "fqn:*", exclude: str | None = None,
              selector: str | None = None,
              headwater_dbt_translator: HeadwaterDbtTranslator | None = None,
              project: Any = None) -> DbtManifestAssetSelection:
        return cls(manifest, select, exclude, selector, headwater_dbt_translator, project)

    def __repr__(self) -> str:
        return (f"DbtManifestAssetSelection(select={self.select!r}, exclude={self.exclude!r}, "
                f"selector={self.selector!r})")

    def _evaluate(self) -> tuple[frozenset[AssetKey], frozenset[AssetCheckKey]]:
        translator = self.headwater_dbt_translator
        chosen = select_unique_ids(self.manifest, self.select, self.exclude, self.selector)
        keys, checks = set(), set()
        for uid in chosen:
            props = node(self.manifest, uid)
            kind = props.get("resource_type")
            if kind in ASSET_RESOURCE_TYPES:
                keys.add(translator.get_asset_key(props))
            elif kind == "test" and translator.settings.enable_asset_checks:
                tested = attached_node(self.manifest, props)
                if tested is not None and not tested.startswith("source."):
                    tested_key = translator.get_asset_key(node(self.manifest, tested))
                    checks.add(AssetCheckKey(tested_key, props["name"]))
        return frozenset(keys), frozenset(checks)

    # the hooks AssetSelection resolves through
    def _select(self, ctx: Any) -> set[AssetKey]:
        return {k for k in self._keys if k in ctx.graph.all_keys}

    def _select_checks(self, ctx: Any) -> set[AssetCheckKey]:
        known = set(ctx.graph.check_keys())
        return {k for k in self._checks if k in known}

    def _to_str(self) -> str:
        keys = sorted(k.to_user_string() for k in self._keys)
        return " or ".join(f'key:"{k}"' for k in keys) or "not *"


def _infos(dbt_assets: Sequence[AssetsDefinition], caller: str) -> list[tuple[Any, DbtAssetsInfo]]:
    if isinstance(dbt_assets, AssetsDefinition):
        dbt_assets = [dbt_assets]
    found = []
    for assets_def in dbt_assets:
        info = dbt_info(assets_def)
        if info is None:
            raise HeadwaterDbtError(
                f"{caller}: {assets_def!r} was not made by @dbt_assets. Pass the functions "
                "decorated with @dbt_assets, e.g. [my_dbt_assets].")
        found.append((assets_def, info))
    if not found:
        raise HeadwaterDbtError(f"{caller}: pass at least one @dbt_assets definition.")
    return found


def build_dbt_asset_selection(dbt_assets: Sequence[AssetsDefinition], dbt_select: str = "fqn:*",
                              dbt_exclude: str | None = None,
                              dbt_selector: str | None = None) -> AssetSelection:
    """The assets of `dbt_assets` that a dbt selection picks (with their dbt test checks)."""
    selection: AssetSelection | None = None
    for assets_def, info in _infos(dbt_assets, "build_dbt_asset_selection"):
        part = DbtManifestAssetSelection(
            info.manifest, dbt_select, dbt_exclude, dbt_selector, info.translator, info.project)
        part_in_def = part & AssetSelection.assets(assets_def)
        selection = part_in_def if selection is None else selection | part_in_def
    assert selection is not None
    return selection


def build_schedule_from_dbt_selection(
    dbt_assets: Sequence[AssetsDefinition],
    job_name: str,
    cron_schedule: str,
    dbt_select: str = "fqn:*",
    dbt_exclude: str | None = None,
    dbt_selector: str | None = None,
    schedule_name: str | None = None,
    tags: Mapping[str, str] | None = None,
    config: Any = None,
    execution_timezone: str | None = None,
    default_status: DefaultScheduleStatus = DefaultScheduleStatus.STOPPED,
) -> ScheduleDefinition:
    """A schedule that materializes, on `cron_schedule`, the dbt assets a dbt selection picks."""
    job = define_asset_job(
        name=job_name,
        selection=build_dbt_asset_selection(dbt_assets, dbt_select, dbt_exclude, dbt_selector),
        config=config, tags=tags)
    return ScheduleDefinition(name=schedule_name, cron_schedule=cron_schedule, job=job,
                              execution_timezone=execution_timezone,
                              default_status=default_status)


def get_asset_key_for_model(dbt_assets: Sequence[AssetsDefinition], model_name: str) -> AssetKey:
    """The asset key of dbt model `model_name` among the assets of `dbt_assets`."""
    names = []
    for assets_def, info in _infos(dbt_assets, "get_asset_key_for_model"):
        for key, uid in info.unique_id_by_key.items():
            props = node(info.manifest, uid)
            if props.get("resource_type") == "model":
                names.append(props["name"])
                if props["name"] == model_name and key in assets_def.keys:
                    return key
    raise HeadwaterDbtError(
        f"get_asset_key_for_model: no dbt model named '{model_name}' among the given dbt "
        f"assets (models: {', '.join(sorted(set(names))[:20]) or 'none'}). Check the name and "
        "the select=/exclude= of the @dbt_assets.")


def get_asset_keys_by_output_name_for_source(dbt_assets: Sequence[AssetsDefinition],
                                             source_name: str) -> dict[str, AssetKey]:
    """{table name: asset key} of the tables of dbt source `source_name`."""
    found: dict[str, AssetKey] = {}
    known = set()
    for _assets_def, info in _infos(dbt_assets, "get_asset_keys_by_output_name_for_source"):
        for props in info.manifest.get("sources", {}).values():
            known.add(props["source_name"])
            if props["source_name"] == source_name:
                found[props["name"]] = info.translator.get_asset_key(props)
    if not found:
        raise HeadwaterDbtError(
            f"dbt source '{source_name}' is not in the project (sources: "
            f"{', '.join(sorted(known)) or 'none'}).")
    return found


def get_asset_key_for_source(dbt_assets: Sequence[AssetsDefinition], source_name: str
                             ) -> AssetKey:
    """The asset key of dbt source `source_name`, which must have exactly one table."""
    by_table = get_asset_keys_by_output_name_for_source(dbt_assets, source_name)
    if len(by_table) > 1:
        raise HeadwaterDbtError(
            f"dbt source '{source_name}' has {len(by_table)} tables "
            f"({', '.join(sorted(by_table))}), so it has no single asset key. Use "
            "get_asset_keys_by_output_name_for_source(...)[table_name].")
    return next(iter(by_table.values()))
