"""Launching runs out of process: create, queue, start, cancel.

`create_run` stores a run (NOT_STARTED) with its code origin; `submit_run` hands it to the
run coordinator: with a `run_queue:` section in headwater.yaml the run is QUEUED and
`dequeue_runs` starts queued runs while the global and per-tag limits allow (the daemon
calls it; so does `job launch --wait`), otherwise it starts at once. `start_run` marks the
run STARTING and spawns `headwater run-worker RUN_ID`, which loads the code itself; the
caller returns with the run id. `cancel_run` cancels a queued run at once and asks a
running one to stop (CANCELING; its worker ends it CANCELED). Imports `code`, `storage`,
`execution`, `errors`.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from headwater.code.location import CodeLocationOrigin
from headwater.definitions.config.run_config import validate_run_config
from headwater.definitions.key import to_asset_key
from headwater.definitions.tags import (
    PRIORITY_TAG,
    RUN_ORIGIN_TAG,
    RUN_WORKER_HOST_TAG,
    RUN_WORKER_PID_TAG,
)
from headwater.errors import HeadwaterInvalidInvocationError, HeadwaterRunNotFoundError
from headwater.execution.event import HeadwaterEvent, HeadwaterEventType
from headwater.execution.executor import limits_allow
from headwater.execution.plan import build_plan
from headwater.execution.reconstruct import subset_asset_job
from headwater.execution.reexecution import ReexecutionOptions, reexecution_tags, select_steps
from headwater.storage.record import HeadwaterRun, HeadwaterRunStatus, RunsFilter

_ET = HeadwaterEventType
_S = HeadwaterRunStatus
IN_PROGRESS = (_S.STARTING, _S.STARTED, _S.CANCELING)
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def origin_tag(origin: CodeLocationOrigin) -> str:
    origin = origin.resolved()
    return json.dumps({k: v for k, v in (
        ("python_file", origin.python_file), ("module_name", origin.module_name),
        ("working_directory", origin.working_directory), ("attribute", origin.attribute),
        ("location_name", origin.location_name)) if v})


def origin_of(run: HeadwaterRun) -> CodeLocationOrigin:
    raw = run.tags.get(RUN_ORIGIN_TAG)
    if not raw:
        raise HeadwaterInvalidInvocationError(
            f"Run {run.run_id} has no code origin (it was not launched with `headwater job "
            "launch`), so no worker can load its job. Re-execute it from the CLI with -f/-m."
        )
    return CodeLocationOrigin(**json.loads(raw))


def create_run(instance: Any, origin: CodeLocationOrigin, job_def: Any,
               run_config: Mapping[str, Any] | None = None, tags: Mapping[str, str] | None = None,
               asset_selection: Sequence[Any] | None = None,
               reexecution_options: ReexecutionOptions | None = None) -> HeadwaterRun:
    """Store a run of `job_def` (not started) that a run worker can load from `origin`."""
    all_tags = {**{k: str(v) for k, v in (tags or {}).items()}, RUN_ORIGIN_TAG: origin_tag(origin)}
    parent = None
    if reexecution_options is not None:
        parent = instance.get_run_by_id(reexecution_options.parent_run_id)
        if parent is None:
            raise HeadwaterRunNotFoundError(
                f"No run with id {reexecution_options.parent_run_id}: check `headwater run list`.")
        all_tags = {**reexecution_tags(parent, reexecution_options), **all_tags}
        if run_config is None:
            run_config = parent.run_config
        if asset_selection is None and parent.asset_selection:
            asset_selection = sorted(parent.asset_selection)
    # The plan, built now, checks the run config before anything starts and records the
    # steps to execute (what a later re-execution from failure compares against).
    planned = subset_asset_job(job_def, list(asset_selection)) if asset_selection else job_def
    plan = build_plan(planned, None, validate_run_config(planned, dict(run_config or {})))
    steps = [s.key for s in plan.steps]
    if reexecution_options is not None and reexecution_options.step_selection is not None:
        chosen = select_steps(plan, reexecution_options.step_selection)
        steps = [k for k in steps if k in chosen]
    job_tags = {k: str(v) for k, v in (job_def.tags if job_def.run_tags is None
                                       else job_def.run_tags).items()}
    return instance.add_run(HeadwaterRun(
        job_name=job_def.name, run_id=str(uuid.uuid4()), run_config=dict(run_config or {}),
        asset_selection=frozenset(to_asset_key(k) for k in asset_selection)
        if asset_selection else None,
        step_keys_to_execute=tuple(steps), status=_S.NOT_STARTED, tags={**job_tags, **all_tags},
        parent_run_id=parent.run_id if parent else None,
        root_run_id=(parent.get_root_run_id() or parent.run_id) if parent else None,
    ))


def _event(instance: Any, run: HeadwaterRun, event_type: HeadwaterEventType, message: str) -> None:
    instance.store_event(HeadwaterEvent(event_type, run.run_id, run.job_name, time.time(),
                                        message=message))


def queue_settings(instance: Any) -> dict[str, Any] | None:
    """The run queue's settings (headwater.yaml `run_queue:`), None when runs start at once."""
    get = getattr(instance, "get_settings", None)
    settings = get("run_queue") if callable(get) else {}
    return settings or None


