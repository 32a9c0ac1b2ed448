"""The run worker: the process that executes one launched run (`headwater run-worker ID`).

It first takes the run (STARTING -> STARTED, a conditional update: a run another worker
has is refused, never executed twice; a run canceled meanwhile ends CANCELED), then starts a
heartbeat thread (writes `run_heartbeat/<id>` every second so `monitor_runs` can tell it is
alive, and watches for CANCELING) while it loads the job from the run's code origin itself,
and executes it with the job's executor; from then on the run's own watch
(`execution.executor.RunWatch`) heartbeats and notices a cancel. A load error ends the run
FAILURE with the error as its reason.

`python -m headwater.daemon.worker run-worker RUN_ID --instance-url URL --instance-home DIR`
is what `headwater run-worker` does without the command line's imports (click and the other
commands): the default launcher starts workers this way, or forks them from its fork server
(daemon/forkserver.py), which calls `main` in the forked child. Imports `code`, `storage`,
`execution`.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from headwater.code.loader import CodeLoadError, exits_as_load_errors
from headwater.code.run import origin_of, reconstructable_job, run_check_selection
from headwater.daemon.crash import crash_point
from headwater.definitions.tags import PARENT_RUN_ID_TAG, STEP_SELECTION_TAG
from headwater.errors import HeadwaterError, HeadwaterInvalidInvocationError
from headwater.execution.api import execute_job
from headwater.execution.event import HeadwaterEvent, HeadwaterEventType, RunFailureData
from headwater.execution.event import SerializableError as _Error
from headwater.execution.executor import HEARTBEAT_INTERVAL, heartbeat_key
from headwater.execution.reexecution import ReexecutionOptions
from headwater.storage.home import load_settings, resolve_home
from headwater.storage.instance import HeadwaterInstance
from headwater.storage.record import HeadwaterRunStatus


class Heartbeat:
    """A thread that records the worker is alive and notices a cancel request."""

    def __init__(self, instance: Any, run_id: str, interval: float = HEARTBEAT_INTERVAL):
        self.instance = instance.get_ref().open()  # its own connections, for its own thread
        self.run_id = run_id
        self.interval = interval
        self.canceled = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="headwater-heartbeat", daemon=True)

    def start(self) -> Heartbeat:
        self.beat()
        self._thread.start()
        return self

    def beat(self) -> None:
        self.instance.storage.set_kvs({heartbeat_key(self.run_id): f"{time.time():.3f}"})
        run = self.instance.get_run_by_id(self.run_id)
        if run is not None and run.status is HeadwaterRunStatus.CANCELING:
            self.canceled.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except Exception:  # a busy database must not kill the run  # noqa: S110
                pass

    def stop(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join(timeout=5)
        self.instance.dispose()


def run_worker(instance: Any, run_id: str) -> HeadwaterRunStatus:
    """Execute the stored run `run_id`; its final status."""
    run = instance.get_run_by_id(run_id)
    if run is None:
        raise CodeLoadError(f"No run with id {run_id} in the instance.")
    if not _claim(instance, run):
        run = instance.get_run_by_id(run_id)
        if run.status is HeadwaterRunStatus.CANCELING:
            instance.report_run_canceled(run, "Run canceled before its worker started.")
        elif not run.is_finished:
            raise HeadwaterInvalidInvocationError(
                f"Run {run_id} is {run.status.value}: "
                + ("another run worker has it" if run.status is HeadwaterRunStatus.STARTED
                   else "it was not launched (a run worker runs a STARTING run)")
                + "; this worker leaves it alone. Launch runs with `headwater job launch`.")
        return instance.get_run_by_id(run_id).status
    crash_point("worker_after_claim")
    heartbeat = Heartbeat(instance, run_id).start()
    try:
        origin = origin_of(run)
        recon = reconstructable_job(origin, run.job_name, run.asset_selection,
                                    run_check_selection(run))
        try:
            # code that exits while imported fails the run now, instead of ending the worker
            with exits_as_load_errors(origin.name, "while being imported"):
                recon.get()
        except Exception as exc:
            _fail(instance, run, f"Could not load job '{run.job_name}' from {recon.describe()}: "
                                 f"{type(exc).__name__}: {exc}", exc)
            return HeadwaterRunStatus.FAILURE
        parent_id = run.tags.get(PARENT_RUN_ID_TAG)
        reexecution = None
        if parent_id:
            picked = run.tags.get(STEP_SELECTION_TAG)
            reexecution = ReexecutionOptions(parent_id, picked.split(",") if picked else None)
        heartbeat.stop()  # the run's watch takes over, and sees a cancel sent meanwhile
        execute_job(recon, instance, run_config=run.run_config, tags=run.tags, run_id=run_id,
                    reexecution_options=reexecution)
        crash_point("worker_after_run")
    except Exception as exc:  # the engine itself failed: never leave the run STARTED
        _fail(instance, run, f"The run worker failed: {type(exc).__name__}: {exc}", exc)
        raise
    finally:
        heartbeat.stop()
        instance.storage.flush()
    return instance.get_run_by_id(run_id).status


def _claim(instance: Any, run: Any) -> bool:
    """Take the launched run for this process: STARTING -> STARTED in one conditional update,
    so that of two workers given one run (which the launcher's own claim already prevents)
    only one ever executes it."""
    taken = HeadwaterEvent(HeadwaterEventType.ENGINE_EVENT, run.run_id, run.job_name,
                           time.time(), message=f"Run worker (pid {os.getpid()} on "
                                                f"{socket.gethostname()}) took the run.")
    return bool(instance.storage.transition_run(taken, (HeadwaterRunStatus.STARTING,),
                                                HeadwaterRunStatus.STARTED))


def _fail(instance: Any, run: Any, message: str, exc: BaseException) -> None:
    instance.store_event(HeadwaterEvent(
        HeadwaterEventType.RUN_FAILURE, run.run_id, run.job_name, time.time(), message=message,
        payload=RunFailureData(_Error.from_exception(exc))))


def run_launched(run_id: str, instance_url: str | None = None,
                 instance_home: str | None = None) -> HeadwaterRunStatus:
    """Open the instance the launcher named (else $HEADWATER_HOME's) and execute the run
    `run_id` in it; the run's final status. The body of `headwater run-worker`."""
    if instance_url:
        home = resolve_home(instance_home)
        instance = HeadwaterInstance.from_url(instance_url, home, load_settings(home))
    else:
        instance = HeadwaterInstance.get()
    with instance:
        return run_worker(instance, run_id)


def main(argv: Sequence[str] | None = None) -> int:
    """`run-worker RUN_ID [--instance-url URL] [--instance-home DIR]`, as `headwater run-worker`
    takes them; the exit code (0 when the run succeeded or was canceled)."""
    parser = argparse.ArgumentParser(prog="python -m headwater.daemon.worker",
                                     description="Execute a launched run.")
    parser.add_argument("command", choices=["run-worker"])
    parser.add_argument("run_id")
    parser.add_argument("--instance-url", default=None)
    parser.add_argument("--instance-home", default=None)
    args = parser.parse_args(argv)
    try:
        status = run_launched(args.run_id, args.instance_url, args.instance_home)
    except HeadwaterError as exc:  # as the command line says it: one line, no traceback
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    return 0 if status in (HeadwaterRunStatus.SUCCESS, HeadwaterRunStatus.CANCELED) else 1


if __name__ == "__main__":
    # run the module proper, not this `__main__` copy of it, so that there is one `Heartbeat`
    # and one `run_worker` whoever imports them
    from headwater.daemon.worker import main as _main

    sys.exit(_main())
