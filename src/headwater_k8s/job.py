"""The Kubernetes Job that runs one headwater process, built as data: the one builder behind
both the run launcher's Job per run and the executor's Job per step.

`K8sJobConfig` is what a deployment says about every Job it starts (namespace, service
account, pull policy and secrets, environment from Secrets and ConfigMaps, resources, security
context, node selector, scheduler, volumes, labels, time to live, and raw Kubernetes config),
checked once with errors naming the field. `job_manifest(...)` is the batch/v1 Job manifest
for one container, a plain dict as `kubectl apply` takes it. What differs between a run's Job
and a step's is passed in: the name, the command and arguments, the environment, the labels,
the container's name, and whose `headwater-k8s/config` tag (the run's job, or the step's op)
and which raw config of its own (a step's `per_step_k8s_config`) are merged over the shared
raw config. Nothing here talks to a cluster or imports the kubernetes client.

Raw config (`K8sConfig`) is merged over the Job the builder makes, one mapping per object it
shapes (container, pod spec, pod metadata, Job spec, Job metadata): mappings merge key by key,
lists append, other values replace. Field names may be camelCase or snake_case.

A Job that fails is not retried by Kubernetes (backoffLimit 0, restartPolicy Never):
headwater decides about retries itself, and a run worker started twice would be refused.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from headwater.errors import HeadwaterInvalidConfigError, HeadwaterInvalidInvocationError

#: The tag (of a job, for its run's Job; of an op, for its step's Job) whose value, a mapping
#: or its JSON, is raw Kubernetes config for the Job.
K8S_CONFIG_TAG = "headwater-k8s/config"
CONTAINER_NAME = "headwater"
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
_NAME_LIMIT = 63
_LABEL_VALUE = re.compile(r"[^A-Za-z0-9_.-]+")
_SECTIONS = ("container_config", "pod_spec_config", "pod_template_spec_metadata",
             "job_spec_config", "job_metadata")
# Maps whose keys are the user's own names (label keys, env names), never field names.
_FREE_FORM = {"labels", "annotations", "nodeSelector", "matchLabels", "data", "limits",
              "requests"}


@dataclass(frozen=True)
class K8sConfig:
    """Raw Kubernetes config merged into a Job, one mapping per object it shapes.

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

    def merged(self, over: K8sConfig | None) -> K8sConfig:
        """This config with `over`'s merged on top (mappings merge, lists append)."""
        if over is None:
            return self
        return K8sConfig(**{name: deep_merge(getattr(self, name), getattr(over, name))
                            for name in _SECTIONS})


