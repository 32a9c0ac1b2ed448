"""Run monitoring stops the worker of a run it declares dead: a launcher other than the
default one (a container, a Kubernetes Job) is asked to terminate it once the run is ended,
and a terminate that raises leaves the run ended all the same, with the launcher named.

The launcher here is a real RunLauncher, named in headwater.yaml by this module's name: its
worker is a subprocess that hangs before it starts the run (as a container stuck in its
entrypoint would), and each terminate call is written to a file."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

import headwater as hw
from headwater.code.location import CodeLocationOrigin
from headwater.code.run import create_run
from headwater.daemon.launcher import cancel_run, launcher_name, submit_run
from headwater.daemon.monitor import monitor_runs
from headwater.daemon.run_launcher import DefaultRunLauncher, pid_alive, run_launcher_of
from headwater.definitions.tags import RUN_LAUNCHER_TAG

JOBS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "run_jobs.py")
S = hw.HeadwaterRunStatus
ET = hw.HeadwaterEventType
#: The run tag holding the pid of the subprocess that stands for the run's worker.
WORKER_TAG = "test/worker_pid"
_WORKERS: dict[int, subprocess.Popen[bytes]] = {}


class SubprocessRunLauncher(hw.RunLauncher):
    """Starts each run's worker as a subprocess that never starts the run; terminate writes
    the run id to `calls_file`, then kills the subprocess (or raises, with
    `terminate_fails`, as a cluster API that does not answer would)."""

    def __init__(self, calls_file: str, terminate_fails: bool = False):
        self.calls_file = calls_file
        self.terminate_fails = terminate_fails

    def launch_run(self, context: hw.LaunchRunContext) -> None:
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                                start_new_session=True)
        _WORKERS[proc.pid] = proc
        self.instance.add_run_tags(context.headwater_run.run_id, {WORKER_TAG: str(proc.pid)})

    def terminate(self, run_id: str) -> bool:
        with open(self.calls_file, "a") as f:
            f.write(f"{run_id}\n")
        if self.terminate_fails:
            raise ConnectionError("the cluster's API server did not answer")
        run = self.run_to_stop(run_id)
        proc = _WORKERS.pop(int(run.tags[WORKER_TAG]), None) if run is not None else None
        if proc is None or proc.poll() is not None:
            return False
        proc.kill()
        proc.wait()
        return True


class RecordingDefaultRunLauncher(DefaultRunLauncher):
    """The default launcher, writing each terminate call to `calls_file`."""

    def __init__(self, calls_file: str):
        self.calls_file = calls_file

    def terminate(self, run_id: str) -> bool:
        with open(self.calls_file, "a") as f:
            f.write(f"{run_id}\n")
        return super().terminate(run_id)


@pytest.fixture(autouse=True)
def _no_worker_left() -> Iterator[None]:
    yield
    while _WORKERS:
        _, proc = _WORKERS.popitem()
        proc.kill()
        proc.wait()


def _instance(tmp_path: Any, monkeypatch: Any, cls: str, **config: Any) -> hw.HeadwaterInstance:
    """An instance whose headwater.yaml names the launcher `cls` of this module."""
    home = tmp_path / "home"
    home.mkdir()
    section = {"module": __name__, "class": cls,
               "config": {"calls_file": str(tmp_path / "terminated"), **config}}
    (home / "headwater.yaml").write_text(yaml.safe_dump({"run_launcher": section}))
    monkeypatch.setenv("HEADWATER_HOME", str(home))
    return hw.HeadwaterInstance.get()


def _terminated(tmp_path: Any) -> list[str]:
    path = tmp_path / "terminated"
    return path.read_text().split() if path.exists() else []


def _launched_run(instance: hw.HeadwaterInstance, tmp_path: Any) -> hw.HeadwaterRun:
    origin = CodeLocationOrigin(python_file=JOBS)
    config = {"ops": {"wait_forever": {"config": {"dir": str(tmp_path)}}}}
    run = create_run(instance, origin, origin.load().get_job_def("stuck_job"), config)
    assert submit_run(instance, run.run_id) is S.STARTING
    return instance.get_run_by_id(run.run_id)


def _engine_events(instance: hw.HeadwaterInstance, run_id: str) -> list[Any]:
    return instance.all_logs(run_id, of_type=ET.ENGINE_EVENT)


def test_a_run_past_its_start_timeout_is_failed_and_its_worker_terminated(tmp_path,
                                                                         monkeypatch):
    """A launched run whose worker hangs before it starts the run is ended FAILURE, then its
    launcher is asked to stop the worker, which stops: the failure names the launcher."""
    instance = _instance(tmp_path, monkeypatch, "SubprocessRunLauncher")
    try:
        run = _launched_run(instance, tmp_path)
        pid = int(run.tags[WORKER_TAG])
        assert pid_alive(pid)
        assert monitor_runs(instance, start_timeout=0.0) == [run.run_id]
        assert instance.get_run_by_id(run.run_id).status is S.FAILURE
        assert _terminated(tmp_path) == [run.run_id]
        assert not pid_alive(pid)
        (failure,) = instance.all_logs(run.run_id, of_type=ET.RUN_FAILURE)
        assert "did not start within 0s" in failure.message
        assert "SubprocessRunLauncher() is asked to stop its worker" in failure.message
        assert _engine_events(instance, run.run_id)[-1].message == \
            "Run monitoring had SubprocessRunLauncher() stop the run's worker."
        assert instance.all_logs(run.run_id, of_type=ET.RUN_CANCELING) == []
        assert monitor_runs(instance, start_timeout=0.0) == []
        assert _terminated(tmp_path) == [run.run_id]  # once: the run has ended
    finally:
        instance.dispose()


def test_a_terminate_that_raises_leaves_the_run_failed_and_says_so(tmp_path, monkeypatch):
    """When the launcher cannot stop the worker, the run is FAILURE all the same, and an
    engine event names the launcher and its error."""
    instance = _instance(tmp_path, monkeypatch, "SubprocessRunLauncher", terminate_fails=True)
    try:
        run = _launched_run(instance, tmp_path)
        assert monitor_runs(instance, start_timeout=0.0) == [run.run_id]
        assert instance.get_run_by_id(run.run_id).status is S.FAILURE
        assert _terminated(tmp_path) == [run.run_id]
        event = _engine_events(instance, run.run_id)[-1]
        assert event.message.startswith(
            "Run monitoring could not stop the run's worker with SubprocessRunLauncher(): "
            "ConnectionError: the cluster's API server did not answer.")
        assert "ConnectionError" in event.headwater_event.payload.error.message
    finally:
        instance.dispose()


def test_a_run_past_its_cancel_timeout_is_canceled_and_its_worker_terminated(tmp_path,
                                                                            monkeypatch):
    """A cancel whose terminate did not stop the worker leaves the run CANCELING; past the
    cancel timeout monitoring ends it CANCELED and asks the launcher again."""
    instance = _instance(tmp_path, monkeypatch, "SubprocessRunLauncher", terminate_fails=True)
    try:
        run = _launched_run(instance, tmp_path)
        with pytest.raises(ConnectionError):
            cancel_run(instance, run.run_id)
        assert instance.get_run_by_id(run.run_id).status is S.CANCELING
        assert monitor_runs(instance, cancel_timeout=0.0) == [run.run_id]
        assert instance.get_run_by_id(run.run_id).status is S.CANCELED
        assert _terminated(tmp_path) == [run.run_id, run.run_id]
        assert "could not stop the run's worker" in _engine_events(instance, run.run_id)[-1].message
    finally:
        instance.dispose()


def test_the_default_launcher_is_not_asked_to_terminate(tmp_path, monkeypatch):
    """The default launcher's worker is a local process, which monitoring kills itself: its
    terminate is not called for a dead run."""
    instance = _instance(tmp_path, monkeypatch, "RecordingDefaultRunLauncher")
    try:
        origin = CodeLocationOrigin(python_file=JOBS)
        config = {"ops": {"wait_forever": {"config": {"dir": str(tmp_path)}}}}
        run = create_run(instance, origin, origin.load().get_job_def("stuck_job"), config)
        launcher = run_launcher_of(instance)
        assert isinstance(launcher, RecordingDefaultRunLauncher)
        instance.add_run_tags(run.run_id, {RUN_LAUNCHER_TAG: launcher_name(launcher)})
        instance.store_event(hw.HeadwaterEvent(ET.RUN_STARTING, run.run_id, run.job_name, 0.0))
        assert monitor_runs(instance, start_timeout=0.0) == [run.run_id]
        assert instance.get_run_by_id(run.run_id).status is S.FAILURE
        assert _terminated(tmp_path) == []
        (failure,) = instance.all_logs(run.run_id, of_type=ET.RUN_FAILURE)
        assert "asked to stop" not in failure.message
    finally:
        instance.dispose()
