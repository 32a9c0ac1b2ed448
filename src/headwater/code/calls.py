"""The calls a code server serves: a closed table from name to function.

A code server holds the user's code; the processes that talk to it (webserver, daemon, CLI)
must not be able to make it run anything else. So a request names one of the entries of
`CALLS` below, and nothing outside it: no "module:function" is ever imported on request. Each
entry is `fn(location, **params)`: the loaded `CodeLocation` and the request's JSON params,
answering plain JSON data. The server itself adds only its lifecycle (`ping`, `reload`,
`shutdown`, in server.py).

Where a call needs the caller's instance (sensors read it, dynamic partitions live in it, a
run is stored in it), the caller sends how to open it, `dataclasses.asdict(InstanceRef)`, and
it is opened once per process. Imports `code`, `definitions`, `storage`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from headwater.code import automation, evaluation, query
from headwater.code.location import CodeLocation
from headwater.code.run_config import validate_run_config as check_run_config
from headwater.code.snapshot import build_snapshot
from headwater.definitions.config import json_schema
from headwater.definitions.definitions import Definitions
from headwater.definitions.key import AssetKey
from headwater.definitions.ops.job import JobDefinition


class RequestError(Exception):
    """A request the server cannot answer (unknown call or job, bad params, code not loaded)."""

    def __init__(self, kind: str, message: str, **extra: Any):
        super().__init__(message)
        self.data = {"kind": kind, "message": message, **extra}


def definitions(location: CodeLocation) -> Definitions:
    """The location's Definitions, or its load error as a RequestError."""
    if location.definitions is None:
        error = location.error or {"kind": "load_error", "message": "Definitions are not loaded."}
        raise RequestError(**error)
    return location.definitions


def _job(location: CodeLocation, name: str) -> JobDefinition:
    defs = definitions(location)
    if not defs.has_job(name):
        jobs = ", ".join(list_jobs(location)) or "none"
        raise RequestError("bad_request", f"Location {location.name!r} has no job {name!r}. "
                                          f"Jobs: {jobs}.")
    return defs.resolve_job_def(name)


_INSTANCES: dict[tuple[str, str], Any] = {}
_INSTANCES_LOCK = threading.Lock()


def _instance(ref: Mapping[str, Any] | None) -> Any:
    """The instance `ref` (an InstanceRef as JSON) names, opened once in this process."""
    if not ref:
        return None
    # Storage (and the engine's event types) load when a call first needs an instance.
    from headwater.storage.instance import InstanceRef

    parsed = InstanceRef(ref["url"], ref["root_directory"], dict(ref.get("settings") or {}))
    with _INSTANCES_LOCK:
        key = (parsed.url, parsed.root_directory)
        if key not in _INSTANCES:
            _INSTANCES[key] = parsed.open()
        return _INSTANCES[key]


# --- the calls ---------------------------------------------------------------------------
def snapshot(location: CodeLocation) -> dict[str, Any]:
    """The definitions as JSON (code/snapshot.py), built once per load."""
    if location.snapshot is None:
        location.snapshot = build_snapshot(definitions(location), location.name)
    return location.snapshot


def list_jobs(location: CodeLocation) -> list[str]:
    return sorted(job.name for job in definitions(location).get_all_job_defs())


def run_config_schema(location: CodeLocation, job: str) -> Any:
    """The JSON Schema of a job's run config."""
    return json_schema.run_config_schema(_job(location, job))


