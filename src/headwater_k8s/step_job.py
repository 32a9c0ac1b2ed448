"""The Kubernetes Job that executes one step of a run, built as plain data.

`step_job_manifest` returns the Job as the dict `kubectl apply` would read (camelCase
fields): one container running `headwater execute-step CALL`, which never restarts
(`restartPolicy: Never`, `backoffLimit: 0`: a step's retries are its `RetryPolicy`'s, run in
the same container). `StepJobSettings` is the executor's config for every step's Job; raw
Kubernetes config (`K8sConfig`: container, pod spec, pod metadata, job spec, job metadata)
comes from the executor's `step_k8s_config`, then the op's `headwater-k8s/config` tag, then
`per_step_k8s_config`, each merged over the one before. Imports nothing of Kubernetes: the
manifest is data, which tests validate against Kubernetes' own schema.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from headwater.errors import HeadwaterInvalidConfigError

#: The op tag whose value (a mapping, or its JSON) is raw Kubernetes config for its step's Job.
K8S_CONFIG_TAG = "headwater-k8s/config"
#: The label every step Job and pod carries, with the run's id and the step's key beside it.
RUN_ID_LABEL = "headwater/run-id"
STEP_KEY_LABEL = "headwater/step-key"
CONTAINER_NAME = "headwater-step"
DEFAULT_TTL_SECONDS = 24 * 60 * 60

_SECTIONS = ("container_config", "pod_spec_config", "pod_template_spec_metadata",
             "job_spec_config", "job_metadata")
# Maps whose keys are the user's own names (label keys, env names), never field names.
_FREE_FORM = {"labels", "annotations", "nodeSelector", "matchLabels", "data", "limits",
              "requests"}


@dataclass(frozen=True)
class K8sConfig:
    """Raw Kubernetes config merged into a step's Job, one mapping per object it shapes.

    Field names may be camelCase (as in a manifest) or snake_case (as in the Python client).
    """

    container_config: Mapping[str, Any] = field(default_factory=dict)
    pod_spec_config: Mapping[str, Any] = field(default_factory=dict)
    pod_template_spec_metadata: Mapping[str, Any] = field(default_factory=dict)
    job_spec_config: Mapping[str, Any] = field(default_factory=dict)
    job_metadata: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_value(cls, value: Any, where: str) -> K8sConfig:
        """Read config given as a mapping or its JSON; `where` names it in errors."""
        if value is None:
            return cls()
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise HeadwaterInvalidConfigError(
                    f"{where}: expected a mapping or its JSON, got text that is not JSON "
                    f"({exc}).", []) from exc
        if not isinstance(value, Mapping):
            raise HeadwaterInvalidConfigError(
                f"{where}: expected a mapping with some of {', '.join(_SECTIONS)}, got "
                f"{value!r}.", [])
        unknown = sorted(set(value) - set(_SECTIONS))
        if unknown:
            raise HeadwaterInvalidConfigError(
                f"{where}: unknown key(s) {', '.join(unknown)}; use "
                f"{', '.join(_SECTIONS)}.", [])
        return cls(**{k: camel_case(dict(v or {})) for k, v in value.items()})

    def merged(self, over: K8sConfig) -> K8sConfig:
        """This config with `over`'s merged on top (mappings merge, lists append)."""
        return K8sConfig(**{name: deep_merge(getattr(self, name), getattr(over, name))
                            for name in _SECTIONS})


@dataclass(frozen=True)
class StepJobSettings:
    """What every step Job of a run shares: the executor's config, minus scheduling."""

    image: str
    namespace: str = "default"
    image_pull_policy: str | None = None
    image_pull_secrets: Sequence[Mapping[str, str]] = ()
    service_account_name: str | None = None
    env_config_maps: Sequence[str] = ()
    env_secrets: Sequence[str] = ()
    env_vars: Sequence[str] = ()
    volume_mounts: Sequence[Mapping[str, Any]] = ()
    volumes: Sequence[Mapping[str, Any]] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    resources: Mapping[str, Any] | None = None
    scheduler_name: str | None = None
    security_context: Mapping[str, Any] | None = None
    ttl_seconds_after_finished: int | None = DEFAULT_TTL_SECONDS
    step_k8s_config: K8sConfig = field(default_factory=K8sConfig)
    per_step_k8s_config: Mapping[str, K8sConfig] = field(default_factory=dict)

    def k8s_config_for(self, step_key: str, tags: Mapping[str, Any]) -> K8sConfig:
        """The raw config of one step: executor's, then the op tag's, then the step's own."""
        config = self.step_k8s_config.merged(
            K8sConfig.from_value(tags.get(K8S_CONFIG_TAG), f"op '{step_key}' tag {K8S_CONFIG_TAG}"))
        own = self.per_step_k8s_config.get(step_key)
        return config.merged(own) if own is not None else config


