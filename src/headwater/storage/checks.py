"""Executions of asset checks as the storage keeps them, derived from the event log.

One execution is one check evaluated (or meant to be) for one partition (or none) in one
run. Its life follows the events:

- ASSET_CHECK_EVALUATION_PLANNED opens an IN_PROGRESS execution for (run, check, partition);
  a second PLANNED event for the same triple while it is open is ignored.
- ASSET_CHECK_EVALUATION closes the run's open execution of that check and partition as
  SUCCEEDED or FAILED; an evaluation with nothing open (runless ones, run id "", or one no
  run planned) becomes a new execution, already closed.
- The run's end closes what it left open: SKIPPED after RUN_SUCCESS or RUN_CANCELED,
  EXECUTION_FAILED after RUN_FAILURE.

An execution's id is the storage id of the event that opened it, so replaying the same
events (`reindex`) gives the same rows, ids included, and newer executions have larger
ids: history is newest first by id, and its cursor is an id. Wiping an asset (or some of its
partitions) forgets its executions; deleting a run forgets that run's.

This module holds what every storage shares: the record types the instance returns, the
checking of the instance's arguments, and `CheckExecutions`, the in-memory storage's index
(the SQL storage keeps the same rows in a table, storage/sql_checks.py). Imports
`headwater.definitions`, `headwater.execution.event` and this package's `record`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from headwater.definitions.checks.result import AssetCheckEvaluation
from headwater.definitions.checks.spec import AssetCheckSeverity
from headwater.definitions.key import AssetCheckKey, AssetKey, to_check_key
from headwater.errors import HeadwaterError, HeadwaterInvalidInvocationError
from headwater.execution.event import HeadwaterEvent, HeadwaterEventType
from headwater.storage.record import EventLogEntry, asset_partition_of, entry_for_event

_ET = HeadwaterEventType


class AssetCheckExecutionRecordStatus(str, Enum):
    """Where one execution of a check is: running, its outcome, or why it has none."""

    IN_PROGRESS = "IN_PROGRESS"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"  # the run ended (succeeded or was canceled) without evaluating it
    EXECUTION_FAILED = "EXECUTION_FAILED"  # the run failed before evaluating it


_Status = AssetCheckExecutionRecordStatus
PLANNED = _ET.ASSET_CHECK_EVALUATION_PLANNED
EVALUATION = _ET.ASSET_CHECK_EVALUATION
# What a run's end makes of the executions it left IN_PROGRESS.
STATUS_AT_RUN_END: dict[HeadwaterEventType, AssetCheckExecutionRecordStatus] = {
    _ET.RUN_SUCCESS: _Status.SKIPPED,
    _ET.RUN_CANCELED: _Status.SKIPPED,
    _ET.RUN_FAILURE: _Status.EXECUTION_FAILED,
}
# Every event type that moves check executions.
CHECK_EVENT_TYPES = frozenset({PLANNED, EVALUATION, *STATUS_AT_RUN_END})


@dataclass(frozen=True, slots=True)
class AssetCheckExecutionRecord:
    """One execution of a check: which check, partition and run, its status, and the
    evaluation event once there is one (None while in progress, when the run ended without
    evaluating it, or after `prune` removed the event)."""

    id: int
    key: AssetCheckKey
    partition: str | None
    run_id: str
    status: AssetCheckExecutionRecordStatus
    event: EventLogEntry | None
    create_timestamp: float
    update_timestamp: float

    @property
    def evaluation(self) -> AssetCheckEvaluation | None:
        """The recorded outcome (passed, severity, metadata, ...), None until evaluated."""
        event = self.event.headwater_event if self.event is not None else None
        if event is None or event.event_type is not EVALUATION:
            return None
        payload: AssetCheckEvaluation = event.payload
        return payload

    @property
    def severity(self) -> AssetCheckSeverity | None:
        """The evaluation's severity, for SUCCEEDED and FAILED executions only."""
        if self.status not in (_Status.SUCCEEDED, _Status.FAILED):
            return None
        evaluation = self.evaluation
        return evaluation.severity if evaluation is not None else None


def check_key_of(event: HeadwaterEvent) -> AssetCheckKey:
    """The check a PLANNED or EVALUATION event is about (its payload names it)."""
    payload = event.payload
    return AssetCheckKey(payload.asset_key, payload.check_name)


def evaluation_status(event: HeadwaterEvent) -> AssetCheckExecutionRecordStatus:
    return _Status.SUCCEEDED if event.payload.passed else _Status.FAILED


# --- the instance's arguments -------------------------------------------------------------


