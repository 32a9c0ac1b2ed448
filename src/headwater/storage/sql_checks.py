"""The check executions of the SQL storage: rows of `asset_check_executions`, moved by events.

The rules are storage/checks.py's (the in-memory storage applies the same ones to dicts).
`index_check_events` runs inside the writer's transaction with the events just written, in
id order: PLANNED events of a batch become one multi-row insert (minus the executions their
run already has open); an evaluation is one UPDATE of its run's open row (one INSERT when
there was none), or, when its run has nothing open at all, a row of one multi-row insert at
the end of the batch; a run's end is one UPDATE by (run_id, status).

Reads are single statements. A check's history is a backward range scan of the index
(asset_key, check_name, id) (or the one with the partition). The latest execution of many
checks at once takes the requested keys as one JSON parameter, expanded by the database
(SQLite `json_each`, PostgreSQL `jsonb_to_recordset`), so 10,000 checks cost one query with one
bound parameter and one index seek per check, not 10,000 placeholders or 20 chunked queries.
Imports SQLAlchemy.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from headwater.definitions.key import AssetCheckKey, AssetKey
from headwater.execution.event import HeadwaterEvent, event_from_json
from headwater.storage import schema as s
from headwater.storage.checks import (
    EVALUATION,
    PLANNED,
    STATUS_AT_RUN_END,
    AssetCheckExecutionRecord,
    AssetCheckExecutionRecordStatus,
    check_key_of,
    evaluation_status,
)
from headwater.storage.database import dialect_module
from headwater.storage.record import asset_partition_of, entry_for_event

_IN_PROGRESS = AssetCheckExecutionRecordStatus.IN_PROGRESS.value
_CHECK_EVENTS = [PLANNED.value, EVALUATION.value]
_RUN_ENDS = [t.value for t in STATUS_AT_RUN_END]
_REPLAY_CHUNK = 5000
_Open = tuple[str, str, str, "str | None"]  # (run id, asset key string, check name, partition)


def index_check_events(connection: sa.Connection,
                       events: Sequence[tuple[int, HeadwaterEvent]]) -> None:
    """Move the check executions for events (storage id, event) just written, in id order.

    An evaluation whose run has nothing open (runless ones, runs that planned no check) cannot
    close a row, so it is inserted with the batch's other new rows without looking first.
    """
    open_runs = _runs_with_open_executions(
        connection, {e.run_id for _, e in events if e.event_type is EVALUATION})
    planned: list[dict[str, Any]] = []
    closed: list[dict[str, Any]] = []
    for storage_id, event in events:
        if event.event_type is PLANNED:
            planned.append(_new_row(storage_id, event, _IN_PROGRESS, None))
            open_runs.add(event.run_id)
            continue
        if event.event_type is EVALUATION and event.run_id not in open_runs:
            closed.append(_new_row(storage_id, event, evaluation_status(event).value, storage_id))
            continue
        _insert_planned(connection, planned)
        planned = []
        if event.event_type is EVALUATION:
            _evaluate(connection, storage_id, event)
        else:
            x = s.asset_check_executions.c
            connection.execute(s.asset_check_executions.update().where(
                x.run_id == event.run_id, x.status == _IN_PROGRESS,
            ).values(status=STATUS_AT_RUN_END[event.event_type].value,
                     update_timestamp=event.timestamp))
            open_runs.discard(event.run_id)
    _insert_planned(connection, planned)
    if closed:
        connection.execute(s.asset_check_executions.insert(), closed)


def _runs_with_open_executions(connection: sa.Connection, run_ids: set[str]) -> set[str]:
    if not run_ids:
        return set()
    x = s.asset_check_executions.c
    return {row[0] for row in connection.execute(sa.select(x.run_id).distinct().where(
        x.run_id.in_(sorted(run_ids)), x.status == _IN_PROGRESS))}


def _new_row(storage_id: int, event: HeadwaterEvent, status: str,
             event_id: int | None) -> dict[str, Any]:
    key = check_key_of(event)
    severity = event.payload.severity.value if event_id is not None else None
    return {"id": storage_id, "asset_key": key.asset_key.to_string(), "check_name": key.name,
            "partition": asset_partition_of(event), "run_id": event.run_id, "status": status,
            "event_id": event_id, "severity": severity, "create_timestamp": event.timestamp,
            "update_timestamp": event.timestamp}


def _slot(row: Mapping[Any, Any]) -> _Open:
    return row["run_id"], row["asset_key"], row["check_name"], row["partition"]


def _insert_planned(connection: sa.Connection, planned: list[dict[str, Any]]) -> None:
    """Open the planned executions, except those already open in their run (one per slot)."""
    if not planned:
        return
    x = s.asset_check_executions.c
    already = {_slot(row) for row in connection.execute(
        sa.select(x.run_id, x.asset_key, x.check_name, x.partition).where(
            x.run_id.in_(sorted({row["run_id"] for row in planned})),
            x.status == _IN_PROGRESS)).mappings()}
    rows = []
    for row in planned:
        if _slot(row) not in already:
            already.add(_slot(row))
            rows.append(row)
    if rows:
        connection.execute(s.asset_check_executions.insert(), rows)


def _evaluate(connection: sa.Connection, storage_id: int, event: HeadwaterEvent) -> None:
    status = evaluation_status(event).value
    row = _new_row(storage_id, event, status, storage_id)
    x = s.asset_check_executions.c
    closed = connection.execute(s.asset_check_executions.update().where(
        x.run_id == row["run_id"], x.asset_key == row["asset_key"],
        x.check_name == row["check_name"], _partition_is(x.partition, row["partition"]),
        x.status == _IN_PROGRESS,
    ).values(status=status, event_id=storage_id, severity=row["severity"],
             update_timestamp=event.timestamp)).rowcount
    if not closed:
        connection.execute(s.asset_check_executions.insert(), [row])


def _partition_is(column: Any, partition: str | None) -> Any:
    return column.is_(None) if partition is None else column == partition


# --- forgetting and rebuilding ------------------------------------------------------------


def forget_run(connection: sa.Connection, run_id: str) -> None:
    table = s.asset_check_executions
    connection.execute(table.delete().where(table.c.run_id == run_id))


def forget_assets(connection: sa.Connection, keys: Sequence[str],
                  partitions: Sequence[str] | None = None) -> None:
    """Drop the executions of these assets (asset key strings), or of these partitions."""
    x = s.asset_check_executions.c
    where = [x.asset_key.in_(list(keys))]
    if partitions is not None:
        where.append(x.partition.in_(list(partitions)))
    connection.execute(s.asset_check_executions.delete().where(*where))


def reindex_checks(connection: sa.Connection) -> None:
    """Drop and rebuild every check execution from the event log (wiped events, whose
    asset_key column is NULL, are skipped). Only the ends of runs that planned a check can
    close anything, so the others are not read."""
    connection.execute(s.asset_check_executions.delete())
    e = s.event_logs.c
    planning_runs = sa.select(e.run_id).where(e.event_type == PLANNED.value)
    condition = sa.or_(
        sa.and_(e.event_type.in_(_CHECK_EVENTS), e.asset_key.is_not(None)),
        sa.and_(e.event_type.in_(_RUN_ENDS), e.run_id.in_(planning_runs)),
    )
    after = 0
    while True:
        chunk = connection.execute(sa.select(e.id, e.body).where(condition, e.id > after)
                                   .order_by(e.id).limit(_REPLAY_CHUNK)).all()
        if not chunk:
            return
        index_check_events(connection, [(row[0], event_from_json(row[1])) for row in chunk])
        after = chunk[-1][0]


def kept_event_ids() -> sa.Select:
    """The evaluation event of each check's latest evaluated execution per partition (what
    `prune` keeps, like each asset's latest materialization)."""
    x = s.asset_check_executions.c
    return (sa.select(sa.func.max(x.event_id)).where(x.event_id.is_not(None))
            .group_by(x.asset_key, x.check_name, x.partition))


