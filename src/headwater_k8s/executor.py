"""`k8s_job_executor`: each step of a run executed as its own Kubernetes Job.

The run's process schedules (`execution/executor.py`'s scheduler); for each step it creates
a Job whose one container runs `headwater execute-step CALL` in the job's image, then polls
the Jobs it has out. The step's process loads the job from where the run's code lives,
builds the resources, executes the step (with its `RetryPolicy`'s retries, in the same
container) and prints its events and its report; once the Job has ended, the executor reads
them from the pod's log into the run while the Job runs and once it has ended, so the run's
log is complete and only its process writes it. Values pass between steps through the IO manager, so every step's pod needs the
instance's database and storage (PostgreSQL and a shared volume or object storage).

A Job that cannot start (its image cannot be pulled, a secret it names is missing) is
deleted and fails its step, as does one the API refuses, or one whose pod ended without
reporting (killed, out of memory). Canceling the run deletes every Job still out, after
taking in the events their pods printed so far. The step's command line is part of the Job's
spec, so the database password is taken out of it: the pod reads it from its own
environment.
Kubernetes is reached through `cluster.KubernetesJobs` only; the manifests come from
`step_job.step_job_manifest` (job.py's builder, the run launcher's too).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from headwater.definitions.config.executor import (
    TAG_CONCURRENCY_LIMITS,
    ExecutorDefinition,
    InitExecutorContext,
    multiple_process_executor_requirements,
)
from headwater.definitions.config.schema import Array, Field, Map, Noneable, Permissive, Shape
from headwater.errors import HeadwaterInvalidConfigError
from headwater.execution import event as ev
from headwater.execution.executor import Executor, StepReport, StepTask
from headwater.execution.remote import StepCall, read_step_output, run_init_for
from headwater_k8s.cluster import ClusterJobs, JobStatus, KubernetesJobs
from headwater_k8s.job import K8sConfig
from headwater_k8s.step_job import StepJobSettings, step_job_manifest

_ET = ev.HeadwaterEventType
#: Where the image of the run's own code is found when `job_image` is not set.
CURRENT_IMAGE_ENV = "HEADWATER_CURRENT_IMAGE"
_WAIT = 0.25  # wait() returns at least this often, so cancel requests are seen
_LOG_TAIL = 20  # lines of a pod's log quoted when its step ended without reporting
# Reads of a Job's status that may fail in a row (an API server restarting, a dropped
# connection) before its step is failed.
MAX_API_ERRORS = 5


@dataclass
class _Out:
    """A step whose Job is out: its task, who to tell, and the Job's name."""

    task: StepTask
    on_done: Callable[[StepReport], None]
    name: str
    forwarded: int = 0  # how many of its events the run has taken in
    api_errors: int = 0  # reads of its status that failed in a row


