"""headwater_docker: run launched runs in Docker containers (Dagster's `dagster_docker`).

`DockerRunLauncher` (launcher.py), named in headwater.yaml's `run_launcher:` section, starts
each run's worker `headwater run-worker RUN_ID` in a container of the configured image;
`container_spec` is the container it creates, as data. Needs the `headwater[docker]` extra
(the `docker` SDK, loaded on the first launch).
"""

from headwater_docker.launcher import DockerConfig, DockerRunLauncher, container_spec

__all__ = ["DockerConfig", "DockerRunLauncher", "container_spec"]
