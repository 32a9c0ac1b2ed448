"""Kills and stops of the processes headwater starts: the code server, the run worker, the
daemon and the webserver, each SIGKILLed or SIGSTOPped at a chosen phase, as real processes
started the way the CLI starts them (`headwater dev`, `webserver`, `daemon run`,
`job execute`). Each test states the invariant it holds.

The project (written per test) has one job whose only op waits while the file `hold` exists,
and a sensor that asks for one run under a fixed run key and waits while `slow_sensor`
exists; each evaluation drops an `eval-N` file, so a test can count the ticks.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from waiting import free_port, wait_for

import headwater as hw
from headwater.code.client import code_server_timeouts
from headwater.code.location import CodeLocationOrigin
from headwater.daemon.daemon import Daemon
from headwater.errors import HeadwaterInvalidInvocationError
from headwater.storage.instance import HeadwaterInstance
from headwater.storage.record import HeadwaterRun, HeadwaterRunStatus, RunsFilter

SRC = str(Path(__file__).resolve().parents[2] / "src")
_S = HeadwaterRunStatus
HEADERS = {"X-Headwater-Request": "1"}
DEFS = '''
import os
import time
from pathlib import Path

import headwater as hw

MARKS = Path(os.environ["KILLS_MARKS"])


def _wait_while(name: str) -> None:
    while (MARKS / name).exists():
        time.sleep(0.05)


@hw.op
def work() -> int:
    (MARKS / "work").touch()
    _wait_while("hold")
    return 1


@hw.job(executor_def=hw.in_process_executor)
def chain() -> None:
    work()


@hw.sensor(job=chain, minimum_interval_seconds=1,
           default_status=hw.DefaultSensorStatus.RUNNING)
def keyed(context):
    (MARKS / f"eval-{len(list(MARKS.glob('eval-*')))}").touch()
    _wait_while("slow_sensor")
    return hw.RunRequest(run_key="only-once")


defs = hw.Definitions(jobs=[chain], sensors=[keyed])
'''


class Project:
    """The project above, its instance, and the CLI processes a test starts against it."""

    def __init__(self, url: str, home: Path, settings: str = ""):
        self.home = home
        self.marks = home / "marks"
        self.marks.mkdir(parents=True)
        (home / "headwater.yaml").write_text(settings)
        self.defs = home / "defs.py"
        self.defs.write_text(DEFS)
        self.instance = HeadwaterInstance.from_url(url, str(home))
        self.env = {**os.environ, "HEADWATER_HOME": str(home), "HEADWATER_DATABASE_URL": url,
                    "KILLS_MARKS": str(self.marks),
                    "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.home / f"cli-{len(self.procs)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen([sys.executable, "-m", "headwater.cli.main", *args,
                                 "-f", str(self.defs)], env=self.env, cwd=self.home,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.procs.append(proc)
        return proc

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "headwater.cli.main", *args], env=self.env,
                              cwd=self.home, capture_output=True, text=True, timeout=60)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.home.glob("cli-*.log")))

    def mark(self, name: str) -> None:
        (self.marks / name).touch()

    def unmark(self, name: str) -> None:
        (self.marks / name).unlink()

    def marked(self, name: str) -> bool:
        return (self.marks / name).exists()

    def evaluations(self) -> int:
        return len(list(self.marks.glob("eval-*")))

    def runs(self) -> list[HeadwaterRun]:
        return self.instance.get_runs()

    def status(self, run_id: str) -> HeadwaterRunStatus:
        run = self.instance.get_run_by_id(run_id)
        assert run is not None
        return run.status

    def webserver(self, *args: str) -> tuple[subprocess.Popen[bytes], httpx.Client]:
        port = free_port()
        proc = self.start(*args, "--port", str(port))
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=HEADERS, timeout=30)

        def answers() -> bool:
            assert proc.poll() is None, self.logs()
            try:
                return client.get("/api/jobs").status_code == 200
            except httpx.TransportError:
                return False

        wait_for("the webserver to answer", answers, timeout=60)
        return proc, client

    def close(self) -> None:
        for proc in self.procs:
            try:
                for child in psutil.Process(proc.pid).children(recursive=True):
                    child.kill()
            except psutil.Error:
                pass
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for name in ("hold", "slow_sensor"):  # let orphaned code servers and workers end
            if self.marked(name):
                self.unmark(name)
        self.instance.dispose()


def _code_servers(proc: subprocess.Popen[bytes]) -> dict[int, int]:
    """The code servers under a CLI process: pid -> the pid of the process that started it."""
    found = {}
    for child in psutil.Process(proc.pid).children(recursive=True):
        try:
            if "headwater.code.server" in child.cmdline():
                found[child.pid] = child.ppid()
        except psutil.Error:
            pass
    return found


@pytest.fixture
def project(database_url: str, tmp_path: Path) -> Iterator[Project]:
    made = Project(database_url, tmp_path / "home")
    yield made
    made.close()


@pytest.fixture
def quick_project(database_url: str, tmp_path: Path) -> Iterator[Project]:
    made = Project(database_url, tmp_path / "home",
                   "run_monitoring:\n  heartbeat_timeout_seconds: 2\n")
    yield made
    made.close()


def test_a_killed_code_server_is_restarted_for_the_webserver_and_the_daemon(
        project: Project) -> None:
    """Invariant: SIGKILL of every code server under `headwater dev` (the webserver's and
    the daemon's) costs no 5xx: the webserver's next call that needs code starts a new one
    and answers, a launch through it completes, and the daemon starts its own again and goes
    on ticking."""
    dev, client = project.webserver("dev")
    wait_for("the sensor's first tick", lambda: project.evaluations() >= 1, timeout=60)
    servers = wait_for("both code servers", lambda: len(_code_servers(dev)) >= 2 and
                        _code_servers(dev))
    for pid in servers:
        os.kill(pid, signal.SIGKILL)
    seen = project.evaluations()
    codes = [client.post("/api/jobs/chain/validate", json={"run_config": {}}).status_code,
             client.get("/api/jobs").status_code, client.get("/api/runs").status_code]
    assert codes == [200, 200, 200], project.logs()
    launched = client.post("/api/jobs/chain/launch", json={"run_config": {}})
    assert launched.status_code == 200, launched.text
    run_id = launched.json()["run_id"]
    wait_for("the launched run to succeed", lambda: project.status(run_id) is _S.SUCCESS)
    wait_for("two more sensor ticks", lambda: project.evaluations() >= seen + 2, timeout=60)
    restarted = _code_servers(dev)
    assert not set(restarted) & set(servers)
    assert set(restarted.values()) == set(servers.values())  # the webserver and the daemon
    # the sensor's run key held through the kill: one run from it, however many ticks
    keyed = project.instance.get_runs(RunsFilter(tags={"headwater/run_key": "only-once"}))
    assert len(keyed) == 1


def test_a_stopped_run_worker_is_ended_failure_and_killed(quick_project: Project) -> None:
    """Invariant: a run whose process is SIGSTOPped mid-step (alive, but beating no more) is
    ended FAILURE by run monitoring once the heartbeat timeout of headwater.yaml passes, and
    its process is killed, so a SIGCONT cannot bring it back to finish."""
    project = quick_project
    project.mark("hold")
    proc = project.start("job", "execute", "-j", "chain")
    wait_for("the op to start", lambda: project.marked("work"))
    (run,) = project.runs()
    proc.send_signal(signal.SIGSTOP)
    stopped_at = time.monotonic()

    def ended() -> bool:
        listed = project.cli("run", "list")  # runs one monitoring pass, with the settings
        assert listed.returncode == 0, listed.stdout + listed.stderr
        return project.status(run.run_id) is _S.FAILURE

    wait_for("run monitoring to end the run", ended)
    assert time.monotonic() - stopped_at >= 2.0
    assert proc.wait(timeout=10) == -signal.SIGKILL
    assert project.status(run.run_id) is _S.FAILURE


@pytest.mark.parametrize("phase", ["worker_after_claim", "mid_step", "worker_after_run"])
def test_a_run_worker_killed_at_each_phase_ends_its_run(quick_project: Project, phase: str) -> None:
    """Invariant: a run worker SIGKILLed at any phase (right after it took the run, before its
    first heartbeat; in the middle of a step; after the run, before its last flush) leaves no
    run STARTED: run monitoring ends it, and a run that ends SUCCESS has its step's output
    recorded (nothing the run reported is lost, nothing it did not finish is claimed)."""
    project = quick_project
    project.mark("hold")
    if phase != "mid_step":
        project.env["HEADWATER_DAEMON_CRASH_AT"] = phase
    launched = project.cli("job", "launch", "-j", "chain", "-f", str(project.defs))
    assert launched.returncode == 0, launched.stdout + launched.stderr
    (run,) = project.runs()
    if phase == "mid_step":
        wait_for("the op to start", lambda: project.marked("work"))
        workers = [p for p in psutil.process_iter(["cmdline"])
                   if run.run_id in " ".join(p.info["cmdline"] or ())]
        assert workers, "the run worker's process (its command line names the run)"
        for worker in workers:
            worker.kill()
    else:
        project.unmark("hold")

    def ended() -> bool:
        listed = project.cli("run", "list")  # runs one monitoring pass, with the settings
        assert listed.returncode == 0, listed.stdout + listed.stderr
        return project.status(run.run_id) in (_S.FAILURE, _S.SUCCESS)

    wait_for("the run to end", ended, timeout=60)
    status = project.status(run.run_id)
    outputs = [e for e in project.instance.all_logs(run.run_id)
               if e.headwater_event is not None and e.headwater_event.event_type_value == "STEP_OUTPUT"]
    if phase == "worker_after_claim":
        assert status is _S.FAILURE and outputs == [] and not project.marked("work")
    elif phase == "mid_step":
        assert status is _S.FAILURE and outputs == []
    else:
        assert status in (_S.SUCCESS, _S.FAILURE)
        if status is _S.SUCCESS:
            assert len(outputs) == 1


def test_a_daemon_killed_mid_tick_neither_loses_nor_doubles_the_tick(project: Project) -> None:
    """Invariant: a daemon SIGKILLed while its sensor evaluates leaves a STARTED tick; the
    next daemon ends that tick and the sensor's run key holds: exactly one run for it."""
    project.mark("slow_sensor")
    first = project.start("daemon", "run", "--interval", "0.2")
    wait_for("the sensor to evaluate", lambda: project.evaluations() >= 1, timeout=60)
    os.killpg(first.pid, signal.SIGKILL)  # the daemon and its code server
    first.wait()
    state = wait_for("the sensor's state", lambda: [
        s for s in project.instance.storage.all_instigator_state() if s.name == "keyed"])
    started = project.instance.storage.get_ticks(state[0].origin_id, statuses=["STARTED"])
    assert len(started) == 1
    assert project.runs() == []
    project.unmark("slow_sensor")
    project.start("daemon", "run", "--interval", "0.2")

    def run_done() -> bool:
        runs = project.runs()
        return bool(runs) and runs[0].status is _S.SUCCESS

    wait_for("the sensor's run to succeed", run_done, timeout=60)
    seen = project.evaluations()
    wait_for("two more ticks", lambda: project.evaluations() >= seen + 2)
    ticks = project.instance.storage.get_ticks(state[0].origin_id)
    assert started[0].tick_id in [t.tick_id for t in ticks]
    assert [t for t in ticks if t.status == "STARTED" and t.tick_id == started[0].tick_id] == []
    assert len(project.runs()) == 1


def test_a_run_launched_by_a_killed_webserver_completes(project: Project) -> None:
    """Invariant: SIGKILL of the webserver that launched a run does not end the run: its
    worker is a process of its own and finishes SUCCESS, and a new webserver shows it."""
    project.mark("hold")
    web, client = project.webserver("webserver")
    launched = client.post("/api/jobs/chain/launch", json={"run_config": {}})
    assert launched.status_code == 200, launched.text
    run_id = launched.json()["run_id"]
    wait_for("the op to start", lambda: project.marked("work"))
    web.send_signal(signal.SIGKILL)
    web.wait()
    project.unmark("hold")
    wait_for("the run to succeed", lambda: project.status(run_id) is _S.SUCCESS)
    _, again = project.webserver("webserver")
    shown = again.get(f"/api/runs/{run_id}")
    assert shown.status_code == 200 and shown.json()["status"] == "SUCCESS"


def test_a_stopped_code_server_times_out_clearly_and_a_continued_one_answers(
        database_url: str, tmp_path: Path) -> None:
    """Invariant: a code server that hangs (SIGSTOP) holds neither the webserver nor the
    daemon longer than `code_servers.request_timeout_seconds`: a call to it fails with an
    error naming the location, the call and the timeout, the hung server is killed and the
    next call starts a new one; the daemon's sensor ticks go on. A server continued (SIGCONT)
    within the timeout answers as if nothing happened."""
    project = Project(database_url, tmp_path / "home",
                      "code_servers:\n  request_timeout_seconds: 3\n")
    try:
        dev, client = project.webserver("dev")
        wait_for("the sensor's first tick", lambda: project.evaluations() >= 1, timeout=60)
        servers = wait_for("both code servers", lambda: len(_code_servers(dev)) >= 2 and
                            _code_servers(dev))
        validate = {"run_config": {}}
        for pid in servers:
            os.kill(pid, signal.SIGSTOP)
        time.sleep(1.0)
        for pid in servers:
            os.kill(pid, signal.SIGCONT)
        assert client.post("/api/jobs/chain/validate", json=validate).status_code == 200
        # the webserver's code server resumed, not replaced (the daemon's may have been, if
        # a tick was waiting on it for the whole timeout on a loaded machine)
        (webserver_server,) = [pid for pid, parent in servers.items() if parent == dev.pid]
        assert webserver_server in _code_servers(dev)

        for pid in servers:
            os.kill(pid, signal.SIGSTOP)
        seen = project.evaluations()
        began = time.monotonic()
        hung = client.post("/api/jobs/chain/validate", json=validate)
        assert time.monotonic() - began < 10
        assert hung.status_code == 504  # a gateway timeout: the code server did not answer
        assert "did not answer 'validate_run_config' within 3.0s" in hung.json()["detail"]
        assert "Code server for 'defs'" in hung.json()["detail"]
        assert client.post("/api/jobs/chain/validate", json=validate).status_code == 200
        wait_for("two more sensor ticks", lambda: project.evaluations() >= seen + 2, timeout=40)
        restarted = _code_servers(dev)
        assert not set(restarted) & set(servers)
        assert set(restarted.values()) == set(servers.values())
        for pid in servers:  # killed by their clients, not left stopped
            assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"
        (state,) = [s for s in project.instance.storage.all_instigator_state()
                    if s.name == "keyed"]
        failed = project.instance.storage.get_ticks(state.origin_id, statuses=["FAILURE"])
        assert [t for t in failed if "did not answer 'evaluate_sensor' within 3.0s"
                in t.body["error"]["message"]]
    finally:
        project.close()


@pytest.mark.parametrize("section, message", [
    ({"request_timeout_seconds": 0}, "code_servers.request_timeout_seconds: expected a positive"),
    ({"startup_timeout_seconds": "long"}, "code_servers.startup_timeout_seconds: expected a"),
    ({"timeout": 3}, "unknown setting(s) timeout; the settings are request_timeout_seconds")])
def test_bad_code_server_timeouts_are_refused_by_name(section: dict[str, Any],
                                                      message: str) -> None:
    """Invariant: a mistyped or non-positive `code_servers:` timeout stops the webserver and
    the daemon at start, naming the setting; good ones reach their code server clients."""
    with hw.instance_for_test() as base:
        bad = HeadwaterInstance(base.storage, settings={"code_servers": section})
        with pytest.raises(HeadwaterInvalidInvocationError) as caught:
            code_server_timeouts(bad, request=30.0, startup=60.0)
        assert message in str(caught.value)
        with pytest.raises(HeadwaterInvalidInvocationError):
            Daemon(bad, [])
        good = HeadwaterInstance(base.storage,
                                 settings={"code_servers": {"request_timeout_seconds": 4}})
        daemon = Daemon(good, [CodeLocationOrigin(python_file="defs.py")])
        assert (daemon.locations[0].client.timeout,
                daemon.locations[0].client.startup_timeout) == (4.0, 60.0)
