"""The executor contract: `submit(task, on_done)` plus `wait()`, the in-process executor, and
the scheduler that feeds executors (`execute_plan`, at the end of this module).

The scheduler decides *which* steps may run; an executor decides
*where*. It receives `StepTask`s, runs each somewhere, and calls `on_done(report)` once per
task (from `submit` itself when it runs synchronously, else from `wait`). A remote
executor's report carries what the step produced (output refs, mapping keys) so the run's
state in this process stays complete. Executors see the run only through the scheduler.
Imports `headwater.definitions` and this layer's `event`, `plan`, `retry`, `step`.

The scheduler: a run's steps handed to its executor as soon as their upstream finished.
State is a few dicts over step keys: how many upstream steps each still waits for, a ready
heap ordered by plan position (so with one step at a time the order is exactly the plan's,
priorities included), and how many parts of each step are still out (a mapped step is
expanded into one task per mapping key once its dynamic source finished). A step whose
upstream failed is not run; its downstream neither (unless the executor was configured with
`require_upstream_step_success: false` and every output the step reads was produced).
Limits: the executor's `max_concurrent` and its `tag_concurrency_limits` over op tags.
Before every step the scheduler asks `should_cancel()`; on cancel the executor stops its
in-flight tasks.

A run recorded in a persistent instance is watched while it executes (`RunWatch`, at the
end): its process and a heartbeat are recorded for run monitoring, and a cancel request
interrupts the step running in this process.
"""

from __future__ import annotations

import heapq
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from headwater.definitions.config.executor import (
    NON_EPHEMERAL_INSTANCE,
    RECONSTRUCTABLE_JOB,
    ExecutorDefinition,
    InitExecutorContext,
    multi_or_in_process_executor,
)
from headwater.definitions.config.schema import process_config
from headwater.definitions.tags import RUN_WORKER_HOST_TAG, RUN_WORKER_PID_TAG
from headwater.errors import (
    HeadwaterExecutionInterruptedError,
    HeadwaterInvalidConfigError,
    HeadwaterUnmetExecutorRequirementsError,
)
from headwater.execution import event as ev
from headwater.execution.plan import FromCollect, FromFanIn, FromStep
from headwater.execution.retry import run_step_with_retries
from headwater.execution.step import StepRunner

Ref = tuple[str, str, "str | None"]


@dataclass(slots=True)
class StepTask:
    """One step to execute (one mapping key of a mapped step), as handed to `Executor.submit`.

    Args:
        step_key: the step's key in the plan (the op's handle, e.g. `"load"`).
        mapping_key: the mapping key, for a step mapped over a dynamic output.
        key: the task's own key: the step key, with `[mapping_key]` for a mapped step.
        tags: the op's tags, which concurrency limits count.
        skipped: the steps the run skipped so far, for workers elsewhere.

    Example:
        ```python
        from headwater import InProcessExecutor, StepTask, execute_job, executor, instance_for_test
        from headwater import job, op

        seen: list[StepTask] = []

        class Recording(InProcessExecutor):
            def submit(self, task, on_done):
                seen.append(task)
                super().submit(task, on_done)

        @executor
        def recording(init_context):
            return Recording()

        @op(tags={"kind": "io"})
        def load() -> int:
            return 1

        @job(executor_def=recording)
        def loading():
            load()

        with instance_for_test() as instance:
            execute_job(loading, instance=instance)
        assert [(t.step_key, t.tags["kind"]) for t in seen] == [("load", "io")]
        ```
    """

    step_key: str
    mapping_key: str | None
    key: str
    tags: Mapping[str, Any] = field(default_factory=dict)
    # steps the run skipped so far: a worker elsewhere needs them to skip a collect whose
    # dynamic step was skipped
    skipped: frozenset[str] = frozenset()


