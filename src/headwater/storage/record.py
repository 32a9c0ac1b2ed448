"""What the instance hands back: run records, event log entries, and the filters to ask for them.

Plain frozen dataclasses with Dagster's public names (`HeadwaterRun`, `RunRecord`,
`EventLogEntry`, `EventLogRecord`, `RunsFilter`, `EventRecordsFilter`, `AssetRecordsFilter`).
Every storage returns these; none of them knows where it is stored. Imports
`headwater.definitions` and `headwater.execution.event`; nothing heavy.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any

from headwater.definitions.checks.result import AssetCheckEvaluation, AssetCheckEvaluationPlanned
from headwater.definitions.key import AssetKey, to_asset_key
from headwater.definitions.tags import (
    PARENT_RUN_ID_TAG,
    PARTITION_TAG,
    ROOT_RUN_ID_TAG,
)
from headwater.errors import HeadwaterInvalidInvocationError
from headwater.execution.event import (
    HeadwaterEvent,
    HeadwaterEventType,
    LogData,
    SerializableError,
)

_ET = HeadwaterEventType


class HeadwaterRunStatus(Enum):
    """Where a run is in its life: QUEUED -> STARTING -> STARTED -> SUCCESS | FAILURE | CANCELED.

    NOT_STARTED: created, not yet submitted. QUEUED: waiting for the run queue's limits.
    STARTING/STARTED: its worker is launching/running it. CANCELING/CANCELED: a cancel was
    asked/done. SUCCESS/FAILURE: finished. MANAGED and SUSPENDED exist for Dagster's API."""

    QUEUED = "QUEUED"
    NOT_STARTED = "NOT_STARTED"
    MANAGED = "MANAGED"
    STARTING = "STARTING"
    STARTED = "STARTED"
    SUSPENDED = "SUSPENDED"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    CANCELING = "CANCELING"
    CANCELED = "CANCELED"


class AssetPartitionStatus(Enum):
    """The state of one partition of an asset, from its latest materialization attempt.

    MATERIALIZED: the latest attempt succeeded. IN_PROGRESS: a run is materializing it.
    FAILED: the latest attempt failed. A partition never attempted has no status (None)."""

    MATERIALIZED = "MATERIALIZED"
    IN_PROGRESS = "IN_PROGRESS"
    FAILED = "FAILED"


FINISHED_STATUSES = frozenset({
    HeadwaterRunStatus.SUCCESS, HeadwaterRunStatus.FAILURE, HeadwaterRunStatus.CANCELED,
})

