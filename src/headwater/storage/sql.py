"""The SQL storage of a persistent instance: SQLite (default) or PostgreSQL, one schema.

Writes are short transactions. The engine's events (`append_event`) are held in a small
buffer and written in one transaction at each step boundary, log line, run event or read, so
a trivial step costs two transactions, not six; a batch's rows, the asset index rows they
move (storage/sql_index.py) and the run status they change commit together, so a process
killed mid-write leaves either all of them or none (the check executions,
storage/sql_checks.py, move in the same transaction). Event inserts are serialized (SQLite's
write lock; a PostgreSQL advisory lock) so that storage ids grow in commit order and a reader
paging "after id N" never skips a row. Launch claims (`claim_queued_runs`, `transition_run`,
storage/claim.py) are conditional run updates written with their run event in one
transaction, claimers one at a time (SQLite's write lock; a PostgreSQL advisory lock).
Imports SQLAlchemy; loaded on first use by the instance.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from headwater.definitions.key import AssetCheckKey, AssetKey, to_asset_key
from headwater.definitions.tags import PARENT_RUN_ID_TAG
from headwater.errors import HeadwaterInvariantViolationError
from headwater.execution.event import (
    HeadwaterEvent,
    HeadwaterEventType,
    event_from_json,
    event_to_json,
)
from headwater.storage import schema as s
from headwater.storage.base import EventQuery, Storage
from headwater.storage.checks import (
    CHECK_EVENT_TYPES,
    AssetCheckExecutionRecord,
    AssetCheckExecutionRecordStatus,
)
from headwater.storage.claim import IN_PROGRESS, QueueLimits, pick_runs
from headwater.storage.database import create_engine, ensure_schema, redact, write_transaction
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
from headwater.storage.sql_automation import SqlAutomationEvaluations
from headwater.storage.sql_checks import (
    check_history,
    forget_assets,
    forget_run,
    index_check_events,
    kept_event_ids,
    latest_check_executions,
    reindex_checks,
)
from headwater.storage.sql_index import (
    change_stamp,
    index_events,
    mark_wiped,
    rebuild_assets,
    reindex_all,
)
from headwater.storage.sql_state import SqlState

_ET = HeadwaterEventType
# Events written with the next boundary event instead of on their own: what happens inside a
# step between its start and its end. Everything else (step start/end, logs, run events,
# hooks, engine events) writes the buffer at once, so live readers see progress.
_HELD = frozenset({
    _ET.LOADED_INPUT, _ET.STEP_INPUT, _ET.STEP_OUTPUT, _ET.HANDLED_OUTPUT,
    _ET.ASSET_MATERIALIZATION, _ET.ASSET_OBSERVATION, _ET.STEP_EXPECTATION_RESULT,
    _ET.ASSET_CHECK_EVALUATION, _ET.ASSET_MATERIALIZATION_PLANNED,
    _ET.ASSET_CHECK_EVALUATION_PLANNED, _ET.RESOURCE_INIT_STARTED, _ET.RESOURCE_INIT_SUCCESS,
})
_MAX_HELD = 500
# events that move the asset index (a read of latest materializations must see them)
_ASSET_INDEXED = frozenset({_ET.ASSET_MATERIALIZATION, _ET.ASSET_OBSERVATION})
_WRITTEN_KEPT = 10_000  # materializations whose storage ids this process remembers
_EVENT_LOCK = 726345002  # PostgreSQL advisory lock serializing event inserts
_CLAIM_LOCK = 726345003  # PostgreSQL advisory lock serializing run-queue claims
_KEYS_PER_QUERY = 500  # asset keys per IN (...) of a many-key lookup
_INSERT = s.event_logs.insert().returning(s.event_logs.c.id)


def _locked_insert() -> sa.Insert:
    """One event row, inserted after taking the event lock in the same statement (one round
    trip): the lock's CTE row is produced before the id default (nextval) is evaluated."""
    lock = sa.select(sa.func.pg_advisory_xact_lock(sa.literal_column(str(_EVENT_LOCK)))
                     .label("locked")).cte("event_lock")
    columns = [c for c in s.event_logs.c if c.name != "id"]
    values = sa.select(*(sa.bindparam(c.name, type_=c.type) for c in columns)).select_from(lock)
    return (s.event_logs.insert().from_select([c.name for c in columns], values)
            .returning(s.event_logs.c.id))


