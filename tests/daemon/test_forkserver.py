"""Run workers forked from the launcher's fork server (daemon/forkserver.py): the same runs,
events, environment and crash handling as spawned workers, and a spawn whenever a fork could
not be the same."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

import headwater as hw
from headwater.code.location import CodeLocationOrigin
from headwater.code.run import create_run
from headwater.daemon import forkserver
from headwater.daemon.crash import CRASH_ENV
from headwater.daemon.launcher import cancel_run, submit_run, wait_for_run
from headwater.daemon.monitor import monitor_runs
from headwater.daemon.run_launcher import DefaultRunLauncher, load_run_launcher, run_launcher_of
from headwater.definitions.tags import RUN_WORKER_PID_TAG

pytestmark = pytest.mark.skipif(not forkserver.supported(), reason="workers are forked on Linux")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
JOBS = FIXTURES / "run_jobs.py"
S = hw.HeadwaterRunStatus
ET = hw.HeadwaterEventType

PROBE = '''
import json
import os
import sys

import headwater as hw


@hw.op(config_schema={"out": str})
def probe(context):
    with open(context.op_config["out"], "w") as f:
        json.dump({"pid": os.getpid(), "ppid": os.getppid(), "cwd": os.getcwd(),
                   "path0": sys.path[0], "argv": sys.argv, "stdin": sys.stdin.read(),
                   "marker": os.environ.get("FORKSERVER_TEST_MARKER"),
                   "comm": open("/proc/self/comm").read().strip()}, f)


@hw.job(executor_def=hw.in_process_executor)
def probe_job():
    probe()


defs = hw.Definitions(jobs=[probe_job])
'''


@pytest.fixture
def server() -> Iterator[forkserver.ForkServer]:
    """This process's fork server, ready (started for the first test that asks)."""
    started = forkserver.start_fork_server()
    assert started is not None and started.wait_ready(120)
    yield started


def _launch(instance, path: Path, job_name: str, config, directory: Path | None = None) -> str:
    origin = CodeLocationOrigin(python_file=str(path),
                                working_directory=str(directory) if directory else None)
    run = create_run(instance, origin, origin.load().get_job_def(job_name), config)
    submit_run(instance, run.run_id)
    return run.run_id


def _probe(instance, tmp_path: Path) -> tuple[str, dict]:
    code = tmp_path / "code"
    code.mkdir(exist_ok=True)
    (code / "probe_defs.py").write_text(PROBE)
    out = tmp_path / f"probe-{len(list(tmp_path.glob('probe-*')))}.json"
    run_id = _launch(instance, code / "probe_defs.py", "probe_job",
                     {"ops": {"probe": {"config": {"out": str(out)}}}}, directory=code)
    assert wait_for_run(instance, run_id, timeout=60).status is S.SUCCESS
    return run_id, json.loads(out.read_text())


