"""Every run ends: cancel reaches a running in-process step, a killed run is ended by run
monitoring, and a finished run's status never changes again.

The runs are real `headwater job execute` / `headwater asset materialize` processes of
tests/fixtures/runends_defs.py (a chain of three in-process steps whose middle one sleeps),
canceled, killed with SIGKILL or declared dead from this process. Each step drops a marker
file, so the test can tell which steps ran.
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

import pytest
from waiting import wait_for

from headwater import HeadwaterInstance
from headwater.daemon.launcher import cancel_run
from headwater.daemon.monitor import monitor_runs
from headwater.definitions.key import AssetKey
from headwater.definitions.tags import RUN_WORKER_HOST_TAG, RUN_WORKER_PID_TAG
from headwater.errors import HeadwaterInvalidInvocationError
from headwater.execution.event import HeadwaterEvent, HeadwaterEventType
from headwater.storage.base import EventQuery
from headwater.storage.record import (
    AssetPartitionStatus,
    HeadwaterRun,
    HeadwaterRunStatus,
    RunsFilter,
)

DEFS = str(Path(__file__).resolve().parents[1] / "fixtures" / "runends_defs.py")
SRC = str(Path(__file__).resolve().parents[2] / "src")
_ET = HeadwaterEventType
_S = HeadwaterRunStatus
IN_PROGRESS = [_S.STARTING, _S.STARTED, _S.CANCELING]


class Project:
    """The fixture project run by CLI processes against one instance."""

    def __init__(self, url: str, home: Path):
        self.url = url
        self.home = home
        self.marks = home / "marks"
        self.marks.mkdir(parents=True)
        self.instance = HeadwaterInstance.from_url(url, str(home))
        self.env = {**os.environ, "HEADWATER_HOME": str(home), "HEADWATER_DATABASE_URL": url,
                    "RUNENDS_MARKS": str(self.marks),
                    "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.home / f"cli-{len(self.procs)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen([sys.executable, "-m", "headwater.cli.main", *args, "-f", DEFS],
                                env=self.env, cwd=self.home, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.procs.append(proc)
        return proc

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "headwater.cli.main", *args], env=self.env,
                              cwd=self.home, capture_output=True, text=True, timeout=60)

    def ran(self, step: str) -> bool:
        return (self.marks / step).exists()

    def only_run(self) -> HeadwaterRun:
        runs = wait_for("the run to be stored", self.instance.get_runs)
        assert len(runs) == 1
        return runs[0]

    def run(self, run_id: str) -> HeadwaterRun:
        run = self.instance.get_run_by_id(run_id)
        assert run is not None
        return run

    def events(self, run_id: str) -> list[HeadwaterEvent]:
        return [r.event_log_entry.headwater_event for r in
                self.instance.storage.get_event_records(EventQuery(run_id=run_id))]

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.instance.dispose()


@pytest.fixture
def project(database_url: str, tmp_path: Path) -> Iterator[Project]:
    made = Project(database_url, tmp_path / "home")
    yield made
    made.close()


def test_cancel_interrupts_the_running_in_process_step(project: Project) -> None:
    """A cancel from another process stops an in-process run inside its sleeping step: the
    step fails as interrupted, the steps after it never run, and the run ends CANCELED."""
    proc = project.start("job", "execute", "-j", "chain")
    wait_for("step two to start", lambda: project.ran("two"))
    run = project.only_run()
    result = project.cli("run", "cancel", run.run_id)
    assert result.returncode == 0, result.stdout + result.stderr
    proc.wait(timeout=20)
    assert project.run(run.run_id).status is _S.CANCELED
    assert not project.ran("two_done") and not project.ran("three")
    events = project.events(run.run_id)
    failures = [e for e in events if e.event_type is _ET.STEP_FAILURE]
    assert [(e.step_key, e.payload.error_source) for e in failures] == [("two", "INTERRUPT")]
    assert not [e for e in events if e.event_type is _ET.STEP_START and e.step_key == "three"]


def test_killed_materialize_is_ended_by_run_monitoring(project: Project) -> None:
    """`asset materialize` killed with SIGKILL mid-step leaves a run that records its process:
    one monitoring pass ends it FAILURE, naming the process, and its asset partition is no
    longer in progress."""
    proc = project.start("asset", "materialize", "--select", "*", "--partition", "p1")
    wait_for("asset slow to start", lambda: project.ran("slow"))
    run = project.only_run()
    assert run.tags[RUN_WORKER_PID_TAG] == str(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert project.run(run.run_id).status is _S.STARTED
    assert monitor_runs(project.instance) == [run.run_id]
    ended = project.run(run.run_id)
    assert ended.status is _S.FAILURE
    failure = [e for e in project.events(run.run_id) if e.event_type is _ET.RUN_FAILURE]
    assert f"pid {proc.pid}" in failure[-1].message
    statuses = project.instance.storage.get_partition_statuses(AssetKey("slow"))
    assert statuses.get("p1") is not AssetPartitionStatus.IN_PROGRESS
    assert project.instance.get_runs(RunsFilter(statuses=IN_PROGRESS)) == []


def test_cancel_of_a_killed_run_ends_it_canceled(project: Project) -> None:
    """Canceling a run whose process was killed ends it CANCELED at once, not CANCELING
    forever."""
    proc = project.start("job", "execute", "-j", "chain")
    wait_for("step two to start", lambda: project.ran("two"))
    run = project.only_run()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert cancel_run(project.instance, run.run_id) is _S.CANCELED
    assert project.run(run.run_id).status is _S.CANCELED
    assert monitor_runs(project.instance) == []


def test_a_run_declared_dead_is_killed_and_stays_failed(project: Project) -> None:
    """A run whose heartbeat is declared too old is ended FAILURE and its process on this
    host is killed, so it cannot go on to finish its steps and flip to SUCCESS."""
    proc = project.start("job", "execute", "-j", "chain")
    wait_for("step two to start", lambda: project.ran("two"))
    run = project.only_run()
    assert monitor_runs(project.instance, heartbeat_timeout=0.0) == [run.run_id]
    assert proc.wait(timeout=10) == -signal.SIGKILL
    assert project.run(run.run_id).status is _S.FAILURE
    assert not project.ran("three")


def test_a_run_failed_from_another_host_stops_itself(project: Project) -> None:
    """A run the monitor on another host declared dead (it cannot kill the process) notices
    within seconds, stops its running step and runs nothing more; its status stays FAILURE."""
    proc = project.start("job", "execute", "-j", "chain")
    wait_for("step two to start", lambda: project.ran("two"))
    run = project.only_run()
    project.instance.add_run_tags(run.run_id, {RUN_WORKER_HOST_TAG: "another-host"})
    assert monitor_runs(project.instance, heartbeat_timeout=0.0) == [run.run_id]
    proc.wait(timeout=20)
    assert project.run(run.run_id).status is _S.FAILURE
    assert not project.ran("two_done") and not project.ran("three")


def _stored_run(instance: HeadwaterInstance, *events: HeadwaterEventType) -> str:
    run = instance.add_run(HeadwaterRun(job_name="chain", run_id=f"run-{time.time_ns()}"))
    for event_type in events:
        instance.store_event(HeadwaterEvent(event_type, run.run_id, "chain", time.time(),
                                            message=event_type.value))
    instance.flush()
    return run.run_id


def _terminal_statuses_are_final(instance: HeadwaterInstance) -> None:
    failed = _stored_run(instance, _ET.RUN_START, _ET.RUN_FAILURE, _ET.RUN_SUCCESS)
    record = instance.get_run_record_by_id(failed)
    assert record is not None and record.headwater_run.status is _S.FAILURE
    kinds = [r.event_log_entry.headwater_event.event_type for r in
             instance.storage.get_event_records(EventQuery(run_id=failed))]
    assert kinds == [_ET.RUN_START, _ET.RUN_FAILURE, _ET.RUN_SUCCESS]  # stored all the same
    succeeded = _stored_run(instance, _ET.RUN_START, _ET.RUN_SUCCESS)
    end_time = instance.get_run_record_by_id(succeeded).end_time  # type: ignore[union-attr]
    instance.store_events([HeadwaterEvent(_ET.RUN_CANCELING, succeeded, "chain", time.time()),
                           HeadwaterEvent(_ET.RUN_CANCELED, succeeded, "chain", time.time())])
    record = instance.get_run_record_by_id(succeeded)
    assert record is not None and record.headwater_run.status is _S.SUCCESS
    assert record.end_time == end_time


def test_terminal_statuses_are_final(database_url: str, tmp_path: Path) -> None:
    """An event that would move a finished run to another status is stored but changes
    neither its status nor its end time (FAILURE never becomes SUCCESS, SUCCESS never
    CANCELING)."""
    instance = HeadwaterInstance.from_url(database_url, str(tmp_path))
    try:
        _terminal_statuses_are_final(instance)
    finally:
        instance.dispose()


def test_terminal_statuses_are_final_in_memory() -> None:
    """The in-memory storage keeps a finished run's status too."""
    _terminal_statuses_are_final(HeadwaterInstance.ephemeral())


