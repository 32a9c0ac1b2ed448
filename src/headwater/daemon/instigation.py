"""What schedules, sensors and backfills share in the daemon: instigator state, and turning a
tick's run requests into runs exactly once.

Exactly-once, step by step (see docs/schedules-and-sensors.md):

1. the tick is stored STARTED *with its run requests* (each has a run key; requests without
   one get a key derived from the tick), before any run exists;
2. each run is created by `storage.add_run_for_run_key`, which marks the key used and stores
   the run in one transaction: a key can never give two runs, and a run never exists without
   its key marked;
3. runs are then submitted to the run coordinator (queued or started), and the tick ends
   SUCCESS with its run ids.

A daemon killed anywhere in between finds the STARTED tick on restart and replays step 2-3
from the stored requests: keys already used are looked up (a NOT_STARTED run is submitted,
a submitted one left alone). `HEADWATER_DAEMON_CRASH_AT=<point>` makes the daemon SIGKILL
itself at a named point, for the tests that prove it. Imports `code`, `storage`, `daemon`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from headwater.daemon.crash import crash_point as crash_point  # re-exported to the tickers
from headwater.daemon.launcher import submit_run
from headwater.definitions.assets.job import IMPLICIT_JOB
from headwater.definitions.key import AssetKey
from headwater.definitions.tags import (
    PARTITION_TAG,
    RUN_CHECK_SELECTION_TAG,
    RUN_KEY_TAG,
    RUN_ORIGIN_TAG,
    SYSTEM_TAG_PREFIX,
    TICK_ID_TAG,
    oversized_tag,
)
from headwater.errors import HeadwaterInvalidInvocationError
from headwater.storage.record import HeadwaterRun, HeadwaterRunStatus, RunRecord, RunsFilter
from headwater.storage.state import InstigatorState, TickRecord

RUNNING, STOPPED = "RUNNING", "STOPPED"
STARTED, SUCCESS, SKIPPED, FAILURE = "STARTED", "SUCCESS", "SKIPPED", "FAILURE"


def origin_id(location: str, name: str) -> str:
    return f"{location}:{name}"


def instigator_state(instance: Any, location: str, item: Mapping[str, Any],
                     kind: str) -> InstigatorState:
    """The stored state, or one built from the definition's default status."""
    oid = origin_id(location, item["name"])
    state = instance.storage.get_instigator_state(oid)
    if state is not None:
        return state
    default = str(item.get("default_status") or STOPPED)
    return InstigatorState(oid, item["name"], kind, RUNNING if RUNNING in default else STOPPED,
                           None, {"location": location})


def set_status(instance: Any, location: str, name: str, kind: str, status: str,
               body: Mapping[str, Any] | None = None) -> InstigatorState:
    oid = origin_id(location, name)
    state = instance.storage.get_instigator_state(oid)
    new_body = {**(dict(state.body) if state else {"location": location}), **dict(body or {})}
    if status == RUNNING and (state is None or state.status != RUNNING):
        new_body["started_at"] = time.time()  # schedules tick from here, not from the past
        new_body.pop("last_tick_time", None)
    return instance.storage.set_instigator_state(InstigatorState(
        oid, name, kind, status, state.cursor if state else None, new_body))


def set_cursor(instance: Any, location: str, item: Mapping[str, Any],
               cursor: str | None) -> InstigatorState:
    """Store the cursor the sensor's next tick starts from (None clears it); its status and
    the rest of its state stay as they were."""
    state = instigator_state(instance, location, item, "SENSOR")
    return instance.storage.set_instigator_state(replace(state, cursor=cursor))


def unfinished_ticks(instance: Any, oid: str) -> list[TickRecord]:
    return sorted(instance.storage.get_ticks(oid, statuses=[STARTED]), key=lambda t: t.tick_id)


