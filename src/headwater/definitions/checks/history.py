"""What the built-in checks read back from the instance: an asset's latest materializations,
its latest update (materialization or observation) and the record of one partition.

A check runs inside a run and reads the instance only through `context.instance`; these
helpers take that instance and call its public reading methods (`fetch_materializations`,
`fetch_observations`, `get_materialized_partitions`), so this room never imports storage.

An observation counts as an update: a source asset is observed, not materialized. Its time is
its `headwater/last_updated_timestamp` metadata when the observer reported one (the time the
data changed, which may be earlier than the observation), else the time it was recorded.

Imports `key`, `tags` and the `metadata` room.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from headwater.definitions.key import AssetKey
from headwater.definitions.metadata.value import MetadataValue
from headwater.definitions.tags import LAST_UPDATED_TIMESTAMP_METADATA

#: records read per page while looking for one partition's record
_PAGE = 200


@dataclass(frozen=True, slots=True)
class AssetUpdate:
    """One recorded update of an asset: when the data changed, and the event that says so."""

    timestamp: float
    storage_id: int
    run_id: str
    partition: str | None
    metadata: dict[str, Any]
    is_observation: bool = False


def _records(page: Any) -> list[Any]:
    return list(getattr(page, "records", page) or [])


def _update(record: Any, observation: bool) -> AssetUpdate:
    entry = record.event_log_entry
    event = entry.asset_observation if observation else entry.asset_materialization
    metadata = dict(getattr(event, "metadata", None) or {})
    when = float(entry.timestamp)
    if observation:
        reported = metadata.get(LAST_UPDATED_TIMESTAMP_METADATA)
        reported = reported.value if isinstance(reported, MetadataValue) else reported
        if isinstance(reported, (int, float)) and not isinstance(reported, bool):
            when = float(reported)
    return AssetUpdate(timestamp=when, storage_id=int(record.storage_id), run_id=entry.run_id,
                       partition=getattr(event, "partition", None) or record.partition_key,
                       metadata=metadata, is_observation=observation)


def latest_materializations(instance: Any, key: AssetKey, limit: int) -> list[AssetUpdate]:
    """The asset's `limit` latest materializations, newest first."""
    return [_update(r, False) for r in _records(instance.fetch_materializations(key, limit=limit))]


def latest_update(instance: Any, key: AssetKey) -> AssetUpdate | None:
    """The asset's latest materialization or observation, whichever says the data changed
    last; None when it has neither."""
    found = [_update(r, False) for r in _records(instance.fetch_materializations(key, limit=1))]
    found += [_update(r, True) for r in _records(instance.fetch_observations(key, limit=1))]
    return max(found, key=lambda u: (u.timestamp, u.storage_id)) if found else None


def partition_update(instance: Any, key: AssetKey, partition: str,
                     not_before: float) -> AssetUpdate | None:
    """The latest materialization or observation of one partition of the asset.

    Records are read newest first and no further back than `not_before` (the start of the
    partition's time window: a record of a partition is not written before its window opens),
    so the scan is bounded by what the asset recorded since then. The materialized partitions
    are asked for first, in one indexed query, to skip the scan of materializations when the
    partition has none.
    """
    found: list[AssetUpdate] = []
    if partition in instance.get_materialized_partitions(key):
        found += _scan(instance.fetch_materializations, key, partition, not_before, False)
    found += _scan(instance.fetch_observations, key, partition, not_before, True)
    return max(found, key=lambda u: (u.timestamp, u.storage_id)) if found else None


def _scan(fetch: Any, key: AssetKey, partition: str, not_before: float,
          observation: bool) -> list[AssetUpdate]:
    cursor = None
    while True:
        page = fetch(key, limit=_PAGE, cursor=cursor)
        records = _records(page)
        for record in records:
            if record.event_log_entry.timestamp < not_before:
                return []
            update = _update(record, observation)
            if update.partition == partition:
                return [update]
        if not getattr(page, "has_more", False) or not records:
            return []
        cursor = page.cursor
