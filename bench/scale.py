"""Scale figures (issue 18): the run queue, a code server, run-worker start, PostgreSQL events.

    .venv/bin/python bench/scale.py                      # every workload, small sizes, both libs
    .venv/bin/python bench/scale.py --full               # the issue's sizes (hours: see bench/README.md)
    .venv/bin/python bench/scale.py --only queue --runs 1000 --max-concurrent 10
    .venv/bin/python bench/scale.py --only queue --runs 200 --dagster-dequeue-threads 10
    .venv/bin/python bench/scale.py --lib headwater --json

Workloads (each runs on each library in a fresh subprocess of that library's interpreter, in
an empty working directory with its own instance home; see bench/README.md, "Scale"):

    queue         n runs QUEUED with a `max_concurrent_runs` limit, then drained by the
                  daemon (`headwater daemon run` / `dagster-daemon run`): runs per second and
                  the most runs ever in progress at once; on SQLite and on PostgreSQL.
                  Dagster's daemon launches queued runs one at a time unless told to use
                  threads: `--dagster-dequeue-threads N` sets its `dequeue_use_threads: true`
                  and `dequeue_num_workers: N` (default 0: its own default, one at a time)
    code_server   a Definitions of n assets in a code server reached over TCP (`headwater
                  code-server start` over HTTP with a token / `dagster api grpc`): time until
                  it answers, and time to fetch the snapshot of its definitions
    worker_start  a one-op run launched k times, one after another, no queue: launch to
                  RUN_START and launch to the first STEP_START, each from the stored events
    pg_events     8 runs of an m-op chain launched at once on PostgreSQL: events stored per
                  second while steps run (first STEP_START to last STEP_SUCCESS of the 8)

Every run executes in a run worker process of its own (headwater: `headwater run-worker`;
Dagster: the DefaultRunLauncher asking the code server to start `dagster api execute_run`),
its steps in that process (`in_process_executor` on both sides), with each library's default
IO manager for a persistent instance (pickles under the instance's storage directory).
Standard library only at import; a side imports its library in its own subprocess.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import storage as bench_storage  # noqa: E402  (pg_database: a fresh PostgreSQL database)

DAGSTER_PYTHON = os.environ.get("HEADWATER_BENCH_DAGSTER_PYTHON", "/tmp/dagster-venv/bin/python")
WORKLOADS = ("queue", "code_server", "worker_start", "pg_events")
SMALL = {"runs": 10, "max_concurrent": 4, "assets": 2000, "launches": 5, "pg_runs": 8,
         "pg_ops": 50}
FULL = {"runs": 1000, "max_concurrent": 10, "assets": 10_000, "launches": 10, "pg_runs": 8,
        "pg_ops": 200}
TERMINAL = ("SUCCESS", "FAILURE", "CANCELED")
RESULT = "scale-result: "  # the child's last line; libraries may print to stdout too

JOBS = '''
import importlib
import os

lib = importlib.import_module(os.environ["BENCH_LIB"])
OPS = int(os.environ.get("BENCH_OPS", "2"))


@lib.op
def hello():
    return 1


@lib.job(executor_def=lib.in_process_executor)
def tiny():
    hello()


def _step(i):
    @lib.op(name=f"op{i}")
    def step(x):
        return x + 1

    return step


_steps = [_step(i) for i in range(1, OPS)]


@lib.job(executor_def=lib.in_process_executor)
def busy():
    x = hello()
    for step in _steps:
        x = step(x)


defs = lib.Definitions(jobs=[tiny, busy])
'''

BIG_DEFS = '''
import importlib
import os
import sys

sys.path.insert(0, os.environ["BENCH_DIR"])
import workloads

lib = importlib.import_module(os.environ["BENCH_LIB"])
defs = lib.Definitions(assets=workloads.build_big_assets(lib, int(os.environ["BENCH_ASSETS"])))
'''


def check(condition: bool, message: str) -> None:
    if not condition:
        raise RuntimeError(message)


# ------------------------------------------------------------------ one library, one home


class Side:
    """One library's instance home in the working directory, and the calls that differ."""

    def __init__(self, libname: str, storage: str, url: str | None,
                 max_concurrent: int | None = None, dequeue_threads: int = 0):
        self.libname = libname
        self.lib = importlib.import_module(libname)
        self.home = Path.cwd() / "home"
        self.home.mkdir(exist_ok=True)
        self.storage, self.url = storage, url
        self.dequeue_threads = dequeue_threads
        os.environ["HEADWATER_HOME" if libname == "headwater" else "DAGSTER_HOME"] = str(self.home)
        os.environ["BENCH_LIB"] = libname
        self.write_settings(max_concurrent)
        self.instance: Any = None
        self.workspace: Any = None

    def write_settings(self, max_concurrent: int | None) -> None:
        """headwater.yaml / dagster.yaml: storage, and a run queue when a limit is given."""
        lines = []
        if self.url:
            lines += ["storage:", "  postgres:", f"    postgres_url: {self.url}"]
        if self.libname == "dagster":
            lines += ["telemetry:", "  enabled: false"]
            if max_concurrent is not None:
                lines += ["run_coordinator:", "  module: dagster.core.run_coordinator",
                          "  class: QueuedRunCoordinator", "  config:",
                          f"    max_concurrent_runs: {max_concurrent}",
                          "    dequeue_interval_seconds: 1"]  # headwater's daemon: 1 s
                if self.dequeue_threads:  # launch up to N queued runs at once, in threads
                    lines += ["    dequeue_use_threads: true",
                              f"    dequeue_num_workers: {self.dequeue_threads}"]
            else:  # Dagster's default coordinator queues; headwater's without run_queue does not
                lines += ["run_coordinator:", "  module: dagster.core.run_coordinator",
                          "  class: DefaultRunCoordinator"]
        elif max_concurrent is not None:
            lines += ["run_queue:", f"  max_concurrent_runs: {max_concurrent}"]
        (self.home / f"{self.libname}.yaml").write_text("\n".join(lines) + "\n")

    @contextlib.contextmanager
    def opened(self) -> Iterator[Side]:
        name = "DagsterInstance" if self.libname == "dagster" else "HeadwaterInstance"
        self.instance = getattr(self.lib, name).get()
        with contextlib.ExitStack() as stack:
            if self.libname == "dagster":
                from dagster._cli.workspace.cli_target import get_workspace_from_cli_opts
                from dagster.version import __version__
                from dagster_shared.cli import WorkspaceOpts

                self.workspace = stack.enter_context(get_workspace_from_cli_opts(
                    self.instance, version=__version__,
                    workspace_opts=WorkspaceOpts(python_file=["scale_jobs.py"])))
            else:  # the same readiness: headwater's launcher forks workers from its server
                from headwater.daemon.run_launcher import run_launcher_of

                run_launcher_of(self.instance).warm_up(wait=120)
            try:
                yield self
            finally:
                self.instance.dispose()

    def create(self, job_name: str) -> str:
        """Store a run of the job, not started; its id."""
        if self.libname == "dagster":
            from dagster._cli.job import _create_run
            from dagster._cli.workspace.cli_target import (
                get_code_location_from_workspace,
                get_remote_job_from_remote_repo,
                get_remote_repository_from_code_location,
            )

            location = get_code_location_from_workspace(self.workspace, None)
            repo = get_remote_repository_from_code_location(location, None)
            remote_job = get_remote_job_from_remote_repo(repo, job_name)
            run = _create_run(instance=self.instance, code_location=location, remote_repo=repo,
                              remote_job=remote_job, run_config={}, tags=None,
                              op_selection=None, run_id=None)
            return run.run_id
        from headwater.code.location import CodeLocationOrigin
        from headwater.code.run import create_run

        module = importlib.import_module("scale_jobs")
        origin = CodeLocationOrigin(python_file=str(Path("scale_jobs.py").resolve())).resolved()
        return create_run(self.instance, origin, getattr(module, job_name)).run_id

    def submit(self, run_id: str) -> None:
        """Submit a stored run: queued or started at once, as the settings say."""
        if self.libname == "dagster":
            self.instance.submit_run(run_id, self.workspace)
        else:
            from headwater.daemon.launcher import submit_run

            submit_run(self.instance, run_id)

    def records(self, run_ids: list[str]) -> list[Any]:
        filters = self.lib.RunsFilter(run_ids=run_ids)
        return list(self.instance.get_run_records(filters=filters))

    def run(self, record: Any) -> Any:
        return record.dagster_run if self.libname == "dagster" else record.headwater_run

    def status(self, record: Any) -> str:
        return self.run(record).status.value

    def wait(self, run_ids: list[str], timeout: float) -> list[Any]:
        deadline = time.monotonic() + timeout
        while True:
            records = self.records(run_ids)
            if len(records) == len(run_ids) and all(self.status(r) in TERMINAL for r in records):
                return records
            check(time.monotonic() < deadline,
                  f"{self.libname}: runs not finished after {timeout:.0f} s")
            time.sleep(0.2)

    def events(self, run_id: str) -> list[Any]:
        return list(self.instance.all_logs(run_id))

    def event_type(self, event: Any) -> str:
        typ = event.dagster_event_type if self.libname == "dagster" else event.headwater_event_type
        return typ.name if typ is not None else ""

    def daemon_command(self) -> list[str]:
        if self.libname == "dagster":
            return [str(Path(sys.executable).with_name("dagster-daemon")), "run",
                    "-f", "scale_jobs.py"]
        return [sys.executable, "-m", "headwater.cli.main", "daemon", "run", "-f", "scale_jobs.py"]


