"""headwater_docker.DockerRunLauncher: the container it creates, as data checked by the docker
SDK itself; launch, terminate and health against a stand-in for the docker client (no Docker
daemon runs here), with a real instance on the other side."""

from __future__ import annotations

import os
from typing import Any

import pytest

pytest.importorskip("docker")

from docker.models.containers import _create_container_args  # noqa: E402

import headwater as hw  # noqa: E402
from headwater.code.location import CodeLocationOrigin  # noqa: E402
from headwater.code.run import create_run  # noqa: E402
from headwater.daemon.launcher import cancel_run, submit_run  # noqa: E402
from headwater.daemon.monitor import monitor_runs  # noqa: E402
from headwater.daemon.run_launcher import load_run_launcher, run_launcher_of  # noqa: E402
from headwater_docker import DockerConfig, DockerRunLauncher, container_spec  # noqa: E402

JOBS = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "run_jobs.py")
S = hw.HeadwaterRunStatus
W = hw.WorkerStatus
SECTION = {"module": "headwater_docker", "class": "DockerRunLauncher"}


def sdk_args(spec: dict[str, Any]) -> dict[str, Any]:
    """What the docker SDK's `containers.create` turns `spec` into for the Docker API (it
    raises on an argument it does not know)."""
    return _create_container_args({**spec, "version": "1.45"})


class FakeContainer:
    """What the docker SDK's Container offers the launcher."""

    def __init__(self, spec: dict[str, Any], number: int):
        self.spec = spec
        self.id = f"c{number:04d}"
        self.name = spec["name"]
        self.labels = spec["labels"]
        self.status = "created"
        self.attrs: dict[str, Any] = {"State": {"ExitCode": 0}}
        self.networks = [spec["network"]] if "network" in spec else []

    def start(self) -> None:
        self.status = "running"

    def stop(self) -> None:
        self.exit(143)

    def exit(self, code: int) -> None:
        self.status = "exited"
        self.attrs = {"State": {"ExitCode": code}}

    def reload(self) -> None:
        pass


class FakeDockerClient:
    """The part of docker.DockerClient the launcher calls: containers and networks."""

    def __init__(self) -> None:
        self.created: list[FakeContainer] = []
        self.containers = self
        self.networks = self

    def create(self, **spec: Any) -> FakeContainer:
        sdk_args(spec)  # the SDK's own check of the arguments
        container = FakeContainer(spec, len(self.created))
        self.created.append(container)
        return container

    def list(self, all: bool = False, filters: dict[str, str] | None = None) -> list[Any]:
        key, _, value = (filters or {})["label"].partition("=")
        return [c for c in self.created if c.labels.get(key) == value]

    def get(self, name: str) -> Any:
        client = self

        class Network:
            def connect(self, container: FakeContainer) -> None:
                assert container.status == "created", "networks join before the start"
                container.networks.append(name)
                assert container in client.created

        return Network()

    def close(self) -> None:
        pass


def _run(instance: Any, tmp_path: Any) -> Any:
    origin = CodeLocationOrigin(python_file=JOBS)
    config = {"ops": {"wait_forever": {"config": {"dir": str(tmp_path)}}}}
    return create_run(instance, origin, origin.load().get_job_def("stuck_job"), config)


def _launcher(instance: Any) -> tuple[DockerRunLauncher, FakeDockerClient]:
    launcher = run_launcher_of(instance)
    assert isinstance(launcher, DockerRunLauncher)
    fake = FakeDockerClient()
    launcher._client = fake  # the one seam: the docker client
    return launcher, fake


def test_container_spec_runs_the_worker_with_the_instance_environment(monkeypatch):
    """The container runs `headwater run-worker RUN_ID` from the image, with the instance's
    URL and home, the env_vars, the run-id label, the first network and the extra kwargs."""
    monkeypatch.setenv("PASSED_ON", "from-here")
    config = DockerConfig.from_arguments(
        "pipelines:1.2", env_vars=["REGION=eu", "PASSED_ON"], networks=["front", "back"],
        container_kwargs={"volumes": {"/srv/data": {"bind": "/data", "mode": "rw"}},
                          "environment": {"EXTRA": "1"}, "labels": {"team": "data"},
                          "mem_limit": "2g"})
    run = hw.HeadwaterRun(job_name="stuck_job", run_id="abc-123")
    spec = container_spec(run, config, {"HEADWATER_DATABASE_URL": "postgresql://db/hw",
                                        "HEADWATER_HOME": "/opt/hw"})
    assert spec == {
        "image": "pipelines:1.2",
        "command": ["headwater", "run-worker", "abc-123"],
        "name": "headwater-run-abc-123",
        "detach": True,
        "environment": {"HEADWATER_DATABASE_URL": "postgresql://db/hw",
                        "HEADWATER_HOME": "/opt/hw", "REGION": "eu", "PASSED_ON": "from-here",
                        "EXTRA": "1"},
        "labels": {"headwater/run_id": "abc-123", "headwater/job_name": "stuck_job",
                   "team": "data"},
        "volumes": {"/srv/data": {"bind": "/data", "mode": "rw"}},
        "mem_limit": "2g",
        "network": "front",
    }
    created = sdk_args(spec)
    assert created["host_config"]["Binds"] == ["/srv/data:/data:rw"]
    assert created["host_config"]["NetworkMode"] == "front"


