"""What the step executor asks of Kubernetes: four calls, behind one small interface.

`KubernetesJobs` is the seam: create a Job from its manifest, read how it is doing, delete it,
read its pod's log. `ClusterJobs` implements it with the official `kubernetes` client (loaded
when a cluster is first used, from inside the cluster or from a kubeconfig file); the
executor's tests give it a stand-in that runs each Job's container command as a local
process. `JobStatus` folds a Job and its pod into the one state the executor acts on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from headwater._extras import needs_extra
from headwater_k8s.step_job import STEP_CONTAINER_NAME

#: Reasons a pod's container waits that do not pass by themselves: the step cannot start.
CANNOT_START = frozenset({"ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError",
                          "CreateContainerError", "ErrImageNeverPull"})


@dataclass(frozen=True)
class JobStatus:
    """How a step's Job is doing.

    Args:
        state: `"PENDING"` (pod not running yet), `"RUNNING"`, `"SUCCEEDED"` or `"FAILED"`.
        reason: why it failed, or why its pod waits (`ImagePullBackOff`, ...), with detail.
        waiting: the reason alone of a pod that waits, to tell a pull still in progress
            from one that will not happen (`CANNOT_START`).
    """

    state: str
    reason: str = ""
    waiting: str = ""

    @property
    def finished(self) -> bool:
        return self.state in ("SUCCEEDED", "FAILED")

    @property
    def cannot_start(self) -> bool:
        return self.waiting in CANNOT_START


class KubernetesJobs(Protocol):
    """The Kubernetes calls the step executor makes."""

    def create_job(self, namespace: str, manifest: Mapping[str, Any]) -> None:
        """Create the Job; raise if the API refuses it."""

    def job_status(self, namespace: str, name: str) -> JobStatus:
        """How the Job named `name` is doing."""

    def delete_job(self, namespace: str, name: str) -> None:
        """Delete the Job and its pods (stopping a running container); gone already is fine."""

    def pod_logs(self, namespace: str, name: str) -> str:
        """The log of the Job's pod ('' when it has none yet)."""


class ClusterJobs:
    """`KubernetesJobs` on a real cluster, through the official `kubernetes` client.

    Args:
        load_incluster_config: use the service account of the pod this runs in.
        kubeconfig_file: else the kubeconfig to load (None: `~/.kube/config` or $KUBECONFIG).
    """

    def __init__(self, load_incluster_config: bool = True, kubeconfig_file: str | None = None):
        self.load_incluster_config = load_incluster_config
        self.kubeconfig_file = kubeconfig_file
        self._batch: Any = None
        self._core: Any = None

    def __repr__(self) -> str:
        return (f"ClusterJobs(load_incluster_config={self.load_incluster_config}, "
                f"kubeconfig_file={self.kubeconfig_file!r})")

    def _apis(self) -> tuple[Any, Any]:
        if self._batch is None:
            with needs_extra("k8s", "the Kubernetes job executor"):
                from kubernetes import client, config
            if self.load_incluster_config:
                config.load_incluster_config()
            else:
                config.load_kube_config(config_file=self.kubeconfig_file)
            self._batch, self._core = client.BatchV1Api(), client.CoreV1Api()
        return self._batch, self._core

    def create_job(self, namespace: str, manifest: Mapping[str, Any]) -> None:
        batch, _ = self._apis()
        batch.create_namespaced_job(namespace, dict(manifest))

    def job_status(self, namespace: str, name: str) -> JobStatus:
        batch, _ = self._apis()
        status = batch.read_namespaced_job_status(name, namespace).status
        if status.succeeded:
            return JobStatus("SUCCEEDED")
        for condition in status.conditions or ():
            if condition.type == "Failed" and condition.status == "True":
                return JobStatus("FAILED", f"{condition.reason}: {condition.message}")
        if status.failed:
            return JobStatus("FAILED", "its pod failed")
        pod = self._pod(namespace, name)
        if pod is None:
            return JobStatus("PENDING", "no pod yet")
        for container in pod.status.container_statuses or ():
            waiting = container.state.waiting if container.state else None
            if waiting is not None:
                return JobStatus("PENDING", f"{waiting.reason}: {waiting.message or ''}".strip(),
                                 waiting.reason or "")
        return JobStatus("RUNNING" if pod.status.phase == "Running" else "PENDING",
                         pod.status.phase or "")

    def delete_job(self, namespace: str, name: str) -> None:
        from kubernetes.client.exceptions import ApiException

        batch, _ = self._apis()
        try:
            batch.delete_namespaced_job(name, namespace, propagation_policy="Foreground",
                                        grace_period_seconds=0)
        except ApiException as exc:
            if exc.status != 404:
                raise

    def pod_logs(self, namespace: str, name: str) -> str:
        _, core = self._apis()
        pod = self._pod(namespace, name)
        if pod is None:
            return ""
        return str(core.read_namespaced_pod_log(pod.metadata.name, namespace,
                                                container=STEP_CONTAINER_NAME))

    def _pod(self, namespace: str, name: str) -> Any:
        _, core = self._apis()
        pods = core.list_namespaced_pod(namespace, label_selector=f"job-name={name}").items
        # backoffLimit 0: one pod; the newest one if Kubernetes replaced an evicted pod
        return max(pods, key=lambda p: p.metadata.creation_timestamp) if pods else None
