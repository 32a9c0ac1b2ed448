"""The code-location routes: each location's load status, its last good snapshot when its
code fails to load, and which generation of its code every process serves.

A reload here reloads the webserver's code server and bumps the location's generation in
the instance (code/generation.py); the daemon notices on its next iteration, reloads its
own code server and reports back. `GET /api/locations` shows both, so the UI can say
"webserver v3, daemon v3", or that the daemon still serves v2. Run workers import the code
afresh for each run, so they always run the file as it is when the run starts.
Imports `code` and this package.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request

from headwater.code import generation
from headwater.server.assets import status as asset_status
from headwater.server.state import ApiError, ServerState, state_of

router = APIRouter(prefix="/api", tags=["deployment"])
# A daemon report older than this means the daemon is not running (as its heartbeats).
REPORT_TOLERANCE = 60.0


def processes(state: ServerState, item: dict[str, Any]) -> dict[str, Any]:
    """The generation each process serves, beside what was requested last."""
    name = item["name"]
    if state.instance is None:
        return {"requested_generation": item["generation"], "processes": [], "in_sync": True}
    wanted = generation.requested(state.instance, name)
    requested = int(wanted["generation"]) if wanted else item["generation"]
    error = item["error"]["message"] if item["error"] else None
    rows: list[dict[str, Any]] = [{
        "process": "webserver", "generation": item["generation"],
        "snapshot_id": item["snapshot_id"], "error": error, "last": time.time(),
        "running": True, "current": item["generation"] >= requested}]
    now = time.time()
    for process, report in sorted(generation.reports(state.instance, name).items()):
        running = now - float(report.get("timestamp") or 0) < REPORT_TOLERANCE
        rows.append({"process": process, "generation": int(report.get("generation") or 0),
                     "snapshot_id": report.get("snapshot_id"), "error": report.get("error"),
                     "last": report.get("timestamp"), "running": running,
                     "current": int(report.get("generation") or 0) >= requested})
    return {"requested_generation": requested, "processes": rows,
            "in_sync": all(r["current"] for r in rows if r["running"])}


def locations(state: ServerState) -> list[dict[str, Any]]:
    return [{**item, **processes(state, item)} for item in state.workspace.locations()]


@router.get("/locations", summary="Code locations, their load status and code generations")
def list_locations(request: Request) -> list[dict[str, Any]]:
    return locations(state_of(request))


@router.post("/locations/{name}/reload", summary="Reload a code location in every process")
def reload_location(request: Request, name: str) -> dict[str, Any]:
    state = state_of(request)
    workspace = state.workspace
    if workspace.entry(name) is None:
        raise ApiError(404, f"No code location {name!r}; locations: "
                            f"{', '.join(workspace.names) or 'none'}.")
    workspace.reload(name)
    asset_status.warm(state)  # the new index's statuses, built before they are asked for
    return next(item for item in locations(state) if item["name"] == name)