def _write_jobs(ops: int) -> None:
    os.environ["BENCH_OPS"] = str(ops)
    Path("scale_jobs.py").write_text(JOBS)
    sys.path.insert(0, str(Path.cwd()))


@contextlib.contextmanager
def _database(storage: str) -> Iterator[str | None]:
    if storage == "postgres":
        with bench_storage.pg_database() as url:
            yield url
    else:
        yield None


def _max_overlap(intervals: list[tuple[float, float]]) -> int:
    points = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals],
                    key=lambda p: (p[0], p[1]))  # an end before a start at the same instant
    most = now = 0
    for _, delta in points:
        now += delta
        most = max(most, now)
    return most


# ----------------------------------------------------------------------------- workloads


def w_queue(libname: str, runs: int, max_concurrent: int, storage: str,
            dequeue_threads: int = 0) -> dict[str, Any]:
    """n queued runs drained by the daemon under a max_concurrent_runs limit; Dagster's daemon
    launches them in `dequeue_threads` threads if that is not 0."""
    _write_jobs(2)
    with _database(storage) as url:
        # headwater's submit starts what the limit allows at once; a limit of 0 while
        # submitting leaves every run QUEUED, as Dagster's queued coordinator does
        side = Side(libname, storage, url, max_concurrent=0 if libname == "headwater"
                    else max_concurrent, dequeue_threads=dequeue_threads)
        with side.opened():
            run_ids = [side.create("tiny") for _ in range(runs)]
            for run_id in run_ids:
                side.submit(run_id)
            queued = [side.status(r) for r in side.records(run_ids)]
            check(queued.count("QUEUED") == runs, f"{libname}: not all queued: {set(queued)}")
            side.write_settings(max_concurrent)
            log = open("daemon.log", "w")  # noqa: SIM115 (closed below)
            started = time.time()
            daemon = subprocess.Popen(side.daemon_command(), stdout=log, stderr=subprocess.STDOUT)
            try:
                records = side.wait(run_ids, timeout=3600)
                drained = time.time()
            finally:
                daemon.send_signal(signal.SIGTERM)
                try:
                    daemon.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    daemon.kill()
                    daemon.wait()
                log.close()
            # a failed run is a finding, not a crash of the bench: counted and explained
            failed = [side.run(r).run_id for r in records if side.status(r) != "SUCCESS"]
            intervals = [(r.start_time, r.end_time) for r in records
                         if r.start_time is not None and r.end_time is not None]
            check(bool(intervals), f"{libname}: no run ran: "
                  + "; ".join(_why(side, run_id) for run_id in failed[:3]))
            first_start = min(s for s, _ in intervals)
            last_end = max(e for _, e in intervals)
            most = _max_overlap(intervals)
            check(most <= max_concurrent, f"{libname}: {most} runs at once > {max_concurrent}")
            threads = dequeue_threads if libname == "dagster" else 0
            return {"runs": runs, "max_concurrent": max_concurrent, "storage": storage,
                    "dequeue_threads": threads, "drain_s": drained - started,
                    "runs_per_s": runs / (drained - started),
                    "first_start_after_daemon_s": first_start - started,
                    "steady_runs_per_s": (runs - 1) / (last_end - first_start),
                    "max_in_progress": most, "failed_runs": len(failed),
                    "failures": [_why(side, run_id) for run_id in failed[:3]]}


