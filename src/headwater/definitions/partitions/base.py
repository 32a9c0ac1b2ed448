"""Partitions: how an asset or job splits its data into named chunks (partition keys).

`PartitionsDefinition` is the contract every kind keeps: its keys (in order, as of a
current time and, for dynamic partitions, an instance), key ranges, and subsets of its keys
(`PartitionsSubset`, which serialize to JSON for storage). This module holds the base, the
static and dynamic kinds, `PartitionKeyRange`, the default subset, and
`partition_loading_context`, which fixes "now" and the dynamic-partitions store for every
call made inside it. Time windows live in `time_window_partitions.py`, several dimensions
in `multi_partitions.py`. Pure declarations: imports `errors` and `definitions` only.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NamedTuple

from headwater.definitions.tags import PARTITION_TAG
from headwater.errors import (
    HeadwaterInvalidDefinitionError,
    HeadwaterInvalidInvocationError,
    HeadwaterUnknownPartitionError,
)


class PartitionKeyRange(NamedTuple):
    """The partition keys from `start` to `end`, both included, in the definition's order.

    Used to run or backfill a range of partitions in one go (see BackfillPolicy) and returned
    by partition mappings and contexts (`context.partition_key_range`).

    Args:
        start: the first key of the range.
        end: the last key of the range.

    Example:
        ```python
        from headwater import DailyPartitionsDefinition, PartitionKeyRange

        days = DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-10")
        week = PartitionKeyRange("2024-01-02", "2024-01-04")
        assert days.get_partition_keys_in_range(week) == ["2024-01-02", "2024-01-03", "2024-01-04"]
        ```
    """

    start: str
    end: str


class _LoadingContext(NamedTuple):
    effective_dt: datetime | None
    dynamic_partitions_store: Any


_CONTEXT: contextvars.ContextVar[_LoadingContext] = contextvars.ContextVar(
    "headwater_partition_loading_context", default=_LoadingContext(None, None))  # noqa: B039


@contextmanager
def partition_loading_context(effective_dt: datetime | None = None,
                              dynamic_partitions_store: Any = None, *,
                              new_ctx: Any = None) -> Iterator[_LoadingContext]:
    """Compute partition keys as of a given time, and read dynamic partitions from an instance.

    A context manager: within the block, time-window partitions end at `effective_dt`
    (default: now) and dynamic partitions are read from `dynamic_partitions_store` (an
    instance), so calls that take neither argument see them.

    Args:
        effective_dt: the time partition keys are computed at.
        dynamic_partitions_store: the instance holding dynamic partitions.
        new_ctx: a context yielded by an earlier block, to restore as it was.

    Example:
        ```python
        from datetime import datetime, timezone

        from headwater import DailyPartitionsDefinition, partition_loading_context

        days = DailyPartitionsDefinition(start_date="2024-01-01")
        with partition_loading_context(datetime(2024, 1, 4, tzinfo=timezone.utc)):
            assert days.get_partition_keys() == ["2024-01-01", "2024-01-02", "2024-01-03"]
        ```
    """
    outer = _CONTEXT.get()
    ctx = new_ctx or _LoadingContext(effective_dt or outer.effective_dt,
                                     dynamic_partitions_store or outer.dynamic_partitions_store)
    token = _CONTEXT.set(ctx)
    try:
        yield ctx
    finally:
        _CONTEXT.reset(token)


def current_time(given: datetime | None = None) -> datetime | None:
    """The time partitions are computed at: the argument, else the loading context's."""
    return given if given is not None else _CONTEXT.get().effective_dt


def dynamic_store(given: Any = None) -> Any:
    return given if given is not None else _CONTEXT.get().dynamic_partitions_store


