"""The multiprocess executor: a pool of worker processes for one run.

Workers start when the run starts (all at once, so their imports overlap) and live until
it ends: each imports the user code and builds the run's resources once, then executes
the steps it is sent, one at a time. Messages go over a socket pair (pickled): to the
worker `RunInit`, then `(task, outputs produced elsewhere since its last task)`, then None
to stop; from the worker `("event", event)` as the step emits them and `("done", report)`.
A worker that dies mid-step fails that step; canceling a run kills the busy workers.
Run `python -m headwater.execution.multiprocess FD` is the worker's entry point.
`api.create_builtin_executor` imports this module only for a job that uses this executor, so
that `executor` never imports it and an in-process run never loads it.
Imports `headwater.definitions` and this layer's `executor`, `remote`, `event`.
"""

from __future__ import annotations

import os
import pickle
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import Any

from headwater.execution import event as ev
from headwater.execution.executor import Executor, StepReport, StepTask
from headwater.execution.remote import RunInit, WorkerRun, run_init_for

_ET = ev.HeadwaterEventType
_STOP_TIMEOUT = 30.0
_POLL = 0.25  # wait() returns at least this often, so cancel requests are seen


class _Worker:
    def __init__(self, proc: subprocess.Popen[bytes], conn: Connection):
        self.proc = proc
        self.conn = conn
        self.task: StepTask | None = None
        self.on_done: Callable[[StepReport], None] | None = None
        self.sent = 0  # how much of the produced-outputs log this worker has seen


class MultiprocessExecutor(Executor):
    """Executes steps in up to `max_concurrent` pooled worker processes."""

    executes_in_process = False

    def __init__(self, max_concurrent: int = 0, tag_concurrency_limits: Any = ()):
        self.max_concurrent = max(1, max_concurrent or os.cpu_count() or 1)
        self.tag_concurrency_limits = list(tag_concurrency_limits or ())
        self.workers: list[_Worker] = []
        self.run: Any = None
        self.init: RunInit | None = None
        self.outputs: list[tuple[Any, str]] = []

    def __repr__(self) -> str:
        return f"MultiprocessExecutor(max_concurrent={self.max_concurrent})"

    def start(self, run: Any) -> None:
        self.run = run
        self.init = run_init_for(run)
        wanted = run.steps_to_execute if run.steps_to_execute is not None else run.plan.steps
        for _ in range(min(self.max_concurrent, max(1, len(wanted)))):
            self.workers.append(self._spawn())

    def _spawn(self) -> _Worker:
        ours, theirs = socket.socketpair()
        fd = theirs.fileno()
        proc = subprocess.Popen([sys.executable, "-m", "headwater.execution.multiprocess", str(fd)],
                                pass_fds=(fd,))
        theirs.close()
        conn = Connection(ours.detach())
        conn.send(self.init)
        return _Worker(proc, conn)

    def submit(self, task: StepTask, on_done: Callable[[StepReport], None]) -> None:
        worker = next((w for w in self.workers if w.task is None), None)
        if worker is None:
            worker = self._spawn()
            self.workers.append(worker)
        worker.task, worker.on_done = task, on_done
        known = self.outputs[worker.sent:]
        worker.sent = len(self.outputs)
        try:
            worker.conn.send((task, known))
        except OSError:
            self._lost(worker)

    def wait(self) -> None:
        finished = 0
        deadline = time.monotonic() + _POLL
        while finished == 0 and any(w.task is not None for w in self.workers):
            left = deadline - time.monotonic()
            if left <= 0:
                return  # let the scheduler look for a cancel request
            ready = wait([w.conn for w in self.workers], timeout=left)
            for worker in [w for w in self.workers if w.conn in ready]:
                try:
                    kind, payload = worker.conn.recv()
                except (EOFError, OSError):
                    finished += self._lost(worker)
                    continue
                if kind == "event":
                    self.run.forward(payload)
                elif kind == "done":
                    on_done, worker.task, worker.on_done = worker.on_done, None, None
                    self.outputs.extend((ref, self.run.run_id) for ref in payload.produced or ())
                    finished += 1
                    if on_done is not None:
                        on_done(payload)

    def _lost(self, worker: _Worker) -> int:
        """A worker's pipe closed: fail its step, drop it from the pool."""
        self.workers.remove(worker)
        worker.conn.close()
        code = worker.proc.wait()
        task, on_done = worker.task, worker.on_done
        if task is None or on_done is None:
            return 0
        message = (f'Step "{task.key}" failed: its worker process (pid '
                   f"{worker.proc.pid}) exited with code {code} before the step finished.")
        self.run.emit(_ET.STEP_FAILURE, task.key, message,
                      ev.StepFailureData(ev.SerializableError(message, "WorkerExit"),
                                         error_source="FRAMEWORK_ERROR"))
        on_done(StepReport(task, "FAILURE", []))
        return 1

    def terminate(self) -> list[StepTask]:
        stopped = []
        for worker in list(self.workers):
            if worker.task is not None:
                stopped.append(worker.task)
                worker.task = worker.on_done = None
                worker.proc.kill()
                worker.proc.wait()
                worker.conn.close()
                self.workers.remove(worker)
        return stopped

    def shutdown(self) -> None:
        for worker in self.workers:
            try:
                worker.conn.send(None)
            except OSError:
                pass
        deadline = time.monotonic() + _STOP_TIMEOUT
        live = {w.conn: w for w in self.workers}
        while live and time.monotonic() < deadline:
            ready = wait(list(live), timeout=max(0.0, deadline - time.monotonic()))
            for conn in [c for c in live if c in ready]:
                try:
                    kind, payload = conn.recv()
                except (EOFError, OSError):
                    live.pop(conn).conn.close()
                    continue
                if kind == "event":
                    self.run.forward(payload)
        for worker in self.workers:
            try:
                worker.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.proc.kill()
                worker.proc.wait()
            worker.conn.close()
        self.workers = []


