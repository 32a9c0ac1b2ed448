"""Scheduling state kept by the instance: schedules' and sensors' state and cursors, their ticks
and used run keys, daemon heartbeats, backfills, and a small key-value store.

The records are plain frozen dataclasses with a JSON-able `body` for whatever the scheduler
needs to keep; `InMemoryState` is the in-memory implementation the memory storage mixes in
(the SQL one is in storage/sql_state.py). Imports nothing of headwater.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class InstigatorState:
    """A schedule's or sensor's stored state: running or stopped, and its cursor."""

    origin_id: str
    name: str
    instigator_type: str  # "SCHEDULE" | "SENSOR"
    status: str  # "RUNNING" | "STOPPED" | ...
    cursor: str | None = None
    body: Mapping[str, Any] = field(default_factory=dict)
    update_timestamp: float = 0.0


@dataclass(frozen=True, slots=True)
class TickRecord:
    """One evaluation of a schedule or sensor; `tick_id` is 0 until it is stored."""

    origin_id: str
    name: str
    instigator_type: str
    status: str  # "STARTED" | "SUCCESS" | "SKIPPED" | "FAILURE"
    timestamp: float
    end_timestamp: float | None = None
    body: Mapping[str, Any] = field(default_factory=dict)
    tick_id: int = 0


@dataclass(frozen=True, slots=True)
class BackfillRecord:
    """A backfill and its progress (what to launch is in `body`)."""

    backfill_id: str
    status: str
    timestamp: float
    body: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DaemonHeartbeat:
    """The last sign of life of one daemon."""

    daemon_type: str
    daemon_id: str
    timestamp: float
    body: Mapping[str, Any] = field(default_factory=dict)


class InMemoryState:
    """The scheduling-state half of the memory storage."""

    def _init_state(self) -> None:
        self._state_lock = threading.Lock()
        self._instigators: dict[str, InstigatorState] = {}
        self._ticks: dict[int, TickRecord] = {}
        self._run_keys: set[tuple[str, str]] = set()
        self._heartbeats: dict[str, DaemonHeartbeat] = {}
        self._backfills: dict[str, BackfillRecord] = {}
        self._kvs: dict[str, str] = {}

    # --- instigators --------------------------------------------------------------------
    def set_instigator_state(self, state: InstigatorState) -> InstigatorState:
        state = replace(state, update_timestamp=time.time())
        self._instigators[state.origin_id] = state
        return state

    def get_instigator_state(self, origin_id: str) -> InstigatorState | None:
        return self._instigators.get(origin_id)

    def all_instigator_state(self, instigator_type: str | None = None) -> list[InstigatorState]:
        return [s for s in self._instigators.values()
                if instigator_type is None or s.instigator_type == instigator_type]

    def delete_instigator_state(self, origin_id: str) -> None:
        self._instigators.pop(origin_id, None)

    # --- ticks and run keys -------------------------------------------------------------
    def create_tick(self, tick: TickRecord) -> TickRecord:
        with self._state_lock:
            tick = replace(tick, tick_id=max(self._ticks, default=0) + 1)
            self._ticks[tick.tick_id] = tick
        return tick

    def update_tick(self, tick: TickRecord) -> TickRecord:
        if tick.tick_id not in self._ticks:
            raise KeyError(f"tick {tick.tick_id} is not stored: create it with create_tick first")
        self._ticks[tick.tick_id] = tick
        return tick

    def get_ticks(self, origin_id: str, before: float | None = None, after: float | None = None,
                  limit: int | None = None, statuses: Sequence[str] | None = None) -> list[TickRecord]:
        ticks = [t for t in self._ticks.values() if t.origin_id == origin_id
                 and (before is None or t.timestamp < before)
                 and (after is None or t.timestamp > after)
                 and (statuses is None or t.status in statuses)]
        ticks.sort(key=lambda t: (t.timestamp, t.tick_id), reverse=True)
        return ticks[:limit] if limit is not None else ticks

    def purge_ticks(self, origin_id: str, before: float, statuses: Sequence[str] | None = None,
                    limit: int | None = None) -> int:
        with self._state_lock:
            doomed = sorted((t.timestamp, i) for i, t in self._ticks.items()
                            if t.origin_id == origin_id and t.timestamp < before
                            and (statuses is None or t.status in statuses))
            ids = [i for _, i in doomed[:limit]]
            for tick_id in ids:
                del self._ticks[tick_id]
        self._ticks_purged(ids)
        return len(ids)

    def _ticks_purged(self, tick_ids: Sequence[int]) -> None:
        """What else goes with purged ticks (the memory storage drops their evaluations)."""

    def claim_run_keys(self, origin_id: str, run_keys: Iterable[str]) -> list[str]:
        claimed = []
        with self._state_lock:
            for key in dict.fromkeys(run_keys):
                if (origin_id, key) not in self._run_keys:
                    self._run_keys.add((origin_id, key))
                    claimed.append(key)
        return claimed

    # --- daemons, backfills, kvs ---------------------------------------------------------
    def add_daemon_heartbeat(self, heartbeat: DaemonHeartbeat) -> None:
        self._heartbeats[heartbeat.daemon_type] = heartbeat

    def get_daemon_heartbeats(self) -> dict[str, DaemonHeartbeat]:
        return dict(self._heartbeats)

    def add_backfill(self, backfill: BackfillRecord) -> None:
        if backfill.backfill_id in self._backfills:
            raise KeyError(f"backfill {backfill.backfill_id!r} already exists: use update_backfill")
        self._backfills[backfill.backfill_id] = backfill

    def update_backfill(self, backfill: BackfillRecord) -> None:
        if backfill.backfill_id not in self._backfills:
            raise KeyError(f"backfill {backfill.backfill_id!r} is not stored: use add_backfill")
        self._backfills[backfill.backfill_id] = backfill

    def get_backfill(self, backfill_id: str) -> BackfillRecord | None:
        return self._backfills.get(backfill_id)

    def get_backfills(self, status: str | None = None, limit: int | None = None,
                      cursor: str | None = None) -> list[BackfillRecord]:
        found = [b for b in reversed(self._backfills.values()) if status is None or b.status == status]
        if cursor is not None:
            ids = [b.backfill_id for b in found]
            found = found[ids.index(cursor) + 1:] if cursor in ids else []
        return found[:limit] if limit is not None else found

    def get_kvs(self, keys: Iterable[str]) -> dict[str, str]:
        return {k: self._kvs[k] for k in keys if k in self._kvs}

    def set_kvs(self, pairs: Mapping[str, str]) -> None:
        self._kvs.update(pairs)

    def swap_kv(self, key: str, expected: str | None, value: str | None) -> bool:
        with self._state_lock:
            if self._kvs.get(key) != expected:
                return False
            if value is None:
                self._kvs.pop(key, None)
            else:
                self._kvs[key] = value
            return True

    def _wipe_state(self) -> None:
        self._init_state()
