"""The scheduler: for each running schedule, evaluate the ticks that are due (through the code
server) and launch their runs exactly once.

Catch-up policy after downtime (instance setting `schedules: {catch_up: ...}`):

- `latest` (default): of the ticks missed while the daemon was down, only the latest is
  evaluated; the others are recorded as SKIPPED ("missed while the daemon was not running").
- `all`: every missed tick is evaluated, oldest first, up to `max_catch_up_ticks` (default 50).
- `none`: missed ticks are recorded as SKIPPED; only ticks due from now on run.

Tick times come from definitions/cron.py (DST-correct in the schedule's timezone). A tick is
stored STARTED before it is evaluated, with its run requests before any run is created, so a
crash at any point is resumed on the next start (daemon/instigation.py). Imports `code`,
`definitions`, `storage`, `daemon`.
"""

from __future__ import annotations

import time
from typing import Any

from headwater.daemon.instigation import (
    FAILURE,
    RUNNING,
    SKIPPED,
    STARTED,
    SUCCESS,
    crash_point,
    finish_tick,
    instigator_state,
    keyed_requests,
    launch_requests,
    unfinished_ticks,
)
from headwater.definitions.partitions.cron import cron_ticks
from headwater.definitions.tags import SCHEDULE_NAME_TAG
from headwater.storage.state import TickRecord

MISSED = "Missed while the daemon was not running (catch-up policy: {policy})."


def due_ticks(item: dict[str, Any], since: float, now: float, policy: str,
              limit: int) -> tuple[list[float], list[float]]:
    """(ticks to evaluate, ticks to record as missed) in (since, now]."""
    ticks = []
    for tick in cron_ticks(item["cron_schedule"], since, item.get("execution_timezone")):
        ts = tick.timestamp()
        if ts > now:
            break
        ticks.append(ts)
        if len(ticks) > 10_000:  # a minutely schedule stopped for a week: enough
            break
    if len(ticks) <= 1:
        return ticks, []
    if policy == "all":
        return ticks[-limit:], ticks[:-limit]
    if policy == "none":
        # the last one is "now" only if it is within a minute; otherwise it was missed too
        return ([ticks[-1]], ticks[:-1]) if now - ticks[-1] < 60 else ([], ticks)
    return ticks[-1:], ticks[:-1]


def run_schedules(instance: Any, client: Any, location: str, origin_tag: str,
                  snapshot: dict[str, Any], instance_spec: dict[str, Any],
                  now: float | None = None) -> list[TickRecord]:
    """One scheduler iteration over a location's schedules; the ticks it finished."""
    settings = instance.get_settings("schedules") if hasattr(instance, "get_settings") else {}
    policy = str(settings.get("catch_up", "latest"))
    limit = int(settings.get("max_catch_up_ticks", 50))
    finished = []
    for item in snapshot.get("schedules", []):
        state = instigator_state(instance, location, item, "SCHEDULE")
        for tick in unfinished_ticks(instance, state.origin_id):  # resume after a crash
            finished.append(run_tick(instance, client, tick, item, origin_tag, instance_spec))
        if state.status != RUNNING:
            continue
        current = time.time() if now is None else now
        if state.instigator_type != "SCHEDULE" or "started_at" not in state.body:
            state = instance.storage.set_instigator_state(type(state)(
                state.origin_id, state.name, "SCHEDULE", state.status, state.cursor,
                {**dict(state.body), "started_at": current}))
        since = float(state.body.get("last_tick_time") or state.body["started_at"])
        evaluate, missed = due_ticks(item, since, current, policy, limit)
        for ts in missed[-100:]:
            tick = instance.storage.create_tick(TickRecord(
                state.origin_id, item["name"], "SCHEDULE", SKIPPED, ts, time.time(),
                {"scheduled_time": ts, "skip_reason": MISSED.format(policy=policy)}))
            finished.append(tick)
        for ts in evaluate:
            tick = instance.storage.create_tick(TickRecord(
                state.origin_id, item["name"], "SCHEDULE", STARTED, ts, None,
                {"scheduled_time": ts}))
            finished.append(run_tick(instance, client, tick, item, origin_tag, instance_spec))
        if evaluate or missed:
            last = max(evaluate + missed)
            fresh = instance.storage.get_instigator_state(state.origin_id) or state
            instance.storage.set_instigator_state(type(state)(
                fresh.origin_id, fresh.name, "SCHEDULE", fresh.status, fresh.cursor,
                {**dict(fresh.body), "last_tick_time": last}))
    return finished


def evaluate_schedule_tick(client: Any, name: str, scheduled_time: float,
                           instance_spec: dict[str, Any] | None) -> dict[str, Any]:
    """The code server's evaluation of one tick (code/evaluation.py's JSON); a code server
    that failed itself (load error, timeout) answers as an error too. Changes nothing."""
    try:
        reply: dict[str, Any] = client.call("evaluate_schedule", {
            "name": name, "scheduled_time": scheduled_time, "instance": instance_spec})
    except Exception as exc:
        return {"error": {"kind": type(exc).__name__, "message": str(exc)}}
    return reply


def run_tick(instance: Any, client: Any, tick: TickRecord, item: dict[str, Any],
             origin_tag: str, instance_spec: dict[str, Any]) -> TickRecord:
    """Evaluate (unless the requests are already stored) and launch one schedule tick."""
    requests = tick.body.get("run_requests")
    if requests is None:
        reply = evaluate_schedule_tick(client, item["name"], tick.body["scheduled_time"],
                                       instance_spec)
        if reply.get("error"):
            return finish_tick(instance, tick, FAILURE, error=reply["error"])
        if not reply["run_requests"]:
            return finish_tick(instance, tick, SKIPPED, skip_reason=reply.get("skip_message"))
        # A tick launched by hand (daemon/dry_run.py) names its own implicit keys, so that it
        # never takes the key of the daemon's tick at the same scheduled time.
        tick_key = tick.body.get("tick_key") or f"schedule:{tick.timestamp}"
        requests = keyed_requests(reply["run_requests"], tick_key)
        tick = instance.storage.update_tick(type(tick)(
            tick.origin_id, tick.name, tick.instigator_type, STARTED, tick.timestamp, None,
            {**dict(tick.body), "run_requests": requests}, tick.tick_id))
        crash_point("after_tick_recorded")
    result = launch_requests(instance, tick.origin_id, tick, origin_tag,
                             (SCHEDULE_NAME_TAG, item["name"]), requests)
    status = SUCCESS if result["run_ids"] else SKIPPED
    extra = {} if result["run_ids"] else {"skip_reason": "Every run key was used before."}
    return finish_tick(instance, tick, status, **result, **extra)
