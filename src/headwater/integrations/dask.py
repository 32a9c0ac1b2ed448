"""`dask_executor`: a run's steps submitted to a `dask.distributed` cluster.

Install with `pip install headwater[dask]`. The run's process schedules; each step is a
dask task that loads the job (once per dask worker process, from where
`reconstructable(job)` says it lives), builds the resources, runs the step and returns its
events. Values pass between steps through the IO manager, so the workers need the
instance's storage directory (a shared filesystem, or an IO manager on object storage)
and its database. Config: `cluster: {existing: {address: "tcp://..."}}`, or
`cluster: {local: {n_workers: 2, ...}}` for a LocalCluster started for the run.
Imports `headwater.definitions` and `headwater.execution`; dask loads when a run starts.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Mapping
from typing import Any

from headwater._extras import needs_extra
from headwater.definitions.config.executor import (
    TAG_CONCURRENCY_LIMITS,
    ExecutorDefinition,
    InitExecutorContext,
    multiple_process_executor_requirements,
)
from headwater.definitions.config.schema import Field, Noneable, Permissive, Selector, Shape
from headwater.execution import event as ev
from headwater.execution.executor import Executor, StepReport, StepTask
from headwater.execution.remote import RunInit, WorkerRun, run_init_for

_ET = ev.HeadwaterEventType


class DaskExecutor(Executor):
    """Submits each step as a dask task and collects the reports as they finish."""

    executes_in_process = False

    def __init__(self, cluster: Mapping[str, Any], max_concurrent: int | None = None,
                 tag_concurrency_limits: Any = ()):
        self.cluster_config = dict(cluster or {})
        self.max_concurrent = max_concurrent or 1_000_000
        self.tag_concurrency_limits = list(tag_concurrency_limits or ())
        self.client: Any = None
        self.cluster: Any = None
        self.run: Any = None
        self.init: RunInit | None = None
        self.done: queue.Queue[tuple[Any, Callable[[StepReport], None], StepTask]] = queue.Queue()
        self.outputs: list[tuple[Any, str]] = []
        self.futures: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"DaskExecutor(cluster={self.cluster_config!r})"

    def start(self, run: Any) -> None:
        with needs_extra("dask", "the dask executor"):
            from dask.distributed import Client, LocalCluster

        self.run = run
        self.init = run_init_for(run)
        (kind, options), = (self.cluster_config or {"local": {}}).items()
        options = dict(options or {})
        if kind == "existing":
            self.client = Client(options["address"])
        else:
            self.cluster = LocalCluster(**options)
            self.client = Client(self.cluster)

    def submit(self, task: StepTask, on_done: Callable[[StepReport], None]) -> None:
        future = self.client.submit(execute_step, self.init, task, list(self.outputs),
                                    pure=False, key=f"{task.key}-{self.run.run_id}")
        self.futures[task.key] = future
        future.add_done_callback(lambda f: self.done.put((f, on_done, task)))

    def wait(self) -> None:
        try:
            future, on_done, task = self.done.get(timeout=0.25)
        except queue.Empty:
            return  # let the scheduler look for a cancel request
        self.futures.pop(task.key, None)
        try:
            report: StepReport = future.result()
        except Exception as exc:  # the dask worker died or the task could not run
            message = f'Step "{task.key}" failed on the dask cluster: {exc}'
            self.run.emit(_ET.STEP_FAILURE, task.key, message,
                          ev.StepFailureData(ev.SerializableError.from_exception(exc),
                                             error_source="FRAMEWORK_ERROR"))
            report = StepReport(task, "FAILURE", [])
        self.outputs.extend((ref, self.run.run_id) for ref in report.produced or ())
        on_done(report)

    def terminate(self) -> list[StepTask]:
        stopped = []
        for key, future in list(self.futures.items()):
            future.cancel()
            stopped.append(StepTask(key.split("[", 1)[0], None, key))
        self.futures.clear()
        return stopped

    def shutdown(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def execute_step(init: RunInit, task: StepTask, known: list[tuple[Any, str]]) -> StepReport:
    """Run one step inside a dask worker; the report carries the step's events."""
    events: list[ev.HeadwaterEvent] = []
    worker = WorkerRun(init, events.append)
    try:
        report = worker.execute(task, known)
    finally:
        worker.close()
    report.events = events
    return report


def _create(init_context: InitExecutorContext) -> DaskExecutor:
    config = dict(init_context.executor_config or {})
    return DaskExecutor(config.get("cluster") or {"local": {}}, config.get("max_concurrent"),
                        config.get("tag_concurrency_limits"))


dask_executor = ExecutorDefinition(
    name="dask",
    config_schema=Shape({
        "cluster": Field(Selector({
            "existing": Shape({"address": str}),
            "local": Field(Permissive(), is_required=False),
        }), is_required=False),
        "max_concurrent": Field(Noneable(int), is_required=False),
        "tag_concurrency_limits": TAG_CONCURRENCY_LIMITS,
    }),
    requirements=tuple(multiple_process_executor_requirements()),
    executor_creation_fn=_create,
    description="Runs each step as a task on a dask.distributed cluster.",
)
