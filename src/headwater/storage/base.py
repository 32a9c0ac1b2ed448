"""The storage contract: what every run + event storage (memory, SQLite, PostgreSQL) implements.

The instance speaks Dagster's API; a storage only keeps rows. Runs are `RunRecord`s; events
are the engine's `HeadwaterEvent` rows, each given an increasing integer storage id, and
read back through one query shape, `EventQuery`. Everything else (latest materialization,
asset keys, partitions, check executions) is derived from the event rows, so a SQL storage
may keep index tables but need not. The check execution reads are spelled as Dagster's event
log storage spells them, because `instance.event_log_storage` is this object. Imports
`headwater.definitions`, `headwater.execution.event` and this package's `record`, `checks`,
`claim`, `state` and `automation`.
"""

from __future__ import annotations

import abc
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from headwater.definitions.key import AssetCheckKey, AssetKey
from headwater.execution.event import HeadwaterEvent, HeadwaterEventType
from headwater.storage.automation import AutomationConditionEvaluationRecord, Launched
from headwater.storage.checks import (
    AssetCheckExecutionRecord,
    AssetCheckExecutionRecordStatus,
    to_check_key_argument,
    to_check_keys_argument,
    to_cursor_argument,
    to_limit_argument,
    to_statuses_argument,
)
from headwater.storage.claim import QueueLimits
from headwater.storage.record import (
    FINISHED_STATUSES,
    STATUS_BY_EVENT,
    AssetPartitionStatus,
    EventLogRecord,
    HeadwaterRun,
    HeadwaterRunStatus,
    RunRecord,
    RunsFilter,
)
from headwater.storage.state import (
    BackfillRecord,
    DaemonHeartbeat,
    InstigatorState,
    TickRecord,
)


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
        """Change a stored run's status, start/end time or (merged) tags; unknown ids are ignored.

        A finished run (SUCCESS, FAILURE, CANCELED) keeps its status and times: the change
        of status is conditional on the stored status, checked in the same atomic step."""

    @abc.abstractmethod
    def delete_run(self, run_id: str) -> None:
        """Forget a run, every event of it and its check executions."""

    @abc.abstractmethod
    def claim_queued_runs(self, limits: QueueLimits, message: str) -> list[HeadwaterRun]:
        """Atomically take the queued runs that may start now within `limits` (storage/claim.py)
        and mark each STARTING, with a RUN_STARTING event saying `message`; the runs taken.

        Claimers are serialized and a run is taken only if it is still QUEUED, so concurrent
        callers (in any process) never take one run twice: the caller launches exactly what it
        got back."""

    @abc.abstractmethod
    def transition_run(self, event: HeadwaterEvent, expected: Collection[HeadwaterRunStatus],
                       status: HeadwaterRunStatus | None = None) -> bool:
        """Store `event` and move its run to `status` (default: the status of the run event
        `event`), together, only if the run's status is one of `expected` (a conditional
        update); whether it did. The claims of launchers and run workers."""

    # --- events -------------------------------------------------------------------------
    @abc.abstractmethod
    def store_event(self, event: HeadwaterEvent) -> int:
        """Append one event row and return its storage id (ids only grow)."""

    def store_events(self, events: Iterable[HeadwaterEvent]) -> list[int]:
        """Append many rows at once (a SQL storage writes them in one transaction)."""
        return [self.store_event(e) for e in events]

    def append_event(self, event: HeadwaterEvent) -> None:
        """The engine's path: append `event` and move its run's status (RUN_* events).

        A SQL storage may hold the event until the next step boundary, a log line, or any
        read (see `flush`); the row and its status change are written in one transaction.
        """
        self.store_event(event)
        status = STATUS_BY_EVENT.get(event.event_type)
        if status is not None:
            self.update_run(
                event.run_id, event.timestamp, status=status,
                start_time=event.timestamp if status is HeadwaterRunStatus.STARTED else None,
                end_time=event.timestamp if status in FINISHED_STATUSES else None,
            )

    def append_events(self, events: Iterable[HeadwaterEvent]) -> None:
        """`append_event` for many events (one transaction on SQL storage)."""
        for event in events:
            self.append_event(event)

    def flush(self) -> None:  # noqa: B027  (storages that write through have nothing to flush)
        """Write the events `append_event` is holding."""

    @abc.abstractmethod
    def get_event_records(self, query: EventQuery, limit: int | None = None,
                          ascending: bool = True) -> list[EventLogRecord]:
        """Event rows matching `query`, ordered by storage id."""

    def asset_change_stamp(self) -> Hashable | None:
        """A value that changes whenever anything an asset's status is computed from changes:
        an event other than a log line, a run added, deleted or moved, a wipe. Readers keep
        what they derived from storage until it changes (the webserver's asset statuses,
        rebuilt while a run streams log lines otherwise). None: this storage cannot tell, so
        nothing may be kept."""
        return None

    @abc.abstractmethod
    def get_asset_keys(self) -> list[AssetKey]:
        """Every asset with a materialization or observation not wiped since, sorted."""

    def get_latest_materialization_records(
        self, asset_keys: Iterable[AssetKey] | None = None
    ) -> dict[AssetKey, EventLogRecord]:
        """The latest materialization not wiped since of each of `asset_keys` (default: every
        asset) that has one. A SQL storage reads its asset index, a few queries for any number
        of keys; the web UI's asset list asks for every asset at once."""
        latest: dict[AssetKey, EventLogRecord] = {}
        materialization = frozenset({HeadwaterEventType.ASSET_MATERIALIZATION})
        for key in self.get_asset_keys() if asset_keys is None else dict.fromkeys(asset_keys):
            found = self.get_event_records(EventQuery(event_types=materialization, asset_key=key),
                                           limit=1, ascending=False)
            if found:
                latest[key] = found[0]
        return latest

    @abc.abstractmethod
    def get_materialized_partitions(self, asset_key: AssetKey, after_id: int | None = None,
                                    before_id: int | None = None) -> set[str]:
        """Partitions of `asset_key` with a materialization in the storage-id window."""

    @abc.abstractmethod
    def get_partition_statuses(self, asset_key: AssetKey) -> dict[str, AssetPartitionStatus]:
        """The status of every attempted partition of `asset_key` (its latest attempt's)."""

    @abc.abstractmethod
    def wipe_assets(self, asset_keys: Sequence[AssetKey]) -> None:
        """Forget the asset events and check executions of these assets (the runs' logs keep
        their rows)."""

    @abc.abstractmethod
    def wipe_asset_partitions(self, asset_key: AssetKey, partition_keys: Sequence[str]) -> None:
        """Forget the asset events and check executions of these partitions of one asset."""

    # --- asset check executions (storage/checks.py) --------------------------------------
    def get_asset_check_execution_history(
        self, check_key: Any, limit: int, cursor: str | int | None = None,
        partition: str | None = None, status: Any = None,
    ) -> list[AssetCheckExecutionRecord]:
        """Executions of one check, newest first: at most `limit`, older than the record
        whose id is `cursor`, of one partition and of some statuses when given."""
        method = "get_asset_check_execution_history"
        return self._check_history(
            to_check_key_argument(check_key, method), to_limit_argument(limit, method),
            to_cursor_argument(cursor, method), partition, to_statuses_argument(status, method))

    def get_latest_asset_check_execution_by_key(
        self, check_keys: Iterable[Any], partition: str | None = None,
    ) -> dict[AssetCheckKey, AssetCheckExecutionRecord]:
        """The newest execution of each check that has one (of `partition`, when given)."""
        keys = to_check_keys_argument(check_keys, "get_latest_asset_check_execution_by_key")
        return self._latest_check_executions(keys, partition) if keys else {}

    @abc.abstractmethod
    def _check_history(self, key: AssetCheckKey, limit: int, before_id: int | None,
                       partition: str | None,
                       statuses: frozenset[AssetCheckExecutionRecordStatus] | None,
                       ) -> list[AssetCheckExecutionRecord]:
        """`get_asset_check_execution_history` with its arguments checked."""

    @abc.abstractmethod
    def _latest_check_executions(self, keys: Sequence[AssetCheckKey], partition: str | None,
                                 ) -> dict[AssetCheckKey, AssetCheckExecutionRecord]:
        """`get_latest_asset_check_execution_by_key` for distinct keys, in one query."""

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

    # --- scheduling state (records in storage/state.py) -----------------------------------
    @abc.abstractmethod
    def set_instigator_state(self, state: InstigatorState) -> InstigatorState:
        """Store (insert or replace) a schedule's or sensor's state, keyed by origin id."""

    @abc.abstractmethod
    def get_instigator_state(self, origin_id: str) -> InstigatorState | None: ...

    @abc.abstractmethod
    def all_instigator_state(self, instigator_type: str | None = None) -> list[InstigatorState]: ...

    @abc.abstractmethod
    def delete_instigator_state(self, origin_id: str) -> None: ...

    @abc.abstractmethod
    def create_tick(self, tick: TickRecord) -> TickRecord:
        """Store a new tick; returns it with its `tick_id`."""

    @abc.abstractmethod
    def update_tick(self, tick: TickRecord) -> TickRecord: ...

    @abc.abstractmethod
    def get_ticks(self, origin_id: str, before: float | None = None, after: float | None = None,
                  limit: int | None = None, statuses: Sequence[str] | None = None) -> list[TickRecord]:
        """Ticks of one schedule or sensor, newest first, in the (after, before) time window."""

    @abc.abstractmethod
    def purge_ticks(self, origin_id: str, before: float, statuses: Sequence[str] | None = None,
                    limit: int | None = None) -> int:
        """Delete one schedule's or sensor's ticks older than `before` (only those with one of
        `statuses`, when given; at most `limit`, the oldest first) and the automation
        evaluations they stored; returns how many ticks went."""

    @abc.abstractmethod
    def claim_run_keys(self, origin_id: str, run_keys: Iterable[str]) -> list[str]:
        """Mark run keys as used by a schedule/sensor; returns those never used before."""

    def add_run_for_run_key(self, record: RunRecord, origin_id: str, run_key: str) -> bool:
        """Mark `run_key` used by `origin_id` and store the run, together; False (nothing
        stored) when the key was used before. SQL storage does both in one transaction."""
        if not self.claim_run_keys(origin_id, [run_key]):
            return False
        self.add_run(record)
        return True

    @abc.abstractmethod
    def add_daemon_heartbeat(self, heartbeat: DaemonHeartbeat) -> None: ...

    @abc.abstractmethod
    def get_daemon_heartbeats(self) -> dict[str, DaemonHeartbeat]: ...

    @abc.abstractmethod
    def add_backfill(self, backfill: BackfillRecord) -> None: ...

    @abc.abstractmethod
    def update_backfill(self, backfill: BackfillRecord) -> None: ...

    @abc.abstractmethod
    def get_backfill(self, backfill_id: str) -> BackfillRecord | None: ...

    @abc.abstractmethod
    def get_backfills(self, status: str | None = None, limit: int | None = None,
                      cursor: str | None = None) -> list[BackfillRecord]:
        """Backfills, newest first; `cursor` is the backfill id to continue after."""

    @abc.abstractmethod
    def get_kvs(self, keys: Iterable[str]) -> dict[str, str]: ...

    @abc.abstractmethod
    def set_kvs(self, pairs: Mapping[str, str]) -> None: ...

    @abc.abstractmethod
    def swap_kv(self, key: str, expected: str | None, value: str | None) -> bool:
        """Atomically set `key` to `value` (None deletes it) if it now holds `expected` (None:
        absent); False, changing nothing, when another writer got there first."""

    def get_cursor_values(self, keys: Iterable[str]) -> dict[str, str]:
        """The key-value store by the names Dagster's run storage gives it."""
        return self.get_kvs(keys)

    def set_cursor_values(self, pairs: Mapping[str, str]) -> None:
        self.set_kvs(pairs)

    # --- automation condition evaluations (storage/automation.py) ------------------------
    @abc.abstractmethod
    def add_automation_evaluations(
            self, records: Sequence[AutomationConditionEvaluationRecord]) -> None:
        """Store what a tick decided per key; keys already stored for the tick are kept."""

    @abc.abstractmethod
    def set_automation_launches(self, evaluation_id: int,
                                launched: Mapping[str, Launched]) -> None:
        """Record the runs and backfills a tick launched, per key it evaluated."""

    @abc.abstractmethod
    def get_automation_evaluations(
            self, key: str, limit: int, before_evaluation_id: int | None = None,
    ) -> list[AutomationConditionEvaluationRecord]:
        """A key's evaluations ("a/b" or "a/b:check"), newest first."""

    @abc.abstractmethod
    def get_automation_evaluations_for_evaluation_id(
            self, evaluation_id: int) -> list[AutomationConditionEvaluationRecord]:
        """Every key one tick evaluated, sorted by key."""

    @abc.abstractmethod
    def delete_automation_evaluations(self, evaluation_id: int) -> int:
        """Forget a tick's evaluations (a tick interrupted before it stored its requests)."""

    # --- maintenance --------------------------------------------------------------------
    @abc.abstractmethod
    def prune(self, before_timestamp: float) -> int:
        """Delete the events of runs that ended before `before_timestamp` (and older runless
        events), except each asset's and partition's latest materialization and each check's
        and partition's latest evaluation; returns the count. Older check executions keep
        their status but lose their `event`."""

    @abc.abstractmethod
    def purge_runs(self, before_timestamp: float, limit: int) -> list[str]:
        """Delete up to `limit` finished runs that ended before `before_timestamp`, oldest
        first, with their tags, events and check executions; a run holding an asset's or
        partition's latest materialization or observation, or a check's latest evaluation, is
        kept whole until a newer one replaces it. Returns the ids of the deleted runs."""

    @abc.abstractmethod
    def reindex(self) -> None:
        """Rebuild the asset index and the check executions from the event log."""

    # --- everything ---------------------------------------------------------------------
    @abc.abstractmethod
    def wipe(self) -> None:
        """Delete all runs, events, dynamic partitions and scheduling state."""

    def dispose(self) -> None:  # noqa: B027  (optional hook: memory has nothing to release)
        """Release connections and files."""