# The run events that move a run's status, and whether they stamp its start or end time.
STATUS_BY_EVENT: dict[HeadwaterEventType, HeadwaterRunStatus] = {
    _ET.RUN_ENQUEUED: HeadwaterRunStatus.QUEUED,
    _ET.RUN_STARTING: HeadwaterRunStatus.STARTING,
    _ET.RUN_START: HeadwaterRunStatus.STARTED,
    _ET.RUN_SUCCESS: HeadwaterRunStatus.SUCCESS,
    _ET.RUN_FAILURE: HeadwaterRunStatus.FAILURE,
    _ET.RUN_CANCELING: HeadwaterRunStatus.CANCELING,
    _ET.RUN_CANCELED: HeadwaterRunStatus.CANCELED,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class HeadwaterRun:
    """One run as stored: which job, with what config and tags, and how far it got.

    What `instance.get_run_by_id(...)` returns; `status` is a `HeadwaterRunStatus`, and
    `is_success`, `is_finished` and `partition_key` answer the usual questions. Runs are
    created by launching jobs, not by building this directly.

    Args:
        job_name: the job the run executes.
        run_id: the run's unique id.
        run_config: the config the run was launched with.
        asset_selection: the assets the run materializes, when it targets a subset.
        op_selection: the ops the run executes, when it targets a subset.
        step_keys_to_execute: the steps to execute (a re-execution of some steps).
        status: where the run is in its life.
        tags: the run's tags (partition, schedule, sensor, backfill, your own).
        root_run_id: the first run of a chain of re-executions.
        parent_run_id: the run this one re-executes.

    Example:
        ```python
        from headwater import HeadwaterInstance, HeadwaterRunStatus, asset, materialize

        @asset
        def orders() -> list[int]:
            return [1, 2]

        instance = HeadwaterInstance.ephemeral()
        result = materialize([orders], instance=instance, tags={"team": "sales"})
        run = instance.get_run_by_id(result.run_id)
        assert run.status is HeadwaterRunStatus.SUCCESS and run.tags["team"] == "sales"
        ```
    """

    job_name: str
    run_id: str
    run_config: Mapping[str, Any] = field(default_factory=dict)
    asset_selection: frozenset[AssetKey] | None = None
    op_selection: tuple[str, ...] | None = None
    step_keys_to_execute: tuple[str, ...] | None = None
    status: HeadwaterRunStatus = HeadwaterRunStatus.NOT_STARTED
    tags: Mapping[str, str] = field(default_factory=dict)
    root_run_id: str | None = None
    parent_run_id: str | None = None

    @property
    def pipeline_name(self) -> str:
        return self.job_name

    @property
    def previous_run_id(self) -> str | None:
        return self.parent_run_id

    @property
    def partition_key(self) -> str | None:
        return self.tags.get(PARTITION_TAG)

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def is_success(self) -> bool:
        return self.status is HeadwaterRunStatus.SUCCESS

    @property
    def is_failure(self) -> bool:
        return self.status is HeadwaterRunStatus.FAILURE

    @property
    def is_failure_or_canceled(self) -> bool:
        return self.status in (HeadwaterRunStatus.FAILURE, HeadwaterRunStatus.CANCELED)

    @property
    def is_cancelable(self) -> bool:
        return self.status in (HeadwaterRunStatus.QUEUED, HeadwaterRunStatus.NOT_STARTED,
                               HeadwaterRunStatus.STARTING, HeadwaterRunStatus.STARTED)

    def get_root_run_id(self) -> str | None:
        return self.tags.get(ROOT_RUN_ID_TAG, self.root_run_id)

    def get_parent_run_id(self) -> str | None:
        return self.tags.get(PARENT_RUN_ID_TAG, self.parent_run_id)

    def with_status(self, status: HeadwaterRunStatus) -> HeadwaterRun:
        return replace(self, status=status)

    def with_tags(self, tags: Mapping[str, str]) -> HeadwaterRun:
        return replace(self, tags=dict(tags))


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    """A stored run with its bookkeeping: storage id, creation and update times, start and end.

    What `instance.get_run_records(...)` returns; the run itself is `headwater_run`.

    Args:
        storage_id: the run's row id in storage (orders runs by creation).
        headwater_run: the run.
        create_timestamp: when the run was created.
        update_timestamp: when the run was last updated.
        start_time: when the run started (a Unix timestamp), if it has.
        end_time: when the run finished (a Unix timestamp), if it has.

    Example:
        ```python
        from headwater import HeadwaterInstance, asset, materialize

        @asset
        def orders() -> list[int]:
            return [1, 2]

        instance = HeadwaterInstance.ephemeral()
        materialize([orders], instance=instance)
        [record] = instance.get_run_records()
        assert record.end_time >= record.start_time
        ```
    """

    storage_id: int
    headwater_run: HeadwaterRun
    create_timestamp: datetime
    update_timestamp: datetime
    start_time: float | None = None
    end_time: float | None = None


@dataclass(frozen=True, slots=True)
class RunsFilter:
    """Which runs to return from `instance.get_runs` / `get_run_records`: all fields given must match.

    A tag may list several values, any of which matches.

    Args:
        run_ids: runs with one of these ids.
        job_name: runs of this job.
        statuses: runs in one of these `HeadwaterRunStatus`es.
        tags: runs having each of these tags (a value, or a list of accepted values).
        snapshot_id: runs of this job snapshot.
        updated_after: runs updated after this time.
        updated_before: runs updated before this time.
        created_after: runs created after this time.
        created_before: runs created before this time.
        exclude_subruns: leave out re-executions (runs with a parent run).
        asset_keys: runs that target any of these assets.
        active_after: runs not finished by this time (still going, or ended after it).

    Example:
        ```python
        from headwater import HeadwaterInstance, HeadwaterRunStatus, RunsFilter, asset
        from headwater import materialize

        @asset
        def orders() -> list[int]:
            return [1, 2]

        instance = HeadwaterInstance.ephemeral()
        materialize([orders], instance=instance, tags={"team": "sales"})
        runs = instance.get_runs(RunsFilter(statuses=[HeadwaterRunStatus.SUCCESS],
                                            tags={"team": ["sales", "ops"]}))
        assert len(runs) == 1
        ```
    """

    run_ids: Sequence[str] | None = None
    job_name: str | None = None
    statuses: Sequence[HeadwaterRunStatus] | None = None
    tags: Mapping[str, str | Sequence[str]] | None = None
    snapshot_id: str | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    exclude_subruns: bool | None = None
    asset_keys: Sequence[AssetKey] | None = None  # headwater's: runs targeting any of these
    #: headwater's: runs not over by this time, i.e. still going (not finished), or finished at
    #: or after it (their end time, or their last update when no end time was stamped). With
    #: `created_before`, the runs whose span overlaps a time window.
    active_after: datetime | None = None

    def matches(self, record: RunRecord) -> bool:
        """Whether `record` passes this filter (the in-memory storage's implementation)."""
        run = record.headwater_run
        if self.run_ids is not None and run.run_id not in self.run_ids:
            return False
        if self.job_name is not None and run.job_name != self.job_name:
            return False
        if self.statuses is not None and run.status not in self.statuses:
            return False
        for key, wanted in (self.tags or {}).items():
            value = run.tags.get(key)
            if isinstance(wanted, str):
                if value != wanted:
                    return False
            elif value not in wanted:
                return False
        if self.exclude_subruns and run.get_parent_run_id() is not None:
            return False
        if self.asset_keys is not None and not (
                run.asset_selection and any(to_asset_key(k) in run.asset_selection
                                            for k in self.asset_keys)):
            return False
        if self.updated_after is not None and record.update_timestamp <= self.updated_after:
            return False
        if self.updated_before is not None and record.update_timestamp >= self.updated_before:
            return False
        if self.created_after is not None and record.create_timestamp <= self.created_after:
            return False
        if self.active_after is not None and run.status in FINISHED_STATUSES:
            ended = record.end_time if record.end_time is not None else (
                record.update_timestamp.timestamp())
            if ended < self.active_after.timestamp():
                return False
        return self.created_before is None or record.create_timestamp < self.created_before


# --- event log ------------------------------------------------------------------------

_ERROR_EVENTS = frozenset({
    _ET.STEP_FAILURE, _ET.RUN_FAILURE, _ET.HOOK_ERRORED, _ET.RESOURCE_INIT_FAILURE,
})
RUNLESS_RUN_ID = ""
RUNLESS_JOB_NAME = ""


@dataclass(frozen=True, slots=True)
class EventLogEntry:
    """One line of a run's log: a structured event, or a message from `context.log`.

    `headwater_event` holds the event (check `is_headwater_event`); `asset_materialization`
    and `asset_observation` read it for asset events. `instance.all_logs(run_id)` returns a
    run's entries in order.

    Args:
        error_info: the error, for a failure.
        level: the log level (a `logging` number or name).
        user_message: the message text.
        run_id: the run it belongs to.
        timestamp: when it happened (a Unix timestamp).
        step_key: the step it came from, if any.
        job_name: the job of the run.
        headwater_event: the structured event, or None for a plain log message.

    Example:
        ```python
        from headwater import HeadwaterEventType, HeadwaterInstance, asset, materialize

        @asset
        def orders() -> list[int]:
            return [1, 2]

        instance = HeadwaterInstance.ephemeral()
        result = materialize([orders], instance=instance)
        entries = instance.all_logs(result.run_id)
        types = [e.headwater_event_type for e in entries if e.is_headwater_event]
        assert HeadwaterEventType.ASSET_MATERIALIZATION in types
        ```
    """

    error_info: SerializableError | None
    level: int | str
    user_message: str
    run_id: str
    timestamp: float
    step_key: str | None = None
    job_name: str | None = None
    headwater_event: HeadwaterEvent | None = None

    @property
    def is_headwater_event(self) -> bool:
        return self.headwater_event is not None

    def get_headwater_event(self) -> HeadwaterEvent:
        if self.headwater_event is None:
            raise ValueError(
                f"This log entry of run {self.run_id!r} is a log message ({self.user_message!r}), "
                "not a headwater event: check is_headwater_event first."
            )
        return self.headwater_event

    @property
    def headwater_event_type(self) -> HeadwaterEventType | None:
        return self.headwater_event.event_type if self.headwater_event is not None else None

    @property
    def message(self) -> str:
        return self.headwater_event.message if self.headwater_event is not None else self.user_message

    @property
    def asset_materialization(self) -> Any:
        event = self.headwater_event
        if event is None or event.event_type is not _ET.ASSET_MATERIALIZATION:
            return None
        return event.payload.materialization

    @property
    def asset_observation(self) -> Any:
        event = self.headwater_event
        if event is None or event.event_type is not _ET.ASSET_OBSERVATION:
            return None
        return event.payload.asset_observation

    @property
    def asset_check_evaluation(self) -> Any:
        event = self.headwater_event
        if event is None or event.event_type is not _ET.ASSET_CHECK_EVALUATION:
            return None
        return event.payload


def entry_for_event(event: HeadwaterEvent) -> EventLogEntry:
    """The log entry for an engine event; LOG events become plain messages, as in Dagster."""
    if event.event_type is _ET.LOG:
        return EventLogEntry(None, event.payload.level if event.payload else logging.INFO,
                             event.message, event.run_id, event.timestamp, event.step_key,
                             event.job_name, None)
    error = getattr(event.payload, "error", None)
    if event.event_type in _ERROR_EVENTS:
        level = logging.ERROR
    elif event.run_id == RUNLESS_RUN_ID:
        level = logging.INFO
    else:
        level = logging.DEBUG
    return EventLogEntry(error if isinstance(error, SerializableError) else None, level,
                         event.message, event.run_id, event.timestamp, event.step_key,
                         event.job_name, event)


def event_for_entry(entry: EventLogEntry) -> HeadwaterEvent:
    """The engine event to store for a log entry built by hand (`handle_new_event`)."""
    if entry.headwater_event is not None:
        event = entry.headwater_event
        if event.run_id != entry.run_id or event.timestamp != entry.timestamp:
            event = replace(event, run_id=entry.run_id, timestamp=entry.timestamp)
        return event
    level = entry.level if isinstance(entry.level, int) else logging.getLevelName(entry.level)
    return HeadwaterEvent(_ET.LOG, entry.run_id, entry.job_name or "", entry.timestamp,
                          entry.step_key, message=entry.user_message,
                          payload=LogData(level if isinstance(level, int) else logging.INFO))


def asset_partition_of(event: HeadwaterEvent) -> str | None:
    """The partition an asset or check event is about: the payload's own, else the run's."""
    payload = event.payload
    record = getattr(payload, "materialization", None) or getattr(payload, "asset_observation", None)
    if record is None and isinstance(payload, (AssetCheckEvaluation, AssetCheckEvaluationPlanned)):
        record = payload
    partition = getattr(record, "partition", None)
    return partition if partition is not None else event.partition


@dataclass(frozen=True, slots=True)
class EventLogRecord:
    """A stored log entry and its storage id, which orders events and serves as a cursor.

    Returned by the instance's `fetch_*` and `get_event_records` queries; `asset_key`,
    `partition_key` and `asset_materialization` read the entry's event.

    Args:
        storage_id: the entry's id in storage, increasing with time.
        event_log_entry: the entry.

    Example:
        ```python
        from headwater import AssetKey, HeadwaterInstance, StaticPartitionsDefinition, asset
        from headwater import materialize

        @asset(partitions_def=StaticPartitionsDefinition(["eu", "us"]))
        def sales() -> int:
            return 1

        instance = HeadwaterInstance.ephemeral()
        result = materialize([sales], instance=instance, partition_key="eu")
        [record] = instance.fetch_materializations(AssetKey("sales"), limit=1).records
        assert record.partition_key == "eu" and record.run_id == result.run_id
        ```
    """

    storage_id: int
    event_log_entry: EventLogEntry

    @property
    def run_id(self) -> str:
        return self.event_log_entry.run_id

    @property
    def timestamp(self) -> float:
        return self.event_log_entry.timestamp

    @property
    def event_type(self) -> HeadwaterEventType | None:
        return self.event_log_entry.headwater_event_type

    @property
    def asset_key(self) -> AssetKey | None:
        event = self.event_log_entry.headwater_event
        return event.asset_key if event is not None else None

    @property
    def partition_key(self) -> str | None:
        event = self.event_log_entry.headwater_event
        return asset_partition_of(event) if event is not None else None

    @property
    def asset_materialization(self) -> Any:
        return self.event_log_entry.asset_materialization

    @property
    def asset_observation(self) -> Any:
        return self.event_log_entry.asset_observation

    @property
    def asset_event(self) -> Any:
        return self.asset_materialization or self.asset_observation


def record_for(storage_id: int, event: HeadwaterEvent) -> EventLogRecord:
    return EventLogRecord(storage_id, entry_for_event(event))


@dataclass(frozen=True, slots=True)
class EventLogConnection:
    """A page of a run's log: records, the cursor after the last one, and whether more remain."""

    records: Sequence[EventLogRecord]
    cursor: str | None
    has_more: bool


@dataclass(frozen=True, slots=True)
class EventRecordsResult:
    """A page of asset events: the records, a cursor after the last one, and whether more remain.

    Returned by `instance.fetch_materializations` and `fetch_observations`; pass `cursor`
    back to get the next page.

    Args:
        records: the `EventLogRecord`s of this page.
        cursor: where the next page starts.
        has_more: whether more records remain after this page.

    Example:
        ```python
        from headwater import AssetKey, HeadwaterInstance, StaticPartitionsDefinition, asset
        from headwater import materialize

        @asset(partitions_def=StaticPartitionsDefinition(["eu", "us"]))
        def sales() -> int:
            return 1

        instance = HeadwaterInstance.ephemeral()
        result = materialize([sales], instance=instance, partition_key="eu")
        page = instance.fetch_materializations(AssetKey("sales"), limit=10)
        assert len(page.records) == 1 and not page.has_more
        ```
    """

    records: Sequence[EventLogRecord]
    cursor: str | None
    has_more: bool


@dataclass(frozen=True, slots=True)
class AssetRecordsFilter:
    """Which events of one asset to fetch: some partitions, a time window, a storage-id window.

    Pass it to `instance.fetch_materializations` or `fetch_observations`.

    Args:
        asset_key: the asset (an `AssetKey`, a string or a list of strings).
        asset_partitions: only events of these partitions.
        after_timestamp: only events after this Unix timestamp.
        before_timestamp: only events before this Unix timestamp.
        after_storage_id: only events stored after this storage id.
        before_storage_id: only events stored before this storage id.
        storage_ids: only events with these storage ids.

    Example:
        ```python
        from headwater import AssetRecordsFilter
        from headwater import HeadwaterInstance, StaticPartitionsDefinition, asset
        from headwater import materialize

        @asset(partitions_def=StaticPartitionsDefinition(["eu", "us"]))
        def sales() -> int:
            return 1

        instance = HeadwaterInstance.ephemeral()
        result = materialize([sales], instance=instance, partition_key="eu")
        materialize([sales], instance=instance, partition_key="us")
        records_filter = AssetRecordsFilter(asset_key="sales", asset_partitions=["us"])
        [record] = instance.fetch_materializations(records_filter, limit=10).records
        assert record.partition_key == "us"
        ```
    """

    asset_key: AssetKey
    asset_partitions: Sequence[str] | None = None
    after_timestamp: float | None = None
    before_timestamp: float | None = None
    after_storage_id: int | None = None
    before_storage_id: int | None = None
    storage_ids: Sequence[int] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "asset_key", to_asset_key(self.asset_key))


