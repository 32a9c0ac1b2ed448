"""headwater_k8s.K8sRunLauncher: the Job it creates, as data checked against the Kubernetes
OpenAPI schema (kubernetes-validate) and read back by the client into a V1Job; launch,
terminate and health against a stand-in for the client's BatchV1Api (no cluster here), with a
real instance on the other side; Job statuses as data."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

pytest.importorskip("kubernetes")
kubernetes_validate = pytest.importorskip("kubernetes_validate")

from kubernetes import client as k8s  # noqa: E402
from kubernetes.client.exceptions import ApiException  # noqa: E402

import headwater as hw  # noqa: E402
from headwater.code.location import CodeLocationOrigin  # noqa: E402
from headwater.code.run import create_run  # noqa: E402
from headwater.daemon.launcher import cancel_run, submit_run  # noqa: E402
from headwater.daemon.monitor import monitor_runs  # noqa: E402
from headwater.daemon.run_launcher import load_run_launcher, run_launcher_of  # noqa: E402
from headwater_k8s import (  # noqa: E402
    K8sJobConfig,
    K8sRunLauncher,
    job_manifest,
    job_worker_status,
    run_job_manifest,
)

JOBS = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "run_jobs.py")
K8S_VERSION = "1.30.0"
S = hw.HeadwaterRunStatus
W = hw.WorkerStatus
SECTION = {"module": "headwater_k8s", "class": "K8sRunLauncher"}
FULL = {
    "job_namespace": "data",
    "image_pull_policy": "IfNotPresent",
    "image_pull_secrets": [{"name": "registry"}],
    "service_account_name": "headwater-runs",
    "env_config_maps": ["pipeline-settings"],
    "env_secrets": ["warehouse-credentials"],
    "env_vars": ["REGION=eu"],
    "volume_mounts": [{"name": "data", "mountPath": "/data"}],
    "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
    "labels": {"team": "analytics"},
    "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
    "node_selector": {"pool": "batch"},
    "ttl_seconds_after_finished": 3600,
}


def validate(manifest: dict[str, Any]) -> k8s.V1Job:
    """Check the manifest against the Kubernetes schema (no unknown fields), then read it
    back with the client as a V1Job and serialize it again: nothing is lost on the way."""
    kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)
    api = k8s.ApiClient()
    job = api.deserialize(json.dumps(manifest), "V1Job", "application/json")
    assert isinstance(job, k8s.V1Job)
    assert api.sanitize_for_serialization(job) == manifest
    return job


def _run(instance: Any, tmp_path: Any) -> Any:
    origin = CodeLocationOrigin(python_file=JOBS)
    config = {"ops": {"wait_forever": {"config": {"dir": str(tmp_path)}}}}
    return create_run(instance, origin, origin.load().get_job_def("stuck_job"), config)


class FakeBatchApi:
    """The part of the client's BatchV1Api the launcher calls, keeping Jobs in a dict the
    way the API server would (by namespace and name)."""

    def __init__(self) -> None:
        self.jobs: dict[tuple[str, str], dict[str, Any]] = {}
        self.statuses: dict[tuple[str, str], k8s.V1JobStatus] = {}

    def create_namespaced_job(self, namespace: str, body: dict[str, Any]) -> None:
        validate(body)
        key = (namespace, body["metadata"]["name"])
        if key in self.jobs:
            raise ApiException(status=409, reason="AlreadyExists")
        self.jobs[key] = body
        self.statuses[key] = k8s.V1JobStatus(active=1)

    def delete_namespaced_job(self, name: str, namespace: str,
                              propagation_policy: str) -> None:
        if self.jobs.pop((namespace, name), None) is None:
            raise ApiException(status=404, reason="NotFound")
        self.statuses.pop((namespace, name))

    def read_namespaced_job_status(self, name: str, namespace: str) -> k8s.V1Job:
        if (namespace, name) not in self.jobs:
            raise ApiException(status=404, reason="NotFound")
        return k8s.V1Job(status=self.statuses[(namespace, name)])


def _launcher(instance: Any) -> tuple[K8sRunLauncher, FakeBatchApi]:
    launcher = run_launcher_of(instance)
    assert isinstance(launcher, K8sRunLauncher)
    fake = FakeBatchApi()
    launcher._batch = fake  # the one seam: the cluster's API
    return launcher, fake


def test_the_run_job_is_a_valid_batch_v1_job_with_every_setting():
    """Every config field lands where Kubernetes reads it, and the manifest passes the
    Kubernetes schema and the client's V1Job."""
    config = K8sJobConfig.from_arguments("config", **FULL)
    run = hw.HeadwaterRun(job_name="daily_etl", run_id="0f2c7a5e-1d2b-4c3d-9e8f-000000000001")
    manifest = run_job_manifest(run, config, "my-registry/pipelines:1.2", {
        "HEADWATER_DATABASE_URL": {"secretKeyRef": {"name": "headwater-db", "key": "url"}},
        "HEADWATER_HOME": "/opt/headwater"})
    job = validate(manifest)
    assert job.metadata.name == "headwater-run-0f2c7a5e-1d2b-4c3d-9e8f-000000000001"
    assert job.metadata.namespace == "data"
    assert job.metadata.labels["headwater/run-id"] == run.run_id
    assert job.metadata.labels["team"] == "analytics"
    assert job.spec.backoff_limit == 0 and job.spec.ttl_seconds_after_finished == 3600
    pod = job.spec.template.spec
    assert pod.restart_policy == "Never" and pod.service_account_name == "headwater-runs"
    assert pod.node_selector == {"pool": "batch"}
    assert [s.name for s in pod.image_pull_secrets] == ["registry"]
    assert pod.volumes[0].persistent_volume_claim.claim_name == "data"
    (container,) = pod.containers
    assert container.image == "my-registry/pipelines:1.2"
    assert container.args == ["headwater", "run-worker", run.run_id]
    assert container.image_pull_policy == "IfNotPresent"
    env = {e.name: e for e in container.env}
    assert env["HEADWATER_DATABASE_URL"].value_from.secret_key_ref.name == "headwater-db"
    assert env["HEADWATER_HOME"].value == "/opt/headwater" and env["REGION"].value == "eu"
    assert [f.config_map_ref.name for f in container.env_from if f.config_map_ref] == \
        ["pipeline-settings"]
    assert [f.secret_ref.name for f in container.env_from if f.secret_ref] == \
        ["warehouse-credentials"]
    assert container.resources.requests == {"cpu": "500m", "memory": "1Gi"}
    assert container.volume_mounts[0].mount_path == "/data"