@dataclass(frozen=True, slots=True)
class K8sJobConfig:
    """What every Job a deployment starts shares. Field names follow Dagster's
    `K8sRunLauncher` and `k8s_job_executor`; `volume_mounts`, `volumes`, `resources` and
    `security_context` are written as in a Kubernetes manifest (`mountPath`,
    `persistentVolumeClaim`, `limits`/`requests`) or in snake_case. `k8s_config` is the raw
    config merged over every Job (the launcher's `run_k8s_config`, the executor's
    `step_k8s_config`); `where` is how error messages name this config."""

    job_namespace: str = "default"
    image_pull_policy: str | None = None
    image_pull_secrets: tuple[str, ...] = ()
    service_account_name: str | None = None
    env_config_maps: tuple[str, ...] = ()
    env_secrets: tuple[str, ...] = ()
    env_vars: tuple[str, ...] = ()
    volume_mounts: tuple[Mapping[str, Any], ...] = ()
    volumes: tuple[Mapping[str, Any], ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    resources: Mapping[str, Any] | None = None
    security_context: Mapping[str, Any] | None = None
    node_selector: Mapping[str, str] = field(default_factory=dict)
    scheduler_name: str | None = None
    ttl_seconds_after_finished: int | None = 86400
    k8s_config: K8sConfig = field(default_factory=K8sConfig)
    where: str = "config"

    @classmethod
    def from_arguments(cls, where: str, **given: Any) -> K8sJobConfig:
        """Check the fields (each mistake an error naming `where`.field) and build it.
        `k8s_config` is taken as given (a `K8sConfig`, read where its caller names it)."""
        values: dict[str, Any] = {"where": where}
        for name in ("job_namespace", "image_pull_policy", "service_account_name",
                     "scheduler_name"):
            if given.get(name) is not None:
                values[name] = _string(given[name], f"{where}.{name}")
        if values.get("image_pull_policy") not in (None, *PULL_POLICIES):
            raise HeadwaterInvalidInvocationError(
                f"{where}.image_pull_policy: {values['image_pull_policy']!r} is not one of "
                f"{', '.join(PULL_POLICIES)}.")
        for name in ("env_config_maps", "env_secrets", "env_vars"):
            values[name] = tuple(_string(v, f"{where}.{name}")
                                 for v in _list(given.get(name), f"{where}.{name}"))
        for entry in values["env_vars"]:
            if entry.startswith("="):
                raise HeadwaterInvalidInvocationError(
                    f"{where}.env_vars: {entry!r} is not KEY=VALUE or KEY.")
        values["image_pull_secrets"] = tuple(
            _secret_name(v, f"{where}.image_pull_secrets")
            for v in _list(given.get("image_pull_secrets"), f"{where}.image_pull_secrets"))
        for name in ("volume_mounts", "volumes"):
            values[name] = tuple(_mapping(v, f"{where}.{name}")
                                 for v in _list(given.get(name), f"{where}.{name}"))
        for name in ("labels", "node_selector"):
            mapping = _mapping(given.get(name) or {}, f"{where}.{name}")
            values[name] = {str(k): _string(v, f"{where}.{name}.{k}") for k, v in mapping.items()}
        for name in ("resources", "security_context"):
            if given.get(name) is not None:
                values[name] = _mapping(given[name], f"{where}.{name}")
        ttl = given.get("ttl_seconds_after_finished", 86400)
        if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 0):
            raise HeadwaterInvalidInvocationError(
                f"{where}.ttl_seconds_after_finished: expected whole seconds (0 or more), or "
                f"null to keep finished Jobs; got {ttl!r}.")
        values["ttl_seconds_after_finished"] = ttl
        if given.get("k8s_config") is not None:
            values["k8s_config"] = given["k8s_config"]
        return cls(**values)

    def env(self) -> dict[str, str]:
        """`env_vars` as a dict: `KEY=VALUE`, or `KEY` for the value it has in this process
        (the one that creates the Job); a KEY unset here is an error saying how to fix it."""
        env: dict[str, str] = {}
        for entry in self.env_vars:
            name, equals, value = entry.partition("=")
            if not equals:
                if name not in os.environ:
                    raise HeadwaterInvalidConfigError(
                        f"{self.where}.env_vars: '{name}' has no value here and none is given; "
                        f"write '{name}=VALUE', or set {name} in the environment of the process "
                        "that creates the Job.", [])
                value = os.environ[name]
            env[name] = value
        return env

    def raw_config(self, tags: Mapping[str, Any] | None = None, tags_of: str = "the run",
                   own: K8sConfig | None = None) -> K8sConfig:
        """The raw config of one Job: `k8s_config`, then the `headwater-k8s/config` tag among
        `tags` (whose they are, `tags_of`, names them in errors), then `own`."""
        tag = (tags or {}).get(K8S_CONFIG_TAG)
        return self.k8s_config.merged(
            K8sConfig.from_value(tag, f"{tags_of} tag {K8S_CONFIG_TAG}")).merged(own)