_LOCKED_INSERT = _locked_insert()


def key_string(key: AssetKey) -> str:
    """The asset key as stored (the same string as `AssetKey.to_string()`)."""
    return json.dumps(list(key.path))


class SqlStorage(SqlState, SqlAutomationEvaluations, Storage):
    """Runs, events, the asset index and scheduling state in one SQL database."""

    def __init__(self, url: str):
        self.url = url
        self._engine = create_engine(url)
        self._pid = os.getpid()
        ensure_schema(self._engine, url)
        self._lock = threading.Lock()
        self._held: list[HeadwaterEvent] = []
        # id(event) -> (event, storage id) of the materializations this process wrote
        self._written: dict[int, tuple[HeadwaterEvent, int]] = {}

    def __repr__(self) -> str:
        return f"SqlStorage({redact(self.url)!r})"

    @property
    def engine(self) -> sa.Engine:
        if os.getpid() != self._pid:
            self._after_fork()
        return self._engine

    def _after_fork(self) -> None:
        # A forked child must not reuse the parent's connections nor write its held events.
        self._engine.dispose(close=False)
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._held = []
        self._written = {}

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        with write_transaction(self.engine) as connection:
            yield connection

    @contextmanager
    def _read(self, needs: Callable[[HeadwaterEvent], bool] | None = None
              ) -> Iterator[sa.Connection]:
        """A connection that sees every event appended so far; with `needs`, held events are
        written first only if one of them matters to the read (a step's provenance lookup
        then costs a query, not a write transaction)."""
        if needs is None or any(needs(e) for e in self._held):
            self.flush()
        with self.engine.connect() as connection:
            yield connection

    def dispose(self) -> None:
        self.flush()
        self._engine.dispose()

    # --- runs ---------------------------------------------------------------------------
    def add_run(self, record: RunRecord) -> RunRecord:
        run = record.headwater_run
        values = _run_values(record)
        try:
            with self._write() as connection:
                storage_id: int = connection.execute(
                    s.runs.insert().values(values).returning(s.runs.c.id)).scalar_one()
                if run.tags:
                    connection.execute(s.run_tags.insert(), [
                        {"run_id": run.run_id, "key": k, "value": str(v)} for k, v in run.tags.items()
                    ])
        except sa.exc.IntegrityError:
            raise HeadwaterInvariantViolationError(
                f"A run with id {run.run_id!r} is already stored; pass a new run_id= "
                "(or omit it to get a fresh one)."
            ) from None
        return RunRecord(storage_id=storage_id, headwater_run=run,
                         create_timestamp=record.create_timestamp,
                         update_timestamp=record.update_timestamp,
                         start_time=record.start_time, end_time=record.end_time)

    def add_run_for_run_key(self, record: RunRecord, origin_id: str, run_key: str) -> bool:
        """In one transaction: mark `run_key` used by `origin_id` and store the run; False (and
        nothing stored) when the key was already used."""
        run = record.headwater_run
        k = s.instigator_run_keys.c
        with self._write() as connection:
            used = connection.execute(sa.select(k.run_key).where(
                k.origin_id == origin_id, k.run_key == run_key)).first()
            if used is not None:
                return False
            connection.execute(s.instigator_run_keys.insert().values(
                origin_id=origin_id, run_key=run_key, timestamp=time.time()))
            connection.execute(s.runs.insert().values(_run_values(record)))
            if run.tags:
                connection.execute(s.run_tags.insert(), [
                    {"run_id": run.run_id, "key": key, "value": str(v)}
                    for key, v in run.tags.items()])
        return True

    def get_run_records(self, filters: RunsFilter | None = None, limit: int | None = None,
                        cursor: str | None = None, ascending: bool = False) -> list[RunRecord]:
        query = sa.select(s.runs).where(*_run_conditions(filters))
        with self._read() as connection:
            if cursor is not None:
                position = connection.execute(
                    sa.select(s.runs.c.id).where(s.runs.c.run_id == cursor)).scalar()
                if position is None:
                    return []
                query = query.where(s.runs.c.id > position if ascending else s.runs.c.id < position)
            query = query.order_by(s.runs.c.id.asc() if ascending else s.runs.c.id.desc())
            if limit is not None:
                query = query.limit(limit)
            return [_run_record(row) for row in connection.execute(query).mappings()]

    def get_runs_count(self, filters: RunsFilter | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(s.runs).where(*_run_conditions(filters))
        with self._read() as connection:
            return int(connection.execute(query).scalar_one())

    def update_run(self, run_id: str, timestamp: float, *, status: HeadwaterRunStatus | None = None,
                   start_time: float | None = None, end_time: float | None = None,
                   tags: Mapping[str, str] | None = None) -> None:
        self.flush()
        with self._write() as connection:
            _update_run(connection, run_id, timestamp, status, start_time, end_time, tags)

    def delete_run(self, run_id: str) -> None:
        self.flush()
        with self._write() as connection:
            keys = {row[0] for row in connection.execute(
                sa.select(s.event_logs.c.asset_key).distinct()
                .where(s.event_logs.c.run_id == run_id, s.event_logs.c.asset_key.is_not(None)))}
            keys |= {row[0] for row in connection.execute(
                sa.select(s.asset_partitions.c.asset_key).distinct()
                .where(s.asset_partitions.c.attempt_run_id == run_id))}
            for table in (s.runs, s.run_tags, s.event_logs):
                connection.execute(table.delete().where(table.c.run_id == run_id))
            forget_run(connection, run_id)
            if keys:
                rebuild_assets(connection, sorted(keys))

    def claim_queued_runs(self, limits: QueueLimits, message: str) -> list[HeadwaterRun]:
        self.flush()
        with self._read() as connection:  # most calls find nothing to do: no write lock then
            counts = _count_claimable(connection)
        if counts is None or limits.full(counts):
            return []
        r = s.runs.c
        with self._write() as connection:
            # One claimer at a time: SQLite's BEGIN IMMEDIATE already holds the write lock; on
            # PostgreSQL the advisory lock makes the next claimer wait for this commit, and
            # under READ COMMITTED its reads then see what this one claimed.
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text(f"SELECT pg_advisory_xact_lock({_CLAIM_LOCK})"))
                _lock_events(connection)
            wanted = [x.value for x in (*IN_PROGRESS, HeadwaterRunStatus.QUEUED)]
            runs = [_run_record(row).headwater_run for row in connection.execute(
                sa.select(s.runs).where(r.status.in_(wanted)).order_by(r.id)).mappings()]
            queued = [x for x in runs if x.status is HeadwaterRunStatus.QUEUED]
            active = [x for x in runs if x.status is not HeadwaterRunStatus.QUEUED]
            claimed: list[HeadwaterRun] = []
            events: list[HeadwaterEvent] = []
            for run in pick_runs(queued, active, limits):
                event = HeadwaterEvent(HeadwaterEventType.RUN_STARTING, run.run_id, run.job_name,
                                       time.time(), message=message)
                # a writer outside the claim lock (a cancel) may have moved the run meanwhile
                if _move_status_if(connection, event, (HeadwaterRunStatus.QUEUED,)):
                    claimed.append(replace(run, status=HeadwaterRunStatus.STARTING))
                    events.append(event)
            if events:
                _insert_events(connection, events, [_event_row(e) for e in events])
        return claimed

    def transition_run(self, event: HeadwaterEvent, expected: Collection[HeadwaterRunStatus],
                       status: HeadwaterRunStatus | None = None) -> bool:
        self.flush()
        with self._write() as connection:
            if connection.dialect.name == "postgresql":
                _lock_events(connection)
            if not _move_status_if(connection, event, expected, status):
                return False
            _insert_events(connection, [event], [_event_row(event)])
        return True

    # --- events -------------------------------------------------------------------------
    def append_event(self, event: HeadwaterEvent) -> None:
        if os.getpid() != self._pid:
            self._after_fork()
        with self._lock:
            self._held.append(event)
            if event.event_type in _HELD and len(self._held) < _MAX_HELD:
                return
        self.flush()

    def flush(self) -> None:
        if not self._held:
            return
        if os.getpid() != self._pid:
            self._after_fork()
            return
        with self._lock:
            events, self._held = self._held, []
            if events:
                self._write_events(events, move_status=True)

    def store_event(self, event: HeadwaterEvent) -> int:
        self.flush()
        return self._write_events([event], move_status=False)[0]

    def store_events(self, events: Iterable[HeadwaterEvent]) -> list[int]:
        self.flush()
        events = list(events)
        return self._write_events(events, move_status=False) if events else []

    def append_events(self, events: Iterable[HeadwaterEvent]) -> None:
        """Append many events (and their run status changes) in one transaction."""
        self.flush()
        events = list(events)
        if events:
            self._write_events(events, move_status=True)

    def _write_events(self, events: Sequence[HeadwaterEvent], move_status: bool) -> list[int]:
        rows = [_event_row(e) for e in events]
        with self._write() as connection:
            ids = _insert_events(connection, events, rows)
            if move_status:
                for event in events:
                    status = STATUS_BY_EVENT.get(event.event_type)
                    if status is not None:
                        _update_run(
                            connection, event.run_id, event.timestamp, status,
                            event.timestamp if status is HeadwaterRunStatus.STARTED else None,
                            event.timestamp if status in FINISHED_STATUSES else None, None)
        if len(self._written) > _WRITTEN_KEPT:
            self._written.clear()
        for event, storage_id in zip(events, ids):
            if event.event_type in _ASSET_INDEXED:
                self._written[id(event)] = (event, storage_id)
        return ids

    def storage_id_of(self, event: HeadwaterEvent) -> int | None:
        """The storage id this process gave a materialization or observation it wrote
        (written first if it is still held); None if it does not know the event."""
        if any(e is event for e in self._held):
            self.flush()
        found = self._written.get(id(event))
        return found[1] if found is not None and found[0] is event else None

    def get_event_records(self, query: EventQuery, limit: int | None = None,
                          ascending: bool = True) -> list[EventLogRecord]:
        if limit is not None and limit <= 0:
            return []
        e = s.event_logs.c
        statement = (sa.select(e.id, e.body).where(*_event_conditions(query))
                     .order_by(e.id.asc() if ascending else e.id.desc()))
        if limit is not None:
            statement = statement.limit(limit)
        with self._read() as connection:
            rows = connection.execute(statement).all()
        return [record_for(row[0], event_from_json(row[1])) for row in rows]

    def asset_change_stamp(self) -> tuple[Any, ...]:
        with self._read() as connection:
            return change_stamp(connection)

    def get_asset_keys(self) -> list[AssetKey]:
        with self._read() as connection:
            rows = connection.execute(sa.select(s.asset_keys.c.asset_key)).all()
        return sorted(_key(row[0]) for row in rows)

    def get_latest_materialization_records(
        self, asset_keys: Iterable[AssetKey] | None = None
    ) -> dict[AssetKey, EventLogRecord]:
        e, a = s.event_logs.c, s.asset_keys.c
        statement = sa.select(e.id, e.body).join_from(
            s.event_logs, s.asset_keys, e.id == a.last_materialization_id)
        wanted = None if asset_keys is None else set(asset_keys)
        asset_keys = None if wanted is None else list(wanted)

        def needs(event: HeadwaterEvent) -> bool:
            return event.event_type in _ASSET_INDEXED and (
                wanted is None or event.asset_key in wanted)

        with self._read(needs) as connection:
            if asset_keys is None:
                rows = connection.execute(statement).all()
            else:
                keys = list(dict.fromkeys(key_string(k) for k in asset_keys))
                chunked = statement.where(a.asset_key.in_(sa.bindparam("keys", expanding=True)))
                rows = [row for i in range(0, len(keys), _KEYS_PER_QUERY)
                        for row in connection.execute(
                            chunked, {"keys": keys[i:i + _KEYS_PER_QUERY]}).all()]
        records = (record_for(row[0], event_from_json(row[1])) for row in rows)
        return {r.asset_key: r for r in records if r.asset_key is not None}

    def get_materialized_partitions(self, asset_key: AssetKey, after_id: int | None = None,
                                    before_id: int | None = None) -> set[str]:
        key = key_string(asset_key)
        if after_id is None and before_id is None:
            p = s.asset_partitions.c
            statement = sa.select(p.partition).where(p.asset_key == key,
                                                     p.last_materialization_id.is_not(None))
        else:
            e = s.event_logs.c
            statement = sa.select(e.partition).distinct().where(
                e.asset_key == key, e.event_type == _ET.ASSET_MATERIALIZATION.value,
                e.partition.is_not(None),
                *([e.id > after_id] if after_id is not None else []),
                *([e.id < before_id] if before_id is not None else []))
        with self._read() as connection:
            return {row[0] for row in connection.execute(statement)}

    def get_partition_statuses(self, asset_key: AssetKey) -> dict[str, AssetPartitionStatus]:
        p = s.asset_partitions.c
        statement = sa.select(p.partition, p.status).where(p.asset_key == key_string(asset_key))
        with self._read() as connection:
            return {row[0]: AssetPartitionStatus(row[1]) for row in connection.execute(statement)}

    def wipe_assets(self, asset_keys: Sequence[AssetKey]) -> None:
        keys = [key_string(k) for k in asset_keys]
        self.flush()
        with self._write() as connection:
            connection.execute(s.event_logs.update().where(s.event_logs.c.asset_key.in_(keys))
                               .values(asset_key=None))
            for table in (s.asset_keys, s.asset_partitions):
                connection.execute(table.delete().where(table.c.asset_key.in_(keys)))
            forget_assets(connection, keys)
            for key in keys:
                mark_wiped(connection, key, None)

    def wipe_asset_partitions(self, asset_key: AssetKey, partition_keys: Sequence[str]) -> None:
        key = key_string(asset_key)
        self.flush()
        with self._write() as connection:
            connection.execute(s.event_logs.update().where(
                s.event_logs.c.asset_key == key, s.event_logs.c.partition.in_(list(partition_keys))
            ).values(asset_key=None))
            mark_wiped(connection, key, list(partition_keys))
            rebuild_assets(connection, [key])
            forget_assets(connection, [key], list(partition_keys))

    # --- asset check executions (storage/sql_checks.py) ---------------------------------
    def _check_history(self, key: AssetCheckKey, limit: int, before_id: int | None,
                       partition: str | None,
                       statuses: frozenset[AssetCheckExecutionRecordStatus] | None,
                       ) -> list[AssetCheckExecutionRecord]:
        with self._read() as connection:
            return check_history(connection, key, limit, before_id, partition, statuses)

    def _latest_check_executions(self, keys: Sequence[AssetCheckKey], partition: str | None,
                                 ) -> dict[AssetCheckKey, AssetCheckExecutionRecord]:
        with self._read() as connection:
            return latest_check_executions(connection, keys, partition)

    # --- dynamic partitions -------------------------------------------------------------
    def add_dynamic_partitions(self, partitions_def_name: str, partition_keys: Sequence[str]) -> None:
        d = s.dynamic_partitions.c
        with self._write() as connection:
            existing = {row[0] for row in connection.execute(
                sa.select(d.partition).where(d.partitions_def_name == partitions_def_name))}
            now = time.time()
            new = [{"partitions_def_name": partitions_def_name, "partition": k,
                    "create_timestamp": now} for k in dict.fromkeys(partition_keys) if k not in existing]
            if new:
                connection.execute(s.dynamic_partitions.insert(), new)

    def get_dynamic_partitions(self, partitions_def_name: str) -> list[str]:
        d = s.dynamic_partitions.c
        with self._read() as connection:
            return [row[0] for row in connection.execute(
                sa.select(d.partition).where(d.partitions_def_name == partitions_def_name)
                .order_by(d.id))]

    def has_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> bool:
        d = s.dynamic_partitions.c
        with self._read() as connection:
            return connection.execute(sa.select(d.id).where(
                d.partitions_def_name == partitions_def_name, d.partition == partition_key)
            ).first() is not None

    def delete_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> None:
        d = s.dynamic_partitions.c
        with self._write() as connection:
            connection.execute(s.dynamic_partitions.delete().where(
                d.partitions_def_name == partitions_def_name, d.partition == partition_key))

    # --- maintenance --------------------------------------------------------------------
    def prune(self, before_timestamp: float) -> int:
        self.flush()
        r, e = s.runs.c, s.event_logs.c
        with self._read() as connection:
            old = [row[0] for row in connection.execute(
                sa.select(r.run_id).where(r.end_time < before_timestamp))]
        deleted = 0
        for chunk in [old[i:i + 200] for i in range(0, len(old), 200)] + [None]:
            owner = (e.run_id.in_(chunk) if chunk is not None
                     else sa.and_(e.run_id == "", e.timestamp < before_timestamp))
            with self._write() as connection:
                deleted += connection.execute(
                    s.event_logs.delete().where(owner, e.id.not_in(_kept_ids()))).rowcount
        return deleted

    def purge_runs(self, before_timestamp: float, limit: int) -> list[str]:
        self.flush()
        r, e, x = s.runs.c, s.event_logs.c, s.asset_check_executions.c
        holders = sa.select(e.run_id).where(e.id.in_(_kept_ids()))
        # A finished run ends at or before its last update: the indexed bound narrows the scan.
        query = (sa.select(r.run_id).where(
            r.update_timestamp < before_timestamp + 1.0, r.end_time < before_timestamp,
            r.status.in_(sorted(x.value for x in FINISHED_STATUSES)), r.run_id.not_in(holders))
            .order_by(r.update_timestamp).limit(limit))
        with self._write() as connection:
            doomed = [row[0] for row in connection.execute(query)]
            for chunk in [doomed[i:i + 200] for i in range(0, len(doomed), 200)]:
                for table in (s.runs, s.run_tags, s.event_logs):
                    connection.execute(table.delete().where(table.c.run_id.in_(chunk)))
                connection.execute(s.asset_check_executions.delete().where(x.run_id.in_(chunk)))
        return doomed

    def reindex(self) -> None:
        self.flush()
        with self._write() as connection:
            reindex_all(connection)
            reindex_checks(connection)

    def counts(self) -> dict[str, int]:
        """Rows per table, for `headwater instance info`."""
        tables = (s.runs, s.event_logs, s.asset_keys, s.asset_partitions,
                  s.asset_check_executions, s.dynamic_partitions, s.instigators,
                  s.instigator_ticks, s.backfills, s.automation_condition_evaluations)
        with self._read() as connection:
            return {t.name: int(connection.execute(sa.select(sa.func.count()).select_from(t))
                                .scalar_one()) for t in tables}

    def wipe(self) -> None:
        with self._lock:
            self._held = []
            self._written.clear()
        with self._write() as connection:
            for table in reversed(s.metadata.sorted_tables):
                connection.execute(table.delete())


