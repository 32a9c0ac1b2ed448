"""Every asset's status, kept up to date from the event log: what the asset list, the graph
(`GET /api/assets`), the catalog and an asset's page show without recomputing 10,000 assets.

An asset's status comes from storage: in_progress (a queued or running run targets it) >
failed (one of the 500 latest failed runs targeted it, ended after its latest
materialization and did not materialize it) > stale (definitions/assets/staleness.py: its code
version changed, a parent has a new data version or is missing, or a parent is stale) >
materialized > never. With it go its staleness, its latest materialization, the health of its
partitions and the summary of its checks.

`AssetStatuses` holds all of that for one workspace index (it lives in the index's memo, so a
reloaded code location starts afresh). It is built once, in full (`build`), and then brought
up to date by reading only what was added since, by storage id: the events of the types that
move a status (materializations, observations, planned materializations, check evaluations,
run status changes) and the runs created since. It then recomputes the assets these touch and,
for new data, their descendants (a parent's new data version can make a child stale, and a
stale parent its children). What the event log cannot tell, a deleted run, a wiped asset or a
wiped instance, makes the next look a full rebuild. One thread updates at a time; readers get
an immutable `View`.

The view keeps each asset's graph item serialized, so that the full list every graph load asks
for is a join of byte strings. Imports `code`, `definitions`, `execution`, `storage` and this
package.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from headwater.code.check_result import bucket, count
from headwater.definitions.assets.staleness import StalenessResolver, parents_first
from headwater.definitions.key import AssetCheckKey, AssetKey
from headwater.execution.event import HeadwaterEventType
from headwater.server.assets.staleness import resolver_for
from headwater.server.state import ServerState, query_with_dynamic
from headwater.storage.base import EventQuery
from headwater.storage.checks import check_key_of
from headwater.storage.instance import WIPE_GENERATION_KEY
from headwater.storage.record import (
    FINISHED_STATUSES,
    STATUS_BY_EVENT,
    HeadwaterRunStatus,
    RunRecord,
    RunsFilter,
)

_ET = HeadwaterEventType
_log = logging.getLogger(__name__)
ACTIVE = frozenset({HeadwaterRunStatus.QUEUED, HeadwaterRunStatus.STARTING,
                    HeadwaterRunStatus.STARTED, HeadwaterRunStatus.CANCELING})
RECENT_FAILURES = 500
_COUNTS_TTL = 30.0
_DATA = frozenset({_ET.ASSET_MATERIALIZATION, _ET.ASSET_OBSERVATION})
_CHECKS = frozenset({_ET.ASSET_CHECK_EVALUATION, _ET.ASSET_CHECK_EVALUATION_PLANNED})
_PLANNED = frozenset({_ET.ASSET_MATERIALIZATION_PLANNED, _ET.ASSET_CHECK_EVALUATION_PLANNED})
# The event types that can move a status; every other event (logs, steps) is skipped.
WATCHED = frozenset({*_DATA, *_CHECKS, _ET.ASSET_MATERIALIZATION_PLANNED, *STATUS_BY_EVENT})
_ENDED = frozenset(t for t, s in STATUS_BY_EVENT.items() if s in FINISHED_STATUSES)


@dataclass(frozen=True)
class View:
    """One consistent state of every asset, for readers (never mutated)."""

    statuses: dict[str, dict[str, Any]]  # key -> status, stale_status, stale_causes, latest
    rows: list[dict[str, Any]]  # the catalog's rows, sorted by key
    facets: dict[str, dict[str, int]]  # the catalog's filter counts
    summaries: dict[str, dict[str, int]]  # key -> check summary (assets with checks)
    items: dict[str, bytes]  # key -> its /api/assets item, serialized, in index order
    _bodies: dict[str, bytes] = field(default_factory=dict)

    def assets_body(self, keys: Iterable[str] | None = None) -> bytes:
        """The `/api/assets` response body: every asset, or these."""
        if keys is not None:
            return _envelope(self.items[k] for k in keys)
        if "plain" not in self._bodies:  # joined on first use: a view serves many loads
            self._bodies["plain"] = _envelope(self.items.values())
        return self._bodies["plain"]

    def assets_body_gzip(self) -> bytes:
        """The body of every asset, gzipped once per view: 10,000 assets are ~3 MB of JSON
        and ~120 kB compressed, which the browser receives and inflates much faster."""
        if "gzip" not in self._bodies:
            # Level 1: nearly the size of level 6 on this repetitive JSON, in a fraction of
            # the time.
            packer = zlib.compressobj(1, zlib.DEFLATED, 31)
            self._bodies["gzip"] = packer.compress(self.assets_body()) + packer.flush()
        return self._bodies["gzip"]


def _envelope(items: Iterable[bytes]) -> bytes:
    return b'{"items":[' + b",".join(items) + b'],"cursor":null,"has_more":false}'


# As Starlette's JSONResponse encodes; one encoder for all (json.dumps makes one per call).
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _dumps(value: Any) -> bytes:
    return _ENCODER.encode(value).encode("utf-8")


@dataclass(frozen=True)
class _Failure:
    storage_id: int
    run_id: str
    ended: float
    keys: tuple[str, ...]


def _failure(record: RunRecord) -> _Failure:
    run = record.headwater_run
    return _Failure(record.storage_id, run.run_id,
                    record.end_time or record.update_timestamp.timestamp(),
                    tuple(k.to_user_string() for k in run.asset_selection or ()))


class AssetStatuses:
    """The statuses of one workspace index's assets, and what they are computed from."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.view: View | None = None
        self.stamp: tuple[Any, ...] | None = None
        self.full_builds = 0  # how often `current` had to rebuild everything
        self.build_seconds = 0.0  # how long the latest full build took
        self._latest: dict[str, Any] = {}  # key -> latest materialization record
        self._active: dict[str, frozenset[str]] = {}  # run id -> keys, runs in progress
        self._failures: list[_Failure] = []  # newest first, at most RECENT_FAILURES
        self._failed_by_key: dict[str, list[_Failure]] = {}
        self._checks: dict[str, str] = {}  # check key -> bucket of its latest execution
        self._counts: dict[str, int] = {}  # partitioned asset -> number of partitions
        self._health: dict[str, dict[str, Any]] = {}  # partitioned asset -> its health
        self._resolver: StalenessResolver | None = None
        self._status_counts: Counter[str] = Counter()

    # --- reading ---------------------------------------------------------------------------
    def current(self, state: ServerState) -> View:
        """The view as of now: updated from what was added since, or rebuilt."""
        with self.lock:
            stamp = _stamp(state)
            if self.view is not None and stamp == self.stamp:
                return self.view
            try:
                if self.view is None or not self._update(state, stamp):
                    self.build(state, stamp)
            except BaseException:
                self.view = None  # half updated: the next look rebuilds
                raise
            self.stamp = stamp
            assert self.view is not None
            return self.view

    # --- a full build ------------------------------------------------------------------------
    def build(self, state: ServerState, stamp: tuple[Any, ...] | None = None) -> View:
        """Compute every asset's status from scratch (what the incremental updates must
        equal)."""
        started = time.perf_counter()
        stamp = stamp or _stamp(state)
        instance, index = state.instance, state.workspace.index
        self.full_builds += 1
        self._latest = {k.to_user_string(): r for k, r in
                        instance.storage.get_latest_materialization_records().items()}
        self._resolver = resolver = resolver_for(state)
        for key, record in self._latest.items():
            self._prime(key, record)
        for key, asset_key in order(state):
            if key not in self._latest:  # never materialized: nothing to ask storage
                resolver.prime(asset_key, None, None)
        self._active = {r.headwater_run.run_id: _keys(r) for r in instance.get_run_records(
            RunsFilter(statuses=list(ACTIVE)))}
        self._set_failures([_failure(r) for r in instance.get_run_records(
            RunsFilter(statuses=[HeadwaterRunStatus.FAILURE]), limit=RECENT_FAILURES)])
        found = instance.get_latest_asset_check_execution_by_key(
            [AssetCheckKey.from_user_string(k) for k in index.checks]) if index.checks else {}
        self._checks = {k: "not_run" for k in index.checks}
        self._checks.update({k.to_user_string(): bucket(r) for k, r in found.items()})
        self._counts = partition_counts(state)
        self._health = {key: _partition_health(state, key, asset["partitions"]["type"],
                                               self._counts.get(key))
                        for key, (_, asset) in index.assets.items()
                        if asset.get("partitions") is not None}
        statuses = {key: self._status(key, asset_key) for key, asset_key in order(state)}
        summaries = self._summaries(state, index.checks)
        rows = {key: _row(location, asset, statuses[key], self._health.get(key),
                          summaries.get(key)) for key, (location, asset) in index.assets.items()}
        stale_locations = {n for n in state.workspace.names if location_stale(state, n)}
        items = {key: _dumps(_item(key, location, asset, statuses[key], self._counts,
                                   summaries.get(key), location in stale_locations))
                 for key, (location, asset) in index.assets.items()}
        ordered = [rows[k] for k in sorted(rows)]
        memo = index.memo
        if "catalog_static_facets" not in memo:
            memo["catalog_static_facets"] = _static_facets(ordered)
            memo["catalog_row_position"] = {row["key"]: i for i, row in enumerate(ordered)}
        self._status_counts = Counter(row["status"] for row in ordered)
        self.view = View(statuses, ordered, self._facets(memo), summaries, items)
        self.stamp = stamp
        self.build_seconds = time.perf_counter() - started
        return self.view

    def _prime(self, key: str, record: Any) -> None:
        assert self._resolver is not None
        asset_key = AssetKey.from_user_string(key)
        self._resolver.prime(asset_key, record.partition_key, record)
        if record.partition_key is not None:
            self._resolver.prime(asset_key, None, record)

    def _set_failures(self, failures: list[_Failure]) -> None:
        self._failures = failures
        self._failed_by_key = {}
        for failure in failures:
            for key in failure.keys:
                self._failed_by_key.setdefault(key, []).append(failure)

    def _summaries(self, state: ServerState, checks: Iterable[str]) -> dict[str, dict[str, int]]:
        results: dict[str, list[str]] = {}
        index_checks = state.workspace.index.checks
        for key in checks:
            results.setdefault(index_checks[key][1]["asset_key"], []).append(self._checks[key])
        return {asset: count(found) for asset, found in results.items()}

    def _status(self, key: str, asset_key: AssetKey) -> dict[str, Any]:
        assert self._resolver is not None
        record = self._latest.get(key)
        partition = record.partition_key if record is not None else None
        causes = self._resolver.causes(asset_key, partition) if record is not None else []
        stale = self._resolver.status(asset_key, partition)
        if any(key in keys for keys in self._active.values()):
            status = "in_progress"
        elif any(record is None or (record.timestamp < f.ended and record.run_id != f.run_id)
                 for f in self._failed_by_key.get(key, ())):
            status = "failed"
        elif record is None:
            status = "never"
        elif causes:
            status = "stale"
        else:
            status = "materialized"
        return {"status": status, "stale_status": stale.value,
                "stale_causes": [c.to_json() for c in causes],
                "latest": None if record is None else {
                    "run_id": record.run_id, "timestamp": record.timestamp,
                    "partition": record.partition_key}}

    # --- an update ---------------------------------------------------------------------------
    def _update(self, state: ServerState, stamp: tuple[Any, ...]) -> bool:
        """Bring the view up to `stamp` from the events and runs added since; False when
        that cannot be done (something was deleted or wiped): rebuild instead."""
        assert self.stamp is not None and self.view is not None
        old_event, old_run, old_count, old_wipes = self.stamp
        new_event, new_run, new_count, wipes = stamp
        if wipes != old_wipes or (old_event or 0) > (new_event or 0) or new_count < old_count:
            return False
        instance, index = state.instance, state.workspace.index
        new_runs: list[RunRecord] = []
        if new_count > old_count or new_run != old_run:
            found = instance.get_run_records(limit=new_count - old_count + 1)
            new_runs = found[:new_count - old_count]
            rest = found[new_count - old_count:]
            # The run that was newest must follow exactly the new ones, else runs were
            # deleted too.
            if (rest[0].headwater_run.run_id if rest else None) != old_run:
                return False
        records = [] if new_event == old_event else instance.storage.get_event_records(
            EventQuery(event_types=WATCHED, after_id=old_event, before_id=new_event + 1))
        data, touched, checks, changed_runs = self._scan(instance, records)
        changed_runs |= {r.headwater_run.run_id for r in new_runs}
        touched |= self._apply_runs(instance, changed_runs, new_runs)
        touched |= self._apply_checks(state, checks)
        counts = partition_counts(state)
        touched |= {k for k in set(counts) | set(self._counts)
                    if counts.get(k) != self._counts.get(k)}
        self._counts = counts
        affected = self._forget(state, data)
        for key in touched | data:
            defined = index.assets.get(key)
            if defined is not None and defined[1].get("partitions") is not None:
                self._health[key] = _partition_health(
                    state, key, defined[1]["partitions"]["type"], counts.get(key))
        self._publish(state, (affected | touched) & index.assets.keys())
        return True

    def _scan(self, instance: Any, records: list[Any]
              ) -> tuple[set[str], set[str], set[str], set[str]]:
        """What new events move: (assets with new data, assets whose status or partitions
        may have moved, checks with new executions, runs whose status changed). Moves the
        latest materializations."""
        data: set[str] = set()
        touched: set[str] = set()
        checks: set[str] = set()
        changed_runs: set[str] = set()
        ended: set[str] = set()
        for record in records:
            kind, event = record.event_type, record.event_log_entry.headwater_event
            if kind in _DATA and record.asset_key is not None:
                key = record.asset_key.to_user_string()
                data.add(key)
                if kind is _ET.ASSET_MATERIALIZATION:
                    self._latest[key] = record
            elif kind is _ET.ASSET_MATERIALIZATION_PLANNED and record.asset_key is not None:
                touched.add(record.asset_key.to_user_string())
            elif kind in _CHECKS and event is not None:
                checks.add(check_key_of(event).to_user_string())
            elif kind in STATUS_BY_EVENT:
                changed_runs.add(record.run_id)
                if kind in _ENDED:
                    ended.add(record.run_id)
        # A run's end closes its planned check executions and its partitions in progress,
        # planned perhaps in events read by an earlier update.
        for run_id in sorted(ended):
            for planned in instance.storage.get_event_records(
                    EventQuery(run_id=run_id, event_types=_PLANNED)):
                event = planned.event_log_entry.headwater_event
                if planned.event_type is _ET.ASSET_CHECK_EVALUATION_PLANNED and event:
                    checks.add(check_key_of(event).to_user_string())
                elif planned.asset_key is not None:
                    touched.add(planned.asset_key.to_user_string())
        return data, touched, checks, changed_runs

    def _apply_runs(self, instance: Any, changed: set[str],
                    new_runs: list[RunRecord]) -> set[str]:
        """Move the runs in progress and the recent failures; the keys whose runs moved."""
        if not changed:
            return set()
        found = {r.headwater_run.run_id: r for r in new_runs}
        missing = sorted(changed - found.keys())
        if missing:
            found.update((r.headwater_run.run_id, r) for r in instance.get_run_records(
                RunsFilter(run_ids=missing)))
        touched: set[str] = set()
        failures = list(self._failures)
        for run_id, record in found.items():
            keys = _keys(record)
            touched |= keys | self._active.pop(run_id, frozenset())
            if record.headwater_run.status in ACTIVE:
                self._active[run_id] = keys
            if (record.headwater_run.status is HeadwaterRunStatus.FAILURE
                    and all(f.run_id != run_id for f in failures)):
                failures.append(_failure(record))
        failures.sort(key=lambda f: f.storage_id, reverse=True)
        for dropped in failures[RECENT_FAILURES:]:
            touched.update(dropped.keys)
        self._set_failures(failures[:RECENT_FAILURES])
        return touched

    def _apply_checks(self, state: ServerState, checks: set[str]) -> set[str]:
        """Re-read these checks' latest executions; the keys of the assets they check."""
        index_checks = state.workspace.index.checks
        wanted = sorted(k for k in checks if k in index_checks)
        if not wanted:
            return set()
        found = state.instance.get_latest_asset_check_execution_by_key(
            [AssetCheckKey.from_user_string(k) for k in wanted])
        by_key = {k.to_user_string(): r for k, r in found.items()}
        for key in wanted:
            self._checks[key] = bucket(by_key.get(key))
        return {index_checks[k][1]["asset_key"] for k in wanted}

    def _forget(self, state: ServerState, data: set[str]) -> set[str]:
        """Forget what staleness knew of the assets with new data and of their descendants
        (which it may change); these assets."""
        assert self._resolver is not None
        children = state.workspace.index.children
        affected, stack = set(data), list(data)
        while stack:
            for child in children.get(stack.pop(), ()):
                if child not in affected:
                    affected.add(child)
                    stack.append(child)
        self._resolver.forget({AssetKey.from_user_string(k) for k in affected},
                              records_of={AssetKey.from_user_string(k) for k in data})
        for key in data:
            record = self._latest.get(key)
            if record is not None:
                self._prime(key, record)
        return affected

    def _publish(self, state: ServerState, keys: set[str]) -> None:
        """A new view where the rows of `keys` are recomputed (parents first)."""
        assert self.view is not None
        index = state.workspace.index
        if "parents_first_position" not in index.memo:
            index.memo["parents_first_position"] = {k: i for i, (k, _) in
                                                    enumerate(order(state))}
        position: dict[str, int] = index.memo["parents_first_position"]
        statuses = dict(self.view.statuses)
        for key in sorted(keys, key=position.__getitem__):
            statuses[key] = self._status(key, AssetKey.from_user_string(key))
        summaries = self._summaries(state, index.checks)
        stale_locations = {n for n in state.workspace.names if location_stale(state, n)}
        items = dict(self.view.items)
        rows = list(self.view.rows)
        where: dict[str, int] = index.memo["catalog_row_position"]
        for key in keys:
            location, asset = index.assets[key]
            row = _row(location, asset, statuses[key], self._health.get(key), summaries.get(key))
            self._status_counts[rows[where[key]]["status"]] -= 1
            self._status_counts[row["status"]] += 1
            rows[where[key]] = row
            items[key] = _dumps(_item(key, location, asset, statuses[key], self._counts,
                                      summaries.get(key), location in stale_locations))
        self.view = View(statuses, rows, self._facets(index.memo), summaries, items)

    def _facets(self, memo: dict[str, Any]) -> dict[str, dict[str, int]]:
        """The catalog's facets: those of the definitions, and the statuses' counts."""
        counts = sorted((s, n) for s, n in self._status_counts.items() if n > 0)
        return {**memo["catalog_static_facets"], "status": dict(counts)}


