"""Several machines, simulated on one: a deployment of separate processes that share nothing
but the network and one PostgreSQL database.

- machine A: `headwater webserver -w workspace.yaml` and `headwater daemon run -w
  workspace.yaml`, both on the instance of its home (headwater.yaml naming the database, and
  a run queue of one run at a time: the webserver starts the first run launched, the daemon
  dequeues the second once the first ended);
- machines B and C: `headwater code-server start`, each serving one
  code location of 100 assets, with a shared token; the webserver and daemon reach them only
  through the `grpc_server:` entries of workspace.yaml, and each starts the run workers of
  its location (the default run launcher asks it to);
- machines D and E: `headwater-celery worker start`, two processes each, taking the steps
  of both locations from RabbitMQ (results in Redis).

The machines are told apart twice (tests/integrations/celery/netsim.py): by loopback address
(B listens on 127.0.0.2, C on 127.0.0.3), and, where the test runs as root, by Linux network
namespace: B, C, D and E each in a namespace of its own, joined to A's by a veth pair, reaching
PostgreSQL, RabbitMQ and Redis only at one "database host" address. Each machine has its own
instance home; the code is the same "image" on every machine (one
directory), and values go through a filesystem IO manager on a shared directory (the network
volume a real deployment would use). The test launches both jobs through the webserver's
HTTP API, kills worker D (SIGKILL, the whole process group) while it holds steps, and then
checks that both runs succeed with every one of the 200 assets materialized exactly once, the
lost steps retried under their RetryPolicy on worker E.

Past the first levels of each tree, the steps worker D takes are held (they wait for the test to
kill D), so that the kill always lands mid-step and mid-run: nothing of the outcome depends
on timing.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from netsim import LoopbackNetwork, NamespaceNetwork

pytest.importorskip("celery")

SRC = Path(__file__).resolve().parents[3] / "src"
BROKER = "amqp://guest:guest@{host}:5672//"
BACKEND = "redis://{host}:6379/1"
TOKEN = "machines-shared-token"
ASSETS_PER_LOCATION = 100
HELD_FROM = 15  # worker D holds the steps of assets from this index of the tree on
READY_SECONDS = 120.0
RUN_SECONDS = 600.0

# One code location: a binary tree of assets (each reads its parent's value through the shared
# IO manager), every step retried twice when it fails or its worker is lost.
LOCATION = '''
import os
import pathlib
import time

from headwater import AssetIn, Definitions, FilesystemIOManager, RetryPolicy, asset, define_asset_job
from headwater_celery import celery_executor

PREFIX = {prefix!r}
SHARED = pathlib.Path({shared!r})
EXECUTOR = celery_executor.configured({config!r})
POLICY = RetryPolicy(max_retries=2)


def work(context, name, index, value):
    label = os.environ.get("WORKER_LABEL", "?")
    marks = SHARED / "marks"
    (marks / f"{{name}}.{{context.retry_number}}.{{label}}").write_text(str(os.getpid()))
    if label == "d" and index >= {held_from} and not (SHARED / "killed").exists():
        # Past the first levels of the tree, hold the step until the test kills this worker
        # (at most two minutes), so that the kill lands mid-step in the middle of the runs.
        for _ in range(1200):
            if (SHARED / "killed").exists():
                break
            time.sleep(0.1)
    return value + 1


def make(index):
    name = f"{{PREFIX}}_{{index:03d}}"
    if index == 0:
        @asset(name=name, retry_policy=POLICY)
        def root(context):
            return work(context, name, index, 0)
        return root
    parent = f"{{PREFIX}}_{{(index - 1) // 2:03d}}"

    @asset(name=name, ins={{"up": AssetIn(parent)}}, retry_policy=POLICY)
    def child(context, up):
        return work(context, name, index, up)
    return child


assets = [make(i) for i in range({count})]
defs = Definitions(
    assets=assets,
    jobs=[define_asset_job(f"{{PREFIX}}_job", selection="*")],
    executor=EXECUTOR,
    resources={{"io_manager": FilesystemIOManager(base_dir=str(SHARED / "values"))}},
)
'''


def _reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        return False
    return True


@pytest.fixture(params=["loopback", "namespaces"])
def network(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The machines told apart by loopback address, or each in a network namespace."""
    if request.param == "loopback":
        yield LoopbackNetwork()
        return
    why_not = NamespaceNetwork.available()
    if why_not is not None:
        pytest.skip(why_not)
    network = NamespaceNetwork("bcde")
    try:
        yield network
    finally:
        network.close()


@pytest.fixture
def database(new_postgres_database: Any, network: Any) -> str:
    """A PostgreSQL database of its own, dropped afterwards, as every machine reaches it."""
    import sqlalchemy as sa

    url = sa.engine.make_url(new_postgres_database("hw_machines"))
    return url.set(host=network.service_host).render_as_string(hide_password=False)


