"""Software-defined assets: AssetSpec, AssetIn, AssetOut, AssetDep, AssetsDefinition,
@asset, @multi_asset, @graph_asset, SourceAsset and external assets.

An asset is a key plus the node (op or graph) that computes it. The decorators build
the op once and wrap it in one AssetsDefinition. Imports `key`, `op`, `graph`,
`composition`, `output`, `policy`, `types` and `errors` of this layer.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from headwater.definitions.config.resource import as_resource_definition
from headwater.definitions.config.schema import process_config
from headwater.definitions.key import (
    AssetKey,
    check_key_parts,
    prefix_path,
    to_asset_key,
)
from headwater.definitions.metadata.types import resolve_headwater_type
from headwater.definitions.metadata.value import normalize_metadata
from headwater.definitions.ops.graph import GraphDefinition, build_graph
from headwater.definitions.ops.op import (
    In,
    OpDefinition,
    Out,
    OutputDefinition,
    build_input_defs,
    inspect_signature,
    output_def,
)
from headwater.definitions.ops.output import DEFAULT_OUTPUT, NO_VALUE
from headwater.definitions.ops.policy import RetryPolicy
from headwater.definitions.tags import COMPUTE_KIND_TAG
from headwater.errors import (
    HeadwaterInvalidConfigError,
    HeadwaterInvalidDefinitionError,
    HeadwaterInvalidInvocationError,
    HeadwaterInvariantViolationError,
)

DEFAULT_GROUP = "default"


@dataclass(frozen=True, slots=True)
class AssetDep:
    """A dependency on an asset that is not passed as a value (ordering and lineage)."""

    asset: Any
    partition_mapping: Any = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.asset, AssetsDefinition) and len(self.asset.keys) > 1:
            keys = sorted(k.to_user_string() for k in self.asset.keys)
            raise HeadwaterInvalidDefinitionError(
                f"Cannot create an AssetDep from a multi_asset AssetsDefinition (keys {keys}): "
                "pass the key of the one asset you depend on, e.g. AssetDep(AssetKey(...))."
            )

    @property
    def asset_key(self) -> AssetKey:
        return to_asset_key(self.asset)


def to_asset_dep(value: Any) -> AssetDep:
    if isinstance(value, AssetDep):
        return AssetDep(value.asset_key, value.partition_mapping, value.metadata)
    if isinstance(value, AssetsDefinition):
        if len(value.keys) != 1:
            raise HeadwaterInvalidDefinitionError(
                f"deps=[...] got a multi-asset with keys {sorted(k.to_user_string() for k in value.keys)}; "
                "name the key you depend on instead."
            )
        return AssetDep(value.key)
    return AssetDep(to_asset_key(value))


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetSpec:
    """The description of one asset, without how it is computed."""

    key: AssetKey
    deps: tuple[AssetDep, ...] = ()
    description: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    skippable: bool = False
    group_name: str | None = None
    code_version: str | None = None
    automation_condition: Any = None
    owners: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    kinds: frozenset[str] = frozenset()
    partitions_def: Any = None
    legacy_freshness_policy: Any = None

    def __init__(
        self,
        key: Any,
        *,
        deps: Iterable[Any] | None = None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        skippable: bool = False,
        group_name: str | None = None,
        code_version: str | None = None,
        automation_condition: Any = None,
        owners: Sequence[str] | None = None,
        tags: Mapping[str, str] | None = None,
        kinds: Iterable[str] | None = None,
        partitions_def: Any = None,
        legacy_freshness_policy: Any = None,
    ):
        key = to_asset_key(key)
        problem = check_key_parts(key)
        if problem:
            raise HeadwaterInvalidDefinitionError(f"AssetSpec: {problem}.")
        unique: list[AssetDep] = []
        seen: set[AssetKey] = set()
        for dep in (to_asset_dep(d) for d in (deps or ())):
            if dep.asset_key in seen:
                if dep in unique:
                    continue  # the same dependency listed twice is harmless
                raise HeadwaterInvariantViolationError(
                    f"Cannot set a dependency on asset {dep.asset_key} more than once per "
                    f"asset: AssetSpec '{key.to_user_string()}' lists it twice in deps with "
                    "different partition_mapping or metadata. Keep one AssetDep for it."
                )
            seen.add(dep.asset_key)
            unique.append(dep)
        dep_list = tuple(unique)
        if group_name is not None:
            _check_group_name(group_name)
        if tags:
            check_asset_tags(tags, f"asset '{key.to_user_string()}'")
        kinds = frozenset(kinds or ())
        if len(kinds) > 3:
            raise HeadwaterInvalidDefinitionError(
                f"asset '{key.to_user_string()}' has {len(kinds)} kinds; at most 3 are allowed."
            )
        for attr, value in (
            ("key", key), ("deps", dep_list), ("description", description),
            ("metadata", dict(metadata or {})), ("skippable", skippable),
            ("group_name", group_name), ("code_version", code_version),
            ("automation_condition", automation_condition), ("owners", tuple(owners or ())),
            ("tags", dict(tags or {})), ("kinds", kinds), ("partitions_def", partitions_def),
            ("legacy_freshness_policy", legacy_freshness_policy),
        ):
            object.__setattr__(self, attr, value)

    def __hash__(self) -> int:
        return hash(self.key)

    def replace_attributes(self, **changes: Any) -> AssetSpec:
        values = {f: getattr(self, f) for f in _SPEC_FIELDS}
        values.update(changes)
        return AssetSpec(**values)

    def merge_attributes(
        self,
        *,
        deps: Iterable[Any] = (),
        metadata: Mapping[str, Any] | None = None,
        owners: Sequence[str] = (),
        tags: Mapping[str, str] | None = None,
        kinds: Iterable[str] = (),
    ) -> AssetSpec:
        return self.replace_attributes(
            deps=[*self.deps, *deps],
            metadata={**self.metadata, **(metadata or {})},
            owners=[*self.owners, *(o for o in owners if o not in self.owners)],
            tags={**self.tags, **(tags or {})},
            kinds={*self.kinds, *kinds},
        )

    def _as_graph_input(self) -> AssetsDefinition:
        """Passed to an op inside a graph body: loaded as an external asset."""
        return external_asset_from_spec(self)

    def with_io_manager_key(self, io_manager_key: str) -> AssetSpec:
        return self.merge_attributes(metadata={"headwater/io_manager_key": io_manager_key})


_SPEC_FIELDS = (
    "key", "deps", "description", "metadata", "skippable", "group_name", "code_version",
    "automation_condition", "owners", "tags", "kinds", "partitions_def", "legacy_freshness_policy",
)


_TAG_PART = re.compile(r"^[A-Za-z0-9_.\-]{1,63}$")


def check_asset_tags(tags: Mapping[str, Any], owner: str) -> None:
    """Asset tags are short identifiers (they become filters in the UI and selections)."""
    bad_keys = [k for k in tags if not (
        all(_TAG_PART.match(p) for p in k.split("/", 1))
        or k.startswith("headwater/kind/"))]
    if bad_keys:
        raise HeadwaterInvalidDefinitionError(
            f"Found invalid tag keys: {bad_keys} on {owner}. Allowed characters: alpha-numeric, "
            "'_', '-', '.'. Tag keys can also contain a namespace section, separated by a '/'. "
            "Each section must have <= 63 characters."
        )
    for key, value in tags.items():
        if not isinstance(value, str):
            raise HeadwaterInvalidDefinitionError(
                f"Tag values must be strings, got type {type(value)} at key {key} on {owner}. "
                f"Use str(...) or put the value in metadata= instead."
            )
        if value and not _TAG_PART.match(value):
            raise HeadwaterInvalidDefinitionError(
                f"Invalid tag value: {value}, for key: {key} on {owner}. Allowed characters: "
                "alpha-numeric, '_', '-', '.'. Must have <= 63 characters; put longer text in "
                "metadata= instead."
            )


def _check_group_name(name: str) -> None:
    if not name or not all(c.isalnum() or c in "_-" for c in name):
        raise HeadwaterInvalidDefinitionError(
            f"group_name {name!r} is invalid: use letters, digits, '_' and '-'."
        )


class AssetIn:
    """How an asset takes an upstream asset as an input: its key, type, partition mapping."""

    __slots__ = ("key", "metadata", "key_prefix", "input_manager_key", "partition_mapping",
                 "headwater_type")

    def __init__(
        self,
        key: Any = None,
        metadata: Mapping[str, Any] | None = None,
        key_prefix: Any = None,
        input_manager_key: str | None = None,
        partition_mapping: Any = None,
        headwater_type: Any = NO_VALUE,
    ):
        if key is not None and key_prefix is not None:
            raise HeadwaterInvalidDefinitionError(
                "AssetIn takes key= or key_prefix=, not both: key_prefix only applies when the "
                "key comes from the parameter name."
            )
        self.key = to_asset_key(key) if key is not None else None
        self.metadata = dict(metadata or {})
        self.key_prefix = prefix_path(key_prefix) if key_prefix is not None else None
        self.input_manager_key = input_manager_key
        self.partition_mapping = partition_mapping
        self.headwater_type = headwater_type

    def __repr__(self) -> str:
        return f"AssetIn(key={self.key!r})"


class AssetOut:
    """One output of a multi-asset, and the asset it materializes."""

    __slots__ = ("key", "key_prefix", "headwater_type", "description", "is_required",
                 "io_manager_key", "metadata", "group_name", "code_version", "owners", "tags",
                 "kinds", "automation_condition", "backfill_policy")

    def __init__(
        self,
        key_prefix: Any = None,
        key: Any = None,
        headwater_type: Any = NO_VALUE,
        description: str | None = None,
        is_required: bool = True,
        io_manager_key: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        group_name: str | None = None,
        code_version: str | None = None,
        automation_condition: Any = None,
        backfill_policy: Any = None,
        owners: Sequence[str] | None = None,
        tags: Mapping[str, str] | None = None,
        kinds: Iterable[str] | None = None,
    ):
        if key is not None and key_prefix is not None:
            raise HeadwaterInvalidDefinitionError("AssetOut takes key= or key_prefix=, not both.")
        self.key = to_asset_key(key) if key is not None else None
        self.key_prefix = prefix_path(key_prefix) if key_prefix is not None else None
        self.headwater_type = headwater_type
        self.description = description
        self.is_required = is_required
        self.io_manager_key = io_manager_key
        self.metadata = dict(metadata or {})
        self.group_name = group_name
        self.code_version = code_version
        self.owners = tuple(owners or ())
        self.tags = dict(tags or {})
        self.kinds = frozenset(kinds or ())
        self.automation_condition = automation_condition
        self.backfill_policy = backfill_policy

    @staticmethod
    def from_spec(spec: AssetSpec, headwater_type: Any = NO_VALUE, is_required: bool = True,
                  io_manager_key: str | None = None) -> AssetOut:
        return AssetOut(key=spec.key, headwater_type=headwater_type, description=spec.description,
                        is_required=is_required, io_manager_key=io_manager_key,
                        metadata=spec.metadata, group_name=spec.group_name,
                        code_version=spec.code_version, owners=spec.owners, tags=spec.tags,
                        kinds=spec.kinds)


class AssetsDefinition:
    """One or more assets and the op or graph that computes them.

    External assets (from AssetSpec or SourceAsset) have no node: they are known to the
    graph but not materialized by headwater.
    """

    def __init__(
        self,
        *,
        keys_by_input_name: Mapping[str, AssetKey] | None = None,
        keys_by_output_name: Mapping[str, AssetKey] | None = None,
        node_def: OpDefinition | GraphDefinition | None = None,
        specs: Sequence[AssetSpec] | None = None,
        can_subset: bool = False,
        selected_asset_keys: Iterable[AssetKey] | None = None,
        resource_defs: Mapping[str, Any] | None = None,
        partitions_def: Any = None,
        backfill_policy: Any = None,
        execution_type: str = "MATERIALIZATION",
        check_specs: Sequence[Any] | None = None,
        io_manager_keys: Mapping[AssetKey, str] | None = None,
        partition_mappings: Mapping[AssetKey, Any] | None = None,
        source_asset: Any = None,
    ):
        self.node_def = node_def
        self.keys_by_input_name = dict(keys_by_input_name or {})
        self.keys_by_output_name = dict(keys_by_output_name or {})
        self.specs_by_key = {s.key: s for s in (specs or ())}
        for key in self.keys_by_output_name.values():
            if key not in self.specs_by_key:
                self.specs_by_key[key] = AssetSpec(key)
        self.can_subset = can_subset
        all_keys = frozenset(self.specs_by_key)
        self._selected = frozenset(selected_asset_keys) if selected_asset_keys is not None else all_keys
        by_id = {id(v): k for k, v in (resource_defs or {}).items()}
        self.resource_defs = {k: as_resource_definition(v, by_id)
                              for k, v in (resource_defs or {}).items()}
        self.partitions_def = partitions_def
        self.backfill_policy = backfill_policy
        self.execution_type = execution_type
        self.check_specs = list(check_specs or ())
        self.io_manager_keys = dict(io_manager_keys or {})
        self.partition_mappings = dict(partition_mappings or {})
        self.source_asset = source_asset
        self.output_name_by_key = {k: n for n, k in self.keys_by_output_name.items()}

    # --- identity -------------------------------------------------------------------
    @property
    def keys(self) -> frozenset[AssetKey]:
        return self._selected

    @property
    def selected_asset_keys(self) -> frozenset[AssetKey]:
        return self._selected

    @property
    def key(self) -> AssetKey:
        if len(self.keys) != 1:
            raise HeadwaterInvalidInvocationError(
                f"Tried to retrieve asset key from an assets definition with multiple asset keys: "
                f"{', '.join(sorted(k.to_user_string() for k in self.keys))}. Use .keys instead."
            )
        return next(iter(self.keys))

    @property
    def specs(self) -> list[AssetSpec]:
        return [s for k, s in self.specs_by_key.items() if k in self.keys]

    @property
    def op(self) -> OpDefinition:
        if not isinstance(self.node_def, OpDefinition):
            raise HeadwaterInvalidInvocationError(
                f"The assets {sorted(k.to_user_string() for k in self.keys)} are computed by "
                "a graph, not an op; use .node_def."
            )
        return self.node_def

    @property
    def is_external(self) -> bool:
        return self.node_def is None

    @property
    def is_executable(self) -> bool:
        return self.node_def is not None

    @property
    def is_materializable(self) -> bool:
        return self.node_def is not None and self.execution_type == "MATERIALIZATION"

    @property
    def is_observable(self) -> bool:
        return self.execution_type == "OBSERVATION"

    @property
    def is_subset(self) -> bool:
        return self._selected != frozenset(self.specs_by_key)

    @property
    def node_keys_by_output_name(self) -> dict[str, AssetKey]:
        return self.keys_by_output_name

    @property
    def input_names(self) -> list[str]:
        """Names of the node's inputs: one per upstream asset, value or ordering-only."""
        return list(self.keys_by_input_name)

    # --- per-key attributes -----------------------------------------------------------
    @property
    def group_names_by_key(self) -> dict[AssetKey, str]:
        return {k: self.specs_by_key[k].group_name or DEFAULT_GROUP for k in self.keys}

    @property
    def descriptions_by_key(self) -> dict[AssetKey, str]:
        return {k: d for k in self.keys if (d := self.specs_by_key[k].description) is not None}

    @property
    def metadata_by_key(self) -> dict[AssetKey, Mapping[str, Any]]:
        return {k: self.specs_by_key[k].metadata for k in self.keys}

    @property
    def tags_by_key(self) -> dict[AssetKey, Mapping[str, str]]:
        return {k: self.specs_by_key[k].tags for k in self.keys}

    @property
    def owners_by_key(self) -> dict[AssetKey, Sequence[str]]:
        return {k: self.specs_by_key[k].owners for k in self.keys}

    @property
    def code_versions_by_key(self) -> dict[AssetKey, str | None]:
        return {k: self.specs_by_key[k].code_version for k in self.keys}

    @property
    def kinds_by_key(self) -> dict[AssetKey, frozenset[str]]:
        return {k: self.specs_by_key[k].kinds for k in self.keys}

    @property
    def asset_deps(self) -> dict[AssetKey, set[AssetKey]]:
        return {k: {d.asset_key for d in self.specs_by_key[k].deps} for k in self.keys}

    @property
    def dependency_keys(self) -> set[AssetKey]:
        return {d.asset_key for k in self.keys for d in self.specs_by_key[k].deps}

    @property
    def group_name(self) -> str:
        groups = set(self.group_names_by_key.values())
        return groups.pop() if len(groups) == 1 else DEFAULT_GROUP

    @property
    def description(self) -> str | None:
        return self.descriptions_by_key.get(self.key) if len(self.keys) == 1 else None

    @property
    def required_resource_keys(self) -> frozenset[str]:
        if self.node_def is None:
            return frozenset()
        return frozenset(self.node_def.required_resource_keys)

    @property
    def resource_keys(self) -> frozenset[str]:
        return self.required_resource_keys

    def get_output_name_for_asset_key(self, key: AssetKey) -> str:
        if key not in self.output_name_by_key:
            raise HeadwaterInvalidInvocationError(
                f"Asset key {key.to_user_string()} is not produced by this assets definition."
            )
        return self.output_name_by_key[key]

    def get_io_manager_key_for_asset_key(self, key: AssetKey) -> str:
        return self.io_manager_keys.get(key, "io_manager")

    def get_partition_mapping(self, in_asset_key: Any) -> Any:
        """The partition mapping declared for upstream asset `in_asset_key` (None: default)."""
        return self.partition_mappings.get(to_asset_key(in_asset_key))

    @property
    def op_name(self) -> str:
        return self.node_def.name if self.node_def is not None else ""

    # --- variants ---------------------------------------------------------------------
    def subset_for(self, selected: Iterable[AssetKey]) -> AssetsDefinition:
        selected = frozenset(selected) & frozenset(self.specs_by_key)
        return self._copy(_selected=selected)

    def with_attributes(
        self,
        *,
        asset_key_replacements: Mapping[AssetKey, AssetKey] | None = None,
        group_names_by_key: Mapping[AssetKey, str] | None = None,
        resource_defs: Mapping[str, Any] | None = None,
        **_: Any,
    ) -> AssetsDefinition:
        repl = dict(asset_key_replacements or {})
        groups = dict(group_names_by_key or {})

        def swap(k: AssetKey) -> AssetKey:
            return repl.get(k, k)

        specs = []
        for spec in self.specs_by_key.values():
            changes: dict[str, Any] = {"key": swap(spec.key)}
            changes["deps"] = [AssetDep(swap(d.asset_key), d.partition_mapping, d.metadata)
                               for d in spec.deps]
            if spec.key in groups:
                changes["group_name"] = groups[spec.key]
            specs.append(spec.replace_attributes(**changes))
        return self._copy(
            keys_by_input_name={n: swap(k) for n, k in self.keys_by_input_name.items()},
            keys_by_output_name={n: swap(k) for n, k in self.keys_by_output_name.items()},
            specs_by_key={s.key: s for s in specs},
            _selected=frozenset(swap(k) for k in self._selected),
            resource_defs={**self.resource_defs, **(resource_defs or {})},
            io_manager_keys={swap(k): v for k, v in self.io_manager_keys.items()},
            output_name_by_key={swap(k): v for k, v in self.output_name_by_key.items()},
        )

    def map_asset_specs(self, fn: Callable[[AssetSpec], AssetSpec]) -> AssetsDefinition:
        specs = {k: fn(s) for k, s in self.specs_by_key.items()}
        for old, new in specs.items():
            if new.key != old:
                raise HeadwaterInvalidDefinitionError(
                    f"map_asset_specs may not change an asset's key ({old.to_user_string()} -> "
                    f"{new.key.to_user_string()}); use key_prefix or with_attributes."
                )
        return self._copy(specs_by_key=specs)

    def _copy(self, **changes: Any) -> AssetsDefinition:
        new = object.__new__(type(self))  # a SourceAsset stays a SourceAsset
        new.__dict__.update(self.__dict__)
        new.__dict__.update(changes)
        return new

    def to_source_asset(self, key: AssetKey | None = None) -> AssetsDefinition:
        key = key or self.key
        spec = self.specs_by_key[key]
        return external_asset_from_spec(spec)

    def to_source_assets(self) -> list[AssetsDefinition]:
        return [self.to_source_asset(k) for k in self.keys]

    # --- direct invocation --------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.node_def is None:
            raise HeadwaterInvalidInvocationError(
                f"asset {sorted(k.to_user_string() for k in self.keys)} is external: it has no "
                "function to call."
            )
        from headwater.definitions import _runtime

        if isinstance(self.node_def, GraphDefinition):
            return self.node_def(*args, **kwargs)
        return _runtime.engine().invoke_directly(
            self, args, kwargs
        )

    def __repr__(self) -> str:
        keys = sorted(k.to_user_string() for k in self.keys)
        return f"AssetsDefinition(keys={keys!r})"


