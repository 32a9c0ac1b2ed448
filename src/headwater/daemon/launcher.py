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
(`Storage.transition_run`); a process spawns the worker of a run only when its own claim
changed the row. The worker `headwater run-worker RUN_ID` claims the run once more
(STARTING -> STARTED, daemon/worker.py), loads the code itself and executes it; the caller
returns with the run id. `cancel_run` cancels a queued run, or one whose process is gone,
at once and asks a running one to stop (CANCELING; its process ends it CANCELED); a finished
run is refused. A thread per spawned worker waits on it, so no finished worker is left a
zombie.

Two instance settings make this synchronous, for tests (`instance_for_test(
synchronous_run_coordinator=True, synchronous_run_launcher=True)` sets them):
`run_coordinator: {synchronous: true}` ignores `run_queue:` (every submitted run starts at
once), and `run_launcher: {synchronous: true}` executes a started run in the calling process
(`worker.run_worker`), returning once it finished, instead of spawning a worker.
Imports `code`, `storage`, `execution`, `errors` and `daemon.worker`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from typing import Any

from headwater.code.run import origin_of
from headwater.daemon.worker import run_worker
from headwater.definitions.tags import RUN_WORKER_HOST_TAG, RUN_WORKER_PID_TAG
from headwater.errors import HeadwaterInvalidInvocationError, HeadwaterRunNotFoundError
from headwater.execution.event import HeadwaterEvent, HeadwaterEventType
from headwater.storage.claim import IN_PROGRESS as IN_PROGRESS  # the monitor's, from here
from headwater.storage.claim import QueueLimits
from headwater.storage.record import HeadwaterRun, HeadwaterRunStatus

_ET = HeadwaterEventType
_S = HeadwaterRunStatus
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def _event(instance: Any, run: HeadwaterRun, event_type: HeadwaterEventType, message: str) -> None:
    instance.store_event(HeadwaterEvent(event_type, run.run_id, run.job_name, time.time(),
                                        message=message))


def queue_settings(instance: Any) -> dict[str, Any] | None:
    """The run queue's settings (headwater.yaml `run_queue:`), None when runs start at once
    (no queue, or a synchronous run coordinator)."""
    if _synchronous(instance, "run_coordinator"):
        return None
    get = getattr(instance, "get_settings", None)
    settings = get("run_queue") if callable(get) else {}
    return settings or None


def _synchronous(instance: Any, section: str) -> bool:
    """Whether the instance's `run_coordinator` or `run_launcher` section says synchronous."""
    get = getattr(instance, "get_settings", None)
    return bool(callable(get) and get(section).get("synchronous"))


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
    claimed = instance.storage.claim_queued_runs(limits, "Launching run worker.")
    for run in claimed:
        _launch(instance, run)
    return [run.run_id for run in claimed]


def start_run(instance: Any, run_id: str) -> int:
    """Claim the NOT_STARTED run (mark it STARTING) and spawn its run worker; the worker's
    pid. A run past NOT_STARTED (queued, or launched by anyone) is refused."""
    run = _get(instance, run_id)
    starting = HeadwaterEvent(_ET.RUN_STARTING, run.run_id, run.job_name, time.time(),
                              message="Launching run worker.")
    if not instance.storage.transition_run(starting, (_S.NOT_STARTED,)):
        raise _not_startable(_get(instance, run_id), "started")
    pid = _launch(instance, run)
    if pid is None:
        raise HeadwaterInvalidInvocationError(
            f"Could not start a run worker for run {run_id}: see its RUN_FAILURE event "
            f"(`headwater run logs {run_id}`).")
    return pid


