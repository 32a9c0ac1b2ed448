"""HeadwaterDbtTranslator: how a dbt node becomes an asset spec, in overridable steps.

Each `get_*` method receives the node's properties from the manifest (`dbt_resource_props`,
the dict dbt wrote) and returns one attribute of the asset; `get_asset_spec` puts them
together. Subclass and override one method to change one thing. The defaults read
`meta: {headwater: {...}}` (in the node's properties or its `config:`):

    asset_key: [a, b]     the asset key (sources and models alike)
    group: name           the asset group
    owners: [...]         owners (emails or `team:name`)
    tags: {k: v}          extra asset tags (dbt's own tags become keys with empty values)
    code_version: str     the code version (default: dbt's checksum of the node's code)

Imports headwater's public names, one metadata key of `headwater.definitions.tags`, and this
package's `manifest` and `errors`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from headwater import (
    AssetCheckSpec,
    AssetDep,
    AssetKey,
    AssetSpec,
    TableColumn,
    TableSchema,
)
from headwater.definitions.tags import EXTERNAL_DEP_METADATA
from headwater_dbt.errors import HeadwaterDbtError
from headwater_dbt.manifest import attached_node, children_map, headwater_meta, node, parents

_TAG_KEY = re.compile(r"^[A-Za-z0-9_.\-/]{1,63}$")


class _either:
    """A method that works called on an instance or on the class: translators written for
    older dagster-dbt override `get_*` as classmethods and call `super().get_*(props)`."""

    def __init__(self, fn: Any):
        self.fn = fn
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        return self.fn.__get__(obj if obj is not None else owner, owner)


@dataclass(frozen=True)
class HeadwaterDbtTranslatorSettings:
    """Switches for what a dbt project brings into headwater.

    enable_asset_checks: dbt data tests become asset checks of the asset they test (default on).
    enable_duplicate_source_asset_keys: allow several dbt sources to share one asset key.
    enable_code_references: record each model's file as a code reference in its metadata.
    enable_dbt_selection_by_name: select subsets by node name rather than by fqn.
    enable_source_tests_as_checks: not supported; raises when set (see docs).
    """

    enable_asset_checks: bool = True
    enable_duplicate_source_asset_keys: bool = False
    enable_code_references: bool = False
    enable_dbt_selection_by_name: bool = False
    enable_source_tests_as_checks: bool = False


class HeadwaterDbtTranslator:
    """Turns dbt nodes into headwater asset specs; subclass it to customise any part."""

    def __init__(self, settings: HeadwaterDbtTranslatorSettings | None = None):
        self._settings = settings or HeadwaterDbtTranslatorSettings()
        if self._settings.enable_source_tests_as_checks:
            raise HeadwaterDbtError(
                "HeadwaterDbtTranslatorSettings(enable_source_tests_as_checks=True) is not "
                "supported: tests on dbt sources still run in `dbt build` and are recorded as "
                "asset observations of the source. Drop the setting.")

    @property
    def settings(self) -> HeadwaterDbtTranslatorSettings:
        return getattr(self, "_settings", None) or HeadwaterDbtTranslatorSettings()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(settings={self.settings!r})"

    # --- one attribute each -------------------------------------------------------------------
    @_either
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        configured = headwater_meta(dbt_resource_props).get("asset_key")
        if configured:
            return AssetKey(configured)
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        name = dbt_resource_props["name"]
        version = dbt_resource_props.get("version")
        return AssetKey([f"{name}_v{version}" if version is not None else name])

    @_either
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        group = headwater_meta(dbt_resource_props).get("group")
        if group:
            return str(group)
        dbt_group = dbt_resource_props.get("group") or \
            (dbt_resource_props.get("config") or {}).get("group")
        return str(dbt_group) if dbt_group else None

    @_either
    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        description = (dbt_resource_props.get("description") or "").strip()
        if description:
            return description
        code = (dbt_resource_props.get("raw_code") or dbt_resource_props.get("raw_sql") or "")
        kind = dbt_resource_props.get("resource_type", "node")
        header = f"dbt {kind} {dbt_resource_props.get('name')}"
        if not code.strip():
            return header
        language = dbt_resource_props.get("language") or "sql"
        return f"{header}\n\n```{language}\n{code.strip()}\n```"

    @_either
    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        metadata: dict[str, Any] = {}
        columns = column_schema(dbt_resource_props)
        if columns is not None:
            metadata["headwater/column_schema"] = columns
        relation = relation_identifier(dbt_resource_props)
        if relation:
            metadata["headwater/relation_identifier"] = relation
        materialized = (dbt_resource_props.get("config") or {}).get("materialized")
        if materialized:
            metadata["headwater/materialization_type"] = str(materialized)
        return metadata

    @_either
    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        tags = {str(t): "" for t in dbt_resource_props.get("tags") or () if _TAG_KEY.match(str(t))}
        tags.update({str(k): str(v) for k, v in
                     (headwater_meta(dbt_resource_props).get("tags") or {}).items()})
        return tags

    @_either
    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        owners = headwater_meta(dbt_resource_props).get("owners")
        return [str(o) for o in owners] if owners else None

    @_either
    def get_code_version(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        configured = headwater_meta(dbt_resource_props).get("code_version")
        if configured:
            return str(configured)
        checksum = (dbt_resource_props.get("checksum") or {}).get("checksum")
        return str(checksum) if checksum else None

    @_either
    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> Any:
        return None

    @_either
    def get_partition_mapping(self, dbt_resource_props: Mapping[str, Any],
                              dbt_parent_resource_props: Mapping[str, Any]) -> Any:
        return None

    @_either
    def get_kinds(self, dbt_resource_props: Mapping[str, Any], adapter_type: str | None
                  ) -> set[str]:
        return {"dbt", adapter_type} if adapter_type else {"dbt"}

    # --- the whole spec -----------------------------------------------------------------------
    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str,
                       project: Any = None) -> AssetSpec:
        """The asset spec of node `unique_id`: its key, its upstream assets (with partition
        mappings) and every attribute from the `get_*` methods above."""
        props = node(manifest, unique_id)
        deps = []
        for parent_id in parents(manifest, unique_id):
            if parent_id.split(".")[0] not in ("model", "seed", "snapshot", "source"):
                continue
            parent = node(manifest, parent_id)
            # a source is defined outside headwater on purpose, not a misspelt asset
            external = {EXTERNAL_DEP_METADATA: True} if parent_id.startswith("source.") else {}
            deps.append(AssetDep(self.get_asset_key(parent), metadata=external,
                                 partition_mapping=self.get_partition_mapping(props, parent)))
        adapter = (manifest.get("metadata") or {}).get("adapter_type")
        metadata = dict(self.get_metadata(props))
        if self.settings.enable_code_references and project is not None:
            path = getattr(project, "project_dir", None)
            if path is not None and props.get("original_file_path"):
                from headwater import CodeReferencesMetadataValue, LocalFileCodeReference
                metadata["headwater/code_references"] = CodeReferencesMetadataValue([
                    LocalFileCodeReference(file_path=str(path / props["original_file_path"]))])
        return AssetSpec(
            key=self.get_asset_key(props), deps=deps, description=self.get_description(props),
            metadata=metadata, group_name=self.get_group_name(props),
            code_version=self.get_code_version(props), owners=self.get_owners(props),
            tags=self.get_tags(props), kinds=self.get_kinds(props, adapter),
            automation_condition=self.get_automation_condition(props), skippable=True,
        )

    def get_asset_check_spec(self, asset_spec: AssetSpec, manifest: Mapping[str, Any],
                             unique_id: str, project: Any = None) -> AssetCheckSpec | None:
        """The asset check of data test `unique_id` on the asset `asset_spec`, or None when
        the test is not a check (checks turned off, or the test tests no single node)."""
        if not self.settings.enable_asset_checks:
            return None
        test = node(manifest, unique_id)
        tested = attached_node(manifest, test)
        if tested is None or tested.startswith("source."):
            return None
        others = [self.get_asset_key(node(manifest, p)) for p in parents(manifest, unique_id)
                  if p != tested and p.split(".")[0] in ("model", "seed", "snapshot", "source")]
        severity = str((test.get("config") or {}).get("severity") or "ERROR").upper()
        return AssetCheckSpec(
            name=test["name"], asset=asset_spec.key, additional_deps=others,
            description=(test.get("description") or None),
            blocking=severity == "ERROR" and not _reads_downstream(manifest, tested, unique_id),
        )


def _reads_downstream(manifest: Mapping[str, Any], tested: str, test_id: str) -> bool:
    """Whether a test also reads a node built after the one it tests (a `relationships` test
    from orders to customers, say): such a check cannot block, or it would wait on itself."""
    others = {p for p in parents(manifest, test_id) if p != tested}
    if not others:
        return False
    below, frontier = set(), [tested]
    child_map = manifest.get("child_map") or children_map(manifest)
    while frontier:
        for child in child_map.get(frontier.pop(), ()):
            if child not in below and not child.startswith("test."):
                below.add(child)
                frontier.append(child)
    return bool(others & below)


def column_schema(props: Mapping[str, Any]) -> TableSchema | None:
    """The columns dbt knows of (those documented in its YAML), as a TableSchema."""
    columns = props.get("columns") or {}
    if not columns:
        return None
    return TableSchema(columns=[
        TableColumn(name=str(c.get("name") or name), type=str(c.get("data_type") or "unknown"),
                    description=(c.get("description") or None))
        for name, c in columns.items()])


def relation_identifier(props: Mapping[str, Any]) -> str | None:
    """database.schema.table of a node's relation, as dbt names it."""
    if props.get("resource_type") == "source":
        name = props.get("identifier") or props.get("name")
    else:
        name = props.get("alias") or props.get("name")
    parts = [props.get("database"), props.get("schema"), name]
    return ".".join(str(p) for p in parts if p) or None


def default_metadata_from_dbt_resource_props(dbt_resource_props: Mapping[str, Any]
                                             ) -> Mapping[str, Any]:
    """The metadata HeadwaterDbtTranslator gives a node by default."""
    return HeadwaterDbtTranslator().get_metadata(dbt_resource_props)


def default_group_from_dbt_resource_props(dbt_resource_props: Mapping[str, Any]) -> str | None:
    """The group HeadwaterDbtTranslator gives a node by default."""
    return HeadwaterDbtTranslator().get_group_name(dbt_resource_props)


def group_from_dbt_resource_props_fallback_to_directory(dbt_resource_props: Mapping[str, Any]
                                                        ) -> str | None:
    """The node's group, or else the folder its file is in (None at the top of the project)."""
    group = default_group_from_dbt_resource_props(dbt_resource_props)
    if group:
        return group
    fqn = dbt_resource_props.get("fqn") or []
    return str(fqn[-2]) if len(fqn) > 2 else None
