"""headwater_celery: run a job's steps as Celery tasks, on workers fed by RabbitMQ or Redis.

`celery_executor` (in `executor`) sends each step to the queue of its op's
`headwater-celery/queue` tag; `app` builds the Celery app and holds the task a worker runs
for a step; `cli` is the `headwater-celery worker start|list|terminate` command. What
`from dagster_celery import celery_executor` ports to. Needs the `headwater[celery]` extra;
celery itself loads when a run starts or a worker runs, not at import.
"""

from headwater_celery.executor import (
    PRIORITY_TAG,
    QUEUE_TAG,
    RUN_PRIORITY_TAG,
    CeleryExecutor,
    celery_executor,
)

__all__ = ["PRIORITY_TAG", "QUEUE_TAG", "RUN_PRIORITY_TAG", "CeleryExecutor", "celery_executor"]
