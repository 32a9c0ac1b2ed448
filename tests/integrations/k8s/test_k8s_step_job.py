"""step_job_manifest: a step's Kubernetes Job as data, valid for the API server and the client."""

from __future__ import annotations

import json
import os
import sys

import pytest
from kubernetes.client import ApiClient

import headwater as hw
from headwater.execution.executor import StepTask
from headwater.execution.remote import REPORT_LINE, read_step_output
from headwater.storage.instance import InstanceRef
from headwater_k8s import K8S_CONFIG_TAG, K8sConfig, StepJobSettings, step_job_manifest
from headwater_k8s.executor import settings_from_config, without_password

sys.path.insert(0, os.path.dirname(__file__))

from k8s_local_jobs import check_manifest  # noqa: E402

RUN_ID = "3f1c2b9e-8a7d-4c55-9e0f-1d2c3b4a5f60"


def _manifest(settings, step_key="load", tags=None):
    return step_job_manifest(settings, run_id=RUN_ID, job_name="nightly_etl", step_key=step_key,
                             args=["execute-step", "CALL"], tags=tags)


def _container(manifest):
    return manifest["spec"]["template"]["spec"]["containers"][0]


def test_every_executor_option_lands_in_a_valid_job_that_round_trips_through_v1job():
    """All the executor's options at once: the manifest passes Kubernetes' schema (strict) and
    reads into the client's V1Job and back unchanged."""
    settings = settings_from_config({
        "job_image": "registry.example.com/pipelines:1.4", "job_namespace": "data",
        "image_pull_policy": "Always", "image_pull_secrets": [{"name": "registry-creds"}],
        "service_account_name": "headwater-steps", "env_config_maps": ["pipeline-env"],
        "env_secrets": ["warehouse-password"], "env_vars": ["REGION=eu-west-1"],
        "volume_mounts": [{"name": "shared", "mount_path": "/data"}],
        "volumes": [{"name": "shared", "persistent_volume_claim": {"claim_name": "hw-data"}}],
        "labels": {"team": "analytics"},
        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}},
        "scheduler_name": "volcano",
        "security_context": {"run_as_non_root": True},
        "step_k8s_config": {"pod_spec_config": {"node_selector": {"disk_type": "ssd"}}},
    })
    manifest = _manifest(settings)
    job = check_manifest(manifest)
    assert ApiClient().sanitize_for_serialization(job) == manifest
    container = _container(manifest)
    pod = manifest["spec"]["template"]["spec"]
    assert container["command"] == ["headwater", "execute-step", "CALL"]
    assert container["image"] == "registry.example.com/pipelines:1.4"
    assert {"name": "REGION", "value": "eu-west-1"} in container["env"]
    assert container["envFrom"] == [{"configMapRef": {"name": "pipeline-env"}},
                                    {"secretRef": {"name": "warehouse-password"}}]
    assert container["volumeMounts"] == [{"name": "shared", "mountPath": "/data"}]
    assert container["securityContext"] == {"runAsNonRoot": True}
    assert pod["volumes"] == [{"name": "shared", "persistentVolumeClaim": {"claimName": "hw-data"}}]
    assert pod["nodeSelector"] == {"disk_type": "ssd"}  # a label key, kept as written
    assert pod["restartPolicy"] == "Never" and manifest["spec"]["backoffLimit"] == 0
    assert manifest["metadata"]["namespace"] == "data"
    assert manifest["metadata"]["labels"]["team"] == "analytics"
    assert manifest["spec"]["template"]["metadata"]["labels"]["headwater/run-id"] == RUN_ID


