"""The executor contract: `submit(task, on_done)` plus `wait()`, and the in-process executor.

The scheduler (`execution/scheduler.py`) decides *which* steps may run; an executor decides
*where*. It receives `StepTask`s, runs each somewhere, and calls `on_done(report)` once per
task (from `submit` itself when it runs synchronously, else from `wait`). A remote
executor's report carries what the step produced (output refs, mapping keys) so the run's
state in this process stays complete. Executors see the run only through the scheduler.
Imports `headwater.definitions` and this layer's `event`, `retry`, `step`.
"""

from __future__ import annotations

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
from headwater.errors import HeadwaterInvalidConfigError, HeadwaterUnmetExecutorRequirementsError
from headwater.execution import event as ev
from headwater.execution.retry import run_step_with_retries
from headwater.execution.step import StepRunner

Ref = tuple[str, str, "str | None"]


@dataclass(slots=True)
class StepTask:
    """One step (one mapping key of a mapped step) to execute."""

    step_key: str
    mapping_key: str | None
    key: str
    tags: Mapping[str, Any] = field(default_factory=dict)
    # steps the run skipped so far: a worker elsewhere needs them to skip a collect whose
    # dynamic step was skipped
    skipped: frozenset[str] = frozenset()


@dataclass(slots=True)
class StepReport:
    """How a task ended; remote executors add what it produced."""

    task: StepTask
    outcome: str  # SUCCESS | FAILURE | SKIPPED
    produced: list[Any] | None = None  # refs (step_key, output_name, mapping_key)
    events: list[ev.HeadwaterEvent] | None = None  # for executors that return events in bulk
    error: Any = None


class Executor:
    """Runs submitted steps and reports each through its callback."""

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
    """Runs each step in the calling process, at once, inside `submit`."""

    def __init__(self) -> None:
        self.run: Any = None
        self.runner: Any = None

    def start(self, run: Any) -> None:
        self.run = run
        self.runner = StepRunner(run)

    def submit(self, task: StepTask, on_done: Callable[[StepReport], None]) -> None:
        step = self.run.plan.by_key[task.step_key]
        outcome = run_step_with_retries(self.run, self.runner, step, task.mapping_key)
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
            "the run's instance, but the instance is ephemeral (in memory). Pass a persistent "
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