def test_launch_creates_joins_starts_and_tags(tmp_path):
    """launch_run creates the container from container_spec, connects the other networks
    before starting it, and tags the run with the container and image."""
    settings = {"run_launcher": {**SECTION, "config": {"image": "pipelines:1.2",
                                                       "networks": ["front", "back"]}}}
    with hw.instance_for_test(overrides=settings) as instance:
        launcher, fake = _launcher(instance)
        run = _run(instance, tmp_path)
        assert submit_run(instance, run.run_id) is S.STARTING
        (container,) = fake.created
        ref = instance.get_ref()
        stored = instance.get_run_by_id(run.run_id)
        assert container.spec == container_spec(stored, launcher.config, {
            "HEADWATER_DATABASE_URL": ref.url, "HEADWATER_HOME": ref.root_directory})
        assert container.status == "running" and container.networks == ["front", "back"]
        assert stored.tags["docker/container_id"] == container.id
        assert stored.tags["headwater/image"] == "pipelines:1.2"


def test_cancel_stops_the_container_found_by_the_run_label(tmp_path):
    """Canceling a launched run marks it CANCELING and stops its container; monitoring then
    ends the run CANCELED, since the container is gone."""
    settings = {"run_launcher": {**SECTION, "config": {"image": "pipelines:1.2"}}}
    with hw.instance_for_test(overrides=settings) as instance:
        launcher, fake = _launcher(instance)
        other, run = _run(instance, tmp_path), _run(instance, tmp_path)
        submit_run(instance, other.run_id)
        submit_run(instance, run.run_id)
        assert cancel_run(instance, run.run_id) is S.CANCELING
        mine = next(c for c in fake.created if c.labels["headwater/run_id"] == run.run_id)
        theirs = next(c for c in fake.created if c is not mine)
        assert mine.status == "exited" and theirs.status == "running"
        assert monitor_runs(instance) == [run.run_id]
        assert instance.get_run_by_id(run.run_id).status is S.CANCELED
        assert instance.get_run_by_id(other.run_id).status is S.STARTING


def test_health_reads_the_container_state(tmp_path):
    """Running -> RUNNING; exit 0 -> SUCCESS; another exit -> FAILED with the code; no
    container -> NOT_FOUND."""
    settings = {"run_launcher": {**SECTION, "config": {"image": "pipelines:1.2"}}}
    with hw.instance_for_test(overrides=settings) as instance:
        launcher, fake = _launcher(instance)
        run = _run(instance, tmp_path)
        assert launcher.check_run_worker_health(run).status is W.NOT_FOUND
        submit_run(instance, run.run_id)
        run = instance.get_run_by_id(run.run_id)
        assert launcher.check_run_worker_health(run).status is W.RUNNING
        fake.created[0].exit(0)
        assert launcher.check_run_worker_health(run).status is W.SUCCESS
        fake.created[0].exit(137)
        failed = launcher.check_run_worker_health(run)
        assert failed.status is W.FAILED and "exit code 137" in (failed.msg or "")
        assert monitor_runs(instance) == [run.run_id]
        failure = instance.all_logs(run.run_id, of_type=hw.HeadwaterEventType.RUN_FAILURE)
        assert "exit code 137" in failure[-1].message


@pytest.mark.parametrize(("config", "message"), [
    ({}, "DockerRunLauncher needs image"),
    ({"image": ""}, "run_launcher.config.image: expected the worker image"),
    ({"image": "x", "network": "a", "networks": ["b"]},
     "give network (one) or networks (a list), not both"),
    ({"image": "x", "container_kwargs": {"command": ["sh"]}},
     "run_launcher.config.container_kwargs: command is set by the launcher"),
    ({"image": "x", "registry": {"url": "r.io"}},
     "run_launcher.config.registry: expected {url, username, password}"),
    ({"image": "x", "env_vars": ["HW_TEST_SURELY_UNSET"]},
     "run_launcher.config.env_vars: HW_TEST_SURELY_UNSET is passed on from the environment"),
    ({"image": "x", "imag": "y"}, "DockerRunLauncher has no argument(s) imag"),
])
def test_a_bad_config_is_one_error_naming_the_field(config, message):
    """Each mistake in the launcher's config names its field."""
    with pytest.raises(hw.HeadwaterInvalidInvocationError) as error:
        load_run_launcher({**SECTION, "config": config})
    assert message in str(error.value)


def test_monitoring_stops_the_container_of_a_run_it_declares_dead(tmp_path):
    """A run whose worker never started it is ended FAILURE past the start timeout, and its
    still running container is stopped; the failure names the launcher."""
    settings = {"run_launcher": {**SECTION, "config": {"image": "pipelines:1.2"}}}
    with hw.instance_for_test(overrides=settings) as instance:
        launcher, fake = _launcher(instance)
        run = _run(instance, tmp_path)
        submit_run(instance, run.run_id)
        (container,) = fake.created
        assert container.status == "running"
        assert monitor_runs(instance, start_timeout=0.0) == [run.run_id]
        assert instance.get_run_by_id(run.run_id).status is S.FAILURE
        assert container.status == "exited"
        failure = instance.all_logs(run.run_id, of_type=hw.HeadwaterEventType.RUN_FAILURE)
        assert f"{launcher!r} is asked to stop its worker" in failure[-1].message
        engine = instance.all_logs(run.run_id, of_type=hw.HeadwaterEventType.ENGINE_EVENT)
        assert engine[-1].message == f"Run monitoring had {launcher!r} stop the run's worker."