@dataclass(frozen=True, slots=True)
class EventRecordsFilter:
    """Which events to fetch from `instance.get_event_records`: of one type, maybe one asset.

    Args:
        event_type: the `HeadwaterEventType` to fetch.
        asset_key: only events of this asset.
        asset_partitions: only events of these partitions.
        after_cursor: only events stored after this storage id.
        before_cursor: only events stored before this storage id.
        after_timestamp: only events after this Unix timestamp.
        before_timestamp: only events before this Unix timestamp.
        storage_ids: only events with these storage ids.

    Example:
        ```python
        from headwater import EventRecordsFilter, HeadwaterEventType
        from headwater import AssetKey, HeadwaterInstance, StaticPartitionsDefinition, asset
        from headwater import materialize

        @asset(partitions_def=StaticPartitionsDefinition(["eu", "us"]))
        def sales() -> int:
            return 1

        instance = HeadwaterInstance.ephemeral()
        result = materialize([sales], instance=instance, partition_key="eu")
        records = instance.get_event_records(EventRecordsFilter(
            event_type=HeadwaterEventType.ASSET_MATERIALIZATION, asset_key=AssetKey("sales")))
        assert [r.partition_key for r in records] == ["eu"]
        ```
    """

    event_type: HeadwaterEventType
    asset_key: AssetKey | None = None
    asset_partitions: Sequence[str] | None = None
    after_cursor: int | None = None
    before_cursor: int | None = None
    after_timestamp: float | None = None
    before_timestamp: float | None = None
    storage_ids: Sequence[int] | None = None

    def __post_init__(self) -> None:
        if self.asset_key is not None:
            object.__setattr__(self, "asset_key", to_asset_key(self.asset_key))


