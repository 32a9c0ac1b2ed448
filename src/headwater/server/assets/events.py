"""An asset's events for the asset page's Events tab: its materializations, observations and
failures, newest first, each with the status and job of its run, one page at a time.

A failure is a run that targeted the asset and ended FAILURE or CANCELED without materializing
it (for a partitioned run: that partition); its time is the run's end and its error the first
failed step's. Materializations and observations are event rows. The cursor is
`timestamp:id` of the last item of the page (the next page holds what sorts before it, by time
then storage id; a failure's id is -1), because failures are runs, not rows of the event log. Failures are looked for among the asset's latest
`_FAILED_RUNS` failed or canceled runs.
Imports `execution` (event types), `storage` and this package.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Query, Request

from headwater.execution.event import HeadwaterEventType as _ET
from headwater.server.state import ApiError, ServerState, check_limit, parse_asset_key, state_of
from headwater.server.wire import error_json, typed_metadata
from headwater.storage.base import EventQuery
from headwater.storage.record import EventLogRecord, HeadwaterRunStatus, RunRecord, RunsFilter

router = APIRouter(prefix="/api", tags=["assets"])

_TYPES = ("materialization", "observation", "failure")
_EVENT_TYPES = {"materialization": _ET.ASSET_MATERIALIZATION,
                "observation": _ET.ASSET_OBSERVATION}
_FAILED_RUNS = 1000
_TIES = 8


def _kinds(types: str | None) -> set[str]:
    if not types:
        return set(_TYPES)
    wanted = {t.strip() for t in types.split(",") if t.strip()}
    unknown = wanted - set(_TYPES)
    if unknown:
        raise ApiError(400, f"Unknown event type(s) {sorted(unknown)}: pass types= as a comma "
                            f"list of {', '.join(_TYPES)}.")
    return wanted


def _position(cursor: str | None) -> tuple[float, int] | None:
    """The (timestamp, id) a page's cursor stands for: the next page sorts before it."""
    if not cursor:
        return None
    try:
        stamp, _, storage_id = cursor.partition(":")
        return float(stamp), int(storage_id) if storage_id else -1
    except ValueError:
        raise ApiError(400, f"cursor={cursor!r} is not a cursor of this list: pass the "
                            "`cursor` of the previous page.") from None


@router.get("/assets/{key:path}/events",
            summary="An asset's materializations, observations and failures, newest first")
def asset_events(request: Request, key: str, limit: int | None = None,
                 cursor: str | None = None, partition: str | None = None,
                 types: str | None = Query(None, description="materialization,observation,"
                                                             "failure (all by default)"),
                 ) -> dict[str, Any]:
    state = state_of(request)
    asset_key = parse_asset_key(key)
    if (state.workspace.index.assets.get(key) is None
            and not state.instance.fetch_materializations(asset_key, limit=1).records
            and not state.instance.fetch_observations(asset_key, limit=1).records):
        # history stays reachable by key when no loaded location defines the asset any more
        raise ApiError(404, f"No asset {key!r} in any loaded code location and no stored "
                            "events for it; GET /api/assets lists the asset keys.")
    limit = check_limit(limit)
    kinds = _kinds(types)
    position = _position(cursor)
    # Events at the cursor's very timestamp are read too, then those not before it dropped.
    before = math.nextafter(position[0], math.inf) if position is not None else None
    candidates: list[tuple[float, int, Any]] = []
    event_types = frozenset(_EVENT_TYPES[k] for k in kinds if k in _EVENT_TYPES)
    if event_types:
        query = EventQuery(event_types=event_types, asset_key=asset_key, before_timestamp=before,
                           partitions=frozenset([partition]) if partition is not None else None)
        # One more than a page, plus room for the events at the cursor's own timestamp.
        wanted = limit + 1 + (_TIES if position is not None else 0)
        for record in state.instance.storage.get_event_records(query, wanted, ascending=False):
            candidates.append((record.timestamp, record.storage_id, record))
    if "failure" in kinds:
        for run in _failed_runs(state, asset_key, partition, before):
            candidates.append((_ended(run), -1, run))
    if position is not None:
        candidates = [c for c in candidates if (c[0], c[1]) < position]
    candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)
    has_more = len(candidates) > limit
    candidates = candidates[:limit]
    runs = _runs_of(state, [c[2] for c in candidates if isinstance(c[2], EventLogRecord)])
    items = []
    for _, _, found in candidates:
        if isinstance(found, EventLogRecord):
            items.append(_event_item(found, runs.get(found.run_id)))
        elif not _materialized_in_run(state, asset_key, found):
            items.append(_failure_item(state, found))
    return {"items": items, "has_more": has_more,
            "cursor": f"{candidates[-1][0]!r}:{candidates[-1][1]}" if candidates else None}


