"""Real Celery: the RabbitMQ and Redis brokers of this machine, worker subprocesses started with
`python -m headwater_celery.cli worker start`, and the jobs of each test written to a module of
its own (its queue names are unique, so tests never take each other's tasks).

Each op leaves a marker file `<op>.<attempt>` holding the label of the worker that ran it
(`WORKER_LABEL`), so a test reads where and how often each step ran."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

pytest.importorskip("celery")

import headwater as hw  # noqa: E402

SRC = Path(__file__).resolve().parents[3] / "src"
BROKERS = {
    "rabbitmq": ("amqp://guest:guest@127.0.0.1:5672//", "rpc://"),
    "redis": ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
}
READY_SECONDS = 90.0

JOBS = '''
import os
import pathlib
import time

from headwater import Out, RetryPolicy, job, op
from headwater_celery import PRIORITY_TAG, QUEUE_TAG, celery_executor

DIR = pathlib.Path({dir!r})
EXECUTOR = celery_executor.configured({config!r})


def mark(context, name):
    path = DIR / f"{{name}}.{{context.retry_number}}"
    path.write_text(os.environ.get("WORKER_LABEL", "?"))
    (DIR / f"{{name}}.{{context.retry_number}}.pid").write_text(str(os.getpid()))
    with open(DIR / "order", "a") as f:
        f.write(name + "\\n")


def wait_for(name):
    """Block (the step is busy) until the test creates DIR/name, at most two minutes."""
    for _ in range(1200):
        if (DIR / name).exists():
            return
        time.sleep(0.1)


@op
def extract(context) -> int:
    mark(context, "extract")
    return 2


@op
def double(context, n: int) -> int:
    mark(context, "double")
    return n * 2


@op
def triple(context, n: int) -> int:
    mark(context, "triple")
    return n * 3


@op
def total(context, a: int, b: int) -> int:
    mark(context, "total")
    (DIR / "total.out").write_text(str(a + b))
    return a + b


@job(executor_def=EXECUTOR)
def fan():
    n = extract()
    total(double(n), triple(n))


@op
def on_a(context) -> int:
    mark(context, "on_a")
    return 1


@op(tags={{QUEUE_TAG: {queue_b!r}}})
def on_b(context, n: int) -> int:
    mark(context, "on_b")
    return n + 1


@job(executor_def=EXECUTOR)
def two_queues():
    on_b(on_a())


@op(tags={{PRIORITY_TAG: "1"}})
def low(context) -> None:
    mark(context, "low")


@op
def medium(context) -> None:
    mark(context, "medium")


@op(tags={{PRIORITY_TAG: "9"}})
def high(context) -> None:
    mark(context, "high")


@job(executor_def=EXECUTOR)
def prioritized():
    low()
    medium()
    high()


@op(retry_policy=RetryPolicy(max_retries=2))
def flaky(context) -> int:
    mark(context, "flaky")
    if context.retry_number < 2:
        raise ConnectionError("the service is not up yet")
    return context.retry_number


@job(executor_def=EXECUTOR)
def retrying():
    flaky()


@op(retry_policy=RetryPolicy(max_retries=1))
def victim(context) -> int:
    mark(context, "victim")
    if context.retry_number == 0:
        wait_for("never")  # the test kills this worker meanwhile
    return 7


@op
def after(context, n: int) -> int:
    mark(context, "after")
    return n


@job(executor_def=EXECUTOR)
def killed():
    after(victim())


@op
def held(context) -> None:
    mark(context, "held")
    wait_for("release")


@job(executor_def=EXECUTOR)
def held_job():
    held()


@op(tags={{PRIORITY_TAG: "high"}})
def shouting(context) -> None:
    mark(context, "shouting")


@job(executor_def=EXECUTOR)
def badly_tagged():
    extract()
    shouting()


@op(tags={{PRIORITY_TAG: "9"}})
def blocker(context) -> None:
    mark(context, "blocker")
    wait_for("never")


@op
def later_one(context) -> None:
    mark(context, "later_one")


@op
def later_two(context) -> None:
    mark(context, "later_two")


@job(executor_def=EXECUTOR)
def cancelable():
    blocker()
    later_one()
    later_two()
'''


def reachable(url: str) -> bool:
    parts = urlparse(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=2).close()
    except OSError:
        return False
    return True


@pytest.fixture(params=sorted(BROKERS))
def broker(request: pytest.FixtureRequest) -> tuple[str, str]:
    url, backend = BROKERS[request.param]
    if not reachable(url):
        pytest.skip(f"{request.param} is not reachable at {url}")
    return url, backend


@dataclass
class Cluster:
    """A test's queues, its jobs module, its workers, and the markers its ops left."""

    tmp_path: Path
    config: dict[str, Any]
    queue: str
    queue_b: str
    module: Any = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def marks(self) -> Path:
        return self.tmp_path / "marks"

    def app(self) -> Any:
        from headwater_celery.app import make_app

        return make_app(self.config)

    def start_worker(self, label: str, *queues: str, concurrency: int = 1
                     ) -> subprocess.Popen[bytes]:
        """A worker subprocess, returned once it answers a ping."""
        name = f"{label}-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
        config_path = self.tmp_path / "celery.yaml"
        import yaml

        config_path.write_text(yaml.safe_dump({"execution": {"config": self.config}}))
        command = [sys.executable, "-m", "headwater_celery.cli", "worker", "start", "-y",
                   str(config_path), "-n", name, "-c", str(concurrency), "-l", "WARNING"]
        for queue in queues or (self.queue,):
            command += ["-q", queue]
        # this machine's tests run as root, where celery refuses pickle unless told
        env = {**os.environ, "WORKER_LABEL": label, "C_FORCE_ROOT": "1",
               "PYTHONPATH": os.pathsep.join([str(SRC), str(self.tmp_path)])}
        log = open(self.tmp_path / f"worker-{label}.log", "ab")  # noqa: SIM115
        proc = subprocess.Popen(command, cwd=self.tmp_path, env=env, stdout=log, stderr=log,
                                start_new_session=True)
        self.workers.append(proc)
        app = self.app()
        deadline = time.monotonic() + READY_SECONDS
        while not app.control.ping(destination=[name], timeout=0.5):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("worker did not start:\n" + (
                    self.tmp_path / f"worker-{label}.log").read_text())
        app.close()
        return proc

    def queued(self, queue: str) -> int:
        """How many messages wait in `queue` on the broker."""
        app = self.app()
        try:
            with app.connection_for_write() as connection:
                return int(connection.default_channel.queue_declare(
                    queue=queue, passive=True).message_count)
        except Exception as exc:  # noqa: BLE001
            if "NOT_FOUND" in str(exc) or "no queue" in str(exc).lower():
                return 0  # nothing sent to it yet
            raise
        finally:
            app.close()

    def ran(self) -> list[str]:
        """The ops that ran, in the order they ran (from the shared order file)."""
        path = self.marks / "order"
        return path.read_text().split() if path.exists() else []

    def pid(self, op: str, attempt: int = 0) -> int:
        return int((self.marks / f"{op}.{attempt}.pid").read_text())

    def where(self, op: str, attempt: int = 0) -> str | None:
        path = self.marks / f"{op}.{attempt}"
        return path.read_text() if path.exists() else None

    def stop(self) -> None:
        """Kill the workers, and delete the test's queues from the broker."""
        for proc in self.workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        app = self.app()
        try:
            with app.connection_for_write() as connection:
                for queue in (self.queue, self.queue_b):
                    connection.default_channel.queue_delete(queue)
        finally:
            app.close()


@pytest.fixture
def cluster(tmp_path: Path, broker: tuple[str, str]) -> Iterator[Cluster]:
    """Unique queues on the broker, and a module of jobs whose executor sends steps there."""
    url, backend = broker
    queue = f"hw-test-{uuid.uuid4().hex[:10]}"
    config = {"broker": url, "backend": backend,
              "config_source": {"task_default_queue": queue}}
    cluster = Cluster(tmp_path, config, queue, f"{queue}-b")
    cluster.marks.mkdir()
    name = f"celery_jobs_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(JOBS).format(
        dir=str(cluster.marks), config=config, queue_b=cluster.queue_b))
    sys.path.insert(0, str(tmp_path))
    try:
        cluster.module = __import__(name)
        yield cluster
    finally:
        cluster.stop()
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)


@pytest.fixture
def instance() -> Iterator[Any]:
    with hw.instance_for_test() as instance:
        yield instance