class PartitionsDefinition:
    """The keys an asset or job is split into; the base of every partitions definition.

    Pass a definition as `partitions_def=` of an asset or job; each run then computes one
    partition (or a range). Use the concrete classes: StaticPartitionsDefinition,
    DailyPartitionsDefinition and the other time windows, DynamicPartitionsDefinition,
    MultiPartitionsDefinition. A subclass implements `get_partition_keys`.

    Example:
        ```python
        from headwater import PartitionsDefinition, StaticPartitionsDefinition

        regions = StaticPartitionsDefinition(["eu", "us"])
        assert isinstance(regions, PartitionsDefinition)
        assert regions.has_partition_key("eu") and not regions.has_partition_key("apac")
        ```
    """

    #: a short noun for messages
    kind = "partitions"

    def get_partition_keys(self, current_time: datetime | None = None,
                           dynamic_partitions_store: Any = None) -> Sequence[str]:
        raise NotImplementedError

    # --- keys ---------------------------------------------------------------------------
    def get_num_partitions(self, current_time: datetime | None = None,
                           dynamic_partitions_store: Any = None) -> int:
        return len(self.get_partition_keys(current_time, dynamic_partitions_store))

    def has_partition_key(self, partition_key: str, current_time: datetime | None = None,
                          dynamic_partitions_store: Any = None) -> bool:
        return partition_key in set(self.get_partition_keys(current_time, dynamic_partitions_store))

    def get_first_partition_key(self, current_time: datetime | None = None,
                                dynamic_partitions_store: Any = None) -> str | None:
        keys = self.get_partition_keys(current_time, dynamic_partitions_store)
        return keys[0] if keys else None

    def get_last_partition_key(self, current_time: datetime | None = None,
                               dynamic_partitions_store: Any = None) -> str | None:
        keys = self.get_partition_keys(current_time, dynamic_partitions_store)
        return keys[-1] if keys else None

    def get_partition_keys_between_indexes(self, start_idx: int, end_idx: int,
                                           current_time: datetime | None = None) -> list[str]:
        return list(self.get_partition_keys(current_time)[start_idx:end_idx])

    def get_partition_keys_in_range(self, partition_key_range: PartitionKeyRange,
                                    dynamic_partitions_store: Any = None) -> list[str]:
        keys = list(self.get_partition_keys(dynamic_partitions_store=dynamic_partitions_store))
        index = {k: i for i, k in enumerate(keys)}
        missing = [k for k in (partition_key_range.start, partition_key_range.end) if k not in index]
        if missing:
            raise HeadwaterInvalidInvocationError(
                f"Partition range {partition_key_range.start} to {partition_key_range.end} does "
                f"not fit {self!r}: {missing} are not among its partition keys. "
                f"{describe_valid_keys(keys)}"
            )
        return keys[index[partition_key_range.start]:index[partition_key_range.end] + 1]

    def get_partition_key_range_for_keys(self, partition_keys: Sequence[str]) -> PartitionKeyRange:
        return PartitionKeyRange(partition_keys[0], partition_keys[-1])

    def validate_partition_key(self, partition_key: str, dynamic_partitions_store: Any = None,
                               owner: str = "") -> None:
        """Raise HeadwaterUnknownPartitionError, naming the valid keys, for an unknown key."""
        if self.has_partition_key(partition_key, dynamic_partitions_store=dynamic_partitions_store):
            return
        keys = self.get_partition_keys(dynamic_partitions_store=dynamic_partitions_store)
        where = f" of {owner}" if owner else ""
        raise HeadwaterUnknownPartitionError(
            f"Could not find a partition with key `{partition_key}`{where} in {self}. "
            f"{describe_valid_keys(keys)}"
        )

    def get_tags_for_partition_key(self, partition_key: str) -> dict[str, str]:
        return {PARTITION_TAG: partition_key}

    def get_serializable_unique_identifier(self, dynamic_partitions_store: Any = None) -> str:
        import hashlib
        keys = self.get_partition_keys(dynamic_partitions_store=dynamic_partitions_store)
        return hashlib.sha1(json.dumps(list(keys)).encode()).hexdigest()

    # --- subsets ------------------------------------------------------------------------
    def empty_subset(self) -> PartitionsSubset:
        return DefaultPartitionsSubset()

    def subset_with_partition_keys(self, partition_keys: Iterable[str]) -> PartitionsSubset:
        return self.empty_subset().with_partition_keys(partition_keys)

    def subset_with_all_partitions(self, current_time: datetime | None = None,
                                   dynamic_partitions_store: Any = None) -> PartitionsSubset:
        return self.subset_with_partition_keys(
            self.get_partition_keys(current_time, dynamic_partitions_store))

    def deserialize_subset(self, serialized: str) -> PartitionsSubset:
        return DefaultPartitionsSubset.from_serialized(serialized)


def describe_valid_keys(keys: Sequence[str]) -> str:
    if not keys:
        return "It has no partitions yet."
    if len(keys) <= 6:
        return f"Valid keys: {', '.join(repr(k) for k in keys)}."
    return f"Valid keys run from {keys[0]!r} to {keys[-1]!r} ({len(keys)} keys)."