@dataclass(slots=True)
class StepReport:
    """How a task ended, as an executor reports it to the scheduler through `on_done`.

    An executor that runs steps elsewhere adds what the step produced, so the run in this
    process knows which outputs exist.

    Args:
        task: the task that ended.
        outcome: `"SUCCESS"`, `"FAILURE"` or `"SKIPPED"`.
        produced: the outputs produced, as `(step_key, output_name, mapping_key)` refs.
        events: the step's events, for executors that return them in bulk.
        error: the error the step failed with, if any.

    Example:
        ```python
        from headwater import InProcessExecutor, StepReport, execute_job, executor
        from headwater import instance_for_test, job, op

        outcomes: list[str] = []

        class Reporting(InProcessExecutor):
            def submit(self, task, on_done):
                def done(report: StepReport) -> None:
                    outcomes.append(f"{report.task.key}: {report.outcome}")
                    on_done(report)
                super().submit(task, done)

        @executor
        def reporting(init_context):
            return Reporting()

        @op
        def load() -> int:
            return 1

        @job(executor_def=reporting)
        def loading():
            load()

        with instance_for_test() as instance:
            execute_job(loading, instance=instance)
        assert outcomes == ["load: SUCCESS"]
        ```
    """

    task: StepTask
    outcome: str  # SUCCESS | FAILURE | SKIPPED
    produced: list[Any] | None = None  # refs (step_key, output_name, mapping_key)
    events: list[ev.HeadwaterEvent] | None = None  # for executors that return events in bulk
    error: Any = None


class Executor:
    """The executor contract: run each submitted step somewhere, report each when it ends.

    The scheduler calls `start(run)`, then `submit(task, on_done)` for each step whose
    upstream finished, `wait()` while tasks are out, `terminate()` on cancel and
    `shutdown()` at the end. `submit` may run the step at once (as `InProcessExecutor`
    does) or hand it off and call `on_done` later from `wait`. `max_concurrent` and
    `tag_concurrency_limits` bound how many tasks are out at once. Return an instance from
    an `@executor` function to use it in a job (run by `execute_job` or a launched run;
    `execute_in_process` always runs in process).

    Example:
        ```python
        from headwater import Executor, InProcessExecutor, execute_job, executor
        from headwater import instance_for_test, job, op

        class Announcing(Executor):
            def __init__(self):
                self.inner = InProcessExecutor()

            def start(self, run):
                self.inner.start(run)

            def submit(self, task, on_done):
                print("running", task.step_key)
                self.inner.submit(task, on_done)

        @executor
        def announcing(init_context):
            return Announcing()

        @op
        def hello() -> str:
            return "hello"

        @job(executor_def=announcing)
        def greet():
            hello()

        with instance_for_test() as instance:
            assert execute_job(greet, instance=instance).success
        ```
    """

    max_concurrent: int = 1
    tag_concurrency_limits: Sequence[Mapping[str, Any]] = ()
    executes_in_process = True  # False: steps build their own resources where they run
    # False: a step whose upstream failed still runs if the outputs it reads were produced.
    require_upstream_step_success = True

    def start(self, run: Any) -> None:
        """Called once before the first submit."""

    def submit(self, task: StepTask, on_done: Callable[[StepReport], None]) -> None:
        raise NotImplementedError

    def wait(self) -> None:
        """Block until an in-flight task has called its `on_done`, or briefly (a fraction
        of a second) so that the scheduler can notice a cancel request."""

    def terminate(self) -> list[StepTask]:
        """Stop every in-flight task (run canceled); return the tasks stopped."""
        return []

    def shutdown(self) -> None:
        """Called once after the last task (also after a failure or cancel)."""


