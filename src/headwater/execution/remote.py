"""A run's steps executed in another process: what is sent there and what comes back.

`RunInit` is what a worker needs to rebuild the run (where the job is, config, tags, how to
open the instance). `WorkerRun` holds that rebuilt run in the worker: the job is imported
once, resources are built once, and `execute(task, known)` runs one step after taking in
the outputs other processes produced (`known`: refs and the run that wrote each, so that
the IO manager loads a parent run's values during re-execution). Values themselves never
travel: they go through the IO manager.

A step run as its own process (`headwater execute-step CALL`, what a Kubernetes Job's
container runs) gets a `StepCall` (the run's `RunInit`, the task, the outputs known so far)
encoded as one command-line argument, and answers on its stdout: one line per event, then a
line with the report (`step_output_lines` writes them, `read_step_output` parses them out
of a log that user code may have printed into too). Imports `headwater.definitions` and this
layer's `run`, `retry`, `step`, `executor`, `event`.
"""

from __future__ import annotations

import base64
import json
import os
import pickle
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from headwater.definitions.config.run_config import validate_run_config
from headwater.errors import HeadwaterError
from headwater.execution import event as ev
from headwater.execution.executor import StepReport, StepTask
from headwater.execution.plan import build_plan
from headwater.execution.retry import run_step_with_retries
from headwater.execution.run import Run, init_resources
from headwater.execution.step import StepRunner

_ET = ev.HeadwaterEventType


@dataclass(frozen=True)
class RunInit:
    """Everything a worker process needs to execute steps of one run."""

    reconstructable: Any
    run_id: str
    run_config: dict[str, Any]
    tags: dict[str, str]
    partition_key: str | None
    instance_ref: Any = None  # has .open() and .root_directory; None: no instance
    output_run_ids: dict[Any, str] = field(default_factory=dict)
    # re-execution of selected steps: (steps, mapping keys of mapped steps run in part,
    # whether an input no run produced fails its step); None: every step
    selection: tuple[set[str], dict[str, set[str]], bool] | None = None


class LazyInstance:
    """The run's instance in a worker, opened on first use beyond its storage directory.

    A `RunInstance` (execution/event.py); user code's `context.instance` reaches the rest of
    the opened instance's API through `__getattr__`.
    """

    def __init__(self, ref: Any):
        self._ref = ref
        self._opened: Any = None

    @property
    def is_ephemeral(self) -> bool:
        return False

    @property
    def root_directory(self) -> str:
        return self._ref.root_directory

    def storage_directory(self) -> str:
        return os.path.join(self._ref.root_directory, "storage")

    def get_ref(self) -> Any:
        return self._ref

    def register_run(self, run: Any) -> None:
        self._open().register_run(run)

    def store_event(self, event: ev.HeadwaterEvent) -> None:
        self._open().store_event(event)

    def flush(self) -> None:
        if self._opened is not None:
            self._opened.flush()

    def latest_materialization_target(self, asset_key: Any, partition: str | None) -> Any:
        return self._open().latest_materialization_target(asset_key, partition)

    def get_latest_data_version_record(self, key: Any, is_source: bool | None = None,
                                       partition_key: str | None = None) -> Any:
        return self._open().get_latest_data_version_record(key, is_source, partition_key)

    def get_latest_data_version_records(self, key: Any, partition_keys: Any,
                                        is_source: bool = False) -> Any:
        return self._open().get_latest_data_version_records(key, partition_keys, is_source)

    def _open(self) -> Any:
        if self._opened is None:
            self._opened = self._ref.open()
        return self._opened

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._open(), name)

    def close(self) -> None:
        if self._opened is not None:
            self._opened.dispose()


def instance_ref_of(instance: ev.RunInstance | None) -> Any:
    """How a worker opens the run's instance; None for an in-memory one (no worker can)."""
    if instance is None or instance.is_ephemeral:
        return None
    return instance.get_ref()


def run_init_for(run: Run) -> RunInit:
    return RunInit(run.reconstructable, run.run_id, dict(run.run_config), dict(run.tags),
                   run.partition_key, instance_ref_of(run.instance), dict(run.output_run_ids),
                   None if run.steps_to_execute is None else (
                       run.steps_to_execute, run.mapping_keys_to_execute,
                       run.loads_missing_inputs_strictly))


def produced_by(run: Run, task: StepTask) -> list[tuple[str, str, str | None]]:
    """The outputs the task's step produced in this process."""
    step = run.plan.by_key[task.step_key]
    refs: list[tuple[str, str, str | None]] = []
    for name, out in step.op_def.output_dict.items():
        if out.is_dynamic:
            keys = dict.fromkeys(run.mapping_keys.get((step.key, name), ()))
            refs += [(step.key, name, k) for k in keys if (step.key, name, k) in run.produced]
        elif (step.key, name, task.mapping_key) in run.produced:
            refs.append((step.key, name, task.mapping_key))
    return refs


