"""The asset routes: the graph with statuses and check summaries, one asset (with its
checks), its history, its partitions, materializing (backfills: server/backfill.py).

An asset's status comes from storage, for all assets at once (one query for the latest
materializations, one for the runs in progress, one for recent failed runs):
in_progress (a queued or running run targets it) > failed (the latest run that targeted it
failed after its latest materialization, without materializing it) > stale (see
definitions/assets/staleness.py: its code version changed, a parent has a new data version or
is missing, or a parent is stale) > materialized > never. `stale_status` and `stale_causes`
say it precisely (for a partitioned asset: of its latest materialized partition, or of the
`?partition=` asked for).
Imports `code`, `definitions`, `storage` and this package.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from headwater.code.client import CodeServerError
from headwater.code.explain import explain
from headwater.definitions.assets.staleness import parents_first
from headwater.definitions.key import AssetKey
from headwater.errors import HeadwaterError
from headwater.server import launch
from headwater.server.check import asset_checks, check_summaries, parse_buckets
from headwater.server.staleness import resolver_for
from headwater.server.state import (
    ApiError,
    ServerState,
    check_limit,
    int_cursor,
    page,
    parse_asset_key,
    query_with_dynamic,
    state_of,
)
from headwater.server.wire import materialization_json, typed_value
from headwater.storage.record import AssetRecordsFilter, HeadwaterRunStatus, RunsFilter

router = APIRouter(prefix="/api", tags=["assets"])
_ACTIVE = [HeadwaterRunStatus.QUEUED, HeadwaterRunStatus.STARTING, HeadwaterRunStatus.STARTED,
           HeadwaterRunStatus.CANCELING]
_RECENT_FAILURES = 500
_COUNTS_TTL = 30.0


class MaterializeRequest(BaseModel):
    keys: list[str] = Field(min_length=1, description='Asset keys as "a/b" strings.')
    partition_key: str | None = Field(None, description="One partition: one run.")
    partition_keys: list[str] | None = Field(
        None, description="Several partitions: a backfill of the partitioned assets.")


def find_asset(state: ServerState, key: str) -> tuple[str, dict[str, Any]]:
    """The asset's (location, snapshot entry); 404 when no loaded location defines it."""
    parse_asset_key(key)
    found = state.workspace.index.assets.get(key)
    if found is None:
        raise ApiError(404, f"No asset {key!r} in any loaded code location; GET /api/assets "
                            "lists the asset keys.")
    return found


def _find_or_stored(state: ServerState, key: str) -> tuple[str, dict[str, Any]] | None:
    """The asset's definition; None for a key no location defines (any more) but whose
    events are stored: its history stays reachable by key. 404 when neither."""
    asset_key = parse_asset_key(key)
    found = state.workspace.index.assets.get(key)
    if found is None and not state.instance.has_asset_key(asset_key):
        raise ApiError(404, f"No asset {key!r} in any loaded code location, and nothing "
                            "stored for it; GET /api/assets lists the asset keys.")
    return found


