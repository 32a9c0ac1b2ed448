"""HeadwaterInstance: where runs and their events are recorded, queried with Dagster's API.

The instance turns Dagster's instance methods into the few row operations of a `Storage`
(storage/base.py) and keeps each run's status in step with its events. The engine knows it
only through the `RunInstance` protocol of `execution/event.py` (`register_run(run)` once
before RUN_START, `store_event(event)` for every event as it is emitted, `flush()`), and
gets an ephemeral one from the factory registered at the end of this module when a run is
given no instance. `HeadwaterInstance.ephemeral()` keeps
everything in memory; `get()` opens the SQL storage of `$HEADWATER_HOME` (storage/home.py)
and `instance_for_test()` a SQLite database in a temporary home. Imports
`headwater.definitions`, `headwater.execution.event` and this package; the SQL storage
(and SQLAlchemy) load on first use, never at `import headwater`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from headwater.definitions.checks.result import (
    AssetCheckEvaluation,
    AssetCheckEvaluationTargetMaterializationData,
    AssetCheckResult,
)
from headwater.definitions.key import AssetCheckKey, AssetKey, to_asset_key
from headwater.definitions.ops.output import AssetMaterialization, AssetObservation
from headwater.definitions.partitions.base import check_partition_key_chars
from headwater.definitions.tags import (
    CODE_VERSION_TAG,
    PARENT_RUN_ID_TAG,
    ROOT_RUN_ID_TAG,
    SYSTEM_TAG_PREFIX,
    oversized_tag,
)
from headwater.errors import HeadwaterInvalidInvocationError
from headwater.execution.event import (
    HeadwaterEvent,
    HeadwaterEventType,
    MaterializationData,
    ObservationData,
    RunFailureData,
    RunInstance,
    register_ephemeral_instance,
)
from headwater.storage.automation import AutomationConditionEvaluationRecord, automation_key_string
from headwater.storage.base import EventQuery, Storage
from headwater.storage.checks import AssetCheckExecutionRecord, AssetCheckExecutionRecordStatus
from headwater.storage.home import (
    HOME_ENV,
    check_home,
    load_settings,
    resolve_home,
    storage_url,
)
from headwater.storage.memory import InMemoryStorage
from headwater.storage.record import (
    RUNLESS_JOB_NAME,
    RUNLESS_RUN_ID,
    AssetPartitionStatus,
    AssetRecordsFilter,
    EventLogConnection,
    EventLogEntry,
    EventLogRecord,
    EventRecordsFilter,
    EventRecordsResult,
    HeadwaterRun,
    HeadwaterRunStatus,
    RunRecord,
    RunsFilter,
    RunStatusChangeRecordsFilter,
    event_for_entry,
    record_for,
)

_ET = HeadwaterEventType
_MATERIALIZATION = frozenset({_ET.ASSET_MATERIALIZATION})
_OBSERVATION = frozenset({_ET.ASSET_OBSERVATION})
# Changed by every asset wipe (`_bump_wipe_generation`).
WIPE_GENERATION_KEY = "asset_wipe_generation"


class HeadwaterInstance:
    """The record of a headwater deployment: its runs, their events, and what assets hold.

    Every run, materialization and observation is stored here, and the UI, schedules and
    sensors read it back. Get the configured one with `HeadwaterInstance.get()` (from
    `$HEADWATER_HOME`, SQLite by default), an in-memory one with `ephemeral()`, and a
    throwaway one for a test with `instance_for_test()`.

    Args:
        storage: where runs and events are kept (SQLite, PostgreSQL or in memory).
        root_directory: the instance's directory, for stored values and compute logs.
        settings: the settings read from `headwater.yaml`.

    Example:
        ```python
        from headwater import HeadwaterInstance, asset, materialize

        @asset
        def orders() -> list[int]:
            return [1, 2]

        instance = HeadwaterInstance.ephemeral()
        materialize([orders], instance=instance)
        event = instance.get_latest_materialization_event("orders")
        assert event.asset_materialization.asset_key.to_user_string() == "orders"
        ```
    """

    def __init__(self, storage: Storage, root_directory: str | None = None,
                 settings: Mapping[str, Any] | None = None):
        self._storage = storage
        self._root_directory = root_directory
        self._settings = dict(settings or {})
        # Removes the temporary root directory made on demand; runs at dispose() or when the
        # instance is garbage collected (a notebook's ephemeral instances are never disposed).
        self._remove_tempdir: weakref.finalize[Any, Any] | None = None

    @staticmethod
    def ephemeral(tempdir: str | None = None, preload: Any = None,
                  settings: Mapping[str, Any] | None = None) -> HeadwaterInstance:
        """An instance that keeps runs and events in memory, for tests and notebooks.
        `preload` (Dagster's runs from `dagster debug export`) has no headwater counterpart
        and is refused."""
        if preload:
            raise HeadwaterInvalidInvocationError(
                "HeadwaterInstance.ephemeral(preload=...): headwater has no exported run "
                "payloads to preload; add runs with instance.add_run(...) and their events "
                "with instance.store_event(...) instead.")
        return HeadwaterInstance(InMemoryStorage(), root_directory=tempdir, settings=settings)

    @staticmethod
    def get() -> HeadwaterInstance:
        """The persistent instance of $HEADWATER_HOME (default ./.headwater/), as configured by
        its headwater.yaml; SQLite in the home unless a storage URL says otherwise."""
        home = resolve_home()
        settings = load_settings(home)
        url = storage_url(home, settings)
        check_home(home, url)
        return HeadwaterInstance.from_url(url, home, settings)

    @staticmethod
    def from_url(url: str, root_directory: str | None = None,
                 settings: Mapping[str, Any] | None = None) -> HeadwaterInstance:
        """An instance on the SQL database at `url` (sqlite:///... or postgresql://...)."""
        from headwater.storage.sql import SqlStorage

        return HeadwaterInstance(SqlStorage(url), root_directory=root_directory, settings=settings)

    def __repr__(self) -> str:
        return f"HeadwaterInstance({self._storage!r})"

    def __enter__(self) -> HeadwaterInstance:
        return self

    def __exit__(self, *exc: object) -> None:
        self.dispose()

    def dispose(self) -> None:
        self._storage.dispose()
        if self._remove_tempdir is not None:
            self._remove_tempdir()
            self._remove_tempdir = None

    @property
    def storage(self) -> Storage:
        return self._storage

    @property
    def event_log_storage(self) -> Storage:
        """The storage, by the name Dagster code reaches the event log with
        (`instance.event_log_storage.get_asset_check_execution_history(key, limit=10)`)."""
        return self._storage

    @property
    def run_storage(self) -> Storage:
        """The storage, by the name Dagster code reaches runs and the key-value store with
        (`instance.run_storage.get_cursor_values({"key"})`)."""
        return self._storage

    @property
    def is_ephemeral(self) -> bool:
        return isinstance(self._storage, InMemoryStorage)

    @property
    def root_directory(self) -> str:
        if self._root_directory is None:
            self._root_directory = tempfile.mkdtemp(prefix="headwater-")
            self._remove_tempdir = weakref.finalize(self, shutil.rmtree, self._root_directory,
                                                    ignore_errors=True)
        return self._root_directory

    def storage_directory(self) -> str:
        return os.path.join(self.root_directory, "storage")

    def get_ref(self) -> InstanceRef:
        """How another process opens this instance (its storage URL and root directory)."""
        url = getattr(self._storage, "url", None)
        if url is None:
            raise HeadwaterInvalidInvocationError(
                "An ephemeral (in-memory) instance cannot be opened by another process: use "
                "HeadwaterInstance.get() with $HEADWATER_HOME set, or instance_for_test()."
            )
        return InstanceRef(url, self.root_directory, dict(self._settings))

    def get_settings(self, settings_key: str) -> dict[str, Any]:
        """One section of the instance settings (e.g. "schedules"), {} when not configured."""
        return dict(self._settings.get(settings_key) or {})

    # --- the engine's hooks -------------------------------------------------------------
    def register_run(self, run: Any) -> None:
        """Record a run the engine is about to start (an `execution.run.Run`)."""
        if self.has_run(run.run_id):
            return
        assets = frozenset(k for s in run.plan.steps for k in s.asset_keys_by_output.values())
        self.add_run(HeadwaterRun(
            job_name=run.job.name, run_id=run.run_id, run_config=dict(run.run_config),
            asset_selection=assets or None,
            op_selection=tuple(run.job.op_selection) if run.job.op_selection else None,
            step_keys_to_execute=tuple(run.selected_step_keys()),
            tags=dict(run.tags), parent_run_id=run.tags.get(PARENT_RUN_ID_TAG),
            root_run_id=run.tags.get(ROOT_RUN_ID_TAG),
        ))

    def store_event(self, event: HeadwaterEvent) -> None:
        """Append one event; run events move the run's status (a SQL storage may hold the
        event until the step's boundary; any read through this instance sees it)."""
        self._storage.append_event(event)

    def store_events(self, events: Iterable[HeadwaterEvent]) -> None:
        """Append many events at once (one transaction on SQL storage)."""
        self._storage.append_events(events)

    def flush(self) -> None:
        """Write the events the storage is holding (SQL storage batches a step's events)."""
        self._storage.flush()

    def handle_new_event(self, event: EventLogEntry) -> None:
        """Store a log entry built outside the engine."""
        self.store_event(event_for_entry(event))

    # --- runs ---------------------------------------------------------------------------
    def add_run(self, headwater_run: HeadwaterRun) -> HeadwaterRun:
        # the user's tags are capped (headwater's own, like a long step selection, are not)
        problem = oversized_tag({k: v for k, v in headwater_run.tags.items()
                                 if not k.startswith(SYSTEM_TAG_PREFIX)})
        if problem is not None:
            raise HeadwaterInvalidInvocationError(f"Run of {headwater_run.job_name!r}: {problem}")
        now = datetime.now(timezone.utc)
        self._storage.add_run(RunRecord(storage_id=0, headwater_run=headwater_run,
                                        create_timestamp=now, update_timestamp=now))
        return headwater_run

    def create_run_for_job(
        self,
        job_def: Any,
        execution_plan: Any = None,
        run_id: str | None = None,
        run_config: Mapping[str, Any] | None = None,
        resolved_op_selection: Any = None,
        status: HeadwaterRunStatus | str | None = None,
        tags: Mapping[str, str] | None = None,
        root_run_id: str | None = None,
        parent_run_id: str | None = None,
        op_selection: Sequence[str] | None = None,
        asset_selection: Iterable[AssetKey] | None = None,
        remote_job_origin: Any = None,
        job_code_origin: Any = None,
        repository_load_data: Any = None,
    ) -> HeadwaterRun:
        """Store a run of `job_def` that has not started (Dagster's signature). The run's
        `op_selection` is `resolved_op_selection` (the op names a selection query resolved
        to) when given, else `op_selection`. `execution_plan` is not needed (a run's plan is
        built when it executes); Dagster's origin objects are refused."""
        given = [name for name, value in (("remote_job_origin", remote_job_origin),
                                          ("job_code_origin", job_code_origin),
                                          ("repository_load_data", repository_load_data))
                 if value is not None]
        if given:
            raise HeadwaterInvalidInvocationError(
                f"create_run_for_job({given[0]}=...): headwater takes no Dagster origin objects; "
                "a run a worker can load records its code location when it is created with "
                "headwater.code.run.create_run(instance, origin, job_def, ...).")
        if resolved_op_selection is not None:
            op_selection = sorted(resolved_op_selection)
        all_tags = {**{k: str(v) for k, v in getattr(job_def, "tags", {}).items()},
                    **dict(getattr(job_def, "run_tags", None) or {}), **dict(tags or {})}
        if isinstance(status, str):
            status = HeadwaterRunStatus(status)
        return self.add_run(HeadwaterRun(
            job_name=job_def.name, run_id=run_id or str(uuid.uuid4()),
            run_config=dict(run_config or {}),
            asset_selection=frozenset(asset_selection) if asset_selection is not None else None,
            op_selection=tuple(op_selection) if op_selection is not None else None,
            status=status or HeadwaterRunStatus.NOT_STARTED, tags=all_tags,
            root_run_id=root_run_id, parent_run_id=parent_run_id,
        ))

    def get_run_record_by_id(self, run_id: str) -> RunRecord | None:
        records = self._storage.get_run_records(RunsFilter(run_ids=[run_id]), limit=1)
        return records[0] if records else None

    def get_run_by_id(self, run_id: str) -> HeadwaterRun | None:
        record = self.get_run_record_by_id(run_id)
        return record.headwater_run if record is not None else None

    def has_run(self, run_id: str) -> bool:
        return self.get_run_record_by_id(run_id) is not None

    def get_run_records(self, filters: RunsFilter | None = None, limit: int | None = None,
                        order_by: str | None = None, ascending: bool = False,
                        cursor: str | None = None, bucket_by: Any = None) -> list[RunRecord]:
        _no_buckets(bucket_by)
        if order_by not in (None, "id", "create_timestamp"):
            raise HeadwaterInvalidInvocationError(
                f"get_run_records(order_by={order_by!r}) is not supported: runs are ordered by "
                "creation; pass ascending=True for oldest first."
            )
        return self._storage.get_run_records(filters, limit, cursor, ascending)

    def get_runs(self, filters: RunsFilter | None = None, cursor: str | None = None,
                 limit: int | None = None, bucket_by: Any = None,
                 ascending: bool = False) -> list[HeadwaterRun]:
        """Runs matching `filters`, newest first; `cursor` is the run id to continue after."""
        _no_buckets(bucket_by)
        return [r.headwater_run for r in self._storage.get_run_records(filters, limit, cursor, ascending)]

    def get_run_ids(self, filters: RunsFilter | None = None, cursor: str | None = None,
                    limit: int | None = None) -> list[str]:
        return [r.run_id for r in self.get_runs(filters, cursor, limit)]

    def get_runs_count(self, filters: RunsFilter | None = None) -> int:
        return self._storage.get_runs_count(filters)

    def delete_run(self, run_id: str) -> None:
        self._storage.delete_run(run_id)

    def add_run_tags(self, run_id: str, new_tags: Mapping[str, str]) -> None:
        self._storage.update_run(run_id, time.time(), tags=new_tags)

    def get_run_tags(self, tag_keys: Sequence[str], value_prefix: str | None = None,
                     limit: int | None = None) -> list[tuple[str, set[str]]]:
        values: dict[str, set[str]] = {k: set() for k in tag_keys}
        for record in self._storage.get_run_records():
            for key in tag_keys:
                value = record.headwater_run.tags.get(key)
                if value is not None and (value_prefix is None or value.startswith(value_prefix)):
                    values[key].add(value)
        items = [(k, v) for k, v in sorted(values.items()) if v]
        return items[:limit] if limit is not None else items

    def report_run_failed(self, headwater_run: HeadwaterRun, message: str | None = None) -> HeadwaterEvent:
        return self._report_run_event(headwater_run, _ET.RUN_FAILURE, message or
                                      f'Run of job "{headwater_run.job_name}" was marked as failed '
                                      "by report_run_failed, outside the run itself.", RunFailureData())

    def report_run_canceled(self, headwater_run: HeadwaterRun, message: str | None = None) -> HeadwaterEvent:
        return self._report_run_event(headwater_run, _ET.RUN_CANCELED, message or
                                      f'Run of job "{headwater_run.job_name}" was marked as '
                                      "canceled by report_run_canceled, outside the run itself.")

    def _report_run_event(self, run: HeadwaterRun, event_type: HeadwaterEventType, message: str,
                          payload: Any = None) -> HeadwaterEvent:
        event = HeadwaterEvent(event_type, run.run_id, run.job_name, time.time(),
                               message=message, payload=payload)
        self.store_event(event)
        return event

    # --- a run's log --------------------------------------------------------------------
    def all_logs(self, run_id: str, of_type: HeadwaterEventType | Iterable[HeadwaterEventType]
                 | None = None) -> list[EventLogEntry]:
        """Every log entry of a run, oldest first, optionally of some event types only."""
        query = EventQuery(run_id=run_id, event_types=_event_types(of_type))
        return [r.event_log_entry for r in self._storage.get_event_records(query)]

    def get_records_for_run(self, run_id: str, cursor: str | None = None,
                            of_type: HeadwaterEventType | Iterable[HeadwaterEventType] | None = None,
                            limit: int | None = None, ascending: bool = True) -> EventLogConnection:
        """A page of a run's log records; pass the returned cursor to get the next page."""
        after = before = None
        if cursor is not None:
            if ascending:
                after = _parse_cursor(cursor)
            else:
                before = _parse_cursor(cursor)
        query = EventQuery(run_id=run_id, event_types=_event_types(of_type), after_id=after,
                           before_id=before)
        records, has_more = self._page(query, limit, ascending)
        return EventLogConnection(records, _next_cursor(records, cursor), has_more)

    def _page(self, query: EventQuery, limit: int | None,
              ascending: bool) -> tuple[list[EventLogRecord], bool]:
        records = self._storage.get_event_records(query, None if limit is None else limit + 1,
                                                  ascending)
        if limit is not None and len(records) > limit:
            return records[:limit], True
        return records, False

    # --- asset events -------------------------------------------------------------------
    def report_runless_asset_event(self, asset_event: Any) -> None:
        """Record a materialization, observation or check evaluation that no run produced."""
        payload: Any
        if isinstance(asset_event, AssetMaterialization):
            event_type, payload = _ET.ASSET_MATERIALIZATION, MaterializationData(asset_event)
        elif isinstance(asset_event, AssetObservation):
            event_type, payload = _ET.ASSET_OBSERVATION, ObservationData(asset_event)
        elif isinstance(asset_event, AssetCheckEvaluation):
            event_type, payload = _ET.ASSET_CHECK_EVALUATION, asset_event
        elif isinstance(asset_event, AssetCheckResult):
            if asset_event.asset_key is None or asset_event.check_name is None:
                raise HeadwaterInvalidInvocationError(
                    "report_runless_asset_event(AssetCheckResult(...)) needs asset_key= and "
                    "check_name=: outside a run nothing else says which check it is.")
            asset_event = payload = AssetCheckEvaluation(
                asset_key=asset_event.asset_key, check_name=asset_event.check_name,
                passed=asset_event.passed, metadata=asset_event.metadata,
                severity=asset_event.severity, description=asset_event.description)
            event_type = _ET.ASSET_CHECK_EVALUATION
        else:
            raise HeadwaterInvalidInvocationError(
                f"report_runless_asset_event() takes an AssetMaterialization, AssetObservation or "
                f"AssetCheckEvaluation, got {type(asset_event).__name__}."
            )
        self.store_event(HeadwaterEvent(
            event_type, RUNLESS_RUN_ID, RUNLESS_JOB_NAME, time.time(),
            asset_key=asset_event.asset_key, partition=getattr(asset_event, "partition", None),
            payload=payload,
        ))

    def get_latest_materialization_event(self, asset_key: Any) -> EventLogEntry | None:
        key = to_asset_key(asset_key)
        record = self._storage.get_latest_materialization_records([key]).get(key)
        return record.event_log_entry if record is not None else None

    def get_latest_materialization_events(
        self, asset_keys: Iterable[Any]
    ) -> dict[AssetKey, EventLogEntry | None]:
        keys = [to_asset_key(k) for k in asset_keys]
        latest = self._storage.get_latest_materialization_records(keys)
        return {k: latest[k].event_log_entry if k in latest else None for k in keys}

    def get_latest_materialization_code_versions(
        self, asset_keys: Iterable[Any]
    ) -> dict[AssetKey, str | None]:
        """The code version tag of each asset's latest materialization (None if unknown)."""
        latest = self.get_latest_materialization_events(asset_keys)
        return {key: entry.asset_materialization.tags.get(CODE_VERSION_TAG) if entry else None
                for key, entry in latest.items()}

    def get_latest_data_version_record(self, key: Any, is_source: bool | None = None,
                                       partition_key: str | None = None) -> EventLogRecord | None:
        """The event that holds the asset's current data version: its latest materialization
        (`is_source=False`), its latest observation (`is_source=True`, a source asset), or
        the newer of the two (None); of one partition when `partition_key` is given."""
        asset_key = to_asset_key(key)
        found: list[EventLogRecord] = []
        if is_source is not True:
            if partition_key is None:
                record = self._storage.get_latest_materialization_records([asset_key]).get(asset_key)
                found += [record] if record is not None else []
            else:
                found += self.fetch_materializations(
                    AssetRecordsFilter(asset_key, asset_partitions=[partition_key]), limit=1).records
        if is_source is not False:
            found += self.fetch_observations(
                AssetRecordsFilter(asset_key, asset_partitions=None if partition_key is None
                                   else [partition_key]), limit=1).records
        return max(found, key=lambda r: r.storage_id) if found else None

    def record_of(self, event: HeadwaterEvent) -> EventLogRecord | None:
        """The stored record of a materialization this process wrote (a run's own output), or
        None when the storage cannot tell without a query."""
        find = getattr(self._storage, "storage_id_of", None)
        storage_id = find(event) if find is not None else None
        return record_for(storage_id, event) if storage_id is not None else None

    def get_latest_data_version_records(self, key: Any, partition_keys: Sequence[str],
                                        is_source: bool = False) -> dict[str, EventLogRecord]:
        """{partition: its latest materialization (observation when `is_source`)} for the
        partitions of one asset that have one, in one query."""
        query = EventQuery(event_types=_OBSERVATION if is_source else _MATERIALIZATION,
                           asset_key=to_asset_key(key), partitions=frozenset(partition_keys))
        latest: dict[str, EventLogRecord] = {}
        for record in self._storage.get_event_records(query, ascending=False):
            partition = record.partition_key
            if partition is not None and partition not in latest:
                latest[partition] = record
        return latest

    def fetch_materializations(self, records_filter: Any, limit: int, cursor: str | None = None,
                               ascending: bool = False) -> EventRecordsResult:
        """A page of an asset's materializations, newest first unless `ascending`."""
        return self._fetch_asset_events(_MATERIALIZATION, records_filter, limit, cursor, ascending)

    def get_automation_state(self, asset_keys: Sequence[AssetKey],
                             check_keys: Sequence[Any] = ()) -> Any:
        """A snapshot of what automation conditions read (storage/automation_state.py)."""
        from headwater.storage.automation_state import AutomationState

        return AutomationState(self, asset_keys, check_keys)

    def latest_materialization_target(self, asset_key: Any, partition: str | None = None
                                      ) -> AssetCheckEvaluationTargetMaterializationData | None:
        """The latest materialization of the asset (partition) that a check evaluates."""
        self._storage.flush()
        records = self.fetch_materializations(
            AssetRecordsFilter(asset_key, asset_partitions=[partition] if partition else None),
            limit=1).records
        if not records:
            return None
        record = records[0]
        return AssetCheckEvaluationTargetMaterializationData(
            record.storage_id, record.run_id, record.timestamp)

    def fetch_observations(self, records_filter: Any, limit: int, cursor: str | None = None,
                           ascending: bool = False) -> EventRecordsResult:
        """A page of an asset's observations, newest first unless `ascending`."""
        return self._fetch_asset_events(_OBSERVATION, records_filter, limit, cursor, ascending)

    def _fetch_asset_events(self, event_types: frozenset[HeadwaterEventType], records_filter: Any,
                            limit: int, cursor: str | None, ascending: bool) -> EventRecordsResult:
        if not isinstance(records_filter, AssetRecordsFilter):
            records_filter = AssetRecordsFilter(asset_key=to_asset_key(records_filter))
        after, before = _window(records_filter.after_storage_id, records_filter.before_storage_id,
                                cursor, ascending)
        partitions = records_filter.asset_partitions
        query = EventQuery(
            event_types=event_types, asset_key=records_filter.asset_key,
            partitions=frozenset(partitions) if partitions is not None else None,
            after_id=after, before_id=before, after_timestamp=records_filter.after_timestamp,
            before_timestamp=records_filter.before_timestamp,
            storage_ids=frozenset(records_filter.storage_ids)
            if records_filter.storage_ids is not None else None,
        )
        records, has_more = self._page(query, limit, ascending)
        return EventRecordsResult(records, _next_cursor(records, cursor), has_more)

    def fetch_run_status_changes(self, records_filter: Any, limit: int, cursor: str | None = None,
                                 ascending: bool = False) -> EventRecordsResult:
        """A page of run status events (a HeadwaterEventType or RunStatusChangeRecordsFilter)."""
        if not isinstance(records_filter, RunStatusChangeRecordsFilter):
            records_filter = RunStatusChangeRecordsFilter(_event_type(records_filter))
        f = records_filter
        after, before = _window(f.after_storage_id, f.before_storage_id, cursor, ascending)
        query = EventQuery(
            event_types=frozenset({f.event_type}), after_id=after, before_id=before,
            after_timestamp=f.after_timestamp, before_timestamp=f.before_timestamp,
            storage_ids=frozenset(f.storage_ids) if f.storage_ids is not None else None,
            job_names=frozenset(f.job_names) if f.job_names is not None else None,
        )
        records, has_more = self._page(query, limit, ascending)
        return EventRecordsResult(records, _next_cursor(records, cursor), has_more)

    def get_event_records(self, event_records_filter: EventRecordsFilter, limit: int | None = None,
                          ascending: bool = False) -> list[EventLogRecord]:
        f = event_records_filter
        partitions = f.asset_partitions
        query = EventQuery(
            event_types=frozenset({f.event_type}), asset_key=f.asset_key,
            partitions=frozenset(partitions) if partitions is not None else None,
            after_id=f.after_cursor, before_id=f.before_cursor, after_timestamp=f.after_timestamp,
            before_timestamp=f.before_timestamp,
            storage_ids=frozenset(f.storage_ids) if f.storage_ids is not None else None,
        )
        return self._storage.get_event_records(query, limit, ascending)

    def get_asset_keys(self, prefix: Sequence[str] | None = None, limit: int | None = None,
                       cursor: str | None = None) -> list[AssetKey]:
        keys = self._storage.get_asset_keys()
        if prefix:
            parts = tuple(prefix)
            keys = [k for k in keys if k.parts[:len(parts)] == parts]
        if cursor is not None:
            after = AssetKey.from_db_string(cursor)
            keys = [k for k in keys if after is None or k > after]
        return keys[:limit] if limit is not None else keys

    def has_asset_key(self, asset_key: Any) -> bool:
        return to_asset_key(asset_key) in self._storage.get_asset_keys()

    def wipe_assets(self, asset_keys: Sequence[Any]) -> None:
        self._storage.wipe_assets([to_asset_key(k) for k in asset_keys])
        self._bump_wipe_generation()

    def wipe_asset_partitions(self, asset_key: Any, partition_keys: Sequence[str]) -> None:
        self._storage.wipe_asset_partitions(to_asset_key(asset_key), list(partition_keys))
        self._bump_wipe_generation()

    def _bump_wipe_generation(self) -> None:
        """A wipe removes events, which readers following the event log by storage id (the
        webserver's kept asset statuses) cannot see: they watch this key instead."""
        self._storage.set_kvs({WIPE_GENERATION_KEY: uuid.uuid4().hex})

    def get_status_by_partition(self, asset_key: Any, partition_keys: Sequence[str],
                                partitions_def: Any = None) -> dict[str, AssetPartitionStatus | None]:
        """The status of each partition's latest attempt; None for a missing partition.
        `partitions_def` is taken for Dagster's signature (Dagster decodes its stored subsets
        with it); headwater stores a status per key, so the keys given are all it needs."""
        statuses = self._storage.get_partition_statuses(to_asset_key(asset_key))
        return {key: statuses.get(key) for key in partition_keys}

    def get_materialized_partitions(self, asset_key: Any, before_cursor: int | None = None,
                                    after_cursor: int | None = None) -> set[str]:
        return self._storage.get_materialized_partitions(to_asset_key(asset_key), after_cursor,
                                                         before_cursor)

    # --- asset check executions -----------------------------------------------------------
    def get_asset_check_execution_history(
        self, check_key: Any, limit: int, cursor: str | int | None = None,
        partition: str | None = None,
        status: AssetCheckExecutionRecordStatus | Iterable[AssetCheckExecutionRecordStatus]
        | None = None,
    ) -> list[AssetCheckExecutionRecord]:
        """Executions of one check (an AssetCheckKey or "asset/path:check"), newest first; pass
        str(records[-1].id) as `cursor` for the next page. `partition` and `status` (one or a
        set) narrow it."""
        return self._storage.get_asset_check_execution_history(check_key, limit, cursor,
                                                               partition, status)

    def get_latest_asset_check_execution_by_key(
        self, check_keys: Iterable[Any], partition: str | None = None,
    ) -> dict[AssetCheckKey, AssetCheckExecutionRecord]:
        """The newest execution of each check that has one (of `partition`, when given):
        one query for any number of checks on SQL storage."""
        return self._storage.get_latest_asset_check_execution_by_key(check_keys, partition)

    # --- automation condition evaluations -----------------------------------------------
    def get_automation_evaluations(self, key: Any, limit: int = 20,
                                   cursor: int | str | None = None,
                                   ) -> list[AutomationConditionEvaluationRecord]:
        """What the automation sensors' ticks decided for one asset (an AssetKey or "a/b") or
        check (an AssetCheckKey or "a/b:check"), newest first; pass the last record's
        `evaluation_id` as `cursor` for the next page."""
        if limit < 1:
            raise HeadwaterInvalidInvocationError(
                f"get_automation_evaluations: limit={limit}; pass 1 or more.")
        before = None if cursor is None else _parse_cursor(cursor)
        return self._storage.get_automation_evaluations(automation_key_string(key), limit,
                                                        before)

    def get_automation_evaluations_for_evaluation_id(
            self, evaluation_id: int) -> list[AutomationConditionEvaluationRecord]:
        """Every asset and check one tick of an automation sensor evaluated (its evaluation id
        is the tick's id), sorted by key."""
        return self._storage.get_automation_evaluations_for_evaluation_id(int(evaluation_id))

    # --- dynamic partitions -------------------------------------------------------------
    def add_dynamic_partitions(self, partitions_def_name: str, partition_keys: Sequence[str]) -> None:
        if isinstance(partition_keys, str):
            raise HeadwaterInvalidInvocationError(
                f"add_dynamic_partitions({partitions_def_name!r}, {partition_keys!r}): "
                f"partition_keys must be a list of strings, e.g. [{partition_keys!r}]."
            )
        for key in partition_keys:
            if not isinstance(key, str):
                raise HeadwaterInvalidInvocationError(
                    f"add_dynamic_partitions({partitions_def_name!r}, ...): partition key "
                    f"{key!r} is a {type(key).__name__}; partition keys are strings.")
            check_partition_key_chars(key, f"add_dynamic_partitions({partitions_def_name!r})")
        self._storage.add_dynamic_partitions(partitions_def_name, list(partition_keys))

    def get_dynamic_partitions(self, partitions_def_name: str) -> list[str]:
        return self._storage.get_dynamic_partitions(partitions_def_name)

    def has_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> bool:
        return self._storage.has_dynamic_partition(partitions_def_name, partition_key)

    def delete_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> None:
        self._storage.delete_dynamic_partition(partitions_def_name, partition_key)

    def wipe(self) -> None:
        """Delete every run, event, check execution and dynamic partition."""
        self._storage.wipe()


def _ephemeral_run_instance() -> RunInstance:
    return HeadwaterInstance.ephemeral()


# A run given no instance records its events in a fresh in-memory one (see RunInstance).
register_ephemeral_instance(_ephemeral_run_instance)


@dataclass(frozen=True)
class InstanceRef:
    """A picklable pointer to a persistent instance, for worker processes."""

    url: str
    root_directory: str
    settings: Mapping[str, Any]

    def open(self) -> HeadwaterInstance:
        return HeadwaterInstance.from_url(self.url, self.root_directory, self.settings)


@contextmanager
def instance_for_test(
    overrides: Mapping[str, Any] | None = None,
    set_headwater_home: bool = True,
    temp_dir: str | None = None,
    synchronous_run_coordinator: bool = False,
    synchronous_run_launcher: bool = False,
) -> Iterator[HeadwaterInstance]:
    """Make a fresh, persistent instance in a temporary directory, for one test.

    A context manager: the instance (SQLite in the directory, which is also set as
    `HEADWATER_HOME`) is disposed and the directory removed when the block exits. Use it
    for code that needs a real instance, such as `execute_job` or a sensor's cursor.

    Args:
        overrides: settings, as in `headwater.yaml`, applied to the instance.
        set_headwater_home: point `HEADWATER_HOME` at the directory while the block runs.
        temp_dir: a directory to use instead of a new temporary one (it is not removed).
        synchronous_run_coordinator: runs submitted to the instance (`submit_run`, as the
            webserver, sensors and `job launch` do) start at once, even with a `run_queue`
            in `overrides` (the `run_coordinator: {synchronous: true}` setting).
        synchronous_run_launcher: a started run executes in the calling process, and
            `submit_run`/`start_run` return once it finished, instead of spawning a run
            worker (the `run_launcher: {synchronous: true}` setting).

    Example:
        ```python
        from headwater import asset, instance_for_test, materialize

        @asset
        def orders() -> list[int]:
            return [1, 2]

        with instance_for_test() as instance:
            result = materialize([orders], instance=instance)
            assert instance.get_run_by_id(result.run_id).is_success
        ```
    """
    with tempfile.TemporaryDirectory(prefix="headwater-test-") as owned:
        root = temp_dir or owned
        previous = os.environ.get(HOME_ENV)
        if set_headwater_home:
            os.environ[HOME_ENV] = root
        settings = dict(overrides or {})
        if synchronous_run_coordinator:
            settings["run_coordinator"] = {"synchronous": True}
        if synchronous_run_launcher:
            settings["run_launcher"] = {"synchronous": True}
        instance = HeadwaterInstance.from_url(
            "sqlite:///" + os.path.join(root, "headwater.db"), root, settings)
        try:
            yield instance
        finally:
            instance.dispose()
            if set_headwater_home:
                if previous is None:
                    os.environ.pop(HOME_ENV, None)
                else:
                    os.environ[HOME_ENV] = previous


def _event_types(of_type: Any) -> frozenset[HeadwaterEventType] | None:
    if of_type is None:
        return None
    if isinstance(of_type, str):
        return frozenset({_event_type(of_type)})
    return frozenset(_event_type(t) for t in of_type)


def _event_type(value: str) -> HeadwaterEventType:
    if isinstance(value, HeadwaterEventType):
        return value
    if value in HeadwaterEventType.__members__:
        return HeadwaterEventType[value]
    try:
        return HeadwaterEventType(value)
    except ValueError:
        raise HeadwaterInvalidInvocationError(
            f"of_type={value!r} is not an event type: use a HeadwaterEventType member, "
            "e.g. HeadwaterEventType.ASSET_MATERIALIZATION."
        ) from None


def _parse_cursor(cursor: str | int) -> int:
    try:
        return int(cursor)
    except (TypeError, ValueError):
        raise HeadwaterInvalidInvocationError(
            f"cursor={cursor!r} is not a cursor returned by this instance: pass the .cursor of a "
            "previous EventLogConnection or EventRecordsResult, or None to start over."
        ) from None


def _window(after: int | None, before: int | None, cursor: str | None,
            ascending: bool) -> tuple[int | None, int | None]:
    """Narrow a storage-id window by a paging cursor (after it ascending, before it descending)."""
    if cursor is None:
        return after, before
    position = _parse_cursor(cursor)
    if ascending:
        return (position if after is None else max(after, position)), before
    return after, (position if before is None else min(before, position))


def _next_cursor(records: Sequence[EventLogRecord], cursor: str | None) -> str | None:
    return str(records[-1].storage_id) if records else cursor


def _no_buckets(bucket_by: Any) -> None:
    if bucket_by is not None:
        raise HeadwaterInvalidInvocationError(
            "bucket_by= is not supported by headwater's run queries yet; filter with "
            "RunsFilter(job_name=...) or RunsFilter(tags=...) per bucket instead."
        )
