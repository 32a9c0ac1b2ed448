"""The Celery app that carries steps: its settings, and the task a worker runs for a step.

`make_app(config)` builds the app from the executor's config (`broker`, `backend`,
`include`, `config_source`); the run's process and the workers build it from the same
config, so they agree on the broker, the serializer and the task's name. The task,
`headwater_celery.execute_step`, rebuilds the run in the worker from its `RunInit` (where the
job is defined, the run config, how to open the instance), runs one step and returns the
`StepReport` with the step's events. Values never travel through Celery: they go through the
run's IO manager, so every worker needs the instance's storage and database.

Delivery is "at most once per attempt": the message is acknowledged when the task ends
(`acks_late`) so a worker that dies holding it gives it back to the broker, and the task
records its claim (the worker's name) in the instance before it runs the step. A copy
delivered again finds the claim and runs nothing: it reports the attempt lost if the
claiming worker no longer answers, and stays silent if it does (a Redis redelivery after
`visibility_timeout` of a step still running).

`app` is an app built from the defaults and `HEADWATER_CELERY_BROKER` /
`HEADWATER_CELERY_BACKEND`, for `celery -A headwater_celery.app worker`.
Imports `headwater.execution`; celery loads with this module.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from headwater._extras import needs_extra
from headwater.execution import event as ev
from headwater.execution.executor import StepReport, StepTask
from headwater.execution.remote import RunInit, WorkerRun

with needs_extra("celery", "headwater_celery"):
    from celery import Celery, Task

_log = logging.getLogger(__name__)
CANCELED = "canceled"  # the claim the executor puts on the tasks of a canceled run
TASK_NAME = "headwater_celery.execute_step"
DEFAULT_BROKER = "pyamqp://guest@{host}//"
DEFAULT_BACKEND = "rpc://"
DEFAULT_QUEUE = "headwater"
DEFAULT_PRIORITY = 5
MAX_PRIORITY = 10

# Settings every headwater app starts from; `config_source` overrides them one by one.
APP_SETTINGS: dict[str, Any] = {
    # RunInit holds the job's location and the instance's, which JSON cannot carry.
    "task_serializer": "pickle",
    "result_serializer": "pickle",
    "accept_content": ["pickle"],
    "task_acks_late": True,
    # A pool process killed mid-step fails the task (WorkerLostError) rather than handing
    # the message back: the executor counts the attempt and retries under the op's policy.
    "task_reject_on_worker_lost": False,
    "task_track_started": True,  # STARTED carries the worker's hostname, for liveness checks
    "worker_prefetch_multiplier": 1,  # a worker holds only the step it runs
    "task_default_queue": DEFAULT_QUEUE,
    "task_default_priority": DEFAULT_PRIORITY,
    "task_queue_max_priority": MAX_PRIORITY,
    "result_extended": True,
    "broker_connection_retry_on_startup": True,
}


def broker_url(config: Mapping[str, Any]) -> str:
    """The broker of `config`, else RabbitMQ on `HEADWATER_CELERY_BROKER_HOST` (localhost)."""
    return config.get("broker") or DEFAULT_BROKER.format(
        host=os.environ.get("HEADWATER_CELERY_BROKER_HOST", "localhost"))


def make_app(config: Mapping[str, Any] | None = None) -> Celery:
    """A Celery app for the executor's config, with the step task registered.

    Args:
        config: the `celery_executor` config: `broker`, `backend`, `include` (modules every
            worker imports) and `config_source` (Celery settings, lowercase names).

    Returns:
        The app; the run's process sends steps with it and `headwater-celery worker start`
        runs workers of it.
    """
    config = dict(config or {})
    app = Celery("headwater", broker=broker_url(config),
                 backend=config.get("backend") or DEFAULT_BACKEND,
                 include=list(config.get("include") or ()))
    app.conf.update({**APP_SETTINGS, **dict(config.get("config_source") or {})})
    if is_redis(app.conf.broker_url):
        # Redis has no priority queues: kombu keeps a list per priority step and reads the
        # lowest step first, so the sent priority is turned around (see `wire_priority`).
        options = {"priority_steps": list(range(MAX_PRIORITY))}
        app.conf.broker_transport_options = {**options,
                                             **dict(app.conf.broker_transport_options or {})}
    app.task(bind=True, name=TASK_NAME)(execute_step)
    return app


def is_redis(url: str) -> bool:
    return url.startswith(("redis://", "rediss://", "redis+socket://"))


def wire_priority(app: Celery, priority: int) -> int:
    """The priority Celery sends for a headwater priority (higher runs first, 0 to 9)."""
    priority = max(0, min(MAX_PRIORITY - 1, priority))
    return MAX_PRIORITY - 1 - priority if is_redis(app.conf.broker_url) else priority


def claim_key(task_id: str) -> str:
    """The key-value entry in which the worker that took a task records it."""
    return f"headwater_celery/claim/{task_id}"


def execute_step(self: Task, init: RunInit, task: StepTask, known: list[tuple[Any, str]],
                 first_attempt: int = 0) -> StepReport | None:
    """Run one step of a stored run in this worker.

    Returns the step's report, or None when this delivery is a copy of one that a worker
    which has since died took: that attempt is lost, and the executor retries it under the
    op's RetryPolicy. A copy of one a live worker still runs (Redis hands a message out
    again after its `visibility_timeout`) stores no result at all, so the live worker's
    report is the one the executor reads.
    """
    from celery.exceptions import Ignore

    if init.instance_ref is not None:
        holder = _claim(init.instance_ref, self.request.id, self.request.hostname)
        if holder == CANCELED:
            _log.warning("step %s of run %s: the run was canceled; its task does nothing.",
                         task.key, init.run_id)
            raise Ignore()
        if holder is not None and _answers(self.app, holder):
            _log.warning("step %s of run %s is still running on %s; this copy of its task, "
                         "handed out again by the broker, does nothing.",
                         task.key, init.run_id, holder)
            raise Ignore()
        if holder is not None:
            return None
    events: list[ev.HeadwaterEvent] = []
    worker = WorkerRun(init, events.append)
    try:
        report = worker.execute(task, known, first_attempt)
    finally:
        worker.close()
    report.events = events
    return report


def _claim(instance_ref: Any, task_id: str, hostname: str) -> str | None:
    """Claim the task for this worker; None if it was free, else who holds it (before the
    job is loaded or a resource built, so that a copy costs nothing)."""
    instance = instance_ref.open()
    try:
        key = claim_key(task_id)
        if instance.storage.swap_kv(key, None, hostname):
            return None
        return instance.storage.get_kvs([key]).get(key) or ""
    finally:
        instance.dispose()


def _answers(app: Celery, hostname: str, tries: int = 2) -> bool:
    """Whether the worker `hostname` answers a ping (one second each try)."""
    return any(app.control.ping(destination=[hostname], timeout=1.0) for _ in range(tries))


app = make_app({"broker": os.environ.get("HEADWATER_CELERY_BROKER"),
                "backend": os.environ.get("HEADWATER_CELERY_BACKEND")})