def with_resources(
    definitions: Iterable[Any],
    resource_defs: Mapping[str, Any],
    resource_config_by_key: Mapping[str, Any] | None = None,
) -> list[Any]:
    """Copies of the assets with `resource_defs` bound.

    `resource_config_by_key` configures resources by key: {"db": {"config": {...}}}. An
    asset that already binds one of the keys is an error (its own IO manager excepted: it
    wins over a default `io_manager`); so is a resource the asset (or one of its resources)
    needs that neither provides.
    """
    by_id = {id(v): k for k, v in resource_defs.items()}
    resources = {k: as_resource_definition(v, by_id) for k, v in resource_defs.items()}
    for key, entry in (resource_config_by_key or {}).items():
        if key not in resources:
            continue  # Dagster ignores config for keys it does not bind
        if not isinstance(entry, Mapping) or "config" not in entry:
            raise HeadwaterInvalidInvocationError(
                f"Error with config for resource key '{key}': expected a dict with a 'config' "
                f"entry, like {{'{key}': {{'config': ...}}}}, got {entry!r}."
            )
        config = entry["config"]
        schema = resources[key].config_schema
        if schema is not None:
            try:
                config = process_config(schema, config, f"resources.{key}.config")
            except HeadwaterInvalidConfigError as exc:
                raise HeadwaterInvalidConfigError(
                    f"Error when applying config for resource with key '{key}':", exc.errors,
                    config,
                ) from None
        resources[key] = resources[key].configured(config)
    bound = []
    for value in definitions:
        if isinstance(value, AssetsDefinition):
            own = dict(value.resource_defs)
            clash = sorted((set(own) & set(resources)) - {"io_manager"})
            if clash and isinstance(value, SourceAsset):
                raise HeadwaterInvalidInvocationError(
                    f"SourceAsset with key {value.key!r} has conflicting resource definitions "
                    f"with provided resources for the following keys: {clash}. Either remove the "
                    "existing resources from the asset or change the resource keys so that they "
                    "don't overlap."
                )
            if clash:
                raise HeadwaterInvalidInvocationError(
                    f"AssetsDefinition with key {_key_list(value)} has conflicting resource "
                    "definitions with provided resources for the following keys: "
                    f"{', '.join(clash)}. Either remove the existing resources from the asset or "
                    "change the resource keys so that they don't overlap."
                )
            merged = {**resources, **own}
            _check_bound_resources(value, merged)
            value = value._copy(resource_defs=merged)
        bound.append(value)
    return bound


