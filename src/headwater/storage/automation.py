"""Automation condition evaluations kept by the instance: for each tick of an automation sensor
(its `evaluation_id` is the tick's id) and each key it evaluated, the condition's result tree,
how many partitions (or 1/0 for an unpartitioned asset or a check) it requested, and the runs
and backfills launched for them.

`AutomationConditionEvaluationRecord` is the stored row; `InMemoryAutomationEvaluations` is the
in-memory implementation the memory storage mixes in (the SQL one is storage/sql_automation.py).
Storing a tick's evaluations is idempotent per (evaluation id, key): a daemon restarted mid-tick
stores them again without doubling them. Imports `headwater.definitions.key`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from headwater.definitions.key import AssetCheckKey, AssetKey
from headwater.errors import HeadwaterInvalidInvocationError


@dataclass(frozen=True, slots=True)
class AutomationConditionEvaluationRecord:
    """What one tick's condition evaluation decided for one asset ("a/b") or check
    ("a/b:check"); `id` is 0 until stored."""

    evaluation_id: int
    origin_id: str
    key: str
    timestamp: float
    num_requested: int
    result: Mapping[str, Any]
    run_ids: tuple[str, ...] = ()
    backfill_ids: tuple[str, ...] = ()
    id: int = 0

    @property
    def is_check(self) -> bool:
        return ":" in self.key


@dataclass(frozen=True, slots=True)
class Launched:
    """The runs and backfills a tick launched for one key."""

    run_ids: tuple[str, ...] = ()
    backfill_ids: tuple[str, ...] = ()


def automation_key_string(key: Any) -> str:
    """The stored form of an evaluated key: "a/b" for an asset, "a/b:check" for a check."""
    if isinstance(key, (AssetKey, AssetCheckKey)):
        return key.to_user_string()
    if isinstance(key, str) and key:
        return key
    if isinstance(key, (list, tuple)) and key:
        return AssetKey(list(key)).to_user_string()
    raise HeadwaterInvalidInvocationError(
        f"{key!r} is not an asset or check key: pass an AssetKey, an AssetCheckKey, or its "
        'string form ("a/b" or "a/b:check").')


class InMemoryAutomationEvaluations:
    """The automation-evaluation half of the memory storage."""

    def _init_automation(self) -> None:
        self._automation_lock = threading.Lock()
        self._evaluations: dict[tuple[int, str], AutomationConditionEvaluationRecord] = {}
        self._next_evaluation_row = 1

    def add_automation_evaluations(
            self, records: Sequence[AutomationConditionEvaluationRecord]) -> None:
        with self._automation_lock:
            for record in records:
                slot = (record.evaluation_id, record.key)
                if slot not in self._evaluations:
                    self._evaluations[slot] = replace(record, id=self._next_evaluation_row)
                    self._next_evaluation_row += 1

    def set_automation_launches(self, evaluation_id: int,
                                launched: Mapping[str, Launched]) -> None:
        with self._automation_lock:
            for key, what in launched.items():
                slot = (evaluation_id, key)
                if slot in self._evaluations:
                    self._evaluations[slot] = replace(
                        self._evaluations[slot], run_ids=tuple(what.run_ids),
                        backfill_ids=tuple(what.backfill_ids))

    def get_automation_evaluations(
            self, key: str, limit: int, before_evaluation_id: int | None = None,
    ) -> list[AutomationConditionEvaluationRecord]:
        found = [r for (evaluation_id, k), r in self._evaluations.items() if k == key
                 and (before_evaluation_id is None or evaluation_id < before_evaluation_id)]
        found.sort(key=lambda r: r.evaluation_id, reverse=True)
        return found[:limit]

    def get_automation_evaluations_for_evaluation_id(
            self, evaluation_id: int) -> list[AutomationConditionEvaluationRecord]:
        return sorted((r for (e, _), r in self._evaluations.items() if e == evaluation_id),
                      key=lambda r: r.key)

    def delete_automation_evaluations(self, evaluation_id: int) -> int:
        with self._automation_lock:
            doomed = [slot for slot in self._evaluations if slot[0] == evaluation_id]
            for slot in doomed:
                del self._evaluations[slot]
        return len(doomed)

    def _wipe_automation(self) -> None:
        self._init_automation()