class Memo:
    """A value derived from storage, kept in the workspace index's memo with the stamp of
    the stored state it was computed from (one builder at a time)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stamp: Hashable | None = None
        self.value: Any = None


def storage_stamp(state: ServerState) -> Hashable | None:
    """The storage's asset change stamp (see Storage.asset_change_stamp); None when it
    cannot tell."""
    stamp: Hashable | None = state.instance.storage.asset_change_stamp()
    return stamp


def memoized(state: ServerState, name: str, build: Callable[[ServerState], Any],
             stamp: Hashable | None) -> Any:
    """`build(state)`, reused while `stamp` (taken before building, so a value is never
    older than its stamp) stays the same; rebuilt every time when `stamp` is None."""
    if stamp is None:
        return build(state)
    memo = state.workspace.index.memo
    entry: Memo = memo.get(name) or memo.setdefault(name, Memo())
    with entry.lock:  # concurrent requests wait for one build instead of each building
        if entry.stamp != stamp:
            entry.value = build(state)
            entry.stamp = stamp
        return entry.value


def current_statuses(state: ServerState) -> dict[str, dict[str, Any]]:
    """`asset_statuses`, kept until storage changes (log lines do not count): every client
    of the asset list, an asset page and the catalog shares one computation."""
    statuses: dict[str, dict[str, Any]] = memoized(state, "asset_statuses", asset_statuses,
                                                   storage_stamp(state))
    return statuses


def asset_statuses(state: ServerState) -> dict[str, dict[str, Any]]:
    """{key: {"status", "latest"}} for every asset of the workspace."""
    instance = state.instance
    latest_records = {k.to_user_string(): r for k, r in
                      instance.storage.get_latest_materialization_records().items()}
    latest: dict[str, dict[str, Any]] = {}
    resolver = resolver_for(state)
    for key, record in latest_records.items():
        latest[key] = {"run_id": record.run_id, "timestamp": record.timestamp,
                       "partition": record.partition_key}
        # Primed from the one query above, so that staleness asks storage only for sources
        # and partitions.
        resolver.prime(record.asset_key, record.partition_key, record)
        if record.partition_key is not None:
            resolver.prime(record.asset_key, None, record)
    active: set[str] = set()
    for record in instance.get_run_records(RunsFilter(statuses=_ACTIVE)):
        active.update(k.to_user_string() for k in record.headwater_run.asset_selection or ())
    failed: dict[str, float] = {}
    for record in instance.get_run_records(RunsFilter(statuses=[HeadwaterRunStatus.FAILURE]),
                                           limit=_RECENT_FAILURES):
        run = record.headwater_run
        ended = record.end_time or record.update_timestamp.timestamp()
        for asset_key in run.asset_selection or ():
            text = asset_key.to_user_string()
            mat = latest.get(text)
            if (text not in failed and (mat is None or (mat["timestamp"] < ended
                                                        and mat["run_id"] != run.run_id))):
                failed[text] = ended
    out: dict[str, dict[str, Any]] = {}
    for key, asset_key in resolver_order(resolver, state):
        mat = latest.get(key)
        causes = resolver.causes(asset_key, mat["partition"]) if mat is not None else []
        stale = resolver.status(asset_key, mat["partition"] if mat else None)
        if key in active:
            status = "in_progress"
        elif key in failed:
            status = "failed"
        elif mat is None:
            status = "never"
        elif causes:
            status = "stale"
        else:
            status = "materialized"
        out[key] = {"status": status, "stale_status": stale.value,
                    "stale_causes": [c.to_json() for c in causes],
                    "latest": None if mat is None else {
                        "run_id": mat["run_id"], "timestamp": mat["timestamp"],
                        "partition": mat["partition"]}}
    return out


def resolver_order(resolver: Any, state: ServerState) -> list[tuple[str, AssetKey]]:
    """Asset keys (as text and as keys) with parents first, so that each staleness is computed
    once; the order depends on the definitions only, so it is kept with the workspace index."""
    index = state.workspace.index
    if "parents_first" not in index.memo:
        index.memo["parents_first"] = [(k.to_user_string(), k) for k in parents_first(
            resolver.graph, [AssetKey.from_user_string(k) for k in index.assets])]
    order: list[tuple[str, AssetKey]] = index.memo["parents_first"]
    return order


_counts_cache: dict[tuple[int, str, str], tuple[float, dict[str, int]]] = {}


def partition_counts(state: ServerState) -> dict[str, int]:
    counts: dict[str, int] = {}
    for location in state.workspace.names:
        snapshot = state.workspace.snapshot(location)
        if snapshot is None or not any(a.get("partitions") for a in snapshot["assets"]):
            continue
        if _stale(state, location):  # its code does not load: counts are unknown
            continue
        cache_key = (id(state), location, snapshot["snapshot_id"])
        cached = _counts_cache.get(cache_key)
        if cached is None or time.monotonic() - cached[0] > _COUNTS_TTL:
            reply = query_with_dynamic(state, location, "partition_counts", {})
            cached = (time.monotonic(), dict(reply["counts"]))
            _counts_cache[cache_key] = cached
        counts.update(cached[1])
    return counts


@router.get("/assets", summary="Every asset with its status and check summary")
def list_assets(request: Request, checks: str | None = Query(
        None, description="Only assets with a check in one of these results, e.g. "
                          "checks=failed,warn (passed, warn, failed, in_progress, not_run)."),
                ) -> Any:
    state = state_of(request)
    wanted = parse_buckets(checks)
    statuses = current_statuses(state)
    counts = partition_counts(state)
    summaries = check_summaries(state)
    stale = {name for name in state.workspace.names if _stale(state, name)}
    items = []
    for key, (location, asset) in state.workspace.index.assets.items():
        summary = summaries.get(key)
        if wanted is not None and (summary is None or not any(summary[b] for b in wanted)):
            continue
        partitions = asset.get("partitions")
        items.append({
            "key": key,
            "group": asset["group"],
            "kinds": asset["kinds"],
            "owners": asset["owners"],
            "deps": asset["deps"],
            "description": asset["description"],
            "is_executable": asset["is_executable"],
            "partitions": None if partitions is None else {
                "kind": partitions["type"], "count": counts.get(key)},
            **statuses[key],
            "check_summary": summary,
            "location": location,
            "location_stale": location in stale,
        })
    # Encoded directly: FastAPI's generic encoder costs more than the queries at 10,000 assets.
    return JSONResponse({"items": items, "cursor": None, "has_more": False})


@router.get("/assets/{key:path}/materializations", summary="An asset's materializations")
def asset_materializations(request: Request, key: str, limit: int | None = None,
                           cursor: str | None = None,
                           partition: str | None = None) -> dict[str, Any]:
    state = state_of(request)
    _find_or_stored(state, key)
    result = state.instance.fetch_materializations(
        AssetRecordsFilter(parse_asset_key(key),
                           asset_partitions=[partition] if partition is not None else None,
                           before_storage_id=int_cursor(cursor)),
        limit=check_limit(limit))
    items = [materialization_json(r) for r in result.records]
    return page(items, result.has_more, str(items[-1]["id"]) if items else None)


@router.get("/assets/{key:path}/partitions", summary="An asset's partitions and their status")
def asset_partitions(request: Request, key: str) -> dict[str, Any]:
    state = state_of(request)
    location, asset = find_asset(state, key)
    if asset.get("partitions") is None:
        raise ApiError(404, f"Asset {key!r} is not partitioned.")
    reply = query_with_dynamic(state, location, "partition_keys", {"asset": key})
    keys = reply["keys"] or []
    stored = state.instance.get_status_by_partition(parse_asset_key(key), keys)
    names = {"MATERIALIZED": "materialized", "FAILED": "failed", "IN_PROGRESS": "in_progress"}
    return {"keys": keys, "status": {
        k: names[s.value] if s is not None else "missing" for k, s in stored.items()}}


@router.get("/assets/{key:path}/explain", summary="Why an asset is (not) stale; what would run")
def explain_asset(request: Request, key: str, partition: str | None = None) -> dict[str, Any]:
    state = state_of(request)
    location, _ = find_asset(state, key)
    resolver = resolver_for(state)
    sections = explain(parse_asset_key(key), partition, resolver.graph, state.instance)
    return {"key": key, "partition": partition,
            "sections": [s.to_json() for s in sections] + _explain_automation(
                state, location, key, partition)}


def _explain_automation(state: ServerState, location: str, key: str,
                        partition: str | None) -> list[dict[str, Any]]:
    """The automation sections: the condition is evaluated where the user code is, on the code
    server; when it cannot be, the section says why and the other sections still show."""
    try:
        ref = dataclasses.asdict(state.instance.get_ref())
        return list(state.workspace.query(location, "explain_automation", {
            "key": key, "partition": partition, "instance": ref}))
    except (CodeServerError, HeadwaterError) as exc:
        return [{"title": "Automation", "lines": [
            f"Could not evaluate the automation condition of {key}: {exc}"],
            "data": {"verdict": "error"}}]


@router.get("/assets/{key:path}", summary="One asset: definition, latest materialization, lineage")
def get_asset(request: Request, key: str, partition: str | None = None) -> dict[str, Any]:
    state = state_of(request)
    found = _find_or_stored(state, key)
    latest = state.instance.fetch_materializations(parse_asset_key(key), limit=1).records
    if found is None:
        return _undefined_asset(state, key, latest[0] if latest else None)
    location, asset = found
    status = current_statuses(state)[key]
    if partition is not None:
        resolver = resolver_for(state)
        asset_key = parse_asset_key(key)
        causes = resolver.causes(asset_key, partition)
        status = {**status, "stale_status": resolver.status(asset_key, partition).value,
                  "stale_causes": [c.to_json() for c in causes]}
    return {
        "key": key,
        "location": location,
        "group": asset["group"],
        "description": asset["description"],
        "kinds": asset["kinds"],
        "owners": asset["owners"],
        "tags": asset.get("tags", {}),
        "code_version": asset["code_version"],
        "partitions": asset.get("partitions"),
        "io_manager_key": asset["io_manager_key"],
        "resources": asset.get("resources", []),
        "metadata": {label: _typed(v) for label, v in (asset.get("metadata") or {}).items()},
        "is_executable": asset["is_executable"],
        "op_name": asset.get("op_name"),
        "source": asset.get("source"),
        "status": status["status"],
        "stale_status": status["stale_status"],
        "stale_causes": status["stale_causes"],
        "latest_materialization": materialization_json(latest[0]) if latest else None,
        "upstream": asset["deps"],
        "downstream": sorted(state.workspace.index.children.get(key, [])),
        "checks": asset_checks(state, key, asset),
        "defined": True,
        "location_stale": _stale(state, location),
    }


def _stale(state: ServerState, location: str) -> bool:
    entry = state.workspace.entry(location)
    return bool(entry is not None and entry.stale)


def _undefined_asset(state: ServerState, key: str, latest: Any) -> dict[str, Any]:
    """An asset no loaded location defines, as far as its stored events tell."""
    return {
        "key": key, "location": None, "group": None, "description": None, "kinds": [],
        "owners": [], "tags": {}, "code_version": None, "partitions": None,
        "io_manager_key": None, "resources": [], "metadata": {}, "is_executable": False,
        "op_name": None, "source": None,
        "status": "materialized" if latest is not None else "never",
        "stale_status": None, "stale_causes": [],
        "latest_materialization": materialization_json(latest) if latest else None,
        "upstream": [], "downstream": sorted(state.workspace.index.children.get(key, [])),
        "checks": [], "defined": False, "location_stale": False,
    }


def _typed(value: Any) -> dict[str, Any]:
    return typed_value(value) if isinstance(value, dict) else {"type": "text", "value": value}


@router.post("/assets/materialize", summary="Launch the runs materializing assets")
def materialize(request: Request, body: MaterializeRequest) -> dict[str, Any]:
    state = state_of(request)
    locations = set()
    assets: dict[str, dict[str, Any]] = {}
    for key in body.keys:
        location, asset = find_asset(state, key)
        if not asset["is_executable"]:
            raise ApiError(400, f"Asset {key!r} cannot be materialized: it is a source asset "
                                "(observe it instead) or has no function.")
        locations.add(location)
        assets[key] = asset
    if len(locations) > 1:
        raise ApiError(400, f"The assets are in several code locations ({sorted(locations)}): "
                            "materialize each location's assets in its own request.")
    return launch.materialize(state, locations.pop(), assets, body.partition_key,
                              body.partition_keys)