@dataclass(frozen=True, slots=True)
class RunStatusChangeRecordsFilter:
    """Which run status events (RUN_START, RUN_SUCCESS, ...) to fetch, maybe of some jobs only.

    Pass it to `instance.fetch_run_status_changes`; run status sensors read these.

    Args:
        event_type: the run status event to fetch, e.g. `HeadwaterEventType.RUN_SUCCESS`.
        after_timestamp: only events after this Unix timestamp.
        before_timestamp: only events before this Unix timestamp.
        after_storage_id: only events stored after this storage id.
        before_storage_id: only events stored before this storage id.
        storage_ids: only events with these storage ids.
        job_names: only events of runs of these jobs.

    Example:
        ```python
        from headwater import HeadwaterEventType, HeadwaterInstance, RunStatusChangeRecordsFilter
        from headwater import asset, materialize

        @asset
        def orders() -> list[int]:
            return [1, 2]

        instance = HeadwaterInstance.ephemeral()
        result = materialize([orders], instance=instance)
        status_filter = RunStatusChangeRecordsFilter(event_type=HeadwaterEventType.RUN_SUCCESS)
        [record] = instance.fetch_run_status_changes(status_filter, limit=10).records
        assert record.run_id == result.run_id
        ```
    """

    event_type: HeadwaterEventType
    after_timestamp: float | None = None
    before_timestamp: float | None = None
    after_storage_id: int | None = None
    before_storage_id: int | None = None
    storage_ids: Sequence[int] | None = None
    job_names: Sequence[str] | None = None

    def __post_init__(self) -> None:
        if self.event_type not in STATUS_BY_EVENT:
            raise HeadwaterInvalidInvocationError(
                f"RunStatusChangeRecordsFilter(event_type={self.event_type!r}): expected a run "
                f"status event, one of {sorted(t.name for t in STATUS_BY_EVENT)}."
            )