def to_check_key_argument(value: Any, method: str, argument: str = "check_key") -> AssetCheckKey:
    """An AssetCheckKey from what a caller passed, or an error naming the argument and the fix."""
    if isinstance(value, AssetCheckKey):
        return value
    if isinstance(value, str) or isinstance(getattr(value, "key", None), AssetCheckKey):
        try:
            return to_check_key(value)
        except HeadwaterError:
            pass
    raise HeadwaterInvalidInvocationError(
        f"{method}({argument}={value!r}): {argument} must name an asset check; pass "
        "AssetCheckKey(AssetKey(...), 'check_name'), an AssetCheckSpec, or a string "
        "'asset/path:check_name'."
    )


def to_check_keys_argument(values: Any, method: str) -> list[AssetCheckKey]:
    """A list of distinct check keys; one key (or one string) given alone is refused, because
    an AssetCheckKey is a tuple and would be read as its two parts."""
    if isinstance(values, (AssetCheckKey, str)) or not isinstance(values, Iterable):
        raise HeadwaterInvalidInvocationError(
            f"{method}(check_keys={values!r}): check_keys takes a list of asset check keys; "
            f"for one check pass [{values!r}]."
        )
    return list(dict.fromkeys(to_check_key_argument(v, method, "check_keys") for v in values))


def to_statuses_argument(status: Any, method: str) -> frozenset[AssetCheckExecutionRecordStatus] | None:
    """None (any status), or the set of statuses from one status or an iterable of them."""
    if status is None:
        return None
    values = [status] if isinstance(status, (str, AssetCheckExecutionRecordStatus)) else status
    try:
        return frozenset(AssetCheckExecutionRecordStatus(v) for v in values)
    except (ValueError, TypeError):
        raise HeadwaterInvalidInvocationError(
            f"{method}(status={status!r}): status takes an AssetCheckExecutionRecordStatus or a "
            f"set of them, one of {[s.value for s in AssetCheckExecutionRecordStatus]}."
        ) from None


def to_limit_argument(limit: Any, method: str) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise HeadwaterInvalidInvocationError(
            f"{method}(limit={limit!r}): limit is how many executions to return, a whole "
            "number >= 0, e.g. limit=10."
        )
    return limit


def to_cursor_argument(cursor: Any, method: str) -> int | None:
    """The id to continue before (history is newest first): a record's `id`, int or str."""
    if cursor is None:
        return None
    try:
        return int(cursor)
    except (TypeError, ValueError):
        raise HeadwaterInvalidInvocationError(
            f"{method}(cursor={cursor!r}): cursor is the id of the last record of the previous "
            "page (str(records[-1].id)), or None to start from the newest."
        ) from None


# --- the in-memory storage's index ----------------------------------------------------------


class _Row:
    """A mutable execution row of the in-memory index."""

    __slots__ = ("id", "key", "partition", "run_id", "status", "event_id", "create_timestamp",
                 "update_timestamp")

    def __init__(self, storage_id: int, key: AssetCheckKey, partition: str | None, run_id: str,
                 status: AssetCheckExecutionRecordStatus, event_id: int | None, timestamp: float):
        self.id = storage_id
        self.key = key
        self.partition = partition
        self.run_id = run_id
        self.status = status
        self.event_id = event_id
        self.create_timestamp = timestamp
        self.update_timestamp = timestamp


_Open = tuple[str, AssetCheckKey, "str | None"]  # (run id, check, partition)


