"""The sensor daemon: evaluate each running sensor (through the code server) at most every
`minimum_interval_seconds` (default 30), keep its cursor, launch its runs exactly once.

A tick is stored STARTED before evaluation; its run requests, dynamic-partition requests, asset
events (recorded once, as runless events) and new cursor are stored in the tick before anything
is launched; the cursor is committed to the
sensor's state only when the tick finishes. A daemon killed in between resumes the tick from
what it stored (daemon/instigation.py). Imports `code`, `definitions`, `storage`, `daemon`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from headwater.daemon.instigation import (
    FAILURE,
    RUNNING,
    SKIPPED,
    SUCCESS,
    crash_point,
    finish_tick,
    instigator_state,
    keyed_requests,
    launch_requests,
    start_sensor_tick,
    unfinished_ticks,
)
from headwater.definitions.automation.sensor import DEFAULT_SENSOR_INTERVAL
from headwater.definitions.tags import SENSOR_NAME_TAG
from headwater.execution.event import payload_from_jsonable
from headwater.storage.state import TickRecord


def run_sensors(instance: Any, client: Any, location: str, origin_tag: str,
                snapshot: dict[str, Any], instance_spec: dict[str, Any],
                now: float | None = None, force: bool = False) -> list[TickRecord]:
    """One iteration over a location's sensors; the ticks it finished."""
    finished = []
    for item in snapshot.get("sensors", []):
        if item.get("kind") == "automation":  # daemon/automation.py ticks these
            continue
        state = instigator_state(instance, location, item, "SENSOR")
        for tick in unfinished_ticks(instance, state.origin_id):
            finished.append(_finish(instance, tick, item, origin_tag))
        if state.status != RUNNING:
            continue
        started = start_sensor_tick(instance, state, item, now, force,
                                    DEFAULT_SENSOR_INTERVAL)
        if started is None:
            continue
        state, tick = started
        finished.append(evaluate_tick(instance, client, tick, state, item, origin_tag,
                                  instance_spec))
    return finished


def evaluate_sensor_tick(instance: Any, client: Any, origin_id: str, name: str,
                         cursor: str | None, instance_spec: dict[str, Any] | None
                         ) -> dict[str, Any]:
    """The code server's evaluation of the sensor from `cursor` (code/evaluation.py's JSON),
    given when its last tick ended; a code server that failed itself answers as an error
    too. Changes nothing."""
    last_ticks = instance.storage.get_ticks(origin_id, statuses=[SUCCESS, SKIPPED], limit=1)
    try:
        reply: dict[str, Any] = client.call("evaluate_sensor", {
            "name": name, "cursor": cursor,
            "last_tick_time": last_ticks[0].end_timestamp if last_ticks else None,
            "instance": instance_spec})
    except Exception as exc:
        return {"error": {"kind": type(exc).__name__, "message": str(exc)}}
    return reply


def evaluate_tick(instance: Any, client: Any, tick: TickRecord, state: Any,
                  item: dict[str, Any], origin_tag: str, instance_spec: dict[str, Any]
                  ) -> TickRecord:
    """Evaluate a STARTED tick from `state.cursor`, store what it asks for, then apply it."""
    reply = evaluate_sensor_tick(instance, client, state.origin_id, item["name"], state.cursor,
                                 instance_spec)
    if reply.get("error"):
        return finish_tick(instance, tick, FAILURE, error=reply["error"])
    requests = keyed_requests(reply["run_requests"], f"sensor-tick:{tick.tick_id}")
    tick = instance.storage.update_tick(replace(tick, body={
        **dict(tick.body), "run_requests": requests, "cursor": reply.get("cursor"),
        "skip_message": reply.get("skip_message"),
        "dynamic_partitions_requests": reply.get("dynamic_partitions_requests") or [],
        "asset_events": reply.get("asset_events") or []}))
    crash_point("after_tick_recorded")
    return _finish(instance, tick, item, origin_tag)


def _finish(instance: Any, tick: TickRecord, item: dict[str, Any], origin_tag: str) -> TickRecord:
    """Apply what a tick stored: partitions, runs, cursor; then end the tick."""
    body = tick.body
    if "run_requests" not in body:  # killed while evaluating: nothing happened; drop it
        return finish_tick(instance, tick, FAILURE, error={
            "kind": "interrupted", "message": "The daemon stopped while evaluating this tick; "
            "the next tick evaluates the sensor again from the same cursor."})
    for request in body.get("dynamic_partitions_requests") or []:
        if request["kind"] == "add":
            instance.add_dynamic_partitions(request["partitions_def_name"],
                                            request["partition_keys"])
        else:
            for key in request["partition_keys"]:
                instance.delete_dynamic_partition(request["partitions_def_name"], key)
    if body.get("asset_events") and not body.get("asset_events_reported"):
        for data in body["asset_events"]:
            instance.report_runless_asset_event(payload_from_jsonable(data))
        tick = instance.storage.update_tick(replace(tick, body={
            **dict(body), "asset_events_reported": True}))
        body = tick.body
    result = launch_requests(instance, tick.origin_id, tick, origin_tag,
                             (SENSOR_NAME_TAG, item["name"]), list(body["run_requests"]))
    state = instance.storage.get_instigator_state(tick.origin_id)
    if state is not None and body.get("cursor") != state.cursor:
        instance.storage.set_instigator_state(replace(state, cursor=body.get("cursor")))
    if result["run_ids"]:
        return finish_tick(instance, tick, SUCCESS, **result)
    reason = body.get("skip_message") or ("Every run key was used before."
                                         if result["skipped_run_keys"] else "No run requests.")
    return finish_tick(instance, tick, SKIPPED, skip_reason=reason, **result)