class WorkerRun:
    """One run rebuilt in a worker process: the job loaded once, resources built once."""

    def __init__(self, init: RunInit, on_event: Callable[[ev.HeadwaterEvent], None],
                 build_resources: bool = True):
        self.instance = LazyInstance(init.instance_ref) if init.instance_ref is not None else None
        self.error: HeadwaterError | None = None
        self.teardown: Callable[[], None] = _noop
        job = init.reconstructable.get()
        resolved = validate_run_config(job, init.run_config)
        plan = build_plan(job, None, resolved)
        self.run = Run(job, plan, init.run_id, init.run_config, init.tags, self.instance,
                       init.partition_key, on_event)
        self.run.resolved_config = resolved
        if init.selection is not None:
            (self.run.steps_to_execute, self.run.mapping_keys_to_execute,
             self.run.loads_missing_inputs_strictly) = init.selection
        self.runner = StepRunner(self.run)
        if build_resources:
            try:
                self.teardown = init_resources(self.run, job, self.instance)
            except HeadwaterError as exc:
                self.error = exc
        self.error_unreported = self.error is not None
        self.run.add_known_outputs(init.output_run_ids.items())

    def execute(self, task: StepTask, known: Iterable[tuple[Any, str]] = ()) -> StepReport:
        run = self.run
        run.add_known_outputs(known)
        run.skipped |= task.skipped
        step = run.plan.by_key[task.step_key]
        setup = self._build_resources if self.error is not None else None
        outcome = run_step_with_retries(run, self.runner, step, task.mapping_key, setup)
        report = StepReport(task, outcome, produced_by(run, task))
        # Values reach other steps through the IO manager; keep nothing per step here.
        run.events.clear()
        run.captured.clear()
        run.errors.clear()
        return report

    def _build_resources(self) -> None:
        """Build the resources that failed before (raising again if they still fail): as
        in Dagster's per-step processes, a resource error fails the step's attempt. The
        failure met while the worker started is the first attempt's."""
        if self.error_unreported:
            self.error_unreported = False
            raise self.error  # type: ignore[misc]
        try:
            self.teardown = init_resources(self.run, self.run.job, self.instance)
        except HeadwaterError as exc:
            self.error = exc
            raise
        self.error = None

    def close(self) -> None:
        try:
            self.teardown()
        finally:
            if self.instance is not None:
                self.instance.close()


def _noop() -> None:
    return None


# --- one step as its own process ----------------------------------------------------------

EVENT_LINE = "headwater-step-event "
REPORT_LINE = "headwater-step-report "


@dataclass(frozen=True)
class StepCall:
    """What a process that executes one step of a run is given (`headwater execute-step`)."""

    init: RunInit
    task: StepTask
    known: list[tuple[Any, str]] = field(default_factory=list)

    def encode(self) -> str:
        """This call as one printable argument (compressed pickle, base64)."""
        return base64.b64encode(zlib.compress(pickle.dumps(self))).decode("ascii")

    @staticmethod
    def decode(text: str) -> StepCall:
        call = pickle.loads(zlib.decompress(base64.b64decode(text)))  # noqa: S301 (our own)
        if not isinstance(call, StepCall):
            raise TypeError(f"expected a StepCall, got {type(call).__name__}")
        return call


def execute_step_call(call: StepCall, write: Callable[[str], None]) -> StepReport:
    """Execute the call's step here, writing each event, then the report, as one line."""
    def emit(event: ev.HeadwaterEvent) -> None:
        write(EVENT_LINE + ev.event_to_json(event))

    try:
        worker = WorkerRun(call.init, emit)
    except Exception as exc:  # the code no longer imports, the job is gone, ...
        report = _unloadable(call, exc, emit)
        write(REPORT_LINE + json.dumps({"outcome": report.outcome, "produced": []}))
        return report
    try:
        report = worker.execute(call.task, call.known)
    finally:
        worker.close()
    write(REPORT_LINE + json.dumps({"outcome": report.outcome,
                                    "produced": [list(ref) for ref in report.produced or ()]}))
    return report


def _unloadable(call: StepCall, error: Exception,
                emit: Callable[[ev.HeadwaterEvent], None]) -> StepReport:
    """The step's start and failure when the job could not be loaded where it was to run."""
    task, init = call.task, call.init
    for event_type, message, payload in (
        (_ET.STEP_START, f'Step "{task.key}" started.', None),
        (_ET.STEP_FAILURE, f'Step "{task.key}" failed: its process could not load job '
                           f"'{init.reconstructable.job_name}': {type(error).__name__}: {error}",
         ev.StepFailureData(ev.SerializableError.from_exception(error),
                            error_source="FRAMEWORK_ERROR")),
    ):
        emit(ev.HeadwaterEvent(event_type=event_type, run_id=init.run_id,
                               job_name=init.reconstructable.job_name, timestamp=time.time(),
                               step_key=task.key, node_name=task.step_key,
                               partition=init.partition_key, message=message, payload=payload))
    return StepReport(task, "FAILURE", [])


def read_step_output(text: str, task: StepTask) -> tuple[list[ev.HeadwaterEvent], StepReport | None]:
    """The events and the report in the output of `execute_step_call`; None when the process
    ended before it reported (killed, out of memory, never started). A marker may follow text
    user code printed without a newline, so it is looked for anywhere in a line; a last line
    with no newline yet (a log read while the step runs) waits for the next read."""
    events: list[ev.HeadwaterEvent] = []
    report = None
    for line in text.split("\n")[:-1]:
        at = line.find(EVENT_LINE)
        if at >= 0:
            events.append(ev.event_from_json(line[at + len(EVENT_LINE):]))
            continue
        at = line.find(REPORT_LINE)
        if at >= 0:
            data = json.loads(line[at + len(REPORT_LINE):])
            report = StepReport(task, data["outcome"], [tuple(ref) for ref in data["produced"]])
    return events, report