def test_raw_config_merges_executor_then_op_tag_then_per_step():
    """step_k8s_config, then the op's headwater-k8s/config tag, then per_step_k8s_config:
    mappings merge, lists append, later values win."""
    settings = settings_from_config({
        "job_image": "img:1",
        "step_k8s_config": {"container_config": {"resources": {"limits": {"cpu": "1"}}},
                            "job_metadata": {"annotations": {"owner": "platform"}}},
        "per_step_k8s_config": {"load": {"container_config": {
            "resources": {"limits": {"memory": "4Gi"}}}}},
    })
    tag = json.dumps({"container_config": {"resources": {"limits": {"cpu": "2"}},
                                           "env": [{"name": "MODE", "value": "full"}]},
                      "pod_spec_config": {"tolerations": [{"key": "gpu", "operator": "Exists"}]},
                      "job_spec_config": {"activeDeadlineSeconds": 3600}})
    manifest = _manifest(settings, tags={K8S_CONFIG_TAG: tag})
    check_manifest(manifest)
    container = _container(manifest)
    assert container["resources"] == {"limits": {"cpu": "2", "memory": "4Gi"}}
    assert container["env"][-1] == {"name": "MODE", "value": "full"}
    assert container["env"][0]["name"] == "HEADWATER_RUN_ID"
    assert manifest["spec"]["template"]["spec"]["tolerations"] == \
        [{"key": "gpu", "operator": "Exists"}]
    assert manifest["spec"]["activeDeadlineSeconds"] == 3600
    assert manifest["spec"]["backoffLimit"] == 0
    assert manifest["metadata"]["annotations"] == {"owner": "platform"}
    other = _manifest(settings, step_key="extract", tags={K8S_CONFIG_TAG: tag})
    assert _container(other)["resources"] == {"limits": {"cpu": "2"}}


def test_a_mapped_step_gets_its_own_job_name_and_valid_labels():
    """`name[key]` keys: a distinct DNS-label name per copy, label values cleaned."""
    settings = StepJobSettings(image="img:1")
    first = _manifest(settings, step_key="process[file_a.csv]")
    second = _manifest(settings, step_key="process[file_b.csv]")
    check_manifest(first)
    assert first["metadata"]["name"] != second["metadata"]["name"]
    assert len(first["metadata"]["name"]) <= 63
    assert first["metadata"]["labels"]["headwater/step-key"] == "process-file_a.csv"


def test_a_bad_op_tag_names_the_op_the_tag_and_the_keys_allowed():
    """An unknown section in the tag is one message naming op, tag and the allowed keys."""
    settings = StepJobSettings(image="img:1")
    with pytest.raises(hw.HeadwaterInvalidConfigError) as info:
        _manifest(settings, tags={K8S_CONFIG_TAG: {"pod_config": {}}})
    assert str(info.value).startswith(
        "op 'load' tag headwater-k8s/config: unknown key(s) pod_config; use container_config, "
        "pod_spec_config, pod_template_spec_metadata, job_spec_config, job_metadata.")
    with pytest.raises(hw.HeadwaterInvalidConfigError, match="text that is not JSON"):
        _manifest(settings, tags={K8S_CONFIG_TAG: "{resources"})


def test_an_env_var_without_a_value_needs_one_here(monkeypatch):
    """env_vars: ["KEY"] takes this process's value; a KEY unset here says how to fix it."""
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://db/warehouse")
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    settings = settings_from_config({"job_image": "img:1", "env_vars": ["WAREHOUSE_URL"]})
    assert {"name": "WAREHOUSE_URL", "value": "postgresql://db/warehouse"} in \
        _container(_manifest(settings))["env"]
    missing = settings_from_config({"job_image": "img:1", "env_vars": ["NOT_SET_ANYWHERE"]})
    with pytest.raises(hw.HeadwaterInvalidConfigError, match="'NOT_SET_ANYWHERE=VALUE'"):
        _manifest(missing)


def test_the_report_is_found_after_text_user_code_printed():
    """A step's output lines are found in a pod log that user code printed into too."""
    task = StepTask("load", None, "load")
    log = f'loading...\nprogress 50%{REPORT_LINE}{{"outcome": "SUCCESS", "produced": ' \
          f'[["load", "result", null]]}}\n'
    events, report = read_step_output(log, task)
    assert events == []
    assert report is not None and report.produced == [("load", "result", None)]
    assert read_step_output("Killed\n", task) == ([], None)


def test_k8s_config_accepts_snake_or_camel_case():
    """Field names may be written as in a manifest or as in the Python client."""
    config = K8sConfig.from_value({"pod_spec_config": {"service_account_name": "a",
                                                       "terminationGracePeriodSeconds": 5}}, "x")
    assert config.pod_spec_config == {"serviceAccountName": "a",
                                      "terminationGracePeriodSeconds": 5}


def test_no_database_password_goes_into_a_jobs_spec():
    """The instance URL sent to the step's pod keeps user, host and database, not the password."""
    ref = InstanceRef("postgresql://etl:s3cret@db.internal:5432/headwater", "/opt/hw", {})
    assert without_password(ref).url == "postgresql://etl@db.internal:5432/headwater"
    local = InstanceRef("sqlite:////opt/hw/headwater.db", "/opt/hw", {})
    assert without_password(local) is local