def _launch(instance: Any, run: HeadwaterRun) -> int | None:
    """Spawn the run worker of a run this process claimed (STARTING); its pid. A worker that
    cannot be spawned fails the run (it would hold a queue slot otherwise), and gives None.
    A synchronous launcher executes the run here instead, and returns once it finished."""
    if _synchronous(instance, "run_launcher"):
        instance.add_run_tags(run.run_id, {RUN_WORKER_PID_TAG: str(os.getpid()),
                                           RUN_WORKER_HOST_TAG: socket.gethostname()})
        run_worker(instance, run.run_id)
        return os.getpid()
    try:
        proc = _spawn_worker(instance, run)
    except Exception as exc:  # a bad working directory, no free process slot, a full disk
        instance.report_run_failed(
            run, f"Could not start a run worker: {type(exc).__name__}: {exc}")
        return None
    instance.add_run_tags(run.run_id, {RUN_WORKER_PID_TAG: str(proc.pid),
                                       RUN_WORKER_HOST_TAG: socket.gethostname()})
    return proc.pid


def _spawn_worker(instance: Any, run: HeadwaterRun) -> subprocess.Popen[bytes]:
    ref = instance.get_ref()
    origin = origin_of(run)
    logs = os.path.join(ref.root_directory, "logs")
    os.makedirs(logs, exist_ok=True)
    with open(os.path.join(logs, f"{run.run_id}.log"), "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "headwater.cli.main", "run-worker", run.run_id,
             "--instance-url", ref.url, "--instance-home", ref.root_directory],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=origin.working_directory or os.getcwd(), start_new_session=True,
        )
    _CHILDREN[proc.pid] = proc
    # A long-lived launcher (the webserver, the daemon) must wait on every worker it spawned,
    # or each finished run leaves a zombie behind; a thread per worker waits without blocking.
    threading.Thread(target=_reap, args=(proc,), name=f"reap-run-worker-{proc.pid}",
                     daemon=True).start()
    return proc


def _not_startable(run: HeadwaterRun, doing: str) -> HeadwaterInvalidInvocationError:
    return HeadwaterInvalidInvocationError(
        f"Run {run.run_id} is {run.status.value}, so it cannot be {doing}: only a NOT_STARTED "
        "run is, and a run is launched once. Launch a new run (or `headwater run reexecute "
        f"{run.run_id}`) to run its job again.")


def cancel_run(instance: Any, run_id: str, message: str | None = None) -> HeadwaterRunStatus:
    """Cancel a run: at once if it has not started or its process on this host is gone,
    else ask its process to stop (it notices within a second, interrupts its step and ends
    CANCELED). `message` says why (in the CANCELING event). A finished run is refused."""
    run = _get(instance, run_id)
    if run.is_finished:
        raise HeadwaterInvalidInvocationError(
            f"Run {run_id} already finished ({run.status.value}); there is nothing to cancel.")
    if run.status in (_S.QUEUED, _S.NOT_STARTED):
        instance.report_run_canceled(run, message or "Run canceled before it started.")
    elif _process_gone(run):
        instance.report_run_canceled(
            run, f"Run canceled: its process (pid {run.tags[RUN_WORKER_PID_TAG]}) had already "
                 "exited without finishing the run.")
    elif run.status is not _S.CANCELING:
        _event(instance, run, _ET.RUN_CANCELING, message or "Sending run cancellation request.")
    status = _get(instance, run_id).status
    if status in (_S.SUCCESS, _S.FAILURE):  # it finished while the request was on its way
        raise HeadwaterInvalidInvocationError(
            f"Run {run_id} finished ({status.value}) before the cancel request reached it; "
            "it was not canceled.")
    return status


def pid_alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie, killed but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


def _process_gone(run: HeadwaterRun) -> bool:
    """Whether the run's process ran on this host and has exited."""
    pid = run.tags.get(RUN_WORKER_PID_TAG)
    if not pid or not pid.isdigit() or run.tags.get(RUN_WORKER_HOST_TAG) != socket.gethostname():
        return False
    reap_children()
    return not pid_alive(int(pid))


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


def _reap(proc: subprocess.Popen[bytes]) -> None:
    proc.wait()
    _CHILDREN.pop(proc.pid, None)


def _get(instance: Any, run_id: str) -> HeadwaterRun:
    run = instance.get_run_by_id(run_id)
    if run is None:
        raise HeadwaterRunNotFoundError(
            f"No run with id {run_id} in the instance: check the id with `headwater run list`.")
    return run