class InProcessExecutor(Executor):
    """The executor that runs each step in the calling process, one at a time, inside `submit`.

    What `in_process_executor` creates; `execute_in_process` and `materialize` always run
    with it, whatever the job's executor. Steps run in plan order, and a failing step's
    downstream steps are skipped. Subclass it to add behaviour around each step.

    Example:
        ```python
        from headwater import InProcessExecutor, execute_job, executor, instance_for_test, job, op

        order = []

        class Ordered(InProcessExecutor):
            def submit(self, task, on_done):
                order.append(task.step_key)
                super().submit(task, on_done)

        @executor
        def ordered(init_context):
            return Ordered()

        @op
        def first() -> int:
            return 1

        @op
        def second(n: int) -> int:
            return n + 1

        @job(executor_def=ordered)
        def chain():
            second(first())

        with instance_for_test() as instance:
            execute_job(chain, instance=instance)
        assert order == ["first", "second"]
        ```
    """

    def __init__(self) -> None:
        self.run: Any = None
        self.runner: Any = None

    def start(self, run: Any) -> None:
        self.run = run
        self.runner = StepRunner(run)

    def submit(self, task: StepTask, on_done: Callable[[StepReport], None]) -> None:
        step = self.run.plan.by_key[task.step_key]
        try:
            outcome = run_step_with_retries(self.run, self.runner, step, task.mapping_key)
        except HeadwaterExecutionInterruptedError as exc:
            outcome = "FAILURE"
            self.run.failed.append(task.key)
            self.run.step_status[task.key] = "FAILURE"
            self.run.errors[task.key] = exc
            self.run.emit(_ET.STEP_FAILURE, task.key, f'Step "{task.key}" was interrupted: {exc}',
                          ev.StepFailureData(ev.SerializableError.from_exception(exc),
                                             error_source="INTERRUPT"))
        on_done(StepReport(task, outcome))

    def __repr__(self) -> str:
        return "InProcessExecutor()"


def executor_config(executor_def: ExecutorDefinition, run_config: Mapping[str, Any]) -> Any:
    """The executor's config from run config `execution: {config: ...}` over its defaults."""
    execution = run_config.get("execution") or {}
    if not isinstance(execution, Mapping):
        raise HeadwaterInvalidConfigError(
            f"execution: expected a mapping like {{config: {{max_concurrent: 4}}}}, got "
            f"{execution!r}.", [],
        )
    raw = execution.get("config")
    if raw is None:
        # Dagster's older form: execution: {multiprocess: {config: {...}}}
        named = [k for k in execution if k != "config"]
        if len(named) == 1 and isinstance(execution[named[0]], Mapping):
            raw = {named[0]: execution[named[0]].get("config") or {}} \
                if executor_def is multi_or_in_process_executor else execution[named[0]].get("config")
    if executor_def is multi_or_in_process_executor and isinstance(raw, Mapping) and raw and \
            not set(raw) & {"multiprocess", "in_process"}:
        raw = {"multiprocess": dict(raw)}
    if executor_def.default_config:
        raw = {**executor_def.default_config, **dict(raw or {})}
    if executor_def.config_schema is None:
        return raw or {}
    return process_config(executor_def.config_schema, raw, "execution.config") or {}


def create_executor(executor_def: ExecutorDefinition, job: Any, run_config: Mapping[str, Any],
                    instance: ev.RunInstance | None, reconstructable: Any) -> Executor:
    """Build the run's executor, checking what it requires of the run."""
    config = executor_config(executor_def, run_config)
    context = InitExecutorContext(job=job, executor_def=executor_def, executor_config=config,
                                  instance=instance)
    if executor_def.executor_creation_fn is None:
        raise HeadwaterUnmetExecutorRequirementsError(
            f"executor '{executor_def.name}' has no creation function: declare it with @executor."
        )
    created = executor_def.executor_creation_fn(context)
    if isinstance(created, InProcessExecutor):
        return created
    requirements = set(getattr(created, "requirements", None) or executor_def.requirements)
    if NON_EPHEMERAL_INSTANCE in requirements and (instance is None or instance.is_ephemeral):
        raise HeadwaterUnmetExecutorRequirementsError(
            f"executor '{executor_def.name}' runs steps in other processes, which must share "
            "the run's instance: it needs a non-ephemeral instance, but this one is in memory. "
            "Pass a persistent "
            "instance (HeadwaterInstance.get() with $HEADWATER_HOME set, or instance_for_test()), "
            "or run with the in_process executor."
        )
    if RECONSTRUCTABLE_JOB in requirements and reconstructable is None:
        raise HeadwaterUnmetExecutorRequirementsError(
            f"executor '{executor_def.name}' loads job '{job.name}' in other processes, which "
            "needs to know where it is defined: call execute_job(reconstructable(job), instance) "
            "instead of execute_in_process, or launch it with `headwater job launch`."
        )
    return created