class Machines:
    """The processes of the deployment, each in a session of its own, and their logs."""

    def __init__(self, root: Path, database: str, network: Any):
        self.root = root
        self.network = network
        self.database = database
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def home(self, machine: str) -> Path:
        """The instance home of one machine: its own directory, the shared database."""
        home = self.root / machine / "home"
        home.mkdir(parents=True, exist_ok=True)
        (home / "headwater.yaml").write_text(json.dumps({
            "storage": {"url": self.database},
            # one run at a time: the webserver starts the first launched, the daemon the other
            "run_queue": {"max_concurrent_runs": 1}}))
        return home

    def start(self, name: str, machine: str, args: list[str],
              env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        environ = {**os.environ, "PYTHONPATH": str(SRC), "HEADWATER_HOME": str(self.home(machine)),
                   "C_FORCE_ROOT": "1", **(env or {})}
        environ.pop("HEADWATER_DATABASE_URL", None)
        log = open(self.root / f"{name}.log", "ab")  # noqa: SIM115
        argv = self.network.command(machine, [sys.executable, "-m", *args])
        proc = subprocess.Popen(argv, cwd=self.root / machine,
                                env=environ, stdout=log, stderr=log, start_new_session=True)
        log.close()
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> str:
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def logs(self) -> str:
        return "\n".join(f"--- {name} ---\n{self.log(name)}" for name in self.procs)

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def stop(self) -> None:
        for name in list(self.procs):
            self.kill(name)


def _wait(what: str, check: Any, machines: Machines, seconds: float = READY_SECONDS) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds:.0f}s\n{machines.logs()}")
        time.sleep(0.5)


