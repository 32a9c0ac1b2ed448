"""`celery_executor`: each step of a run sent to Celery workers as one task.

The run's process schedules (the engine's `execute_plan`); `CeleryExecutor.submit` sends a
step as a `headwater_celery.execute_step` task to the queue named by the op's
`headwater-celery/queue` tag, at the priority of its `headwater-celery/priority` tag plus the
run's `headwater-celery/run_priority`; `wait` collects the reports as tasks end.

Failure semantics, in the order they are checked:

- the step raises in the worker: the worker retries it under the op's RetryPolicy, as every
  executor does, and reports the outcome;
- the pool process running the step dies (SIGKILL, out of memory): Celery fails the task
  with `WorkerLostError`;
- the whole worker dies: the task stays STARTED on a host that no longer answers pings; after
  `MISSED_PINGS` unanswered pings in a row the task is revoked. If the broker first hands
  the message to another worker (RabbitMQ does at once, as the dead worker's connection
  closes), that worker finds the task's claim in the instance and runs nothing;

In the two last cases the attempt is lost: the executor records it (STEP_UP_FOR_RETRY) and
sends the step again, to any worker of the queue, while the op's RetryPolicy allows a retry;
else the step fails. Canceling the run revokes every task still out, stops the running
ones, and claims the queued ones as canceled for workers that start later.
Imports `headwater.definitions` and `headwater.execution`; celery loads when a run starts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from headwater._extras import needs_extra
from headwater.definitions.config.executor import (
    TAG_CONCURRENCY_LIMITS,
    ExecutorDefinition,
    InitExecutorContext,
    multiple_process_executor_requirements,
)
from headwater.definitions.config.schema import Field, Noneable, Permissive, Shape
from headwater.errors import HeadwaterInvalidConfigError
from headwater.execution import event as ev
from headwater.execution.executor import Executor, StepReport, StepTask
from headwater.execution.remote import RunInit, run_init_for

#: The op tag naming the queue its steps are sent to (`task_default_queue` when absent).
QUEUE_TAG = "headwater-celery/queue"
#: The op tag giving its steps' priority, 0 (lowest) to 9 (highest); 5 when absent.
PRIORITY_TAG = "headwater-celery/priority"
#: The run tag added to the priority of each of the run's steps.
RUN_PRIORITY_TAG = "headwater-celery/run_priority"

POLL_SECONDS = 0.1  # how long `wait` sleeps when no task ended, so cancel requests are seen
PING_EVERY_SECONDS = 2.0
PING_TIMEOUT_SECONDS = 1.0
MISSED_PINGS = 2  # unanswered pings in a row before a worker holding a task is declared dead

_ET = ev.HeadwaterEventType


@dataclass(slots=True)
class _Sent:
    """A task out on the broker, and what the executor knows of the worker running it."""

    task: StepTask
    on_done: Callable[[StepReport], None]
    attempt: int
    result: Any
    hostname: str | None = None
    missed: int = 0


@dataclass(slots=True)
class _Due:
    """A lost attempt's step waiting out its RetryPolicy delay before it is sent again."""

    at: float
    task: StepTask
    on_done: Callable[[StepReport], None]
    attempt: int