def limits_allow(limits: Sequence[Mapping[str, Any]], running: Mapping[int, int],
                 tags: Mapping[str, Any]) -> list[int] | None:
    """The indexes of the limits `tags` counts against, or None if one is full."""
    hit = []
    for i, rule in enumerate(limits):
        value = tags.get(rule["key"])
        if value is None:
            continue
        wanted = rule.get("value")
        if isinstance(wanted, Mapping):  # {applyLimitPerUniqueValue: true}
            i = hash((i, str(value)))  # noqa: PLW2901
        elif wanted is not None and str(wanted) != str(value):
            continue
        if running.get(i, 0) >= int(rule["limit"]):
            return None
        hit.append(i)
    return hit


# --- the scheduler -----------------------------------------------------------------------

_ET = ev.HeadwaterEventType


def execute_plan(run: Any, executor: Executor,
                 should_cancel: Callable[[], bool] | None = None) -> None:
    """Run every step of `run.plan` (or of `run.steps_to_execute`) on `executor`."""
    steps = run.plan.steps
    index = {s.key: i for i, s in enumerate(steps)}
    remaining = {s.key: len(s.upstream) for s in steps}
    children: dict[str, list[str]] = {}
    for s in steps:
        for up in s.upstream:
            children.setdefault(up, []).append(s.key)
    selected = run.steps_to_execute
    heap: list[tuple[int, int, str, str | None]] = [
        (index[k], 0, k, None) for k, n in remaining.items() if n == 0]
    outstanding: dict[str, int] = {}
    failed_steps: set[str] = set()
    blocked: set[str] = set()
    limits = list(executor.tag_concurrency_limits or ())
    running: dict[int, int] = {}
    held: dict[str, list[int]] = {}
    max_concurrent = max(1, executor.max_concurrent)
    inflight = 0

    def complete(key: str) -> None:
        for child in children.get(key, ()):
            remaining[child] -= 1
            if remaining[child] == 0:
                heapq.heappush(heap, (index[child], 0, child, None))

    def on_done(report: StepReport) -> None:
        nonlocal inflight
        inflight -= 1
        task = report.task
        for i in held.pop(task.key, ()):
            running[i] -= 1
        if report.produced is not None:
            run.absorb(report)
        if report.outcome == "FAILURE":
            failed_steps.add(task.step_key)
        outstanding[task.step_key] -= 1
        if outstanding[task.step_key] == 0:
            if task.step_key in failed_steps and executor.require_upstream_step_success:
                blocked.add(task.step_key)
            complete(task.step_key)

    executor.start(run)
    try:
        while heap or inflight:
            if should_cancel is not None and should_cancel():
                _cancel(run, executor)
                return
            deferred = []
            while heap and inflight < max_concurrent:
                if should_cancel is not None and inflight == 0 and should_cancel():
                    break  # an executor that runs steps inline finishes them in this loop
                entry = heapq.heappop(heap)
                idx, part, key, mapping_key = entry
                step = steps[idx]
                if part == 0:
                    if selected is not None and key not in selected:
                        complete(key)  # its outputs come from the parent run
                        continue
                    failed_up = [u for u in step.upstream if u in blocked or (
                        u in failed_steps and not _reads_only_produced(run, step, u))]
                    if failed_up:
                        blocked.add(key)
                        run.step_status[key] = "NOT_RUN"
                        run.emit(_ET.ENGINE_EVENT, key,
                                 f"Dependencies for step {key} failed "
                                 f"({', '.join(sorted(failed_up))}), so it was not run.")
                        complete(key)
                        continue
                    if step.dynamic_source is not None:
                        keys = [k for k in run.keys_for_source(step.dynamic_source)
                                if run.executes(key, k)]
                        if not keys:
                            complete(key)
                            continue
                        outstanding[key] = len(keys)
                        for j, mk in enumerate(keys, 1):
                            heapq.heappush(heap, (idx, j, key, mk))
                        continue
                    outstanding[key] = 1
                task = StepTask(key, mapping_key, f"{key}[{mapping_key}]" if mapping_key else key,
                                step.tags, frozenset(run.skipped))
                if limits:
                    hit = limits_allow(limits, running, step.tags)
                    if hit is None:
                        deferred.append(entry)
                        continue
                    for i in hit:
                        running[i] = running.get(i, 0) + 1
                    held[task.key] = hit
                inflight += 1
                executor.submit(task, on_done)
            for entry in deferred:
                heapq.heappush(heap, entry)
            if inflight:
                executor.wait()
            elif deferred:
                raise HeadwaterInvalidConfigError(
                    f"tag_concurrency_limits {limits} allow no step with tags "
                    f"{dict(steps[deferred[0][0]].tags)} to run: give each limit a value of at "
                    "least 1.", [],
                )
    finally:
        executor.shutdown()