def _key_list(assets_def: AssetsDefinition) -> str:
    return "[" + ", ".join(f'"{p}"' for p in assets_def.key.path) + "]"


def _check_bound_resources(assets_def: AssetsDefinition, merged: Mapping[str, Any]) -> None:
    """Every resource the asset, its IO managers and its resources need is in `merged`."""
    state: dict[str, int] = {}

    def visit(key: str) -> None:
        if state.get(key) == 1:
            raise HeadwaterInvariantViolationError(
                f'Resource key "{key}" transitively depends on itself. Break the cycle in the '
                "required_resource_keys of the resources."
            )
        if state.get(key) == 2 or key not in merged:
            return
        state[key] = 1
        for dep in sorted(getattr(merged[key], "required_resource_keys", ())):
            visit(dep)
        state[key] = 2

    for key in sorted(merged):
        visit(key)
    name = assets_def.node_def.name if assets_def.node_def is not None else None
    for key in sorted(assets_def.required_resource_keys):
        if key not in merged:
            raise HeadwaterInvalidDefinitionError(
                f"resource with key '{key}' required by op '{name}' was not provided. Add it "
                f"to with_resources(..., {{'{key}': ...}})."
            )
    for asset_key in sorted(assets_def.keys, key=lambda k: k.path):
        io_key = assets_def.get_io_manager_key_for_asset_key(asset_key)
        if io_key != "io_manager" and io_key not in merged:
            what = "SourceAsset" if isinstance(assets_def, SourceAsset) else "asset"
            raise HeadwaterInvalidDefinitionError(
                f"io manager with key '{io_key}' required by {what} with key "
                f"{_key_list(assets_def)} was not provided. Add it to with_resources(..., "
                f"{{'{io_key}': <an IO manager>}})."
            )
    for owner, definition in merged.items():
        if owner in (assets_def.required_resource_keys | {"io_manager"}) or owner in (
            assets_def.resource_defs
        ):
            for key in sorted(getattr(definition, "required_resource_keys", ())):
                if key not in merged:
                    raise HeadwaterInvalidDefinitionError(
                        f"resource with key '{key}' required by resource with key '{owner}' was "
                        f"not provided. Add it to with_resources(..., {{'{key}': ...}})."
                    )


