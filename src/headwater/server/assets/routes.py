"""The asset routes: the graph with statuses and check summaries, one asset (with its
checks), its history, its partitions, materializing (backfills: server/backfill.py).

Every asset's status (in_progress > failed > stale > materialized > never), staleness, latest
materialization and check summary are kept by server/assets/status.py, which says how each is
decided; `stale_status` and `stale_causes` say it precisely (for a partitioned asset: of its
latest materialized partition, or of the `?partition=` asked for).
Imports `code`, `definitions`, `storage` and this package.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from headwater.code.client import CodeServerError
from headwater.code.explain import explain
from headwater.errors import HeadwaterError
from headwater.server import launch
from headwater.server.assets.checks import asset_checks, parse_buckets
from headwater.server.assets.staleness import resolver_for
from headwater.server.assets.status import location_stale, statuses_of
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
from headwater.storage.record import AssetRecordsFilter

router = APIRouter(prefix="/api", tags=["assets"])


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


def asset_statuses(state: ServerState) -> dict[str, dict[str, Any]]:
    """{key: {"status", "stale_status", "stale_causes", "latest"}} for every asset of the
    workspace, as kept up to date by assets/status.py."""
    return statuses_of(state).statuses


@router.get("/assets", summary="Every asset with its status and check summary")
def list_assets(request: Request, checks: str | None = Query(
        None, description="Only assets with a check in one of these results, e.g. "
                          "checks=failed,warn (passed, warn, failed, in_progress, not_run)."),
                ) -> Any:
    state = state_of(request)
    wanted = parse_buckets(checks)
    view = statuses_of(state)
    if wanted is None and "gzip" in request.headers.get("accept-encoding", ""):
        return Response(view.assets_body_gzip(), media_type="application/json",
                        headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
    if wanted is None:
        body = view.assets_body()
    else:
        summaries = view.summaries
        body = view.assets_body(key for key in view.items if (
            (summary := summaries.get(key)) is not None and any(summary[b] for b in wanted)))
    # Kept serialized (status.View): encoding 10,000 items costs more than the queries.
    return Response(body, media_type="application/json")


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
    status = asset_statuses(state)[key]
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
        "location_stale": location_stale(state, location),
    }


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
