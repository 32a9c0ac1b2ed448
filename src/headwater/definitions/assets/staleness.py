"""Staleness: is an asset (partition) still what its code and its parents would give now?

An asset partition is MISSING when it was never materialized; else STALE when one of these
causes holds, FRESH when none does:

- CODE: the asset declares a code version that differs from the one its latest
  materialization recorded (`headwater/code_version`);
- DATA: a parent's current data version differs from the one recorded when it was computed
  (`headwater/input_data_version/<parent>`), a parent is missing (never materialized, or
  wiped), or a parent was added to or removed from its dependencies since;
- DEPENDENCIES: a parent (partition) it reads is itself stale.

Source assets (observable or external) are never stale: nothing computes them; their data
version is their latest observation's (`INITIAL` when never observed).

Everything is read from stored provenance through two small protocols, so that the same code
serves a run (skip-unchanged), the CLI and `Definitions` (over an `AssetGraph`), and the
webserver (over the code server's snapshot, which holds no user code): `StalenessGraph` says
what the definitions are, `VersionReader` (the instance) what was recorded. Imports this
room's `graph`, `partitions` and `ops.data_version`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from headwater.definitions.key import AssetKey
from headwater.definitions.ops.data_version import (
    DEFAULT_DATA_VERSION,
    NULL_DATA_VERSION,
    DataProvenance,
    DataVersion,
    combine_data_versions,
    data_version_from_tags,
)
from headwater.definitions.partitions.base import partition_loading_context
from headwater.definitions.partitions.mapping import (
    IdentityPartitionMapping,
    TimeWindowPartitionMapping,
)
from headwater.definitions.partitions.relation import infer_partition_mapping

#: A parent read through more partitions than this is not checked for its own staleness
#: (DEPENDENCIES); its data version is still compared, as one version over all of them.
MAX_DEPENDENCY_PARTITIONS = 100


class StaleStatus(Enum):
    """Whether an asset (partition) is up to date with its code and its parents.

    MISSING: never materialized. STALE: its code version changed, or a parent has newer data
    or is itself stale, since it was last materialized. FRESH: none of that.
    """

    MISSING = "MISSING"
    STALE = "STALE"
    FRESH = "FRESH"


class StaleCauseCategory(Enum):
    """What kind of change makes an asset stale.

    CODE: its code version changed. DATA: a parent has a new data version. DEPENDENCIES: its
    parents changed (added, removed, missing) or are stale themselves.
    """

    CODE = "CODE"
    DATA = "DATA"
    DEPENDENCIES = "DEPENDENCIES"


@dataclass(frozen=True, slots=True)
class StaleCause:
    """One reason an asset (partition) is stale, with the evidence.

    Returned by `Definitions.get_stale_causes`; the UI lists them. `text` says it all in one
    sentence.

    Args:
        key: the stale asset.
        category: the StaleCauseCategory of the change.
        kind: one of `code_version_changed`, `new_data_version`, `dependency_missing`,
            `new_dependency`, `removed_dependency`, `stale_dependency`.
        reason: a short phrase, as the UI shows it.
        partition_key: the stale partition, for a partitioned asset.
        dependency: the parent the cause is about, if any.
        dependency_partition_key: the parent's partition, if any.
        evidence: "was" and "now" values (e.g. the old and new code version).

    Example:
        ```python
        from headwater import (AssetKey, Definitions, HeadwaterInstance, StaleStatus,
                               asset, materialize)

        @asset(code_version="1")
        def report() -> int:
            return 1

        instance = HeadwaterInstance.ephemeral()
        materialize([report], instance=instance)

        @asset(code_version="2")
        def report() -> int:
            return 2

        defs = Definitions(assets=[report])
        assert defs.get_stale_status(AssetKey("report"), instance) == StaleStatus.STALE
        [cause] = defs.get_stale_causes(AssetKey("report"), instance)
        print(cause.text)
        ```
    """

    key: AssetKey
    category: StaleCauseCategory
    kind: str
    reason: str
    partition_key: str | None = None
    dependency: AssetKey | None = None
    dependency_partition_key: str | None = None
    evidence: Mapping[str, str | None] = field(default_factory=dict)

    @property
    def asset_key(self) -> AssetKey:
        return self.key

    @property
    def text(self) -> str:
        what = _label(self.key, self.partition_key)
        if self.dependency is not None:
            dep = _label(self.dependency, self.dependency_partition_key)
            sentence = f"{what}: {dep} {self.reason}"
        else:
            sentence = f"{what}: {self.reason}"
        was, now = self.evidence.get("was"), self.evidence.get("now")
        if was is not None or now is not None:
            sentence += f" (was {_quote(was)}, now {_quote(now)})"
        return sentence + "."

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key.to_user_string(), "partition": self.partition_key,
            "category": self.category.value, "kind": self.kind, "reason": self.reason,
            "dependency": self.dependency.to_user_string() if self.dependency else None,
            "dependency_partition": self.dependency_partition_key,
            "evidence": dict(self.evidence), "text": self.text,
        }


def _label(key: AssetKey, partition: str | None) -> str:
    text = key.to_user_string()
    return f"{text} [{partition}]" if partition is not None else text


def _quote(value: str | None) -> str:
    return "nothing" if value is None else repr(value)


class StalenessGraph(Protocol):
    """What staleness needs to know about the definitions."""

    def parents(self, key: AssetKey) -> Iterable[AssetKey]: ...
    def code_version(self, key: AssetKey) -> str | None: ...
    def is_source(self, key: AssetKey) -> bool: ...  # observed or external, never materialized
    def is_partitioned(self, key: AssetKey) -> bool: ...

    def upstream_partitions(self, key: AssetKey, partition: str | None,
                            parent: AssetKey) -> Sequence[str | None]:
        """The partitions of `parent` that `partition` of `key` reads; [None] when the
        parent is unpartitioned."""


class VersionReader(Protocol):
    """What staleness reads from the instance."""

    def get_latest_data_version_record(self, key: Any, is_source: bool | None = None,
                                       partition_key: str | None = None) -> Any: ...

    def get_latest_data_version_records(self, key: AssetKey, partition_keys: Sequence[str],
                                        is_source: bool = False) -> Mapping[str, Any]: ...


@dataclass(frozen=True, slots=True)
class InputVersion:
    """A parent's current data version as one input sees it, and the event it comes from."""

    data_version: DataVersion
    storage_id: int | None
    partitions: tuple[str | None, ...] = (None,)


