"""Test ticks: evaluate a schedule at a chosen tick time, or a sensor from a chosen cursor,
exactly as the daemon would, and say what the tick would do, storing nothing; and, when the
user asks, launch such a tick by hand through the daemon's own path.

A dry run asks the code server the daemon's own questions (`scheduler.evaluate_schedule_tick`,
`sensors.evaluate_sensor_tick`, `automation.evaluate_automation_tick`) and answers one JSON
result: the run requests (run key, job, run config, tags, partition, assets, checks), the skip
reason, the sensor's new cursor, its dynamic partition requests and asset events (automation
sensors: the backfills too), or the error with the user code's traceback. It records no tick,
launches no run, moves no cursor, adds no partition and reports no event. The user's function
does run, with whatever side effects it has.

`launch_tick` commits a tick by hand: it evaluates again and goes through what the daemon does
with a tick (daemon/instigation.py): the tick is stored STARTED with its requests, each run is
created at most once per run key, dynamic partitions and asset events are applied, and a
sensor's new cursor is stored. The tick is marked `manual`. A request without a run key gets
one of the manual tick's own, so a schedule tick launched early never takes the key of the
daemon's later tick at the same time; an explicit run key is used once ever, by whichever tick
comes first. Imports `code` (through a client), `definitions`, `storage`, `daemon`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from headwater.daemon import automation, scheduler, sensors
from headwater.daemon.instigation import FAILURE, SKIPPED, STARTED, SUCCESS, instigator_state
from headwater.definitions.key import AssetCheckKey
from headwater.definitions.partitions.cron import cron_ticks, resolve_timezone
from headwater.storage.state import TickRecord

NO_REQUESTS = "No run requests."


# --- tick times ------------------------------------------------------------------------------
def tick_times(item: Mapping[str, Any], around: float, count: int = 5) -> dict[str, Any]:
    """The `count` tick times of a schedule before `around` and the `count` after it (aware
    datetimes in the schedule's timezone, oldest first), for picking one to test."""
    cron, tz = item["cron_schedule"], item.get("execution_timezone")
    after = _take(cron_ticks(cron, around, tz, inclusive=True), count)
    before = _take(cron_ticks(cron, around, tz, ascending=False), count)
    return {"timezone": tz or "UTC", "previous": before[::-1], "next": after}


def next_tick_time(item: Mapping[str, Any], now: float) -> float:
    """The schedule's first tick at or after `now` (the tick a test evaluates by default)."""
    tick = next(cron_ticks(item["cron_schedule"], now, item.get("execution_timezone"),
                           inclusive=True))
    return tick.timestamp()


def parse_tick_time(item: Mapping[str, Any], value: str | float | None) -> float | None:
    """A tick time given by a user (ISO 8601, or a Unix timestamp) as a timestamp; an ISO time
    without an offset is read in the schedule's timezone. ValueError says what to write."""
    if value is None or value == "":
        return None
    name = item["name"]
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        try:
            return datetime.fromtimestamp(number, timezone.utc).timestamp()
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"tick time {value!r} for schedule '{name}' is out of range for "
                             "a Unix timestamp.") from None
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"tick time {value!r} for schedule '{name}' is not a time: write ISO "
                         "8601 (2024-05-01T09:00:00, read in the schedule's timezone, or with "
                         "an offset such as +02:00 or Z) or a Unix timestamp.") from None
    if parsed.tzinfo is None:
        tz = resolve_timezone(item.get("execution_timezone"), f"schedule '{name}'")
        parsed = parsed.replace(tzinfo=tz)
    return parsed.timestamp()


def _take(ticks: Any, count: int) -> list[datetime]:
    out = []
    for tick in ticks:
        out.append(tick)
        if len(out) >= count:
            break
    return out


# --- dry runs --------------------------------------------------------------------------------
def dry_run_schedule(client: Any, location: str, item: Mapping[str, Any],
                     tick_time: float | None, instance_spec: dict[str, Any] | None,
                     now: float | None = None) -> dict[str, Any]:
    """What the schedule's tick at `tick_time` (default: its next tick) would do."""
    when = next_tick_time(item, time.time() if now is None else now) \
        if tick_time is None else tick_time
    reply = scheduler.evaluate_schedule_tick(client, item["name"], when, instance_spec)
    local = datetime.fromtimestamp(when, resolve_timezone(item.get("execution_timezone"),
                                                          f"schedule '{item['name']}'"))
    return {**_result("schedule", location, item, reply),
            "tick_time": local.isoformat(), "tick_timestamp": when}


def dry_run_sensor(instance: Any, client: Any, location: str, item: Mapping[str, Any],
                   cursor: str | None, instance_spec: dict[str, Any] | None,
                   use_stored_cursor: bool = False, now: float | None = None
                   ) -> dict[str, Any]:
    """What the sensor's tick would do, evaluated from `cursor` (or, with
    `use_stored_cursor`, from the cursor the daemon stored)."""
    state = instigator_state(instance, location, item, "SENSOR")
    before = state.cursor if use_stored_cursor else cursor
    if item.get("kind") == automation.AUTOMATION:
        when = time.time() if now is None else now
        reply = automation.evaluate_automation_tick(client, item["name"], before, when,
                                                    instance_spec)
    else:
        reply = sensors.evaluate_sensor_tick(instance, client, state.origin_id, item["name"],
                                             before, instance_spec)
    result = _result("sensor", location, item, reply)
    after = None if reply.get("error") else reply.get("cursor")
    return {**result, "stored_cursor": state.cursor, "cursor_before": before,
            "cursor": after, "cursor_changed": not reply.get("error") and after != before}