def statuses_of(state: ServerState) -> View:
    """The current view of the workspace's assets (kept with its index)."""
    memo = state.workspace.index.memo
    kept: AssetStatuses = memo.get("asset_statuses") or memo.setdefault(
        "asset_statuses", AssetStatuses())
    return kept.current(state)


def _keys(record: RunRecord) -> frozenset[str]:
    return frozenset(k.to_user_string() for k in record.headwater_run.asset_selection or ())


def _stamp(state: ServerState) -> tuple[Any, ...]:
    """What the statuses depend on besides the definitions, in four indexed queries: the
    newest event, the newest run, the number of runs (a deleted run), the wipes (a wipe
    removes events: the instance bumps a key then)."""
    instance = state.instance
    newest_event = instance.storage.get_event_records(EventQuery(), limit=1, ascending=False)
    newest_run = instance.get_run_records(limit=1)
    wipes = instance.storage.get_kvs([WIPE_GENERATION_KEY]).get(WIPE_GENERATION_KEY)
    return (newest_event[0].storage_id if newest_event else None,
            newest_run[0].headwater_run.run_id if newest_run else None,
            instance.get_runs_count(), wipes)


def order(state: ServerState) -> list[tuple[str, AssetKey]]:
    """Asset keys (as text and as keys) with parents first, so that each staleness is computed
    once; the order depends on the definitions only, so it is kept with the workspace index."""
    index = state.workspace.index
    if "parents_first" not in index.memo:
        graph = resolver_for(state).graph
        index.memo["parents_first"] = [(k.to_user_string(), k) for k in parents_first(
            graph, [AssetKey.from_user_string(k) for k in index.assets])]
    found: list[tuple[str, AssetKey]] = index.memo["parents_first"]
    return found