def external_asset_from_spec(spec: AssetSpec) -> AssetsDefinition:
    """An asset that headwater knows about but does not compute."""
    io_key = spec.metadata.get("headwater/io_manager_key")  # set by with_io_manager_key
    return AssetsDefinition(specs=[spec], execution_type="UNEXECUTABLE",
                            partitions_def=spec.partitions_def,
                            io_manager_keys={spec.key: io_key} if io_key else None)


def external_assets_from_specs(specs: Sequence[AssetSpec]) -> list[AssetsDefinition]:
    return [external_asset_from_spec(s) for s in specs]


# --- decorators ---------------------------------------------------------------------


def _input_keys(
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
    """Data inputs from parameters and `ins`, plus one Nothing input per non-data dep."""
    for name in ins:
        if name not in sig.input_args:
            raise HeadwaterInvalidDefinitionError(
                f"{decorator} '{fn_name}' declares ins['{name}'], but the function has no "
                f"parameter '{name}'. Add the parameter, or list the asset in deps=[...] if its "
                "value is not needed."
            )
    keys = _input_keys(fn_name, sig.input_args, ins, ())
    op_ins: dict[str, In] = {}
    for name in sig.input_args:
        spec = ins.get(name)
        op_ins[name] = In(
            headwater_type=spec.headwater_type if spec else NO_VALUE,
            metadata=spec.metadata if spec else None,
            asset_key=keys[name],
            input_manager_key=spec.input_manager_key if spec else None,
        )
    data_keys = set(keys.values())
    for dep in deps:
        if dep.asset_key in data_keys:
            continue
        name = dep.asset_key.to_python_identifier()
        keys[name] = dep.asset_key
        op_ins[name] = In(headwater_type=resolve_headwater_type(None), asset_key=dep.asset_key)
    return keys, op_ins


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
        dep = to_asset_dep(value)
        if dep.asset_key in seen:
            if dep in result:
                continue  # the same dependency listed twice is harmless
            raise HeadwaterInvariantViolationError(
                f"Cannot set a dependency on asset {dep.asset_key} more than once per asset: "
                f"'{owner}' lists it twice in deps with different partition_mapping or "
                "metadata. Keep one AssetDep for it."
            )
        seen.add(dep.asset_key)
        result.append(dep)
    return result


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
    **unknown: Any,
) -> Any:
    """Declare an asset computed by the decorated function."""
    if unknown:
        raise TypeError(f"@asset got unexpected arguments: {', '.join(sorted(unknown))}")

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
        out = Out(headwater_type=headwater_type, is_required=output_required,
                  io_manager_key=io_manager_key, code_version=code_version)
        annotation = sig.return_annotation
        if annotation is None or annotation is type(None):
            annotation = inspect.Parameter.empty
            if headwater_type is NO_VALUE:
                out = Out(headwater_type=None, is_required=output_required,
                          io_manager_key=io_manager_key, code_version=code_version)
        output = output_def(DEFAULT_OUTPUT, out, annotation)
        all_tags = dict(op_tags or {})
        if compute_kind:
            all_tags[COMPUTE_KIND_TAG] = compute_kind
        op_def = OpDefinition(
            fn,
            name=asset_key.to_python_identifier(),
            description=description,
            config_schema=config_schema,
            required_resource_keys=required_resource_keys,
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
            description=description or inspect.getdoc(fn),
            metadata=metadata,
            group_name=group_name,
            code_version=code_version,
            automation_condition=automation_condition,
            owners=owners,
            tags=tags,
            kinds=_kinds(kinds, compute_kind),
            partitions_def=partitions_def,
        )
        res = dict(resource_defs or {})
        if io_manager_def is not None:
            res[io_manager_key or "io_manager"] = io_manager_def
        return AssetsDefinition(
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
) -> Callable[[Callable[..., Any]], AssetsDefinition]:
    """Declare several assets computed by one function, one output per asset."""

    def decorate(fn: Callable[..., Any]) -> AssetsDefinition:
        op_name = name or fn.__name__
        if outs and specs:
            raise HeadwaterInvalidDefinitionError(
                f"@multi_asset '{op_name}': pass outs= or specs=, not both."
            )
        sig = inspect_signature(fn, "@multi_asset")
        dep_list = _collect_deps(deps, op_name)
        input_keys, op_ins = _asset_ins(op_name, sig, dict(ins or {}), dep_list, "@multi_asset")
        out_specs: dict[str, tuple[AssetOut, AssetSpec]] = {}
        for out_name, out in (outs or {}).items():
            asset_key = out.key or AssetKey([*(out.key_prefix or ()), out_name])
            spec = AssetSpec(
                asset_key, description=out.description, metadata=out.metadata,
                group_name=out.group_name or group_name, code_version=out.code_version or code_version,
                owners=out.owners, tags=out.tags, kinds=out.kinds,
                automation_condition=out.automation_condition, partitions_def=partitions_def,
                skippable=not out.is_required,
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
                         io_manager_key=spec.metadata.get("headwater/io_manager_key")),
                spec,
            )
            for dep in spec.deps:
                if dep.asset_key not in input_keys.values():
                    ident = dep.asset_key.to_python_identifier()
                    input_keys[ident] = dep.asset_key
                    op_ins[ident] = In(headwater_type=None, asset_key=dep.asset_key)
        output_defs: dict[str, OutputDefinition] = {}
        for out_name, (out, _spec) in out_specs.items():
            output_defs[out_name] = output_def(
                out_name,
                Out(out.headwater_type, out.description, out.is_required, out.io_manager_key,
                    code_version=out.code_version),
                inspect.Parameter.empty,
            )
        keys_by_output = {n: s.key for n, (_o, s) in out_specs.items()}
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
        upstream = [AssetDep(k, _mapping_for(ins, n)) for n, k in input_keys.items()]
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
    **_: Any,
) -> Any:
    """Several source assets observed by one function, which returns or yields one
    ObserveResult(asset_key=...) per asset."""

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
) -> Any:
    """Declare an asset computed by a graph of ops."""

    def decorate(fn: Callable[..., Any]) -> AssetsDefinition:
        asset_key = to_asset_key(key) if key is not None else AssetKey(
            [*prefix_path(key_prefix), name or fn.__name__]
        )
        graph_def = build_graph(fn, name=name or asset_key.to_python_identifier(),
                                description=description, config=config)
        sig = inspect_signature(fn, "@graph_asset", allow_context=False)
        input_keys = _input_keys(fn.__name__, sig.input_args, dict(ins or {}), ())
        spec = AssetSpec(
            asset_key, deps=[AssetDep(k) for k in input_keys.values()],
            description=description or inspect.getdoc(fn), metadata=metadata,
            group_name=group_name, code_version=code_version, owners=owners, tags=tags,
            kinds=kinds, automation_condition=automation_condition, partitions_def=partitions_def,
        )
        out_name = next(iter(graph_def.output_dict), DEFAULT_OUTPUT)
        return AssetsDefinition(
            keys_by_input_name=input_keys,
            keys_by_output_name={out_name: asset_key},
            node_def=graph_def,
            specs=[spec],
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
) -> Callable[[Callable[..., Any]], AssetsDefinition]:
    """Declare several assets computed by a graph, one graph output per asset."""

    def decorate(fn: Callable[..., Any]) -> AssetsDefinition:
        graph_def = build_graph(fn, name=name or fn.__name__, config=config)
        sig = inspect_signature(fn, "@graph_multi_asset", allow_context=False)
        input_keys = _input_keys(fn.__name__, sig.input_args, dict(ins or {}), ())
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
            keys_by_input_name=input_keys,
            keys_by_output_name=keys_by_output,
            node_def=graph_def,
            specs=specs,
            can_subset=can_subset,
            resource_defs=resource_defs,
            partitions_def=partitions_def,
            backfill_policy=backfill_policy,
            check_specs=check_specs,
        )

    return decorate