class CheckExecutions:
    """Check executions of the in-memory storage, moved by `apply(storage_id, event)` in id
    order. Rows are kept per check in id order, so "latest" is a backward walk of one list."""

    def __init__(self) -> None:
        self._rows: dict[int, _Row] = {}
        self._by_key: dict[AssetCheckKey, list[int]] = {}
        self._open: dict[_Open, int] = {}
        self._open_by_run: dict[str, set[_Open]] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def clear(self) -> None:
        self._rows.clear()
        self._by_key.clear()
        self._open.clear()
        self._open_by_run.clear()

    def apply(self, storage_id: int, event: HeadwaterEvent) -> None:
        """Move the executions for one stored event (of a type in CHECK_EVENT_TYPES)."""
        event_type = event.event_type
        if event_type is PLANNED:
            self._plan(storage_id, event)
        elif event_type is EVALUATION:
            self._evaluate(storage_id, event)
        else:
            self._end_run(event.run_id, STATUS_AT_RUN_END[event_type], event.timestamp)

    def _plan(self, storage_id: int, event: HeadwaterEvent) -> None:
        opened = (event.run_id, check_key_of(event), asset_partition_of(event))
        if opened in self._open:
            return
        self._add(_Row(storage_id, opened[1], opened[2], event.run_id, _Status.IN_PROGRESS, None,
                       event.timestamp))
        self._open[opened] = storage_id
        self._open_by_run.setdefault(event.run_id, set()).add(opened)

    def _evaluate(self, storage_id: int, event: HeadwaterEvent) -> None:
        key, partition = check_key_of(event), asset_partition_of(event)
        opened = (event.run_id, key, partition)
        row_id = self._open.pop(opened, None)
        if row_id is None:
            self._add(_Row(storage_id, key, partition, event.run_id, evaluation_status(event),
                           storage_id, event.timestamp))
            return
        self._open_by_run[event.run_id].discard(opened)
        row = self._rows[row_id]
        row.status, row.event_id, row.update_timestamp = (evaluation_status(event), storage_id,
                                                          event.timestamp)

    def _end_run(self, run_id: str, status: AssetCheckExecutionRecordStatus,
                 timestamp: float) -> None:
        for opened in self._open_by_run.pop(run_id, ()):
            row = self._rows[self._open.pop(opened)]
            row.status, row.update_timestamp = status, timestamp

    def _add(self, row: _Row) -> None:
        self._rows[row.id] = row
        ids = self._by_key.setdefault(row.key, [])
        if ids and ids[-1] > row.id:  # only when replaying out of order; keep the list sorted
            ids.append(row.id)
            ids.sort()
        else:
            ids.append(row.id)

    def forget(self, keep: Callable[[_Row], bool]) -> None:
        """Drop every row `keep` rejects (a deleted run's, a wiped asset's)."""
        doomed = [row for row in self._rows.values() if not keep(row)]
        for row in doomed:
            del self._rows[row.id]
            self._by_key[row.key].remove(row.id)
            opened = (row.run_id, row.key, row.partition)
            if self._open.get(opened) == row.id:
                del self._open[opened]
                self._open_by_run[row.run_id].discard(opened)

    def forget_run(self, run_id: str) -> None:
        self.forget(lambda row: row.run_id != run_id)

    def forget_assets(self, asset_keys: Iterable[AssetKey],
                      partitions: Sequence[str] | None = None) -> None:
        keys, wiped = set(asset_keys), set(partitions or ())
        self.forget(lambda row: row.key.asset_key not in keys
                    or (partitions is not None and row.partition not in wiped))

    def latest_event_ids(self) -> set[int]:
        """The evaluation event of each check's latest evaluated execution per partition."""
        latest: dict[tuple[AssetCheckKey, str | None], int] = {}
        for row in self._rows.values():
            if row.event_id is not None:
                slot = (row.key, row.partition)
                latest[slot] = max(latest.get(slot, 0), row.event_id)
        return set(latest.values())

    def history(self, key: AssetCheckKey, limit: int, before_id: int | None,
                partition: str | None,
                statuses: frozenset[AssetCheckExecutionRecordStatus] | None,
                lookup: Callable[[int], HeadwaterEvent | None]) -> list[AssetCheckExecutionRecord]:
        found: list[AssetCheckExecutionRecord] = []
        for row_id in reversed(self._by_key.get(key, ())):
            if len(found) >= limit:
                break
            row = self._rows[row_id]
            if ((before_id is None or row_id < before_id)
                    and (partition is None or row.partition == partition)
                    and (statuses is None or row.status in statuses)):
                found.append(_record(row, lookup))
        return found

    def latest(self, keys: Iterable[AssetCheckKey], partition: str | None,
               lookup: Callable[[int], HeadwaterEvent | None]
               ) -> dict[AssetCheckKey, AssetCheckExecutionRecord]:
        latest: dict[AssetCheckKey, AssetCheckExecutionRecord] = {}
        for key in keys:
            for row_id in reversed(self._by_key.get(key, ())):
                row = self._rows[row_id]
                if partition is None or row.partition == partition:
                    latest[key] = _record(row, lookup)
                    break
        return latest


def _record(row: _Row, lookup: Callable[[int], HeadwaterEvent | None]) -> AssetCheckExecutionRecord:
    event = lookup(row.event_id) if row.event_id is not None else None
    return AssetCheckExecutionRecord(
        id=row.id, key=row.key, partition=row.partition, run_id=row.run_id, status=row.status,
        event=entry_for_event(event) if event is not None else None,
        create_timestamp=row.create_timestamp, update_timestamp=row.update_timestamp,
    )