def start_sensor_tick(instance: Any, state: Any, item: Mapping[str, Any], now: float | None,
                      force: bool, default_interval: float, **body: Any) -> tuple[Any, TickRecord] | None:
    """A STARTED tick for a running sensor whose interval has passed (or `force`), with the
    sensor's state marked; None when it is not due."""
    current = time.time() if now is None else now
    interval = item.get("minimum_interval_seconds")
    interval = default_interval if interval is None else interval
    last = state.body.get("last_tick_start")
    if not force and last is not None and current - float(last) < interval:
        return None
    state = instance.storage.set_instigator_state(replace(
        state, body={**dict(state.body), "last_tick_start": current}))
    tick = instance.storage.create_tick(TickRecord(
        state.origin_id, item["name"], "SENSOR", STARTED, current, None,
        {"cursor_before": state.cursor, **body}))
    return state, tick


def finish_tick(instance: Any, tick: TickRecord, status: str, **body: Any) -> TickRecord:
    return instance.storage.update_tick(replace(tick, status=status, end_timestamp=time.time(),
                                                body={**dict(tick.body), **body}))


def keyed_requests(requests: Sequence[Mapping[str, Any]], tick_key: str) -> list[dict[str, Any]]:
    """Give every request a run key (one derived from the tick when it has none)."""
    out = []
    for i, request in enumerate(requests):
        request = dict(request)
        if not request.get("run_key"):
            request["run_key"] = f"{tick_key}#{i}"
            request["implicit_key"] = True
        out.append(request)
    return out


def launch_requests(instance: Any, oid: str, tick: TickRecord, origin_tag: str,
                    name_tag: tuple[str, str],
                    requests: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Create (at most once per run key) and submit the runs of a tick's requests; returns
    {"run_ids": [...], "skipped_run_keys": [...]}."""
    run_ids, skipped = [], []
    for request in requests:
        run_key = request["run_key"]
        tags = {**{k: str(v) for k, v in (request.get("tags") or {}).items()},
                name_tag[0]: name_tag[1], TICK_ID_TAG: str(tick.tick_id), RUN_ORIGIN_TAG: origin_tag}
        problem = oversized_tag({k: v for k, v in tags.items() if not k.startswith(SYSTEM_TAG_PREFIX)})
        if problem is not None:  # requests made outside RunRequest (backfills) are checked here
            raise HeadwaterInvalidInvocationError(f"Run request {run_key!r} of {origin_tag}: {problem}")
        if not request.get("implicit_key"):
            tags[RUN_KEY_TAG] = run_key
        if request.get("partition_key"):
            tags[PARTITION_TAG] = str(request["partition_key"])
        if request.get("asset_check_keys") is not None:
            # a run that evaluates chosen checks: the worker narrows the job to them
            tags[RUN_CHECK_SELECTION_TAG] = json.dumps(sorted(request["asset_check_keys"]))
        # the run id is a function of the key, so a replay finds the run it may have created
        run_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"headwater:{oid}:{run_key}"))
        selection = request.get("asset_selection")
        run = HeadwaterRun(
            job_name=request.get("job_name") or IMPLICIT_JOB, run_id=run_id,
            run_config=dict(request.get("run_config") or {}),
            asset_selection=frozenset(AssetKey.from_user_string(k) for k in selection)
            if selection else None,
            status=HeadwaterRunStatus.NOT_STARTED, tags=tags)
        now = datetime.now(timezone.utc)
        created = instance.storage.add_run_for_run_key(
            RunRecord(storage_id=0, headwater_run=run, create_timestamp=now, update_timestamp=now),
            oid, run_key)
        if not created:
            existing = instance.get_run_by_id(run_id)
            if existing is None or existing.tags.get(TICK_ID_TAG) != str(tick.tick_id):
                skipped.append(run_key)  # an earlier tick used the key: never launch it twice
                continue
        crash_point("after_run_created")
        current = instance.get_run_by_id(run_id)
        if current is not None and current.status is HeadwaterRunStatus.NOT_STARTED:
            submit_run(instance, run_id)
        run_ids.append(run_id)
    return {"run_ids": run_ids, "skipped_run_keys": skipped}


def runs_for_tick(instance: Any, tick_id: int) -> list[Any]:
    return instance.get_runs(RunsFilter(tags={TICK_ID_TAG: str(tick_id)}))
