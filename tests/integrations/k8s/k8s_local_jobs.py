"""A stand-in for a Kubernetes cluster: each Job's container command runs as a local process.

`LocalJobs` implements `headwater_k8s.cluster.KubernetesJobs`. Every manifest it is given is
first checked as the API server would: validated against Kubernetes' OpenAPI schema
(`kubernetes-validate`, strict: unknown fields fail) and read into the client's `V1Job`.
Then the container's command runs here, with the container's env over this process's, its
stdout and stderr kept as the pod's log. Images in `unpullable` never start (the pod waits
in ImagePullBackOff), and creating a Job in a namespace of `forbidden` is refused with the
403 the API server answers when RBAC denies it. The first `status_errors` reads of each
Job's status fail, as reads do while an API server restarts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from headwater_k8s.cluster import JobStatus

KUBERNETES_VERSION = "1.30"


def check_manifest(manifest: Mapping[str, Any]) -> Any:
    """Validate a Job manifest as the API server would, and return it as a `V1Job`."""
    import kubernetes_validate
    from kubernetes.client import ApiClient

    kubernetes_validate.validate(dict(manifest), KUBERNETES_VERSION, strict=True)
    try:  # newer clients (37 here) take the response's text and content type
        return ApiClient().deserialize(json.dumps(manifest), "V1Job", "application/json")
    except TypeError:  # older clients take the response itself

        class _Response:
            data = json.dumps(manifest)

        return ApiClient().deserialize(_Response(), "V1Job")


class LocalJobs:
    """Jobs run as local processes; what was created, deleted and seen is kept for tests."""

    def __init__(self, log_dir: str, unpullable: Iterable[str] = (),
                 forbidden: Iterable[str] = (), status_errors: int = 0):
        self.log_dir = log_dir
        self.unpullable = set(unpullable)
        self.forbidden = set(forbidden)
        self.status_errors = status_errors
        self.status_reads: dict[str, int] = {}
        self.manifests: dict[str, dict[str, Any]] = {}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.deleted: list[str] = []
        self.ended: set[str] = set()  # Jobs whose end a status read has shown
        self.peak = 0  # most Jobs out (created, their end not yet seen) at once

    def create_job(self, namespace: str, manifest: Mapping[str, Any]) -> None:
        if namespace in self.forbidden:
            from kubernetes.client.exceptions import ApiException

            raise ApiException(status=403, reason=f'Forbidden: cannot create resource "jobs" '
                                                  f'in namespace "{namespace}"')
        check_manifest(manifest)
        name = manifest["metadata"]["name"]
        self.manifests[name] = dict(manifest)
        self.peak = max(self.peak, len(self.manifests) - len(self.ended) - len(self.deleted))
        container = manifest["spec"]["template"]["spec"]["containers"][0]
        if container["image"] in self.unpullable:
            return
        env = {**os.environ, **{e["name"]: e["value"] for e in container.get("env", ())}}
        # the image's PATH: this interpreter's scripts, `headwater` among them
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
        with open(self._log(name), "wb") as log:
            self.procs[name] = subprocess.Popen(
                [*container["command"], *container.get("args", ())], env=env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)

    def job_status(self, namespace: str, name: str) -> JobStatus:
        self.status_reads[name] = self.status_reads.get(name, 0) + 1
        if self.status_reads[name] <= self.status_errors:
            raise ConnectionResetError("the API server closed the connection")
        proc = self.procs.get(name)
        if proc is None:
            image = self.manifests[name]["spec"]["template"]["spec"]["containers"][0]["image"]
            return JobStatus("PENDING", f'ImagePullBackOff: Back-off pulling image "{image}"',
                             "ImagePullBackOff")
        code = proc.poll()
        if code is None:
            return JobStatus("RUNNING")
        self.ended.add(name)
        if code == 0:
            return JobStatus("SUCCEEDED")
        return JobStatus("FAILED", f"BackoffLimitExceeded: its container exited with code {code}")

    def delete_job(self, namespace: str, name: str) -> None:
        self.deleted.append(name)
        proc = self.procs.get(name)
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def pod_logs(self, namespace: str, name: str) -> str:
        if name not in self.procs:
            return ""
        with open(self._log(name), encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def _log(self, name: str) -> str:
        return os.path.join(self.log_dir, f"{name}.log")