class SourceAsset(AssetsDefinition):
    """An asset produced outside headwater, loadable by downstream assets through an IO manager."""

    def __init__(
        self,
        key: Any,
        metadata: Mapping[str, Any] | None = None,
        io_manager_key: str | None = None,
        io_manager_def: Any = None,
        description: str | None = None,
        partitions_def: Any = None,
        group_name: str | None = None,
        resource_defs: Mapping[str, Any] | None = None,
        observe_fn: Callable[..., Any] | None = None,
        op_tags: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
        owners: Sequence[str] | None = None,
        kinds: Iterable[str] | None = None,
        required_resource_keys: Iterable[str] | None = None,
        **_: Any,
    ):
        spec = AssetSpec(key, metadata=metadata, description=description, group_name=group_name,
                         partitions_def=partitions_def, tags=tags, owners=owners, kinds=kinds)
        res = dict(resource_defs or {})
        if io_manager_def is not None:
            res[io_manager_key or "io_manager"] = io_manager_def
        node_def = None
        if observe_fn is not None:
            sig = inspect_signature(observe_fn, "@observable_source_asset")
            node_def = OpDefinition(
                observe_fn, name=spec.key.to_python_identifier(), tags=op_tags,
                required_resource_keys=sorted(required_resource_keys or ()),
                input_defs={}, output_defs={DEFAULT_OUTPUT: OutputDefinition(
                    DEFAULT_OUTPUT, resolve_headwater_type(None))}, signature=sig,
            )
        super().__init__(
            specs=[spec],
            keys_by_output_name={DEFAULT_OUTPUT: spec.key} if node_def else {},
            node_def=node_def,
            resource_defs=res,
            partitions_def=partitions_def,
            execution_type="OBSERVATION" if observe_fn else "UNEXECUTABLE",
            io_manager_keys={spec.key: io_manager_key or "io_manager"},
        )
        self.io_manager_key = io_manager_key or "io_manager"
        self.observe_fn = observe_fn

    @property
    def io_manager_def(self) -> Any:
        return self.resource_defs.get(self.io_manager_key)

    @property
    def tags(self) -> Mapping[str, str]:
        return self.specs_by_key[self.key].tags

    @property
    def owners(self) -> Sequence[str]:
        return self.specs_by_key[self.key].owners

    @property
    def kinds(self) -> frozenset[str]:
        return self.specs_by_key[self.key].kinds

    @property
    def metadata(self) -> Mapping[str, Any]:
        # MetadataValues, never failing; IO managers still see the raw values
        return normalize_metadata(self.specs_by_key[self.key].metadata, allow_invalid=True)

    @property
    def group_name(self) -> str:
        return self.specs_by_key[self.key].group_name or DEFAULT_GROUP

    @property
    def description(self) -> str | None:
        return self.specs_by_key[self.key].description

    @property
    def is_observable(self) -> bool:
        return self.observe_fn is not None

    def _as_graph_input(self) -> AssetsDefinition:
        """Passed to an op inside a graph body: loaded with this asset's IO manager."""
        return self

    def with_attributes(self, **kwargs: Any) -> AssetsDefinition:  # type: ignore[override]
        return super().with_attributes(**kwargs)


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
    **_: Any,
) -> Any:
    """Declare a source asset whose function reports its current version (an observation)."""
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
                           description=description or inspect.getdoc(fn),
                           partitions_def=partitions_def, group_name=group_name,
                           resource_defs=resource_defs, observe_fn=fn, op_tags=op_tags,
                           tags=tags, owners=owners, kinds=kinds,
                           required_resource_keys=required_resource_keys)

    if observe_fn is not None:
        return decorate(observe_fn)
    return decorate


__all__ = ["replace"]