def test_cancel_of_a_finished_run_is_refused(database_url: str, tmp_path: Path) -> None:
    """Cancel of a run that finished, even one finishing while the cancel is on its way,
    is refused with a message saying so, and the run stays SUCCESS."""
    instance = HeadwaterInstance.from_url(database_url, str(tmp_path))
    try:
        done = _stored_run(instance, _ET.RUN_START, _ET.RUN_SUCCESS)
        with pytest.raises(HeadwaterInvalidInvocationError, match="already finished"):
            cancel_run(instance, done)
        racing = _stored_run(instance, _ET.RUN_START)
        stale = instance.get_run_by_id(racing)
        real_get = instance.get_run_by_id
        reads: list[str] = []

        def get_then_finish(run_id: str) -> HeadwaterRun | None:
            reads.append(run_id)
            if len(reads) == 1:  # the run finishes just after cancel read it as STARTED
                instance.store_event(HeadwaterEvent(_ET.RUN_SUCCESS, racing, "chain",
                                                    time.time()))
                return stale
            return real_get(run_id)

        instance.get_run_by_id = get_then_finish  # type: ignore[method-assign]
        with pytest.raises(HeadwaterInvalidInvocationError, match="finished"):
            cancel_run(instance, racing)
        del instance.get_run_by_id
        assert instance.get_run_by_id(done).status is _S.SUCCESS  # type: ignore[union-attr]
        assert instance.get_run_by_id(racing).status is _S.SUCCESS  # type: ignore[union-attr]
    finally:
        instance.dispose()