def test_the_shared_builder_makes_valid_names_and_labels_from_anything():
    """job_manifest makes a long or odd name and label values valid for Kubernetes, and a
    minimal config gives a minimal valid Job."""
    manifest = job_manifest(
        name="Headwater_Step." + "x" * 80, image="img:1", args=["run"], command=["python"],
        env={}, labels={"headwater/step": "my op/with spaces" + "y" * 70},
        config=K8sJobConfig(ttl_seconds_after_finished=None))
    job = validate(manifest)
    assert len(job.metadata.name) <= 63 and job.metadata.name.startswith("headwater-step-x")
    assert job.spec.template.spec.containers[0].command == ["python"]
    assert job.spec.ttl_seconds_after_finished is None
    assert "ttlSecondsAfterFinished" not in manifest["spec"]


def test_the_schema_check_catches_a_misplaced_field():
    """The validation used above is real: a field Kubernetes does not know is refused."""
    manifest = job_manifest(name="x", image="img:1", args=[], env={}, labels={},
                            config=K8sJobConfig(volume_mounts=({"name": "d", "path": "/d"},)))
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)


def test_launch_creates_the_job_in_the_namespace_and_tags_the_run(tmp_path):
    """launch_run creates the run's Job, with the instance's URL and home in its env."""
    settings = {"run_launcher": {**SECTION, "config": {
        "job_image": "pipelines:1.2", "job_namespace": "data",
        "load_incluster_config": False}}}
    with hw.instance_for_test(overrides=settings) as instance:
        launcher, fake = _launcher(instance)
        run = _run(instance, tmp_path)
        assert submit_run(instance, run.run_id) is S.STARTING
        ((namespace, name), body), = fake.jobs.items()
        assert namespace == "data" and name == f"headwater-run-{run.run_id}"
        env = {e["name"]: e.get("value") for e in body["spec"]["template"]["spec"]
               ["containers"][0]["env"]}
        ref = instance.get_ref()
        assert env == {"HEADWATER_DATABASE_URL": ref.url, "HEADWATER_HOME": ref.root_directory}
        tags = instance.get_run_by_id(run.run_id).tags
        assert tags["k8s/job_name"] == name and tags["k8s/job_namespace"] == "data"


def test_cancel_deletes_the_job_and_monitoring_ends_the_run(tmp_path):
    """Canceling marks the run CANCELING and deletes its Job; monitoring then finds no Job
    and ends the run CANCELED. Terminating a run whose Job is gone says there was none."""
    settings = {"run_launcher": {**SECTION, "config": {"job_image": "pipelines:1.2"}}}
    with hw.instance_for_test(overrides=settings) as instance:
        launcher, fake = _launcher(instance)
        run = _run(instance, tmp_path)
        submit_run(instance, run.run_id)
        assert cancel_run(instance, run.run_id) is S.CANCELING
        assert fake.jobs == {}
        assert launcher.terminate(run.run_id) is False
        assert monitor_runs(instance) == [run.run_id]
        assert instance.get_run_by_id(run.run_id).status is S.CANCELED


