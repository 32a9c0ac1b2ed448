"""The automation daemon: tick each running automation condition sensor (at most every
`minimum_interval_seconds`), keep its cursor and its evaluations, launch what it requested
exactly once.

A tick asks the code server to evaluate the sensor's conditions (`evaluate_automation_sensor`,
code/automation.py) from the cursor the previous tick stored. Then, in this order:

1. each evaluated key's result tree is stored, keyed by (tick id, key): storing it again is a
   no-op (storage/automation.py);
2. the tick stores its run requests (each with a run key derived from the tick), its
   backfills (each with an id derived from the tick) and the new cursor;
3. `_finish` creates each run at most once per run key (`launch_requests`, which submits it to
   the run coordinator, so the run queue's limits hold) and each backfill at most once per id
   (the backfill daemon then launches its runs, as its BackfillPolicy says), records per key
   the runs and backfills launched, commits the cursor, and ends the tick.

A daemon killed anywhere finds the STARTED tick on restart: one that stored its requests is
finished from them (step 3 again: keys and ids already used launch nothing); one killed before
that is dropped with its evaluations, and the next tick evaluates again from the same cursor.
Runs carry `headwater/automation_condition=true` and `headwater/sensor_name`.
Imports `code`, `definitions`, `storage`, `daemon`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from headwater.daemon.backfill import create_backfill
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
from headwater.definitions.key import AssetCheckKey
from headwater.definitions.tags import SENSOR_NAME_TAG
from headwater.storage.automation import AutomationConditionEvaluationRecord, Launched
from headwater.storage.state import TickRecord

AUTOMATION = "automation"


def run_automation_sensors(instance: Any, client: Any, location: str, origin_tag: str,
                           snapshot: dict[str, Any], instance_spec: dict[str, Any],
                           now: float | None = None, force: bool = False) -> list[TickRecord]:
    """One iteration over a location's automation sensors; the ticks it finished."""
    finished = []
    for item in snapshot.get("sensors", []):
        if item.get("kind") != AUTOMATION:
            continue
        state = instigator_state(instance, location, item, "SENSOR")
        for tick in unfinished_ticks(instance, state.origin_id):
            finished.append(_finish(instance, tick, item, origin_tag))
        if state.status != RUNNING:
            continue
        started = start_sensor_tick(instance, state, item, now, force,
                                    DEFAULT_SENSOR_INTERVAL, automation=True)
        if started is None:
            continue
        state, tick = started
        finished.append(evaluate_tick(instance, client, tick, state, item, origin_tag,
                                  instance_spec))
    return finished


def evaluate_automation_tick(client: Any, name: str, cursor: str | None,
                             evaluation_time: float, instance_spec: dict[str, Any] | None
                             ) -> dict[str, Any]:
    """The code server's evaluation of the sensor's conditions from `cursor`
    (code/automation.py's JSON); a code server that failed answers as an error too. Changes
    nothing."""
    try:
        reply: dict[str, Any] = client.call("evaluate_automation_sensor", {
            "name": name, "cursor": cursor, "evaluation_time": evaluation_time,
            "instance": instance_spec})
    except Exception as exc:
        return {"error": {"kind": type(exc).__name__, "message": str(exc)}}
    return reply


def evaluate_tick(instance: Any, client: Any, tick: TickRecord, state: Any,
                  item: dict[str, Any], origin_tag: str, instance_spec: dict[str, Any]
                  ) -> TickRecord:
    """Evaluate a STARTED tick from `state.cursor`, store its evaluations and what it asks
    for, then launch it."""
    reply = evaluate_automation_tick(client, item["name"], state.cursor, tick.timestamp,
                                     instance_spec)
    if reply.get("error"):
        return finish_tick(instance, tick, FAILURE, error=reply["error"])
    instance.storage.add_automation_evaluations([
        AutomationConditionEvaluationRecord(
            tick.tick_id, tick.origin_id, node["key"], tick.timestamp,
            int(node.get("true_count") or 0), node)
        for node in reply["results"]])
    crash_point("after_evaluations_stored")
    requests = keyed_requests(reply["run_requests"], f"automation-tick:{tick.tick_id}")
    backfills = [{**backfill, "backfill_id": _backfill_id(tick, i)}
                 for i, backfill in enumerate(reply["backfills"])]
    tick = instance.storage.update_tick(replace(tick, body={
        **dict(tick.body), "run_requests": requests, "backfills": backfills,
        "cursor": reply["cursor"], "total_requested": reply["total_requested"],
        "evaluated": reply.get("evaluated", len(reply["results"]))}))
    crash_point("after_tick_recorded")
    return _finish(instance, tick, item, origin_tag)


