"""Schedule and sensor evaluation, and backfill planning, inside the code server (the daemon
never runs user code). Served by the code server's call table (`code/calls.py`).

Evaluations answer JSON: {"run_requests": [{run_key, run_config, tags, job_name,
partition_key, asset_selection}], "skip_message", "cursor", "dynamic_partitions_requests",
"asset_events" (sensors: runless materializations, observations, check evaluations)} or,
when user code raised, {"error": {"kind": "user_code_error", "message", "traceback"}}.
`instance` is the caller's instance, opened in this process (sensors read it; dynamic
partitions live in it), or None. A run request for a partition its target lacks fails the
tick (`_check_partitions`). Imports `definitions` and `execution.partition`.
"""

from __future__ import annotations

import traceback
from datetime import datetime, timezone
from typing import Any

from headwater.definitions.assets.job import IMPLICIT_JOB, subset_asset_job
from headwater.definitions.automation.schedule import ScheduleDefinition, build_schedule_context
from headwater.definitions.automation.sensor import SensorEvaluationContext
from headwater.definitions.definitions import Definitions
from headwater.definitions.key import AssetKey
from headwater.definitions.partitions.backfill_policy import runs_per_range
from headwater.definitions.partitions.base import PartitionKeyRange
from headwater.definitions.run_request import PendingPartitions
from headwater.definitions.tags import PARTITION_TAG
from headwater.errors import HeadwaterError
from headwater.execution.event import payload_to_jsonable
from headwater.execution.partition import check_run_partition


def _error(exc: BaseException) -> dict[str, Any]:
    return {"error": {"kind": "user_code_error", "message": f"{type(exc).__name__}: {exc}",
                      "traceback": "".join(traceback.format_exception(exc))}}


def _requests_json(evaluation: Any, default_job: str | None) -> list[dict[str, Any]]:
    out = []
    for request in evaluation.run_requests:
        data = request.to_json()
        if data["job_name"] is None:
            data["job_name"] = default_job if request.asset_selection is None else IMPLICIT_JOB
        out.append(data)
    return out


def _check_partitions(defs: Definitions, kind: str, name: str, evaluation: Any,
                      requests: list[dict[str, Any]], instance: Any) -> dict[str, Any] | None:
    """An error reply naming the schedule or sensor, the run key and the partition, when a
    run request asks for a partition its target does not have (counting the dynamic
    partitions the same tick adds); None when every request is fine. Checked here, where
    the jobs are, so that a bad request fails the tick and creates no run."""
    store = PendingPartitions(instance, getattr(evaluation, "dynamic_partitions_requests", ()))
    for data in requests:
        tags = data.get("tags") or {}
        key = data.get("partition_key")
        if key is None and PARTITION_TAG not in tags:
            continue
        try:
            job = defs.resolve_job_def(data["job_name"]) if data.get("job_name") else None
            if job is not None and data.get("asset_selection") is not None:
                job = subset_asset_job(job, data["asset_selection"])
        except HeadwaterError:
            continue  # an unknown target fails the run request where it is launched
        if job is None:
            continue
        try:
            check_run_partition(job, key, tags, store)
        except HeadwaterError as exc:
            run_key = f" (run key {data['run_key']!r})" if data.get("run_key") else ""
            shown = key if key is not None else tags.get(PARTITION_TAG)
            return {"error": {
                "kind": "partition_error",
                "message": f"{kind} '{name}' requested a run of partition {shown!r}{run_key}, "
                           f"which cannot run: {exc} No run was created for this tick.",
                "traceback": ""}}
    return None


def evaluate_schedule(defs: Definitions, name: str, scheduled_time: float,
                      instance: Any = None) -> dict[str, Any]:
    schedule: ScheduleDefinition = defs.resolve_schedule_def(name)
    tz = schedule.execution_timezone
    when = datetime.fromtimestamp(scheduled_time, timezone.utc)
    if tz:
        from zoneinfo import ZoneInfo

        when = when.astimezone(ZoneInfo(tz))
    try:
        with build_schedule_context(instance=instance, scheduled_execution_time=when,
                                    resources=defs.resources, definitions=defs) as context:
            evaluation = schedule.evaluate_tick(context)
    except Exception as exc:
        return _error(exc)
    requests = _requests_json(evaluation, schedule.job_name)
    problem = _check_partitions(defs, "Schedule", name, evaluation, requests, instance)
    if problem is not None:
        return problem
    return {**evaluation.to_json(), "run_requests": requests}


def evaluate_sensor(defs: Definitions, name: str, cursor: str | None = None,
                    last_tick_time: float | None = None, last_run_key: str | None = None,
                    instance: Any = None) -> dict[str, Any]:
    sensor = defs.resolve_sensor_def(name)
    try:
        with SensorEvaluationContext(
                instance=instance, cursor=cursor, sensor_name=name,
                last_tick_completion_time=last_tick_time, last_run_key=last_run_key,
                resources=defs.resources, definitions=defs) as context:
            evaluation = sensor.evaluate_tick(context)
        names = sensor.job_names
    except Exception as exc:
        return _error(exc)
    requests = _requests_json(evaluation, names[0] if len(names) == 1 else None)
    problem = _check_partitions(defs, "Sensor", name, evaluation, requests, instance)
    if problem is not None:
        return problem
    return {**evaluation.to_json(), "run_requests": requests,
            "asset_events": [payload_to_jsonable(e) for e in evaluation.asset_events]}


def plan_backfill(defs: Definitions, job_name: str | None = None,
                  asset_selection: list[str] | None = None,
                  partition_keys: list[str] | None = None, start: str | None = None,
                  end: str | None = None, all_partitions: bool = False,
                  instance: Any = None) -> dict[str, Any]:
    """The partition keys a backfill covers, in order, and whether its assets ask for a single
    run over the range (BackfillPolicy.single_run())."""
    graph = defs.resolve_asset_graph()
    if job_name:
        job = defs.resolve_job_def(job_name)
        partitions_def = job.partitions_def
        assets = list(job.asset_layer.assets_defs) if job.is_asset_job else []
    else:
        keys = [AssetKey.from_user_string(k) for k in asset_selection or []]
        assets = [graph.assets_def_by_key[k] for k in keys]
        defs_found = {a.partitions_def for a in assets if a.partitions_def is not None}
        if len(defs_found) != 1:
            raise ValueError("A backfill of assets needs them all to share one partitions_def; "
                             f"found {len(defs_found)}.")
        partitions_def = defs_found.pop()
    if partitions_def is None:
        raise ValueError(f"job {job_name!r} is not partitioned, so it cannot be backfilled; "
                         "give it (or its assets) a partitions_def.")
    every = list(partitions_def.get_partition_keys(dynamic_partitions_store=instance))
    if partition_keys:
        unknown = [k for k in partition_keys if k not in set(every)]
        if unknown:
            raise ValueError(f"unknown partition keys {unknown[:5]}; valid keys run from "
                             f"{every[0] if every else '-'} to {every[-1] if every else '-'}.")
        chosen = [k for k in every if k in set(partition_keys)]
    elif start or end:
        chosen = list(partitions_def.get_partition_keys_in_range(
            PartitionKeyRange(start or every[0], end or every[-1]),
            dynamic_partitions_store=instance))
    elif all_partitions:
        chosen = every
    else:
        raise ValueError("say which partitions to backfill: --partitions, --from/--to or --all.")
    per_run = runs_per_range([getattr(a, "backfill_policy", None) for a in assets])
    return {"partition_keys": chosen, "single_run": per_run is None,
            "max_partitions_per_run": per_run}

