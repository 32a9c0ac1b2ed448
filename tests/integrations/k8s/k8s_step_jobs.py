"""Jobs for the Kubernetes job executor's tests (imported again by each step's process).

Their executor is `k8s_job_executor`'s config and behaviour over `BACKEND`, the local
stand-in for a cluster that the test sets before running a job.
"""

from __future__ import annotations

import os
import time

from k8s_local_jobs import LocalJobs

from headwater import DynamicOut, DynamicOutput, ExecutorDefinition, RetryPolicy, job, op
from headwater_k8s import create_k8s_job_executor, k8s_job_executor

BACKEND: LocalJobs | None = None

if os.environ.get("K8S_TEST_STALE_IMAGE"):  # set in a step's pod: its image's code is older
    raise ImportError("cannot import name 'etl' (this image's code predates the job)")


def _create(init_context):
    return create_k8s_job_executor(dict(init_context.executor_config or {}), BACKEND,
                                   poll_interval=0.05)


local_k8s_executor = ExecutorDefinition(
    name="k8s", config_schema=k8s_job_executor.config_schema,
    requirements=k8s_job_executor.requirements, executor_creation_fn=_create)

_DIR = {"dir": str}


@op
def extract() -> list[int]:
    return [1, 2, 3]


@op
def transform(numbers: list[int]) -> list[int]:
    return [n * 10 for n in numbers]


@op(config_schema=_DIR)
def load(context, numbers: list[int]) -> int:
    with open(os.path.join(context.op_config["dir"], "loaded.txt"), "w") as f:
        f.write(f"{sum(numbers)} from pid {os.getpid()}")
    return sum(numbers)


@job(executor_def=local_k8s_executor)
def etl():
    load(transform(extract()))


@op
def one() -> int:
    return 1


@op
def add(a: int, b: int, c: int) -> int:
    return a + b + c


@job(executor_def=local_k8s_executor)
def wide():
    add(one.alias("first")(), one.alias("second")(), one.alias("third")())


@op
def boom() -> int:
    raise ValueError("the source table is empty")


@job(executor_def=local_k8s_executor)
def failing():
    transform(boom())


@op(config_schema=_DIR, retry_policy=RetryPolicy(max_retries=2))
def flaky(context) -> int:
    """Fails its first attempt (each attempt leaves a mark), then succeeds."""
    marks = os.path.join(context.op_config["dir"], "attempts")
    with open(marks, "a") as f:
        f.write(f"{os.getpid()}\n")
    with open(marks) as f:
        if len(f.readlines()) == 1:
            raise ConnectionError("the warehouse dropped the connection")
    return 7


@job(executor_def=local_k8s_executor)
def retrying():
    flaky()


@op(config_schema=_DIR)
def wait_forever(context) -> int:
    with open(os.path.join(context.op_config["dir"], "started"), "w") as f:
        f.write(str(os.getpid()))
    while True:
        time.sleep(0.1)


@job(executor_def=local_k8s_executor)
def stuck():
    transform(wait_forever())


@op(out=DynamicOut(str))
def files():
    for name in ("a.csv", "b.csv"):
        yield DynamicOutput(name, mapping_key=name.replace(".", "_"))


@op
def size(name: str) -> int:
    return len(name)


@op
def total(sizes: list[int]) -> int:
    return sum(sizes)


@job(executor_def=local_k8s_executor)
def mapped():
    total(files().map(size).collect())