def _backfill_id(tick: TickRecord, index: int) -> str:
    """The same id whenever this tick's `index`th backfill is created: a replay finds it."""
    return uuid.uuid5(uuid.NAMESPACE_URL,
                      f"headwater:{tick.origin_id}:automation-tick:{tick.tick_id}:{index}").hex[:8]


def _finish(instance: Any, tick: TickRecord, item: Mapping[str, Any],
            origin_tag: str) -> TickRecord:
    """Launch what a tick stored (at most once), record it per key, move the cursor, end it."""
    body = tick.body
    if "run_requests" not in body:  # killed while evaluating: nothing was launched
        instance.storage.delete_automation_evaluations(tick.tick_id)
        return finish_tick(instance, tick, FAILURE, error={
            "kind": "interrupted", "message": "The daemon stopped while evaluating this tick; "
            "the next tick evaluates the conditions again from the same cursor."})
    launched: dict[str, dict[str, list[str]]] = {}

    def note(keys: Any, kind: str, value: str) -> None:
        for key in keys or ():
            launched.setdefault(key, {"run_ids": [], "backfill_ids": []})[kind].append(value)

    run_ids: list[str] = []
    for request in body["run_requests"]:
        result = launch_requests(instance, tick.origin_id, tick, origin_tag,
                                 (SENSOR_NAME_TAG, item["name"]), [request])
        for run_id in result["run_ids"]:
            run_ids.append(run_id)
            note(request.get("asset_selection"), "run_ids", run_id)
            note(request.get("asset_check_keys"), "run_ids", run_id)
    crash_point("after_runs_launched")
    backfill_ids: list[str] = []
    for backfill in body.get("backfills") or []:
        record = create_backfill(
            instance, origin_tag, backfill, job_name=None,
            asset_selection=backfill["asset_selection"], tags=dict(backfill["tags"]),
            backfill_id=backfill["backfill_id"],
            asset_check_keys=backfill.get("asset_check_keys"))
        backfill_ids.append(record.backfill_id)
        note(backfill["asset_selection"], "backfill_ids", record.backfill_id)
        note(backfill.get("asset_check_keys"), "backfill_ids", record.backfill_id)
    instance.storage.set_automation_launches(tick.tick_id, {
        _user_key(key): Launched(tuple(v["run_ids"]), tuple(v["backfill_ids"]))
        for key, v in launched.items()})
    state = instance.storage.get_instigator_state(tick.origin_id)
    if state is not None and body.get("cursor") != state.cursor:
        instance.storage.set_instigator_state(replace(state, cursor=body.get("cursor")))
    if run_ids or backfill_ids:
        return finish_tick(instance, tick, SUCCESS, run_ids=run_ids, backfill_ids=backfill_ids)
    reason = (f"No condition was true for the {body.get('evaluated', 0)} assets and checks "
              "evaluated." if not body["run_requests"] else "Every run was launched before.")
    return finish_tick(instance, tick, SKIPPED, skip_reason=reason, run_ids=[],
                       backfill_ids=[])


def _user_key(key: str) -> str:
    """Check keys travel in run requests in their stored form ("asset_key_json:name"); the
    evaluations are keyed "a/b:name"."""
    if key.startswith("["):
        return AssetCheckKey.from_db_string(key).to_user_string()
    return key