class CeleryExecutor(Executor):
    """Sends each step to Celery workers and collects their reports.

    Args:
        broker: the broker URL (RabbitMQ `pyamqp://...` or Redis `redis://...`).
        backend: the result backend URL (`rpc://` by default).
        include: modules every worker imports.
        config_source: further Celery settings (lowercase names).
        max_concurrent: how many steps may be out at once (no limit by default).
        tag_concurrency_limits: limits over op tags, as for the other executors.

    Example:
        ```python
        from headwater import executor, job, op
        from headwater_celery import CeleryExecutor

        @executor
        def on_redis(init_context):
            return CeleryExecutor(broker="redis://127.0.0.1:6379/0",
                                  backend="redis://127.0.0.1:6379/0")

        @op
        def hello() -> str:
            return "hello"

        @job(executor_def=on_redis)
        def greet():
            hello()

        assert greet.executor_def.name == "on_redis"
        ```
    """

    executes_in_process = False

    def __init__(self, broker: str | None = None, backend: str | None = None,
                 include: list[str] | None = None, config_source: Mapping[str, Any] | None = None,
                 max_concurrent: int | None = None, tag_concurrency_limits: Any = ()):
        self.config = {"broker": broker, "backend": backend, "include": list(include or ()),
                       "config_source": dict(config_source or {})}
        self.max_concurrent = max_concurrent or 1_000_000
        self.tag_concurrency_limits = list(tag_concurrency_limits or ())
        self.app: Any = None
        self.run: Any = None
        self.init: RunInit | None = None
        self.outputs: list[tuple[Any, str]] = []
        self.sent: dict[str, _Sent] = {}  # by Celery task id
        self.due: list[_Due] = []
        self.pulse = _Pulse(self)
        self.task_ids: list[str] = []  # every task sent, whose claims go at the end
        self.run_priority = 0

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.config.items() if v}
        return "CeleryExecutor(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    def start(self, run: Any) -> None:
        with needs_extra("celery", "the celery executor"):
            from headwater_celery.app import make_app

        self.run = run
        self.init = run_init_for(run)
        self.app = make_app(self.config)
        self.run_priority = _priority(run.tags, RUN_PRIORITY_TAG, "run", 0)
        for step in run.plan.steps:  # a bad tag fails the run before any step is sent
            _priority(step.tags, PRIORITY_TAG, f"op of step '{step.key}'", 0)
        self.pulse.start()

    def submit(self, task: StepTask, on_done: Callable[[StepReport], None]) -> None:
        self._send(task, on_done, 0, list(self.outputs))

    def _send(self, task: StepTask, on_done: Callable[[StepReport], None], attempt: int,
              known: list[tuple[Any, str]]) -> None:
        from headwater_celery.app import DEFAULT_PRIORITY, TASK_NAME, wire_priority

        queue = str(task.tags.get(QUEUE_TAG) or self.app.conf.task_default_queue)
        priority = _priority(task.tags, PRIORITY_TAG, f"op of step '{task.key}'",
                             DEFAULT_PRIORITY) + self.run_priority
        task_id = f"{self.run.run_id}-{task.key}-{attempt}"  # one task per attempt, ever
        result = self.app.send_task(TASK_NAME, args=(self.init, task, known, attempt),
                                    task_id=task_id, queue=queue,
                                    priority=wire_priority(self.app, priority))
        self.sent[task_id] = _Sent(task, on_done, attempt, result)
        self.task_ids.append(task_id)

    def wait(self) -> None:
        ended = [task_id for task_id, sent in self.sent.items() if sent.result.ready()]
        for task_id in ended:
            self._collect(self.sent.pop(task_id))
        now = time.monotonic()
        for due in [d for d in self.due if d.at <= now]:
            self.due.remove(due)
            self.run.emit(_ET.STEP_RESTARTED, due.task.key,
                          f'Step "{due.task.key}" restarted (attempt {due.attempt + 1}).')
            self._send(due.task, due.on_done, due.attempt, list(self.outputs))
        if self.sent:
            self._check_workers()
        if not ended:
            time.sleep(POLL_SECONDS)

    def _collect(self, sent: _Sent) -> None:
        try:
            report: StepReport | None = sent.result.get(propagate=True, disable_sync_subtasks=False)
        except Exception as exc:  # the pool process died, or the task could not run
            self._lost(sent, f"its Celery task failed with {type(exc).__name__}: {exc}", exc)
            return
        if report is None:  # the broker's copy of a task a dead worker took; it ran nothing
            self._lost(sent, "its worker died, and the broker delivered the task again", None)
            return
        self.outputs.extend((ref, self.run.run_id) for ref in report.produced or ())
        sent.on_done(report)

    def _check_workers(self) -> None:
        """Hand the workers running tasks to the pinging thread; give up the tasks of those
        it found silent."""
        for sent in self.sent.values():
            if sent.hostname is None and sent.result.state == "STARTED":
                info = sent.result.info  # the report instead, if the task ended meanwhile
                sent.hostname = info.get("hostname") if isinstance(info, dict) else None
        dead = self.pulse.watch({s.hostname for s in self.sent.values() if s.hostname})
        for task_id, sent in list(self.sent.items()):
            if sent.hostname in dead and not sent.result.ready():
                del self.sent[task_id]
                self.app.control.revoke(task_id)
                self._lost(sent, f"its worker {sent.hostname} stopped answering pings "
                                 f"({MISSED_PINGS} in a row)", None)

    def _lost(self, sent: _Sent, why: str, exc: BaseException | None) -> None:
        """The attempt ended without a report: retry it if the op's RetryPolicy allows."""
        task = sent.task
        error = ev.SerializableError.from_exception(exc or RuntimeError(why))
        if sent.attempt == 0:
            # The attempt's own events, its STEP_START among them, were to come back with its
            # report; record that the step did start, so that its history reads whole.
            self.run.emit(_ET.STEP_START, task.key,
                          f'Step "{task.key}" started (on {sent.hostname or "a worker"}, whose '
                          "events of this attempt were lost with it).")
        policy = self.run.plan.by_key[task.step_key].retry_policy
        if policy is not None and sent.attempt < policy.max_retries:
            attempt = sent.attempt + 1
            wait = policy.calculate_delay(attempt) or None
            self.run.emit(_ET.STEP_UP_FOR_RETRY, task.key,
                          f'Step "{task.key}" was lost ({why}); retrying'
                          + (f" in {wait} seconds on any worker of its queue." if wait
                             else " now on any worker of its queue."),
                          ev.StepRetryData(error, attempt, wait))
            self.due.append(_Due(time.monotonic() + (wait or 0), task, sent.on_done, attempt))
            return
        self.run.emit(_ET.STEP_FAILURE, task.key, f'Step "{task.key}" was lost ({why}), and its RetryPolicy allows '
                      "no further attempt.",
                      ev.StepFailureData(error, error_source="FRAMEWORK_ERROR"))
        sent.on_done(StepReport(task, "FAILURE", []))

    def terminate(self) -> list[StepTask]:
        """Revoke every task still out (the running ones get SIGTERM). A revoke reaches only
        the workers alive now, so each task not yet taken is also claimed as canceled: a
        worker that starts later and receives it runs nothing."""
        from headwater_celery.app import CANCELED, claim_key

        stopped = [sent.task for sent in self.sent.values()] + [d.task for d in self.due]
        if self.sent:
            self.app.control.revoke(list(self.sent), terminate=True, signal="SIGTERM")
            for task_id in self.sent:
                self.run.instance.storage.swap_kv(claim_key(task_id), None, CANCELED)
        self.sent.clear()
        self.due.clear()
        return stopped

    def shutdown(self) -> None:
        self.pulse.stop()
        self._release_claims()
        if self.app is not None:
            self.app.close()

    def _release_claims(self) -> None:
        """Delete the claims workers recorded for this run's tasks: they guard against a
        broker's second delivery while the run executes, and are noise after it."""
        from headwater_celery.app import CANCELED, claim_key

        instance = self.run.instance if self.run is not None else None
        if instance is None or not self.task_ids:
            return
        keys = [claim_key(task_id) for task_id in self.task_ids]
        for key, holder in instance.storage.get_kvs(keys).items():
            if holder != CANCELED:  # a task of a canceled run may still wait in its queue
                instance.storage.swap_kv(key, holder, None)


