"""What declarative automation reads from an instance, gathered once per evaluation tick.

`AutomationState` answers, per asset or check: which partitions exist (materialized, or
observed for an observable source), which are part of an in-progress run, which failed in
their latest run, and which were updated after a storage id. Reads are batched (one query for
the latest materializations, one for the runs in progress, one for recent finished runs, one
for the events since the previous tick) or lazy per key and cached (the materialized partitions
of a partitioned asset, read only when a condition asks). Partition `None` stands for an
unpartitioned target, or for a run over every partition (a range run).
Imports `definitions` (keys, tags) and this layer's storage types.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from headwater.definitions.key import AssetCheckKey, AssetKey
from headwater.definitions.tags import PARTITION_TAG, RUN_CHECK_SELECTION_TAG
from headwater.execution.event import HeadwaterEventType
from headwater.storage.base import EventQuery
from headwater.storage.record import FINISHED_STATUSES, HeadwaterRunStatus, RunsFilter

_IN_PROGRESS = (HeadwaterRunStatus.QUEUED, HeadwaterRunStatus.NOT_STARTED,
                HeadwaterRunStatus.STARTING, HeadwaterRunStatus.STARTED,
                HeadwaterRunStatus.CANCELING)
_UPDATES = frozenset({HeadwaterEventType.ASSET_MATERIALIZATION,
                      HeadwaterEventType.ASSET_OBSERVATION,
                      HeadwaterEventType.ASSET_CHECK_EVALUATION})
RECENT_RUNS = 1000  # finished runs read to find each target's latest outcome


class AutomationState:
    """One snapshot of the instance, for one evaluation of automation conditions."""

    def __init__(self, instance: Any, asset_keys: Iterable[AssetKey],
                 check_keys: Iterable[AssetCheckKey] = ()):
        self._instance = instance
        storage = instance.storage
        self._latest = storage.get_latest_materialization_records(list(asset_keys))
        newest = storage.get_event_records(EventQuery(), limit=1, ascending=False)
        self.max_storage_id: int | None = newest[0].storage_id if newest else None
        self._partitions: dict[AssetKey, frozenset[Any]] = {}
        self._observed: dict[AssetKey, bool] = {}
        self._updates: dict[int, dict[Any, set[Any]]] = {}
        self._in_progress: dict[Any, set[Any]] = {}
        for record in instance.get_run_records(RunsFilter(statuses=list(_IN_PROGRESS))):
            for target in _targets(record.headwater_run):
                self._in_progress.setdefault(target, set()).add(record.headwater_run.tags.get(PARTITION_TAG))
        self._failed: dict[Any, set[Any]] = {}
        seen: set[tuple[Any, Any]] = set()
        for record in instance.get_run_records(RunsFilter(statuses=list(FINISHED_STATUSES)),
                                               limit=RECENT_RUNS):
            run = record.headwater_run
            partition = run.tags.get(PARTITION_TAG)
            for target in _targets(run):
                if (target, partition) in seen:
                    continue
                seen.add((target, partition))
                if run.status is HeadwaterRunStatus.FAILURE and not self._materialized_by(target, run.run_id):
                    self._failed.setdefault(target, set()).add(partition)
        checks = list(check_keys)
        self._checks = instance.get_latest_asset_check_execution_by_key(checks) if checks else {}

    def _materialized_by(self, target: Any, run_id: str) -> bool:
        latest = self._latest.get(target)
        return latest is not None and latest.run_id == run_id

    # --- what conditions ask ------------------------------------------------------------
    def present(self, target: Any, partitioned: bool, executable: bool = True) -> frozenset[Any]:
        """Partitions that exist: materialized (observed, for a source asset; evaluated, for a
        check). An external asset headwater cannot compute counts as present."""
        if isinstance(target, AssetCheckKey):
            record = self._checks.get(target)
            done = record is not None and record.status.value in ("SUCCEEDED", "FAILED")
            return frozenset({None}) if done else frozenset()
        if not executable:
            return frozenset({None})  # read as "every partition" for a partitioned one
        if not partitioned:
            if target in self._latest:
                return frozenset({None})
            return frozenset({None}) if self._was_observed(target) else frozenset()
        found = self._partitions.get(target)
        if found is None:
            found = frozenset(self._instance.storage.get_materialized_partitions(target))
            self._partitions[target] = found
        return found

    def _was_observed(self, key: AssetKey) -> bool:
        found = self._observed.get(key)
        if found is None:
            found = bool(self._instance.fetch_observations(key, limit=1).records)
            self._observed[key] = found
        return found

    def check_passed(self, check: AssetCheckKey) -> bool | None:
        """Whether the check's latest evaluation passed; None if it has none."""
        record = self._checks.get(check)
        if record is None or record.status.value not in ("SUCCEEDED", "FAILED"):
            return None
        return record.status.value == "SUCCEEDED"

    def in_progress(self, target: Any) -> frozenset[Any]:
        if isinstance(target, AssetCheckKey):
            record = self._checks.get(target)
            return frozenset({None}) if record is not None and \
                record.status.value == "IN_PROGRESS" else frozenset()
        return frozenset(self._in_progress.get(target, ()))

    def failed(self, target: Any) -> frozenset[Any]:
        if isinstance(target, AssetCheckKey):
            record = self._checks.get(target)
            return frozenset({None}) if record is not None and \
                record.status.value == "EXECUTION_FAILED" else frozenset()
        return frozenset(self._failed.get(target, ()))

    def updated_since(self, target: Any, storage_id: int) -> frozenset[Any]:
        updates = self._updates.get(storage_id)
        if updates is None:
            updates = {}
            for record in self._instance.storage.get_event_records(
                    EventQuery(event_types=_UPDATES, after_id=storage_id)):
                event = record.event_log_entry.headwater_event
                if event is None or event.asset_key is None:
                    continue
                key: Any = event.asset_key
                if event.event_type is HeadwaterEventType.ASSET_CHECK_EVALUATION:
                    key = AssetCheckKey(event.asset_key, event.payload.check_name)
                updates.setdefault(key, set()).add(event.partition)
            self._updates[storage_id] = updates
        return frozenset(updates.get(target, ()))


def _targets(run: Any) -> Iterable[Any]:
    yield from run.asset_selection or ()
    raw = run.tags.get(RUN_CHECK_SELECTION_TAG)
    if raw:
        yield from (AssetCheckKey.from_db_string(k) for k in json.loads(raw))
