"""docker-compose.yml, as data: `docker compose config` is not available here, so the file is
parsed with PyYAML (which resolves its `<<:` merges as Compose does) and its parts are checked
against each other, the Dockerfile and headwater.

Services, dependencies and their conditions, healthchecks, the database URL against the
postgres service, volumes against the repository and the declared volumes, workspace.yaml
against the code server's command; the project it serves loads, the command lines parse with
the real CLI, and the daemon's healthcheck runs against a real instance. The code-server
service is started for real, with its command, its environment (the variables a user sets)
and its volumes, and reached with the token the webserver's and the daemon's environment
give them.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from deploy_checks import (
    ROOT,
    free_port,
    headwater,
    localize,
    materialize_through,
    parse_command_line,
    refused_kind,
    run_python_check,
    running_code_server,
    start_refused,
)
from dockerfile_parse import DockerfileParser

from headwater.code.remote import RemoteOrigin
from headwater.code.workspace_file import origins_from_workspace
from headwater.storage.instance import HeadwaterInstance
from headwater.storage.record import HeadwaterRunStatus

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
HEADWATER_SERVICES = ("migrate", "code-server", "webserver", "daemon")
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
VARIABLE = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")


def interpolate(text: str, given: Mapping[str, str] | None = None) -> str:
    """A value as Compose would read it with the variables `given` set: a set variable is its
    value; else `${X:-default}` is the default, and `${X:?message}` is required, and stands as
    <X> here."""
    def value(match: re.Match[str]) -> str:
        name, kind, rest = match.groups()
        if given and name in given:
            return given[name]
        return rest if kind == "-" else f"<{name}>"
    return VARIABLE.sub(value, text)


def has_healthcheck(name: str) -> bool:
    """Whether a service is checked: its own healthcheck, or the image's HEALTHCHECK."""
    service = SERVICES[name]
    check = service.get("healthcheck")
    if check is not None:
        return not check.get("disable", False)
    if service.get("build") == ".":
        return "HEALTHCHECK" in (ROOT / "Dockerfile").read_text()
    return False


def test_the_services_of_a_small_team():
    """postgres, a one-shot migrate, one code server, the webserver and the daemon; every
    headwater service is built from the Dockerfile at the root, into one image."""
    assert set(SERVICES) == {"postgres", *HEADWATER_SERVICES}
    for name in HEADWATER_SERVICES:
        assert SERVICES[name]["build"] == "."
        assert SERVICES[name]["image"] == "headwater:local"
        assert SERVICES[name]["init"] is True
    assert (ROOT / "Dockerfile").is_file()
    assert SERVICES["migrate"]["restart"] == "no"
    assert SERVICES["migrate"]["command"] == ["instance", "migrate"]


def test_dependencies_wait_for_what_they_need():
    """Every depends_on names a service with a condition Compose knows; `service_healthy` only
    on a service that has a healthcheck, `service_completed_successfully` only on the one-shot
    migrate; the webserver and the daemon wait for a healthy code server."""
    for name, service in SERVICES.items():
        for target, spec in service.get("depends_on", {}).items():
            assert target in SERVICES, f"{name} depends on unknown {target}"
            condition = spec["condition"]
            assert condition in CONDITIONS
            if condition == "service_healthy":
                assert has_healthcheck(target), f"{name} waits for {target}'s health: it has none"
            if condition == "service_completed_successfully":
                assert SERVICES[target]["restart"] == "no"
    for name in ("webserver", "daemon"):
        assert SERVICES[name]["depends_on"]["code-server"]["condition"] == "service_healthy"
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert all(has_healthcheck(n) for n in ("postgres", "code-server", "webserver", "daemon"))


def test_every_headwater_service_shares_the_instance():
    """Each headwater service has the same HEADWATER_HOME (a shared volume) and database URL,
    which names the postgres service's user, password and database."""
    postgres = SERVICES["postgres"]["environment"]
    urls = set()
    for name in HEADWATER_SERVICES:
        env = SERVICES[name]["environment"]
        assert env["HEADWATER_HOME"] == "/opt/headwater/home"
        assert f"home:{env['HEADWATER_HOME']}" in SERVICES[name]["volumes"]
        urls.add(env["HEADWATER_DATABASE_URL"])
    (url,) = urls
    parts = urlsplit(interpolate(url))
    assert parts.hostname == "postgres"
    assert parts.username == postgres["POSTGRES_USER"]
    assert parts.password == interpolate(postgres["POSTGRES_PASSWORD"])
    assert parts.path == "/" + postgres["POSTGRES_DB"]
    token = SERVICES["webserver"]["environment"]["HEADWATER_WEBSERVER_TOKEN"]
    assert VARIABLE.fullmatch(token).group(2) == "?"  # required: compose refuses to start without