class PartitionsSubset:
    """A set of partition keys of one definition; immutable, combinable with | & -."""

    def get_partition_keys(self, current_time: datetime | None = None) -> Any:
        raise NotImplementedError

    def with_partition_keys(self, partition_keys: Iterable[str]) -> PartitionsSubset:
        raise NotImplementedError

    def with_partition_key_range(self, partitions_def: PartitionsDefinition,
                                 partition_key_range: PartitionKeyRange,
                                 dynamic_partitions_store: Any = None) -> PartitionsSubset:
        return self.with_partition_keys(partitions_def.get_partition_keys_in_range(
            partition_key_range, dynamic_partitions_store=dynamic_partitions_store))

    def get_partition_keys_not_in_subset(self, partitions_def: PartitionsDefinition,
                                         current_time: datetime | None = None,
                                         dynamic_partitions_store: Any = None) -> list[str]:
        have = set(self.get_partition_keys())
        return [k for k in partitions_def.get_partition_keys(current_time, dynamic_partitions_store)
                if k not in have]

    def get_partition_key_ranges(self, partitions_def: PartitionsDefinition,
                                 current_time: datetime | None = None,
                                 dynamic_partitions_store: Any = None) -> list[PartitionKeyRange]:
        """Maximal runs of consecutive keys (in the definition's order) that are in the subset."""
        multi = getattr(partitions_def, "ranges_for_subset", None)
        if multi is not None:
            return multi(self)
        have = set(self.get_partition_keys())
        return runs_of(partitions_def.get_partition_keys(current_time, dynamic_partitions_store),
                       have)

    @property
    def is_empty(self) -> bool:
        return len(self) == 0

    def __bool__(self) -> bool:
        return not self.is_empty

    def __len__(self) -> int:
        return len(self.get_partition_keys())

    def __contains__(self, key: object) -> bool:
        return key in set(self.get_partition_keys())

    def __iter__(self) -> Iterator[str]:
        return iter(self.get_partition_keys())

    def __or__(self, other: PartitionsSubset) -> PartitionsSubset:
        return self.with_partition_keys(other.get_partition_keys())

    def __and__(self, other: PartitionsSubset) -> PartitionsSubset:
        theirs = set(other.get_partition_keys())
        return self.empty_subset().with_partition_keys(
            k for k in self.get_partition_keys() if k in theirs)

    def __sub__(self, other: PartitionsSubset) -> PartitionsSubset:
        theirs = set(other.get_partition_keys())
        return self.empty_subset().with_partition_keys(
            k for k in self.get_partition_keys() if k not in theirs)

    def empty_subset(self) -> PartitionsSubset:
        raise NotImplementedError

    def serialize(self) -> str:
        raise NotImplementedError


def runs_of(keys: Sequence[str], have: set[str]) -> list[PartitionKeyRange]:
    ranges: list[PartitionKeyRange] = []
    start = prev = None
    for key in keys:
        if key in have:
            if start is None:
                start = key
            prev = key
        elif start is not None:
            ranges.append(PartitionKeyRange(start, prev))  # type: ignore[arg-type]
            start = None
    if start is not None:
        ranges.append(PartitionKeyRange(start, prev))  # type: ignore[arg-type]
    return ranges


class DefaultPartitionsSubset(PartitionsSubset):
    """A subset held as a set of keys (static, dynamic and multi-dimensional partitions)."""

    __slots__ = ("subset",)

    def __init__(self, subset: Iterable[str] | None = None):
        self.subset = frozenset(subset or ())

    def get_partition_keys(self, current_time: datetime | None = None) -> set[str]:
        return set(self.subset)

    def with_partition_keys(self, partition_keys: Iterable[str]) -> DefaultPartitionsSubset:
        return DefaultPartitionsSubset(self.subset | set(partition_keys))

    def empty_subset(self) -> DefaultPartitionsSubset:
        return DefaultPartitionsSubset()

    def __len__(self) -> int:
        return len(self.subset)

    def __contains__(self, key: object) -> bool:
        return key in self.subset

    def serialize(self) -> str:
        return json.dumps({"version": 1, "subset": sorted(self.subset)})

    def __serdes_state__(self) -> dict[str, Any]:
        return {"subset": sorted(self.subset)}  # sorted: equal subsets encode equally

    @staticmethod
    def from_serialized(serialized: str) -> DefaultPartitionsSubset:
        data = json.loads(serialized)
        if isinstance(data, dict):
            data = data.get("subset", [])
        return DefaultPartitionsSubset(data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DefaultPartitionsSubset) and self.subset == other.subset

    def __hash__(self) -> int:
        return hash(self.subset)

    def __repr__(self) -> str:
        return f"DefaultPartitionsSubset(subset={set(self.subset)!r})"


# '...' separates the two ends of a key range in run tags and the UI; control characters
# break tags, file names and log lines
_FORBIDDEN_IN_KEYS = ("...", "\a", "\b", "\f", "\n", "\r", "\t", "\v", "\0")