def _why(side: Side, run_id: str) -> str:
    """The last few event messages of a run that did not succeed."""
    messages = [f"{side.event_type(e) or 'log'}: "
                f"{(getattr(e, 'message', None) or e.user_message or '').strip()[:300]}"
                for e in side.events(run_id)]
    return f"{run_id}: " + " | ".join(messages[-4:])


def w_code_server(libname: str, assets: int) -> dict[str, Any]:
    """A code server holding n assets: time to answer, and to hand over its snapshot."""
    os.environ.update(BENCH_DIR=str(BENCH), BENCH_ASSETS=str(assets), BENCH_LIB=libname)
    Path("big_defs.py").write_text(BIG_DEFS)
    if libname == "headwater":
        found, size, t0, t1, t2 = _headwater_code_server()
    else:
        found, size, t0, t1, t2 = _dagster_code_server()
    check(found == assets, f"{libname}: {found} assets in the snapshot, expected {assets}")
    return {"assets": assets, "load_s": t1 - t0, "snapshot_s": t2 - t1, "total_s": t2 - t0,
            "snapshot_bytes": size}


def _headwater_code_server() -> tuple[int, int, float, float, float]:
    """`headwater code-server start` on the definitions, on a TCP port with a token: until it
    answers a ping over the network, then its snapshot over HTTP (what a webserver or daemon
    on another machine does with a `grpc_server:` location)."""
    from headwater.code.client import CodeServerError
    from headwater.code.remote import RemoteCodeServerClient, RemoteOrigin

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    token = uuid.uuid4().hex
    command = [sys.executable, "-m", "headwater.cli.main", "code-server", "start", "-f",
               "big_defs.py", "-h", "127.0.0.1", "-p", str(port)]
    log = open("code-server.log", "w")  # noqa: SIM115 (closed below)
    client = RemoteCodeServerClient(RemoteOrigin("127.0.0.1", port, token=token), timeout=600)
    t0 = time.perf_counter()
    server = subprocess.Popen(command, stdout=log, stderr=log,
                              env={**os.environ, "HEADWATER_CODE_SERVER_TOKEN": token})
    try:
        while True:
            check(server.poll() is None, "headwater code-server exited; see code-server.log")
            try:
                client.ping(timeout=5)
                break
            except CodeServerError:
                time.sleep(0.05)
        t1 = time.perf_counter()
        snapshot = client.snapshot()
        t2 = time.perf_counter()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    return len(snapshot["assets"]), len(json.dumps(snapshot)), t0, t1, t2


