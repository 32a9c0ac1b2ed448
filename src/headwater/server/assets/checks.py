"""The asset check routes: an asset's checks with their latest result, one check's execution
history, and running checks; plus the per-asset check summaries the asset list and graph show.

What a check *is* (name, description, blocking, metadata) comes from the code server's
snapshot (each asset lists its checks); what happened to it comes from the instance's check
executions (`get_latest_asset_check_execution_by_key`, one query for every check of the
workspace, and `get_asset_check_execution_history`); code/check_result.py says which
result (passed, warn, failed, in_progress, not_run) each execution shows as.

Imports `code.check_result`, `definitions`, `execution.event`, `storage` and this package.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from headwater.code.check_result import BUCKETS, bucket, count, run_check_results
from headwater.definitions.key import AssetCheckKey
from headwater.execution.event import HeadwaterEventType
from headwater.server import launch
from headwater.server.state import (
    ApiError,
    ServerState,
    check_limit,
    int_cursor,
    page,
    parse_asset_key,
    split_list,
    state_of,
)
from headwater.server.wire import typed_metadata, typed_value
from headwater.storage.base import EventQuery
from headwater.storage.checks import AssetCheckExecutionRecordStatus

router = APIRouter(prefix="/api", tags=["checks"])
_STATUSES = tuple(s.value for s in AssetCheckExecutionRecordStatus)


class ExecuteChecksRequest(BaseModel):
    keys: list[str] = Field(min_length=1, description='Check keys as "asset/path:check_name".')
    partition_key: str | None = None


def _value(item: Any) -> str:
    return str(getattr(item, "value", item))


def execution_json(record: Any) -> dict[str, Any]:
    """One execution of a check: its status, result, severity, metadata, run and time."""
    evaluation = record.evaluation
    target = getattr(evaluation, "target_materialization_data", None)
    return {
        "id": record.id,
        "run_id": record.run_id or None,
        "status": _value(record.status),
        "result": bucket(record),
        "partition": record.partition,
        "timestamp": record.create_timestamp,
        "update_timestamp": record.update_timestamp,
        "passed": evaluation.passed if evaluation is not None else None,
        "severity": _value(record.severity) if record.severity is not None else None,
        "description": evaluation.description if evaluation is not None else None,
        "metadata": typed_metadata(evaluation.metadata) if evaluation is not None else {},
        "target_materialization": None if target is None else {
            "run_id": target.run_id, "storage_id": target.storage_id,
            "timestamp": target.timestamp},
    }


def _check_keys(texts: Any) -> list[AssetCheckKey]:
    return [AssetCheckKey.from_user_string(t) for t in texts]


def latest_by_check(state: ServerState, keys: list[str]) -> dict[str, Any]:
    """{check key string: latest execution record} for the given check keys, in one query."""
    if not keys:
        return {}
    found = state.instance.get_latest_asset_check_execution_by_key(_check_keys(keys))
    return {k.to_user_string(): record for k, record in found.items()}


def check_summaries(state: ServerState) -> dict[str, dict[str, int]]:
    """{asset key: {bucket: count, ..., "total": n}} for every asset that has checks."""
    index = state.workspace.index
    latest = latest_by_check(state, list(index.checks))
    results: dict[str, list[str]] = {}
    for key, (_, check) in index.checks.items():
        results.setdefault(check["asset_key"], []).append(bucket(latest.get(key)))
    return {asset: count(found) for asset, found in results.items()}


def parse_buckets(value: str | None, name: str = "checks") -> set[str] | None:
    """A `checks=failed,warn` filter as a set of buckets (None: no filter)."""
    wanted = {v.lower() for v in split_list(value)}
    unknown = sorted(wanted - set(BUCKETS))
    if unknown:
        raise ApiError(400, f"{name}={unknown[0]!r} is not a check result; use "
                            f"{', '.join(BUCKETS)} (comma-separated for several), e.g. "
                            f"{name}=failed,warn for assets with failing checks.")
    return wanted or None


def asset_checks(state: ServerState, key: str, asset: dict[str, Any]) -> list[dict[str, Any]]:
    """The checks of one asset as the API shows them, each with its latest execution."""
    checks = asset.get("checks") or []
    latest = latest_by_check(state, [c["key"] for c in checks])
    out = []
    for check in checks:
        record = latest.get(check["key"])
        out.append({
            "key": check["key"],
            "name": check["name"],
            "asset_key": key,
            "description": check.get("description"),
            "blocking": bool(check.get("blocking")),
            "additional_deps": list(check.get("additional_deps") or []),
            "metadata": {label: typed_value(v) if isinstance(v, dict) else
                         {"type": "text", "value": v}
                         for label, v in (check.get("metadata") or {}).items()},
            "in_asset_step": bool(check.get("in_asset_step")),
            "partitions": check.get("partitions"),
            "result": bucket(record),
            "latest": execution_json(record) if record is not None else None,
        })
    return out


def find_check(state: ServerState, key: str, name: str) -> tuple[str, dict[str, Any]]:
    """The location and snapshot of check `name` of asset `key`, or a 404 naming the checks
    the asset has."""
    parse_asset_key(key)
    index = state.workspace.index
    found = index.checks.get(f"{key}:{name}")
    if found is not None:
        return found
    asset = index.assets.get(key)
    if asset is None:
        raise ApiError(404, f"No asset {key!r} in any loaded code location; GET /api/assets "
                            "lists the asset keys.")
    names = ", ".join(c["name"] for c in asset[1].get("checks") or []) or "none"
    raise ApiError(404, f"Asset {key!r} has no check {name!r}; its checks: {names}.")


def _asset(state: ServerState, key: str) -> dict[str, Any]:
    parse_asset_key(key)
    found = state.workspace.index.assets.get(key)
    if found is None:
        raise ApiError(404, f"No asset {key!r} in any loaded code location; GET /api/assets "
                            "lists the asset keys.")
    return found[1]


@router.get("/assets/{key:path}/checks/{name}/executions",
            summary="One check's executions, newest first")
def check_executions(request: Request, key: str, name: str, limit: int | None = None,
                     cursor: str | None = None, partition: str | None = None,
                     status: str | None = None) -> dict[str, Any]:
    state = state_of(request)
    find_check(state, key, name)
    limit = check_limit(limit)
    statuses = [s.upper() for s in split_list(status)]
    unknown = [s for s in statuses if s not in _STATUSES]
    if unknown:
        raise ApiError(400, f"status={unknown[0]!r} is not a check execution status; use "
                            f"{', '.join(_STATUSES)} (comma-separated for several).")
    wanted = {AssetCheckExecutionRecordStatus(s) for s in statuses} or None
    records = state.instance.get_asset_check_execution_history(
        AssetCheckKey(parse_asset_key(key), name), limit=limit + 1,
        cursor=int_cursor(cursor), partition=partition, status=wanted)
    items = [execution_json(r) for r in records[:limit]]
    return page(items, len(records) > limit, str(items[-1]["id"]) if items else None)


@router.get("/assets/{key:path}/checks", summary="An asset's checks with their latest result")
def list_asset_checks(request: Request, key: str) -> dict[str, Any]:
    state = state_of(request)
    return {"items": asset_checks(state, key, _asset(state, key))}


@router.post("/checks/execute", summary="Launch a run that evaluates only these checks")
def execute_checks(request: Request, body: ExecuteChecksRequest) -> dict[str, Any]:
    state = state_of(request)
    locations = set()
    for text in body.keys:
        asset_text, sep, name = text.rpartition(":")
        if not sep or not asset_text or not name:
            raise ApiError(400, f"{text!r} is not a check key: write it as "
                                "'asset/path:check_name', e.g. 'orders:no_nulls'.")
        location, _ = find_check(state, asset_text, name)
        locations.add(location)
    if len(locations) > 1:
        raise ApiError(400, f"The checks are in several code locations ({sorted(locations)}): "
                            "run each location's checks in its own request.")
    run_id = launch.launch_checks(state, locations.pop(), sorted(set(body.keys)),
                                  body.partition_key)
    return {"run_id": run_id}


# --- a run's checks ------------------------------------------------------------------------
_PLANNED = HeadwaterEventType.ASSET_CHECK_EVALUATION_PLANNED
_EVALUATION = HeadwaterEventType.ASSET_CHECK_EVALUATION


def run_checks(state: ServerState, run: Any) -> list[dict[str, Any]]:
    """The checks a run planned and what each evaluated to (code/check_result.py), as JSON."""
    query = EventQuery(run_id=run.run_id, event_types=frozenset({_PLANNED, _EVALUATION}))
    entries = [r.event_log_entry for r in state.instance.storage.get_event_records(query)]
    out = []
    for item in run_check_results(entries, run):
        evaluation = item.pop("evaluation")
        out.append({**item,
                    "passed": evaluation.passed if evaluation is not None else None,
                    "severity": _value(evaluation.severity) if evaluation is not None else None,
                    "description": evaluation.description if evaluation is not None else None,
                    "metadata": typed_metadata(evaluation.metadata) if evaluation else {}})
    return out


def label_steps(state: ServerState, steps: list[dict[str, Any]],
                checks: list[dict[str, Any]]) -> None:
    """Give each step its `kind` (asset, check or op) and the `checks` it evaluates: a step
    that evaluates checks and materializes no asset is a check step."""
    index = state.workspace.index
    asset_ops = {a.get("op_name") for _, a in index.assets.values()}
    check_ops = {c.get("op_name") for _, c in index.checks.values() if not c.get("in_asset_step")}
    by_step: dict[str, list[str]] = {}
    for check in checks:
        if check["step_key"]:
            by_step.setdefault(check["step_key"], []).append(check["key"])
    for step in steps:
        root = step["step_key"].split(".")[0].split("[")[0]
        step["checks"] = sorted(set(by_step.get(step["step_key"], [])))
        if root in asset_ops:
            step["kind"] = "asset"
        elif step["checks"] or root in check_ops:
            step["kind"] = "check"
        else:
            step["kind"] = "op"