def check_partition_key_chars(key: str, owner: str) -> None:
    for forbidden in _FORBIDDEN_IN_KEYS:
        if forbidden in key:
            raise HeadwaterInvalidDefinitionError(
                f"{owner}: partition key {key!r} contains {forbidden!r}, which partition keys "
                f"may not contain (none of {', '.join(repr(f) for f in _FORBIDDEN_IN_KEYS)}). "
                "Rename the partition."
            )


class StaticPartitionsDefinition(PartitionsDefinition):
    """A fixed list of partition keys, e.g. regions or customers.

    Keys keep the order given. A key that is not a string, a duplicate, or a key holding a
    character reserved for key syntax raises HeadwaterInvalidDefinitionError.

    Args:
        partition_keys: the keys, in order.

    Example:
        ```python
        from headwater import StaticPartitionsDefinition, asset, materialize

        regions = StaticPartitionsDefinition(["eu", "us", "apac"])

        @asset(partitions_def=regions)
        def sales(context) -> str:
            return f"sales of {context.partition_key}"

        result = materialize([sales], partition_key="us")
        assert result.output_for_node("sales") == "sales of us"
        ```
    """

    kind = "static partitions"

    def __init__(self, partition_keys: Sequence[str]):
        keys = list(partition_keys)
        bad = [k for k in keys if not isinstance(k, str)]
        if bad:
            raise HeadwaterInvalidDefinitionError(
                f"StaticPartitionsDefinition: partition keys must be strings; got {bad!r}.")
        for key in keys:
            check_partition_key_chars(key, "StaticPartitionsDefinition")
        seen: set[str] = set()
        dupes = sorted({k for k in keys if k in seen or seen.add(k)})  # type: ignore[func-returns-value]
        if dupes:
            raise HeadwaterInvalidDefinitionError(
                f"StaticPartitionsDefinition lists {dupes} more than once; each partition key "
                "may appear only once. Remove the repeats.")
        self._keys = keys
        self._key_set = frozenset(keys)

    def get_partition_keys(self, current_time: datetime | None = None,
                           dynamic_partitions_store: Any = None) -> list[str]:
        return list(self._keys)

    def has_partition_key(self, partition_key: str, current_time: datetime | None = None,
                          dynamic_partitions_store: Any = None) -> bool:
        return partition_key in self._key_set

    def get_num_partitions(self, current_time: datetime | None = None,
                           dynamic_partitions_store: Any = None) -> int:
        return len(self._keys)

    def get_serializable_unique_identifier(self, dynamic_partitions_store: Any = None) -> str:
        import hashlib
        return hashlib.sha1(json.dumps(self._keys).encode()).hexdigest()

    def __serdes_state__(self) -> dict[str, Any]:
        return {"partition_keys": list(self._keys)}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StaticPartitionsDefinition) and self._keys == other._keys

    def __hash__(self) -> int:
        return hash(tuple(self._keys))

    def __repr__(self) -> str:
        return f"StaticPartitionsDefinition(partition_keys={self._keys!r})"

    def __str__(self) -> str:
        return ", ".join(repr(k) for k in self._keys)