# --- reads --------------------------------------------------------------------------------


def check_history(connection: sa.Connection, key: AssetCheckKey, limit: int,
                  before_id: int | None, partition: str | None,
                  statuses: Iterable[AssetCheckExecutionRecordStatus] | None,
                  ) -> list[AssetCheckExecutionRecord]:
    if limit <= 0:
        return []
    x = s.asset_check_executions.c
    where = [x.asset_key == key.asset_key.to_string(), x.check_name == key.name]
    if partition is not None:
        where.append(x.partition == partition)
    if before_id is not None:
        where.append(x.id < before_id)
    if statuses is not None:
        where.append(x.status.in_(sorted(status.value for status in statuses)))
    statement = (_with_event(sa.select(s.asset_check_executions)).where(*where)
                 .order_by(x.id.desc()).limit(limit))
    return [_record(row) for row in connection.execute(statement).mappings()]


def latest_check_executions(connection: sa.Connection, keys: Sequence[AssetCheckKey],
                            partition: str | None) -> dict[AssetCheckKey, AssetCheckExecutionRecord]:
    """The newest execution of each of `keys` (of `partition` when given), in one statement."""
    wanted = json.dumps([{"asset_key": k.asset_key.to_string(), "check_name": k.name}
                         for k in keys])
    x = s.asset_check_executions
    if connection.dialect.name == "postgresql":
        requested = sa.func.jsonb_to_recordset(sa.cast(sa.literal(wanted), dialect_module(connection).JSONB)) \
            .table_valued(sa.column("asset_key", sa.Text), sa.column("check_name", sa.Text)) \
            .render_derived(name="wanted", with_types=True)
        newest = (sa.select(x).where(*_same_check(x, requested.c.asset_key,
                                                  requested.c.check_name, partition))
                  .order_by(x.c.id.desc()).limit(1).lateral("newest"))
        statement = _with_event(sa.select(newest).select_from(requested).join(newest, sa.true()),
                                newest)
    else:
        pairs = sa.func.json_each(sa.literal(wanted)).table_valued("value").alias("wanted")
        y = x.alias("y")
        newest_id = (sa.select(y.c.id).where(*_same_check(
            y, sa.func.json_extract(pairs.c.value, "$.asset_key"),
            sa.func.json_extract(pairs.c.value, "$.check_name"), partition))
            .order_by(y.c.id.desc()).limit(1).scalar_subquery())
        statement = _with_event(sa.select(x).select_from(pairs).join(x, x.c.id == newest_id))
    records = (_record(row) for row in connection.execute(statement).mappings())
    return {record.key: record for record in records}


def _same_check(table: Any, asset_key: Any, check_name: Any, partition: str | None) -> list[Any]:
    where = [table.c.asset_key == asset_key, table.c.check_name == check_name]
    if partition is not None:
        where.append(table.c.partition == partition)
    return where


def _with_event(statement: sa.Select, rows: Any = None) -> sa.Select:
    """Add the evaluation event's body (NULL while in progress, or once pruned)."""
    rows = s.asset_check_executions if rows is None else rows
    e = s.event_logs.c
    return statement.add_columns(e.body).outerjoin(s.event_logs, e.id == rows.c.event_id)


def _record(row: Mapping[Any, Any]) -> AssetCheckExecutionRecord:
    body = row["body"]
    return AssetCheckExecutionRecord(
        id=row["id"],
        key=AssetCheckKey(AssetKey(json.loads(row["asset_key"])), row["check_name"]),
        partition=row["partition"], run_id=row["run_id"],
        status=AssetCheckExecutionRecordStatus(row["status"]),
        event=entry_for_event(event_from_json(body)) if body is not None else None,
        create_timestamp=row["create_timestamp"], update_timestamp=row["update_timestamp"],
    )
