"""Launched runs: run workers, the queue, cancellation, monitoring, and the run CLI."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from click.testing import CliRunner

import headwater as hw
from headwater.cli.main import main
from headwater.code.location import CodeLocationOrigin
from headwater.code.run import create_run
from headwater.daemon.launcher import (
    cancel_run,
    dequeue_runs,
    start_run,
    submit_run,
    wait_for_run,
)
from headwater.daemon.monitor import monitor_runs
from headwater.daemon.worker import run_worker
from headwater.definitions.tags import RUN_WORKER_PID_TAG

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures")
JOBS = os.path.join(FIXTURES, "run_jobs.py")
S = hw.HeadwaterRunStatus


def _launch(instance, job_name, directory, ops, **kwargs):
    origin = CodeLocationOrigin(python_file=JOBS)
    defs = origin.load()
    config = {"ops": {name: {"config": {"dir": str(directory)}} for name in ops}}
    run = create_run(instance, origin, defs.get_job_def(job_name), config, **kwargs)
    submit_run(instance, run.run_id)
    return run.run_id


def _until(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached before the test's timeout")
        time.sleep(0.05)


def test_launched_run_executes_in_a_run_worker(tmp_path):
    """A launched run returns at once, then a worker process runs it to SUCCESS."""
    with hw.instance_for_test() as instance:
        run_id = _launch(instance, "parallel_job", tmp_path, ["left", "right"])
        assert instance.get_run_by_id(run_id).status in (S.STARTING, S.STARTED)
        run = wait_for_run(instance, run_id, timeout=60)
        assert run.status is S.SUCCESS
        assert int(run.tags[RUN_WORKER_PID_TAG]) != os.getpid()


def test_cancel_stops_a_running_step_and_ends_canceled(tmp_path):
    """Canceling marks CANCELING; the worker kills the busy step and ends CANCELED."""
    with hw.instance_for_test() as instance:
        run_id = _launch(instance, "stuck_job", tmp_path, ["wait_forever"])
        _until(lambda: (tmp_path / "started").exists())
        assert cancel_run(instance, run_id) is S.CANCELING
        run = wait_for_run(instance, run_id, timeout=60)
        assert run.status is S.CANCELED
        kinds = [e.headwater_event_type for e in instance.all_logs(run_id)]
        assert hw.HeadwaterEventType.STEP_FAILURE in kinds
        assert not any(e.step_key == "after" for e in instance.all_logs(run_id))


def test_a_run_past_its_max_runtime_is_canceled_by_monitoring(tmp_path):
    """A run tagged headwater/max_runtime is canceled once it runs longer, and says why."""
    with hw.instance_for_test() as instance:
        run_id = _launch(instance, "stuck_job", tmp_path, ["wait_forever"],
                         tags={hw.MAX_RUNTIME_SECONDS_TAG: "1"})
        _until(lambda: (tmp_path / "started").exists())
        _until(lambda: run_id in monitor_runs(instance))
        run = wait_for_run(instance, run_id, timeout=60)
        assert run.status is S.CANCELED
        canceling = instance.all_logs(run_id, of_type=hw.HeadwaterEventType.RUN_CANCELING)
        assert "Exceeded the maximum runtime of 1 seconds" in canceling[0].message


def test_killed_worker_is_detected_and_run_marked_failed(tmp_path):
    """A run worker killed with SIGKILL leaves a run that monitor_runs marks FAILURE."""
    with hw.instance_for_test() as instance:
        run_id = _launch(instance, "stuck_job", tmp_path, ["wait_forever"])
        _until(lambda: (tmp_path / "started").exists())
        pid = int(instance.get_run_by_id(run_id).tags[RUN_WORKER_PID_TAG])
        os.killpg(pid, signal.SIGKILL)  # the worker and its step processes
        _until(lambda: run_id in monitor_runs(instance) or
               instance.get_run_by_id(run_id).is_finished)
        run = instance.get_run_by_id(run_id)
        assert run.status is S.FAILURE
        failure = instance.all_logs(run_id, of_type=hw.HeadwaterEventType.RUN_FAILURE)[-1]
        assert "exited without finishing" in failure.message


def test_queue_honours_global_and_tag_limits(tmp_path):
    """With run_queue settings, runs wait QUEUED until a slot frees."""
    settings = {"run_queue": {"max_concurrent_runs": 5,
                              "tag_concurrency_limits": [{"key": "db", "limit": 1}]}}
    with hw.instance_for_test(overrides=settings) as instance:
        first = _launch(instance, "stuck_job", tmp_path, ["wait_forever"], tags={"db": "x"})
        second = _launch(instance, "stuck_job", tmp_path, ["wait_forever"], tags={"db": "x"})
        assert instance.get_run_by_id(second).status is S.QUEUED
        assert dequeue_runs(instance) == []
        cancel_run(instance, first)
        wait_for_run(instance, first, timeout=60)
        assert dequeue_runs(instance) == [second]
        cancel_run(instance, second)
        assert wait_for_run(instance, second, timeout=60).status is S.CANCELED


def test_cli_launch_wait_show_and_reexecute(tmp_path, monkeypatch):
    """`job launch --wait`, `run show`, `run reexecute --from-failure` through the CLI."""
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path / "home"))
    (tmp_path / "fail").write_text("")
    config = json.dumps({"ops": {n: {"config": {"dir": str(tmp_path)}}
                                 for n in ("extract", "transform", "load")}})
    runner = CliRunner()
    launched = runner.invoke(main, ["job", "launch", "-f", JOBS, "-j", "etl_job", "--config-json", config,
                                    "--wait", "--json"])
    assert launched.exit_code == 1, launched.output
    run_id = json.loads(launched.output.strip().splitlines()[-1])["run_id"]
    shown = json.loads(runner.invoke(main, ["run", "show", run_id, "--json"]).output)
    assert shown["status"] == "FAILURE" and shown["steps"]["transform"] == "FAILURE"
    (tmp_path / "fail").unlink()
    again = runner.invoke(main, ["run", "reexecute", run_id, "--from-failure", "--wait", "--json"])
    assert again.exit_code == 0, again.output
    child = json.loads(again.output.strip().splitlines()[-1])
    assert child["status"] == "SUCCESS" and child["parent_run_id"] == run_id
    assert (tmp_path / "extract.count").read_text() == "1"
    listed = json.loads(runner.invoke(main, ["run", "list", "--json"]).output)
    assert [r["run_id"] for r in listed] == [child["run_id"], run_id]
    logs = runner.invoke(main, ["run", "logs", child["run_id"], "--json"])
    assert any(e["type"] == "PIPELINE_SUCCESS" for e in json.loads(logs.stdout))
    deleted = runner.invoke(main, ["run", "delete", run_id])
    assert deleted.exit_code == 0


def test_broken_defs_file_gives_a_clean_error_on_launch(tmp_path, monkeypatch):
    """Launching from a file that fails to import exits 1 with the error, no traceback."""
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path))
    result = CliRunner().invoke(main, ["job", "launch", "-f",
                                       os.path.join(FIXTURES, "broken_defs.py"), "-j", "x"])
    assert result.exit_code == 1
    assert "this project is broken on purpose" in result.output
    assert "broken_defs.py" in result.output
    assert "Traceback" not in result.output


def test_cancel_of_unknown_run_names_the_id(tmp_path, monkeypatch):
    """`run cancel` of an unknown id fails cleanly."""
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path))
    result = CliRunner().invoke(main, ["run", "cancel", "nope"])
    assert result.exit_code == 1 and "No run with id nope" in result.output


@pytest.fixture(autouse=True)
def _no_leftover_workers():
    yield
    from headwater.daemon.launcher import reap_children

    reap_children()


def test_start_run_refuses_a_run_already_launched(tmp_path):
    """start_run claims NOT_STARTED -> STARTING: a second start of the same run is refused
    and spawns no second worker."""
    with hw.instance_for_test() as instance:
        run_id = _launch(instance, "parallel_job", tmp_path, ["left", "right"])
        with pytest.raises(hw.HeadwaterInvalidInvocationError, match="launched once"):
            start_run(instance, run_id)
        assert wait_for_run(instance, run_id, timeout=60).status is S.SUCCESS
        starting = instance.all_logs(run_id, of_type=hw.HeadwaterEventType.RUN_STARTING)
        assert len(starting) == 1


def test_run_worker_refuses_a_run_another_worker_has(tmp_path):
    """A run worker given a STARTED run (another worker's) exits without executing it."""
    with hw.instance_for_test() as instance:
        origin = CodeLocationOrigin(python_file=JOBS)
        config = {"ops": {n: {"config": {"dir": str(tmp_path)}} for n in ("left", "right")}}
        run = create_run(instance, origin, origin.load().get_job_def("parallel_job"), config)
        instance.store_event(hw.HeadwaterEvent(hw.HeadwaterEventType.RUN_START, run.run_id,
                                               run.job_name, time.time()))
        with pytest.raises(hw.HeadwaterInvalidInvocationError, match="another run worker has it"):
            run_worker(instance, run.run_id)
        assert not any(e.step_key for e in instance.all_logs(run.run_id))
        assert instance.get_run_by_id(run.run_id).status is S.STARTED


def test_a_synchronous_run_launcher_executes_the_run_in_the_calling_process(tmp_path):
    """instance_for_test(synchronous_run_launcher=True): submit_run returns once the run
    finished, executed in this process."""
    with hw.instance_for_test(synchronous_run_launcher=True) as instance:
        run_id = _launch(instance, "etl_job", tmp_path, ["extract", "transform", "load"])
        run = instance.get_run_by_id(run_id)
        assert run.status is S.SUCCESS
        assert int(run.tags[RUN_WORKER_PID_TAG]) == os.getpid()
        assert (tmp_path / "load.count").read_text() == "1"


def test_a_synchronous_run_coordinator_starts_runs_past_the_queue(tmp_path):
    """instance_for_test(synchronous_run_coordinator=True): a submitted run starts at once,
    even with a run queue that admits nothing."""
    no_room = {"run_queue": {"max_concurrent_runs": 0}}
    with hw.instance_for_test(overrides=no_room) as instance:
        queued = _launch(instance, "etl_job", tmp_path, ["extract", "transform", "load"])
        assert instance.get_run_by_id(queued).status is S.QUEUED
    with hw.instance_for_test(overrides=no_room, synchronous_run_coordinator=True,
                              synchronous_run_launcher=True) as instance:
        run_id = _launch(instance, "etl_job", tmp_path, ["extract", "transform", "load"])
        assert instance.get_run_by_id(run_id).status is S.SUCCESS