def validate_run_config(location: CodeLocation, job: str,
                        config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return check_run_config(_job(location, job), dict(config or {}))


def evaluate_schedule(location: CodeLocation, name: str, scheduled_time: float,
                      instance: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return evaluation.evaluate_schedule(definitions(location), name, scheduled_time,
                                        instance=_instance(instance))


def evaluate_sensor(location: CodeLocation, name: str, cursor: str | None = None,
                    last_tick_time: float | None = None, last_run_key: str | None = None,
                    instance: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return evaluation.evaluate_sensor(definitions(location), name, cursor=cursor,
                                      last_tick_time=last_tick_time, last_run_key=last_run_key,
                                      instance=_instance(instance))


def evaluate_automation_sensor(location: CodeLocation, name: str, cursor: str | None = None,
                               evaluation_time: float | None = None,
                               instance: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One tick of an automation condition sensor: cursor, result trees, runs and backfills."""
    opened = _instance(instance)
    if opened is None:
        raise RequestError("bad_request", "evaluate_automation_sensor: say which instance the "
                                          "conditions read (instance=asdict(InstanceRef)).")
    try:
        return automation.evaluate_automation_sensor(definitions(location), name, cursor,
                                                     evaluation_time, instance=opened)
    except ValueError as exc:
        raise RequestError("bad_request", str(exc)) from exc


def explain_automation(location: CodeLocation, key: str, partition: str | None = None,
                       instance: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The automation sections of `asset explain` for one asset ("a/b") or check ("a/b:c")."""
    opened = _instance(instance)
    if opened is None:
        raise RequestError("bad_request", "explain_automation: say which instance to read "
                                          "(instance=asdict(InstanceRef)).")
    try:
        sections = automation.explain_automation(definitions(location), opened, key, partition,
                                                 location=location.name)
    except KeyError as exc:
        raise RequestError("bad_request", str(exc.args[0])) from exc
    return [s.to_json() for s in sections]


def plan_backfill(location: CodeLocation, job_name: str | None = None,
                  asset_selection: list[str] | None = None,
                  partition_keys: list[str] | None = None, start: str | None = None,
                  end: str | None = None, all_partitions: bool = False,
                  instance: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return evaluation.plan_backfill(
        definitions(location), job_name=job_name, asset_selection=asset_selection,
        partition_keys=partition_keys, start=start, end=end, all_partitions=all_partitions,
        instance=_instance(instance))


def partition_keys(location: CodeLocation, asset: str | None = None, job: str | None = None,
                   dynamic: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    return query.partition_keys(definitions(location), asset=asset, job=job, dynamic=dynamic)


def partition_counts(location: CodeLocation,
                     dynamic: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    return query.partition_counts(definitions(location), dynamic=dynamic)


def upstream_partitions(location: CodeLocation, asset: str, partition: str | None = None,
                        dynamic: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    return query.upstream_partitions(definitions(location), asset=asset, partition=partition,
                                     dynamic=dynamic)


def create_run(location: CodeLocation, *, instance: Mapping[str, Any], job_name: str,
               run_config: Mapping[str, Any] | None = None,
               tags: Mapping[str, str] | None = None,
               asset_selection: Sequence[str] | None = None,
               parent_run_id: str | None = None, strategy: str = "all",
               step_keys: Sequence[str] | None = None,
               asset_check_selection: Sequence[str] | None = None,
               code_server: str | None = None) -> str:
    """Store a NOT_STARTED run of `job_name` (or a re-execution of `parent_run_id`) in the
    caller's instance; its run id. The caller submits it (daemon.launcher.submit_run).
    `asset_check_selection` ("a/b:check" strings): the run evaluates exactly these checks.
    `code_server`: the address a network client reached this server at, recorded in the
    run's origin so that the run launcher has this server start the run."""
    # Run creation plans with the engine; loaded when first asked, not at server start.
    from headwater.code.run import create_run as store_run
    from headwater.execution.reexecution import ReexecutionOptions

    opened = _instance(instance)
    if opened is None:
        raise RequestError("bad_request", "create_run: say which instance stores the run "
                                          "(instance=asdict(InstanceRef)).")
    options = None
    if parent_run_id is not None:
        if strategy == "from_failure":
            options = ReexecutionOptions.from_failure(parent_run_id, opened)
        else:
            options = ReexecutionOptions(parent_run_id, list(step_keys)
                                         if strategy == "selected" and step_keys else None)
    job_def = definitions(location).resolve_job_def(job_name)
    keys = [AssetKey.from_user_string(k) for k in asset_selection] if asset_selection else None
    origin = location.origin if code_server is None else replace(location.origin,
                                                                  code_server=code_server)
    run = store_run(opened, origin, job_def,
                    dict(run_config) if run_config is not None else None, dict(tags or {}),
                    asset_selection=keys, reexecution_options=options,
                    asset_check_selection=list(asset_check_selection)
                    if asset_check_selection is not None else None)
    return run.run_id


CALLS: Mapping[str, Callable[..., Any]] = {fn.__name__: fn for fn in (
    snapshot, list_jobs, run_config_schema, validate_run_config,
    evaluate_schedule, evaluate_sensor, evaluate_automation_sensor, explain_automation,
    plan_backfill,
    partition_keys, partition_counts, upstream_partitions,
    create_run,
)}
