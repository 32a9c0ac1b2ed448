"""K8sRunLauncher: each launched run's worker in its own Kubernetes Job.

Launching a run creates the Job `run_job_manifest(run, config, image, env)` (job.py's
builder, the one the executor's step Jobs come from too: `headwater run-worker RUN_ID` in
the configured image, the instance's database URL and home in its environment, labeled with
the run id, with `run_k8s_config` and the run's `headwater-k8s/config` tag merged over it)
in the configured namespace. terminate deletes the Job (and its pod), for a canceled run
and for one run monitoring has declared dead; run monitoring reads the Job's status
(`job_worker_status`). The official `kubernetes` client loads, and reads the cluster
credentials (in-cluster, or a kubeconfig), on the first launch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from headwater.daemon.run_launcher import (
    CheckRunHealthResult,
    LaunchRunContext,
    RunLauncher,
    WorkerStatus,
    env_from_entries,
    worker_command,
    worker_environment,
)
from headwater.errors import HeadwaterInvalidConfigError, HeadwaterInvalidInvocationError
from headwater.storage.home import URL_ENV
from headwater.storage.record import HeadwaterRun
from headwater_k8s.job import K8sConfig, K8sJobConfig, job_manifest, job_name

WHERE = "headwater.yaml run_launcher.config"
RUN_ID_LABEL = "headwater/run-id"
#: Run tags the launcher writes: the Job it created, and its namespace.
JOB_NAME_TAG = "k8s/job_name"
JOB_NAMESPACE_TAG = "k8s/job_namespace"


def run_job_manifest(run: HeadwaterRun, config: K8sJobConfig, image: str,
                     instance_env: Mapping[str, str | Mapping[str, Any]]) -> dict[str, Any]:
    """The Job that runs the worker of `run`: named after the run id, labeled with the run
    id and job, its environment `instance_env` then `config.env_vars`, and the run's
    `headwater-k8s/config` tag (from its job's tags) merged over `config.k8s_config`."""
    return job_manifest(
        name=f"headwater-run-{run.run_id}", image=image, args=worker_command(run.run_id),
        env=instance_env, config=config, tags=run.tags, tags_of=f"run {run.run_id}",
        labels={"app.kubernetes.io/name": "headwater",
                "app.kubernetes.io/component": "run-worker",
                RUN_ID_LABEL: run.run_id, "headwater/job": run.job_name})


def job_worker_status(status: Any) -> CheckRunHealthResult:
    """What a Job's status (the client's V1JobStatus) says of the worker in it."""
    failed = [c for c in status.conditions or () if c.type == "Failed" and c.status == "True"]
    if failed or (status.failed or 0) > 0:
        why = f"{failed[0].reason}: {failed[0].message}" if failed else \
            f"{status.failed} pod(s) failed"
        return CheckRunHealthResult(WorkerStatus.FAILED, f"its Kubernetes Job failed ({why})")
    if (status.succeeded or 0) > 0:
        return CheckRunHealthResult(WorkerStatus.SUCCESS, "its Kubernetes Job completed")
    return CheckRunHealthResult(WorkerStatus.RUNNING)


class K8sRunLauncher(RunLauncher):
    """Launches each run's worker as a Kubernetes Job.

    Configure it in headwater.yaml; the instance's database must be reachable from the pods
    (PostgreSQL), and the image must hold headwater and the code location:

    ```yaml
    run_launcher:
      module: headwater_k8s
      class: K8sRunLauncher
      config:
        job_image: my-registry/pipelines:1.2
        job_namespace: data
        service_account_name: headwater-runs
        env_secrets: [warehouse-credentials]
        database_url_secret: {name: headwater-db, key: url}
        resources: {requests: {cpu: 500m, memory: 1Gi}}
        run_k8s_config:
          pod_spec_config: {tolerations: [{key: batch, operator: Exists}]}
    ```

    A job's `headwater-k8s/config` tag (raw config, as for an op under the Kubernetes
    executor) is merged over `run_k8s_config` for the Jobs of its runs.

    Args:
        job_image: the worker image.
        database_url_secret: `{name, key}` of a Secret holding the database URL, so the
            URL (and its password) is not written into the Job; without it the URL is
            passed as a plain value.
        load_incluster_config: use the pod's service account (when headwater itself runs
            in the cluster); set false to read a kubeconfig instead.
        kubeconfig_file: the kubeconfig to read (default ~/.kube/config) when not in-cluster.
        job_namespace: the namespace of the Jobs; the other arguments (image_pull_policy,
            image_pull_secrets, service_account_name, env_config_maps, env_secrets, env_vars,
            volume_mounts, volumes, labels, resources, security_context, node_selector,
            scheduler_name, ttl_seconds_after_finished) are the fields of `K8sJobConfig`
            (job.py).
        run_k8s_config: raw Kubernetes config merged over every run's Job: some of
            `container_config`, `pod_spec_config`, `pod_template_spec_metadata`,
            `job_spec_config`, `job_metadata` (see `K8sConfig`).
    """

    def __init__(self, job_image: str, job_namespace: str = "default",
                 image_pull_policy: str | None = None,
                 image_pull_secrets: list[Any] | None = None,
                 service_account_name: str | None = None,
                 env_config_maps: list[str] | None = None, env_secrets: list[str] | None = None,
                 env_vars: list[str] | None = None,
                 volume_mounts: list[Mapping[str, Any]] | None = None,
                 volumes: list[Mapping[str, Any]] | None = None,
                 labels: Mapping[str, str] | None = None,
                 resources: Mapping[str, Any] | None = None,
                 security_context: Mapping[str, Any] | None = None,
                 node_selector: Mapping[str, str] | None = None,
                 scheduler_name: str | None = None,
                 ttl_seconds_after_finished: int | None = 86400,
                 run_k8s_config: Mapping[str, Any] | None = None,
                 database_url_secret: Mapping[str, str] | None = None,
                 load_incluster_config: bool = True, kubeconfig_file: str | None = None):
        if not isinstance(job_image, str) or not job_image:
            raise HeadwaterInvalidInvocationError(
                f"{WHERE}.job_image: expected the worker image (with headwater and your code "
                f"in it), got {job_image!r}.")
        if load_incluster_config and kubeconfig_file is not None:
            raise HeadwaterInvalidInvocationError(
                f"{WHERE}: kubeconfig_file is read only with load_incluster_config: false; "
                "set that, or remove kubeconfig_file.")
        if database_url_secret is not None and (
                not isinstance(database_url_secret, Mapping)
                or set(database_url_secret) != {"name", "key"}):
            raise HeadwaterInvalidInvocationError(
                f"{WHERE}.database_url_secret: expected {{name, key}} of a Secret, got "
                f"{database_url_secret!r}.")
        self.job_image = job_image
        try:
            raw = K8sConfig.from_value(run_k8s_config, f"{WHERE}.run_k8s_config")
        except HeadwaterInvalidConfigError as exc:
            raise HeadwaterInvalidInvocationError(str(exc)) from None
        self.config = K8sJobConfig.from_arguments(
            WHERE, job_namespace=job_namespace, image_pull_policy=image_pull_policy,
            image_pull_secrets=image_pull_secrets, service_account_name=service_account_name,
            env_config_maps=env_config_maps, env_secrets=env_secrets, env_vars=env_vars,
            volume_mounts=volume_mounts, volumes=volumes, labels=labels, resources=resources,
            security_context=security_context, node_selector=node_selector,
            scheduler_name=scheduler_name,
            ttl_seconds_after_finished=ttl_seconds_after_finished, k8s_config=raw)
        # a KEY passed on from the environment must be set where runs are launched: say so now
        env_from_entries(list(self.config.env_vars), f"{WHERE}.env_vars")
        self.database_url_secret = dict(database_url_secret) if database_url_secret else None
        self.load_incluster_config = load_incluster_config
        self.kubeconfig_file = kubeconfig_file
        self._batch: Any = None

    def __repr__(self) -> str:
        return (f"K8sRunLauncher(job_image={self.job_image!r}, "
                f"job_namespace={self.config.job_namespace!r})")

    def batch_api(self) -> Any:
        """The client's BatchV1Api, with the cluster credentials loaded once."""
        if self._batch is None:
            from kubernetes import client, config

            if self.load_incluster_config:
                config.load_incluster_config()
            else:
                config.load_kube_config(config_file=self.kubeconfig_file)
            self._batch = client.BatchV1Api()
        return self._batch

    def manifest(self, run: HeadwaterRun) -> dict[str, Any]:
        """The Job this launcher creates for `run`."""
        env: dict[str, str | Mapping[str, Any]] = dict(worker_environment(self.instance))
        if self.database_url_secret is not None:
            env[URL_ENV] = {"secretKeyRef": dict(self.database_url_secret)}
        return run_job_manifest(run, self.config, self.job_image, env)

    def launch_run(self, context: LaunchRunContext) -> None:
        run = context.headwater_run
        manifest = self.manifest(run)
        self.batch_api().create_namespaced_job(namespace=self.config.job_namespace,
                                               body=manifest)
        self.instance.add_run_tags(run.run_id, {
            JOB_NAME_TAG: manifest["metadata"]["name"],
            JOB_NAMESPACE_TAG: self.config.job_namespace})

    def terminate(self, run_id: str) -> bool:
        run = self.run_to_stop(run_id)  # an ended run too: monitoring stops a dead run's Job
        if run is None:
            return False
        from kubernetes.client.exceptions import ApiException

        try:
            self.batch_api().delete_namespaced_job(
                name=self._job_name(run), namespace=self._namespace(run),
                propagation_policy="Foreground")
        except ApiException as exc:
            if exc.status == 404:
                return False
            raise
        return True

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: HeadwaterRun) -> CheckRunHealthResult:
        from kubernetes.client.exceptions import ApiException

        name = self._job_name(run)
        try:
            job = self.batch_api().read_namespaced_job_status(
                name=name, namespace=self._namespace(run))
        except ApiException as exc:
            if exc.status == 404:
                return CheckRunHealthResult(WorkerStatus.NOT_FOUND,
                                            f"no Kubernetes Job {name}")
            raise
        result = job_worker_status(job.status)
        return CheckRunHealthResult(result.status, result.msg, run_worker_id=name)

    def _job_name(self, run: HeadwaterRun) -> str:
        return run.tags.get(JOB_NAME_TAG) or job_name(f"headwater-run-{run.run_id}")

    def _namespace(self, run: HeadwaterRun) -> str:
        return run.tags.get(JOB_NAMESPACE_TAG) or self.config.job_namespace