def location_stale(state: ServerState, location: str) -> bool:
    entry = state.workspace.entry(location)
    return bool(entry is not None and entry.stale)


_counts_cache: dict[tuple[int, str, str], tuple[float, dict[str, int]]] = {}
_partitioned: dict[str, bool] = {}  # snapshot id -> whether any of its assets is partitioned


def _has_partitions(snapshot: dict[str, Any]) -> bool:
    found = _partitioned.get(snapshot["snapshot_id"])
    if found is None:
        found = _partitioned[snapshot["snapshot_id"]] = any(
            a.get("partitions") for a in snapshot["assets"])
    return found


def partition_counts(state: ServerState) -> dict[str, int]:
    """{partitioned asset: number of partitions}, asked of the code servers at most every
    30 s (dynamic partitions change their counts)."""
    counts: dict[str, int] = {}
    for location in state.workspace.names:
        snapshot = state.workspace.snapshot(location)
        if snapshot is None or not _has_partitions(snapshot):
            continue
        if location_stale(state, location):  # its code does not load: counts are unknown
            continue
        cache_key = (id(state), location, snapshot["snapshot_id"])
        cached = _counts_cache.get(cache_key)
        if cached is None or time.monotonic() - cached[0] > _COUNTS_TTL:
            reply = query_with_dynamic(state, location, "partition_counts", {})
            cached = (time.monotonic(), dict(reply["counts"]))
            _counts_cache[cache_key] = cached
        counts.update(cached[1])
    return counts


