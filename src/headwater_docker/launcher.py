"""DockerRunLauncher: each launched run's worker in its own Docker container.

Launching a run creates a container from the configured image running
`headwater run-worker RUN_ID`, with the instance's database URL and home in its environment
(`HEADWATER_DATABASE_URL`, `HEADWATER_HOME`), so the worker records the run in the same
database (PostgreSQL in practice: the container must reach it). The container is labeled
with the run id; terminate stops the container found by that label, and run monitoring reads
its state. What the container looks like is `container_spec(run, config, env)`, plain data
handed to the docker SDK's `containers.create`; the only other calls are connecting extra
networks, starting, finding, stopping and reading containers. The `docker` package loads on
the first launch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
from headwater.errors import HeadwaterInvalidInvocationError
from headwater.storage.record import HeadwaterRun

WHERE = "headwater.yaml run_launcher.config"
#: The label every run container carries: the id of its run.
RUN_ID_LABEL = "headwater/run_id"
JOB_NAME_LABEL = "headwater/job_name"
#: Run tags the launcher writes: the container it started and its image.
CONTAINER_ID_TAG = "docker/container_id"
IMAGE_TAG = "headwater/image"
# container_kwargs may not replace what makes the container this run's worker
_OWNED = ("image", "command", "detach", "name", "network")
_RUNNING = {"created", "running", "restarting", "paused"}


@dataclass(frozen=True, slots=True)
class DockerConfig:
    """The run launcher's config: the worker image, where to pull it from, its environment,
    the networks it joins and any other `containers.create` argument."""

    image: str
    registry: Mapping[str, str] | None = None
    env_vars: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    container_kwargs: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_arguments(cls, image: Any, registry: Any = None, env_vars: Any = None,
                       network: Any = None, networks: Any = None,
                       container_kwargs: Any = None) -> DockerConfig:
        """Check the launcher's arguments; each mistake is an error naming the field."""
        if not isinstance(image, str) or not image:
            raise HeadwaterInvalidInvocationError(
                f"{WHERE}.image: expected the worker image (e.g. my-registry/pipelines:1.2, "
                f"with headwater and your code in it), got {image!r}.")
        if network is not None and networks is not None:
            raise HeadwaterInvalidInvocationError(
                f"{WHERE}: give network (one) or networks (a list), not both.")
        joined = [network] if network is not None else list(networks or [])
        if not all(isinstance(n, str) and n for n in joined):
            raise HeadwaterInvalidInvocationError(
                f"{WHERE}.networks: expected network names, got {joined!r}.")
        env_from_entries(env_vars, f"{WHERE}.env_vars")  # checks the entries now
        kwargs = dict(container_kwargs or {})
        refused = sorted(set(kwargs) & set(_OWNED))
        if refused:
            raise HeadwaterInvalidInvocationError(
                f"{WHERE}.container_kwargs: {', '.join(refused)} is set by the launcher; use "
                "image and network(s) for those.")
        return cls(image=image, registry=_registry(registry), env_vars=tuple(env_vars or ()),
                   networks=tuple(joined), container_kwargs=kwargs)


def _registry(registry: Any) -> Mapping[str, str] | None:
    if registry is None:
        return None
    if not isinstance(registry, Mapping) or set(registry) != {"url", "username", "password"}:
        raise HeadwaterInvalidInvocationError(
            f"{WHERE}.registry: expected {{url, username, password}}, got "
            f"{sorted(registry) if isinstance(registry, Mapping) else registry!r}.")
    return {k: str(v) for k, v in registry.items()}


def container_spec(run: HeadwaterRun, config: DockerConfig,
                   instance_env: Mapping[str, str]) -> dict[str, Any]:
    """The keyword arguments of `client.containers.create` for the worker of `run`.

    Its environment is `instance_env` (where the instance is), then `env_vars`, then
    `container_kwargs["environment"]`; its labels are the run's id and job, then
    `container_kwargs["labels"]`; it joins the first network at creation (the launcher
    connects the others before starting it).
    """
    extra = dict(config.container_kwargs)
    environment = {**instance_env, **env_from_entries(list(config.env_vars),
                                                      f"{WHERE}.env_vars"),
                   **_as_env(extra.pop("environment", None))}
    labels = {RUN_ID_LABEL: run.run_id, JOB_NAME_LABEL: run.job_name,
              **dict(extra.pop("labels", None) or {})}
    spec: dict[str, Any] = {
        "image": config.image,
        "command": worker_command(run.run_id),
        "name": f"headwater-run-{run.run_id}",
        "detach": True,
        "environment": environment,
        "labels": labels,
        **extra,
    }
    if config.networks:
        spec["network"] = config.networks[0]
    return spec


