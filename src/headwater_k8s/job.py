"""The Kubernetes Job that runs one headwater process, built as data.

`K8sJobConfig` is what a deployment says about every Job it starts (namespace, service
account, pull policy and secrets, environment from Secrets and ConfigMaps, resources, node
selector, volumes, labels, time to live), checked once with errors naming the field.
`job_manifest(name=, image=, args=, env=, labels=, config=)` is the batch/v1 Job manifest
for one container, a plain dict as `kubectl apply` takes it: the run launcher makes one per
run (`headwater run-worker RUN_ID`), and the same builder serves a Job per step. Nothing here
talks to a cluster or imports the kubernetes client.

A Job that fails is not retried by Kubernetes (backoffLimit 0, restartPolicy Never):
headwater decides about retries itself, and a run worker started twice would be refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from headwater.daemon.run_launcher import env_from_entries
from headwater.errors import HeadwaterInvalidInvocationError

CONTAINER_NAME = "headwater"
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
_NAME_LIMIT = 63
_LABEL_VALUE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True, slots=True)
class K8sJobConfig:
    """What every Job a deployment starts shares. Field names follow Dagster's
    `K8sRunLauncher`; `volume_mounts`, `volumes` and `resources` are written as in a Kubernetes
    manifest (`mountPath`, `persistentVolumeClaim`, `limits`/`requests`)."""

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
    node_selector: Mapping[str, str] = field(default_factory=dict)
    ttl_seconds_after_finished: int | None = 86400

    @classmethod
    def from_arguments(cls, where: str, **given: Any) -> K8sJobConfig:
        """Check the fields (each mistake an error naming `where`.field) and build it."""
        values: dict[str, Any] = {}
        for name in ("job_namespace", "image_pull_policy", "service_account_name"):
            if given.get(name) is not None:
                values[name] = _string(given[name], f"{where}.{name}")
        if values.get("image_pull_policy") not in (None, *PULL_POLICIES):
            raise HeadwaterInvalidInvocationError(
                f"{where}.image_pull_policy: {values['image_pull_policy']!r} is not one of "
                f"{', '.join(PULL_POLICIES)}.")
        for name in ("env_config_maps", "env_secrets", "env_vars"):
            values[name] = tuple(_string(v, f"{where}.{name}")
                                 for v in _list(given.get(name), f"{where}.{name}"))
        values["image_pull_secrets"] = tuple(
            _secret_name(v, f"{where}.image_pull_secrets")
            for v in _list(given.get("image_pull_secrets"), f"{where}.image_pull_secrets"))
        env_from_entries(list(values["env_vars"]), f"{where}.env_vars")
        for name in ("volume_mounts", "volumes"):
            values[name] = tuple(_mapping(v, f"{where}.{name}")
                                 for v in _list(given.get(name), f"{where}.{name}"))
        for name in ("labels", "node_selector"):
            mapping = _mapping(given.get(name) or {}, f"{where}.{name}")
            values[name] = {str(k): _string(v, f"{where}.{name}.{k}") for k, v in mapping.items()}
        if given.get("resources") is not None:
            values["resources"] = _mapping(given["resources"], f"{where}.resources")
        ttl = given.get("ttl_seconds_after_finished", 86400)
        if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 0):
            raise HeadwaterInvalidInvocationError(
                f"{where}.ttl_seconds_after_finished: expected whole seconds (0 or more), or "
                f"null to keep finished Jobs; got {ttl!r}.")
        values["ttl_seconds_after_finished"] = ttl
        return cls(**values)


def job_manifest(*, name: str, image: str, args: Sequence[str],
                 env: Mapping[str, str | Mapping[str, Any]], labels: Mapping[str, str],
                 config: K8sJobConfig, command: Sequence[str] | None = None) -> dict[str, Any]:
    """The batch/v1 Job running `image` with `args` (and `command`, when the image's
    entrypoint is not to be used) in one container.

    Args:
        name: the Job's name (made a valid one: lowercase, at most 63 characters).
        image: the container image.
        args: the container's arguments.
        env: environment variables: a string value, or a `valueFrom` mapping (e.g.
            `{"secretKeyRef": {"name": "db", "key": "url"}}`). `config.env_vars` come after.
        labels: labels of the Job and its pod, after `config.labels` (values made valid).
        config: what every Job of the deployment shares.
        command: the container's command, replacing the image's entrypoint.
    """
    all_labels = {k: label_value(v) for k, v in {**config.labels, **labels}.items()}
    merged = {**env, **env_from_entries(list(config.env_vars), "env_vars")}
    container: dict[str, Any] = {"name": CONTAINER_NAME, "image": image, "args": list(args)}
    if command is not None:
        container["command"] = list(command)
    if config.image_pull_policy:
        container["imagePullPolicy"] = config.image_pull_policy
    container["env"] = [{"name": k, "value": v} if isinstance(v, str)
                        else {"name": k, "valueFrom": dict(v)} for k, v in merged.items()]
    env_from = [{"configMapRef": {"name": n}} for n in config.env_config_maps] + \
               [{"secretRef": {"name": n}} for n in config.env_secrets]
    if env_from:
        container["envFrom"] = env_from
    if config.resources:
        container["resources"] = dict(config.resources)
    if config.volume_mounts:
        container["volumeMounts"] = [dict(m) for m in config.volume_mounts]
    pod: dict[str, Any] = {"restartPolicy": "Never", "containers": [container]}
    if config.service_account_name:
        pod["serviceAccountName"] = config.service_account_name
    if config.image_pull_secrets:
        pod["imagePullSecrets"] = [{"name": n} for n in config.image_pull_secrets]
    if config.node_selector:
        pod["nodeSelector"] = dict(config.node_selector)
    if config.volumes:
        pod["volumes"] = [dict(v) for v in config.volumes]
    spec: dict[str, Any] = {"backoffLimit": 0,
                            "template": {"metadata": {"labels": dict(all_labels)}, "spec": pod}}
    if config.ttl_seconds_after_finished is not None:
        spec["ttlSecondsAfterFinished"] = config.ttl_seconds_after_finished
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": job_name(name), "namespace": config.job_namespace,
                     "labels": all_labels},
        "spec": spec,
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
