"""Automation condition sensors on the code server side: a tick's evaluation, turned into what
the daemon launches, and the words of `headwater asset explain`'s automation section.

`evaluate_automation_sensor` (a call of code/calls.py) evaluates one automation sensor's
targets with the cursor the daemon stored and answers JSON: the new cursor, each evaluated
key's result tree, and what to launch: `run_requests` (one run each) and `backfills` (several
partitions of the same assets, as the assets' BackfillPolicy says: one run over the range or
runs of at most N partitions; the daemon creates them with daemon/backfill.py). A sensor made
with `emit_backfills=False` asks for one run per partition instead.

`explain_automation` evaluates the condition of one key against the instance as it is now,
from the sensor's stored cursor, storing nothing, and says in words whether the next tick will
request it and, if not, which sub-conditions are false. Imports `definitions`, `storage`.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from headwater.code.explain import Section
from headwater.definitions.assets.job import IMPLICIT_JOB
from headwater.definitions.automation.condition_sensor import (
    AutomationConditionSensorDefinition,
    targeted_keys,
)
from headwater.definitions.definitions import Definitions
from headwater.definitions.key import AssetCheckKey, AssetKey
from headwater.definitions.partitions.backfill_policy import runs_per_range
from headwater.definitions.tags import AUTOMATION_CONDITION_TAG, PARTITION_TAG, SENSOR_NAME_TAG


def automation_sensor(defs: Definitions, name: str) -> AutomationConditionSensorDefinition:
    sensor = defs.resolve_sensor_def(name)
    if not isinstance(sensor, AutomationConditionSensorDefinition):
        raise ValueError(f"sensor {name!r} is a {type(sensor).__name__}, not an automation "
                         "condition sensor: evaluate it with evaluate_sensor.")
    return sensor


def evaluate_automation_sensor(defs: Definitions, name: str, cursor: str | None = None,
                               evaluation_time: float | None = None,
                               instance: Any = None) -> dict[str, Any]:
    """One tick of an automation sensor, as JSON for the daemon."""
    sensor = automation_sensor(defs, name)
    when = datetime.fromtimestamp(evaluation_time, timezone.utc) \
        if evaluation_time is not None else None
    try:
        result = sensor.evaluate(defs, instance, cursor, when)
    except Exception as exc:
        return {"error": {"kind": "user_code_error", "message": f"{type(exc).__name__}: {exc}",
                          "traceback": "".join(traceback.format_exception(exc))}}
    tags = {**sensor.run_tags, AUTOMATION_CONDITION_TAG: "true", SENSOR_NAME_TAG: sensor.name}
    requests = [_request_json(r, tags) for r in result.run_requests]
    backfills: list[dict[str, Any]] = []
    if sensor.emit_backfills:
        requests, backfills = group_backfills(defs, requests, instance)
    return {"cursor": result.cursor.to_json(), "total_requested": result.total_requested,
            "results": [node.to_json() for node in result.changed_results],
            "evaluated": len(result.results),
            "run_requests": requests, "backfills": backfills}


def _request_json(request: Any, tags: Mapping[str, str]) -> dict[str, Any]:
    data = request.to_json()
    data["tags"] = {**data["tags"], **tags}
    if data["job_name"] is None:
        data["job_name"] = IMPLICIT_JOB
    return data


def group_backfills(defs: Definitions, requests: Sequence[dict[str, Any]], instance: Any,
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split requests into single runs and backfills: the partitions requested for the same
    assets and checks become one backfill when there are several of them."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    single: list[dict[str, Any]] = []
    for request in requests:
        if request.get("partition_key") is None or not request.get("asset_selection"):
            single.append(request)
            continue
        slot = (tuple(sorted(request["asset_selection"])),
                tuple(sorted(request.get("asset_check_keys") or ())))
        groups.setdefault(slot, []).append(request)
    graph = defs.resolve_asset_graph()
    backfills = []
    for (keys, checks), members in groups.items():
        if len(members) == 1:
            single.extend(members)
            continue
        assets = [graph.assets_def_by_key[AssetKey.from_user_string(k)] for k in keys]
        partitions_def = next((a.partitions_def for a in assets if a.partitions_def), None)
        order = {k: i for i, k in enumerate(partitions_def.get_partition_keys(
            dynamic_partitions_store=instance))} if partitions_def is not None else {}
        partition_keys = sorted((m["partition_key"] for m in members),
                                key=lambda k: (order.get(k, len(order)), k))
        per_run = runs_per_range([getattr(a, "backfill_policy", None) for a in assets])
        backfills.append({"asset_selection": list(keys),
                          "asset_check_keys": list(checks) if checks else None,
                          "partition_keys": partition_keys, "single_run": per_run is None,
                          "max_partitions_per_run": per_run,
                          # each run of the backfill gets its own partition (or range) tags
                          "tags": {k: v for k, v in members[0]["tags"].items()
                                   if k != PARTITION_TAG}})
    return single, backfills


# --- explain ---------------------------------------------------------------------------------
def sensor_for_key(defs: Definitions, key: AssetKey | AssetCheckKey
                   ) -> AutomationConditionSensorDefinition | None:
    """The automation sensor that evaluates `key`, if any."""
    graph = defs.resolve_asset_graph()
    for sensor in defs.resolve_all_sensor_defs():
        if isinstance(sensor, AutomationConditionSensorDefinition) and \
                key in targeted_keys(graph, sensor.target):
            return sensor
    return None


def _condition_of(defs: Definitions, key: AssetKey | AssetCheckKey) -> Any:
    graph = defs.resolve_asset_graph()
    if isinstance(key, AssetCheckKey):
        spec = graph.check_specs_by_key.get(key)
    else:
        spec = graph.spec_by_key.get(key)
    if spec is None:
        raise KeyError(f"{key.to_user_string()!r} is not an asset or check of these definitions.")
    return getattr(spec, "automation_condition", None)


def _stored_state(instance: Any, sensor_name: str, location: str | None) -> Any:
    states = [s for s in instance.storage.all_instigator_state("SENSOR")
              if s.name == sensor_name
              and (location is None or s.origin_id == f"{location}:{sensor_name}")]
    return states[0] if len(states) == 1 else None


def explain_automation(defs: Definitions, instance: Any, key: Any,
                       partition: str | None = None, location: str | None = None,
                       evaluation_time: datetime | None = None) -> list[Section]:
    """The automation part of `headwater asset explain` (code/explain.py sections): whether the
    next tick of the key's automation sensor requests it (or `partition` of it), and which
    sub-conditions are false when it does not; the data holds the verdict and the result tree.
    `location`: the code location whose sensor cursor to read (needed only when several
    locations have a sensor of that name)."""
    parsed = key if isinstance(key, (AssetKey, AssetCheckKey)) else (
        AssetCheckKey.from_user_string(key) if ":" in str(key) else AssetKey.from_user_string(key))
    name = parsed.to_user_string()
    title = "Automation"
    condition = _condition_of(defs, parsed)
    if condition is None:
        return [Section(title, [f"{name} has no automation condition, so no automation sensor "
                                "requests it. Give it one with automation_condition="
                                "AutomationCondition.eager() (or on_cron, on_missing, ...)."],
                        {"verdict": "no_condition"})]
    sensor = sensor_for_key(defs, parsed)
    if sensor is None:  # only when the user named their own sensor default_...: say so
        return [Section(title, [f"{name} has an automation condition, but no automation "
                                "condition sensor targets it: add it to the target= of one."],
                        {"verdict": "no_sensor"})]
    state = _stored_state(instance, sensor.name, location)
    running = (state.status == "RUNNING") if state is not None else \
        "RUNNING" in str(sensor.default_status)
    lines: list[str] = []
    if not running:
        lines.append(f"Sensor '{sensor.name}' is stopped: nothing is requested until it is "
                     "started (headwater sensor start, or the Automation page).")
    result = sensor.evaluate(defs, instance, state.cursor if state else None, evaluation_time)
    node = next((n.to_json() for n in result.results if n.to_json()["key"] == name), None)
    if node is None:
        lines.append(f"Sensor '{sensor.name}' did not evaluate {name} on this evaluation.")
        return [Section(title, lines, {"verdict": "not_evaluated", "sensor": sensor.name})]
    requested = is_true(node, partition)
    what = f"{name}" + (f" partition {partition}" if partition else "")
    verb = "will" if running else "would"
    if requested:
        lines.insert(0, f"The next tick of sensor '{sensor.name}' {verb} request {what}: its "
                        f"condition {_show(node)} is true"
                        + (f" for {node['true_count']} of {node['candidate_count']} partitions."
                           if node.get("true_partitions") is not None else "."))
    else:
        lines.insert(0, f"The next tick of sensor '{sensor.name}' {verb} not request {what}: "
                        f"its condition {_show(node)} is false"
                        + (" for it." if partition else "."))
        causes = false_causes(node, partition)
        if causes:
            lines.append("Because:")
            lines.extend(f"  - {_show(c)} is {_truth_words(c, partition)}{_hint(c)}"
                         for c in causes)
        skipped = [_show(c) for c in node.get("children") or () if not _reached(c)]
        if skipped:
            lines.append("Not evaluated, since an earlier part was already false: "
                         + ", ".join(skipped) + ".")
    cursor_note = "from the cursor its last tick stored" if state and state.cursor else \
        "as a first evaluation (the sensor has no stored cursor yet)"
    lines.append(f"Evaluated now against this instance {cursor_note}.")
    return [Section(title, lines, {"verdict": "requested" if requested else "not_requested",
                                   "sensor": sensor.name, "running": running, "result": node})]


def is_true(node: Mapping[str, Any], partition: str | None) -> bool:
    """Whether a result node holds (for `partition`, when given and the node is partitioned)."""
    partitions = node.get("true_partitions")
    if partition is None or partitions is None:
        return int(node.get("true_count") or 0) > 0
    return partition in partitions


def _reached(node: Mapping[str, Any]) -> bool:
    """Whether a node was evaluated at all: an `&` evaluates its later children only on what
    its earlier ones left true, so a node with no candidates was skipped."""
    return int(node.get("candidate_count") or 0) > 0


def false_causes(node: Mapping[str, Any], partition: str | None) -> list[Mapping[str, Any]]:
    """The deepest false nodes under a false node: where an evaluated false child explains its
    parent, the child (recursively); a false node whose evaluated children are all true (a
    negation of something true, a `since` whose trigger did not come back) or which has none
    is its own cause. Children that were not evaluated explain nothing."""
    false_children = [c for c in node.get("children") or ()
                      if _reached(c) and not is_true(c, partition)]
    if not false_children:
        return [node]
    return [cause for child in false_children for cause in false_causes(child, partition)]


_HINTS = {
    "since": " (what triggers it has not been true since it was last reset)",
    "newly_true": " (it did not just become true)",
    "not": " (what it negates is true)",
    "missing": " (it has been materialized)",
    "in_progress": " (no run of it is in progress)",
    "newly_updated": " (it was not updated since the previous tick)",
    "cron_tick_passed": " (no cron tick passed since the previous tick)",
}


def _hint(node: Mapping[str, Any]) -> str:
    return _HINTS.get(str(node.get("description")), "")


def _show(node: Mapping[str, Any]) -> str:
    label, description = node.get("label"), node.get("description")
    text = node.get("condition") or description or "condition"
    if label and description and description != label:
        return f"'{label}' ({description})"
    return f"'{label or text}'"


def _truth_words(node: Mapping[str, Any], partition: str | None) -> str:
    if node.get("true_partitions") is not None and partition is None:
        return f"true for {node.get('true_count', 0)} of {node.get('candidate_count', 0)} " \
               "partitions"
    return "false"