def _dagster_code_server() -> tuple[int, int, float, float, float]:
    """`dagster api grpc` on the definitions: until it answers a ping, then the code location
    a webserver or daemon builds from it (every repository snapshot fetched and read)."""
    import socket

    from dagster import DagsterInstance
    from dagster._core.remote_origin import GrpcServerCodeLocationOrigin, RemoteRepositoryOrigin
    from dagster._core.remote_representation.code_location import GrpcServerCodeLocation
    from dagster._grpc.client import DagsterGrpcClient

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [str(Path(sys.executable).with_name("dagster")), "api", "grpc", "-f",
               "big_defs.py", "--host", "127.0.0.1", "--port", str(port)]
    log = open("grpc.log", "w")  # noqa: SIM115 (closed below)
    t0 = time.perf_counter()
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        client = DagsterGrpcClient(port=port, host="127.0.0.1")
        while True:
            check(server.poll() is None, "dagster api grpc exited; see grpc.log")
            try:
                client.ping("")
                break
            except Exception:  # not listening yet: the server loads the code first
                time.sleep(0.05)
        t1 = time.perf_counter()
        origin = GrpcServerCodeLocationOrigin(host="127.0.0.1", port=port, location_name="big")
        with DagsterInstance.ephemeral() as instance:
            location = GrpcServerCodeLocation(origin, instance=instance)
            t2 = time.perf_counter()
            repos = location.get_repositories()
            found = sum(len(r.get_asset_node_snaps()) for r in repos.values())
            size = sum(len(client.external_repository(
                remote_repository_origin=RemoteRepositoryOrigin(location.origin, name),
                defer_snapshots=False)) for name in repos)
            location.cleanup()
        return found, size, t0, t1, t2
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def w_worker_start(libname: str, launches: int) -> dict[str, Any]:
    """A one-op run launched k times in turn: launch -> RUN_START, launch -> first step.
    headwater's launches fork each worker from its launcher's fork server (warmed up before
    the first, as Dagster's code server is started); then k more spawn a new interpreter per
    run (the launcher with `fork_server: false`), which is what Dagster's run workers are."""
    _write_jobs(2)
    side = Side(libname, "sqlite", None)
    figures: dict[str, Any] = {"launches": launches}
    with side.opened():
        modes = ["", "spawned_"] if libname == "headwater" else [""]
        for mode in modes:
            if mode == "spawned_":
                from headwater.daemon.run_launcher import run_launcher_of

                run_launcher_of(side.instance).fork_server = False
            to_start, to_step = _launch_in_turn(side, launches)
            figures.update({f"{mode}to_run_start_s": statistics.median(to_start),
                            f"{mode}to_first_step_s": statistics.median(to_step),
                            f"all_{mode}to_run_start_s": to_start,
                            f"all_{mode}to_first_step_s": to_step})
    if libname == "dagster":  # every Dagster run worker is a new interpreter
        figures["spawned_to_run_start_s"] = figures["to_run_start_s"]
        figures["spawned_to_first_step_s"] = figures["to_first_step_s"]
    return figures