def step_job_name(run_id: str, step_key: str) -> str:
    """The Job's name: unique per run and step, and a valid DNS label (63 characters)."""
    digest = hashlib.sha256(f"{run_id}/{step_key}".encode()).hexdigest()[:32]
    return f"headwater-step-{digest}"


def label_value(text: str) -> str:
    """`text` as a valid label value: allowed characters only, at most 63, alphanumeric ends."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "-", text)[:63]
    return cleaned.strip("._-") or "x"


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
    k8s = settings.k8s_config_for(step_key.split("[", 1)[0], tags or {})
    labels = {
        "app.kubernetes.io/name": "headwater",
        "app.kubernetes.io/component": "step-worker",
        "app.kubernetes.io/part-of": label_value(job_name),
        RUN_ID_LABEL: label_value(run_id),
        STEP_KEY_LABEL: label_value(step_key),
        **settings.labels,
    }
    container: dict[str, Any] = {
        "name": CONTAINER_NAME,
        "image": settings.image,
        "command": ["headwater", *args],
        "env": [{"name": "HEADWATER_RUN_ID", "value": run_id},
                *(_env_var(text) for text in settings.env_vars)],
        "envFrom": [*({"configMapRef": {"name": n}} for n in settings.env_config_maps),
                    *({"secretRef": {"name": n}} for n in settings.env_secrets)],
    }
    _put(container, "imagePullPolicy", settings.image_pull_policy)
    _put(container, "volumeMounts", [camel_case(dict(m)) for m in settings.volume_mounts])
    _put(container, "resources", camel_case(dict(settings.resources or {})))
    _put(container, "securityContext", camel_case(dict(settings.security_context or {})))
    pod_spec: dict[str, Any] = {"restartPolicy": "Never"}
    _put(pod_spec, "serviceAccountName", settings.service_account_name)
    _put(pod_spec, "imagePullSecrets", [dict(s) for s in settings.image_pull_secrets])
    _put(pod_spec, "volumes", [camel_case(dict(v)) for v in settings.volumes])
    _put(pod_spec, "schedulerName", settings.scheduler_name)
    pod_spec["containers"] = [deep_merge(container, k8s.container_config)]
    job_spec: dict[str, Any] = {"backoffLimit": 0}
    _put(job_spec, "ttlSecondsAfterFinished", settings.ttl_seconds_after_finished)
    job_spec["template"] = {
        "metadata": deep_merge({"labels": dict(labels)}, k8s.pod_template_spec_metadata),
        "spec": deep_merge(pod_spec, k8s.pod_spec_config),
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": deep_merge({"name": step_job_name(run_id, step_key),
                                "namespace": settings.namespace, "labels": labels},
                               k8s.job_metadata),
        "spec": deep_merge(job_spec, k8s.job_spec_config),
    }


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value:
        target[key] = value


def _env_var(text: str) -> dict[str, str]:
    """`KEY=VALUE`, or `KEY` alone for the value it has in this process."""
    name, sep, value = text.partition("=")
    if sep:
        return {"name": name, "value": value}
    if name not in os.environ:
        raise HeadwaterInvalidConfigError(
            f"execution.config.env_vars: '{name}' has no value here and none is given; write "
            f"'{name}=VALUE', or set {name} in the environment of the run's process.", [])
    return {"name": name, "value": os.environ[name]}


def camel_case(value: Any) -> Any:
    """Field names in snake_case turned to camelCase, through nested mappings and lists; the
    keys of label, annotation and similar maps are left as the user wrote them."""
    if isinstance(value, list):
        return [camel_case(item) for item in value]
    if not isinstance(value, Mapping):
        return value
    out = {}
    for key, item in value.items():
        name = re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), key)
        out[name] = dict(item) if name in _FREE_FORM and isinstance(item, Mapping) \
            else camel_case(item)
    return out


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` on top of `base`: mappings merge key by key, lists append, other values replace.
    Lists of named items (containers, env, volumes) append, so that config adds a sidecar or
    a variable without restating the ones already there."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        elif isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = [*out[key], *value]
        else:
            out[key] = value
    return out
