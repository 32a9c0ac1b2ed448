"""The pluggable run launcher: headwater.yaml `run_launcher:` chooses the class that `job
launch`, the daemon's queue and the webserver hand claimed runs to; cancel calls its terminate,
monitoring its health check; a bad section is one error naming the key."""

from __future__ import annotations

import json
import os

import pytest
import yaml
from click.testing import CliRunner

import headwater as hw
from headwater.cli.main import main
from headwater.code.location import CodeLocationOrigin
from headwater.code.run import create_run
from headwater.daemon.launcher import cancel_run, submit_run
from headwater.daemon.monitor import monitor_runs
from headwater.daemon.queue import run_queue
from headwater.daemon.run_launcher import load_run_launcher, run_launcher_of
from headwater.definitions.tags import RUN_LAUNCHER_TAG

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures")
JOBS = os.path.join(FIXTURES, "run_jobs.py")
S = hw.HeadwaterRunStatus


@pytest.fixture
def calls(monkeypatch):
    """The test launcher's module importable by name; its record of calls, emptied."""
    monkeypatch.syspath_prepend(FIXTURES)
    import run_launchers

    run_launchers.CALLS.clear()
    yield run_launchers.CALLS
    run_launchers.CALLS.clear()


def _section(label: str = "mine", **config) -> dict:
    return {"module": "run_launchers", "class": "RecordingRunLauncher",
            "config": {"label": label, **config}}


def _run(instance, tmp_path, job_name="etl_job", **kwargs):
    origin = CodeLocationOrigin(python_file=JOBS)
    ops = ("wait_forever",) if job_name == "stuck_job" else ("extract", "transform", "load")
    config = {"ops": {n: {"config": {"dir": str(tmp_path)}} for n in ops}}
    return create_run(instance, origin, origin.load().get_job_def(job_name), config, **kwargs)


def test_without_a_section_the_default_launcher_starts_subprocesses():
    """No run_launcher section gives DefaultRunLauncher, which checks its workers' health."""
    launcher = load_run_launcher(None)
    assert type(launcher) is hw.DefaultRunLauncher
    assert launcher.supports_check_run_worker_health


