"""The overview timeline route: the runs of a time window, one row per job of a code location.

One storage query fetches every run whose span overlaps the window (created before its end,
not over before its start); each run is placed from its start (its creation while it waits
in the queue or when it never started) to its end, or to now while it goes on. A run's
code location comes from the origin tag the launcher wrote (none for runs executed in
process), and what launched it from its schedule or sensor tag. Imports `code.run`,
`definitions.tags`, `storage` and this package.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any

from fastapi import APIRouter, Query, Request

from headwater.code.run import origin_of
from headwater.definitions.tags import RUN_ORIGIN_TAG, SCHEDULE_NAME_TAG, SENSOR_NAME_TAG
from headwater.server.state import ApiError, parse_time, state_of
from headwater.storage.record import HeadwaterRun, HeadwaterRunStatus, RunRecord, RunsFilter

router = APIRouter(prefix="/api", tags=["runs"])
DEFAULT_WINDOW = timedelta(hours=24)
MAX_WINDOW = timedelta(days=31)
#: At most this many runs (the newest) are placed; `truncated` says when there were more.
MAX_RUNS = 10_000
_QUEUED = frozenset({HeadwaterRunStatus.QUEUED, HeadwaterRunStatus.NOT_STARTED})


def window(start: str | None, end: str | None, now: datetime) -> tuple[datetime, datetime]:
    """The window [start, end): by default the day before `end` (itself now by default)."""
    until = parse_time(end, "end") or now
    try:
        since = parse_time(start, "start") or until - DEFAULT_WINDOW
    except OverflowError:  # the day before the first representable time
        raise ApiError(400, f"end={end!r} leaves no room for the default day before it: pass "
                            "a later end, or a start too.") from None
    if since >= until:
        raise ApiError(400, f"start={since.isoformat()} is not before end={until.isoformat()}: "
                            "pass a start earlier than the end (or omit start for the day "
                            "before end).")
    if until - since > MAX_WINDOW:
        days = (until - since) / timedelta(days=1)
        raise ApiError(400, f"The window from start={since.isoformat()} to end="
                            f"{until.isoformat()} spans {days:.1f} days; the timeline shows "
                            f"at most {MAX_WINDOW.days} days: move start later or end earlier.")
    return since, until


def location_of(run: HeadwaterRun) -> str | None:
    """The name of the code location a run was launched from (None: executed in process)."""
    if not run.tags.get(RUN_ORIGIN_TAG):
        return None
    try:
        return origin_of(run).name
    except (ValueError, TypeError):  # an origin tag this version cannot read: no location
        return None


def launched_by(tags: dict[str, str]) -> dict[str, str] | None:
    """The schedule or sensor that requested a run, from its tags (None: launched by hand)."""
    if tags.get(SCHEDULE_NAME_TAG):
        return {"kind": "schedule", "name": tags[SCHEDULE_NAME_TAG]}
    if tags.get(SENSOR_NAME_TAG):
        return {"kind": "sensor", "name": tags[SENSOR_NAME_TAG]}
    return None


def placed(record: RunRecord, now: float) -> dict[str, Any]:
    """One run as a bar: where it starts and ends on the time axis."""
    run = record.headwater_run
    created = record.create_timestamp.timestamp()
    queued = run.status in _QUEUED
    start = record.start_time if record.start_time is not None and not queued else created
    ongoing = not run.is_finished
    if ongoing:
        end = max(now, start)
    else:
        end = record.end_time if record.end_time is not None else (
            record.update_timestamp.timestamp())
    return {"run_id": run.run_id, "status": run.status.value, "start": start,
            "end": max(end, start), "ongoing": ongoing, "queued": queued,
            "launched_by": launched_by(dict(run.tags))}


@router.get("/timeline", summary="Runs of a time window, one row per job of a code location")
def timeline(request: Request,
             start: str | None = Query(None, description="Window start, ISO 8601 or Unix "
                                       "seconds; default: a day before end."),
             end: str | None = Query(None, description="Window end; default: now."),
             ) -> dict[str, Any]:
    state = state_of(request)
    now = datetime.now(timezone.utc)
    since, until = window(start, end, now)
    records = state.instance.get_run_records(
        RunsFilter(created_before=until, active_after=since), limit=MAX_RUNS + 1)
    truncated = len(records) > MAX_RUNS
    stamp = time.time()
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for record in reversed(records[:MAX_RUNS]):  # oldest first within each row
        run = record.headwater_run
        location = location_of(run)
        row = rows.get((location or "", run.job_name))
        if row is None:
            row = rows[(location or "", run.job_name)] = {
                "location": location, "job_name": run.job_name, "automations": [], "runs": []}
        bar = placed(record, stamp)
        row["runs"].append(bar)
        if bar["launched_by"] and bar["launched_by"] not in row["automations"]:
            row["automations"].append(bar["launched_by"])
    ordered = [rows[key] for key in sorted(rows, key=lambda k: (k[0] == "", k[0], k[1]))]
    return {"start": since.timestamp(), "end": until.timestamp(), "now": stamp,
            "rows": ordered, "run_count": min(len(records), MAX_RUNS), "truncated": truncated}
