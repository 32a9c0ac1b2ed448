"""The routes of an asset's Automation tab: its automation condition as a tree, the sensor that
evaluates it, its evaluations (newest first), and one evaluation's result tree with the runs
and backfills it launched.

The condition comes from the code server's snapshot (each asset and check lists its condition
tree, code/snapshot.py); the evaluations from the instance (`get_automation_evaluations`,
written by the automation daemon, daemon/automation.py). A check's automation is asked with
`?check=NAME`. Imports `daemon`, `storage` and this package.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from headwater.daemon import instigation
from headwater.server.state import (
    ApiError,
    ServerState,
    check_limit,
    int_cursor,
    page,
    parse_asset_key,
    state_of,
)
from headwater.server.wire import iso

router = APIRouter(prefix="/api", tags=["automation"])


def _target(state: ServerState, key: str, check: str | None) -> tuple[str, str, dict[str, Any]]:
    """(location, evaluated key "a/b" or "a/b:check", its snapshot entry)."""
    parse_asset_key(key)
    found = state.workspace.index.assets.get(key)
    if found is None:
        raise ApiError(404, f"No asset {key!r} in any loaded code location; GET /api/assets "
                            "lists the asset keys.")
    location, asset = found
    if check is None:
        return location, key, asset
    for item in asset.get("checks", ()):
        if item["name"] == check:
            return location, item["key"], item
    names = ", ".join(c["name"] for c in asset.get("checks", ())) or "none"
    raise ApiError(404, f"Asset {key!r} has no check {check!r}; its checks: {names}.")


def _sensor(state: ServerState, location: str, evaluated: str) -> dict[str, Any] | None:
    for name, (where, sensor) in sorted(state.workspace.index.sensors.items()):
        if where == location and sensor.get("kind") == "automation" and \
                evaluated in (sensor.get("evaluated_keys") or ()):
            stored = instigation.instigator_state(state.instance, location, sensor, "SENSOR")
            return {"name": name, "location": location,
                    "status": "running" if stored.status == instigation.RUNNING else "stopped",
                    "interval": sensor.get("minimum_interval_seconds")}
    return None


def summary_json(record: Any) -> dict[str, Any]:
    """One evaluation in a list: when, how much it requested, what it launched."""
    return {"evaluation_id": record.evaluation_id, "key": record.key,
            "timestamp": record.timestamp, "time": iso(record.timestamp),
            "num_requested": record.num_requested, "run_ids": list(record.run_ids),
            "backfill_ids": list(record.backfill_ids),
            "sensor": record.origin_id.split(":", 1)[-1]}


def _evaluations(state: ServerState, evaluated: str, limit: int | None,
                 cursor: str | None) -> dict[str, Any]:
    limit = check_limit(limit)
    records = state.instance.get_automation_evaluations(evaluated, limit=limit + 1,
                                                        cursor=int_cursor(cursor))
    items = [summary_json(r) for r in records[:limit]]
    return page(items, len(records) > limit,
                str(items[-1]["evaluation_id"]) if items else None)


@router.get("/assets/{key:path}/automation/evaluations/{evaluation_id}",
            summary="One automation evaluation: the result tree and the runs it launched")
def automation_evaluation(request: Request, key: str, evaluation_id: int,
                          check: str | None = None) -> dict[str, Any]:
    state = state_of(request)
    _, evaluated, _ = _target(state, key, check)
    found = [r for r in state.instance.get_automation_evaluations_for_evaluation_id(
        evaluation_id) if r.key == evaluated]
    if not found:
        raise ApiError(404, f"No automation evaluation {evaluation_id} of {evaluated!r}; GET "
                            f"/api/assets/{key}/automation/evaluations lists them.")
    record = found[0]
    runs = []
    for run_id in record.run_ids:
        run = state.instance.get_run_by_id(run_id)
        runs.append({"run_id": run_id, "status": run.status.value if run else None})
    return {**summary_json(record), "result": record.result, "runs": runs}


@router.get("/assets/{key:path}/automation/evaluations",
            summary="An asset's automation evaluations, newest first")
def automation_evaluations(request: Request, key: str, limit: int | None = None,
                           cursor: str | None = None, check: str | None = None
                           ) -> dict[str, Any]:
    state = state_of(request)
    _, evaluated, _ = _target(state, key, check)
    return _evaluations(state, evaluated, limit, cursor)


@router.get("/assets/{key:path}/automation",
            summary="An asset's automation condition, its sensor and latest evaluations")
def asset_automation(request: Request, key: str, check: str | None = None) -> dict[str, Any]:
    state = state_of(request)
    location, evaluated, entry = _target(state, key, check)
    checks = [{"name": c["name"], "key": c["key"],
               "has_condition": c.get("automation_condition") is not None}
              for c in state.workspace.index.assets[key][1].get("checks", ())]
    return {"key": evaluated, "condition": entry.get("automation_condition"),
            "sensor": _sensor(state, location, evaluated), "checks": checks,
            "evaluations": _evaluations(state, evaluated, 20, None)}