class StalenessResolver:
    """Answers staleness questions for one state of the instance (reads are cached: make a
    new resolver to see newer events)."""

    def __init__(self, graph: StalenessGraph, instance: VersionReader):
        self.graph = graph
        self.instance = instance
        self._records: dict[tuple[AssetKey, str | None], Any] = {}
        self._causes: dict[tuple[AssetKey, str | None], list[StaleCause]] = {}
        # The partitions each key has entries for in the two caches, so that `forget` costs
        # what it drops, not the size of the caches.
        self._partitions: dict[AssetKey, set[str | None]] = {}

    # --- what was recorded ----------------------------------------------------------------
    def prime(self, key: AssetKey, partition: str | None, record: Any) -> None:
        """Give the latest materialization of an asset partition read in bulk elsewhere."""
        if not self.graph.is_source(key):
            self._records.setdefault((key, partition), record)
            self._partitions.setdefault(key, set()).add(partition)

    def forget(self, keys: Collection[AssetKey], records_of: Collection[AssetKey] = ()) -> None:
        """Drop the answers cached for `keys` (any partition) and the records read for
        `records_of`: what a new event of `records_of` may change, when `keys` holds them and
        their descendants. The rest stays cached."""
        for key in keys:
            for partition in self._partitions.get(key, ()):
                self._causes.pop((key, partition), None)
        for key in records_of:
            for partition in self._partitions.get(key, ()):
                self._records.pop((key, partition), None)

    def latest_record(self, key: AssetKey, partition: str | None = None) -> Any:
        """The latest materialization (observation, for a source) of the asset partition."""
        cache_key = (key, partition)
        if cache_key not in self._records:
            self._records[cache_key] = self.instance.get_latest_data_version_record(
                key, is_source=self.graph.is_source(key), partition_key=partition)
            self._partitions.setdefault(key, set()).add(partition)
        return self._records[cache_key]

    def current_data_version(self, key: AssetKey, partition: str | None = None
                             ) -> tuple[DataVersion, int | None]:
        """(data version, storage id of its event) of the asset partition now."""
        record = self.latest_record(key, partition)
        return _version_of(record, self.graph.is_source(key))

    def input_versions(self, key: AssetKey, partition: str | None = None
                       ) -> dict[AssetKey, InputVersion]:
        """Each parent's data version as `partition` of `key` reads it now."""
        out: dict[AssetKey, InputVersion] = {}
        for parent in self.graph.parents(key):
            partitions = tuple(self.graph.upstream_partitions(key, partition, parent))
            if partitions in ((None,), ()) or len(partitions) == 1:
                version, storage_id = self.current_data_version(parent, partitions[0]
                                                                if partitions else None)
                out[parent] = InputVersion(version, storage_id, partitions or (None,))
                continue
            out[parent] = self._many_partitions(parent, [p for p in partitions if p is not None])
        return out

    def _many_partitions(self, parent: AssetKey, partitions: list[str]) -> InputVersion:
        is_source = self.graph.is_source(parent)
        records = self.instance.get_latest_data_version_records(parent, partitions, is_source)
        versions: dict[str, DataVersion] = {}
        newest: int | None = None
        for partition in partitions:
            record = records.get(partition)
            version, storage_id = _version_of(record, is_source)
            versions[partition] = version
            if storage_id is not None and (newest is None or storage_id > newest):
                newest = storage_id
        return InputVersion(combine_data_versions(versions), newest, tuple(partitions))

    # --- the answers --------------------------------------------------------------------
    def status(self, key: AssetKey, partition: str | None = None) -> StaleStatus:
        if self.graph.is_source(key):
            return StaleStatus.FRESH
        if self.latest_record(key, partition) is None:
            return StaleStatus.MISSING
        return StaleStatus.STALE if self.causes(key, partition) else StaleStatus.FRESH

    def causes(self, key: AssetKey, partition: str | None = None) -> list[StaleCause]:
        """Why the asset partition is stale (empty when fresh or missing)."""
        cache_key = (key, partition)
        found = self._causes.get(cache_key)
        if found is None:
            found = self._compute_causes(key, partition)
            self._causes[cache_key] = found
            self._partitions.setdefault(key, set()).add(partition)
        return found

    def own_causes(self, key: AssetKey, partition: str | None = None) -> list[StaleCause]:
        """The CODE and DATA causes only: what changed for this asset itself."""
        return [c for c in self.causes(key, partition)
                if c.category is not StaleCauseCategory.DEPENDENCIES]

    def _compute_causes(self, key: AssetKey, partition: str | None) -> list[StaleCause]:
        if self.graph.is_source(key):
            return []
        record = self.latest_record(key, partition)
        if record is None:
            return []
        tags = _tags_of(record)
        causes: list[StaleCause] = []
        current = self.graph.code_version(key)
        recorded = DataProvenance.from_tags(tags)
        if current is not None and (recorded is None or recorded.code_version != current):
            causes.append(StaleCause(
                key, StaleCauseCategory.CODE, "code_version_changed", "code version changed",
                partition, evidence={"was": recorded.code_version if recorded else None,
                                     "now": current}))
        inputs = self.input_versions(key, partition)
        for parent, now in inputs.items():
            dep_partition = now.partitions[0] if len(now.partitions) == 1 else None
            cause = _data_cause(key, partition, parent, dep_partition, now, recorded)
            if cause is not None:
                causes.append(cause)
        if recorded is not None:
            for parent in sorted(set(recorded.input_data_versions) - set(inputs)):
                causes.append(StaleCause(
                    key, StaleCauseCategory.DATA, "removed_dependency", "was removed as a dependency",
                    partition, parent))
        causes.extend(self._dependency_causes(key, partition, inputs))
        return causes

    def _dependency_causes(self, key: AssetKey, partition: str | None,
                           inputs: Mapping[AssetKey, InputVersion]) -> list[StaleCause]:
        causes = []
        for parent, now in inputs.items():
            if self.graph.is_source(parent) or len(now.partitions) > MAX_DEPENDENCY_PARTITIONS:
                continue
            for dep_partition in now.partitions:
                if self.status(parent, dep_partition) is StaleStatus.STALE:
                    causes.append(StaleCause(
                        key, StaleCauseCategory.DEPENDENCIES, "stale_dependency", "is stale",
                        partition, parent, dep_partition))
                    break
        return causes

    def stale_keys(self, keys: Iterable[AssetKey]) -> dict[AssetKey, list[StaleCause]]:
        """{key: causes} for the stale unpartitioned assets among `keys` (parents first, so
        that each asset's staleness is computed once)."""
        out = {}
        for key in parents_first(self.graph, keys):
            if self.graph.is_partitioned(key):
                continue
            causes = self.causes(key)
            if causes:
                out[key] = causes
        return out