def _ended(run: RunRecord) -> float:
    return run.end_time or run.update_timestamp.timestamp()


def _failed_runs(state: ServerState, asset_key: Any, partition: str | None,
                 before: float | None) -> list[RunRecord]:
    records = state.instance.get_run_records(
        RunsFilter(asset_keys=[asset_key],
                   statuses=[HeadwaterRunStatus.FAILURE, HeadwaterRunStatus.CANCELED]),
        limit=_FAILED_RUNS)
    return [r for r in records
            if (before is None or _ended(r) < before)
            and (partition is None or r.headwater_run.partition_key == partition)]


def _runs_of(state: ServerState, records: list[EventLogRecord]) -> dict[str, RunRecord]:
    run_ids = sorted({r.run_id for r in records if r.run_id})
    if not run_ids:
        return {}
    return {r.headwater_run.run_id: r
            for r in state.instance.get_run_records(RunsFilter(run_ids=run_ids))}


def _run_fields(run: RunRecord | None) -> dict[str, Any]:
    return {"run_status": run.headwater_run.status.value if run is not None else None,
            "job_name": run.headwater_run.job_name if run is not None else None}


def _event_item(record: EventLogRecord, run: RunRecord | None) -> dict[str, Any]:
    event = record.event_log_entry.headwater_event
    is_mat = event is not None and event.event_type is _ET.ASSET_MATERIALIZATION
    inner = (record.asset_materialization if is_mat
             else getattr(getattr(event, "payload", None), "asset_observation", None))
    return {"id": record.storage_id, "type": "materialization" if is_mat else "observation",
            "run_id": record.run_id, "timestamp": record.timestamp,
            "partition": record.partition_key,
            "description": getattr(inner, "description", None),
            "metadata": typed_metadata(getattr(inner, "metadata", None)), "error": None,
            **_run_fields(run)}


def _failure_item(state: ServerState, run: RunRecord) -> dict[str, Any]:
    return {"id": None, "type": "failure", "run_id": run.headwater_run.run_id,
            "timestamp": _ended(run), "partition": run.headwater_run.partition_key,
            "description": None, "metadata": {}, "error": _step_error(state, run),
            **_run_fields(run)}


def _materialized_in_run(state: ServerState, asset_key: Any, run: RunRecord) -> bool:
    partition = run.headwater_run.partition_key
    query = EventQuery(run_id=run.headwater_run.run_id, asset_key=asset_key,
                       event_types=frozenset({_ET.ASSET_MATERIALIZATION}),
                       partitions=frozenset([partition]) if partition is not None else None)
    return bool(state.instance.storage.get_event_records(query, 1))


def _step_error(state: ServerState, run: RunRecord) -> dict[str, Any] | None:
    """The error of the run's first failed step (of the run itself when no step failed)."""
    query = EventQuery(run_id=run.headwater_run.run_id,
                       event_types=frozenset({_ET.STEP_FAILURE, _ET.RUN_FAILURE}))
    for record in state.instance.storage.get_event_records(query, 10, ascending=True):
        entry = record.event_log_entry
        error = getattr(getattr(entry.headwater_event, "payload", None), "error", None)
        if error is not None:
            return error_json(error)
        if entry.error_info is not None:
            return error_json(entry.error_info)
    return None