def _result(kind: str, location: str, item: Mapping[str, Any],
            reply: Mapping[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {"kind": kind, "name": item["name"], "location": location,
                            "evaluated_at": time.time()}
    if reply.get("error"):
        error = dict(reply["error"])
        return {**base, "status": FAILURE, "run_requests": [], "skip_reason": None,
                "dynamic_partitions_requests": [], "asset_events": [], "backfills": [],
                "error": {"kind": error.get("kind"), "message": error.get("message"),
                          "traceback": error.get("traceback")}}
    requests = [request_json(r) for r in reply.get("run_requests") or ()]
    backfills = [dict(b, asset_check_keys=_check_names(b.get("asset_check_keys")))
                 for b in reply.get("backfills") or ()]
    skip = None if requests or backfills else (reply.get("skip_message") or NO_REQUESTS)
    out = {**base, "status": SUCCESS if requests or backfills else SKIPPED,
           "run_requests": requests, "skip_reason": skip,
           "dynamic_partitions_requests": list(reply.get("dynamic_partitions_requests") or ()),
           "asset_events": [asset_event_json(e) for e in reply.get("asset_events") or ()],
           "backfills": backfills, "error": None}
    if "evaluated" in reply:
        out["evaluated"] = reply["evaluated"]
    return out


def request_json(request: Mapping[str, Any]) -> dict[str, Any]:
    """A run request as the code server sent it, with check keys written as users write
    them ("a/b:name")."""
    return {"run_key": request.get("run_key"), "job_name": request.get("job_name"),
            "run_config": dict(request.get("run_config") or {}),
            "tags": {str(k): str(v) for k, v in (request.get("tags") or {}).items()},
            "partition_key": request.get("partition_key"),
            "asset_selection": request.get("asset_selection"),
            "asset_check_keys": _check_names(request.get("asset_check_keys"))}


def _check_names(keys: Any) -> list[str] | None:
    if keys is None:
        return None
    return [AssetCheckKey.from_db_string(k).to_user_string() if str(k).startswith("[") else k
            for k in keys]


def asset_event_json(data: Mapping[str, Any]) -> dict[str, Any]:
    """A reported asset event (the code server's encoded payload) in a few readable fields."""
    key = data.get("asset_key")
    path = key.get("__key__") if isinstance(key, Mapping) else None
    metadata = data.get("metadata")
    if isinstance(metadata, Mapping) and "__metadata__" in metadata:
        metadata = metadata["__metadata__"]
    out = {"type": data.get("__type__"), "asset_key": "/".join(path) if path else key,
           "partition": data.get("partition"), "description": data.get("description"),
           "metadata": {k: v.get("value", v) if isinstance(v, Mapping) else v
                        for k, v in (metadata or {}).items()}}
    if data.get("check_name") is not None:
        out.update(check_name=data["check_name"], passed=data.get("passed"),
                   severity=data.get("severity"))
    return out


# --- launching by hand -----------------------------------------------------------------------
def launch_schedule_tick(instance: Any, client: Any, location: str, origin_tag: str,
                         item: dict[str, Any], tick_time: float | None,
                         instance_spec: dict[str, Any], now: float | None = None
                         ) -> TickRecord:
    """Evaluate the schedule's tick at `tick_time` (default: the next) and launch its runs,
    recorded as a manual tick; the finished tick."""
    current = time.time() if now is None else now
    when = next_tick_time(item, current) if tick_time is None else tick_time
    state = _stored_state(instance, location, item, "SCHEDULE")
    tick = instance.storage.create_tick(TickRecord(
        state.origin_id, item["name"], "SCHEDULE", STARTED, current, None,
        {"scheduled_time": when, "manual": True,
         "tick_key": f"manual-tick:{uuid.uuid4().hex}"}))
    return scheduler.run_tick(instance, client, tick, item, origin_tag, instance_spec)


def launch_sensor_tick(instance: Any, client: Any, location: str, origin_tag: str,
                       item: dict[str, Any], cursor: str | None, instance_spec: dict[str, Any],
                       use_stored_cursor: bool = False, now: float | None = None
                       ) -> TickRecord:
    """Evaluate the sensor from `cursor` (or its stored cursor) and commit the tick as the
    daemon does: runs, partitions, asset events, the new cursor; recorded as a manual tick."""
    current = time.time() if now is None else now
    state = _stored_state(instance, location, item, "SENSOR")
    before = state.cursor if use_stored_cursor else cursor
    auto = item.get("kind") == automation.AUTOMATION
    tick = instance.storage.create_tick(TickRecord(
        state.origin_id, item["name"], "SENSOR", STARTED, current, None,
        {"cursor_before": before, "manual": True, **({"automation": True} if auto else {})}))
    evaluate = automation.evaluate_tick if auto else sensors.evaluate_tick
    return evaluate(instance, client, tick, replace(state, cursor=before), item, origin_tag,
                    instance_spec)


def _stored_state(instance: Any, location: str, item: Mapping[str, Any], kind: str) -> Any:
    """The instigator's state, stored first if it never was (a tick commits into it)."""
    state = instigator_state(instance, location, item, kind)
    if instance.storage.get_instigator_state(state.origin_id) is None:
        state = instance.storage.set_instigator_state(state)
    return state