def _data_cause(key: AssetKey, partition: str | None, parent: AssetKey, dep_partition: str | None,
                now: InputVersion, recorded: DataProvenance | None) -> StaleCause | None:
    if now.data_version == NULL_DATA_VERSION:
        return StaleCause(key, StaleCauseCategory.DATA, "dependency_missing",
                          "is missing (never materialized, or wiped)", partition, parent,
                          dep_partition)
    if recorded is None:
        return None  # materialized before provenance was recorded: nothing to compare with
    was = recorded.input_data_versions.get(parent)
    if was is None:
        return StaleCause(key, StaleCauseCategory.DATA, "new_dependency",
                          "is a new dependency since it was materialized", partition, parent,
                          dep_partition)
    if was != now.data_version:
        return StaleCause(key, StaleCauseCategory.DATA, "new_data_version",
                          "has a new data version", partition, parent, dep_partition,
                          evidence={"was": was.value, "now": now.data_version.value})
    return None


def _tags_of(record: Any) -> Mapping[str, str]:
    event = record.asset_event if hasattr(record, "asset_event") else record
    return getattr(event, "tags", None) or {}


def _version_of(record: Any, is_source: bool) -> tuple[DataVersion, int | None]:
    if record is None:
        return (DEFAULT_DATA_VERSION if is_source else NULL_DATA_VERSION), None
    version = data_version_from_tags(_tags_of(record))
    storage_id = getattr(record, "storage_id", None)
    if version is None:
        # An event recorded without a data version (a runless report, an older run): each
        # such event is its own version, so that a newer one counts as new data.
        version = DEFAULT_DATA_VERSION if is_source else DataVersion(f"event:{storage_id}")
    return version, storage_id


