"""The run routes: list and filter runs, one run with its step stats, its event log (paged
and live over Server-Sent Events), cancel, re-execute, delete (with its compute logs); and the stream of run status
changes.

The SSE streams poll storage (it is the only thing every process shares): a run's stream
sends each stored event once, in order, as `event: event` with the storage id as SSE id (so
a reconnecting EventSource resumes with Last-Event-ID), then one `event: status` with the run
once it has finished and its events are all sent. Imports `storage` and this package.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import time
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from headwater.definitions.tags import BACKFILL_ID_TAG
from headwater.execution.event import HeadwaterEventType
from headwater.execution.log import compute_log_directory
from headwater.server import launch
from headwater.server.assets.checks import label_steps, run_checks
from headwater.server.state import (
    ApiError,
    ServerState,
    check_limit,
    int_cursor,
    page,
    parse_asset_key,
    parse_time,
    split_list,
    state_of,
)
from headwater.server.wire import event_json, run_json
from headwater.storage.base import EventQuery
from headwater.storage.record import HeadwaterRunStatus, RunsFilter

router = APIRouter(prefix="/api", tags=["runs"])
_ET = HeadwaterEventType
_RUN_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,255}$")
_STEP_TYPES = frozenset({_ET.STEP_START, _ET.STEP_SUCCESS, _ET.STEP_FAILURE, _ET.STEP_SKIPPED,
                         _ET.STEP_UP_FOR_RETRY, _ET.STEP_RESTARTED})
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_NOT_EXECUTED = {
    "FAILURE": "Not executed: the run failed before this step could start.",
    "CANCELED": "Not executed: the run was canceled before this step could start.",
    "SUCCESS": "Not executed: no upstream output gave it anything to run on.",
}
POLL_SECONDS = 0.25
_EVENT_CHUNK = 1000


class ReexecuteRequest(BaseModel):
    strategy: Literal["all", "from_failure", "selected"] = "all"
    step_keys: list[str] | None = None


def run_record(state: ServerState, run_id: str) -> Any:
    if not _RUN_ID.match(run_id):
        raise ApiError(400, f"{run_id!r} is not a run id (letters, digits, '-', '_', '.', ':').")
    record = state.instance.get_run_record_by_id(run_id)
    if record is None:
        raise ApiError(404, f"No run {run_id!r}; GET /api/runs lists the runs.")
    return record


def _statuses(value: str | None) -> list[HeadwaterRunStatus] | None:
    names = [v.upper() for v in split_list(value)]
    if not names:
        return None
    known = {s.value for s in HeadwaterRunStatus}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ApiError(400, f"status={unknown[0]!r} is not a run status; use one of "
                            f"{', '.join(sorted(known))} (comma-separated for several).")
    return [HeadwaterRunStatus(n) for n in names]


def _tags(values: list[str]) -> dict[str, str] | None:
    tags: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ApiError(400, f"tag={item!r} is not key=value, e.g. tag=team=data.")
        tags[key] = value
    return tags or None


@router.get("/runs", summary="Runs, newest first, filtered")
def list_runs(request: Request, status: str | None = None, job: str | None = None,
              tag: list[str] = Query(default=[]), since: str | None = None,
              until: str | None = None, limit: int | None = None,
              cursor: str | None = None,
              asset: list[str] = Query(default=[], description="Runs targeting any of these "
                                       "asset keys ('a/b')."),
              backfill: str | None = Query(default=None, description="Runs of this backfill "
                                           "id.")) -> dict[str, Any]:
    state = state_of(request)
    limit = check_limit(limit)
    if cursor is not None and not _RUN_ID.match(cursor):
        raise ApiError(400, f"cursor={cursor!r} is not a cursor of this list: pass the "
                            "`cursor` of the previous page.")
    if cursor is not None and state.instance.get_run_record_by_id(cursor) is None:
        raise ApiError(400, f"cursor={cursor!r} names no run: pass the `cursor` of the "
                            "previous page, or none for the first page.")
    tags = _tags(tag)
    if backfill:
        tags = {**(tags or {}), BACKFILL_ID_TAG: backfill}
    filters = RunsFilter(job_name=job or None, statuses=_statuses(status), tags=tags,
                         asset_keys=[parse_asset_key(a) for a in asset] or None,
                         created_after=parse_time(since, "since"),
                         created_before=parse_time(until, "until"))
    records = state.instance.get_run_records(filters, limit=limit + 1, cursor=cursor)
    items = [run_json(r) for r in records[:limit]]
    return page(items, len(records) > limit, items[-1]["run_id"] if items else None)


def step_stats(state: ServerState, run: Any) -> list[dict[str, Any]]:
    """Per step: first start, end, status, and how many attempts it took. Every planned step
    is listed: one without events is `pending` while the run goes on and `skipped` once it
    has finished (it never ran: an upstream step failed, or the run was canceled first)."""
    steps: dict[str, dict[str, Any]] = {}
    query = EventQuery(run_id=run.run_id, event_types=_STEP_TYPES)
    for record in state.instance.storage.get_event_records(query):
        event = record.event_log_entry.headwater_event
        if event is None or event.step_key is None:
            continue
        step = steps.setdefault(event.step_key, _step(event.step_key))
        _apply(step, event)
    for key in run.step_keys_to_execute or ():
        # a mapped step runs as its copies, key[mapping_key]
        if key in steps or any(k.startswith(f"{key}[") for k in steps):
            continue
        steps[key] = step = _step(key)
        if run.is_finished:
            step["status"] = "skipped"
            step["reason"] = _NOT_EXECUTED.get(run.status.value, "Not executed in this run.")
    return list(steps.values())


def _step(key: str) -> dict[str, Any]:
    return {"step_key": key, "start": None, "end": None, "status": "pending", "attempts": 0,
            "reason": None}


def _apply(step: dict[str, Any], event: Any) -> None:
    kind = event.event_type
    if kind in (_ET.STEP_START, _ET.STEP_RESTARTED):
        if step["start"] is None:
            step["start"] = event.timestamp
        step["attempts"] += 1 if kind is _ET.STEP_START else 0
        step["status"], step["end"] = "in_progress", None
    elif kind is _ET.STEP_UP_FOR_RETRY:
        step["status"] = "up_for_retry"
    elif kind is _ET.STEP_SUCCESS:
        step["status"], step["end"] = "success", event.timestamp
    elif kind is _ET.STEP_FAILURE:
        stopped = getattr(event.event_specific_data, "error_source", None) == "INTERRUPT"
        step["status"], step["end"] = ("canceled" if stopped else "failure"), event.timestamp
        step["reason"] = event.message if stopped else None
    elif kind is _ET.STEP_SKIPPED:
        step["status"], step["end"] = "skipped", event.timestamp
        step["reason"] = event.message


def cancellation(state: ServerState, run: Any) -> dict[str, Any] | None:
    """Who or what canceled the run, and when: its first cancel request (or, for a run
    canceled before it started, its end), null for a run nobody canceled."""
    types = frozenset({_ET.RUN_CANCELING, _ET.RUN_CANCELED})
    records = state.instance.storage.get_event_records(
        EventQuery(run_id=run.run_id, event_types=types))
    events = [r.event_log_entry.headwater_event for r in records]
    events = [e for e in events if e is not None]
    if not events:
        return None
    first = next((e for e in events if e.event_type is _ET.RUN_CANCELING), events[0])
    ended = next((e for e in events if e.event_type is _ET.RUN_CANCELED), None)
    return {"requested": first.timestamp, "message": first.message,
            "canceled": ended.timestamp if ended is not None else None}


@router.get("/runs/{run_id}", summary="One run with its step stats and check evaluations")
def get_run(request: Request, run_id: str) -> dict[str, Any]:
    state = state_of(request)
    record = run_record(state, run_id)
    run = record.headwater_run
    steps = step_stats(state, run)
    checks = run_checks(state, run)
    label_steps(state, steps, checks)
    return {**run_json(record), "steps": steps, "checks": checks,
            "cancellation": cancellation(state, run)}


def _event_types(value: str | None) -> frozenset[HeadwaterEventType] | None:
    names = split_list(value)
    if not names:
        return None
    types = set()
    for name in names:
        upper = name.upper()
        if upper in HeadwaterEventType.__members__:
            types.add(HeadwaterEventType[upper])
            continue
        try:
            types.add(HeadwaterEventType(upper))
        except ValueError:
            raise ApiError(400, f"type={name!r} is not an event type; e.g. STEP_FAILURE, LOG, "
                                "ASSET_MATERIALIZATION (comma-separated for several).") from None
    return frozenset(types)


def _levels(value: str | None) -> set[str] | None:
    names = {v.upper() for v in split_list(value)}
    unknown = names - set(_LEVELS)
    if unknown:
        raise ApiError(400, f"level={sorted(unknown)[0]!r} is not a log level; use "
                            f"{', '.join(_LEVELS)} (comma-separated for several).")
    return names or None


@router.get("/runs/{run_id}/events", summary="A run's event log, oldest first, paged")
def run_events(request: Request, run_id: str, cursor: str | None = None,
               level: str | None = None, step: str | None = None, type: str | None = None,
               limit: int | None = None) -> dict[str, Any]:
    state = state_of(request)
    run_record(state, run_id)
    limit = check_limit(limit)
    after = int_cursor(cursor)
    levels, steps, types = _levels(level), set(split_list(step)) or None, _event_types(type)
    found: list[dict[str, Any]] = []
    has_more = False
    # Without a level or step filter every row read is kept: read one page (and one row to
    # tell whether there is more), not a whole chunk of decoded events.
    chunk_size = _EVENT_CHUNK if levels or steps else min(_EVENT_CHUNK, limit + 1)
    while True:
        query = EventQuery(run_id=run_id, event_types=types, after_id=after)
        chunk = state.instance.storage.get_event_records(query, limit=chunk_size)
        for record in chunk:
            item = event_json(record)
            after = record.storage_id
            if (levels is None or item["level"] in levels) and (
                    steps is None or item["step_key"] in steps):
                if len(found) == limit:
                    has_more = True
                    break
                found.append(item)
        if has_more or len(chunk) < chunk_size:
            break
    next_cursor = str(found[-1]["id"]) if found else cursor
    return page(found, has_more, next_cursor)


@router.get("/runs/{run_id}/stream", summary="A run's events live (Server-Sent Events)")
async def run_stream(request: Request, run_id: str, cursor: str | None = None) -> Any:
    state = state_of(request)
    await run_in_threadpool(run_record, state, run_id)
    after = int_cursor(request.headers.get("last-event-id") or cursor)
    return EventSourceResponse(_run_events(request, state, run_id, after), ping=15)


async def _run_events(request: Request, state: ServerState, run_id: str,
                      after: int | None) -> AsyncIterator[dict[str, Any]]:
    while True:
        record = await run_in_threadpool(state.instance.get_run_record_by_id, run_id)
        query = EventQuery(run_id=run_id, after_id=after)
        chunk = await run_in_threadpool(state.instance.storage.get_event_records, query,
                                        _EVENT_CHUNK)
        for event in chunk:
            after = event.storage_id
            yield {"event": "event", "id": str(event.storage_id),
                   "data": json.dumps(event_json(event))}
        if len(chunk) == _EVENT_CHUNK:
            continue
        if record is None or record.headwater_run.is_finished:
            status = run_json(record) if record is not None else {"run_id": run_id,
                                                                   "status": "DELETED"}
            yield {"event": "status", "data": json.dumps(status)}
            return
        if await request.is_disconnected():
            return
        await asyncio.sleep(POLL_SECONDS)


@router.post("/runs/{run_id}/cancel", summary="Cancel a queued or running run")
def cancel_run(request: Request, run_id: str) -> dict[str, Any]:
    state = state_of(request)
    run_record(state, run_id)
    return launch.cancel(state, run_id)


@router.post("/runs/{run_id}/reexecute", summary="Re-execute a finished run")
def reexecute_run(request: Request, run_id: str, body: ReexecuteRequest) -> dict[str, Any]:
    state = state_of(request)
    run_record(state, run_id)
    return {"run_id": launch.reexecute(state, run_id, body.strategy, body.step_keys)}


@router.delete("/runs/{run_id}", summary="Delete a finished run and its events")
def delete_run(request: Request, run_id: str) -> dict[str, Any]:
    state = state_of(request)
    record = run_record(state, run_id)
    if not record.headwater_run.is_finished and record.headwater_run.status not in (
            HeadwaterRunStatus.NOT_STARTED,):
        raise ApiError(409, f"Run {run_id} is {record.headwater_run.status.value}: cancel it "
                            "before deleting it.")
    state.instance.delete_run(run_id)
    shutil.rmtree(compute_log_directory(state.instance.storage_directory(), run_id),
                  ignore_errors=True)
    return {"run_id": run_id, "deleted": True}


@router.get("/stream", summary="Run status changes live (Server-Sent Events)")
async def status_stream(request: Request, max_seconds: float | None = Query(None, gt=0)) -> Any:
    state = state_of(request)
    return EventSourceResponse(_status_changes(request, state, max_seconds), ping=15)


async def _status_changes(request: Request, state: ServerState,
                          max_seconds: float | None) -> AsyncIterator[dict[str, Any]]:
    """Each run whose record changed since the stream opened, as `event: run`."""
    started = time.monotonic()
    seen: dict[str, tuple[str, float]] = {}
    since: datetime | None = datetime.now(timezone.utc)
    while max_seconds is None or time.monotonic() - started < max_seconds:
        filters = RunsFilter(updated_after=since) if since is not None else None
        changed = await run_in_threadpool(state.instance.get_run_records, filters, 200)
        for record in reversed(changed):
            stamp = record.update_timestamp
            if since is None or stamp > since:
                since = stamp
            key = (record.headwater_run.status.value, stamp.timestamp())
            if seen.get(record.headwater_run.run_id) == key:
                continue
            seen[record.headwater_run.run_id] = key
            yield {"event": "run", "id": str(stamp.astimezone(timezone.utc).timestamp()),
                   "data": json.dumps(run_json(record))}
        if await request.is_disconnected():
            return
        await asyncio.sleep(POLL_SECONDS)