def test_job_launch_uses_the_launcher_named_in_headwater_yaml(tmp_path, monkeypatch, calls):
    """`job launch --wait` hands the run to the configured class, built from its config."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "headwater.yaml").write_text(yaml.safe_dump({"run_launcher": _section("from-yaml")}))
    monkeypatch.setenv("HEADWATER_HOME", str(home))
    config = json.dumps({"ops": {n: {"config": {"dir": str(tmp_path)}}
                                 for n in ("extract", "transform", "load")}})
    result = CliRunner().invoke(main, ["job", "launch", "-f", JOBS, "-j", "etl_job",
                                       "--config-json", config, "--wait", "--json"])
    assert result.exit_code == 0, result.output
    run = json.loads(result.output.strip().splitlines()[-1])
    assert run["status"] == "SUCCESS"
    assert calls == [("launch", run["run_id"], "from-yaml")]
    assert (tmp_path / "load.count").read_text() == "1"


def test_the_daemon_queue_launches_through_the_configured_launcher(tmp_path, calls):
    """A queued run is started by the configured launcher when the queue dequeues it, and
    is tagged with the launcher that started it."""
    settings = {"run_queue": {"max_concurrent_runs": 1}, "run_launcher": _section("queue")}
    with hw.instance_for_test(overrides=settings) as instance:
        run = _run(instance, tmp_path)
        assert submit_run(instance, run.run_id) is S.SUCCESS  # dequeued at once, in-process
        queued = _run(instance, tmp_path)
        instance.storage.transition_run(
            hw.HeadwaterEvent(hw.HeadwaterEventType.RUN_ENQUEUED, queued.run_id,
                              queued.job_name, 0.0), (S.NOT_STARTED,))
        assert run_queue(instance) == [queued.run_id]
        done = instance.get_run_by_id(queued.run_id)
        assert done.status is S.SUCCESS
        assert done.tags[RUN_LAUNCHER_TAG] == "run_launchers.RecordingRunLauncher"
        assert [c for c in calls if c[0] == "launch"] == [
            ("launch", run.run_id, "queue"), ("launch", queued.run_id, "queue")]


def test_cancel_calls_terminate_of_the_launcher_that_started_the_run(tmp_path, calls):
    """Canceling a launched run marks it CANCELING with the reason, then the launcher's
    terminate stops its worker."""
    with hw.instance_for_test(overrides={"run_launcher": _section(execute=False)}) as instance:
        run = _run(instance, tmp_path, "stuck_job")
        submit_run(instance, run.run_id)
        assert instance.get_run_by_id(run.run_id).status is S.STARTING
        assert cancel_run(instance, run.run_id, "Enough.") is S.CANCELED
        assert ("terminate", run.run_id, "mine") in calls
        canceling = instance.all_logs(run.run_id, of_type=hw.HeadwaterEventType.RUN_CANCELING)
        assert [e.message for e in canceling] == ["Enough."]
        ended = instance.all_logs(run.run_id, of_type=hw.HeadwaterEventType.RUN_CANCELED)
        assert ended[-1].message == "Stopped by mine."


def test_terminate_is_not_called_for_a_run_no_launcher_started(tmp_path, calls):
    """A run executing in its caller's process has no launcher to stop it: cancel only marks
    it CANCELING (its own watch stops it)."""
    with hw.instance_for_test(overrides={"run_launcher": _section(execute=False)}) as instance:
        run = _run(instance, tmp_path, "stuck_job")
        instance.store_event(hw.HeadwaterEvent(hw.HeadwaterEventType.RUN_START, run.run_id,
                                               run.job_name, 0.0))
        assert cancel_run(instance, run.run_id) is S.CANCELING
        assert calls == []


def test_monitoring_ends_a_run_whose_launcher_lost_its_worker(tmp_path, calls):
    """Run monitoring asks the run's launcher about its worker; a worker that ended without
    ending the run fails the run, with the launcher's reason."""
    with hw.instance_for_test(overrides={"run_launcher": _section(execute=False)}) as instance:
        alive = _run(instance, tmp_path, "stuck_job")
        gone = _run(instance, tmp_path, "stuck_job", tags={"test/worker_gone": "1"})
        submit_run(instance, alive.run_id)
        submit_run(instance, gone.run_id)
        assert monitor_runs(instance) == [gone.run_id]
        assert instance.get_run_by_id(alive.run_id).status is S.STARTING
        failure = instance.all_logs(gone.run_id, of_type=hw.HeadwaterEventType.RUN_FAILURE)
        assert "mine lost the worker" in failure[-1].message
        assert ("health", alive.run_id, "mine") in calls


def test_the_launcher_is_built_once_per_instance(calls):
    """run_launcher_of gives the same launcher for the same instance, registered with it."""
    with hw.instance_for_test(overrides={"run_launcher": _section()}) as instance:
        launcher = run_launcher_of(instance)
        assert run_launcher_of(instance) is launcher and launcher.instance is instance


