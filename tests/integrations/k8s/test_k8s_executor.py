"""k8s_job_executor: each step a Kubernetes Job, here run by a local stand-in for the cluster.

`LocalJobs` (k8s_local_jobs.py) validates every Job manifest against Kubernetes' schema, then
runs its container command (`headwater execute-step ...`) as a local process: the steps
really execute, and the engine's side (scheduling, reports, cancel) is the real one.
"""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

import headwater as hw
from headwater import HeadwaterEventType as ET
from headwater import execute_job, reconstructable

sys.path.insert(0, os.path.dirname(__file__))

import k8s_step_jobs  # noqa: E402
from k8s_local_jobs import LocalJobs  # noqa: E402

IMAGE = "registry.example.com/pipelines:1.4"
POSTGRES_URL = os.environ.get("HEADWATER_TEST_POSTGRES_URL",
                              "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def backend(tmp_path):
    jobs = LocalJobs(str(tmp_path), unpullable={"registry.example.com/missing:1"},
                     forbidden={"locked"})
    k8s_step_jobs.BACKEND = jobs
    yield jobs
    jobs.stop_all()
    k8s_step_jobs.BACKEND = None


def _config(directory=None, ops=(), **executor):
    config = {"execution": {"config": {"job_image": IMAGE, **executor}}}
    if ops:
        config["ops"] = {name: {"config": {"dir": str(directory)}} for name in ops}
    return config


def _failure(result, step_key):
    (event,) = [e for e in result.all_events
                if e.event_type is ET.STEP_FAILURE and e.step_key == step_key]
    return event


def test_each_step_runs_in_its_own_job_and_values_pass_through_the_io_manager(tmp_path, backend):
    """Three steps, three Jobs, three processes; the run's log holds every step's events."""
    with hw.instance_for_test() as instance:
        result = execute_job(reconstructable(k8s_step_jobs.etl), instance,
                             run_config=_config(tmp_path, ["load"], job_namespace="data"))
        assert result.success
        assert [e.step_key for e in result.get_step_success_events()] == \
            ["extract", "transform", "load"]
        loaded = (tmp_path / "loaded.txt").read_text()
        assert loaded.startswith("60 from pid ")
        pids = {p.pid for p in backend.procs.values()}
        assert len(backend.manifests) == 3 and len(pids) == 3
        assert int(loaded.rsplit(" ", 1)[1]) in pids and os.getpid() not in pids
        stored = [e.step_key for e in instance.all_logs(result.run_id, of_type=ET.STEP_SUCCESS)]
        assert stored == ["extract", "transform", "load"]
        for manifest in backend.manifests.values():
            assert manifest["metadata"]["namespace"] == "data"
            assert manifest["metadata"]["labels"]["headwater/run-id"] == result.run_id
        created = [e.message for e in result.all_events if e.event_type is ET.ENGINE_EVENT
                   and "in Kubernetes Job headwater-step-" in e.message]
        assert len(created) == 3


@pytest.fixture
def postgres_url(new_postgres_database):
    """A new PostgreSQL database, dropped after the test (skipped when no server answers)."""
    return new_postgres_database("hw_k8s")


def test_pods_with_no_instance_of_their_own_use_the_runs_postgres_database(
        tmp_path, backend, postgres_url, monkeypatch):
    """Pods whose environment names no instance open the run's one (its PostgreSQL URL and
    storage directory, sent with the step); every step's events land in that database."""
    monkeypatch.delenv("HEADWATER_HOME", raising=False)
    monkeypatch.delenv("HEADWATER_DATABASE_URL", raising=False)
    storage = tmp_path / "home"
    with hw.HeadwaterInstance.from_url(postgres_url, str(storage)) as instance:
        result = execute_job(reconstructable(k8s_step_jobs.etl), instance,
                             run_config=_config(tmp_path, ["load"]))
        assert result.success
        stored = [e.step_key for e in instance.all_logs(result.run_id, of_type=ET.STEP_SUCCESS)]
        assert stored == ["extract", "transform", "load"]
        assert (storage / "storage" / result.run_id / "transform" / "result").exists()
        assert (tmp_path / "loaded.txt").read_text().startswith("60 ")


def test_max_concurrent_bounds_the_jobs_out_at_once(tmp_path, backend):
    """Three independent steps with max_concurrent 2: two Jobs out at most, and two at once."""
    with hw.instance_for_test() as instance:
        with execute_job(reconstructable(k8s_step_jobs.wide), instance,
                         run_config=_config(max_concurrent=2)) as result:
            assert result.success
            assert result.output_for_node("add") == 3
        assert len(backend.manifests) == 4
        assert backend.peak == 2


def test_each_copy_of_a_mapped_step_runs_in_its_own_job(tmp_path, backend):
    """A step mapped over a dynamic output: one Job per mapping key, then the collect."""
    with hw.instance_for_test() as instance, execute_job(
            reconstructable(k8s_step_jobs.mapped), instance, run_config=_config()) as result:
        assert result.success
        assert result.output_for_node("total") == 10
        keys = sorted(m["metadata"]["labels"]["headwater/step-key"]
                      for m in backend.manifests.values())
        assert keys == ["files", "size-a_csv", "size-b_csv", "total"]


def test_a_failed_step_reports_the_users_error_and_its_downstream_is_not_run(tmp_path, backend):
    """The step's own failure (raised in its pod) reaches the run; no Job for its downstream."""
    with hw.instance_for_test() as instance:
        result = execute_job(reconstructable(k8s_step_jobs.failing), instance,
                             run_config=_config())
        assert not result.success
        failure = _failure(result, "boom")
        cause = failure.step_failure_data.error.cause
        assert cause.cls_name == "ValueError"
        assert "the source table is empty" in cause.message
        assert len(backend.manifests) == 1
        assert "transform" not in {e.step_key for e in result.get_step_success_events()}


def test_a_retry_policy_retries_the_step_in_its_job(tmp_path, backend):
    """RetryPolicy(max_retries=2): the first attempt fails, the second succeeds, one Job."""
    with hw.instance_for_test() as instance:
        with execute_job(reconstructable(k8s_step_jobs.retrying), instance,
                         run_config=_config(tmp_path, ["flaky"])) as result:
            assert result.output_for_node("flaky") == 7
        assert result.success
        kinds = [e.event_type for e in result.all_events if e.step_key == "flaky"]
        assert ET.STEP_UP_FOR_RETRY in kinds and ET.STEP_RESTARTED in kinds
        assert kinds[-1] is ET.STEP_SUCCESS
        assert (tmp_path / "attempts").read_text().count("\n") == 2


def test_a_job_whose_image_cannot_be_pulled_fails_its_step_and_is_deleted(tmp_path, backend):
    """A pod stuck in ImagePullBackOff: the step fails saying so, and the Job is deleted."""
    with hw.instance_for_test() as instance:
        config = _config()
        config["execution"]["config"]["job_image"] = "registry.example.com/missing:1"
        result = execute_job(reconstructable(k8s_step_jobs.failing), instance, run_config=config)
        assert not result.success
        failure = _failure(result, "boom")
        assert "could not start" in failure.message
        assert "ImagePullBackOff" in failure.message
        assert "registry.example.com/missing:1" in failure.message
        assert backend.deleted == list(backend.manifests)
        assert len(backend.manifests) == 1


def test_a_job_the_api_refuses_fails_its_step(tmp_path, backend):
    """Creating the Job is refused (RBAC): the step fails with the API's answer."""
    with hw.instance_for_test() as instance:
        result = execute_job(reconstructable(k8s_step_jobs.failing), instance,
                             run_config=_config(job_namespace="locked"))
        assert not result.success
        failure = _failure(result, "boom")
        assert "creating its Kubernetes Job in namespace 'locked' failed" in failure.message
        assert "403" in failure.message
        assert not backend.manifests


def test_a_pod_that_cannot_load_the_job_fails_the_step_saying_why(tmp_path, backend):
    """An image whose code cannot load the job: the step fails with the import error."""
    with hw.instance_for_test() as instance:
        result = execute_job(reconstructable(k8s_step_jobs.wide), instance,
                             run_config=_config(env_vars=["K8S_TEST_STALE_IMAGE=1"]))
        assert not result.success
        failure = _failure(result, "first")
        assert "its process could not load job 'wide'" in failure.message
        assert "ImportError" in failure.message and "predates the job" in failure.message


def test_status_reads_that_fail_for_a_while_do_not_fail_the_step(tmp_path, backend):
    """A few failed reads of a Job's status are waited out; as many as MAX_API_ERRORS fail
    the step with the last error."""
    from headwater_k8s.executor import MAX_API_ERRORS

    with hw.instance_for_test() as instance:
        backend.status_errors = MAX_API_ERRORS - 1
        result = execute_job(reconstructable(k8s_step_jobs.retrying), instance,
                             run_config=_config(tmp_path, ["flaky"]))
        assert result.success
        backend.status_errors = MAX_API_ERRORS
        backend.status_reads.clear()
        result = execute_job(reconstructable(k8s_step_jobs.failing), instance,
                             run_config=_config())
        failure = _failure(result, "boom")
        assert f"could not be read {MAX_API_ERRORS} times in a row" in failure.message
        assert "ConnectionResetError: the API server closed the connection" in failure.message


def test_a_pod_killed_mid_step_fails_the_step_with_its_log(tmp_path, backend):
    """A container that ends without reporting (killed, out of memory) fails its step, with
    the last lines of its log."""
    with hw.instance_for_test() as instance:
        killer = threading.Thread(target=_kill_when_started, args=(tmp_path, backend))
        killer.start()
        result = execute_job(reconstructable(k8s_step_jobs.stuck), instance,
                             run_config=_config(tmp_path, ["wait_forever"]))
        killer.join()
        assert not result.success
        failure = _failure(result, "wait_forever")
        assert "ended FAILED without reporting" in failure.message
        assert "exited with code -9" in failure.message
        assert 'headwater-step-event' in failure.message  # the STEP_START line it printed


def _kill_when_started(directory, backend):
    _until(lambda: (directory / "started").exists())
    os.kill(int((directory / "started").read_text()), 9)


def test_canceling_the_run_deletes_the_jobs_still_out(tmp_path, backend):
    """A step's events reach the run's log while its Job runs; a cancel then deletes the Job
    (its process ends), the run ends CANCELED, and the step after it never gets a Job."""
    from headwater.daemon.launcher import cancel_run

    with hw.instance_for_test() as instance:
        seen_live = []

        def cancel():
            with instance.get_ref().open() as other:
                _until(lambda: len(other.get_runs()) == 1)
                run_id = other.get_runs()[0].run_id
                try:
                    _until(lambda: other.all_logs(run_id, of_type=ET.STEP_START), timeout=30)
                    seen_live.append(True)
                finally:
                    cancel_run(other, run_id)

        canceller = threading.Thread(target=cancel)
        canceller.start()
        result = execute_job(reconstructable(k8s_step_jobs.stuck), instance,
                             run_config=_config(tmp_path, ["wait_forever"]))
        canceller.join()
        assert seen_live == [True]
        assert instance.get_run_by_id(result.run_id).status is hw.HeadwaterRunStatus.CANCELED
        (name,) = backend.manifests
        assert backend.deleted == [name]
        assert backend.procs[name].poll() is not None
        assert "the run was canceled" in _failure(result, "wait_forever").message
        kinds = [e.headwater_event_type for e in instance.all_logs(result.run_id)
                 if e.step_key == "wait_forever"]
        assert kinds[:1] == [ET.ENGINE_EVENT] and ET.STEP_START in kinds
        assert not [e for e in result.all_events if e.step_key == "transform"]


def test_a_missing_image_fails_the_run_naming_the_field(tmp_path, backend, monkeypatch):
    """No job_image and no $HEADWATER_CURRENT_IMAGE: the run fails saying what to set."""
    monkeypatch.delenv("HEADWATER_CURRENT_IMAGE", raising=False)
    with hw.instance_for_test() as instance:
        result = execute_job(reconstructable(k8s_step_jobs.failing), instance, run_config={})
        assert not result.success
        (failure,) = [e for e in result.all_events if e.event_type is ET.PIPELINE_FAILURE]
        assert "execution.config.job_image: the Kubernetes job executor needs the image" \
            in failure.message
        assert not backend.manifests


def _until(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached before the test's timeout")
        time.sleep(0.05)
