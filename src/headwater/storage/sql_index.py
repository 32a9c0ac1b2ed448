"""The asset index of the SQL storage, derived from event rows and rebuildable from them.

`asset_keys` keeps, per asset with a materialization or observation, the ids of its latest
ones; `asset_partitions` keeps, per attempted partition, the latest materialization and the
status of the latest attempt: MATERIALIZED, IN_PROGRESS (a run that targets the partition
started, or planned it) or FAILED (that run failed or was canceled before materializing it).
A run that succeeds without materializing a partition it targeted leaves the partition as it
was. `index_events` applies rows in storage-id order inside the writer's transaction;
`rebuild_assets` and `reindex_all` replay the event log, skipping the attempts older than a
wipe of the asset or partition (`mark_wiped` keeps the last event id of each wipe in `kvs`).
Imports SQLAlchemy.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import sqlalchemy as sa

from headwater.execution.event import HeadwaterEventType
from headwater.storage import schema as s
from headwater.storage.database import dialect_module

_ET = HeadwaterEventType
_MAT = _ET.ASSET_MATERIALIZATION.value
_OBS = _ET.ASSET_OBSERVATION.value
_PLANNED = _ET.ASSET_MATERIALIZATION_PLANNED.value
_START = _ET.RUN_START.value
_SUCCESS = _ET.RUN_SUCCESS.value
_FAILED = frozenset({_ET.RUN_FAILURE.value, _ET.RUN_CANCELED.value})
INDEXED_TYPES = (_MAT, _OBS, _PLANNED, _START, _SUCCESS, *_FAILED)
MATERIALIZED, IN_PROGRESS, FAILED = "MATERIALIZED", "IN_PROGRESS", "FAILED"
_REPLAY_CHUNK = 5000
_WIPED = "headwater/wiped/"
Marks = dict[tuple[str, "str | None"], int]


def index_events(connection: sa.Connection, rows: Sequence[tuple[int, Mapping[Any, Any]]],
                 only_assets: set[str] | None = None,
                 partitioned_runs: dict[str, tuple[str, list[str]]] | None = None,
                 wiped: Marks | None = None) -> None:
    """Move the asset index for event rows (id, columns) just written, in id order.

    Upserts are merged per asset and per (asset, partition) (a later event's columns win) and
    written together, one statement per column set, before a run's end updates partitions by
    run and at the end of the batch: the same rows as one upsert per event, in a few calls.
    """
    pending = _Pending()
    for storage_id, row in rows:
        event_type, key, partition = row["event_type"], row["asset_key"], row["partition"]
        if event_type not in INDEXED_TYPES:
            continue
        if key is not None and only_assets is not None and key not in only_assets:
            continue
        if event_type == _MAT and key is not None:
            pending.asset(key, {
                "last_materialization_id": storage_id,
                "last_materialization_timestamp": row["timestamp"], "last_event_id": storage_id,
            })
            if partition is not None:
                pending.partition(key, partition, {
                    "status": MATERIALIZED, "last_materialization_id": storage_id,
                    "last_materialization_timestamp": row["timestamp"],
                    "attempt_run_id": row["run_id"], "attempt_id": storage_id,
                })
        elif event_type == _OBS and key is not None:
            pending.asset(key, {"last_observation_id": storage_id, "last_event_id": storage_id})
        elif event_type == _PLANNED and key is not None and partition is not None:
            if not _is_wiped(wiped, key, partition, storage_id):
                _attempt(pending, key, partition, row["run_id"], storage_id)
        elif event_type == _START:
            target = (partitioned_runs.get(row["run_id"]) if partitioned_runs is not None
                      else _run_target(connection, row["run_id"]))
            if target is not None:
                run_partition, keys = target
                for asset in keys:
                    if ((only_assets is None or asset in only_assets)
                            and not _is_wiped(wiped, asset, run_partition, storage_id)):
                        _attempt(pending, asset, run_partition, row["run_id"], storage_id)
        elif event_type == _SUCCESS or event_type in _FAILED:
            pending.write(connection)
            _finish(connection, row["run_id"], failed=event_type in _FAILED)
    pending.write(connection)


class _Pending:
    """Index upserts not yet written: one row per asset and per (asset, partition)."""

    __slots__ = ("assets", "partitions")

    def __init__(self) -> None:
        self.assets: dict[str, dict[str, Any]] = {}
        self.partitions: dict[tuple[str, str], dict[str, Any]] = {}

    def asset(self, key: str, values: dict[str, Any]) -> None:
        row = self.assets.get(key)
        if row is None:
            self.assets[key] = {"asset_key": key, **values}
        else:
            row.update(values)

    def partition(self, key: str, partition: str, values: dict[str, Any]) -> None:
        row = self.partitions.get((key, partition))
        if row is None:
            self.partitions[(key, partition)] = {"asset_key": key, "partition": partition,
                                                 **values}
        else:
            row.update(values)

    def write(self, connection: sa.Connection) -> None:
        if self.assets:
            _upsert_many(connection, s.asset_keys, ("asset_key",), self.assets.values())
            self.assets = {}
        if self.partitions:
            _upsert_many(connection, s.asset_partitions, ("asset_key", "partition"),
                         self.partitions.values())
            self.partitions = {}


def _is_wiped(wiped: Marks | None, key: str, partition: str, storage_id: int) -> bool:
    if not wiped:
        return False
    return storage_id <= max(wiped.get((key, None), 0), wiped.get((key, partition), 0))


_STAMP_TYPES = [kind.value for kind in _ET if kind is not _ET.LOG]


def _build_change_stamp_query() -> sa.Select[Any]:
    e, r = s.event_logs.c, s.runs.c
    newest = [sa.select(sa.func.max(e.id)).where(e.event_type == kind).scalar_subquery()
              for kind in _STAMP_TYPES]
    marks = sa.select(s.kvs.c.value).where(s.kvs.c.key.startswith(_WIPED)).subquery()
    return sa.select(
        *newest,
        sa.select(sa.func.max(r.id)).scalar_subquery(),
        sa.select(sa.func.count()).select_from(s.runs).scalar_subquery(),
        sa.select(sa.func.max(r.update_timestamp)).scalar_subquery(),
        sa.select(sa.func.count()).select_from(s.asset_keys).scalar_subquery(),
        sa.select(sa.func.count()).select_from(marks).scalar_subquery(),
        sa.select(sa.func.sum(sa.cast(marks.c.value, sa.BigInteger))).scalar_subquery(),
    )


_CHANGE_STAMP = _build_change_stamp_query()


def change_stamp(connection: sa.Connection) -> tuple[Any, ...]:
    """What `Storage.asset_change_stamp` compares, in one statement of indexed lookups: the
    newest event id of each type but LOG (one index probe per type, so a run streaming log
    lines changes nothing), the newest run id, the number of runs and their latest update,
    the number of indexed assets, and the wipe marks (each new mark is the last event id, so
    their count and sum move with every wipe)."""
    row = connection.execute(_CHANGE_STAMP).one()
    count = len(_STAMP_TYPES)
    return (max((v for v in row[:count] if v is not None), default=None), *row[count:])


def mark_wiped(connection: sa.Connection, key: str, partitions: Sequence[str] | None) -> None:
    """Remember that the asset (or these partitions of it) was wiped at the current last event."""
    last = connection.execute(sa.select(sa.func.max(s.event_logs.c.id))).scalar() or 0
    targets: list[str | None] = list(partitions) if partitions is not None else [None]
    names = [_WIPED + json.dumps([key, p]) for p in targets]
    connection.execute(s.kvs.delete().where(s.kvs.c.key.in_(names)))
    connection.execute(s.kvs.insert(), [{"key": n, "value": str(last)} for n in names])


def _wipe_marks(connection: sa.Connection) -> Marks:
    rows = connection.execute(sa.select(s.kvs.c.key, s.kvs.c.value)
                              .where(s.kvs.c.key.startswith(_WIPED)))
    marks: Marks = {}
    for name, value in cast("Iterable[tuple[str, str]]", rows):
        key, partition = json.loads(name[len(_WIPED):])
        marks[(key, partition)] = int(value)
    return marks


def _attempt(pending: _Pending, key: str, partition: str, run_id: str,
             storage_id: int) -> None:
    pending.partition(key, partition, {
        "status": IN_PROGRESS, "attempt_run_id": run_id, "attempt_id": storage_id,
    })


def _finish(connection: sa.Connection, run_id: str, failed: bool) -> None:
    p = s.asset_partitions.c
    pending = sa.and_(p.attempt_run_id == run_id, p.status == IN_PROGRESS)
    if failed:
        connection.execute(s.asset_partitions.update().where(pending).values(status=FAILED))
        return
    connection.execute(s.asset_partitions.update().where(
        pending, p.last_materialization_id.is_not(None)).values(status=MATERIALIZED))
    connection.execute(s.asset_partitions.delete().where(
        pending, p.last_materialization_id.is_(None)))


def _run_target(connection: sa.Connection, run_id: str) -> tuple[str, list[str]] | None:
    r = s.runs.c
    row = connection.execute(sa.select(r.partition, r.asset_selection).where(r.run_id == run_id)).first()
    return _target(row[0], row[1]) if row is not None else None


def _target(partition: str | None, selection: str | None) -> tuple[str, list[str]] | None:
    if partition is None or not selection:
        return None
    return partition, json.loads(selection)


def _upsert_many(connection: sa.Connection, table: sa.Table, keys: tuple[str, ...],
                 rows: Iterable[dict[str, Any]]) -> None:
    """Insert or update rows (at most one per key) with one statement per column set."""
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        shapes.setdefault(tuple(sorted(row)), []).append(row)
    dialect = connection.dialect.name
    for columns, group in shapes.items():
        statement = _UPSERTS.get((dialect, table.name, columns))
        if statement is None:
            insert = dialect_module(connection).insert(table)
            statement = insert.on_conflict_do_update(index_elements=list(keys), set_={
                c: insert.excluded[c] for c in columns if c not in keys})
            _UPSERTS[(dialect, table.name, columns)] = statement
        connection.execute(statement, group)


# Upsert statements by (dialect, table, columns), built once; SQLAlchemy caches their SQL.
_UPSERTS: dict[tuple[str, str, tuple[str, ...]], Any] = {}


def rebuild_assets(connection: sa.Connection, keys: Sequence[str]) -> None:
    """Recompute the index rows of some assets from the event log."""
    for table in (s.asset_keys, s.asset_partitions):
        connection.execute(table.delete().where(table.c.asset_key.in_(list(keys))))
    e = s.event_logs.c
    _replay(connection, sa.or_(
        sa.and_(e.asset_key.in_(list(keys)), e.event_type.in_([_MAT, _OBS, _PLANNED])),
        e.event_type.in_([_START, _SUCCESS, *_FAILED]),
    ), set(keys))


def reindex_all(connection: sa.Connection) -> None:
    """Drop and rebuild every asset index row from the event log."""
    for table in (s.asset_keys, s.asset_partitions):
        connection.execute(table.delete())
    e = s.event_logs.c
    _replay(connection, e.event_type.in_(list(INDEXED_TYPES)), None)


def _replay(connection: sa.Connection, condition: Any, only_assets: set[str] | None) -> None:
    r, e = s.runs.c, s.event_logs.c
    runs = {row[0]: target for row in connection.execute(
        sa.select(r.run_id, r.partition, r.asset_selection).where(r.partition.is_not(None)))
        if (target := _target(row[1], row[2])) is not None}
    wiped = _wipe_marks(connection)
    columns = (e.id, e.run_id, e.timestamp, e.event_type, e.asset_key, e.partition)
    after = 0
    while True:
        chunk = connection.execute(sa.select(*columns).where(condition, e.id > after)
                                   .order_by(e.id).limit(_REPLAY_CHUNK)).mappings().all()
        if not chunk:
            return
        index_events(connection, [(row["id"], row) for row in chunk], only_assets, runs, wiped)
        after = chunk[-1]["id"]