def _reads_only_produced(run: Any, step: Any, upstream: str) -> bool:
    """Whether every output `step` reads from the (failed) step `upstream` was produced
    before it failed; what is read from a mapped or dynamic output counts as missing."""
    sources = list(step.inputs.values())
    while sources:
        source = sources.pop()
        if isinstance(source, FromFanIn):
            sources.extend(source.sources)
            continue
        if getattr(source, "step_key", None) != upstream:
            continue
        if isinstance(source, FromCollect) or (isinstance(source, FromStep) and (
                source.mapped or (upstream, source.output_name, None) not in run.produced)):
            return False
    return True


def _cancel(run: Any, executor: Executor) -> None:
    for task in executor.terminate():
        run.failed.append(task.key)
        run.step_status[task.key] = "FAILURE"
        run.emit(_ET.STEP_FAILURE, task.key,
                 f'Step "{task.key}" was stopped: the run was canceled.',
                 ev.StepFailureData(None, error_source="INTERRUPT"))
    run.canceled = True


# --- watching a run recorded in a persistent instance ------------------------------------

HEARTBEAT_INTERVAL = 1.0
# The run's status, read by its watch, that ends its execution: a cancel request, or the run
# ended from outside (run monitoring declared it dead, `report_run_failed`).
_STOPPING = {"CANCELING": "the run was canceled", "CANCELED": "the run was canceled",
             "FAILURE": "the run was ended from outside while it executed (run monitoring "
                        "declared it dead, or it was reported failed)"}


def heartbeat_key(run_id: str) -> str:
    """The key-value entry in which a run's process writes when it was last alive."""
    return f"run_heartbeat/{run_id}"


class NoWatch:
    """The watch of a run no other process can see (an ephemeral instance, a step in a worker
    process): nothing to record, nothing interrupts it."""

    def enter_user_code(self) -> None:
        return None

    def leave_user_code(self) -> None:
        return None

    def hold(self) -> None:
        return None

    def release(self) -> None:
        return None


NO_WATCH = NoWatch()


