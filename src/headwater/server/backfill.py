"""The backfill routes: request a backfill of asset (or job) partitions, list backfills with
their progress, one backfill with the status of each partition and its runs, cancel one.

The daemon launches a backfill's runs (daemon/backfill.py); these routes only read its record
and its runs. Progress is computed from the backfill's runs, fetched with one query (one for
a whole page of the list), so a backfill of thousands of partitions answers fast.
Imports `code`, `daemon`, `definitions`, `storage` and this package.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from headwater.code.location import CodeLocationOrigin
from headwater.daemon import backfill as daemon_backfill
from headwater.definitions.tags import BACKFILL_ID_TAG, PARTITION_TAG, SENSOR_NAME_TAG
from headwater.server import launch
from headwater.server.assets.routes import find_asset
from headwater.server.state import ApiError, ServerState, check_limit, page, state_of
from headwater.storage.record import RunsFilter
from headwater.storage.state import BackfillRecord

router = APIRouter(prefix="/api", tags=["backfills"])


class BackfillRequest(BaseModel):
    keys: list[str] | None = Field(None, description='Asset keys as "a/b" strings.')
    job_name: str | None = Field(None, description="A partitioned job, instead of keys.")
    partition_keys: list[str] = Field(min_length=1)
    tags: dict[str, str] = Field(default_factory=dict, description="Tags of every run it launches.")


@router.post("/backfills", summary="Request a backfill of asset (or job) partitions")
def create_backfill(request: Request, body: BackfillRequest) -> dict[str, Any]:
    state = state_of(request)
    launch.check_tags(body.tags)
    if (body.job_name is None) == (not body.keys):
        raise ApiError(400, "Say what to backfill: asset keys (keys) or a partitioned job "
                            "(job_name), one of the two.")
    if body.job_name is not None:
        found = state.workspace.index.jobs.get(body.job_name)
        if found is None:
            raise ApiError(404, f"No job {body.job_name!r} in any loaded code location; GET "
                                "/api/jobs lists the jobs.")
        backfill_id = launch.request_backfill(state, found[0], body.partition_keys,
                                              job_name=body.job_name, tags=body.tags)
        return {"backfill_id": backfill_id}
    locations = set()
    for key in body.keys or ():
        location, asset = find_asset(state, key)
        if asset.get("partitions") is None:
            raise ApiError(400, f"Asset {key!r} is not partitioned: materialize it instead of "
                                "backfilling it.")
        locations.add(location)
    if len(locations) > 1:
        raise ApiError(400, f"The assets are in several code locations ({sorted(locations)}): "
                            "backfill each location's assets in its own request.")
    return {"backfill_id": launch.request_backfill(state, locations.pop(), body.partition_keys,
                                                   asset_keys=body.keys, tags=body.tags)}


@router.get("/backfills", summary="Backfills, newest first, with their progress")
def list_backfills(request: Request, limit: int | None = None, cursor: str | None = None,
                   status: str | None = Query(None, description="Only backfills in this "
                                              "status (REQUESTED, CANCELING, CANCELED, "
                                              "COMPLETED_SUCCESS, COMPLETED_FAILED).")) -> Any:
    state = state_of(request)
    limit = check_limit(limit)
    if status is not None and status.upper() not in daemon_backfill.STATUSES:
        raise ApiError(400, f"status={status!r} is not a backfill status: pass one of "
                            f"{', '.join(daemon_backfill.STATUSES)}.")
    found = state.instance.storage.get_backfills(status=status.upper() if status else None,
                                                 limit=limit + 1, cursor=cursor)
    shown = found[:limit]
    runs = _runs_of(state, [b.backfill_id for b in shown])
    items = []
    for record in shown:
        progress = daemon_backfill.partition_progress(record, runs.get(record.backfill_id, []))
        items.append({**_summary(state, record, progress),
                      "partition_keys": list(record.body.get("partition_keys") or []),
                      "run_ids": dict(record.body.get("run_ids") or {})})
    return JSONResponse(page(items, len(found) > limit, items[-1]["backfill_id"] if items
                             else None))


@router.get("/backfills/{backfill_id}", summary="One backfill: each partition's status and runs")
def get_backfill(request: Request, backfill_id: str) -> Any:
    state = state_of(request)
    record = _record(state, backfill_id)
    runs = daemon_backfill.backfill_runs(state.instance, backfill_id)
    progress = daemon_backfill.partition_progress(record, runs)
    # Encoded directly: a backfill of thousands of partitions is a long list of small dicts.
    return JSONResponse({
        **_summary(state, record, progress),
        "partitions_type": _partitions_type(state, record),
        "partitions": [{"key": key, "status": status, "run_ids": run_ids}
                       for key, (status, run_ids) in progress.items()],
        "runs": [{"run_id": r.run_id, "status": r.status.value,
                  "partition_key": r.tags.get(PARTITION_TAG)} for r in runs],
    })


@router.post("/backfills/{backfill_id}/cancel", summary="Cancel a backfill that has not finished")
def cancel_backfill(request: Request, backfill_id: str) -> dict[str, Any]:
    state = state_of(request)
    record = _record(state, backfill_id)
    if record.status in daemon_backfill.FINISHED:
        raise ApiError(409, f"Backfill {backfill_id} already finished ({record.status}): "
                            "there is nothing to cancel. Request a new backfill to run its "
                            "partitions again.")
    record = daemon_backfill.cancel_backfill(state.instance, backfill_id)
    return {"backfill_id": backfill_id, "status": record.status}


def _record(state: ServerState, backfill_id: str) -> BackfillRecord:
    record: BackfillRecord | None = state.instance.storage.get_backfill(backfill_id)
    if record is None:
        raise ApiError(404, f"No backfill {backfill_id!r}; GET /api/backfills lists the "
                            "backfills.")
    return record


def _runs_of(state: ServerState, backfill_ids: Sequence[str]) -> dict[str, list[Any]]:
    """The runs of several backfills, newest first, with one query."""
    if not backfill_ids:
        return {}
    out: dict[str, list[Any]] = {}
    for run in state.instance.get_runs(RunsFilter(tags={BACKFILL_ID_TAG: list(backfill_ids)})):
        out.setdefault(run.tags.get(BACKFILL_ID_TAG), []).append(run)
    return out


def _summary(state: ServerState, record: BackfillRecord,
             progress: dict[str, tuple[str, list[str]]]) -> dict[str, Any]:
    body = record.body
    counts = dict.fromkeys(daemon_backfill.PARTITION_STATUSES, 0)
    for status, _ in progress.values():
        counts[status] += 1
    tags = dict(body.get("tags") or {})
    return {"backfill_id": record.backfill_id, "status": record.status,
            "timestamp": record.timestamp, "end_timestamp": body.get("end_timestamp"),
            "job_name": body.get("job_name"),
            "asset_selection": list(body.get("asset_selection") or []),
            "location": _location(body.get("origin")),
            "requested_by": _requested_by(body, tags),
            "single_run": bool(body.get("single_run")),
            "num_partitions": len(progress), "counts": counts, "tags": tags}


def _location(origin: str | None) -> str | None:
    try:
        return CodeLocationOrigin(**json.loads(origin or "")).name
    except (ValueError, TypeError):
        return None


def _requested_by(body: Mapping[str, Any], tags: Mapping[str, str]) -> str | None:
    if tags.get(SENSOR_NAME_TAG):
        return f"sensor {tags[SENSOR_NAME_TAG]}"
    by = body.get("requested_by")
    return str(by) if by else None


def _partitions_type(state: ServerState, record: BackfillRecord) -> str | None:
    """The kind of the partitions (e.g. DailyPartitionsDefinition), for the UI's date axis."""
    index = state.workspace.index
    job_name = record.body.get("job_name")
    if job_name:
        found = index.jobs.get(job_name)
    else:
        keys = record.body.get("asset_selection") or []
        found = index.assets.get(keys[0]) if keys else None
    partitions = (found[1].get("partitions") if found is not None else None) or {}
    kind = partitions.get("type")
    return str(kind) if kind else None