def _until(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached before the test's timeout")
        time.sleep(0.05)


def test_a_forked_worker_is_set_up_as_a_spawned_one(server, tmp_path, monkeypatch):
    """After warm_up, the worker is the fork server's child, and sees what a spawned one
    would: the launcher's environment at launch time (set after the server started), the
    code location's working directory as cwd and first on sys.path, its run id after `run-worker` in argv,
    an empty stdin; it is named after its run, and tagged with its own pid."""
    monkeypatch.setenv("FORKSERVER_TEST_MARKER", "set-after-the-server-started")
    with hw.instance_for_test() as instance:
        run_launcher_of(instance).warm_up()
        run_id, seen = _probe(instance, tmp_path)
        run = instance.get_run_by_id(run_id)
    assert seen["ppid"] == server.pid
    assert int(run.tags[RUN_WORKER_PID_TAG]) == seen["pid"]
    assert seen["marker"] == "set-after-the-server-started"
    assert seen["cwd"] == seen["path0"] == str(tmp_path / "code")
    assert seen["argv"][1:3] == ["run-worker", run_id]
    assert seen["stdin"] == ""
    assert seen["comm"] == f"hw-run-{run_id[:8]}"


def test_forked_and_spawned_workers_store_the_same_events(server, tmp_path):
    """A multiprocess run (its step processes started by the forked worker) stores the same
    event types, in the same order for the run and for each of its steps, whether its worker
    was forked or spawned (its two parallel steps interleave as they like)."""
    config = {"ops": {name: {"config": {"dir": str(tmp_path)}} for name in ("left", "right")}}
    kinds = {}
    with hw.instance_for_test() as instance:
        launcher = run_launcher_of(instance)
        assert isinstance(launcher, DefaultRunLauncher)
        for fork in (True, False):
            launcher.fork_server = fork
            run_id = _launch(instance, JOBS, "parallel_job", config)
            # its steps take a second at least (two step processes, then 0.4 s each)
            parent = psutil.Process(int(instance.get_run_by_id(run_id).tags[RUN_WORKER_PID_TAG]))
            assert parent.ppid() == (server.pid if fork else os.getpid())
            assert wait_for_run(instance, run_id, timeout=60).status is S.SUCCESS
            by_step: dict[str | None, list] = {}
            for event in instance.all_logs(run_id):
                if event.headwater_event_type is not None:
                    by_step.setdefault(event.step_key, []).append(event.headwater_event_type)
            kinds[fork] = by_step
    assert kinds[True] == kinds[False]
    assert sorted(k for k in kinds[True] if k) == ["join", "left", "right"]
    assert kinds[True][None][:3] == [ET.RUN_STARTING, ET.ENGINE_EVENT, ET.RUN_START]


def test_a_forked_worker_is_canceled_and_killed_like_a_spawned_one(server, tmp_path):
    """Canceling a forked worker's run ends it CANCELED; SIGKILL of another forked worker
    is seen by run monitoring (the server reaps it: no zombie keeps its pid alive)."""
    config = {"ops": {"wait_forever": {"config": {"dir": str(tmp_path)}}}}
    with hw.instance_for_test() as instance:
        run_launcher_of(instance).warm_up()
        canceled = _launch(instance, JOBS, "stuck_job", config)
        _until(lambda: (tmp_path / "started").exists())
        assert cancel_run(instance, canceled) is S.CANCELING
        assert wait_for_run(instance, canceled, timeout=60).status is S.CANCELED
        (tmp_path / "started").unlink()

        killed = _launch(instance, JOBS, "stuck_job", config)
        _until(lambda: (tmp_path / "started").exists())
        pid = int(instance.get_run_by_id(killed).tags[RUN_WORKER_PID_TAG])
        assert psutil.Process(pid).ppid() == server.pid
        os.killpg(pid, signal.SIGKILL)  # the worker and its step processes
        _until(lambda: killed in monitor_runs(instance) or
               instance.get_run_by_id(killed).is_finished)
        assert instance.get_run_by_id(killed).status is S.FAILURE
        assert [c for c in psutil.Process(server.pid).children()
                if c.status() == psutil.STATUS_ZOMBIE] == []


def test_a_launch_the_server_cannot_reproduce_is_spawned(server, tmp_path, monkeypatch):
    """A launch whose PYTHON* variables differ from the server's is spawned by the launching
    process; so is every launch of a launcher configured with fork_server: false."""
    with hw.instance_for_test() as instance:
        monkeypatch.setenv("PYTHONHASHSEED", "123")
        _, seen = _probe(instance, tmp_path)
        assert seen["ppid"] == os.getpid()
        monkeypatch.delenv("PYTHONHASHSEED")
        _, seen = _probe(instance, tmp_path)
        assert seen["ppid"] == server.pid

    launcher = load_run_launcher({"module": "headwater", "class": "DefaultRunLauncher",
                                  "config": {"fork_server": False}})
    assert isinstance(launcher, DefaultRunLauncher) and launcher.fork_server is False
    with hw.instance_for_test(overrides={"run_launcher": {
            "module": "headwater", "class": "DefaultRunLauncher",
            "config": {"fork_server": False}}}) as instance:
        _, seen = _probe(instance, tmp_path)
        assert seen["ppid"] == os.getpid()


def test_a_stopped_server_leaves_its_workers_running_and_launches_spawn(tmp_path):
    """Closing the server's stdin ends the server, not the run its child executes; the next
    launch is spawned, and warm_up starts a new server."""
    first = forkserver.start_fork_server()
    assert first is not None and first.wait_ready(120)
    config = {"ops": {"wait_forever": {"config": {"dir": str(tmp_path)}}}}
    with hw.instance_for_test() as instance:
        run_id = _launch(instance, JOBS, "stuck_job", config)
        _until(lambda: (tmp_path / "started").exists())
        pid = int(instance.get_run_by_id(run_id).tags[RUN_WORKER_PID_TAG])
        first.stop()
        assert not first.alive and forkserver.fork_server() is None
        assert psutil.Process(pid).is_running()
        assert cancel_run(instance, run_id) is S.CANCELING
        assert wait_for_run(instance, run_id, timeout=60).status is S.CANCELED

        _, seen = _probe(instance, tmp_path)
        assert seen["ppid"] == os.getpid()
        run_launcher_of(instance).warm_up(wait=120)
        second = forkserver.fork_server()
        assert second is not None and second is not first
        _, seen = _probe(instance, tmp_path)
        assert seen["ppid"] == second.pid


def test_the_server_refuses_a_request_it_cannot_serve(server, tmp_path):
    """A working directory that does not exist is refused (None: the launcher spawns, and
    the spawn reports the error), and the server goes on serving."""
    assert server.fork_worker(["run-worker", "x"], str(tmp_path / "missing"),
                              str(tmp_path / "x.log")) is None
    assert server.alive
    assert forkserver.interpreter_settings({"PYTHONPATH": "src"}) is None
    assert forkserver.interpreter_settings({"PYTHONPATH": "/abs", "HOME": "/"}) == {
        "PYTHONPATH": "/abs"}


def test_a_forked_worker_killed_right_after_its_claim_ends_its_run(server, tmp_path,
                                                                   monkeypatch):
    """A forked worker that dies right after it took its run (the crash point, asked for
    in the launcher's environment after the server started) leaves no run STARTED: run
    monitoring ends it FAILURE, and its step never ran."""
    monkeypatch.setenv(CRASH_ENV, "worker_after_claim")
    config = {"ops": {"wait_forever": {"config": {"dir": str(tmp_path)}}}}
    with hw.instance_for_test() as instance:
        run_id = _launch(instance, JOBS, "stuck_job", config)
        pid = int(instance.get_run_by_id(run_id).tags[RUN_WORKER_PID_TAG])
        _until(lambda: not psutil.pid_exists(pid) or
               psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
        _until(lambda: run_id in monitor_runs(instance) or
               instance.get_run_by_id(run_id).is_finished)
        assert instance.get_run_by_id(run_id).status is S.FAILURE
        assert not (tmp_path / "started").exists()