def job_manifest(*, name: str, image: str, args: Sequence[str],
                 env: Mapping[str, str | Mapping[str, Any]], labels: Mapping[str, str],
                 config: K8sJobConfig, command: Sequence[str] | None = None,
                 container_name: str = CONTAINER_NAME, tags: Mapping[str, Any] | None = None,
                 tags_of: str = "the run", own_k8s_config: K8sConfig | None = None,
                 ) -> dict[str, Any]:
    """The batch/v1 Job running `image` with `args` (and `command`, when the image's
    entrypoint is not to be used) in one container.

    Args:
        name: the Job's name (made a valid one: lowercase, at most 63 characters).
        image: the container image.
        args: the container's arguments (none: the key is left out).
        env: environment variables: a string value, or a `valueFrom` mapping (e.g.
            `{"secretKeyRef": {"name": "db", "key": "url"}}`). `config.env_vars` come after.
        labels: labels of the Job and its pod, over `config.labels` (values made valid).
        config: what every Job of the deployment shares.
        command: the container's command, replacing the image's entrypoint.
        container_name: the name of the one container (pod logs are read by it).
        tags: the tags of what the Job runs (the run's, or the op's); their
            `headwater-k8s/config` is merged over `config.k8s_config`.
        tags_of: whose tags they are, for errors (`"the run"`, `"op 'load'"`).
        own_k8s_config: raw config of this Job alone, merged last.

    Example:
        ```python
        from headwater_k8s import K8sJobConfig, job_manifest

        config = K8sJobConfig(job_namespace="data", service_account_name="runner")
        manifest = job_manifest(name="nightly", image="pipelines:1.4", args=["--help"],
                                env={"MODE": "full"}, labels={"team": "etl"}, config=config,
                                tags={"headwater-k8s/config": '{"job_spec_config": '
                                                              '{"activeDeadlineSeconds": 60}}'})
        assert manifest["spec"]["activeDeadlineSeconds"] == 60
        assert manifest["spec"]["template"]["spec"]["serviceAccountName"] == "runner"
        ```
    """
    raw = config.raw_config(tags, tags_of, own_k8s_config)
    all_labels = {k: label_value(v) for k, v in {**config.labels, **labels}.items()}
    container: dict[str, Any] = {"name": container_name, "image": image}
    if args:
        container["args"] = list(args)
    if command is not None:
        container["command"] = list(command)
    if config.image_pull_policy:
        container["imagePullPolicy"] = config.image_pull_policy
    container["env"] = [{"name": k, "value": v} if isinstance(v, str)
                        else {"name": k, "valueFrom": dict(v)}
                        for k, v in {**env, **config.env()}.items()]
    env_from = [{"configMapRef": {"name": n}} for n in config.env_config_maps] + \
               [{"secretRef": {"name": n}} for n in config.env_secrets]
    _put(container, "envFrom", env_from)
    _put(container, "resources", camel_case(dict(config.resources or {})))
    _put(container, "volumeMounts", [camel_case(dict(m)) for m in config.volume_mounts])
    _put(container, "securityContext", camel_case(dict(config.security_context or {})))
    pod: dict[str, Any] = {"restartPolicy": "Never",
                           "containers": [deep_merge(container, raw.container_config)]}
    _put(pod, "serviceAccountName", config.service_account_name)
    _put(pod, "imagePullSecrets", [{"name": n} for n in config.image_pull_secrets])
    _put(pod, "nodeSelector", dict(config.node_selector))
    _put(pod, "volumes", [camel_case(dict(v)) for v in config.volumes])
    _put(pod, "schedulerName", config.scheduler_name)
    spec: dict[str, Any] = {"backoffLimit": 0, "template": {
        "metadata": deep_merge({"labels": dict(all_labels)}, raw.pod_template_spec_metadata),
        "spec": deep_merge(pod, raw.pod_spec_config)}}
    if config.ttl_seconds_after_finished is not None:
        spec["ttlSecondsAfterFinished"] = config.ttl_seconds_after_finished
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": deep_merge({"name": job_name(name), "namespace": config.job_namespace,
                                "labels": all_labels}, raw.job_metadata),
        "spec": deep_merge(spec, raw.job_spec_config),
    }


def job_name(name: str) -> str:
    """`name` as a Kubernetes object name: lowercase letters, digits and '-', at most 63
    characters, starting and ending with a letter or digit."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", name.lower())[:_NAME_LIMIT].strip("-")
    return cleaned or "headwater"


def label_value(value: str) -> str:
    """`value` as a label value: letters, digits, '-', '_' and '.', at most 63 characters,
    starting and ending with a letter or digit."""
    return _LABEL_VALUE.sub("-", value)[:_NAME_LIMIT].strip("-_.")


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


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value:
        target[key] = value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise HeadwaterInvalidInvocationError(f"{where}: expected a string, got {value!r}.")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, Mapping)) or not isinstance(value, (list, tuple)):
        raise HeadwaterInvalidInvocationError(f"{where}: expected a list, got {value!r}.")
    return list(value)


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise HeadwaterInvalidInvocationError(f"{where}: expected a mapping, got {value!r}.")
    return value


def _secret_name(value: Any, where: str) -> str:
    """An image pull secret: its name, or Dagster's `{name: ...}`."""
    if isinstance(value, Mapping) and set(value) == {"name"}:
        value = value["name"]
    return _string(value, where)
