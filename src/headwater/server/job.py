"""The job routes: list jobs, one job's op graph and run-config schema, validate a run
config, launch a run.

Everything comes from the code servers: the snapshot has each job's nodes and its run-config
JSON Schema; validation is a request to the code server of the job's location. The default
run config is scaffolded from the schema: every default, and each required field without one
named with no value (null), so that validation says it is missing rather than accepting a
placeholder such as "" or 0. A partitioned job launches only with a partition (a run) or a
range of partitions (a backfill). Imports `code`, `definitions` and this package.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from headwater.code.client import CodeServerError, CodeServerTimeoutError
from headwater.definitions.key import AssetKey
from headwater.server import launch
from headwater.server.state import ApiError, ServerState, query_with_dynamic, state_of
from headwater.server.workspace import LocationUnavailable

router = APIRouter(prefix="/api", tags=["jobs"])
_PATH_PREFIX = re.compile(r"^(?P<path>[A-Za-z_][\w.\[\]-]*): (?P<message>.+)$", re.S)
_AT_PATH = re.compile(r"at path (?P<path>root(?::[^\s:.]+)*)")
_NONE_GIVEN = re.compile(r"is None, but a value of type|got None\b")


class RunConfigRequest(BaseModel):
    run_config: dict[str, Any] = Field(default_factory=dict)


class LaunchRequest(BaseModel):
    run_config: dict[str, Any] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    partition_key: str | None = Field(None, description="The partition of a partitioned job.")


def _find(state: ServerState, name: str) -> tuple[str, dict[str, Any]]:
    found = state.workspace.index.jobs.get(name)
    if found is None:
        raise ApiError(404, f"No job {name!r} in any loaded code location; GET /api/jobs lists "
                            "the jobs.")
    return found


@router.get("/jobs", summary="Every job of every loaded location")
def list_jobs(request: Request) -> list[dict[str, Any]]:
    state = state_of(request)
    return [{"name": name, "location": location, "description": job.get("description"),
             "is_asset_job": job.get("is_asset_job", False),
             "asset_keys": job.get("asset_keys", []), "tags": job.get("tags", {}),
             "partitions": job.get("partitions")}
            for name, (location, job) in sorted(state.workspace.index.jobs.items())]


def graph_json(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The snapshot's nodes as {name, op, inputs: [{name, type, from}], outputs}."""
    out = []
    for node in nodes:
        inputs = []
        for item in node.get("inputs", []):
            sources = item.get("depends_on") or []
            inputs.append({
                "name": item["name"], "type": item.get("type"),
                "from": [f"{s['node']}.{s['output']}" for s in sources if "node" in s],
                "asset": item.get("asset_key"),
            })
        entry: dict[str, Any] = {
            "name": node["name"], "op": node.get("definition"), "kind": node.get("kind"),
            "description": node.get("description"), "inputs": inputs,
            "outputs": [{"name": o["name"], "type": o.get("type"),
                         "asset": o.get("asset_key"), "is_dynamic": o.get("is_dynamic", False)}
                        for o in node.get("outputs", [])],
        }
        if "nodes" in node:
            entry["nodes"] = graph_json(node["nodes"])
        out.append(entry)
    return out


def scaffold(schema: Any) -> Any:
    """A config value for a JSON Schema: its defaults, and null for each required value that
    has none (objects are opened so that their required fields show)."""
    if not isinstance(schema, dict):
        return None
    if "default" in schema:
        return schema["default"]
    if schema.get("type") == "object" or "properties" in schema:
        required = set(schema.get("required") or [])
        value = {}
        for name, sub in (schema.get("properties") or {}).items():
            if name in required or (isinstance(sub, dict) and _has_default(sub)):
                value[name] = scaffold(sub)
        return value
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return scaffold(schema[key][0])
    return None


def _has_default(schema: dict[str, Any]) -> bool:
    if "default" in schema:
        return True
    props = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    return any(name in required or (isinstance(sub, dict) and _has_default(sub))
               for name, sub in props.items())


def _schema(state: ServerState, location: str, job: dict[str, Any]) -> Any:
    if "run_config_schema" in job:
        return job["run_config_schema"]
    try:
        return state.workspace.client(location).run_config_schema(job["name"])
    except CodeServerError:
        return None