def _partition_health(state: ServerState, key: str, kind: str,
                      count: int | None) -> dict[str, Any]:
    found = Counter(s.value for s in state.instance.storage.get_partition_statuses(
        AssetKey.from_user_string(key)).values())
    materialized, failed = found["MATERIALIZED"], found["FAILED"]
    in_progress = found["IN_PROGRESS"]
    missing = None if count is None else max(count - materialized - failed - in_progress, 0)
    return {"kind": kind, "count": count, "materialized": materialized, "failed": failed,
            "in_progress": in_progress, "missing": missing}


def _row(location: str, asset: dict[str, Any], status: dict[str, Any],
         health: dict[str, Any] | None, summary: dict[str, int] | None) -> dict[str, Any]:
    """The catalog's row of an asset."""
    return {
        "key": asset["key_string"], "group": asset["group"], "kinds": asset["kinds"],
        "owners": asset["owners"], "tags": asset.get("tags") or {},
        "description": asset["description"], "is_executable": asset["is_executable"],
        "location": location, "status": status["status"],
        "stale_status": status["stale_status"], "latest": status["latest"],
        "partitions": health, "check_summary": summary,
    }


def _item(key: str, location: str, asset: dict[str, Any], status: dict[str, Any],
          counts: dict[str, int], summary: dict[str, int] | None,
          stale_location: bool) -> dict[str, Any]:
    """The graph's item of an asset (`GET /api/assets`)."""
    partitions = asset.get("partitions")
    return {
        "key": key, "group": asset["group"], "kinds": asset["kinds"], "owners": asset["owners"],
        "deps": asset["deps"], "description": asset["description"],
        "is_executable": asset["is_executable"],
        "partitions": None if partitions is None else {
            "kind": partitions["type"], "count": counts.get(key)},
        **status,
        "check_summary": summary, "location": location, "location_stale": stale_location,
    }


FACETS = ("group", "kind", "owner", "tag", "location")


def _static_facets(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """The catalog's facets that depend on the definitions only."""
    facets: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    for row in rows:
        facets["group"][row["group"] or "default"] += 1
        facets["kind"].update(row["kinds"])
        facets["owner"].update(row["owners"])
        facets["tag"].update(f"{k}={v}" for k, v in row["tags"].items())
        facets["location"][row["location"]] += 1
    return {name: dict(sorted(c.items())) for name, c in facets.items()}


def warm(state: ServerState) -> threading.Thread:
    """Build the statuses in a background thread (at startup, after a reload), so that the
    first request finds them built, or waits for this build rather than starting its own."""
    def build() -> None:
        try:
            statuses_of(state)
        except Exception:  # the next request rebuilds, and reports the error itself
            _log.warning("Building the asset statuses in the background failed",
                         exc_info=True)

    thread = threading.Thread(target=build, name="headwater-asset-statuses", daemon=True)
    thread.start()
    return thread
