"""AssetSpec, AssetDep, AssetsDefinition, SourceAsset and external assets.

An asset is a key plus the node (op or graph) that computes it; an external asset is
a spec with no node. The spec and the definition are one pair: a spec's deps may name an
AssetsDefinition, and an external AssetsDefinition is built from a spec, so both live
here. The decorators that build definitions are in `decorators.py` and
`graph_decorators.py`; AssetIn/AssetOut in `inout.py`; with_resources in `resources.py`; the
rules of an asset's attributes (tags, groups, owners, automation, deps, check specs) in
`rules.py`; what with_attributes changes in `attributes.py`; map_asset_specs in
`spec_mapping.py`. Imports `key`, `tags`, the `ops`, `config` and `metadata` rooms, `errors`
and, of this room, `rules.py` and `attributes.py`; never the modules that build on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from headwater.definitions.assets.attributes import renamed_attributes
from headwater.definitions.assets.rules import (
    add_unique_dep,
    as_automation_condition,
    check_asset_tags,
    check_freshness_policy,
    check_group_name,
    check_owner,
    check_specs_by_key,
    condition_or_policy,
)
from headwater.definitions.config.resource import as_resource_definition
from headwater.definitions.key import AssetKey, check_key_parts, prefix_path, to_asset_key
from headwater.definitions.keywords import check_keywords
from headwater.definitions.metadata.annotation import resolve_headwater_type
from headwater.definitions.ops.composition import current_frame
from headwater.definitions.ops.graph import GraphDefinition
from headwater.definitions.ops.inout import In
from headwater.definitions.ops.op import OpDefinition, build_input_defs
from headwater.definitions.ops.output import DEFAULT_OUTPUT
from headwater.definitions.tags import IO_MANAGER_KEY_METADATA, KIND_PREFIX
from headwater.errors import (
    HeadwaterInvalidDefinitionError,
    HeadwaterInvalidInvocationError,
)

DEFAULT_GROUP = "default"


@dataclass(frozen=True, slots=True)
class AssetDep:
    """A dependency on an asset that is not passed as a value (ordering and lineage).

    Put it in `deps=` of `@asset` or AssetSpec when the downstream asset reads the upstream
    data itself (a SQL table, a file): headwater orders the runs and draws the lineage but
    loads nothing. A bare key or an asset definition in `deps=` means `AssetDep(that)`.

    Args:
        asset: the upstream asset: an AssetKey, a string, an AssetSpec or an asset definition.
        partition_mapping: which upstream partitions each downstream partition depends on.
        metadata: metadata of the dependency, shown on the lineage edge.

    Example:
        ```python
        from headwater import AssetDep, AssetKey, LastPartitionMapping, asset

        @asset(deps=[AssetDep("raw_events", partition_mapping=LastPartitionMapping())])
        def event_counts() -> int:
            return 0

        assert AssetKey("raw_events") in event_counts.dependency_keys
        ```
    """

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
        # AssetDep("a"), AssetDep(AssetKey("a")) and AssetDep(asset_a) are one dependency
        object.__setattr__(self, "asset", to_asset_key(self.asset))

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
    """The description of one asset, without how it is computed.

    Pass specs to `Definitions(assets=...)` to declare assets that something else produces
    (external assets, shown in the lineage), or to `@multi_asset(specs=...)` to declare what a
    function computes. `replace_attributes` and `merge_attributes` return changed copies. An
    invalid key part raises HeadwaterInvalidDefinitionError.

    Args:
        key: the asset key (an AssetKey, a string or a list of parts).
        deps: upstream assets, as keys, specs, definitions or AssetDep.
        description: shown in the UI.
        metadata: static metadata of the asset.
        skippable: whether the computing function may skip this asset without failing.
        group_name: the group shown in the UI ("default" when not given).
        code_version: a version of the code; a change marks the asset stale.
        automation_condition: when automation should request the asset.
        owners: people or teams owning the asset.
        tags: tags of the asset.
        kinds: technologies shown as badges.
        partitions_def: how the asset is partitioned.
        legacy_freshness_policy: a LegacyFreshnessPolicy (maximum lag).
        freshness_policy: how fresh the asset is expected to be.
        auto_materialize_policy: older spelling of `automation_condition`.

    Example:
        ```python
        from headwater import AssetKey, AssetSpec, Definitions

        raw = AssetSpec("raw_orders", group_name="ingest", kinds={"s3"})
        clean = AssetSpec(["warehouse", "orders"], deps=[raw], owners=["team:data"])
        defs = Definitions(assets=[raw, clean])
        assert AssetKey(["warehouse", "orders"]) in defs.asset_keys
        assert clean.replace_attributes(group_name="core").group_name == "core"
        ```
    """

    key: AssetKey
    deps: list[AssetDep] = field(default_factory=list)
    description: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    skippable: bool = False
    group_name: str | None = None
    code_version: str | None = None
    automation_condition: Any = None
    owners: list[str] = field(default_factory=list)
    tags: Mapping[str, str] = field(default_factory=dict)
    kinds: frozenset[str] = frozenset()
    partitions_def: Any = None
    legacy_freshness_policy: Any = None
    freshness_policy: Any = None

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
        freshness_policy: Any = None,
        auto_materialize_policy: Any = None,
    ):
        key = to_asset_key(key)
        problem = check_key_parts(key)
        if problem:
            raise HeadwaterInvalidDefinitionError(f"AssetSpec: {problem}.")
        automation_condition = as_automation_condition(
            condition_or_policy(automation_condition, auto_materialize_policy,
                                 f"AssetSpec '{key.to_user_string()}'"),
            f"asset '{key.to_user_string()}'")
        unique: list[AssetDep] = []
        seen: set[AssetKey] = set()
        for dep in (to_asset_dep(d) for d in (deps or ())):
            add_unique_dep(unique, seen, dep, f"AssetSpec '{key.to_user_string()}'")
        dep_list = unique
        if group_name is not None:
            check_group_name(group_name)
        owner_list = list(owners or ())
        for owner in owner_list:
            check_owner(owner, key)
        tags = dict(tags or {})
        if kinds is None:  # the kinds are the kind tags
            kinds = {k[len(KIND_PREFIX):] for k in tags if k.startswith(KIND_PREFIX)}
        else:  # the kinds given replace any kind tags
            tags = {k: v for k, v in tags.items() if not k.startswith(KIND_PREFIX)}
        if tags:
            check_asset_tags(tags, f"asset '{key.to_user_string()}'")
        kinds = frozenset(kinds)
        tags.update({f"{KIND_PREFIX}{kind}": "" for kind in sorted(kinds)})
        if kinds:  # a kind is a tag: its name follows the rules of a tag key's part
            check_asset_tags({f"{KIND_PREFIX}{k}": "" for k in kinds}, f"asset '{key.to_user_string()}'")
        if len(kinds) > 10:
            raise HeadwaterInvalidDefinitionError(
                f"Assets can have at most ten kinds currently. Asset '{key.to_user_string()}' "
                f"has {len(kinds)} ({sorted(kinds)}); keep the ten that matter most.")
        for attr, value in (
            ("key", key), ("deps", dep_list), ("description", description),
            ("metadata", dict(metadata or {})), ("skippable", skippable),
            ("group_name", group_name), ("code_version", code_version),
            ("automation_condition", automation_condition), ("owners", owner_list),
            ("tags", tags), ("kinds", kinds), ("partitions_def", partitions_def),
            ("legacy_freshness_policy", legacy_freshness_policy),
            ("freshness_policy", check_freshness_policy(freshness_policy, key)),
        ):
            object.__setattr__(self, attr, value)

    def __hash__(self) -> int:
        return hash(self.key)

    @property
    def auto_materialize_policy(self) -> Any:
        """The automation condition under its older name (an AutoMaterializePolicy)."""
        condition = self.automation_condition
        return condition.as_auto_materialize_policy() if condition is not None else None

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
        return self.merge_attributes(metadata={IO_MANAGER_KEY_METADATA: io_manager_key})


_SPEC_FIELDS = (
    "key", "deps", "description", "metadata", "skippable", "group_name", "code_version",
    "automation_condition", "owners", "tags", "kinds", "partitions_def", "legacy_freshness_policy",
    "freshness_policy",
)


#: The per-key keywords of AssetsDefinition(...) and the spec field each one sets.
_SPEC_FIELD_BY_KEYWORD = {
    "group_names_by_key": "group_name", "metadata_by_key": "metadata", "tags_by_key": "tags",
    "descriptions_by_key": "description", "owners_by_key": "owners",
    "code_versions_by_key": "code_version", "automation_conditions_by_key": "automation_condition",
    "legacy_freshness_policies_by_key": "legacy_freshness_policy",
}

#: The per-output keywords of from_graph / from_op and the per-key keyword each becomes.
_BY_OUTPUT_NAME = {
    "group_names_by_output_name": "group_names_by_key",
    "descriptions_by_output_name": "descriptions_by_key",
    "metadata_by_output_name": "metadata_by_key", "tags_by_output_name": "tags_by_key",
    "owners_by_output_name": "owners_by_key",
    "code_versions_by_output_name": "code_versions_by_key",
    "automation_conditions_by_output_name": "automation_conditions_by_key",
    "auto_materialize_policies_by_output_name": "automation_conditions_by_key",
    "legacy_freshness_policies_by_output_name": "legacy_freshness_policies_by_key",
}


class AssetsDefinition:
    """One or more assets and the op or graph that computes them.

    What `@asset`, `@multi_asset` and `@graph_asset` build; build it directly only to wrap an
    existing op or graph (see `from_op`, `from_graph`). External assets (from AssetSpec or
    SourceAsset) have no node: they are known to the graph but not materialized by headwater.
    Calling it runs the function directly, for unit tests.

    Args:
        keys_by_input_name: the upstream asset key of each node input.
        keys_by_output_name: the asset key of each node output.
        node_def: the op or graph that computes the assets; None for external assets.
        specs: the AssetSpecs of the assets (otherwise built from the outputs).
        can_subset: whether a run may compute only some of the assets.
        selected_asset_keys: the subset of the keys this definition computes.
        resource_defs: resources bound to these assets only.
        partitions_def: the partitions of the assets.
        backfill_policy: how many partitions one backfill run computes.
        execution_type: "MATERIALIZATION", "OBSERVATION" or "UNEXECUTABLE".
        check_specs: checks the node reports.
        io_manager_keys: the IO manager key of each asset.
        partition_mappings: the partition mapping of each upstream key.
        source_asset: the SourceAsset this definition stands for, if any.
        hook_defs: hooks run after the node's steps.
        selected_asset_check_keys: the subset of the checks this definition runs.
        asset_deps: the upstream keys of each asset, when not every input feeds every asset.

    Example:
        ```python
        from headwater import AssetsDefinition, asset, materialize, op

        @asset
        def numbers() -> list[int]:
            return [1, 2, 3]

        assert isinstance(numbers, AssetsDefinition)
        assert numbers() == [1, 2, 3]

        @op
        def total() -> int:
            return 6

        wrapped = AssetsDefinition.from_op(total)
        assert wrapped.key.to_user_string() == "total"
        assert materialize([numbers, wrapped]).success
        ```
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
        hook_defs: Iterable[Any] | None = None,
        selected_asset_check_keys: Iterable[Any] | None = None,
        asset_deps: Mapping[AssetKey, Iterable[AssetKey]] | None = None,
        **attributes_by_key: Mapping[AssetKey, Any],
    ):
        check_keywords("AssetsDefinition", attributes_by_key, _SPEC_FIELD_BY_KEYWORD)
        self.node_def = node_def
        self.node_keys_by_input_name = dict(keys_by_input_name or {})
        self.node_keys_by_output_name = dict(keys_by_output_name or {})
        self.specs_by_key: dict[AssetKey, AssetSpec] = {}
        for spec in specs or ():
            known = self.specs_by_key.get(spec.key)
            if known is not None and known != spec:
                raise HeadwaterInvalidDefinitionError(
                    f"Received conflicting AssetSpecs for asset '{spec.key.to_user_string()}': "
                    f"{known!r} and {spec!r}. Give one asset one spec.")
            self.specs_by_key[spec.key] = spec
        for name, key in self.node_keys_by_output_name.items():
            if key not in self.specs_by_key:  # a spec from the node's output and the per-key maps
                out = node_def.output_dict.get(name) if node_def is not None else None
                given = {_SPEC_FIELD_BY_KEYWORD[kw]: by_key[key]
                         for kw, by_key in attributes_by_key.items() if key in by_key}
                deps = [AssetDep(k) for k in (asset_deps or {}).get(key, ())] if asset_deps else [
                    AssetDep(k) for k in self.node_keys_by_input_name.values()]
                self.specs_by_key[key] = AssetSpec(
                    key, deps=deps, skippable=out is not None and not out.is_required,
                    partitions_def=partitions_def, **given)
        self.can_subset = can_subset
        all_keys = frozenset(self.specs_by_key)
        self._selected = frozenset(selected_asset_keys) if selected_asset_keys is not None else all_keys
        by_id = {id(v): k for k, v in (resource_defs or {}).items()}
        self.resource_defs = {k: as_resource_definition(v, by_id)
                              for k, v in (resource_defs or {}).items()}
        self.partitions_def = partitions_def
        self.backfill_policy = backfill_policy
        self.execution_type = execution_type
        self.check_specs_by_key = check_specs_by_key(check_specs, self.specs_by_key, node_def)
        self._selected_checks = frozenset(self.check_specs_by_key) if selected_asset_check_keys \
            is None else frozenset(selected_asset_check_keys) & frozenset(self.check_specs_by_key)
        self.io_manager_keys = dict(io_manager_keys or {})
        self.partition_mappings = dict(partition_mappings or {})
        self.source_asset = source_asset
        self.hook_defs = frozenset(hook_defs or ())  # run after the node's steps, as op hooks
        self.output_name_by_key = {k: n for n, k in self.node_keys_by_output_name.items()}

    # --- identity -------------------------------------------------------------------
    @property
    def keys(self) -> frozenset[AssetKey]:
        return self._selected

    @property
    def selected_asset_keys(self) -> frozenset[AssetKey]:
        return self._selected

    # --- checks (check_specs= on an asset; every spec of an AssetChecksDefinition) ------
    @property
    def check_specs(self) -> list[Any]:
        """The specs of the checks this definition evaluates (in this subset)."""
        return [s for k, s in self.check_specs_by_key.items() if k in self._selected_checks]

    @property
    def check_keys(self) -> frozenset[Any]:
        return self._selected_checks

    @property
    def selected_asset_check_keys(self) -> frozenset[Any]:
        return self._selected_checks

    @property
    def check_specs_by_output_name(self) -> dict[str, Any]:
        return {s.get_python_identifier(): s for s in self.check_specs}

    @property
    def node_check_specs_by_output_name(self) -> dict[str, Any]:
        """Every check spec of the node, selected or not."""
        return {s.get_python_identifier(): s for s in self.check_specs_by_key.values()}

    def get_spec_for_check_key(self, check_key: Any) -> Any:
        spec = self.check_specs_by_key.get(check_key)
        if spec is None:
            known = sorted(k.to_user_string() for k in self.check_specs_by_key)
            raise HeadwaterInvalidInvocationError(
                f"{self!r} has no check {getattr(check_key, 'to_user_string', lambda: check_key)()!r};"
                f" its checks are {known}."
            )
        return spec

    @property
    def key(self) -> AssetKey:
        if len(self.keys) != 1:
            raise HeadwaterInvalidInvocationError(
                f"AssetsDefinition.key is ambiguous here: this definition produces "
                f"{len(self.keys)} assets ({', '.join(sorted(k.to_user_string() for k in self.keys))})."
                " Use .keys, or call .key only on a single-asset definition."
            )
        return next(iter(self.keys))

    @property
    def specs(self) -> list[AssetSpec]:
        return [s for k, s in self.specs_by_key.items() if k in self.keys]

    def get_asset_spec(self, key: Any = None) -> AssetSpec:
        """The spec of the asset `key` (of the only asset, when omitted)."""
        asset_key = self.key if key is None else to_asset_key(key)
        if asset_key not in self.specs_by_key:
            raise HeadwaterInvalidInvocationError(
                f"{self!r} has no asset {asset_key.to_user_string()!r}; its assets are "
                f"{sorted(k.to_user_string() for k in self.keys)}.")
        return self.specs_by_key[asset_key]

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
        return (self._selected != frozenset(self.specs_by_key)
                or self._selected_checks != frozenset(self.check_specs_by_key))

    @property
    def keys_by_input_name(self) -> dict[str, AssetKey]:
        """The node's inputs that the selected assets and checks read (of a subset: the
        upstream assets of what it keeps, outputs of the same node included)."""
        if not self.is_subset:
            return self.node_keys_by_input_name
        upstream = {d.asset_key for k in self.keys for d in self.specs_by_key[k].deps}
        for spec in self.check_specs:
            upstream |= {d.asset_key for d in spec.additional_deps}
            if spec.asset_key not in self.keys:
                upstream.add(spec.asset_key)
        return {n: k for n, k in self.node_keys_by_input_name.items() if k in upstream}

    @property
    def keys_by_output_name(self) -> dict[str, AssetKey]:
        """The node's outputs that compute the selected assets."""
        if not self.is_subset:
            return self.node_keys_by_output_name
        return {n: k for n, k in self.node_keys_by_output_name.items() if k in self._selected}

    @property
    def input_names(self) -> list[str]:
        """Names of the node's inputs: one per upstream asset, value or ordering-only."""
        return list(self.node_keys_by_input_name)

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
        """Every asset of the node and what it depends on (a subset keeps the whole map)."""
        return {k: {d.asset_key for d in s.deps} for k, s in self.specs_by_key.items()}

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
        hook_keys = {k for h in self.hook_defs for k in getattr(h, "required_resource_keys", ())}
        return frozenset(self.node_def.required_resource_keys) | frozenset(hook_keys)

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

    # --- from an existing op or graph ------------------------------------------------
    @classmethod
    def from_graph(
        cls, graph_def: OpDefinition | GraphDefinition, *,
        keys_by_input_name: Mapping[str, Any] | None = None,
        keys_by_output_name: Mapping[str, Any] | None = None,
        key_prefix: Any = None, internal_asset_deps: Mapping[str, Iterable[Any]] | None = None,
        group_name: str | None = None,
        partitions_def: Any = None, partition_mappings: Mapping[str, Any] | None = None,
        resource_defs: Mapping[str, Any] | None = None, backfill_policy: Any = None,
        can_subset: bool = False, check_specs: Sequence[Any] | None = None,
        hook_defs: Iterable[Any] | None = None,
        **by_output_name: Mapping[str, Any] | None,
    ) -> AssetsDefinition:
        """Assets computed by an op or graph defined without an asset decorator: each input
        reads the asset named like it (or `keys_by_input_name`), each output is an asset named
        like it (a single `result` output takes the node's name), `key_prefix` prefixing
        output keys. Per-output attributes come from the `*_by_output_name` mappings, and
        `internal_asset_deps` (output name -> keys) narrows what each output depends on."""
        node_def = graph_def
        what = f"AssetsDefinition.from_{'op' if isinstance(node_def, OpDefinition) else 'graph'}"
        check_keywords(what, by_output_name, _BY_OUTPUT_NAME)
        given = {"keys_by_input_name": (keys_by_input_name, node_def.input_dict),
                 "partition_mappings": (partition_mappings, node_def.input_dict),
                 **{arg: (value, node_def.output_dict) for arg, value in [
                     *by_output_name.items(), ("keys_by_output_name", keys_by_output_name),
                     ("internal_asset_deps", internal_asset_deps)]}}
        for arg, (mapping, names) in given.items():
            unknown = sorted(set(mapping or ()) - set(names))
            if unknown:
                raise HeadwaterInvalidDefinitionError(
                    f"{what}({node_def.name!r}, {arg}=...) names {unknown}, "
                    f"which '{node_def.name}' does not have; its names are {sorted(names)}.")
        inputs = {n: to_asset_key((keys_by_input_name or {}).get(n, n)) for n in node_def.input_dict}
        single = list(node_def.output_dict) == [DEFAULT_OUTPUT]
        outputs = {n: AssetKey([*prefix_path(key_prefix), *to_asset_key(
            (keys_by_output_name or {}).get(n, node_def.name if single else n)).path])
            for n in node_def.output_dict}
        by_key: dict[str, Any] = {_BY_OUTPUT_NAME[arg]: {outputs[n]: v for n, v in (mapping or {}).items()}
                  for arg, mapping in by_output_name.items()}
        if single and node_def.description:
            by_key.setdefault("descriptions_by_key", {}).setdefault(
                outputs[DEFAULT_OUTPUT], node_def.description)
        if group_name is not None:
            groups = by_key.setdefault("group_names_by_key", {})
            by_key["group_names_by_key"] = {k: groups.get(k, group_name) for k in outputs.values()}
        deps = None if internal_asset_deps is None else {
            outputs[n]: {to_asset_key(k) for k in keys} for n, keys in internal_asset_deps.items()}
        return cls(keys_by_input_name=inputs, keys_by_output_name=outputs, node_def=node_def,
                   can_subset=can_subset, resource_defs=resource_defs, asset_deps=deps,
                   partitions_def=partitions_def, backfill_policy=backfill_policy,
                   check_specs=check_specs, hook_defs=hook_defs, partition_mappings={
                       inputs[n]: m for n, m in (partition_mappings or {}).items()}, **by_key)

    @classmethod
    def from_op(cls, op_def: OpDefinition, **kwargs: Any) -> AssetsDefinition:
        """An op is a one-node graph here: the same rules build its assets."""
        return cls.from_graph(op_def, **kwargs)

    # --- variants ---------------------------------------------------------------------
    def subset_for(self, selected_asset_keys: Iterable[AssetKey],
                   selected_asset_check_keys: Iterable[Any] | None = None) -> AssetsDefinition:
        """This definition narrowed to some of its assets and checks (by default the checks of
        the assets kept)."""
        selected = frozenset(selected_asset_keys) & self._selected  # a subset never grows
        if selected_asset_check_keys is None:
            checks = frozenset(k for k in self._selected_checks if k.asset_key in selected)
        else:
            checks = frozenset(selected_asset_check_keys) & self._selected_checks
        return self._copy(_selected=selected, _selected_checks=checks)

    def with_attributes(
        self,
        *,
        asset_key_replacements: Mapping[AssetKey, AssetKey] | None = None,
        group_names_by_key: Mapping[AssetKey, str] | None = None,
        tags_by_key: Mapping[AssetKey, Mapping[str, str]] | None = None,
        metadata_by_key: Mapping[Any, Mapping[str, Any]] | None = None,
        resource_defs: Mapping[str, Any] | None = None,
        backfill_policy: Any = None,
        automation_condition: Any = None,
        legacy_freshness_policy: Any = None,
        hook_defs: Iterable[Any] | None = None,
    ) -> AssetsDefinition:
        """A copy with keys renamed, per-asset groups, tags or metadata (of assets or checks)
        set, resources or hooks added, a backfill policy set, an automation condition or a
        legacy freshness policy set (one for every asset, or a mapping by key); see
        `attributes.py`."""
        if isinstance(automation_condition, Mapping):
            automation_condition = {k: as_automation_condition(
                v, "AssetsDefinition.with_attributes") for k, v in automation_condition.items()}
        else:
            automation_condition = as_automation_condition(
                automation_condition, "AssetsDefinition.with_attributes")
        spec_changes = {"group_name": group_names_by_key or None, "tags": tags_by_key or None,
                        "automation_condition": automation_condition,
                        "legacy_freshness_policy": legacy_freshness_policy}
        changes = renamed_attributes(self, dict(asset_key_replacements or {}), spec_changes,
                                     metadata_by_key)
        return self._copy(
            **changes,
            resource_defs={**self.resource_defs, **(resource_defs or {})},
            backfill_policy=backfill_policy if backfill_policy is not None else self.backfill_policy,
            hook_defs=self.hook_defs | frozenset(hook_defs or ()),
        )

    def map_asset_specs(self, fn: Callable[[AssetSpec], AssetSpec]) -> AssetsDefinition:
        """A copy whose specs are fn(spec); deps added or removed become (or stop being)
        ordering inputs of the node, and their partition mappings apply."""
        specs = {k: fn(s) for k, s in self.specs_by_key.items()}
        for old, new in specs.items():
            if new.key != old:
                raise HeadwaterInvalidDefinitionError(
                    f"map_asset_specs may not change an asset's key ({old.to_user_string()} -> "
                    f"{new.key.to_user_string()}); use key_prefix or with_attributes."
                )
        mappings = {**self.partition_mappings}
        for spec in specs.values():
            for dep in spec.deps:
                if dep.partition_mapping is not None:
                    mappings[dep.asset_key] = dep.partition_mapping
        changes: dict[str, Any] = {"specs_by_key": specs, "partition_mappings": mappings}
        if isinstance(self.node_def, OpDefinition):
            changes.update(self._inputs_for_deps(specs))
        return self._copy(**changes)

    def _inputs_for_deps(self, specs: Mapping[AssetKey, AssetSpec]) -> dict[str, Any]:
        """The node's inputs after its specs' deps changed: parameters stay, ordering-only
        inputs follow the deps."""
        op = self.op
        wanted = {d.asset_key for s in specs.values() for d in s.deps}
        params = set(op.signature.input_args)
        keys = {n: k for n, k in self.node_keys_by_input_name.items() if n in params or k in wanted}
        for key in sorted(wanted - set(keys.values())):
            keys[key.to_python_identifier()] = key
        if keys == self.node_keys_by_input_name:
            return {}
        ins = {n: i for n, i in op.ins.items() if n in keys}
        for name, key in keys.items():
            if name not in ins:
                ins[name] = In(headwater_type=resolve_headwater_type(None), asset_key=key)
        new_op = object.__new__(type(op))
        new_op.__dict__.update(op.__dict__)
        new_op.input_dict = build_input_defs(op.name, op.signature, ins, "@multi_asset")
        return {"node_keys_by_input_name": keys, "node_def": new_op}

    def _copy(self, **changes: Any) -> AssetsDefinition:
        new = object.__new__(type(self))  # a SourceAsset stays a SourceAsset
        new.__dict__.update(self.__dict__)
        new.__dict__.update(changes)
        return new

    def to_source_asset(self, key: AssetKey | None = None) -> AssetsDefinition:
        """The asset as one headwater reads but does not compute: its values are loaded by
        the same IO manager (key, and resource when the asset carries it) that stored them."""
        key = key or self.key
        source = external_asset_from_spec(self.specs_by_key[key])
        return source._copy(io_manager_keys={key: self.get_io_manager_key_for_asset_key(key)},
                            resource_defs=dict(self.resource_defs))

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

        if isinstance(self.node_def, GraphDefinition) or current_frame() is not None:
            # in a graph or job body, the asset stands for its op (or graph) as a node
            return self.node_def(*args, **kwargs)
        return _runtime.engine().invoke_directly(
            self, args, kwargs
        )

    def __repr__(self) -> str:
        keys = sorted(k.to_user_string() for k in self.keys)
        return f"AssetsDefinition(keys={keys!r})"


def external_asset_from_spec(spec: AssetSpec) -> AssetsDefinition:
    """An asset that headwater knows about but does not compute."""
    io_key = spec.metadata.get(IO_MANAGER_KEY_METADATA)  # set by with_io_manager_key
    return AssetsDefinition(specs=[spec], execution_type="UNEXECUTABLE",
                            partitions_def=spec.partitions_def,
                            io_manager_keys={spec.key: io_key} if io_key else None)


def external_assets_from_specs(specs: Sequence[AssetSpec]) -> list[AssetsDefinition]:
    return [external_asset_from_spec(s) for s in specs]


__all__ = ["replace"]