def test_every_headwater_service_gets_the_code_server_token():
    """The code server listens on 0.0.0.0, so it needs a token, and its clients send it: every
    headwater service gets HEADWATER_CODE_SERVER_TOKEN, one required variable (compose stops
    with the message when it is not set), which workspace.yaml's entry names."""
    tokens = {SERVICES[n]["environment"]["HEADWATER_CODE_SERVER_TOKEN"]
              for n in HEADWATER_SERVICES}
    (token,) = tokens
    name, kind, message = VARIABLE.fullmatch(token).groups()
    assert (name, kind) == ("HEADWATER_CODE_SERVER_TOKEN", "?")
    assert "HEADWATER_CODE_SERVER_TOKEN" in message
    (entry,) = yaml.safe_load((ROOT / "deploy/compose/workspace.yaml").read_text())["load_from"]
    assert entry["grpc_server"]["token_env"] == "HEADWATER_CODE_SERVER_TOKEN"


def test_volumes_exist_and_are_declared():
    """Each bind-mounted path exists in the repository (with the defaults), and each named
    volume is declared."""
    declared = set(COMPOSE["volumes"])
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = interpolate(volume).split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name}: {source} does not exist"
            else:
                assert source in declared, f"{name}: volume {source} is not declared"
    assert declared == {"pgdata", "home"}


def command_option(command: list[str], option: str) -> str:
    return command[command.index(option) + 1]


def test_the_workspace_points_at_the_code_server():
    """workspace.yaml's grpc_server is the code-server service on the port its command binds,
    the port its healthcheck tries; webserver and daemon read that file."""
    (volume,) = [v for v in SERVICES["webserver"]["volumes"] if "workspace.yaml" in v]
    source, target, _ = volume.split(":")
    workspace = yaml.safe_load((ROOT / source).read_text())
    (entry,) = workspace["load_from"]
    server = entry["grpc_server"]
    command = SERVICES["code-server"]["command"]
    assert server["host"] == "code-server"
    assert str(server["port"]) == command_option(command, "-p")
    assert command_option(command, "-h") == "0.0.0.0"
    assert f"('127.0.0.1', {server['port']})" in SERVICES["code-server"]["healthcheck"]["test"][-1]
    for name in ("webserver", "daemon"):
        assert command_option(SERVICES[name]["command"], "-w") == target


def test_the_webserver_publishes_the_port_it_binds_and_its_healthcheck_tries():
    """The webserver listens on the port the image's HEALTHCHECK asks, and publishes it."""
    command = SERVICES["webserver"]["command"]
    port = command_option(command, "-p")
    assert interpolate(SERVICES["webserver"]["ports"][0]).endswith(f":{port}")
    (check,) = [i["value"] for i in DockerfileParser(path=str(ROOT / "Dockerfile")).structure
                if i["instruction"] == "HEALTHCHECK"]
    assert f"127.0.0.1:{port}/api/health" in check


def test_the_default_project_loads(tmp_path):
    """The project mounted by default is a code location headwater loads."""
    (volume,) = [v for v in SERVICES["code-server"]["volumes"] if v.endswith(":/opt/headwater/app:ro")]
    project = ROOT / interpolate(volume).split(":")[0]
    served = Path(command_option(SERVICES["code-server"]["command"], "-f"))
    done = headwater(tmp_path, "definitions", "validate", "-f",
                     str(project / served.relative_to("/opt/headwater/app")))
    assert done.returncode == 0, done.stdout + done.stderr


def test_each_command_line_parses_with_the_real_cli():
    """Every headwater service's command is a command line `headwater` accepts."""
    for name in ("migrate", "webserver", "daemon", "code-server"):
        parse_command_line([str(w) for w in SERVICES[name]["command"]])