def parents_first(graph: StalenessGraph, keys: Iterable[AssetKey]) -> list[AssetKey]:
    wanted = set(keys)
    order: list[AssetKey] = []
    seen: set[AssetKey] = set()
    for start in sorted(wanted):
        stack: list[tuple[AssetKey, bool]] = [(start, False)]
        while stack:
            key, done = stack.pop()
            if done:
                order.append(key)
                continue
            if key in seen:
                continue
            seen.add(key)
            stack.append((key, True))
            stack.extend((p, False) for p in graph.parents(key) if p not in seen)
    return [k for k in order if k in wanted]


class AssetGraphStaleness:
    """A StalenessGraph over an `AssetGraph` (definitions loaded in this process)."""

    def __init__(self, asset_graph: Any, dynamic_partitions_store: Any = None):
        self.asset_graph = asset_graph
        self.store = dynamic_partitions_store

    def parents(self, key: AssetKey) -> Iterable[AssetKey]:
        return sorted(self.asset_graph.parents(key))

    def code_version(self, key: AssetKey) -> str | None:
        return self.asset_graph.code_version(key)

    def is_source(self, key: AssetKey) -> bool:
        return key not in self.asset_graph.materializable_keys

    def partitions_def(self, key: AssetKey) -> Any:
        spec = self.asset_graph.spec_by_key[key]
        return spec.partitions_def or self.asset_graph.assets_def_by_key[key].partitions_def

    def is_partitioned(self, key: AssetKey) -> bool:
        return self.partitions_def(key) is not None

    def maps_one_to_one(self, key: AssetKey, parent: AssetKey) -> bool:
        """Whether each partition of `key` reads the same partition of `parent` (the same
        partitions, through an identity or a zero-offset time-window mapping)."""
        up_def, down_def = self.partitions_def(parent), self.partitions_def(key)
        if up_def is None or down_def is None or up_def != down_def:
            return False
        explicit = self.asset_graph.assets_def_by_key[key].get_partition_mapping(parent)
        mapping = infer_partition_mapping(explicit, up_def, down_def)
        if isinstance(mapping, TimeWindowPartitionMapping):
            return mapping.start_offset == 0 and mapping.end_offset == 0
        return isinstance(mapping, IdentityPartitionMapping)

    def upstream_partitions(self, key: AssetKey, partition: str | None,
                            parent: AssetKey) -> Sequence[str | None]:
        up_def = self.partitions_def(parent)
        if up_def is None:
            return [None]
        down_def = self.partitions_def(key)
        explicit = self.asset_graph.assets_def_by_key[key].get_partition_mapping(parent)
        with partition_loading_context(dynamic_partitions_store=self.store):
            if down_def is None or partition is None:
                return [str(k) for k in up_def.get_partition_keys()]
            mapping = infer_partition_mapping(explicit, up_def, down_def)
            subset = down_def.empty_subset().with_partition_keys([partition])
            result = mapping.get_upstream_mapped_partitions_result_for_partitions(
                subset, down_def, up_def)
            return sorted(str(k) for k in result.partitions_subset.get_partition_keys())
