"""The automation routes: schedules and sensors (list, start, stop, ticks), test ticks and
sensor cursors (through daemon/dry_run.py), and daemon heartbeats.

Definitions come from the snapshots; whether each one runs, and its ticks, from the
instance's scheduling state, keyed by the same origin id the daemon uses
(`instigator_origin_id`). Starting or stopping writes that state; the daemon acts on it.
Next tick times are computed here from the cron string (definitions.cron), which needs no
user code. A test tick asks the location's code server to evaluate, as the daemon would, and
stores nothing; with `launch: true` it commits a manual tick through the daemon's own path.
Imports `daemon`, `definitions`, `storage` and this package.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from headwater.code.run import origin_tag
from headwater.daemon import dry_run, instigation
from headwater.definitions.partitions.cron import cron_ticks
from headwater.errors import HeadwaterError
from headwater.server.state import (
    ApiError,
    ServerState,
    check_limit,
    page,
    parse_time,
    state_of,
)
from headwater.server.wire import iso

router = APIRouter(prefix="/api", tags=["automation"])
_NEXT_TICKS = 5
# A daemon is healthy when its last heartbeat is younger than this.
HEARTBEAT_TOLERANCE = 60.0


def instigator_origin_id(location: str, name: str) -> str:
    """The key of a schedule's or sensor's stored state (the daemon's own)."""
    return instigation.origin_id(location, name)


def _kind(kind: str) -> tuple[str, str]:
    """("schedules" | "sensors") -> (index attribute, stored instigator type)."""
    return (kind, "SCHEDULE") if kind == "schedules" else (kind, "SENSOR")


def _find(state: ServerState, kind: str, name: str) -> tuple[str, dict[str, Any]]:
    """(location, definition) of a schedule or sensor; for one that no location defines any
    more but that has stored state (e.g. still running), its location and a bare
    definition, so that it can always be stopped and its ticks read by name."""
    found = getattr(state.workspace.index, kind).get(name)
    if found is not None:
        return found
    stored = _stored(state, kind).get(name)
    if stored is None:
        raise ApiError(404, f"No {kind[:-1]} {name!r} in any loaded code location; GET "
                            f"/api/{kind} lists them.")
    return _location_of(stored), {"name": name, "unloadable": True}


def _stored(state: ServerState, kind: str) -> dict[str, Any]:
    """{name: stored state} of the schedules (or sensors) the instance knows."""
    states = state.instance.storage.all_instigator_state(_kind(kind)[1])
    return {s.name: s for s in sorted(states, key=lambda s: s.update_timestamp)}


def _location_of(stored: Any) -> str:
    location = (stored.body or {}).get("location")
    return str(location) if location else stored.origin_id.rsplit(":", 1)[0]


def _status(state: ServerState, location: str, definition: dict[str, Any],
            kind: str) -> tuple[str, Any]:
    stored = instigation.instigator_state(state.instance, location, definition, _kind(kind)[1])
    return ("running" if stored.status.upper() == instigation.RUNNING else "stopped"), stored


def _next_ticks(definition: dict[str, Any], running: bool) -> list[str]:
    cron = definition.get("cron_schedule")
    if not cron or not running:
        return []
    out = []
    try:
        for tick in cron_ticks(cron, time.time(), definition.get("execution_timezone")):
            out.append(tick.isoformat())
            if len(out) == _NEXT_TICKS:
                break
    except Exception:  # a cron string the definitions accepted but we cannot iterate
        return []
    return out


def _last_tick(state: ServerState, origin_id: str) -> dict[str, Any] | None:
    ticks = state.instance.storage.get_ticks(origin_id, limit=1)
    return tick_json(ticks[0]) if ticks else None


def tick_json(tick: Any) -> dict[str, Any]:
    body = dict(tick.body or {})
    return {"tick_id": tick.tick_id, "status": tick.status, "timestamp": tick.timestamp,
            "time": iso(tick.timestamp), "end_timestamp": tick.end_timestamp,
            "run_ids": list(body.get("run_ids") or []),
            "run_keys": list(body.get("run_keys") or []),
            "skip_reason": body.get("skip_reason"), "error": body.get("error"),
            "cursor": body.get("cursor"),
            "backfill_ids": list(body.get("backfill_ids") or []),
            "evaluated": body.get("evaluated"), "manual": bool(body.get("manual")),
            "scheduled_time": body.get("scheduled_time")}


def _list(state: ServerState, kind: str) -> list[dict[str, Any]]:
    items = []
    for name, (location, definition) in sorted(getattr(state.workspace.index, kind).items()):
        status, stored = _status(state, location, definition, kind)
        item: dict[str, Any] = {
            "name": name, "location": location, "job": definition.get("job_name"),
            "description": definition.get("description"), "status": status,
            "next_ticks": _next_ticks(definition, status == "running"),
            "last_tick": _last_tick(state, instigator_origin_id(location, name)),
            "unloadable": False,
        }
        if kind == "schedules":
            item["cron"] = definition.get("cron_schedule")
            item["timezone"] = definition.get("execution_timezone")
        else:
            item["interval"] = definition.get("minimum_interval_seconds")
            item["type"] = definition.get("type")
            item["kind"] = definition.get("kind") or "standard"
            item["cursor"] = stored.cursor
            if item["kind"] == "automation":
                item["target"] = definition.get("target")
                item["evaluated_keys"] = list(definition.get("evaluated_keys") or [])
        items.append(item)
    defined = getattr(state.workspace.index, kind)
    for name, stored in sorted(_stored(state, kind).items()):
        # Running, but defined by no loaded location: listed so that it can be stopped.
        if name in defined or stored.status != instigation.RUNNING:
            continue
        location = _location_of(stored)
        items.append({"name": name, "location": location, "job": None, "description": None,
                      "status": "running", "next_ticks": [], "unloadable": True,
                      "last_tick": _last_tick(state, stored.origin_id),
                      **({"cron": None, "timezone": None} if kind == "schedules"
                         else {"interval": None, "type": None, "kind": "standard",
                               "cursor": stored.cursor})})
    return items


def _set_status(state: ServerState, kind: str, name: str, running: bool) -> dict[str, Any]:
    location, _ = _find(state, kind, name)
    status = instigation.RUNNING if running else instigation.STOPPED
    instigation.set_status(state.instance, location, name, _kind(kind)[1], status)
    return {"name": name, "status": "running" if running else "stopped"}


def _ticks(state: ServerState, kind: str, name: str, limit: int | None,
           cursor: str | None) -> dict[str, Any]:
    location, _ = _find(state, kind, name)
    limit = check_limit(limit)
    before = None
    if cursor:
        try:
            before = float(cursor)
        except ValueError:
            raise ApiError(400, f"cursor={cursor!r} is not a cursor of this list: pass the "
                                "`cursor` of the previous page.") from None
    ticks = state.instance.storage.get_ticks(instigator_origin_id(location, name),
                                             before=before, limit=limit + 1)
    items = [tick_json(t) for t in ticks[:limit]]
    return page(items, len(ticks) > limit, repr(items[-1]["timestamp"]) if items else None)


@router.get("/schedules", summary="Schedules with status and next ticks")
def list_schedules(request: Request) -> list[dict[str, Any]]:
    return _list(state_of(request), "schedules")


@router.get("/sensors", summary="Sensors with status and last tick")
def list_sensors(request: Request) -> list[dict[str, Any]]:
    return _list(state_of(request), "sensors")


@router.post("/schedules/{name}/start", summary="Start a schedule")
def start_schedule(request: Request, name: str) -> dict[str, Any]:
    return _set_status(state_of(request), "schedules", name, True)


@router.post("/schedules/{name}/stop", summary="Stop a schedule")
def stop_schedule(request: Request, name: str) -> dict[str, Any]:
    return _set_status(state_of(request), "schedules", name, False)


@router.post("/sensors/{name}/start", summary="Start a sensor")
def start_sensor(request: Request, name: str) -> dict[str, Any]:
    return _set_status(state_of(request), "sensors", name, True)


@router.post("/sensors/{name}/stop", summary="Stop a sensor")
def stop_sensor(request: Request, name: str) -> dict[str, Any]:
    return _set_status(state_of(request), "sensors", name, False)


@router.get("/schedules/{name}/ticks", summary="A schedule's ticks, newest first")
def schedule_ticks(request: Request, name: str, limit: int | None = None,
                   cursor: str | None = None) -> dict[str, Any]:
    return _ticks(state_of(request), "schedules", name, limit, cursor)


@router.get("/sensors/{name}/ticks", summary="A sensor's ticks, newest first")
def sensor_ticks(request: Request, name: str, limit: int | None = None,
                 cursor: str | None = None) -> dict[str, Any]:
    return _ticks(state_of(request), "sensors", name, limit, cursor)


# --- test ticks and cursors ------------------------------------------------------------------
class ScheduleTestTick(BaseModel):
    tick_time: str | float | None = Field(
        None, description="The tick time to evaluate: ISO 8601 or a Unix timestamp. Default: "
                          "the schedule's next tick.")
    launch: bool = Field(False, description="Launch the tick's runs (recorded as a manual "
                                            "tick) instead of only showing them.")


class SensorTestTick(BaseModel):
    cursor: str | None = Field(
        None, description="The cursor to evaluate from; leave it out for the stored cursor, "
                          "null for none.")
    launch: bool = Field(False, description="Commit the tick: launch its runs and store its "
                                            "new cursor (recorded as a manual tick).")


class SensorCursor(BaseModel):
    cursor: str | None = Field(description="The cursor the next tick starts from; null "
                                           "clears it.")


def _defined(state: ServerState, kind: str, name: str) -> tuple[str, dict[str, Any]]:
    """(location, definition) of a schedule or sensor some loaded location defines."""
    location, definition = _find(state, kind, name)
    if definition.get("unloadable"):
        raise ApiError(409, f"No loaded code location defines {kind[:-1]} {name!r} (its state "
                            f"names location {location!r}), so it cannot be evaluated: reload "
                            "the location that defines it.")
    return location, definition


def _instance_spec(state: ServerState, required: bool) -> dict[str, Any] | None:
    """How the code server opens this instance (sensors read it); None when it cannot, unless
    the call needs it."""
    try:
        return dataclasses.asdict(state.instance.get_ref())
    except HeadwaterError as exc:
        if required:
            raise ApiError(400, f"Cannot launch a tick on this instance: {exc}") from exc
        return None


def _launchable(state: ServerState, what: str) -> None:
    if state.launcher is None:
        raise ApiError(503, f"Cannot launch {what}: this webserver has no run launcher (it was "
                            "created with launcher=None).")


def _launched(tick: Any) -> dict[str, Any]:
    body = dict(tick.body or {})
    return {"launched": True, "tick": tick_json(tick), "status": tick.status,
            "run_ids": list(body.get("run_ids") or []),
            "run_requests": [dry_run.request_json(r) for r in body.get("run_requests") or ()],
            "skipped_run_keys": list(body.get("skipped_run_keys") or []),
            "backfill_ids": list(body.get("backfill_ids") or []),
            "skip_reason": body.get("skip_reason"), "error": body.get("error")}


@router.get("/schedules/{name}/tick_times",
            summary="A schedule's tick times around now, to pick one to test")
def schedule_tick_times(request: Request, name: str, count: int = 5,
                        around: str | None = None) -> dict[str, Any]:
    state = state_of(request)
    _, definition = _defined(state, "schedules", name)
    if not 1 <= count <= 50:
        raise ApiError(400, f"count={count} is out of range: pass 1 to 50.")
    when = parse_time(around, "around")
    times = dry_run.tick_times(definition, when.timestamp() if when else time.time(), count)
    return {"timezone": times["timezone"],
            "previous": [t.isoformat() for t in times["previous"]],
            "next": [t.isoformat() for t in times["next"]]}


@router.post("/schedules/{name}/test_tick",
             summary="Evaluate one tick of a schedule without launching (or, with launch, "
                     "launch it)")
def test_schedule_tick(request: Request, name: str, body: ScheduleTestTick) -> dict[str, Any]:
    state = state_of(request)
    location, definition = _defined(state, "schedules", name)
    try:
        tick_time = dry_run.parse_tick_time(definition, body.tick_time)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    client = state.workspace.client(location)
    if body.launch:
        _launchable(state, f"schedule {name!r}'s tick")
        spec = _instance_spec(state, required=True)
        tick = dry_run.launch_schedule_tick(
            state.instance, client, location, origin_tag(state.workspace.origin(location)),
            definition, tick_time, spec or {})
        return _launched(tick)
    return dry_run.dry_run_schedule(client, location, definition, tick_time,
                                    _instance_spec(state, required=False))


@router.post("/sensors/{name}/test_tick",
             summary="Evaluate a sensor from a cursor without launching (or, with launch, "
                     "commit the tick)")
def test_sensor_tick(request: Request, name: str, body: SensorTestTick) -> dict[str, Any]:
    state = state_of(request)
    location, definition = _defined(state, "sensors", name)
    stored = "cursor" not in body.model_fields_set
    client = state.workspace.client(location)
    if body.launch:
        _launchable(state, f"sensor {name!r}'s tick")
        spec = _instance_spec(state, required=True)
        tick = dry_run.launch_sensor_tick(
            state.instance, client, location, origin_tag(state.workspace.origin(location)),
            definition, body.cursor, spec or {}, use_stored_cursor=stored)
        current = state.instance.storage.get_instigator_state(
            instigator_origin_id(location, name))
        return {**_launched(tick), "cursor": current.cursor if current else None}
    return dry_run.dry_run_sensor(state.instance, client, location, definition, body.cursor,
                                  _instance_spec(state, required=False),
                                  use_stored_cursor=stored)


@router.post("/sensors/{name}/cursor", summary="Set (or, with null, clear) a sensor's cursor")
def set_sensor_cursor(request: Request, name: str, body: SensorCursor) -> dict[str, Any]:
    state = state_of(request)
    location, definition = _find(state, "sensors", name)
    if definition.get("kind") == "automation" and body.cursor is not None:
        from headwater.definitions.automation.evaluate import AutomationCursor

        try:
            AutomationCursor.from_json(body.cursor)
        except HeadwaterError as exc:
            raise ApiError(400, f"Sensor {name!r} evaluates automation conditions: "
                                f"{exc}") from None
    stored = instigation.set_cursor(state.instance, location, {**definition, "name": name},
                                    body.cursor)
    return {"name": name, "cursor": stored.cursor}


@router.get("/daemon", summary="Daemon heartbeats")
def daemon_status(request: Request) -> dict[str, Any]:
    state = state_of(request)
    now = time.time()
    beats = state.instance.storage.get_daemon_heartbeats()
    return {"heartbeats": [
        {"daemon": beat.daemon_type, "daemon_id": beat.daemon_id, "last": beat.timestamp,
         "last_iso": iso(beat.timestamp), "healthy": now - beat.timestamp < HEARTBEAT_TOLERANCE,
         "errors": list((beat.body or {}).get("errors") or [])}
        for beat in sorted(beats.values(), key=lambda b: b.daemon_type)]}