class K8sJobExecutor(Executor):
    """Runs each step as a Kubernetes Job and reports each when its Job has ended.

    Args:
        settings: what every step's Job shares (image, namespace, env, raw config, ...).
        jobs: how Kubernetes is reached; None: the cluster, through the official client.
        max_concurrent: how many step Jobs may be out at once.
        tag_concurrency_limits: limits over op tags, as for the multiprocess executor.
        poll_interval: seconds between two reads of the Jobs' status.
    """

    executes_in_process = False

    def __init__(self, settings: StepJobSettings, jobs: KubernetesJobs | None = None,
                 max_concurrent: int | None = None, tag_concurrency_limits: Any = (),
                 poll_interval: float = 1.0):
        self.settings = settings
        self.jobs: KubernetesJobs = jobs if jobs is not None else ClusterJobs()
        self.max_concurrent = max_concurrent or 1_000_000
        self.tag_concurrency_limits = list(tag_concurrency_limits or ())
        self.poll_interval = poll_interval
        self.run: Any = None
        self.init: Any = None  # the RunInit, from start()
        self.outputs: list[tuple[Any, str]] = []
        self.out: dict[str, _Out] = {}
        self._next_poll = 0.0

    def __repr__(self) -> str:
        return (f"K8sJobExecutor(image={self.settings.image!r}, "
                f"namespace={self.settings.namespace!r}, jobs={self.jobs!r})")

    def start(self, run: Any) -> None:
        self.run = run
        init = run_init_for(run)
        self.init = replace(init, instance_ref=without_password(init.instance_ref))

    # --- handing steps out ----------------------------------------------------------------
    def submit(self, task: StepTask, on_done: Callable[[StepReport], None]) -> None:
        call = StepCall(self.init, task, list(self.outputs))
        namespace = self.settings.namespace
        try:
            manifest = step_job_manifest(self.settings, run_id=self.run.run_id,
                                         job_name=self.run.job.name, step_key=task.key,
                                         args=["execute-step", call.encode()], tags=task.tags)
            self.jobs.create_job(namespace, manifest)
        except Exception as exc:  # refused by the API (quota, permissions), or bad config
            self._fail(task, on_done, f'Step "{task.key}" could not be started: creating its '
                                      f"Kubernetes Job in namespace '{namespace}' failed: "
                                      f"{type(exc).__name__}: {exc}", exc)
            return
        name = manifest["metadata"]["name"]
        self.out[name] = _Out(task, on_done, name)
        self.run.emit(_ET.ENGINE_EVENT, task.key,
                      f'Executing step "{task.key}" in Kubernetes Job {name} '
                      f"(namespace {namespace}).")

    # --- watching the Jobs ----------------------------------------------------------------
    def wait(self) -> None:
        now = time.monotonic()
        if now < self._next_poll:
            time.sleep(min(_WAIT, self._next_poll - now))
            return  # let the scheduler look for a cancel request
        self._next_poll = now + self.poll_interval
        for out in list(self.out.values()):
            try:
                status = self.jobs.job_status(self.settings.namespace, out.name)
            except Exception as exc:  # the API did not answer: look again at the next poll
                out.api_errors += 1
                if out.api_errors >= MAX_API_ERRORS:
                    del self.out[out.name]
                    self._fail(out.task, out.on_done,
                               f'Step "{out.task.key}" failed: the status of its Kubernetes Job '
                               f"{out.name} could not be read {MAX_API_ERRORS} times in a row; "
                               f"the last error: {type(exc).__name__}: {exc}", exc)
                continue
            out.api_errors = 0
            if status.finished:
                self._finished(out, status)
            elif status.cannot_start:
                self._cannot_start(out, status)
            elif status.state == "RUNNING":
                self._take_events(out)

    def _take_events(self, out: _Out) -> tuple[str, StepReport | None]:
        """Forward the events the pod printed since the last look; its log and its report."""
        log = self.jobs.pod_logs(self.settings.namespace, out.name)
        events, report = read_step_output(log, out.task)
        for event in events[out.forwarded:]:
            self.run.forward(event)
        out.forwarded = max(out.forwarded, len(events))
        return log, report

    def _finished(self, out: _Out, status: JobStatus) -> None:
        del self.out[out.name]
        log, report = self._take_events(out)
        if report is None:
            tail = "\n".join(log.splitlines()[-_LOG_TAIL:])
            message = (f'Step "{out.task.key}" failed: its Kubernetes Job {out.name} ended '
                       f"{status.state} without reporting how the step went"
                       f"{f' ({status.reason})' if status.reason else ''}."
                       + (f" Last lines of its pod's log:\n{tail}" if tail else
                          " Its pod left no log."))
            self._fail(out.task, out.on_done, message, None)
            return
        self.outputs.extend((ref, self.run.run_id) for ref in report.produced or ())
        out.on_done(report)

    def _cannot_start(self, out: _Out, status: JobStatus) -> None:
        del self.out[out.name]
        self.jobs.delete_job(self.settings.namespace, out.name)
        self._fail(out.task, out.on_done,
                   f'Step "{out.task.key}" could not start: the pod of its Kubernetes Job '
                   f"{out.name} is stuck ({status.reason}); the Job was deleted. Check the "
                   f"image '{self.settings.image}' and the secrets and config maps it names.",
                   None)

    def _fail(self, task: StepTask, on_done: Callable[[StepReport], None], message: str,
              error: BaseException | None) -> None:
        serialized = ev.SerializableError.from_exception(error) if error is not None \
            else ev.SerializableError(message, "K8sJobError")
        self.run.emit(_ET.STEP_FAILURE, task.key, message,
                      ev.StepFailureData(serialized, error_source="FRAMEWORK_ERROR"))
        on_done(StepReport(task, "FAILURE", []))

    # --- stopping -------------------------------------------------------------------------
    def terminate(self) -> list[StepTask]:
        stopped = []
        for out in list(self.out.values()):
            self._take_events(out)  # what the step did before the cancel stays in the run's log
            self.jobs.delete_job(self.settings.namespace, out.name)
            self.run.emit(_ET.ENGINE_EVENT, out.task.key,
                          f"Deleted Kubernetes Job {out.name}: the run was canceled.")
            stopped.append(out.task)
        self.out.clear()
        return stopped