def test_ctrl_c_ends_the_run_failed(project: Project) -> None:
    """Ctrl-C (SIGINT with no cancel pending) stops `job execute` as before, and its run is
    recorded FAILURE instead of staying STARTED."""
    proc = project.start("job", "execute", "-j", "chain")
    wait_for("step two to start", lambda: project.ran("two"))
    run = project.only_run()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) != 0
    assert project.run(run.run_id).status is _S.FAILURE
    assert not project.ran("three")


def test_run_monitoring_settings(tmp_path: Path) -> None:
    """headwater.yaml `run_monitoring:` sets the timeouts; a mistyped name or a bad value is
    refused naming it; `enabled: false` ends nothing."""
    url = f"sqlite:///{tmp_path}/headwater.db"

    def monitor(settings: dict[str, Any]) -> list[str]:
        instance = HeadwaterInstance.from_url(url, str(tmp_path), {"run_monitoring": settings})
        try:
            return monitor_runs(instance)
        finally:
            instance.dispose()

    instance = HeadwaterInstance.from_url(url, str(tmp_path))
    run_id = _stored_run(instance, _ET.RUN_START)
    instance.storage.set_kvs({f"run_heartbeat/{run_id}": str(time.time() - 60)})
    instance.dispose()
    with pytest.raises(HeadwaterInvalidInvocationError, match="heartbeat_timeout_seconds"):
        monitor({"heartbeat_timeout": 5})
    with pytest.raises(HeadwaterInvalidInvocationError,
                       match="run_monitoring.cancel_timeout_seconds: expected a positive"):
        monitor({"cancel_timeout_seconds": -1})
    assert monitor({"enabled": False}) == []
    assert monitor({"heartbeat_timeout_seconds": 120}) == []
    assert monitor({"heartbeat_timeout_seconds": 30}) == [run_id]