def _launch_in_turn(side: Side, launches: int) -> tuple[list[float], list[float]]:
    to_start, to_step = [], []
    for _ in range(launches):
        run_id = side.create("tiny")
        launched = time.time()
        side.submit(run_id)
        (record,) = side.wait([run_id], timeout=300)
        check(side.status(record) == "SUCCESS", f"{side.libname}: run {run_id} did not succeed")
        stamps: dict[str, float] = {}
        for event in side.events(run_id):
            stamps.setdefault(side.event_type(event), event.timestamp)
        to_start.append(stamps["RUN_START"] - launched)
        to_step.append(stamps["STEP_START"] - launched)
    return to_start, to_step


def w_pg_events(libname: str, pg_runs: int, pg_ops: int) -> dict[str, Any]:
    """pg_runs runs of an m-op chain launched at once on PostgreSQL: events stored per second."""
    _write_jobs(pg_ops)
    with _database("postgres") as url:
        side = Side(libname, "postgres", url)
        with side.opened():
            run_ids = [side.create("busy") for _ in range(pg_runs)]
            for run_id in run_ids:
                side.submit(run_id)
            records = side.wait(run_ids, timeout=1800)
            statuses = [side.status(r) for r in records]
            check(statuses.count("SUCCESS") == pg_runs, f"{libname}: statuses {set(statuses)}")
            events = [e for run_id in run_ids for e in side.events(run_id)]
            steps = sum(1 for e in events if side.event_type(e) == "STEP_SUCCESS")
            check(steps == pg_runs * pg_ops, f"{libname}: {steps} steps succeeded")
            # the window in which steps ran: run-worker start-up is worker_start's figure
            begin = min(e.timestamp for e in events if side.event_type(e) == "STEP_START")
            end = max(e.timestamp for e in events if side.event_type(e) == "STEP_SUCCESS")
            inside = sum(1 for e in events if begin <= e.timestamp <= end)
            window = end - begin
            return {"runs": pg_runs, "ops": pg_ops, "events": len(events),
                    "events_per_run": len(events) / pg_runs, "window_s": window,
                    "events_in_window": inside, "events_per_s": inside / window,
                    "steps_per_s": steps / window,
                    "max_in_progress": _max_overlap(
                        [(r.start_time, r.end_time) for r in records])}


def child(workload: str, libname: str, args: argparse.Namespace) -> dict[str, Any]:
    if workload == "queue":
        return w_queue(libname, args.runs, args.max_concurrent, args.storage,
                       args.dagster_dequeue_threads)
    if workload == "code_server":
        return w_code_server(libname, args.assets)
    if workload == "worker_start":
        return w_worker_start(libname, args.launches)
    return w_pg_events(libname, args.pg_runs, args.pg_ops)


