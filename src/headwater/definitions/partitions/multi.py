"""Two-dimensional partitions: every pair of keys of two partitions definitions.

A `MultiPartitionKey` is a `str` ("a|2024-01-05": the dimension keys joined by "|" in the
order of the dimension names) that also knows `keys_by_dimension`. The primary dimension
is the time-window one, if any, else the first by name. Imports `errors` and this layer's
`partitions`, `time_window_partitions`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from headwater.definitions.partitions.base import (
    DefaultPartitionsSubset,
    DynamicPartitionsDefinition,
    PartitionKeyRange,
    PartitionsDefinition,
    PartitionsSubset,
    StaticPartitionsDefinition,
    runs_of,
)
from headwater.definitions.partitions.time_window import TimeWindowPartitionsDefinition
from headwater.definitions.tags import MULTIDIMENSIONAL_PARTITION_PREFIX, PARTITION_TAG
from headwater.errors import HeadwaterInvalidDefinitionError, HeadwaterInvariantViolationError

_RESERVED = ("|", ",", "[", "]")


class MultiPartitionKey(str):
    """A key of a MultiPartitionsDefinition: a str, plus `keys_by_dimension`.

    As a string it is the dimension keys joined by "|" in the order of the dimension names
    ("2024-01-05|eu" for dimensions "date" and "region"); `keys_by_dimension` gives them by
    name. `context.partition_key` of a multi-partitioned asset is one.

    Args:
        keys_by_dimension: the key of each dimension, by dimension name.

    Example:
        ```python
        from headwater import MultiPartitionKey

        key = MultiPartitionKey({"region": "eu", "date": "2024-01-05"})
        assert key == "2024-01-05|eu"
        assert key.keys_by_dimension["region"] == "eu"
        ```
    """

    keys_by_dimension: dict[str, str]

    def __new__(cls, keys_by_dimension: Mapping[str, str]) -> MultiPartitionKey:
        ordered = sorted(keys_by_dimension.items())
        key = super().__new__(cls, "|".join(v for _, v in ordered))
        key.keys_by_dimension = dict(ordered)
        return key

    def __getnewargs__(self) -> tuple[dict[str, str]]:  # type: ignore[override]
        return (self.keys_by_dimension,)

    @property
    def dimension_keys(self) -> list[PartitionDimensionKey]:
        return [PartitionDimensionKey(n, k) for n, k in self.keys_by_dimension.items()]


class PartitionDimensionKey(NamedTuple):
    dimension_name: str
    partition_key: str


class PartitionDimensionDefinition(NamedTuple):
    """One dimension of a MultiPartitionsDefinition: its name and its partitions.

    `MultiPartitionsDefinition.partitions_defs` lists them, sorted by name.

    Args:
        name: the dimension's name.
        partitions_def: the dimension's partitions.

    Example:
        ```python
        from headwater import (DailyPartitionsDefinition, MultiPartitionsDefinition,
                               StaticPartitionsDefinition)

        multi = MultiPartitionsDefinition({
            "region": StaticPartitionsDefinition(["eu", "us"]),
            "date": DailyPartitionsDefinition(start_date="2024-01-01")})
        assert [d.name for d in multi.partitions_defs] == ["date", "region"]
        ```
    """

    name: str
    partitions_def: PartitionsDefinition


class MultiPartitionsDefinition(PartitionsDefinition):
    """Partitions over two dimensions, e.g. a date and a region.

    Each partition is a MultiPartitionKey holding one key of each dimension. Exactly two
    dimensions are supported; a multi-partitioned dimension or a dynamic one without a name
    raises HeadwaterInvalidDefinitionError.

    Args:
        partitions_defs: the two dimensions' partitions, by dimension name.

    Example:
        ```python
        from headwater import (DailyPartitionsDefinition, MultiPartitionKey,
                               MultiPartitionsDefinition, StaticPartitionsDefinition, asset,
                               materialize)

        by_day_and_region = MultiPartitionsDefinition({
            "date": DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-03"),
            "region": StaticPartitionsDefinition(["eu", "us"]),
        })

        @asset(partitions_def=by_day_and_region)
        def sales(context) -> str:
            return context.partition_key.keys_by_dimension["region"]

        assert len(by_day_and_region.get_partition_keys()) == 4
        key = MultiPartitionKey({"date": "2024-01-02", "region": "us"})
        assert materialize([sales], partition_key=key).output_for_node("sales") == "us"
        ```
    """

    kind = "multi-partitions"

    def __init__(self, partitions_defs: Mapping[str, PartitionsDefinition]):
        if len(partitions_defs) != 2:
            raise HeadwaterInvalidDefinitionError(
                "MultiPartitionsDefinition supports exactly 2 partitions definitions (dimensions); "
                f"got {len(partitions_defs)}: {sorted(partitions_defs)}.")
        for name, pdef in partitions_defs.items():
            if isinstance(pdef, MultiPartitionsDefinition):
                raise HeadwaterInvalidDefinitionError(
                    f"MultiPartitionsDefinition dimension '{name}' is itself multi-partitioned; "
                    "dimensions must be single partitions definitions.")
            if isinstance(pdef, DynamicPartitionsDefinition) and pdef.name is None:
                raise HeadwaterInvalidDefinitionError(
                    f"MultiPartitionsDefinition dimension '{name}': a DynamicPartitionsDefinition "
                    "must have a name (DynamicPartitionsDefinition(name=...)).")
            if isinstance(pdef, StaticPartitionsDefinition):
                bad = [k for k in pdef.get_partition_keys() if any(c in k for c in _RESERVED)]
                if bad:
                    raise HeadwaterInvalidDefinitionError(
                        f"MultiPartitionsDefinition dimension '{name}' has keys {bad} containing "
                        f"one of the reserved characters {' '.join(_RESERVED)}; rename them.")
        self._dims = [PartitionDimensionDefinition(n, d) for n, d in sorted(partitions_defs.items())]

    @property
    def partitions_defs(self) -> list[PartitionDimensionDefinition]:
        return list(self._dims)

    @property
    def partition_dimension_names(self) -> list[str]:
        return [d.name for d in self._dims]

    @property
    def primary_dimension(self) -> PartitionDimensionDefinition:
        for dim in self._dims:
            if isinstance(dim.partitions_def, TimeWindowPartitionsDefinition):
                return dim
        return self._dims[0]

    @property
    def secondary_dimension(self) -> PartitionDimensionDefinition:
        primary = self.primary_dimension
        return next(d for d in self._dims if d.name != primary.name)

    @property
    def time_window_dimension(self) -> PartitionDimensionDefinition | None:
        return next((d for d in self._dims
                     if isinstance(d.partitions_def, TimeWindowPartitionsDefinition)), None)

    def get_partitions_def_for_dimension(self, dimension_name: str) -> PartitionsDefinition:
        for dim in self._dims:
            if dim.name == dimension_name:
                return dim.partitions_def
        raise HeadwaterInvariantViolationError(
            f"MultiPartitionsDefinition has no dimension '{dimension_name}'; its dimensions are "
            f"{self.partition_dimension_names}.")

    # --- keys ---------------------------------------------------------------------------
    def _dim_keys(self, current_time: datetime | None, store: Any) -> list[list[str]]:
        return [list(d.partitions_def.get_partition_keys(current_time, store)) for d in self._dims]

    def get_partition_keys(self, current_time: datetime | None = None,
                           dynamic_partitions_store: Any = None) -> list[MultiPartitionKey]:
        names = self.partition_dimension_names
        return [MultiPartitionKey(dict(zip(names, combo)))
                for combo in itertools.product(*self._dim_keys(current_time,
                                                               dynamic_partitions_store))]

    def get_num_partitions(self, current_time: datetime | None = None,
                           dynamic_partitions_store: Any = None) -> int:
        a, b = (d.partitions_def.get_num_partitions(current_time, dynamic_partitions_store)
                for d in self._dims)
        return a * b

    def get_partition_key_from_str(self, partition_key_str: str) -> MultiPartitionKey:
        if isinstance(partition_key_str, MultiPartitionKey) and \
                list(partition_key_str.keys_by_dimension) == self.partition_dimension_names:
            return partition_key_str
        parts = partition_key_str.split("|")
        if len(parts) != len(self._dims):
            raise HeadwaterInvariantViolationError(
                f"'{partition_key_str}' is not a key of {self!r}: a key joins one key per "
                f"dimension ({', '.join(self.partition_dimension_names)}) with '|'.")
        return MultiPartitionKey(dict(zip(self.partition_dimension_names, parts)))

    def has_partition_key(self, partition_key: str, current_time: datetime | None = None,
                          dynamic_partitions_store: Any = None) -> bool:
        parts = partition_key.split("|") if isinstance(partition_key, str) else []
        return len(parts) == len(self._dims) and all(
            d.partitions_def.has_partition_key(p, current_time, dynamic_partitions_store)
            for d, p in zip(self._dims, parts))

    def get_partition_keys_in_range(self, partition_key_range: PartitionKeyRange,
                                    dynamic_partitions_store: Any = None) -> list[str]:
        start = self.get_partition_key_from_str(partition_key_range.start)
        end = self.get_partition_key_from_str(partition_key_range.end)
        per_dim = [d.partitions_def.get_partition_keys_in_range(
            PartitionKeyRange(start.keys_by_dimension[d.name], end.keys_by_dimension[d.name]),
            dynamic_partitions_store=dynamic_partitions_store) for d in self._dims]
        names = self.partition_dimension_names
        return [MultiPartitionKey(dict(zip(names, c))) for c in itertools.product(*per_dim)]

    def get_multipartition_keys_with_dimension_value(
            self, dimension_name: str, dimension_partition_key: str,
            current_time: datetime | None = None,
            dynamic_partitions_store: Any = None) -> list[MultiPartitionKey]:
        return self.get_multipartition_keys_with_dimension_values(
            dimension_name, [dimension_partition_key], current_time, dynamic_partitions_store)

    def get_multipartition_keys_with_dimension_values(
            self, dimension_name: str, dimension_partition_keys: Sequence[str],
            current_time: datetime | None = None,
            dynamic_partitions_store: Any = None) -> list[MultiPartitionKey]:
        self.get_partitions_def_for_dimension(dimension_name)
        other = next(d for d in self._dims if d.name != dimension_name)
        other_keys = other.partitions_def.get_partition_keys(current_time, dynamic_partitions_store)
        return [MultiPartitionKey({dimension_name: key, other.name: o})
                for key in dimension_partition_keys for o in other_keys]

    def get_tags_for_partition_key(self, partition_key: str) -> dict[str, str]:
        key = self.get_partition_key_from_str(partition_key)
        tags = {PARTITION_TAG: str(key)}
        tags.update({f"{MULTIDIMENSIONAL_PARTITION_PREFIX}{n}": k for n, k in key.keys_by_dimension.items()})
        return tags

    # --- subsets ------------------------------------------------------------------------
    def empty_subset(self) -> MultiPartitionsSubset:
        return MultiPartitionsSubset()

    def deserialize_subset(self, serialized: str) -> MultiPartitionsSubset:
        plain = DefaultPartitionsSubset.from_serialized(serialized)
        return MultiPartitionsSubset(self.get_partition_key_from_str(k) for k in plain.subset)

    def ranges_for_subset(self, subset: PartitionsSubset) -> list[PartitionKeyRange]:
        """Ranges per key of the dimension with the fewest distinct keys in the subset."""
        keys = [self.get_partition_key_from_str(k) for k in subset.get_partition_keys()]
        if not keys:
            return []
        by_dim = {d.name: {k.keys_by_dimension[d.name] for k in keys} for d in self._dims}
        group = min(self._dims, key=lambda d: len(by_dim[d.name]))
        other = next(d for d in self._dims if d.name != group.name)
        ranges = []
        for value in group.partitions_def.get_partition_keys():
            if value not in by_dim[group.name]:
                continue
            have = {k.keys_by_dimension[other.name] for k in keys
                    if k.keys_by_dimension[group.name] == value}
            for run in runs_of(other.partitions_def.get_partition_keys(), have):
                ranges.append(PartitionKeyRange(
                    MultiPartitionKey({group.name: value, other.name: run.start}),
                    MultiPartitionKey({group.name: value, other.name: run.end})))
        return ranges

    def __serdes_state__(self) -> dict[str, Any]:
        return {"partitions_defs": {d.name: d.partitions_def for d in self._dims}}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MultiPartitionsDefinition) and self._dims == other._dims

    def __hash__(self) -> int:
        return hash(tuple((d.name, d.partitions_def) for d in self._dims))

    def __repr__(self) -> str:
        dims = ", ".join(f"{d.name!r}: {d.partitions_def!r}" for d in self._dims)
        return f"MultiPartitionsDefinition({{{dims}}})"

    def __str__(self) -> str:
        lines = [f"{d.name.capitalize()}: {d.partitions_def}" for d in self._dims]
        return "Multi-partitioned, with dimensions: \n" + " \n".join(lines)


class MultiPartitionsSubset(DefaultPartitionsSubset):
    """A set of MultiPartitionKeys."""

    def with_partition_keys(self, partition_keys: Iterable[str]) -> MultiPartitionsSubset:
        return MultiPartitionsSubset(self.subset | set(partition_keys))

    def empty_subset(self) -> MultiPartitionsSubset:
        return MultiPartitionsSubset()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DefaultPartitionsSubset) and self.subset == other.subset

    __hash__ = DefaultPartitionsSubset.__hash__
