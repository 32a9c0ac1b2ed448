"""The Kubernetes Job that executes one step of a run: job.py's builder, given a step's name,
command, labels and raw config.

`step_job_manifest` returns the Job as the dict `kubectl apply` would read (camelCase
fields): one container running `headwater execute-step CALL`, which never restarts
(`restartPolicy: Never`, `backoffLimit: 0`: a step's retries are its `RetryPolicy`'s, run in
the same container). `StepJobSettings` is the executor's config for every step's Job: the
image, the `K8sJobConfig` every Job shares (its raw config is the executor's
`step_k8s_config`), and raw config per step. A step's raw config is `step_k8s_config`, then
the op's `headwater-k8s/config` tag, then `per_step_k8s_config`, each merged over the one
before. Imports nothing of Kubernetes: the manifest is data, which tests validate against
Kubernetes' own schema.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from headwater.errors import HeadwaterInvalidConfigError, HeadwaterInvalidInvocationError
from headwater_k8s.job import K8S_CONFIG_TAG, K8sConfig, K8sJobConfig, job_manifest

__all__ = ["K8S_CONFIG_TAG", "K8sConfig", "StepJobSettings", "step_job_manifest"]

#: The label every step Job and pod carries, with the run's id and the step's key beside it.
RUN_ID_LABEL = "headwater/run-id"
STEP_KEY_LABEL = "headwater/step-key"
#: The container of a step's pod (its log is the step's output).
STEP_CONTAINER_NAME = "headwater-step"
WHERE = "execution.config"
# The K8sJobConfig fields a StepJobSettings takes by their own name.
_JOB_FIELDS = {f.name for f in fields(K8sJobConfig)} - {"job_namespace", "k8s_config", "where"}


@dataclass(frozen=True, init=False)
class StepJobSettings:
    """What every step Job of a run shares: the image, the `K8sJobConfig` (`config`), and
    raw config per step (`per_step_k8s_config`, by op name).

    Built from the executor's config fields: `StepJobSettings(image, namespace=...,
    step_k8s_config=..., per_step_k8s_config=..., **given)`, where `given` are fields of
    `K8sJobConfig` (`service_account_name`, `env_secrets`, `resources`, ...).
    """

    image: str
    config: K8sJobConfig
    per_step_k8s_config: Mapping[str, K8sConfig]

    def __init__(self, image: str, namespace: str = "default", *,
                 step_k8s_config: K8sConfig | None = None,
                 per_step_k8s_config: Mapping[str, K8sConfig] | None = None, **given: Any):
        unknown = sorted(set(given) - _JOB_FIELDS)
        if unknown:
            raise TypeError(f"StepJobSettings() has no argument(s) {', '.join(unknown)}; it "
                            f"takes image, namespace, step_k8s_config, per_step_k8s_config and "
                            f"{', '.join(sorted(_JOB_FIELDS))}.")
        try:
            config = K8sJobConfig.from_arguments(WHERE, job_namespace=namespace,
                                                 k8s_config=step_k8s_config, **given)
        except HeadwaterInvalidInvocationError as exc:
            raise HeadwaterInvalidConfigError(str(exc), []) from None
        object.__setattr__(self, "image", image)
        object.__setattr__(self, "config", config)
        object.__setattr__(self, "per_step_k8s_config", dict(per_step_k8s_config or {}))

    @property
    def namespace(self) -> str:
        """The namespace of the step Jobs."""
        return self.config.job_namespace

    def k8s_config_for(self, step_key: str, tags: Mapping[str, Any]) -> K8sConfig:
        """The raw config of one step: executor's, then the op tag's, then the step's own."""
        return self.config.raw_config(tags, f"op '{step_key}'",
                                      self.per_step_k8s_config.get(step_key))


def step_job_name(run_id: str, step_key: str) -> str:
    """The Job's name: unique per run and step, and a valid DNS label (63 characters)."""
    digest = hashlib.sha256(f"{run_id}/{step_key}".encode()).hexdigest()[:32]
    return f"headwater-step-{digest}"


def step_job_manifest(settings: StepJobSettings, *, run_id: str, job_name: str, step_key: str,
                      args: Sequence[str], tags: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The Job that runs `headwater <args>` for one step of run `run_id` of `job_name`.

    Args:
        settings: the executor's config shared by every step Job.
        run_id: the run the step belongs to.
        job_name: the headwater job's name (a label on the Job).
        step_key: the step's key, `name[mapping_key]` for a mapped step.
        args: the arguments of the `headwater` command in the container.
        tags: the op's tags; `headwater-k8s/config` adds raw Kubernetes config.

    Returns:
        The manifest as a dict, ready for `BatchV1Api.create_namespaced_job`.

    Example:
        ```python
        from headwater_k8s.step_job import StepJobSettings, step_job_manifest

        settings = StepJobSettings(image="registry.example.com/pipelines:1.4", namespace="data")
        manifest = step_job_manifest(settings, run_id="8c1e", job_name="nightly",
                                     step_key="load", args=["execute-step", "CALL"])
        container = manifest["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] == ["headwater", "execute-step", "CALL"]
        assert manifest["metadata"]["labels"]["headwater/step-key"] == "load"
        ```
    """
    op_name = step_key.split("[", 1)[0]
    return job_manifest(
        name=step_job_name(run_id, step_key), image=settings.image, args=(),
        command=["headwater", *args], env={"HEADWATER_RUN_ID": run_id},
        labels={"app.kubernetes.io/name": "headwater",
                "app.kubernetes.io/component": "step-worker",
                "app.kubernetes.io/part-of": job_name,
                RUN_ID_LABEL: run_id, STEP_KEY_LABEL: step_key},
        config=settings.config, container_name=STEP_CONTAINER_NAME, tags=tags,
        tags_of=f"op '{op_name}'", own_k8s_config=settings.per_step_k8s_config.get(op_name))
