"""Partition mappings between multi-dimensional partitions: MultiPartitionMapping (each
upstream dimension to a downstream one), MultiToSingleDimensionPartitionMapping (a
multi-partitioned asset and a single-dimension one) and DimensionPartitionMapping.

Built on the PartitionMapping contract of `mapping.py`, which never imports this module;
imports `errors` and this layer's partition modules only.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any, NamedTuple

from headwater.definitions.partitions.base import (
    DefaultPartitionsSubset,
    PartitionsDefinition,
    PartitionsSubset,
    partition_loading_context,
)
from headwater.definitions.partitions.mapping import (
    IdentityPartitionMapping,
    PartitionMapping,
    TimeWindowPartitionMapping,
    UpstreamPartitionsResult,
    keys_of,
    subset_of,
)
from headwater.definitions.partitions.multi import MultiPartitionKey, MultiPartitionsDefinition
from headwater.definitions.partitions.time_window import TimeWindowPartitionsDefinition
from headwater.errors import HeadwaterInvalidDefinitionError


class DimensionPartitionMapping(NamedTuple):
    """In a MultiPartitionMapping: the downstream dimension an upstream dimension maps to.

    Args:
        dimension_name: the downstream dimension.
        partition_mapping: how the upstream dimension's keys map onto it.

    Example:
        ```python
        from headwater import DimensionPartitionMapping, IdentityPartitionMapping

        by_region = DimensionPartitionMapping("region", IdentityPartitionMapping())
        assert by_region.dimension_name == "region"
        ```
    """

    dimension_name: str
    partition_mapping: PartitionMapping

    def __serdes_state__(self) -> dict[str, Any]:
        return {"dimension_name": self.dimension_name,
                "partition_mapping": self.partition_mapping}


def _single_mapping(dim_def: PartitionsDefinition, single: PartitionsDefinition) -> PartitionMapping:
    if dim_def == single:
        return IdentityPartitionMapping()
    if isinstance(dim_def, TimeWindowPartitionsDefinition) and \
            isinstance(single, TimeWindowPartitionsDefinition):
        return TimeWindowPartitionMapping()
    return IdentityPartitionMapping()


class MultiToSingleDimensionPartitionMapping(PartitionMapping):
    """Between a multi-partitioned and a single-partitioned asset, through one dimension.

    A partition of the single-partitioned asset maps to every multi-partition having the same
    key in that dimension, either way round. `partition_dimension_name` may be left out when
    exactly one dimension has the single asset's partitions.

    Args:
        partition_dimension_name: the dimension of the multi-partitions shared with the other asset.

    Example:
        ```python
        from headwater import (DailyPartitionsDefinition, MultiPartitionsDefinition,
                               MultiToSingleDimensionPartitionMapping, StaticPartitionsDefinition)

        days = DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-03")
        multi = MultiPartitionsDefinition(
            {"date": days, "region": StaticPartitionsDefinition(["eu", "us"])})
        mapping = MultiToSingleDimensionPartitionMapping(partition_dimension_name="date")
        result = mapping.get_upstream_mapped_partitions_result_for_partitions(
            days.subset_with_partition_keys(["2024-01-02"]), days, multi)
        assert sorted(result.partitions_subset.get_partition_keys()) == [
            "2024-01-02|eu", "2024-01-02|us"]
        ```
    """

    def __init__(self, partition_dimension_name: str | None = None):
        self.partition_dimension_name = partition_dimension_name

    def __serdes_state__(self) -> dict[str, Any]:
        return {"partition_dimension_name": self.partition_dimension_name}

    def _dimension(self, multi: Any, single: Any) -> str:
        if not isinstance(multi, MultiPartitionsDefinition) or \
                isinstance(single, MultiPartitionsDefinition) or single is None:
            raise HeadwaterInvalidDefinitionError(
                "MultiToSingleDimensionPartitionMapping relates a multi-partitioned asset and a "
                f"single-partitioned one; got {multi} and {single}.")
        if self.partition_dimension_name is not None:
            multi.get_partitions_def_for_dimension(self.partition_dimension_name)
            return self.partition_dimension_name
        same = [d.name for d in multi.partitions_defs if d.partitions_def == single]
        if len(same) != 1 and isinstance(single, TimeWindowPartitionsDefinition):
            same = [d.name for d in multi.partitions_defs
                    if isinstance(d.partitions_def, TimeWindowPartitionsDefinition)]
        if len(same) != 1:
            raise HeadwaterInvalidDefinitionError(
                f"MultiToSingleDimensionPartitionMapping cannot tell which dimension of {multi!r} "
                f"matches {single!r}; pass partition_dimension_name=.")
        return same[0]

    def validate_partition_mapping(self, upstream_partitions_def, downstream_partitions_def) -> None:
        if isinstance(upstream_partitions_def, MultiPartitionsDefinition):
            self._dimension(upstream_partitions_def, downstream_partitions_def)
        else:
            self._dimension(downstream_partitions_def, upstream_partitions_def)

    def get_upstream_mapped_partitions_result_for_partitions(
            self, downstream_partitions_subset, downstream_partitions_def, upstream_partitions_def,
            current_time=None, dynamic_partitions_store=None) -> UpstreamPartitionsResult:
        with partition_loading_context(current_time, dynamic_partitions_store):
            if isinstance(downstream_partitions_def, MultiPartitionsDefinition):
                name = self._dimension(downstream_partitions_def, upstream_partitions_def)
                dim = downstream_partitions_def.get_partitions_def_for_dimension(name)
                values = {downstream_partitions_def.get_partition_key_from_str(k)
                          .keys_by_dimension[name] for k in keys_of(downstream_partitions_subset)}
                return _single_mapping(dim, upstream_partitions_def) \
                    .get_upstream_mapped_partitions_result_for_partitions(
                        subset_of(dim, values), dim, upstream_partitions_def)
            name = self._dimension(upstream_partitions_def, downstream_partitions_def)
            dim = upstream_partitions_def.get_partitions_def_for_dimension(name)
            inner = _single_mapping(dim, downstream_partitions_def) \
                .get_upstream_mapped_partitions_result_for_partitions(
                    downstream_partitions_subset, downstream_partitions_def, dim)
            keys = upstream_partitions_def.get_multipartition_keys_with_dimension_values(
                name, sorted(keys_of(inner.partitions_subset)))
            return UpstreamPartitionsResult(subset_of(upstream_partitions_def, keys),
                                            inner.required_but_nonexistent_subset)

    def get_downstream_partitions_for_partitions(
            self, upstream_partitions_subset, upstream_partitions_def, downstream_partitions_def,
            current_time=None, dynamic_partitions_store=None) -> PartitionsSubset:
        with partition_loading_context(current_time, dynamic_partitions_store):
            if isinstance(upstream_partitions_def, MultiPartitionsDefinition):
                name = self._dimension(upstream_partitions_def, downstream_partitions_def)
                dim = upstream_partitions_def.get_partitions_def_for_dimension(name)
                values = {upstream_partitions_def.get_partition_key_from_str(k)
                          .keys_by_dimension[name] for k in keys_of(upstream_partitions_subset)}
                return _single_mapping(dim, downstream_partitions_def) \
                    .get_downstream_partitions_for_partitions(
                        subset_of(dim, values), dim, downstream_partitions_def)
            name = self._dimension(downstream_partitions_def, upstream_partitions_def)
            dim = downstream_partitions_def.get_partitions_def_for_dimension(name)
            inner = _single_mapping(dim, upstream_partitions_def) \
                .get_downstream_partitions_for_partitions(
                    upstream_partitions_subset, upstream_partitions_def, dim)
            keys = downstream_partitions_def.get_multipartition_keys_with_dimension_values(
                name, sorted(keys_of(inner)))
            return subset_of(downstream_partitions_def, keys)


class MultiPartitionMapping(PartitionMapping):
    """Between two multi-partitioned assets: how each upstream dimension maps downstream.

    For each upstream dimension, the downstream dimension it follows and how (a
    DimensionPartitionMapping). An upstream dimension not listed is read whole.

    Args:
        downstream_mappings_by_upstream_dimension: per upstream dimension name, its
            DimensionPartitionMapping.

    Example:
        ```python
        from headwater import (DailyPartitionsDefinition, DimensionPartitionMapping,
                               IdentityPartitionMapping, MultiPartitionKey, MultiPartitionMapping,
                               MultiPartitionsDefinition, StaticPartitionsDefinition,
                               TimeWindowPartitionMapping)

        multi = MultiPartitionsDefinition({
            "date": DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-05"),
            "region": StaticPartitionsDefinition(["eu", "us"])})
        previous_day = MultiPartitionMapping({
            "date": DimensionPartitionMapping("date", TimeWindowPartitionMapping(-1, -1)),
            "region": DimensionPartitionMapping("region", IdentityPartitionMapping())})
        key = MultiPartitionKey({"date": "2024-01-03", "region": "eu"})
        result = previous_day.get_upstream_mapped_partitions_result_for_partitions(
            multi.subset_with_partition_keys([key]), multi, multi)
        assert list(result.partitions_subset.get_partition_keys()) == ["2024-01-02|eu"]
        ```
    """

    def __init__(self, downstream_mappings_by_upstream_dimension:
                 Mapping[str, DimensionPartitionMapping]):
        self.downstream_mappings_by_upstream_dimension = dict(
            downstream_mappings_by_upstream_dimension)

    def __serdes_state__(self) -> dict[str, Any]:
        return {"downstream_mappings_by_upstream_dimension":
                self.downstream_mappings_by_upstream_dimension}

    @property
    def description(self) -> str:
        return "\n".join(
            f"Upstream dimension '{up}' mapped to downstream dimension '{m.dimension_name}' "
            f"using {type(m.partition_mapping).__name__}."
            for up, m in self.downstream_mappings_by_upstream_dimension.items())

    def validate_partition_mapping(self, upstream_partitions_def, downstream_partitions_def) -> None:
        for side, pdef in (("upstream", upstream_partitions_def),
                           ("downstream", downstream_partitions_def)):
            if not isinstance(pdef, MultiPartitionsDefinition):
                raise HeadwaterInvalidDefinitionError(
                    f"MultiPartitionMapping relates two multi-partitioned assets, but the {side} "
                    f"asset is partitioned by {pdef or 'nothing'}.")
        for up, m in self.downstream_mappings_by_upstream_dimension.items():
            upstream_partitions_def.get_partitions_def_for_dimension(up)
            downstream_partitions_def.get_partitions_def_for_dimension(m.dimension_name)

    def _map(self, keys: list[str], from_def: MultiPartitionsDefinition,
             to_def: MultiPartitionsDefinition, upstream: bool) -> tuple[set[str], set[str]]:
        if upstream:
            links = {up: (m.dimension_name, m.partition_mapping)
                     for up, m in self.downstream_mappings_by_upstream_dimension.items()}
        else:
            links = {m.dimension_name: (up, m.partition_mapping)
                     for up, m in self.downstream_mappings_by_upstream_dimension.items()}
        found: set[str] = set()
        missing: set[str] = set()
        cache: dict[tuple[str, str], list[str]] = {}
        names = [d.name for d in to_def.partitions_defs]
        for key in keys:
            key = from_def.get_partition_key_from_str(key)
            per_dim = []
            for dim in to_def.partitions_defs:
                link = links.get(dim.name)
                if link is None:
                    per_dim.append(list(dim.partitions_def.get_partition_keys()))
                    continue
                src_name, mapping = link
                value = key.keys_by_dimension[src_name]
                if (dim.name, value) not in cache:
                    src_def = from_def.get_partitions_def_for_dimension(src_name)
                    src = subset_of(src_def, [value])
                    if upstream:
                        r = mapping.get_upstream_mapped_partitions_result_for_partitions(
                            src, src_def, dim.partitions_def)
                        mapped, gone = r.partitions_subset, r.required_but_nonexistent_subset
                        missing.update(keys_of(gone))
                    else:
                        mapped = mapping.get_downstream_partitions_for_partitions(
                            src, src_def, dim.partitions_def)
                    cache[(dim.name, value)] = sorted(keys_of(mapped))
                per_dim.append(cache[(dim.name, value)])
            found.update(MultiPartitionKey(dict(zip(names, c))) for c in itertools.product(*per_dim))
        return found, missing

    def get_upstream_mapped_partitions_result_for_partitions(
            self, downstream_partitions_subset, downstream_partitions_def, upstream_partitions_def,
            current_time=None, dynamic_partitions_store=None) -> UpstreamPartitionsResult:
        self.validate_partition_mapping(upstream_partitions_def, downstream_partitions_def)
        with partition_loading_context(current_time, dynamic_partitions_store):
            found, missing = self._map(keys_of(downstream_partitions_subset),
                                       downstream_partitions_def, upstream_partitions_def, True)
            return UpstreamPartitionsResult(subset_of(upstream_partitions_def, found),
                                            DefaultPartitionsSubset(missing))

    def get_downstream_partitions_for_partitions(
            self, upstream_partitions_subset, upstream_partitions_def, downstream_partitions_def,
            current_time=None, dynamic_partitions_store=None) -> PartitionsSubset:
        self.validate_partition_mapping(upstream_partitions_def, downstream_partitions_def)
        with partition_loading_context(current_time, dynamic_partitions_store):
            found, _ = self._map(keys_of(upstream_partitions_subset), upstream_partitions_def,
                                 downstream_partitions_def, False)
            return subset_of(downstream_partitions_def, found)