class DynamicPartitionsDefinition(PartitionsDefinition):
    """Partitions whose keys are added and removed at run time, kept by the instance.

    Use it when the keys are discovered (files landing, customers signing up): a sensor adds
    them with `build_add_request` in its SensorResult, or code calls
    `instance.add_dynamic_partitions(name, keys)`. Give exactly one of `name` and
    `partition_fn`, else HeadwaterInvalidDefinitionError.

    Args:
        partition_fn: (deprecated) a function returning the keys.
        name: the name the instance keeps the keys under.

    Example:
        ```python
        from headwater import DynamicPartitionsDefinition, HeadwaterInstance, asset, materialize

        files = DynamicPartitionsDefinition(name="files")

        @asset(partitions_def=files)
        def parsed(context) -> str:
            return context.partition_key.upper()

        instance = HeadwaterInstance.ephemeral()
        instance.add_dynamic_partitions("files", ["a.csv", "b.csv"])
        result = materialize([parsed], partition_key="b.csv", instance=instance)
        assert result.output_for_node("parsed") == "B.CSV"
        ```
    """

    kind = "dynamic partitions"

    def __init__(self, partition_fn: Callable[..., Sequence[Any]] | None = None,
                 name: str | None = None):
        if (partition_fn is None) == (name is None):
            raise HeadwaterInvalidDefinitionError(
                "DynamicPartitionsDefinition needs exactly one of name= (keys kept by the instance) "
                "or partition_fn= (deprecated: keys from a function)."
            )
        self.partition_fn = partition_fn
        self.name = name

    def get_partition_keys(self, current_time: datetime | None = None,
                           dynamic_partitions_store: Any = None) -> list[str]:
        if self.partition_fn is not None:
            found = self.partition_fn(current_time)
            return [getattr(k, "name", k) for k in found]
        store = dynamic_store(dynamic_partitions_store)
        if store is None:
            raise HeadwaterInvalidInvocationError(
                f"The keys of DynamicPartitionsDefinition '{self.name}' live in an instance: pass "
                "dynamic_partitions_store=instance, or call inside "
                "`with partition_loading_context(dynamic_partitions_store=instance):`."
            )
        return list(store.get_dynamic_partitions(self.name))

    def has_partition_key(self, partition_key: str, current_time: datetime | None = None,
                          dynamic_partitions_store: Any = None) -> bool:
        if self.partition_fn is not None:
            return partition_key in self.get_partition_keys(current_time)
        store = dynamic_store(dynamic_partitions_store)
        if store is not None and hasattr(store, "has_dynamic_partition"):
            return bool(store.has_dynamic_partition(self.name, partition_key))
        return partition_key in self.get_partition_keys(current_time, store)

    def validate_partition_key(self, partition_key: str, dynamic_partitions_store: Any = None,
                               owner: str = "") -> None:
        """As for every definition, with the fix for a key not added yet."""
        try:
            super().validate_partition_key(partition_key, dynamic_partitions_store, owner)
        except HeadwaterUnknownPartitionError as exc:
            if self.name is None:
                raise
            raise HeadwaterUnknownPartitionError(
                f"{exc} Add it first: instance.add_dynamic_partitions({self.name!r}, "
                f"[{partition_key!r}]) or a sensor's "
                "dynamic_partitions_requests.") from None

    def build_add_request(self, partition_keys: Sequence[str]) -> Any:
        return AddDynamicPartitionsRequest(self._require_name(), list(partition_keys))

    def build_delete_request(self, partition_keys: Sequence[str]) -> Any:
        return DeleteDynamicPartitionsRequest(self._require_name(), list(partition_keys))

    def _require_name(self) -> str:
        if self.name is None:
            raise HeadwaterInvalidInvocationError(
                "Only a named DynamicPartitionsDefinition(name=...) can add or delete keys.")
        return self.name

    def __serdes_state__(self) -> dict[str, Any]:
        return {"name": self.name}

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, DynamicPartitionsDefinition) and self.name == other.name
                and self.partition_fn == other.partition_fn)

    def __hash__(self) -> int:
        return hash(("dynamic", self.name))

    def __repr__(self) -> str:
        return f"DynamicPartitionsDefinition(partition_fn={self.partition_fn!r}, name={self.name!r})"

    def __str__(self) -> str:
        return f"Dynamic partitions '{self.name}'" if self.name else "Dynamic partitions"


class AddDynamicPartitionsRequest(NamedTuple):
    """A sensor's request to add keys to a dynamic partitions definition.

    Return it in `SensorResult(dynamic_partitions_requests=[...])`; the keys are added before
    the sensor's run requests launch. `DynamicPartitionsDefinition.build_add_request` builds
    one.

    Args:
        partitions_def_name: the name of the dynamic partitions definition.
        partition_keys: the keys to add.

    Example:
        ```python
        from headwater import AddDynamicPartitionsRequest, DynamicPartitionsDefinition

        files = DynamicPartitionsDefinition(name="files")
        request = files.build_add_request(["a.csv"])
        assert request == AddDynamicPartitionsRequest("files", ["a.csv"])
        ```
    """

    partitions_def_name: str
    partition_keys: Sequence[str]


class DeleteDynamicPartitionsRequest(NamedTuple):
    """A sensor's request to delete keys from a dynamic partitions definition.

    Return it in `SensorResult(dynamic_partitions_requests=[...])`;
    `DynamicPartitionsDefinition.build_delete_request` builds one.

    Args:
        partitions_def_name: the name of the dynamic partitions definition.
        partition_keys: the keys to delete.

    Example:
        ```python
        from headwater import DeleteDynamicPartitionsRequest, DynamicPartitionsDefinition

        files = DynamicPartitionsDefinition(name="files")
        request = files.build_delete_request(["old.csv"])
        assert isinstance(request, DeleteDynamicPartitionsRequest)
        assert list(request.partition_keys) == ["old.csv"]
        ```
    """

    partitions_def_name: str
    partition_keys: Sequence[str]