@router.get("/jobs/{name}", summary="A job's graph, run-config schema and default config")
def get_job(request: Request, name: str) -> dict[str, Any]:
    state = state_of(request)
    location, job = _find(state, name)
    schema = _schema(state, location, job)
    return {"name": name, "location": location, "description": job.get("description"),
            "is_asset_job": job.get("is_asset_job", False), "tags": job.get("tags", {}),
            "asset_keys": job.get("asset_keys", []), "partitions": job.get("partitions"),
            "graph": {"nodes": graph_json(job.get("nodes", []))},
            "run_config_schema": schema, "default_run_config": scaffold(schema) or {},
            "location_stale": _stale(state, location)}


def _stale(state: ServerState, location: str) -> bool:
    entry = state.workspace.entry(location)
    return bool(entry is not None and entry.stale)


def error_items(errors: list[Any]) -> list[dict[str, str]]:
    """Validation errors as {path, message}; the path leads a config error's message."""
    items = []
    for error in errors:
        if isinstance(error, dict):
            items.append({"path": str(error.get("path", "")),
                          "message": str(error.get("message", error))})
            continue
        text = str(error)
        match = _PATH_PREFIX.match(text)
        if match:
            items.append({"path": match["path"], "message": match["message"]})
            continue
        at = _AT_PATH.search(text)
        path = ".".join(at["path"].split(":")[1:]) if at else ""
        items.append({"path": path, "message": text})
    for item in items:
        if _NONE_GIVEN.search(item["message"]):
            item["message"] = f"Missing value: {item['message']}"
    return items


def validate(state: ServerState, location: str, name: str,
             run_config: dict[str, Any]) -> dict[str, Any]:
    try:
        reply = state.workspace.client(location).validate_run_config(name, run_config)
    except LocationUnavailable:
        raise  # a 409 that says the code does not load
    except CodeServerTimeoutError:
        raise  # no answer in time: a 504 (app.py), not a refusal
    except CodeServerError as exc:
        raise ApiError(502, f"Code location {location!r} could not validate the config of "
                            f"job {name!r}: {exc}") from exc
    return {"valid": bool(reply.get("valid")), "errors": error_items(reply.get("errors") or [])}


@router.post("/jobs/{name}/validate", summary="Check a run config against a job")
def validate_job_config(request: Request, name: str, body: RunConfigRequest) -> dict[str, Any]:
    state = state_of(request)
    location, _ = _find(state, name)
    return validate(state, location, name, body.run_config)


@router.get("/jobs/{name}/partitions", summary="A partitioned job's partitions")
def job_partitions(request: Request, name: str) -> dict[str, Any]:
    """Its partition keys, and for an asset job each partition's status over its
    partitioned assets (null for an op job)."""
    state = state_of(request)
    location, job = _find(state, name)
    if not job.get("partitions"):
        raise ApiError(404, f"Job {name!r} is not partitioned.")
    keys = query_with_dynamic(state, location, "partition_keys", {"job": name}).get("keys") or []
    status: dict[str, str] | None = None
    if job.get("is_asset_job"):
        status = _asset_job_status(state, job, keys)
    return {"keys": keys, "status": status}


_STATUS_ORDER = ("in_progress", "failed", "missing", "materialized")


def _asset_job_status(state: ServerState, job: dict[str, Any], keys: list[str]) -> dict[str, str]:
    """A partition is as far along as the least materialized of the job's partitioned assets."""
    names = {"MATERIALIZED": "materialized", "FAILED": "failed", "IN_PROGRESS": "in_progress"}
    index = state.workspace.index.assets
    status = dict.fromkeys(keys, "materialized")
    partitioned = [k for k in job.get("asset_keys", [])
                   if (index.get(k) or ("", {}))[1].get("partitions")]
    if not partitioned:
        return dict.fromkeys(keys, "missing")
    for key in partitioned:
        stored = state.instance.get_status_by_partition(AssetKey.from_user_string(key), keys)
        for partition in keys:
            found = stored.get(partition)
            value = names.get(getattr(found, "value", str(found)), "missing")
            if _STATUS_ORDER.index(value) < _STATUS_ORDER.index(status[partition]):
                status[partition] = value
    return status


@router.post("/jobs/{name}/launch", summary="Launch a run of a job")
def launch_job(request: Request, name: str, body: LaunchRequest) -> Any:
    state = state_of(request)
    launch.check_tags(body.tags)
    location, job = _find(state, name)
    tags = launch.job_partition_tags(state, location, {**job, "name": name},
                                     body.partition_key, body.tags)
    result = validate(state, location, name, body.run_config)
    if not result["valid"]:
        raise ApiError(422, f"The run config of job {name!r} is invalid: "
                            f"{len(result['errors'])} problem(s); fix them and launch again.",
                       **result)
    return {"run_id": launch.launch_job(state, location, name, body.run_config, tags)}