def _as_env(value: Any) -> dict[str, str]:
    """container_kwargs' `environment`, as the SDK takes it: a dict or KEY=VALUE strings."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    return env_from_entries(value, f"{WHERE}.container_kwargs.environment")


class DockerRunLauncher(RunLauncher):
    """Launches each run's worker in a new Docker container.

    Configure it in headwater.yaml (the instance's database must be reachable from the
    containers, so PostgreSQL in practice):

    ```yaml
    run_launcher:
      module: headwater_docker
      class: DockerRunLauncher
      config:
        image: my-registry/pipelines:1.2
        network: headwater
        env_vars: [AWS_REGION=eu-west-1, SNOWFLAKE_PASSWORD]
        container_kwargs:
          volumes: {/srv/data: {bind: /data, mode: rw}}
    ```

    Args:
        image: the worker image; headwater and the code location must be installed in it.
        registry: `{url, username, password}` to log in to before pulling the image.
        env_vars: `KEY=VALUE`, or `KEY` to pass on the launching process's value.
        network: a network the container joins.
        networks: several networks (instead of `network`).
        container_kwargs: any other argument of docker's `containers.create`
            (`volumes`, `mem_limit`, `auto_remove`, ...); `environment` and `labels` add to
            the launcher's own.
    """

    def __init__(self, image: str, registry: Mapping[str, str] | None = None,
                 env_vars: list[str] | None = None, network: str | None = None,
                 networks: list[str] | None = None,
                 container_kwargs: Mapping[str, Any] | None = None):
        self.config = DockerConfig.from_arguments(image, registry, env_vars, network, networks,
                                                  container_kwargs)
        self._client: Any = None

    def __repr__(self) -> str:
        return f"DockerRunLauncher(image={self.config.image!r})"

    def docker_client(self) -> Any:
        """The docker SDK client (from the environment: DOCKER_HOST, or the local socket),
        logged in to the registry when one is configured."""
        if self._client is None:
            import docker

            client = docker.from_env()
            if self.config.registry is not None:
                client.login(registry=self.config.registry["url"],
                             username=self.config.registry["username"],
                             password=self.config.registry["password"])
            self._client = client
        return self._client

    def launch_run(self, context: LaunchRunContext) -> None:
        run = context.headwater_run
        client = self.docker_client()
        spec = container_spec(run, self.config, worker_environment(self.instance))
        container = client.containers.create(**spec)
        for name in self.config.networks[1:]:
            client.networks.get(name).connect(container)
        container.start()
        self.instance.add_run_tags(run.run_id, {CONTAINER_ID_TAG: str(container.id),
                                                IMAGE_TAG: self.config.image})

    def terminate(self, run_id: str) -> bool:
        if self.run_to_stop(run_id) is None:  # an ended run too: a dead run's worker may hang
            return False
        container = self._container(run_id)
        if container is None:
            return False
        container.reload()
        if container.status not in _RUNNING:  # it exited already: nothing to stop
            return False
        container.stop()
        return True

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: HeadwaterRun) -> CheckRunHealthResult:
        container = self._container(run.run_id)
        if container is None:
            return CheckRunHealthResult(WorkerStatus.NOT_FOUND,
                                        f"no container labeled {RUN_ID_LABEL}={run.run_id}")
        container.reload()
        worker = str(container.id)
        if container.status in _RUNNING:
            return CheckRunHealthResult(WorkerStatus.RUNNING, run_worker_id=worker)
        code = (container.attrs.get("State") or {}).get("ExitCode")
        said = f"container {container.name} is {container.status} (exit code {code})"
        status = WorkerStatus.SUCCESS if code == 0 else WorkerStatus.FAILED
        return CheckRunHealthResult(status, said, run_worker_id=worker)

    def _container(self, run_id: str) -> Any:
        """The run's container, found by its run-id label (None when there is none)."""
        found = self.docker_client().containers.list(
            all=True, filters={"label": f"{RUN_ID_LABEL}={run_id}"})
        return found[0] if found else None