def submit_run(instance: Any, run_id: str) -> HeadwaterRunStatus:
    """Queue the run (with a run queue configured) or start it now; its new status."""
    run = _get(instance, run_id)
    if queue_settings(instance) is None:
        start_run(instance, run_id)
        return _S.STARTING
    _event(instance, run, _ET.RUN_ENQUEUED, "Run enqueued.")
    dequeue_runs(instance)
    return _get(instance, run_id).status


def dequeue_runs(instance: Any) -> list[str]:
    """Start queued runs, oldest (and highest headwater/priority) first, within the limits."""
    settings = queue_settings(instance) or {}
    max_runs = settings.get("max_concurrent_runs", 10)
    limits = list(settings.get("tag_concurrency_limits") or ())
    active = instance.get_runs(RunsFilter(statuses=list(IN_PROGRESS)))
    queued = instance.get_runs(RunsFilter(statuses=[_S.QUEUED]), ascending=True)
    queued.sort(key=lambda r: -int(r.tags.get(PRIORITY_TAG, 0) or 0))  # stable: oldest first
    running: dict[int, int] = {}
    for run in active:
        for i in limits_allow(limits, {}, run.tags) or ():
            running[i] = running.get(i, 0) + 1
    started: list[str] = []
    for run in queued:
        if max_runs is not None and max_runs >= 0 and len(active) + len(started) >= max_runs:
            break
        hit = limits_allow(limits, running, run.tags)
        if hit is None:
            continue
        for i in hit:
            running[i] = running.get(i, 0) + 1
        start_run(instance, run.run_id)
        started.append(run.run_id)
    return started


def start_run(instance: Any, run_id: str) -> int:
    """Mark the run STARTING and spawn its run worker; the worker's pid."""
    run = _get(instance, run_id)
    ref = instance.get_ref()
    origin = origin_of(run)
    _event(instance, run, _ET.RUN_STARTING, "Launching run worker.")
    logs = os.path.join(ref.root_directory, "logs")
    os.makedirs(logs, exist_ok=True)
    with open(os.path.join(logs, f"{run_id}.log"), "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "headwater.cli.main", "run-worker", run_id,
             "--instance-url", ref.url, "--instance-home", ref.root_directory],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=origin.working_directory or os.getcwd(), start_new_session=True,
        )
    _CHILDREN[proc.pid] = proc
    instance.add_run_tags(run_id, {RUN_WORKER_PID_TAG: str(proc.pid), RUN_WORKER_HOST_TAG: socket.gethostname()})
    return proc.pid


def cancel_run(instance: Any, run_id: str) -> HeadwaterRunStatus:
    """Cancel a run: at once if it has not started, else ask its worker to stop."""
    run = _get(instance, run_id)
    if run.is_finished:
        raise HeadwaterInvalidInvocationError(
            f"Run {run_id} already finished ({run.status.value}); there is nothing to cancel.")
    if run.status in (_S.QUEUED, _S.NOT_STARTED):
        instance.report_run_canceled(run, "Run canceled before it started.")
        return _S.CANCELED
    if run.status is not _S.CANCELING:
        _event(instance, run, _ET.RUN_CANCELING, "Sending run cancellation request.")
    return _S.CANCELING


def log_path(instance: Any, run_id: str) -> str:
    """Where the run worker's stdout and stderr go."""
    return os.path.join(instance.root_directory, "logs", f"{run_id}.log")


def wait_for_run(instance: Any, run_id: str, poll: float = 0.2, timeout: float | None = None,
                 on_poll: Any = None) -> HeadwaterRun:
    """Block until the run finishes (starting it from the queue when its turn comes)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        run = _get(instance, run_id)
        if run.is_finished:
            return run
        if run.status is _S.QUEUED:
            dequeue_runs(instance)
        if on_poll is not None:
            on_poll(run)
        if deadline is not None and time.monotonic() > deadline:
            return run
        reap_children()
        time.sleep(poll)


def reap_children() -> None:
    """Collect run workers this process started that have exited (no zombies)."""
    for pid, proc in list(_CHILDREN.items()):
        if proc.poll() is not None:
            del _CHILDREN[pid]


def _get(instance: Any, run_id: str) -> HeadwaterRun:
    run = instance.get_run_by_id(run_id)
    if run is None:
        raise HeadwaterRunNotFoundError(
            f"No run with id {run_id} in the instance: check the id with `headwater run list`.")
    return run