def _event_row(event: HeadwaterEvent) -> dict[str, Any]:
    return {
        "run_id": event.run_id, "timestamp": event.timestamp,
        "event_type": event.event_type.value, "step_key": event.step_key,
        "asset_key": key_string(event.asset_key) if event.asset_key is not None else None,
        "partition": asset_partition_of(event), "body": event_to_json(event),
    }


def _insert_events(connection: sa.Connection, events: Sequence[HeadwaterEvent],
                   rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert the event rows (under the event lock on PostgreSQL) and move the asset and
    check indexes; their storage ids."""
    postgres = connection.dialect.name == "postgresql"
    ids: list[int]
    if postgres and len(rows) == 1:
        ids = [connection.execute(_LOCKED_INSERT, rows[0]).scalar_one()]
    elif len(rows) == 1:
        ids = [connection.execute(_INSERT, rows[0]).scalar_one()]
    else:
        if postgres:
            connection.execute(sa.text(f"SELECT pg_advisory_xact_lock({_EVENT_LOCK})"))
        result = connection.execute(
            s.event_logs.insert().returning(s.event_logs.c.id, sort_by_parameter_order=True),
            list(rows))
        ids = [row[0] for row in result]
    index_events(connection, [(i, r) for i, r in zip(ids, rows)])
    checks = [(i, e) for i, e in zip(ids, events) if e.event_type in CHECK_EVENT_TYPES]
    if checks:
        index_check_events(connection, checks)
    return ids


def _lock_events(connection: sa.Connection) -> None:
    """Take the event lock before a conditional run update: event writers take it before they
    move a run's status, so taking it in the same order here rules out a deadlock between a
    claim and, say, a cancel of the same run."""
    connection.execute(sa.text(f"SELECT pg_advisory_xact_lock({_EVENT_LOCK})"))


def _count_claimable(connection: sa.Connection) -> int | None:
    """How many runs are in progress; None when no run is queued (nothing to claim)."""
    r = s.runs.c
    queued = HeadwaterRunStatus.QUEUED.value
    rows = connection.execute(sa.select(r.status, sa.func.count()).where(
        r.status.in_([x.value for x in IN_PROGRESS] + [queued])).group_by(r.status))
    counts: dict[str, int] = {row[0]: int(row[1]) for row in rows}
    if not counts.pop(queued, 0):
        return None
    return sum(counts.values())


def _move_status_if(connection: sa.Connection, event: HeadwaterEvent,
                    expected: Collection[HeadwaterRunStatus],
                    status: HeadwaterRunStatus | None = None) -> bool:
    """Move the event's run to `status` (default: the event's) if the run is in one of
    `expected`, in one conditional UPDATE; whether it moved (a concurrent writer may have
    moved it first)."""
    status = status or STATUS_BY_EVENT[event.event_type]
    r = s.runs.c
    values: dict[str, Any] = {"status": status.value, "update_timestamp": event.timestamp}
    if status is HeadwaterRunStatus.STARTED:
        values["start_time"] = event.timestamp
    if status in FINISHED_STATUSES:
        values["end_time"] = event.timestamp
    moved = connection.execute(s.runs.update().where(
        r.run_id == event.run_id, r.status.in_([x.value for x in expected])).values(values))
    return moved.rowcount == 1


def _run_values(record: RunRecord) -> dict[str, Any]:
    run = record.headwater_run
    return {
        "run_id": run.run_id, "job_name": run.job_name, "status": run.status.value,
        "asset_selection": _json_list(None if run.asset_selection is None
                                      else sorted(key_string(k) for k in run.asset_selection)),
        "op_selection": _json_list(run.op_selection),
        "step_keys": _json_list(run.step_keys_to_execute),
        "run_config": json.dumps(run.run_config, default=str),
        "tags": json.dumps(dict(run.tags)), "partition": run.partition_key,
        "parent_run_id": run.parent_run_id, "root_run_id": run.root_run_id,
        "create_timestamp": record.create_timestamp.timestamp(),
        "update_timestamp": record.update_timestamp.timestamp(),
        "start_time": record.start_time, "end_time": record.end_time,
    }


def _kept_ids() -> sa.CompoundSelect:
    """Event ids the indexes point at: latest materialization per asset and partition, latest
    evaluation per check and partition."""
    a, p = s.asset_keys.c, s.asset_partitions.c
    return sa.union(
        sa.select(a.last_materialization_id).where(a.last_materialization_id.is_not(None)),
        sa.select(a.last_observation_id).where(a.last_observation_id.is_not(None)),
        sa.select(p.last_materialization_id).where(p.last_materialization_id.is_not(None)),
        kept_event_ids(),
    )


_FINISHED = sorted(status.value for status in FINISHED_STATUSES)


def _update_run(connection: sa.Connection, run_id: str, timestamp: float,
                status: HeadwaterRunStatus | None, start_time: float | None,
                end_time: float | None, tags: Mapping[str, str] | None) -> None:
    values: dict[str, Any] = {"update_timestamp": timestamp}
    moved: dict[str, Any] = {}
    if status is not None:
        moved["status"] = status.value
    if start_time is not None:
        moved["start_time"] = start_time
    if end_time is not None:
        moved["end_time"] = end_time
    if moved:
        # A finished run's status is final: a late event (a run declared dead that finishes
        # after all, a cancel racing the run's end) is stored but moves nothing. The
        # condition sits in the UPDATE itself, so the check and the change are one step
        # under SQLite's write lock and PostgreSQL's row lock.
        connection.execute(s.runs.update().where(
            s.runs.c.run_id == run_id, s.runs.c.status.not_in(_FINISHED)).values(moved))
    if tags:
        current = connection.execute(
            sa.select(s.runs.c.tags).where(s.runs.c.run_id == run_id)).scalar()
        if current is None:
            return
        values["tags"] = json.dumps({**json.loads(current), **tags})
        t = s.run_tags.c
        connection.execute(s.run_tags.delete().where(t.run_id == run_id, t.key.in_(list(tags))))
        connection.execute(s.run_tags.insert(), [
            {"run_id": run_id, "key": k, "value": str(v)} for k, v in tags.items()])
    connection.execute(s.runs.update().where(s.runs.c.run_id == run_id).values(values))


def _run_conditions(filters: RunsFilter | None) -> list[Any]:
    if filters is None:
        return []
    r, t = s.runs.c, s.run_tags.c
    where: list[Any] = []
    if filters.run_ids is not None:
        where.append(r.run_id.in_(list(filters.run_ids)))
    if filters.job_name is not None:
        where.append(r.job_name == filters.job_name)
    if filters.statuses is not None:
        where.append(r.status.in_([HeadwaterRunStatus(x).value for x in filters.statuses]))
    for key, wanted in (filters.tags or {}).items():
        values = [wanted] if isinstance(wanted, str) else list(wanted)
        where.append(r.run_id.in_(sa.select(t.run_id).where(t.key == key, t.value.in_(values))))
    if filters.asset_keys is not None:
        where.append(sa.or_(sa.false(), *(
            r.asset_selection.contains(json.dumps(key_string(to_asset_key(k))), autoescape=True)
            for k in filters.asset_keys)))
    if filters.exclude_subruns:
        where.append(r.parent_run_id.is_(None))
        where.append(r.run_id.not_in(sa.select(t.run_id).where(t.key == PARENT_RUN_ID_TAG)))
    for column, bound, op in ((r.update_timestamp, filters.updated_after, "gt"),
                              (r.update_timestamp, filters.updated_before, "lt"),
                              (r.create_timestamp, filters.created_after, "gt"),
                              (r.create_timestamp, filters.created_before, "lt")):
        if bound is not None:
            value = bound.timestamp() if isinstance(bound, datetime) else float(bound)
            where.append(column > value if op == "gt" else column < value)
    if filters.active_after is not None:
        # A finished run ends at or before its last update, so the update bound (indexed)
        # comes first; the end time (or that update, when none was stamped) decides.
        after = filters.active_after.timestamp()
        finished = sorted(x.value for x in FINISHED_STATUSES)
        where.append(sa.or_(r.status.not_in(finished), sa.and_(
            r.update_timestamp >= after,
            sa.func.coalesce(r.end_time, r.update_timestamp) >= after)))
    return where


def _event_conditions(query: EventQuery) -> list[Any]:
    e = s.event_logs.c
    where: list[Any] = []
    if query.run_id is not None:
        where.append(e.run_id == query.run_id)
    if query.event_types is not None:
        where.append(e.event_type.in_(sorted(t.value for t in query.event_types)))
    if query.asset_key is not None:
        where.append(e.asset_key == key_string(query.asset_key))
    if query.partitions is not None:
        where.append(e.partition.in_(sorted(query.partitions)))
    if query.after_id is not None:
        where.append(e.id > query.after_id)
    if query.before_id is not None:
        where.append(e.id < query.before_id)
    if query.after_timestamp is not None:
        where.append(e.timestamp > query.after_timestamp)
    if query.before_timestamp is not None:
        where.append(e.timestamp < query.before_timestamp)
    if query.storage_ids is not None:
        where.append(e.id.in_(sorted(query.storage_ids)))
    if query.job_names is not None:
        r = s.runs.c
        where.append(e.run_id.in_(sa.select(r.run_id).where(r.job_name.in_(sorted(query.job_names)))))
    return where


def _run_record(row: Mapping[Any, Any]) -> RunRecord:
    selection = _from_json_list(row["asset_selection"])
    op_selection = _from_json_list(row["op_selection"])
    step_keys = _from_json_list(row["step_keys"])
    run = HeadwaterRun(
        job_name=row["job_name"], run_id=row["run_id"], run_config=json.loads(row["run_config"]),
        asset_selection=frozenset(_key(k) for k in selection) if selection is not None else None,
        op_selection=tuple(op_selection) if op_selection is not None else None,
        step_keys_to_execute=tuple(step_keys) if step_keys is not None else None,
        status=HeadwaterRunStatus(row["status"]), tags=json.loads(row["tags"]),
        root_run_id=row["root_run_id"], parent_run_id=row["parent_run_id"],
    )
    return RunRecord(
        storage_id=row["id"], headwater_run=run,
        create_timestamp=datetime.fromtimestamp(row["create_timestamp"], timezone.utc),
        update_timestamp=datetime.fromtimestamp(row["update_timestamp"], timezone.utc),
        start_time=row["start_time"], end_time=row["end_time"],
    )


def _key(value: str) -> AssetKey:
    return AssetKey(json.loads(value))


def _json_list(values: Iterable[Any] | None) -> str | None:
    return None if values is None else json.dumps(list(values))


def _from_json_list(text: str | None) -> list[Any] | None:
    return None if text is None else json.loads(text)