def test_health_reads_the_job_status(tmp_path):
    """A failed Job fails its run with the reason Kubernetes gives."""
    settings = {"run_launcher": {**SECTION, "config": {"job_image": "pipelines:1.2"}}}
    with hw.instance_for_test(overrides=settings) as instance:
        launcher, fake = _launcher(instance)
        run = _run(instance, tmp_path)
        submit_run(instance, run.run_id)
        run = instance.get_run_by_id(run.run_id)
        assert launcher.check_run_worker_health(run).status is W.RUNNING
        (key,) = fake.jobs
        fake.statuses[key] = k8s.V1JobStatus(failed=1, conditions=[k8s.V1JobCondition(
            type="Failed", status="True", reason="BackoffLimitExceeded",
            message="Job has reached the specified backoff limit")])
        assert monitor_runs(instance) == [run.run_id]
        failure = instance.all_logs(run.run_id, of_type=hw.HeadwaterEventType.RUN_FAILURE)
        assert "BackoffLimitExceeded" in failure[-1].message


@pytest.mark.parametrize(("status", "expected"), [
    (k8s.V1JobStatus(), W.RUNNING),
    (k8s.V1JobStatus(active=1), W.RUNNING),
    (k8s.V1JobStatus(succeeded=1), W.SUCCESS),
    (k8s.V1JobStatus(failed=1), W.FAILED),
    (k8s.V1JobStatus(conditions=[k8s.V1JobCondition(type="Failed", status="True",
                                                    reason="DeadlineExceeded", message="late")]),
     W.FAILED),
    (k8s.V1JobStatus(active=1, conditions=[k8s.V1JobCondition(type="Failed",
                                                              status="False")]), W.RUNNING),
])
def test_job_status_says_whether_the_worker_runs(status, expected):
    """Active or pending is RUNNING, succeeded SUCCESS, failed (count or condition) FAILED."""
    assert job_worker_status(status).status is expected


@pytest.mark.parametrize(("config", "message"), [
    ({}, "K8sRunLauncher needs job_image"),
    ({"job_image": "x", "image_pull_policy": "Sometimes"},
     "run_launcher.config.image_pull_policy: 'Sometimes' is not one of Always"),
    ({"job_image": "x", "env_secrets": "one"},
     "run_launcher.config.env_secrets: expected a list"),
    ({"job_image": "x", "ttl_seconds_after_finished": -1},
     "run_launcher.config.ttl_seconds_after_finished: expected whole seconds"),
    ({"job_image": "x", "database_url_secret": {"name": "db"}},
     "run_launcher.config.database_url_secret: expected {name, key}"),
    ({"job_image": "x", "kubeconfig_file": "~/.kube/config"},
     "kubeconfig_file is read only with load_incluster_config: false"),
    ({"job_image": "x", "namespace": "data"}, "K8sRunLauncher has no argument(s) namespace"),
])
def test_a_bad_config_is_one_error_naming_the_field(config, message):
    """Each mistake in the launcher's config names its field."""
    with pytest.raises(hw.HeadwaterInvalidInvocationError) as error:
        load_run_launcher({**SECTION, "config": config})
    assert message in str(error.value)


def test_monitoring_deletes_the_job_of_a_run_it_declares_dead(tmp_path):
    """A run whose worker never started it is ended FAILURE past the start timeout, and its
    Job, still active, is deleted; the failure names the launcher."""
    settings = {"run_launcher": {**SECTION, "config": {"job_image": "pipelines:1.2"}}}
    with hw.instance_for_test(overrides=settings) as instance:
        launcher, fake = _launcher(instance)
        run = _run(instance, tmp_path)
        submit_run(instance, run.run_id)
        assert len(fake.jobs) == 1
        assert monitor_runs(instance, start_timeout=0.0) == [run.run_id]
        assert instance.get_run_by_id(run.run_id).status is S.FAILURE
        assert fake.jobs == {}
        failure = instance.all_logs(run.run_id, of_type=hw.HeadwaterEventType.RUN_FAILURE)
        assert "K8sRunLauncher(job_image='pipelines:1.2', job_namespace='default') is asked " \
               "to stop its worker" in failure[-1].message
        engine = instance.all_logs(run.run_id, of_type=hw.HeadwaterEventType.ENGINE_EVENT)
        assert engine[-1].message == f"Run monitoring had {launcher!r} stop the run's worker."
