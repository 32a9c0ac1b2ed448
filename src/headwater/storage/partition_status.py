"""The status of every partition of an asset, from the storage's per-partition index.

`partition_status(instance, assets_def)` returns the asset's partition keys split into
materialized, failed, in-progress and missing sets, each partition by its latest attempt
(`AssetPartitionStatus`). One index read and one pass over the keys: fast for 50,000
partitions. Imports `definitions` and this package's `record`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from headwater.definitions.key import to_asset_key
from headwater.errors import HeadwaterInvalidInvocationError
from headwater.storage.record import AssetPartitionStatus


class PartitionStatus(NamedTuple):
    """An asset's partition keys by the state of their latest attempt."""

    materialized: set[str]
    failed: set[str]
    in_progress: set[str]
    missing: set[str]

    def status_of(self, partition_key: str) -> AssetPartitionStatus | None:
        """The status of one partition (None: never attempted)."""
        for status, keys in ((AssetPartitionStatus.MATERIALIZED, self.materialized),
                             (AssetPartitionStatus.FAILED, self.failed),
                             (AssetPartitionStatus.IN_PROGRESS, self.in_progress)):
            if partition_key in keys:
                return status
        return None

    @property
    def counts(self) -> dict[str, int]:
        return {"materialized": len(self.materialized), "failed": len(self.failed),
                "in_progress": len(self.in_progress), "missing": len(self.missing)}


def partition_status(instance: Any, assets_def: Any, asset_key: Any = None,
                     current_time: datetime | None = None) -> PartitionStatus:
    """Every partition of `assets_def` (or of its asset `asset_key`) by its latest attempt."""
    key = to_asset_key(asset_key) if asset_key is not None else assets_def.key
    spec = getattr(assets_def, "specs_by_key", {}).get(key)
    pdef = getattr(assets_def, "partitions_def", None) or getattr(spec, "partitions_def", None)
    if pdef is None:
        raise HeadwaterInvalidInvocationError(
            f"partition_status: asset '{key.to_user_string()}' is not partitioned; give it a "
            "partitions_def, or read its latest materialization instead.")
    keys = pdef.get_partition_keys(current_time, dynamic_partitions_store=instance)
    statuses = instance.storage.get_partition_statuses(key)
    result = PartitionStatus(set(), set(), set(), set())
    buckets = {AssetPartitionStatus.MATERIALIZED: result.materialized,
               AssetPartitionStatus.FAILED: result.failed,
               AssetPartitionStatus.IN_PROGRESS: result.in_progress}
    missing = result.missing
    get = statuses.get
    for partition in keys:
        status = get(partition)
        if status is None:
            missing.add(partition)
        else:
            buckets[status].add(partition)
    return result
