"""The automation-evaluation half of the SQL storage: rows of `automation_condition_evaluations`
(records in storage/automation.py).

A mixin of `SqlStorage`, which provides `_read()` and `_write()` connections. Storing a tick's
evaluations skips the keys already stored for that tick (one SELECT on the unique
(evaluation_id, key) index, then one multi-row INSERT), so a daemon that stores them again
after a restart adds nothing. A key's history is a backward range scan of (key, evaluation_id).
Imports SQLAlchemy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa

from headwater.storage import schema as s
from headwater.storage.automation import AutomationConditionEvaluationRecord, Launched

_T = s.automation_condition_evaluations


class SqlAutomationEvaluations:
    """Automation condition evaluations in one SQL table."""

    def _read(self) -> AbstractContextManager[sa.Connection]:
        raise NotImplementedError

    def _write(self) -> AbstractContextManager[sa.Connection]:
        raise NotImplementedError

    def add_automation_evaluations(
            self, records: Sequence[AutomationConditionEvaluationRecord]) -> None:
        if not records:
            return
        c = _T.c
        by_tick: dict[int, list[AutomationConditionEvaluationRecord]] = {}
        for record in records:
            by_tick.setdefault(record.evaluation_id, []).append(record)
        with self._write() as connection:
            for evaluation_id, group in by_tick.items():
                stored = {row[0] for row in connection.execute(
                    sa.select(c.key).where(c.evaluation_id == evaluation_id))}
                rows = []
                for record in group:
                    if record.key not in stored:
                        stored.add(record.key)
                        rows.append(_values(record))
                if rows:
                    connection.execute(_T.insert(), rows)

    def set_automation_launches(self, evaluation_id: int,
                                launched: Mapping[str, Launched]) -> None:
        if not launched:
            return
        c = _T.c
        statement = _T.update().where(c.evaluation_id == evaluation_id,
                                      c.key == sa.bindparam("k"))
        with self._write() as connection:
            connection.execute(statement, [
                {"k": key, "run_ids": json.dumps(list(what.run_ids)),
                 "backfill_ids": json.dumps(list(what.backfill_ids))}
                for key, what in launched.items()])

    def get_automation_evaluations(
            self, key: str, limit: int, before_evaluation_id: int | None = None,
    ) -> list[AutomationConditionEvaluationRecord]:
        c = _T.c
        query = sa.select(_T).where(c.key == key)
        if before_evaluation_id is not None:
            query = query.where(c.evaluation_id < before_evaluation_id)
        query = query.order_by(c.evaluation_id.desc()).limit(limit)
        with self._read() as connection:
            return [_record(row) for row in connection.execute(query).mappings()]

    def get_automation_evaluations_for_evaluation_id(
            self, evaluation_id: int) -> list[AutomationConditionEvaluationRecord]:
        c = _T.c
        query = sa.select(_T).where(c.evaluation_id == evaluation_id).order_by(c.key)
        with self._read() as connection:
            return [_record(row) for row in connection.execute(query).mappings()]

    def delete_automation_evaluations(self, evaluation_id: int) -> int:
        with self._write() as connection:
            return int(connection.execute(
                _T.delete().where(_T.c.evaluation_id == evaluation_id)).rowcount)


def _values(record: AutomationConditionEvaluationRecord) -> dict[str, Any]:
    return {"evaluation_id": record.evaluation_id, "origin_id": record.origin_id,
            "key": record.key, "timestamp": record.timestamp,
            "num_requested": record.num_requested, "run_ids": json.dumps(list(record.run_ids)),
            "backfill_ids": json.dumps(list(record.backfill_ids)),
            "body": json.dumps(dict(record.result))}


def _record(row: Any) -> AutomationConditionEvaluationRecord:
    return AutomationConditionEvaluationRecord(
        evaluation_id=row["evaluation_id"], origin_id=row["origin_id"], key=row["key"],
        timestamp=row["timestamp"], num_requested=row["num_requested"],
        result=json.loads(row["body"]), run_ids=tuple(json.loads(row["run_ids"])),
        backfill_ids=tuple(json.loads(row["backfill_ids"])), id=row["id"])
