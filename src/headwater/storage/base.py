"""The storage contract: what every run + event storage (memory, SQLite, PostgreSQL) implements.

The instance speaks Dagster's API; a storage only keeps rows. Runs are `RunRecord`s; events
are the engine's `HeadwaterEvent` rows, each given an increasing integer storage id, and
read back through one query shape, `EventQuery`. Everything else (latest materialization,
asset keys, partitions) is derived from the event rows, so a SQL storage may keep index
tables but need not. Imports `headwater.definitions`, `headwater.execution.event` and this
package's `record`.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from headwater.definitions.key import AssetKey
from headwater.execution.event import HeadwaterEvent, HeadwaterEventType
from headwater.storage.record import EventLogRecord, HeadwaterRunStatus, RunRecord, RunsFilter


@dataclass(frozen=True, slots=True)
class EventQuery:
    """Which event rows to read; every field given must match. Ids are storage ids."""

    run_id: str | None = None
    event_types: frozenset[HeadwaterEventType] | None = None
    asset_key: AssetKey | None = None
    partitions: frozenset[str] | None = None
    after_id: int | None = None
    before_id: int | None = None
    after_timestamp: float | None = None
    before_timestamp: float | None = None
    storage_ids: frozenset[int] | None = None
    job_names: frozenset[str] | None = None


class Storage(abc.ABC):
    """Runs, their events, and dynamic partitions. One instance owns one storage."""

    # --- runs ---------------------------------------------------------------------------
    @abc.abstractmethod
    def add_run(self, record: RunRecord) -> RunRecord:
        """Store a new run; the storage assigns `storage_id`. Raises if the run id exists."""

    @abc.abstractmethod
    def get_run_records(self, filters: RunsFilter | None = None, limit: int | None = None,
                        cursor: str | None = None, ascending: bool = False) -> list[RunRecord]:
        """Runs matching `filters`, newest first unless `ascending`; `cursor` is a run id."""

    def get_runs_count(self, filters: RunsFilter | None = None) -> int:
        return len(self.get_run_records(filters))

    @abc.abstractmethod
    def update_run(self, run_id: str, timestamp: float, *, status: HeadwaterRunStatus | None = None,
                   start_time: float | None = None, end_time: float | None = None,
                   tags: Mapping[str, str] | None = None) -> None:
        """Change a stored run's status, start/end time or (merged) tags; unknown ids are ignored."""

    @abc.abstractmethod
    def delete_run(self, run_id: str) -> None:
        """Forget a run and every event of it."""

    # --- events -------------------------------------------------------------------------
    @abc.abstractmethod
    def store_event(self, event: HeadwaterEvent) -> int:
        """Append one event row and return its storage id (ids only grow)."""

    def store_events(self, events: Iterable[HeadwaterEvent]) -> list[int]:
        """Append many rows at once (a SQL storage writes them in one transaction)."""
        return [self.store_event(e) for e in events]

    @abc.abstractmethod
    def get_event_records(self, query: EventQuery, limit: int | None = None,
                          ascending: bool = True) -> list[EventLogRecord]:
        """Event rows matching `query`, ordered by storage id."""

    @abc.abstractmethod
    def get_asset_keys(self) -> list[AssetKey]:
        """Every asset with a materialization or observation not wiped since, sorted."""

    @abc.abstractmethod
    def get_materialized_partitions(self, asset_key: AssetKey, after_id: int | None = None,
                                    before_id: int | None = None) -> set[str]:
        """Partitions of `asset_key` with a materialization in the storage-id window."""

    @abc.abstractmethod
    def wipe_assets(self, asset_keys: Sequence[AssetKey]) -> None:
        """Forget the asset events of these assets (the runs' logs keep their rows)."""

    @abc.abstractmethod
    def wipe_asset_partitions(self, asset_key: AssetKey, partition_keys: Sequence[str]) -> None:
        """Forget the asset events of these partitions of one asset."""

    # --- dynamic partitions -------------------------------------------------------------
    @abc.abstractmethod
    def add_dynamic_partitions(self, partitions_def_name: str, partition_keys: Sequence[str]) -> None:
        """Add keys (existing ones are kept, in their first position)."""

    @abc.abstractmethod
    def get_dynamic_partitions(self, partitions_def_name: str) -> list[str]:
        """The keys of a dynamic partitions definition, in the order they were added."""

    def has_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> bool:
        return partition_key in self.get_dynamic_partitions(partitions_def_name)

    @abc.abstractmethod
    def delete_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> None:
        """Remove one key; removing an absent key is not an error."""

    # --- everything ---------------------------------------------------------------------
    @abc.abstractmethod
    def wipe(self) -> None:
        """Delete all runs, events and dynamic partitions."""

    def dispose(self) -> None:  # noqa: B027  (optional hook: memory has nothing to release)
        """Release connections and files."""