# -------------------------------------------------------------------------------- driver


def run_side(workload: str, libname: str, args: argparse.Namespace,
             storage: str = "sqlite") -> dict[str, Any]:
    """One workload on one library, in a fresh subprocess and an empty working directory."""
    python = sys.executable if libname == "headwater" else args.dagster_python
    if libname == "dagster" and not Path(python).exists():
        return {"error": f"no Dagster interpreter at {python}: python3 -m venv /tmp/dagster-venv"
                         " && /tmp/dagster-venv/bin/pip install dagster==1.13.29 (see README)"}
    sizes = [f"--{k.replace('_', '-')}={getattr(args, k)}" for k in SMALL]
    env = {k: v for k, v in os.environ.items() if k not in ("HEADWATER_HOME", "DAGSTER_HOME")}
    if libname == "headwater":
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(BENCH.parent / "src"), env.get("PYTHONPATH", "")) if p)
    else:
        env.pop("PYTHONPATH", None)
    with tempfile.TemporaryDirectory(prefix=f"scale-{libname}-") as cwd:
        out_path, err_path = Path(cwd) / "child.out", Path(cwd) / "child.err"
        with open(out_path, "w") as out, open(err_path, "w") as err:
            # a session of its own: whatever the child leaves behind (a code server the
            # library did not stop) is killed with it, and holds no pipe of ours
            process = subprocess.Popen(
                [python, str(Path(__file__).resolve()), "--child", workload, "--lib", libname,
                 f"--storage={storage}",
                 f"--dagster-dequeue-threads={args.dagster_dequeue_threads}", *sizes],
                cwd=cwd, env=env, stdout=out, stderr=err, start_new_session=True)
            try:
                process.wait(timeout=args.timeout)
            finally:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        stdout, stderr = out_path.read_text(), err_path.read_text()
        if process.returncode != 0:
            logs = "".join(p.read_text()[-2000:] for p in Path(cwd).glob("*.log"))
            return {"error": (stderr[-3000:] or stdout[-3000:]) + logs}
        (line,) = [x for x in stdout.splitlines() if x.startswith(RESULT)][-1:] or [""]
        if not line:
            return {"error": f"no result line in its output: {stdout[-2000:]}"}
        return json.loads(line[len(RESULT):])


ROWS: list[tuple[str, str, str, str, bool]] = [
    # (workload key, figure, label, unit, higher is better)
    ("queue_sqlite", "runs_per_s",
     "{runs} queued runs drained by the daemon (limit {max_concurrent}), SQLite", "runs/s", True),
    ("queue_sqlite", "steady_runs_per_s", "  steady rate (first run start to last run end)",
     "runs/s", True),
    ("queue_sqlite", "max_in_progress", "  most runs in progress at once (limit {max_concurrent})",
     "", False),
    ("queue_sqlite", "failed_runs", "  runs that did not succeed", "", False),
    ("queue_postgres", "runs_per_s",
     "{runs} queued runs drained by the daemon (limit {max_concurrent}), PostgreSQL", "runs/s",
     True),
    ("queue_postgres", "steady_runs_per_s", "  steady rate (first run start to last run end)",
     "runs/s", True),
    ("queue_postgres", "max_in_progress",
     "  most runs in progress at once (limit {max_concurrent})", "", False),
    ("queue_postgres", "failed_runs", "  runs that did not succeed", "", False),
    ("code_server", "load_s", "code server of {assets} assets: start until it answers", "s",
     False),
    ("code_server", "snapshot_s", "code server of {assets} assets: fetch the snapshot", "s",
     False),
    ("code_server", "total_s", "  both: start until the snapshot is in hand", "s", False),
    ("code_server", "snapshot_bytes", "  snapshot size", "bytes", False),
    ("worker_start", "to_run_start_s", "run worker: launch -> RUN_START (median of {launches})",
     "s", False),
    ("worker_start", "to_first_step_s",
     "run worker: launch -> first STEP_START (median of {launches})", "s", False),
    ("worker_start", "spawned_to_run_start_s",
     "  a new interpreter per run (headwater: no fork server): launch -> RUN_START", "s", False),
    ("worker_start", "spawned_to_first_step_s",
     "  a new interpreter per run: launch -> first STEP_START", "s", False),
    ("pg_events", "events_per_s", "PostgreSQL: events/s from {runs} concurrent runs of {ops} ops",
     "ev/s", True),
    ("pg_events", "events_per_run", "  events per run", "", False),
    ("pg_events", "steps_per_s", "  steps/s", "steps/s", True),
]