def _send_event(conn: Connection, event: ev.HeadwaterEvent) -> None:
    try:
        conn.send(("event", event))
    except (pickle.PicklingError, TypeError, AttributeError):
        # A payload that cannot be pickled still leaves its message in the run's log.
        conn.send(("event", ev.HeadwaterEvent(
            event_type=event.event_type, run_id=event.run_id, job_name=event.job_name,
            timestamp=event.timestamp, step_key=event.step_key, node_name=event.node_name,
            asset_key=event.asset_key, partition=event.partition, message=event.message)))


def _failure_report(conn: Connection, init: RunInit, task: StepTask, error: BaseException) -> StepReport:
    for event_type, message, payload in (
        (_ET.STEP_START, f'Step "{task.key}" started.', None),
        (_ET.STEP_FAILURE, f'Step "{task.key}" failed: the worker could not load '
                           f"the job: {type(error).__name__}: {error}",
         ev.StepFailureData(ev.SerializableError.from_exception(error),
                            error_source="FRAMEWORK_ERROR")),
    ):
        _send_event(conn, ev.HeadwaterEvent(
            event_type=event_type, run_id=init.run_id, job_name=init.reconstructable.job_name,
            timestamp=time.time(), step_key=task.key, node_name=task.step_key,
            partition=init.partition_key, message=message, payload=payload))
    return StepReport(task, "FAILURE", [])


def worker_main(fd: int) -> None:
    """Serve one run's steps over the connection on `fd` until told to stop."""
    conn = Connection(fd)
    init: RunInit = conn.recv()
    worker: WorkerRun | None = None
    error: BaseException | None = None
    try:
        worker = WorkerRun(init, lambda event: _send_event(conn, event))
    except Exception as exc:  # the code no longer imports, the job is gone, ...
        error = exc
    try:
        while True:
            try:
                message = conn.recv()
            except EOFError:
                break
            if message is None:
                break
            task, known = message
            if worker is None:
                report = _failure_report(conn, init, task, error)  # type: ignore[arg-type]
            else:
                report = worker.execute(task, known)
            conn.send(("done", report))
    finally:
        if worker is not None:
            worker.close()
        conn.close()


if __name__ == "__main__":
    worker_main(int(sys.argv[1]))