def test_the_daemon_healthcheck_follows_its_heartbeat(tmp_path):
    """The daemon's healthcheck fails on an instance no daemon has run on, and passes once a
    daemon iteration has written its heartbeat."""
    test = SERVICES["daemon"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    home = tmp_path / "home"
    home.mkdir()
    (home / "defs.py").write_text("from headwater import Definitions\ndefs = Definitions()\n")
    assert headwater(home, "instance", "migrate").returncode == 0
    assert run_python_check(test[3], home) != 0
    done = headwater(home, "daemon", "run", "--once", "-f", "defs.py")
    assert done.returncode == 0, done.stderr
    assert run_python_check(test[3], home) == 0


def service_files(name: str, given: Mapping[str, str], volumes: Path) -> dict[str, Path]:
    """A service's volumes as the test's paths: a bind mount is its source, a named volume a
    directory under `volumes` (the same one for every service); the container path -> it."""
    paths = {}
    for volume in SERVICES[name]["volumes"]:
        source, target = interpolate(volume, given).split(":")[:2]
        if source.startswith((".", "/")):
            paths[target] = (ROOT / source).resolve()
        else:
            paths[target] = volumes / source
            paths[target].mkdir(parents=True, exist_ok=True)
    return paths


def test_the_code_server_starts_serves_its_clients_and_runs_their_runs(tmp_path, monkeypatch):
    """The code-server service, with the variables a user exports, its command (on a free
    port), its environment (the database standing for the postgres service) and its volumes,
    starts on 0.0.0.0; the webserver and the daemon, reading workspace.yaml with their own
    environment, reach it with the token; a wrong or missing token is refused; a run of the
    project executes in a worker the code server starts, its log in the shared home volume.
    Without the token the same command exits."""
    project = tmp_path / "my-project"
    shutil.copytree(ROOT / "deploy/compose/project", project)
    given = {"HEADWATER_WEBSERVER_TOKEN": "for-the-ui", "HEADWATER_PROJECT_DIR": str(project),
             "HEADWATER_CODE_SERVER_TOKEN": "shared-by-the-services"}
    database = f"sqlite:///{tmp_path / 'postgres.db'}"  # stands for the postgres service
    port = free_port()
    paths = service_files("code-server", given, tmp_path / "volumes")
    command = [str(w) for w in SERVICES["code-server"]["command"]]
    command[command.index("-p") + 1] = str(port)
    args = [localize(w, paths) for w in command]
    assert args[args.index("-h") + 1] == "0.0.0.0"

    def environment(name: str) -> dict[str, str]:
        env = {k: localize(interpolate(str(v), given), paths)
               for k, v in SERVICES[name]["environment"].items()}
        assert urlsplit(env["HEADWATER_DATABASE_URL"]).hostname == "postgres"
        return {**env, "HEADWATER_DATABASE_URL": database}

    env = environment("code-server")
    workdir = Path(localize("/opt/headwater/app", paths))  # the image's WORKDIR
    tokens = set()
    for client in ("webserver", "daemon"):
        client_paths = service_files(client, given, tmp_path / "volumes")
        workspace = client_paths[command_option(SERVICES[client]["command"], "-w")]
        for key, value in environment(client).items():
            monkeypatch.setenv(key, value)
        (origin,) = origins_from_workspace(str(workspace))
        tokens.add(origin.token)
    assert tokens == {env["HEADWATER_CODE_SERVER_TOKEN"]} == {"shared-by-the-services"}
    assert isinstance(origin, RemoteOrigin) and origin.host == "code-server"
    origin = dataclasses.replace(origin, host="127.0.0.1", port=port)  # compose's network

    without = {k: v for k, v in env.items() if k != "HEADWATER_CODE_SERVER_TOKEN"}
    assert "shared token" in start_refused(args, without, cwd=workdir)
    home = Path(env["HEADWATER_HOME"])
    assert home == paths["/opt/headwater/home"]  # the `home` volume every service mounts
    instance = HeadwaterInstance.from_url(database, str(home))
    try:
        with running_code_server(args, env, cwd=workdir, origin=origin) as client:
            assert client.ready is not None and client.ready["loaded"], client.ready
            run = materialize_through(client, instance)
            log = home / "logs" / f"{run.run_id}.log"
            assert run.status is HeadwaterRunStatus.SUCCESS, (
                [e.message for e in instance.all_logs(run.run_id)],
                log.read_text() if log.is_file() else "no log")
            assert log.is_file()
            # after the run: a client made with another token becomes the one the run
            # launcher would use for this address
            assert refused_kind(dataclasses.replace(origin, token="wrong")) == "unauthorized"
            assert refused_kind(dataclasses.replace(origin, token=None)) == "unauthorized"
    finally:
        instance.dispose()