def _http(url: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        url, data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-Headwater-Request": "1"},
        method="GET" if body is None else "POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _answers(url: str) -> bool:
    try:
        _http(url)
    except OSError:
        return False
    return True


@pytest.mark.timeout(900)
def test_two_code_servers_two_workers_one_database_and_a_worker_killed(
        tmp_path: Path, network: Any, database: str) -> None:
    for port, what in ((5672, "RabbitMQ"), (6379, "Redis")):
        if not _reachable(network.service_host, port):
            pytest.skip(f"{what} is not reachable at {network.service_host}:{port}")
    queue = f"hw-machines-{uuid.uuid4().hex[:8]}"
    config = {"broker": BROKER.format(host=network.service_host),
              "backend": BACKEND.format(host=network.service_host),
              "config_source": {"task_default_queue": queue}}
    shared = tmp_path / "shared"
    (shared / "marks").mkdir(parents=True)
    code = tmp_path / "code"  # the image every machine runs
    code.mkdir()
    for prefix in ("sales", "marketing"):
        (code / f"{prefix}.py").write_text(textwrap.dedent(LOCATION).format(
            prefix=prefix, shared=str(shared), config=config, count=ASSETS_PER_LOCATION,
            held_from=HELD_FROM))
    (tmp_path / "token.txt").write_text(TOKEN + "\n")
    for machine in "abcde":
        (tmp_path / machine).mkdir()

    if network.kind == "namespaces":  # machine D has no way to A's loopback services
        probe = subprocess.run(network.command("d", [
            sys.executable, "-c", "import socket; socket.create_connection(('127.0.0.1', 5432), 2)"]),
            capture_output=True, text=True)
        assert probe.returncode != 0 and "Connection refused" in probe.stderr, probe
    machines = Machines(tmp_path, database, network)
    try:
        # B and C: one code server each, on an address of its own.
        servers = {"sales": ("b", network.host("b")), "marketing": ("c", network.host("c"))}
        ports = {}
        for location, (machine, host) in servers.items():
            ports[location] = network.port(machine)
            machines.start(f"code-server-{machine}", machine, [
                "headwater.cli.main", "code-server", "start", "-f", str(code / f"{location}.py"),
                "--location-name", location, "-h", host, "-p", str(ports[location]),
                "--token-file", str(tmp_path / "token.txt")])
        (tmp_path / "a" / "workspace.yaml").write_text(json.dumps({"load_from": [
            {"grpc_server": {"host": host, "port": ports[location], "location_name": location,
                             "token_file": str(tmp_path / "token.txt")}}
            for location, (_, host) in servers.items()]}))
        # D and E: Celery workers, two processes each, on the run's queue.
        celery_yaml = tmp_path / "celery.yaml"
        celery_yaml.write_text(json.dumps({"execution": {"config": config}}))
        workers = {}
        for machine in "de":
            workers[machine] = f"{machine}-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
            machines.start(f"worker-{machine}", machine, [
                "headwater_celery.cli", "worker", "start", "-y", str(celery_yaml),
                "-n", workers[machine], "-c", "2", "-q", queue, "-l", "WARNING"],
                env={"WORKER_LABEL": machine})
        # A: the webserver and the daemon.
        web_port = network.port("a")
        machines.start("webserver", "a", [
            "headwater.cli.main", "webserver", "-w", "workspace.yaml", "-h", "127.0.0.1",
            "-p", str(web_port)])
        machines.start("daemon", "a", ["headwater.cli.main", "daemon", "run", "-w",
                                       "workspace.yaml", "--interval", "0.5"])
        api = f"http://127.0.0.1:{web_port}/api"

        def everyone_up() -> bool:
            from headwater_celery.app import make_app

            for name, proc in machines.procs.items():
                assert proc.poll() is None, f"{name} exited\n{machines.logs()}"
            if not _answers(f"{api}/locations"):
                return False
            locations = {x["name"]: x["status"] for x in _http(f"{api}/locations")}
            if locations != {"sales": "loaded", "marketing": "loaded"}:
                return False
            app = make_app(config)
            try:
                return len(app.control.ping(destination=list(workers.values()), timeout=1.0)) == 2
            finally:
                app.close()

        _wait("the webserver, both code servers and both workers up", everyone_up, machines)

        run_ids = {}
        for location in servers:
            launched = _http(f"{api}/jobs/{location}_job/launch", {"run_config": {}})
            run_ids[location] = launched["run_id"]

        marks = shared / "marks"
        # Worker D holds each step it takes; once it holds two (its two processes) and
        # some steps have finished elsewhere, the whole worker is killed.
        def held_now() -> list[str]:
            return sorted(p.name.split(".")[0] for p in marks.glob("*.0.d")
                          if int(p.name.split(".")[0].rsplit("_", 1)[1]) >= HELD_FROM)

        _wait("worker D holding two steps", lambda: len(held_now()) >= 2, machines)
        machines.kill("worker-d")
        (shared / "killed").write_text("")
        held = held_now()
        # Mid-run: the held steps' ancestors (three levels of the tree at least) had run, and
        # most of the 200 steps had not started.
        started = {p.name.split(".")[0] for p in marks.iterdir()}
        assert len(held) + 3 <= len(started) < ASSETS_PER_LOCATION, sorted(started)

        def ended() -> dict[str, str] | None:
            statuses = {loc: _http(f"{api}/runs/{rid}")["status"] for loc, rid in run_ids.items()}
            done = all(s in ("SUCCESS", "FAILURE", "CANCELED") for s in statuses.values())
            return statuses if done else None

        statuses = _wait("both runs ended", ended, machines, RUN_SECONDS)
        assert statuses == {"sales": "SUCCESS", "marketing": "SUCCESS"}, machines.logs()
    finally:
        machines.stop()
        _delete_queue(config, queue)

    from headwater import HeadwaterEventType as ET
    from headwater.storage.instance import HeadwaterInstance

    instance = HeadwaterInstance.from_url(database, str(machines.home("a")))
    try:
        materialized: Counter[str] = Counter()
        retried = []
        for location, run_id in run_ids.items():
            run = instance.get_run_by_id(run_id)
            assert run is not None
            # Each run worker ran on the machine of its code server (its log is there).
            machine = servers[location][0]
            assert (tmp_path / machine / "home" / "logs" / f"{run_id}.log").exists()
            assert instance.all_logs(run_id, of_type=ET.RUN_ENQUEUED)  # through the queue
            for entry in instance.all_logs(run_id, of_type=ET.ASSET_MATERIALIZATION):
                materialized[entry.headwater_event.asset_key.to_user_string()] += 1
            retried += [entry.step_key for entry in
                        instance.all_logs(run_id, of_type=ET.STEP_UP_FOR_RETRY)]
    finally:
        instance.dispose()
    expected = {f"{prefix}_{i:03d}" for prefix in servers for i in range(ASSETS_PER_LOCATION)}
    assert set(materialized) == expected
    assert all(count == 1 for count in materialized.values()), \
        {k: c for k, c in materialized.items() if c != 1}
    # The steps worker D held when it died were lost, and retried under their policy.
    assert held and set(held) <= set(retried), (held, retried)
    # Every step that ran to its end did so on a worker of its queue (D or E), on attempt 0
    # unless D held it.
    ran = {p.name.rsplit(".", 2)[0] for p in marks.glob("*.e")}
    assert set(held) <= ran


def _delete_queue(config: dict[str, Any], queue: str) -> None:
    from headwater_celery.app import make_app

    app = make_app(config)
    try:
        with app.connection_for_write() as connection:
            connection.default_channel.queue_delete(queue)
    except Exception:  # noqa: BLE001 - cleanup of a broker that may be gone
        pass
    finally:
        app.close()