def _fmt(value: Any, unit: str) -> str:
    if not isinstance(value, int | float):
        return "-"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"
    if isinstance(value, int) or value >= 100:
        return f"{value:,.0f} {unit}".strip()
    return f"{value:.2f} {unit}".strip()


def table(results: dict[str, dict[str, dict[str, Any]]]) -> str:
    lines = ["| workload | headwater | dagster | ratio |", "|---|---:|---:|---:|"]
    for key, figure, label, unit, higher in ROWS:
        sides = results.get(key)
        if not sides:
            continue
        hw, dg = sides.get("headwater", {}), sides.get("dagster", {})
        sizes = hw if "error" not in hw else dg
        a, b = hw.get(figure), dg.get(figure)
        ratio = "-"
        if isinstance(a, int | float) and isinstance(b, int | float) and a and b and \
                figure not in ("max_in_progress", "failed_runs", "events_per_run",
                               "snapshot_bytes"):
            ratio = f"{(a / b if higher else b / a):.1f}x"
        lines.append(f"| {label.format(**sizes) if sizes else label} | {_fmt(a, unit)} | "
                     f"{_fmt(b, unit)} | {ratio} |")
    notes = [f"{key} (dagster): its daemon launched queued runs in {side['dequeue_threads']} "
             "threads (dequeue_use_threads)" for key, sides in results.items()
             for lib, side in sides.items() if lib == "dagster" and side.get("dequeue_threads")]
    notes += [f"{key} ({lib}) did not succeed: {why}" for key, sides in results.items()
              for lib, side in sides.items() for why in side.get("failures", [])]
    errors = [f"{key} ({lib}): {side['error'].strip().splitlines()[-1] if side['error'].strip() else '?'}"
              for key, sides in results.items() for lib, side in sides.items() if "error" in side]
    return "\n".join(lines + [""] + notes + [f"failed: {e}" for e in errors])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", choices=WORKLOADS)
    parser.add_argument("--lib", choices=("headwater", "dagster", "both"), default="both")
    parser.add_argument("--full", action="store_true", help="the issue's sizes")
    parser.add_argument("--storage", choices=("sqlite", "postgres", "both"), default="both",
                        help="storage of the queue workload")
    for name, value in SMALL.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=None,
                            help=f"default {value}, {FULL[name]} with --full")
    parser.add_argument("--dagster-dequeue-threads", type=int, default=0, metavar="N",
                        help="queue workload: Dagster's daemon launches queued runs in N threads "
                             "(dequeue_use_threads: true, dequeue_num_workers: N); default 0 "
                             "leaves Dagster's default, one launch at a time")
    parser.add_argument("--dagster-python", default=DAGSTER_PYTHON,
                        help="Dagster's interpreter (default $HEADWATER_BENCH_DAGSTER_PYTHON or "
                             "/tmp/dagster-venv/bin/python)")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", choices=WORKLOADS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for name in SMALL:
        if getattr(args, name) is None:
            setattr(args, name, (FULL if args.full else SMALL)[name])
    if args.child:
        print(RESULT + json.dumps(child(args.child, args.lib, args)))
        return
    libs = ("headwater", "dagster") if args.lib == "both" else (args.lib,)
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for workload in args.only or WORKLOADS:
        storages = ("sqlite", "postgres") if args.storage == "both" else (args.storage,)
        for storage in storages if workload == "queue" else ("sqlite",):
            key = f"queue_{storage}" if workload == "queue" else workload
            for libname in libs:
                started = time.time()
                out = run_side(workload, libname, args, storage)
                out["wall_s"] = time.time() - started
                results.setdefault(key, {})[libname] = out
                print(f"{key} {libname}: {'failed' if 'error' in out else 'done'} in "
                      f"{out['wall_s']:.0f} s", file=sys.stderr)
    print(json.dumps(results, indent=2) if args.json else table(results))


if __name__ == "__main__":
    main()

