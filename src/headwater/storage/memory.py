"""An in-memory run + event storage: the ephemeral instance of tests and notebooks.

Events live in one dict keyed by storage id (insertion order is id order), with id lists per
run, per event type and per asset as indexes; deleting a run or wiping an asset drops the
rows or index entries, and readers skip ids that no longer resolve. Appending an event is a
few dict and list operations, because the engine calls it for every event of a run.
Check executions live in a `CheckExecutions` index (storage/checks.py) moved as events are
stored. Imports `headwater.definitions`, `headwater.execution.event` and this package's
`base`, `checks`, `claim` and `record`.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone

from headwater.definitions.key import AssetCheckKey, AssetKey
from headwater.errors import HeadwaterInvariantViolationError
from headwater.execution.event import HeadwaterEvent, HeadwaterEventType
from headwater.storage.automation import InMemoryAutomationEvaluations
from headwater.storage.base import EventQuery, Storage
from headwater.storage.checks import (
    CHECK_EVENT_TYPES,
    AssetCheckExecutionRecord,
    AssetCheckExecutionRecordStatus,
    CheckExecutions,
    check_key_of,
)
from headwater.storage.claim import IN_PROGRESS, QueueLimits, pick_runs
from headwater.storage.record import (
    FINISHED_STATUSES,
    STATUS_BY_EVENT,
    AssetPartitionStatus,
    EventLogRecord,
    HeadwaterRun,
    HeadwaterRunStatus,
    RunRecord,
    RunsFilter,
    asset_partition_of,
    record_for,
)
from headwater.storage.state import InMemoryState

_ET = HeadwaterEventType
# Events that make an asset known to `get_asset_keys`.
_ASSET_EVENTS = frozenset({_ET.ASSET_MATERIALIZATION, _ET.ASSET_OBSERVATION})


class InMemoryStorage(InMemoryState, InMemoryAutomationEvaluations, Storage):
    """Runs and events in dicts and lists; gone when the process ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._run_ids = itertools.count(1)
        self._event_ids = itertools.count(1)
        self._runs: dict[str, RunRecord] = {}
        self._events: dict[int, HeadwaterEvent] = {}
        # id(event) -> storage id of the materializations and observations stored (the event
        # itself stays in _events, so the id is not reused while the entry lives)
        self._ids_by_event: dict[int, int] = {}
        self._by_run: dict[str, list[int]] = {}
        self._by_type: dict[HeadwaterEventType, list[int]] = {}
        self._by_asset: dict[AssetKey, list[int]] = {}
        self._known_assets: set[AssetKey] = set()
        self._dynamic_partitions: dict[str, dict[str, None]] = {}
        # (asset, partition or None for the whole asset) -> last event id when it was wiped
        self._wiped_at: dict[tuple[AssetKey, str | None], int] = {}
        self._checks = CheckExecutions()
        self._init_state()
        self._init_automation()

    def __repr__(self) -> str:
        return f"InMemoryStorage(runs={len(self._runs)}, events={len(self._events)})"

    # --- runs ---------------------------------------------------------------------------
    def add_run(self, record: RunRecord) -> RunRecord:
        run_id = record.headwater_run.run_id
        with self._lock:
            if run_id in self._runs:
                raise HeadwaterInvariantViolationError(
                    f"A run with id {run_id!r} is already stored; pass a new run_id= "
                    "(or omit it to get a fresh one)."
                )
            record = replace(record, storage_id=next(self._run_ids))
            self._runs[run_id] = record
        return record

    def get_run_records(self, filters: RunsFilter | None = None, limit: int | None = None,
                        cursor: str | None = None, ascending: bool = False) -> list[RunRecord]:
        if filters is not None and filters.run_ids is not None and cursor is None:
            found = (self._runs.get(run_id) for run_id in filters.run_ids)
            records = sorted((r for r in found if r is not None), key=lambda r: r.storage_id)
        else:
            records = list(self._runs.values())
        if not ascending:
            records.reverse()
        if cursor is not None:
            ids = [r.headwater_run.run_id for r in records]
            records = records[ids.index(cursor) + 1:] if cursor in ids else []
        result = []
        for record in records:
            if filters is None or filters.matches(record):
                result.append(record)
                if limit is not None and len(result) >= limit:
                    break
        return result

    def update_run(self, run_id: str, timestamp: float, *, status: HeadwaterRunStatus | None = None,
                   start_time: float | None = None, end_time: float | None = None,
                   tags: Mapping[str, str] | None = None) -> None:
        with self._lock:
            record = self._runs.get(run_id)
            if record is None:
                return
            run = record.headwater_run
            if run.status in FINISHED_STATUSES:  # a finished run's status is final
                status = start_time = end_time = None
            if status is not None:
                run = replace(run, status=status)
            if tags:
                run = replace(run, tags={**run.tags, **tags})
            self._runs[run_id] = replace(
                record, headwater_run=run,
                update_timestamp=datetime.fromtimestamp(timestamp, timezone.utc),
                start_time=start_time if start_time is not None else record.start_time,
                end_time=end_time if end_time is not None else record.end_time,
            )

    def claim_queued_runs(self, limits: QueueLimits, message: str) -> list[HeadwaterRun]:
        with self._lock:
            runs = [r.headwater_run for r in self._runs.values()]  # oldest first
            queued = [r for r in runs if r.status is HeadwaterRunStatus.QUEUED]
            if not queued:
                return []
            active = [r for r in runs if r.status in IN_PROGRESS]
            picked = pick_runs(queued, active, limits)
            for run in picked:
                self._move_status(HeadwaterEvent(_ET.RUN_STARTING, run.run_id, run.job_name,
                                                 time.time(), message=message))
        return [replace(run, status=HeadwaterRunStatus.STARTING) for run in picked]

    def transition_run(self, event: HeadwaterEvent, expected: Collection[HeadwaterRunStatus],
                       status: HeadwaterRunStatus | None = None) -> bool:
        with self._lock:
            record = self._runs.get(event.run_id)
            if record is None or record.headwater_run.status not in expected:
                return False
            self._move_status(event, status)
        return True

    def _move_status(self, event: HeadwaterEvent, status: HeadwaterRunStatus | None = None
                     ) -> None:
        """Store `event` and move its run to `status` (default: the event's), holding the
        lock."""
        status = status or STATUS_BY_EVENT[event.event_type]
        record = self._runs[event.run_id]
        self._runs[event.run_id] = replace(
            record, headwater_run=replace(record.headwater_run, status=status),
            update_timestamp=datetime.fromtimestamp(event.timestamp, timezone.utc),
            start_time=event.timestamp if status is HeadwaterRunStatus.STARTED else record.start_time,
            end_time=event.timestamp if status in FINISHED_STATUSES else record.end_time)
        self.store_event(event)

    def delete_run(self, run_id: str) -> None:
        with self._lock:
            self._runs.pop(run_id, None)
            for storage_id in self._by_run.pop(run_id, ()):
                self._events.pop(storage_id, None)
            self._checks.forget_run(run_id)

    # --- events -------------------------------------------------------------------------
    def store_event(self, event: HeadwaterEvent) -> int:
        storage_id = next(self._event_ids)
        self._events[storage_id] = event
        by_run = self._by_run.get(event.run_id)
        if by_run is None:
            by_run = self._by_run[event.run_id] = []
        by_run.append(storage_id)
        by_type = self._by_type.get(event.event_type)
        if by_type is None:
            by_type = self._by_type[event.event_type] = []
        by_type.append(storage_id)
        key = event.asset_key
        if key is not None:
            self._by_asset.setdefault(key, []).append(storage_id)
            if event.event_type in _ASSET_EVENTS:
                self._known_assets.add(key)
                self._ids_by_event[id(event)] = storage_id
        if event.event_type in CHECK_EVENT_TYPES:
            self._checks.apply(storage_id, event)
        return storage_id

    def get_event_records(self, query: EventQuery, limit: int | None = None,
                          ascending: bool = True) -> list[EventLogRecord]:
        ids = self._candidate_ids(query)
        result: list[EventLogRecord] = []
        if limit is not None and limit <= 0:
            return result
        for storage_id in (ids if ascending else reversed(ids)):
            event = self._events.get(storage_id)
            if event is None or not _matches(query, storage_id, event):
                continue
            result.append(record_for(storage_id, event))
            if limit is not None and len(result) >= limit:
                break
        return result

    def _candidate_ids(self, query: EventQuery) -> Sequence[int]:
        if query.storage_ids is not None:
            return sorted(query.storage_ids)
        if query.asset_key is not None:
            return list(self._by_asset.get(query.asset_key, ()))
        if query.run_id is not None:
            return list(self._by_run.get(query.run_id, ()))
        if query.event_types is not None and len(query.event_types) == 1:
            (event_type,) = query.event_types
            return list(self._by_type.get(event_type, ()))
        return list(self._events)

    def get_asset_keys(self) -> list[AssetKey]:
        return sorted(self._known_assets)

    def get_latest_materialization_records(
        self, asset_keys: Iterable[AssetKey] | None = None
    ) -> dict[AssetKey, EventLogRecord]:
        latest: dict[AssetKey, EventLogRecord] = {}
        for key in sorted(self._known_assets) if asset_keys is None else asset_keys:
            for storage_id in reversed(self._by_asset.get(key, ())):
                event = self._events.get(storage_id)
                if event is not None and event.event_type is _ET.ASSET_MATERIALIZATION:
                    latest[key] = record_for(storage_id, event)
                    break
        return latest

    def get_materialized_partitions(self, asset_key: AssetKey, after_id: int | None = None,
                                    before_id: int | None = None) -> set[str]:
        query = EventQuery(event_types=frozenset({_ET.ASSET_MATERIALIZATION}), asset_key=asset_key,
                           after_id=after_id, before_id=before_id)
        partitions = set()
        for storage_id in self._by_asset.get(asset_key, ()):
            event = self._events.get(storage_id)
            if event is not None and _matches(query, storage_id, event):
                partition = asset_partition_of(event)
                if partition is not None:
                    partitions.add(partition)
        return partitions

    def get_partition_statuses(self, asset_key: AssetKey) -> dict[str, AssetPartitionStatus]:
        # Derived on read: each partition's latest attempt, a materialization or a run that
        # targeted it (RUN_START of a partitioned run selecting the asset, or a PLANNED event).
        latest_mat: dict[str, int] = {}
        attempts: dict[str, tuple[int, str]] = {}
        for storage_id in self._by_asset.get(asset_key, ()):
            event = self._events.get(storage_id)
            partition = asset_partition_of(event) if event is not None else None
            if event is None or partition is None:
                continue
            if event.event_type is _ET.ASSET_MATERIALIZATION:
                latest_mat[partition] = storage_id
                attempts[partition] = (storage_id, "")
            elif event.event_type is _ET.ASSET_MATERIALIZATION_PLANNED:
                attempts[partition] = (storage_id, event.run_id)
        wiped = self._wiped_at.get((asset_key, None), 0)
        for storage_id in self._by_type.get(_ET.RUN_START, ()):
            event = self._events.get(storage_id)
            record = self._runs.get(event.run_id) if event is not None else None
            run = record.headwater_run if record is not None else None
            partition = run.partition_key if run is not None else None
            if (run is None or partition is None or not run.asset_selection
                    or asset_key not in run.asset_selection or storage_id <= wiped
                    or storage_id <= self._wiped_at.get((asset_key, partition), 0)):
                continue
            if storage_id > attempts.get(partition, (0, ""))[0]:
                attempts[partition] = (storage_id, run.run_id)
        statuses = {}
        for partition, (_, run_id) in attempts.items():
            record = self._runs.get(run_id) if run_id else None
            status = record.headwater_run.status if record is not None else None
            if not run_id:
                statuses[partition] = AssetPartitionStatus.MATERIALIZED
            elif status in (HeadwaterRunStatus.FAILURE, HeadwaterRunStatus.CANCELED):
                statuses[partition] = AssetPartitionStatus.FAILED
            elif status is not HeadwaterRunStatus.SUCCESS and record is not None:
                statuses[partition] = AssetPartitionStatus.IN_PROGRESS
            elif partition in latest_mat:
                statuses[partition] = AssetPartitionStatus.MATERIALIZED
        return statuses

    def _kept_event_ids(self) -> set[int]:
        """The latest materialization and observation per asset (and partition) and the
        latest check evaluations: what prune and run retention never delete."""
        keep: dict[tuple[AssetKey, str | None, HeadwaterEventType], int] = {}
        for key, ids in self._by_asset.items():
            for storage_id in ids:
                event = self._events.get(storage_id)
                if event is not None and event.event_type in _ASSET_EVENTS:
                    keep[(key, None, event.event_type)] = storage_id
                    partition = asset_partition_of(event)
                    if partition is not None and event.event_type is _ET.ASSET_MATERIALIZATION:
                        keep[(key, partition, event.event_type)] = storage_id
        return set(keep.values()) | self._checks.latest_event_ids()

    def prune(self, before_timestamp: float) -> int:
        kept = self._kept_event_ids()
        old_runs = {run_id for run_id, r in self._runs.items()
                    if r.end_time is not None and r.end_time < before_timestamp}
        doomed = [i for i, e in self._events.items() if i not in kept and (
            e.run_id in old_runs or (e.run_id == "" and e.timestamp < before_timestamp))]
        with self._lock:
            for storage_id in doomed:
                del self._events[storage_id]
        return len(doomed)

    def purge_runs(self, before_timestamp: float, limit: int) -> list[str]:
        holders = {self._events[i].run_id for i in self._kept_event_ids() if i in self._events}
        old = sorted((r.end_time, run_id) for run_id, r in self._runs.items()
                     if r.headwater_run.status in FINISHED_STATUSES and r.end_time is not None
                     and r.end_time < before_timestamp and run_id not in holders)
        doomed = [run_id for _, run_id in old[:limit]]
        for run_id in doomed:
            self.delete_run(run_id)
        return doomed

    def _ticks_purged(self, tick_ids: Sequence[int]) -> None:
        for tick_id in tick_ids:
            self.delete_automation_evaluations(tick_id)

    def wipe_assets(self, asset_keys: Sequence[AssetKey]) -> None:
        with self._lock:
            last = max(self._events, default=0)
            for key in asset_keys:
                self._wiped_at[(key, None)] = last
                self._by_asset.pop(key, None)
                self._known_assets.discard(key)
            self._checks.forget_assets(asset_keys)

    def wipe_asset_partitions(self, asset_key: AssetKey, partition_keys: Sequence[str]) -> None:
        wiped = set(partition_keys)
        with self._lock:
            last = max(self._events, default=0)
            for partition in wiped:
                self._wiped_at[(asset_key, partition)] = last
            self._checks.forget_assets([asset_key], list(wiped))
            ids = self._by_asset.get(asset_key)
            if ids is None:
                return
            kept = [i for i in ids if i in self._events
                    and asset_partition_of(self._events[i]) not in wiped]
            self._by_asset[asset_key] = kept
            if not any(self._events[i].event_type in _ASSET_EVENTS for i in kept):
                self._known_assets.discard(asset_key)

    # --- asset check executions -----------------------------------------------------------
    def _check_history(self, key: AssetCheckKey, limit: int, before_id: int | None,
                       partition: str | None,
                       statuses: frozenset[AssetCheckExecutionRecordStatus] | None,
                       ) -> list[AssetCheckExecutionRecord]:
        return self._checks.history(key, limit, before_id, partition, statuses, self._events.get)

    def _latest_check_executions(self, keys: Sequence[AssetCheckKey], partition: str | None,
                                 ) -> dict[AssetCheckKey, AssetCheckExecutionRecord]:
        return self._checks.latest(keys, partition, self._events.get)

    def reindex(self) -> None:
        """Rebuild the check executions from the events (everything else is derived on read),
        skipping the events of assets and partitions wiped since."""
        with self._lock:
            self._checks.clear()
            for storage_id, event in list(self._events.items()):
                if event.event_type in CHECK_EVENT_TYPES and not self._wiped(storage_id, event):
                    self._checks.apply(storage_id, event)

    def _wiped(self, storage_id: int, event: HeadwaterEvent) -> bool:
        if event.event_type not in (_ET.ASSET_CHECK_EVALUATION,
                                    _ET.ASSET_CHECK_EVALUATION_PLANNED):
            return False
        asset_key = check_key_of(event).asset_key
        partition = asset_partition_of(event)
        return storage_id <= max(self._wiped_at.get((asset_key, None), 0),
                                 self._wiped_at.get((asset_key, partition), 0)
                                 if partition is not None else 0)

    # --- dynamic partitions -------------------------------------------------------------
    def add_dynamic_partitions(self, partitions_def_name: str, partition_keys: Sequence[str]) -> None:
        with self._lock:
            keys = self._dynamic_partitions.setdefault(partitions_def_name, {})
            for key in partition_keys:
                keys.setdefault(key, None)

    def get_dynamic_partitions(self, partitions_def_name: str) -> list[str]:
        return list(self._dynamic_partitions.get(partitions_def_name, ()))

    def has_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> bool:
        return partition_key in self._dynamic_partitions.get(partitions_def_name, ())

    def delete_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> None:
        with self._lock:
            self._dynamic_partitions.get(partitions_def_name, {}).pop(partition_key, None)

    # --- everything ---------------------------------------------------------------------
    def storage_id_of(self, event: HeadwaterEvent) -> int | None:
        """The storage id given to a materialization or observation stored here."""
        storage_id = self._ids_by_event.get(id(event))
        return storage_id if storage_id is not None and self._events.get(storage_id) is event \
            else None

    def wipe(self) -> None:
        with self._lock:
            self._runs.clear()
            self._events.clear()
            self._ids_by_event.clear()
            self._by_run.clear()
            self._by_type.clear()
            self._by_asset.clear()
            self._known_assets.clear()
            self._dynamic_partitions.clear()
            self._wiped_at.clear()
            self._checks.clear()
            self._wipe_state()
            self._wipe_automation()


def _matches(query: EventQuery, storage_id: int, event: HeadwaterEvent) -> bool:
    if query.after_id is not None and storage_id <= query.after_id:
        return False
    if query.before_id is not None and storage_id >= query.before_id:
        return False
    if query.storage_ids is not None and storage_id not in query.storage_ids:
        return False
    if query.run_id is not None and event.run_id != query.run_id:
        return False
    if query.job_names is not None and event.job_name not in query.job_names:
        return False
    if query.event_types is not None and event.event_type not in query.event_types:
        return False
    if query.asset_key is not None and event.asset_key != query.asset_key:
        return False
    if query.after_timestamp is not None and event.timestamp <= query.after_timestamp:
        return False
    if query.before_timestamp is not None and event.timestamp >= query.before_timestamp:
        return False
    return query.partitions is None or asset_partition_of(event) in query.partitions