@pytest.mark.parametrize(("section", "message"), [
    ({"module": "run_launchers", "class": "RecordingRunLauncher", "confg": {}},
     "headwater.yaml run_launcher: unknown key(s) confg"),
    ({"class": "RecordingRunLauncher"}, "headwater.yaml run_launcher.module: expected"),
    ({"module": "no_such_module_here", "class": "X"},
     "headwater.yaml run_launcher.module: cannot import 'no_such_module_here'"),
    ({"module": "dagster_docker", "class": "DockerRunLauncher"},
     "(rename it to headwater_docker)"),
    ({"module": "run_launchers", "class": "Missing"},
     "headwater.yaml run_launcher.class: run_launchers has no class 'Missing'"),
    ({"module": "run_launchers", "class": "NotALauncher"},
     "run_launchers has no RunLauncher subclass named 'NotALauncher'"),
    ({"module": "run_launchers", "class": "RecordingRunLauncher", "config": {"labl": "x"}},
     "headwater.yaml run_launcher.config: RecordingRunLauncher has no argument(s) labl; it "
     "takes label, execute."),
    ({"module": "run_launchers", "class": "RecordingRunLauncher"},
     "headwater.yaml run_launcher.config: RecordingRunLauncher needs label"),
    ({"module": "run_launchers", "class": "RecordingRunLauncher", "config": ["label"]},
     "headwater.yaml run_launcher.config: expected a mapping"),
])
def test_a_bad_section_is_one_error_naming_the_key(section, message, calls):
    """Each mistake in run_launcher: names the key at fault and the fix."""
    with pytest.raises(hw.HeadwaterInvalidInvocationError) as error:
        load_run_launcher(section)
    assert message in str(error.value)


def test_job_launch_with_a_bad_launcher_fails_before_claiming_the_run(tmp_path, monkeypatch,
                                                                      calls):
    """A misconfigured launcher is a clean CLI error, before any run is stored."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "headwater.yaml").write_text(yaml.safe_dump(
        {"run_launcher": {"module": "run_launchers", "class": "Missing"}}))
    monkeypatch.setenv("HEADWATER_HOME", str(home))
    config = json.dumps({"ops": {n: {"config": {"dir": str(tmp_path)}}
                                 for n in ("extract", "transform", "load")}})
    result = CliRunner().invoke(main, ["job", "launch", "-f", JOBS, "-j", "etl_job",
                                       "--config-json", config])
    assert result.exit_code == 1
    assert "run_launcher.class: run_launchers has no class 'Missing'" in result.output
    assert "Traceback" not in result.output
    with hw.HeadwaterInstance.get() as instance:
        assert instance.get_runs() == []


def test_the_webserver_launches_and_cancels_through_the_configured_launcher(tmp_path, calls):
    """A launch from the API goes to the configured launcher; a cancel from the API calls its
    terminate."""
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from headwater.server import create_app

    settings = {"run_launcher": _section("web", execute=False)}
    with hw.instance_for_test(overrides=settings) as instance:
        app = create_app(instance, [CodeLocationOrigin(python_file=JOBS)])
        with TestClient(app, base_url="http://127.0.0.1",
                        headers={"X-Headwater-Request": "1"}) as client:
            launched = client.post("/api/jobs/stuck_job/launch", json={
                "run_config": {"ops": {"wait_forever": {"config": {"dir": str(tmp_path)}}}}})
            assert launched.status_code == 200, launched.text
            run_id = launched.json()["run_id"]
            assert calls == [("launch", run_id, "web")]
            canceled = client.post(f"/api/runs/{run_id}/cancel")
            assert canceled.status_code == 200, canceled.text
        assert ("terminate", run_id, "web") in calls
        assert instance.get_run_by_id(run_id).status is S.CANCELED


def test_the_webserver_refuses_to_launch_with_a_bad_launcher(tmp_path, calls):
    """A misconfigured run_launcher is a 400 naming the key, and no run is stored."""
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from headwater.server import create_app

    settings = {"run_launcher": {**_section(), "class": "Missing"}}
    with hw.instance_for_test(overrides=settings) as instance:
        app = create_app(instance, [CodeLocationOrigin(python_file=JOBS)])
        with TestClient(app, base_url="http://127.0.0.1",
                        headers={"X-Headwater-Request": "1"}) as client:
            response = client.post("/api/jobs/stuck_job/launch", json={
                "run_config": {"ops": {"wait_forever": {"config": {"dir": str(tmp_path)}}}}})
        assert response.status_code == 400
        assert "run_launcher.class: run_launchers has no class 'Missing'" in \
            response.json()["detail"]
        assert instance.get_runs() == []