class _Pulse:
    """A thread that pings the workers running the run's tasks, so that `wait` never blocks
    on a ping: it counts each worker's unanswered pings in a row, and `watch` reads who is
    silent past `MISSED_PINGS`."""

    def __init__(self, executor: CeleryExecutor):
        self.executor = executor
        self.lock = threading.Lock()
        self.hosts: set[str] = set()
        self.missed: dict[str, int] = {}
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._loop, name="headwater-celery-pulse",
                                       daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=PING_TIMEOUT_SECONDS + PING_EVERY_SECONDS)

    def watch(self, hosts: set[str]) -> set[str]:
        """Watch these hosts from now on; return those found dead."""
        with self.lock:
            self.hosts = set(hosts)
            return {h for h in hosts if self.missed.get(h, 0) >= MISSED_PINGS}

    def _loop(self) -> None:
        while not self.stopping.wait(PING_EVERY_SECONDS):
            with self.lock:
                hosts = sorted(self.hosts)
            if not hosts:
                continue
            try:
                replies = self.executor.app.control.ping(destination=hosts,
                                                         timeout=PING_TIMEOUT_SECONDS)
            except Exception:  # a broker hiccup is no proof of a death  # noqa: S112
                continue
            alive = {name for reply in replies for name in reply}
            with self.lock:
                for host in hosts:
                    self.missed[host] = 0 if host in alive else self.missed.get(host, 0) + 1


def _priority(tags: Mapping[str, Any], key: str, owner: str, default: int) -> int:
    value = tags.get(key)
    if value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise HeadwaterInvalidConfigError(
            f"tag '{key}' of the {owner} is {value!r}: give an integer priority, 0 (lowest) to "
            "9 (highest).", []) from None


def _create(init_context: InitExecutorContext) -> CeleryExecutor:
    config = dict(init_context.executor_config or {})
    return CeleryExecutor(config.get("broker"), config.get("backend"), config.get("include"),
                          config.get("config_source"), config.get("max_concurrent"),
                          config.get("tag_concurrency_limits"))


CELERY_CONFIG = Shape({
    "broker": Field(Noneable(str), is_required=False,
                    description="The broker URL; RabbitMQ on $HEADWATER_CELERY_BROKER_HOST "
                                "(localhost) by default."),
    "backend": Field(Noneable(str), is_required=False,
                     description="The result backend URL; rpc:// by default."),
    "include": Field([str], is_required=False, description="Modules every worker imports."),
    "config_source": Field(Noneable(Permissive()), is_required=False,
                           description="Further Celery settings, by their lowercase names."),
    "max_concurrent": Field(Noneable(int), is_required=False,
                            description="How many steps may be out at once; no limit by default."),
    "tag_concurrency_limits": TAG_CONCURRENCY_LIMITS,
})

celery_executor = ExecutorDefinition(
    name="celery",
    config_schema=CELERY_CONFIG,
    requirements=tuple(multiple_process_executor_requirements()),
    executor_creation_fn=_create,
    description="Runs each step as a Celery task on the workers of its queue.",
)
"""The executor that runs each step as a Celery task: `@job(executor_def=celery_executor)`.

Config (run config `execution: config:` or `celery_executor.configured({...})`): `broker`,
`backend`, `include`, `config_source`, `max_concurrent`, `tag_concurrency_limits`. Steps go
to the queue of their op's `headwater-celery/queue` tag at the priority of its
`headwater-celery/priority` tag plus the run's `headwater-celery/run_priority`; workers are
started with `headwater-celery worker start`. A lost attempt (its process or its worker died)
is retried under the op's RetryPolicy. See docs/integrations/celery.md.
"""
