"""The scheduling-state half of the SQL storage: instigators and their cursors, ticks, used run
keys, daemon heartbeats, backfills and the key-value store (records in storage/state.py).

A mixin of `SqlStorage`, which provides `_read()` and `_write()` connections. Claiming run
keys relies on the table's unique constraint, so two daemons can never both launch one key.
Imports SQLAlchemy.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa

from headwater.storage import schema as s
from headwater.storage.state import BackfillRecord, DaemonHeartbeat, InstigatorState, TickRecord


class SqlState:
    """Scheduling state in SQL tables."""

    def _read(self) -> AbstractContextManager[sa.Connection]:
        raise NotImplementedError

    def _write(self) -> AbstractContextManager[sa.Connection]:
        raise NotImplementedError

    # --- instigators --------------------------------------------------------------------
    def set_instigator_state(self, state: InstigatorState) -> InstigatorState:
        now = time.time()
        values = {"name": state.name, "instigator_type": state.instigator_type,
                  "status": state.status, "cursor": state.cursor,
                  "body": json.dumps(dict(state.body)), "update_timestamp": now}
        i = s.instigators.c
        with self._write() as connection:
            updated = connection.execute(s.instigators.update()
                                         .where(i.origin_id == state.origin_id).values(values))
            if updated.rowcount == 0:
                connection.execute(s.instigators.insert().values(origin_id=state.origin_id, **values))
        return InstigatorState(state.origin_id, state.name, state.instigator_type, state.status,
                               state.cursor, dict(state.body), now)

    def get_instigator_state(self, origin_id: str) -> InstigatorState | None:
        found = self._instigators(s.instigators.c.origin_id == origin_id)
        return found[0] if found else None

    def all_instigator_state(self, instigator_type: str | None = None) -> list[InstigatorState]:
        i = s.instigators.c
        return self._instigators(i.instigator_type == instigator_type
                                 if instigator_type is not None else sa.true())

    def _instigators(self, condition: Any) -> list[InstigatorState]:
        i = s.instigators.c
        with self._read() as connection:
            rows = connection.execute(sa.select(s.instigators).where(condition).order_by(i.id))
            return [InstigatorState(r.origin_id, r.name, r.instigator_type, r.status, r.cursor,
                                    json.loads(r.body), r.update_timestamp) for r in rows]

    def delete_instigator_state(self, origin_id: str) -> None:
        with self._write() as connection:
            connection.execute(s.instigators.delete().where(s.instigators.c.origin_id == origin_id))

    # --- ticks and run keys -------------------------------------------------------------
    def create_tick(self, tick: TickRecord) -> TickRecord:
        with self._write() as connection:
            tick_id: int = connection.execute(s.instigator_ticks.insert().values(_tick_values(tick))
                                         .returning(s.instigator_ticks.c.id)).scalar_one()
        return TickRecord(tick.origin_id, tick.name, tick.instigator_type, tick.status,
                          tick.timestamp, tick.end_timestamp, dict(tick.body), tick_id)

    def update_tick(self, tick: TickRecord) -> TickRecord:
        t = s.instigator_ticks.c
        with self._write() as connection:
            updated = connection.execute(s.instigator_ticks.update().where(t.id == tick.tick_id)
                                         .values(_tick_values(tick)))
        if updated.rowcount == 0:
            raise KeyError(f"tick {tick.tick_id} is not stored: create it with create_tick first")
        return tick

    def get_ticks(self, origin_id: str, before: float | None = None, after: float | None = None,
                  limit: int | None = None, statuses: Sequence[str] | None = None) -> list[TickRecord]:
        t = s.instigator_ticks.c
        query = sa.select(s.instigator_ticks).where(t.origin_id == origin_id)
        if before is not None:
            query = query.where(t.timestamp < before)
        if after is not None:
            query = query.where(t.timestamp > after)
        if statuses is not None:
            query = query.where(t.status.in_(list(statuses)))
        query = query.order_by(t.timestamp.desc(), t.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._read() as connection:
            return [TickRecord(r.origin_id, r.name, r.instigator_type, r.status, r.timestamp,
                               r.end_timestamp, json.loads(r.body), r.id)
                    for r in connection.execute(query)]

    def purge_ticks(self, origin_id: str, before: float, statuses: Sequence[str] | None = None,
                    limit: int | None = None) -> int:
        t = s.instigator_ticks.c
        query = sa.select(t.id).where(t.origin_id == origin_id, t.timestamp < before)
        if statuses is not None:
            query = query.where(t.status.in_(list(statuses)))
        if limit is not None:  # the oldest first, through the (origin_id, timestamp) index
            query = query.order_by(t.timestamp).limit(limit)
        a = s.automation_condition_evaluations.c
        with self._write() as connection:
            ids = [row[0] for row in connection.execute(query)]
            for chunk in [ids[i:i + 500] for i in range(0, len(ids), 500)]:
                connection.execute(s.instigator_ticks.delete().where(t.id.in_(chunk)))
                # an automation sensor's tick is the evaluation id of what it decided
                connection.execute(s.automation_condition_evaluations.delete()
                                   .where(a.evaluation_id.in_(chunk)))
        return len(ids)

    def claim_run_keys(self, origin_id: str, run_keys: Iterable[str]) -> list[str]:
        keys = list(dict.fromkeys(run_keys))
        if not keys:
            return []
        k = s.instigator_run_keys.c
        with self._write() as connection:
            used = {row[0] for row in connection.execute(sa.select(k.run_key).where(
                k.origin_id == origin_id, k.run_key.in_(keys)))}
            new = [key for key in keys if key not in used]
            if new:
                now = time.time()
                connection.execute(s.instigator_run_keys.insert(), [
                    {"origin_id": origin_id, "run_key": key, "timestamp": now} for key in new])
        return new

    # --- daemons, backfills, kvs ---------------------------------------------------------
    def add_daemon_heartbeat(self, heartbeat: DaemonHeartbeat) -> None:
        h = s.daemon_heartbeats.c
        values = {"daemon_id": heartbeat.daemon_id, "timestamp": heartbeat.timestamp,
                  "body": json.dumps(dict(heartbeat.body))}
        with self._write() as connection:
            updated = connection.execute(s.daemon_heartbeats.update()
                                         .where(h.daemon_type == heartbeat.daemon_type).values(values))
            if updated.rowcount == 0:
                connection.execute(s.daemon_heartbeats.insert().values(
                    daemon_type=heartbeat.daemon_type, **values))

    def get_daemon_heartbeats(self) -> dict[str, DaemonHeartbeat]:
        with self._read() as connection:
            return {r.daemon_type: DaemonHeartbeat(r.daemon_type, r.daemon_id, r.timestamp,
                                                   json.loads(r.body))
                    for r in connection.execute(sa.select(s.daemon_heartbeats))}

    def add_backfill(self, backfill: BackfillRecord) -> None:
        try:
            with self._write() as connection:
                connection.execute(s.backfills.insert().values(
                    backfill_id=backfill.backfill_id, **_backfill_values(backfill)))
        except sa.exc.IntegrityError:
            raise KeyError(f"backfill {backfill.backfill_id!r} already exists: use update_backfill") from None

    def update_backfill(self, backfill: BackfillRecord) -> None:
        b = s.backfills.c
        with self._write() as connection:
            updated = connection.execute(s.backfills.update().where(
                b.backfill_id == backfill.backfill_id).values(_backfill_values(backfill)))
        if updated.rowcount == 0:
            raise KeyError(f"backfill {backfill.backfill_id!r} is not stored: use add_backfill")

    def get_backfill(self, backfill_id: str) -> BackfillRecord | None:
        found = self._backfills(s.backfills.c.backfill_id == backfill_id, None)
        return found[0] if found else None

    def get_backfills(self, status: str | None = None, limit: int | None = None,
                      cursor: str | None = None) -> list[BackfillRecord]:
        b = s.backfills.c
        conditions = [b.status == status] if status is not None else []
        if cursor is not None:
            conditions.append(b.id < sa.select(b.id).where(b.backfill_id == cursor).scalar_subquery())
        return self._backfills(sa.and_(sa.true(), *conditions), limit)

    def _backfills(self, condition: Any, limit: int | None) -> list[BackfillRecord]:
        b = s.backfills.c
        query = sa.select(s.backfills).where(condition).order_by(b.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._read() as connection:
            return [BackfillRecord(r.backfill_id, r.status, r.timestamp, json.loads(r.body))
                    for r in connection.execute(query)]

    def get_kvs(self, keys: Iterable[str]) -> dict[str, str]:
        wanted = list(keys)
        with self._read() as connection:
            return {r.key: r.value for r in connection.execute(
                sa.select(s.kvs).where(s.kvs.c.key.in_(wanted)))}

    def set_kvs(self, pairs: Mapping[str, str]) -> None:
        with self._write() as connection:
            for key, value in pairs.items():
                updated = connection.execute(s.kvs.update().where(s.kvs.c.key == key)
                                             .values(value=value))
                if updated.rowcount == 0:
                    connection.execute(s.kvs.insert().values(key=key, value=value))


    def swap_kv(self, key: str, expected: str | None, value: str | None) -> bool:
        k = s.kvs.c
        try:
            with self._write() as connection:
                if expected is None:
                    if value is None:
                        return connection.execute(
                            sa.select(k.key).where(k.key == key)).first() is None
                    connection.execute(s.kvs.insert().values(key=key, value=value))
                    return True
                match = s.kvs.c.key == key, s.kvs.c.value == expected
                statement = (s.kvs.delete().where(*match) if value is None
                             else s.kvs.update().where(*match).values(value=value))
                return int(connection.execute(statement).rowcount) == 1
        except sa.exc.IntegrityError:  # another writer inserted the key first
            return False

def _tick_values(tick: TickRecord) -> dict[str, Any]:
    return {"origin_id": tick.origin_id, "name": tick.name,
            "instigator_type": tick.instigator_type, "status": tick.status,
            "timestamp": tick.timestamp, "end_timestamp": tick.end_timestamp,
            "body": json.dumps(dict(tick.body))}


def _backfill_values(backfill: BackfillRecord) -> dict[str, Any]:
    return {"status": backfill.status, "timestamp": backfill.timestamp,
            "body": json.dumps(dict(backfill.body))}
