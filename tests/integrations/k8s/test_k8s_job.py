"""job.py, the one Job builder: the run launcher's Job and a step's Job come from it, so the
same container config gives both the same image, environment, volumes, resources, service
account, security context and raw config; each checked against Kubernetes' schema."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import pytest

pytest.importorskip("kubernetes")
pytest.importorskip("kubernetes_validate")

import headwater as hw  # noqa: E402
from headwater.daemon.run_launcher import load_run_launcher  # noqa: E402
from headwater_k8s import (  # noqa: E402
    K8S_CONFIG_TAG,
    K8sJobConfig,
    K8sRunLauncher,
    StepJobSettings,
    job_manifest,
    run_job_manifest,
    step_job_manifest,
)
from headwater_k8s.executor import settings_from_config  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))

from k8s_local_jobs import check_manifest  # noqa: E402

IMAGE = "registry.example.com/pipelines:2.0"
RUN_ID = "5b0e2f44-1c2d-4e6f-8a9b-0c1d2e3f4a5b"
#: Container config both the launcher and the executor take, under the same names.
SHARED: dict[str, Any] = {
    "job_namespace": "data",
    "image_pull_policy": "Always",
    "image_pull_secrets": [{"name": "registry-creds"}],
    "service_account_name": "headwater-jobs",
    "env_config_maps": ["pipeline-env"],
    "env_secrets": ["warehouse-password"],
    "env_vars": ["REGION=eu-west-1"],
    "volume_mounts": [{"name": "shared", "mount_path": "/data", "read_only": True}],
    "volumes": [{"name": "shared", "persistent_volume_claim": {"claim_name": "hw-data"}}],
    "labels": {"team": "analytics"},
    "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
    "security_context": {"run_as_non_root": True, "run_as_user": 1000},
    "scheduler_name": "volcano",
}
RAW = {"pod_spec_config": {"tolerations": [{"key": "batch", "operator": "Exists"}]},
       "job_metadata": {"annotations": {"owner": "platform"}}}
TAG = {K8S_CONFIG_TAG: json.dumps({"job_spec_config": {"activeDeadlineSeconds": 7200},
                                   "container_config": {"env": [{"name": "MODE",
                                                                 "value": "full"}]}})}


def _shared_parts(manifest: dict[str, Any]) -> dict[str, Any]:
    """What a run's Job and a step's Job built from one config must agree on."""
    spec = manifest["spec"]
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    return {
        "namespace": manifest["metadata"]["namespace"],
        "team": manifest["metadata"]["labels"]["team"],
        "pod_team": spec["template"]["metadata"]["labels"]["team"],
        "annotations": manifest["metadata"]["annotations"],
        "container": {k: container.get(k) for k in (
            "image", "imagePullPolicy", "envFrom", "resources", "volumeMounts",
            "securityContext")},
        "env": [e for e in container["env"] if e["name"] in ("REGION", "MODE")],
        "pod": {k: pod.get(k) for k in (
            "restartPolicy", "serviceAccountName", "imagePullSecrets", "volumes",
            "schedulerName", "tolerations")},
        "job": {k: spec.get(k) for k in (
            "backoffLimit", "ttlSecondsAfterFinished", "activeDeadlineSeconds")},
    }


def test_a_run_job_and_a_step_job_from_one_config_agree_on_the_shared_parts():
    """The launcher's Job and the executor's step Job, from the same container config, raw
    config and config tag (the job's, the op's), differ only in what they run."""
    launcher = K8sRunLauncher(job_image=IMAGE, run_k8s_config=RAW, **SHARED)
    run = hw.HeadwaterRun(job_name="nightly", run_id=RUN_ID, tags=TAG)
    run_job = run_job_manifest(run, launcher.config, launcher.job_image, {"HEADWATER_HOME": "/hw"})
    settings = settings_from_config({"job_image": IMAGE, "step_k8s_config": RAW, **SHARED})
    step_job = step_job_manifest(settings, run_id=RUN_ID, job_name="nightly", step_key="load",
                                 args=["execute-step", "CALL"], tags=TAG)
    check_manifest(run_job)
    check_manifest(step_job)

    shared = _shared_parts(run_job)
    assert shared == _shared_parts(step_job)
    assert shared["container"] == {
        "image": IMAGE, "imagePullPolicy": "Always",
        "envFrom": [{"configMapRef": {"name": "pipeline-env"}},
                    {"secretRef": {"name": "warehouse-password"}}],
        "resources": SHARED["resources"],
        "volumeMounts": [{"name": "shared", "mountPath": "/data", "readOnly": True}],
        "securityContext": {"runAsNonRoot": True, "runAsUser": 1000}}
    assert shared["env"] == [{"name": "REGION", "value": "eu-west-1"},
                             {"name": "MODE", "value": "full"}]
    assert shared["pod"] == {
        "restartPolicy": "Never", "serviceAccountName": "headwater-jobs",
        "imagePullSecrets": [{"name": "registry-creds"}],
        "volumes": [{"name": "shared", "persistentVolumeClaim": {"claimName": "hw-data"}}],
        "schedulerName": "volcano", "tolerations": [{"key": "batch", "operator": "Exists"}]}
    assert shared["job"] == {"backoffLimit": 0, "ttlSecondsAfterFinished": 86400,
                             "activeDeadlineSeconds": 7200}
    assert (shared["namespace"], shared["team"], shared["annotations"]) == \
        ("data", "analytics", {"owner": "platform"})

    run_container = run_job["spec"]["template"]["spec"]["containers"][0]
    step_container = step_job["spec"]["template"]["spec"]["containers"][0]
    assert run_container["args"] == ["headwater", "run-worker", RUN_ID]
    assert step_container["command"] == ["headwater", "execute-step", "CALL"]
    assert (run_container["name"], step_container["name"]) == ("headwater", "headwater-step")
    assert run_job["metadata"]["labels"]["app.kubernetes.io/component"] == "run-worker"
    assert step_job["metadata"]["labels"]["app.kubernetes.io/component"] == "step-worker"


def test_headwater_labels_win_over_configured_ones():
    """A configured label cannot take the name of one headwater finds its Jobs by."""
    config = K8sJobConfig(labels={"headwater/run-id": "someone-else", "team": "etl"})
    manifest = job_manifest(name="x", image="img:1", args=["a"], env={}, config=config,
                            labels={"headwater/run-id": RUN_ID})
    assert manifest["metadata"]["labels"] == {"headwater/run-id": RUN_ID, "team": "etl"}
    assert manifest["spec"]["template"]["metadata"]["labels"] == manifest["metadata"]["labels"]


def test_a_bad_run_config_tag_names_the_run_and_the_keys_allowed():
    """The job's headwater-k8s/config tag is read for its run's Job, with errors naming it."""
    run = hw.HeadwaterRun(job_name="nightly", run_id="r1",
                          tags={K8S_CONFIG_TAG: '{"pod_config": {}}'})
    with pytest.raises(hw.HeadwaterInvalidConfigError) as info:
        run_job_manifest(run, K8sJobConfig(), IMAGE, {})
    assert str(info.value).startswith("run r1 tag headwater-k8s/config: unknown key(s) "
                                      "pod_config; use container_config, pod_spec_config")


def test_a_bad_run_k8s_config_is_refused_naming_the_field():
    """run_k8s_config in headwater.yaml is checked when the launcher is built."""
    with pytest.raises(hw.HeadwaterInvalidInvocationError) as info:
        load_run_launcher({"module": "headwater_k8s", "class": "K8sRunLauncher",
                           "config": {"job_image": IMAGE, "run_k8s_config": {"pod": {}}}})
    assert "run_launcher.config.run_k8s_config: unknown key(s) pod" in str(info.value)


def test_step_settings_refuse_a_field_no_job_has():
    """StepJobSettings takes K8sJobConfig's fields by name, and says which it does not know."""
    with pytest.raises(TypeError, match="has no argument.s. service_acount_name"):
        StepJobSettings(image=IMAGE, service_acount_name="runner")