def without_password(ref: Any) -> Any:
    """The instance's ref with no database password in its URL: the step's command line is
    part of the Job's spec, which anyone who may list Jobs reads. The pod gets the password
    from its own environment ($HEADWATER_HOME's headwater.yaml, $HEADWATER_DATABASE_URL)."""
    if ref is None:
        return None
    parts = urlsplit(ref.url)
    if parts.password is None:
        return ref
    host = parts.netloc.rsplit("@", 1)[1]
    netloc = f"{parts.username}@{host}" if parts.username else host
    return replace(ref, url=urlunsplit(parts._replace(netloc=netloc)))


# --- the executor definition -------------------------------------------------------------

_K8S_CONFIG = Shape({name: Field(Permissive(), is_required=False) for name in (
    "container_config", "pod_spec_config", "pod_template_spec_metadata", "job_spec_config",
    "job_metadata")})


def create_k8s_job_executor(config: Mapping[str, Any], jobs: KubernetesJobs | None = None,
                            poll_interval: float = 1.0) -> K8sJobExecutor:
    """The executor `k8s_job_executor` builds from its (checked) config.

    Args:
        config: the executor's config, as `execution: {config: ...}` gives it.
        jobs: how Kubernetes is reached; None: the cluster that `load_incluster_config` and
            `kubeconfig_file` say (the official client).
        poll_interval: seconds between two reads of the Jobs' status.
    """
    if jobs is None:
        jobs = ClusterJobs(config.get("load_incluster_config", True),
                           config.get("kubeconfig_file"))
    return K8sJobExecutor(settings_from_config(config), jobs, config.get("max_concurrent"),
                          config.get("tag_concurrency_limits"), poll_interval)


def _create(init_context: InitExecutorContext) -> K8sJobExecutor:
    return create_k8s_job_executor(dict(init_context.executor_config or {}))


def settings_from_config(config: Mapping[str, Any]) -> StepJobSettings:
    """The step Jobs' settings from the executor's (checked) config."""
    image = config.get("job_image") or os.environ.get(CURRENT_IMAGE_ENV)
    if not image:
        raise HeadwaterInvalidConfigError(
            "execution.config.job_image: the Kubernetes job executor needs the image its step "
            "Jobs run (one with your code and headwater installed); set job_image, or "
            f"${CURRENT_IMAGE_ENV} in the run's environment.", [])
    return StepJobSettings(
        image=image,
        namespace=config.get("job_namespace") or "default",
        image_pull_policy=config.get("image_pull_policy"),
        image_pull_secrets=tuple(config.get("image_pull_secrets") or ()),
        service_account_name=config.get("service_account_name"),
        env_config_maps=tuple(config.get("env_config_maps") or ()),
        env_secrets=tuple(config.get("env_secrets") or ()),
        env_vars=tuple(config.get("env_vars") or ()),
        volume_mounts=tuple(config.get("volume_mounts") or ()),
        volumes=tuple(config.get("volumes") or ()),
        labels=dict(config.get("labels") or {}),
        resources=config.get("resources"),
        scheduler_name=config.get("scheduler_name"),
        security_context=config.get("security_context"),
        step_k8s_config=K8sConfig.from_value(config.get("step_k8s_config"),
                                             "execution.config.step_k8s_config"),
        per_step_k8s_config={
            key: K8sConfig.from_value(value, f"execution.config.per_step_k8s_config.{key}")
            for key, value in (config.get("per_step_k8s_config") or {}).items()},
    )


def _optional(schema: Any) -> Field:
    return Field(Noneable(schema), is_required=False)


k8s_job_executor = ExecutorDefinition(
    name="k8s",
    config_schema=Shape({
        "job_image": _optional(str),
        "job_namespace": _optional(str),
        "load_incluster_config": Field(bool, is_required=False, default_value=True),
        "kubeconfig_file": _optional(str),
        "image_pull_policy": _optional(str),
        "image_pull_secrets": _optional(Array(Shape({"name": str}))),
        "service_account_name": _optional(str),
        "env_config_maps": _optional(Array(str)),
        "env_secrets": _optional(Array(str)),
        "env_vars": _optional(Array(str)),
        "volume_mounts": _optional(Array(Permissive())),
        "volumes": _optional(Array(Permissive())),
        "labels": _optional(Map(str, str)),
        "resources": _optional(Permissive()),
        "scheduler_name": _optional(str),
        "security_context": _optional(Permissive()),
        "step_k8s_config": Field(_K8S_CONFIG, is_required=False),
        "per_step_k8s_config": _optional(Map(str, _K8S_CONFIG)),
        "max_concurrent": _optional(int),
        "tag_concurrency_limits": TAG_CONCURRENCY_LIMITS,
    }),
    requirements=tuple(multiple_process_executor_requirements()),
    executor_creation_fn=_create,
    description="Runs each step of a run as its own Kubernetes Job.",
)
