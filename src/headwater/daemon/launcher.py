"""Launching stored runs out of process: queue, start, cancel.

A run is stored first (NOT_STARTED, with its code origin) by `code.run.create_run`, which
needs the user's job; `submit_run` hands it to the run coordinator: with a `run_queue:`
section in headwater.yaml the run is QUEUED and `dequeue_runs` starts queued runs while the
global and per-tag limits allow (the daemon calls it; so do the webserver, `job launch
--wait` and sensors, through `submit_run`), otherwise it starts at once.

Every start is a claim in the database, so that no run is launched twice however many
processes dequeue at once: `dequeue_runs` gets from the storage the queued runs it alone
moved QUEUED -> STARTING within the limits (`Storage.claim_queued_runs`, storage/claim.py),
and `start_run` moves a NOT_STARTED run to STARTING only if it still is NOT_STARTED
(`Storage.transition_run`); a process hands a run to the run launcher only when its own
claim changed the row. The launcher (headwater.yaml `run_launcher:`, daemon/run_launcher.py;
by default a local `headwater run-worker RUN_ID` subprocess) starts the worker, which claims
the run once more (STARTING -> STARTED, daemon/worker.py), loads the code itself and
executes it; the caller returns with the run id. A launched run is tagged with its launcher's
class, so cancellation and monitoring ask that launcher about it. `cancel_run` cancels a
queued run, or one whose worker is gone, at once and asks a running one to stop
(CANCELING, then the launcher's `terminate`; its worker ends it CANCELED); a finished run is
refused.

Two instance settings make this synchronous, for tests (`instance_for_test(
synchronous_run_coordinator=True, synchronous_run_launcher=True)` sets them):
`run_coordinator: {synchronous: true}` ignores `run_queue:` (every submitted run starts at
once), and `run_launcher: {synchronous: true}` chooses `SyncInMemoryRunLauncher`, which
executes a started run in the calling process and returns once it finished.
Imports `storage`, `execution`, `errors` and this package.
"""

from __future__ import annotations

import os
import time
from typing import Any

from headwater.daemon.run_launcher import (
    ENDED,
    LaunchRunContext,
    RunLauncher,
    local_pid,
    pid_alive,
    reap_children,
    run_launcher_of,
)
from headwater.definitions.tags import RUN_LAUNCHER_TAG, RUN_WORKER_PID_TAG
from headwater.errors import HeadwaterInvalidInvocationError, HeadwaterRunNotFoundError
from headwater.execution.event import HeadwaterEvent, HeadwaterEventType
from headwater.storage.claim import IN_PROGRESS as IN_PROGRESS  # the monitor's, from here
from headwater.storage.claim import QueueLimits
from headwater.storage.record import HeadwaterRun, HeadwaterRunStatus

_ET = HeadwaterEventType
_S = HeadwaterRunStatus
__all__ = ["submit_run", "dequeue_runs", "start_run", "cancel_run", "wait_for_run",
           "pid_alive", "reap_children", "launched_by", "worker_ended", "IN_PROGRESS"]


def _event(instance: Any, run: HeadwaterRun, event_type: HeadwaterEventType, message: str) -> None:
    instance.store_event(HeadwaterEvent(event_type, run.run_id, run.job_name, time.time(),
                                        message=message))


def queue_settings(instance: Any) -> dict[str, Any] | None:
    """The run queue's settings (headwater.yaml `run_queue:`), None when runs start at once
    (no queue, or a synchronous run coordinator)."""
    get = getattr(instance, "get_settings", None)
    if not callable(get) or get("run_coordinator").get("synchronous"):
        return None
    return get("run_queue") or None


def submit_run(instance: Any, run_id: str) -> HeadwaterRunStatus:
    """Queue the run (with a run queue configured) or start it now; its new status."""
    run = _get(instance, run_id)
    if queue_settings(instance) is None:
        start_run(instance, run_id)
        return _S.STARTING
    enqueued = HeadwaterEvent(_ET.RUN_ENQUEUED, run.run_id, run.job_name, time.time(),
                              message="Run enqueued.")
    if not instance.storage.transition_run(enqueued, (_S.NOT_STARTED,)):
        raise _not_startable(_get(instance, run_id), "submitted")
    dequeue_runs(instance)
    return _get(instance, run_id).status


def dequeue_runs(instance: Any) -> list[str]:
    """Start queued runs, highest headwater/priority then oldest first, within the limits;
    the ids of the runs this call claimed and launched (no other caller launches them)."""
    limits = QueueLimits.from_settings(queue_settings(instance) or {})
    launcher = run_launcher_of(instance)  # a misconfigured launcher fails before any claim
    claimed = instance.storage.claim_queued_runs(limits, "Launching run worker.")
    for run in claimed:
        _launch(instance, run, launcher)
    return [run.run_id for run in claimed]