class RunWatch:
    """Keeps a run recorded in a persistent instance visible and stoppable while it executes.

    `start` tags the run with this process (pid and host) and writes a heartbeat; a thread
    then writes one every `interval` seconds and reads the run's status, so run monitoring
    can tell a live run from a killed one. Once the run is asked to stop (CANCELING) or was
    ended from outside, `canceled` is set: the scheduler runs no further step, and when the
    run executes in the main thread the step running here is interrupted. The interrupt is
    a SIGINT aimed at the main thread, which wakes it from a sleep or a blocking call; the
    handler the watch installs raises `HeadwaterExecutionInterruptedError` only while user
    code runs (`enter_user_code`), and holds it while the engine writes an event (`hold`) so
    no event is half written. A Ctrl-C with no stop pending goes to the handler that was
    installed before (KeyboardInterrupt by default).
    """

    def __init__(self, instance: Any, run_id: str, interval: float = HEARTBEAT_INTERVAL):
        self.instance = instance
        self.run_id = run_id
        self.interval = interval
        self.canceled = threading.Event()
        self.reason = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"headwater-watch-{run_id[:8]}",
                                        daemon=True)
        self._own: Any = None  # the thread's own instance (its own connections)
        self._main = threading.current_thread() is threading.main_thread()
        self._previous: Any = None
        self._user_code = 0
        self._held = 0
        self._pending = False

    def __repr__(self) -> str:
        return f"RunWatch({self.run_id!r}, interval={self.interval})"

    @classmethod
    def start_for(cls, instance: Any, run_id: str) -> RunWatch | None:
        """A started watch for a run recorded in a persistent instance, else None."""
        if instance is None or instance.is_ephemeral or not hasattr(instance, "add_run_tags"):
            return None
        return cls(instance, run_id).start()

    def start(self) -> RunWatch:
        self.instance.add_run_tags(self.run_id, {RUN_WORKER_PID_TAG: str(os.getpid()),
                                                 RUN_WORKER_HOST_TAG: socket.gethostname()})
        self._beat(self.instance)
        if self._main:
            self._previous = signal.signal(signal.SIGINT, self._on_interrupt)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        if self._main:
            signal.signal(signal.SIGINT, self._previous if self._previous is not None
                          else signal.default_int_handler)
        if self._own is not None:
            self._own.dispose()

    def should_cancel(self, also: Callable[[], bool] | None) -> Callable[[], bool]:
        """The scheduler's question: this watch's answer, or `also`'s."""
        if also is None:
            return self.canceled.is_set
        return lambda: self.canceled.is_set() or also()

    # --- the main thread ----------------------------------------------------------------
    def enter_user_code(self) -> None:
        """Before user code runs (each call pairs with `leave_user_code`, even a raising one)."""
        self._user_code += 1  # before the check: the watch thread reads it after setting
        if self.canceled.is_set():
            raise HeadwaterExecutionInterruptedError(self.reason)

    def leave_user_code(self) -> None:
        self._user_code -= 1
        if not self._user_code:
            self._pending = False  # the scheduler sees `canceled` before the next step

    def hold(self) -> None:
        self._held += 1

    def release(self) -> None:
        self._held -= 1
        if self._pending and not self._held and self._user_code:
            self._pending = False
            raise HeadwaterExecutionInterruptedError(self.reason)

    def _on_interrupt(self, signum: int, frame: Any) -> None:
        if not self.canceled.is_set():
            previous = self._previous
            if callable(previous):
                previous(signum, frame)
            elif previous != signal.SIG_IGN:
                raise KeyboardInterrupt
            return
        if self._user_code and not self._held:
            raise HeadwaterExecutionInterruptedError(self.reason)
        if self._user_code:
            self._pending = True

    # --- the watch thread ---------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                if self._own is None:
                    self._own = self.instance.get_ref().open()
                self._beat(self._own)
            except Exception:  # a busy database must not end the run  # noqa: S110
                pass

    def _beat(self, instance: Any) -> None:
        instance.storage.set_kvs({heartbeat_key(self.run_id): f"{time.time():.3f}"})
        run = instance.get_run_by_id(self.run_id)
        reason = _STOPPING.get(run.status.value) if run is not None else None
        if reason is None or self.canceled.is_set():
            return
        self.reason = reason
        self.canceled.set()
        if self._main and self._user_code and not self._stop.is_set():
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
