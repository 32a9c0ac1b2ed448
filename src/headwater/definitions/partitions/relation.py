"""How two partitioned assets relate when the downstream one declares no mapping.

`infer_partition_mapping` chooses the default mapping (time windows to time windows, a
multi-partitioned asset to a single dimension, identity otherwise, all partitions for an
unpartitioned downstream); `mapping_problem` says why two assets cannot be related, for the
checks of the asset graph. Sits on top of `mapping.py` and `multi_mapping.py`; imports
`errors` and this layer's partition modules only.
"""

from __future__ import annotations

from typing import Any

from headwater.definitions.partitions.base import PartitionsDefinition, StaticPartitionsDefinition
from headwater.definitions.partitions.mapping import (
    AllPartitionMapping,
    IdentityPartitionMapping,
    PartitionMapping,
    TimeWindowPartitionMapping,
)
from headwater.definitions.partitions.multi import MultiPartitionsDefinition
from headwater.definitions.partitions.multi_mapping import MultiToSingleDimensionPartitionMapping
from headwater.definitions.partitions.time_window import TimeWindowPartitionsDefinition
from headwater.errors import HeadwaterInvalidDefinitionError


def infer_partition_mapping(mapping: PartitionMapping | None,
                            upstream_partitions_def: PartitionsDefinition | None,
                            downstream_partitions_def: PartitionsDefinition | None) -> PartitionMapping:
    """The mapping an asset uses for an upstream asset when it declares none."""
    if mapping is not None:
        return mapping
    if downstream_partitions_def is None:
        return AllPartitionMapping()
    if isinstance(upstream_partitions_def, TimeWindowPartitionsDefinition) and \
            isinstance(downstream_partitions_def, TimeWindowPartitionsDefinition):
        return TimeWindowPartitionMapping()
    multi = [isinstance(d, MultiPartitionsDefinition)
             for d in (upstream_partitions_def, downstream_partitions_def)]
    if multi[0] != multi[1] and upstream_partitions_def is not None:
        return MultiToSingleDimensionPartitionMapping()
    return IdentityPartitionMapping()


def mapping_problem(mapping: PartitionMapping | None, upstream_partitions_def: Any,
                    downstream_partitions_def: Any) -> str | None:
    """Why these two partitioned assets cannot be related (None if they can)."""
    if upstream_partitions_def is None or downstream_partitions_def is None:
        if mapping is None or upstream_partitions_def is downstream_partitions_def:
            return None
        try:  # an explicit mapping to or from an unpartitioned asset must accept that
            mapping.validate_partition_mapping(upstream_partitions_def, downstream_partitions_def)
        except (ValueError, HeadwaterInvalidDefinitionError) as exc:
            return str(exc)
        return None
    chosen = infer_partition_mapping(mapping, upstream_partitions_def, downstream_partitions_def)
    try:
        chosen.validate_partition_mapping(upstream_partitions_def, downstream_partitions_def)
    except (ValueError, HeadwaterInvalidDefinitionError) as exc:
        return str(exc)
    if mapping is None and isinstance(chosen, IdentityPartitionMapping) and \
            upstream_partitions_def != downstream_partitions_def and \
            not _static_within(upstream_partitions_def, downstream_partitions_def):
        return (f"it is partitioned by {_describe(downstream_partitions_def)} and its upstream "
                f"by {_describe(upstream_partitions_def)}, and no partition_mapping says how they "
                "relate. Pass "
                "partition_mapping= in AssetIn/AssetDep (e.g. StaticPartitionMapping, "
                "TimeWindowPartitionMapping, AllPartitionMapping).")
    return None


def _static_within(upstream: Any, downstream: Any) -> bool:
    """Whether every key of a static downstream is also a key of a static upstream."""
    if not (isinstance(upstream, StaticPartitionsDefinition)
            and isinstance(downstream, StaticPartitionsDefinition)):
        return False
    return set(downstream.get_partition_keys()) <= set(upstream.get_partition_keys())


def _describe(pdef: Any) -> str:
    text = str(pdef).rstrip(".")
    return f"{type(pdef).__name__} ({text})"