def start_run(instance: Any, run_id: str) -> None:
    """Claim the NOT_STARTED run (mark it STARTING) and have the run launcher start its
    worker. A run past NOT_STARTED (queued, or launched by anyone) is refused."""
    run = _get(instance, run_id)
    launcher = run_launcher_of(instance)
    starting = HeadwaterEvent(_ET.RUN_STARTING, run.run_id, run.job_name, time.time(),
                              message="Launching run worker.")
    if not instance.storage.transition_run(starting, (_S.NOT_STARTED,)):
        raise _not_startable(_get(instance, run_id), "started")
    if not _launch(instance, run, launcher):
        raise HeadwaterInvalidInvocationError(
            f"Could not start a run worker for run {run_id}: see its RUN_FAILURE event "
            f"(`headwater run logs {run_id}`).")


def _launch(instance: Any, run: HeadwaterRun, launcher: RunLauncher) -> bool:
    """Hand a run this process claimed (STARTING) to the launcher; whether it started. A
    worker that cannot be started fails the run (it would hold a queue slot otherwise)."""
    try:
        launcher.launch_run(LaunchRunContext(run))
    except Exception as exc:  # a bad working directory, no free process slot, no Docker daemon
        instance.report_run_failed(
            run, f"Could not start a run worker with {launcher!r}: {type(exc).__name__}: {exc}")
        return False
    instance.add_run_tags(run.run_id, {RUN_LAUNCHER_TAG: launcher_name(launcher)})
    return True


def launcher_name(launcher: RunLauncher) -> str:
    """How a run's tag names the launcher that started it."""
    return f"{type(launcher).__module__}.{type(launcher).__qualname__}"


def launched_by(launcher: RunLauncher, run: HeadwaterRun) -> bool:
    """Whether `launcher` (its class) started the run's worker: a run executed in its caller's
    process (`materialize`, `asset materialize`) was started by no launcher."""
    return run.tags.get(RUN_LAUNCHER_TAG) == launcher_name(launcher)


def worker_ended(launcher: RunLauncher, run: HeadwaterRun) -> str | None:
    """Why the run's worker is known to have ended, or None while it may still run."""
    if not (launched_by(launcher, run) and launcher.supports_check_run_worker_health):
        return None
    result = launcher.check_run_worker_health(run)
    if result.status not in ENDED:
        return None
    said = f": {result.msg}" if result.msg else ""
    return f"its run worker ended ({result.status.value}{said}) without finishing the run"


def _not_startable(run: HeadwaterRun, doing: str) -> HeadwaterInvalidInvocationError:
    return HeadwaterInvalidInvocationError(
        f"Run {run.run_id} is {run.status.value}, so it cannot be {doing}: only a NOT_STARTED "
        "run is, and a run is launched once. Launch a new run (or `headwater run reexecute "
        f"{run.run_id}`) to run its job again.")


def cancel_run(instance: Any, run_id: str, message: str | None = None) -> HeadwaterRunStatus:
    """Cancel a run: at once if it has not started or its worker is gone, else mark it
    CANCELING and have its launcher stop the worker (a local worker notices within a second,
    interrupts its step and ends CANCELED). `message` says why (in the CANCELING event). A finished run is refused."""
    run = _get(instance, run_id)
    if run.is_finished:
        raise HeadwaterInvalidInvocationError(
            f"Run {run_id} already finished ({run.status.value}); there is nothing to cancel.")
    launcher = run_launcher_of(instance)
    if run.status in (_S.QUEUED, _S.NOT_STARTED):
        instance.report_run_canceled(run, message or "Run canceled before it started.")
    elif _process_gone(run):
        instance.report_run_canceled(
            run, f"Run canceled: its process (pid {run.tags[RUN_WORKER_PID_TAG]}) had already "
                 "exited without finishing the run.")
    elif (ended := worker_ended(launcher, run)) is not None:
        instance.report_run_canceled(run, f"Run canceled: {ended}.")
    else:
        if run.status is not _S.CANCELING:
            _event(instance, run, _ET.RUN_CANCELING,
                   message or "Sending run cancellation request.")
        if launched_by(launcher, run):  # a run executing in its caller's process has none
            launcher.terminate(run_id)
    status = _get(instance, run_id).status
    if status in (_S.SUCCESS, _S.FAILURE):  # it finished while the request was on its way
        raise HeadwaterInvalidInvocationError(
            f"Run {run_id} finished ({status.value}) before the cancel request reached it; "
            "it was not canceled.")
    return status


def _process_gone(run: HeadwaterRun) -> bool:
    """Whether the run's process ran on this host and has exited."""
    pid = local_pid(run)
    if pid is None:
        return False
    reap_children()
    return not pid_alive(pid)


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


def _get(instance: Any, run_id: str) -> HeadwaterRun:
    run = instance.get_run_by_id(run_id)
    if run is None:
        raise HeadwaterRunNotFoundError(
            f"No run with id {run_id} in the instance: check the id with `headwater run list`.")
    return run
