"""What the deployment tests share: the repository's root, a real webserver to point health
checks at, parsing a `headwater ...` command line with the real CLI, and starting a code
server from the command line and environment a deployment file gives it.

The Dockerfile's HEALTHCHECK, the chart's probes and docker-compose.yml's healthchecks are
commands; the tests run them against a real webserver or instance rather than reading them.
A code server of the chart or of docker-compose.yml is started the same way: its container's
arguments and environment, with the container's paths moved to the test's directories, and
reached with the token its clients' environment gives them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click

from headwater.code.client import CodeServerError
from headwater.code.remote import RemoteCodeServerClient, RemoteOrigin
from headwater.daemon.launcher import submit_run, wait_for_run
from headwater.definitions.assets.job import IMPLICIT_JOB
from headwater.storage.record import HeadwaterRun

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "deploy-test-token"
DEFS = """\
from headwater import Definitions, asset


@asset
def numbers() -> list[int]:
    return [1, 2, 3]


defs = Definitions(assets=[numbers])
"""


@dataclass(frozen=True)
class Webserver:
    """A `headwater webserver` running for a test: its port, token and instance home."""

    port: int
    token: str
    home: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def headwater_env(home: Path, **extra: str) -> dict[str, str]:
    """This environment with the checkout's package importable and `home` as the instance."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("HEADWATER_WEBSERVER_TOKEN", "HEADWATER_TOKEN", "HEADWATER_DATABASE_URL")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    return {**env, "HEADWATER_HOME": str(home), **extra}


def headwater(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "headwater.cli.main", *args], cwd=home,
                          env=headwater_env(home, **env), capture_output=True, text=True,
                          timeout=120)


@contextmanager
def running_webserver(home: Path, token: str = TOKEN) -> Iterator[Webserver]:
    """`headwater webserver -f defs.py` on a free port with an access token, until exit."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "defs.py").write_text(DEFS)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "headwater.cli.main", "webserver", "-f", "defs.py",
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=home, env=headwater_env(home, HEADWATER_WEBSERVER_TOKEN=token),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_until_healthy(process, port, token)
        yield Webserver(port, token, home)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_healthy(process: subprocess.Popen[str], port: int, token: str) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/health",
                                     headers={"Authorization": f"Bearer {token}"})
    for _ in range(600):
        if process.poll() is not None:
            raise AssertionError(f"the webserver exited: {process.stderr.read() if process.stderr else ''}")
        try:
            urllib.request.urlopen(request, timeout=2).close()
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise AssertionError("the webserver did not answer /api/health within a minute")


def run_python_check(code: str, home: Path, **env: str) -> int:
    """The exit code of a `python -c CODE` health check run in a clean environment."""
    done = subprocess.run([sys.executable, "-c", code], cwd=home, env=headwater_env(home, **env),
                          capture_output=True, text=True, timeout=60)
    return done.returncode


def parse_command_line(args: Sequence[str]) -> None:
    """Parse `headwater ARGS` with the real CLI, running nothing: an unknown command or a usage
    error fails the test."""
    from headwater.cli.main import main

    words = list(args)
    context = click.Context(main)
    command: click.Command = main
    while isinstance(command, click.Group) and words and not words[0].startswith("-"):
        found = command.get_command(context, words[0])
        if found is None:
            raise AssertionError(f"`headwater {' '.join(args)}`: no command {words[0]!r}")
        command, words = found, words[1:]
        context = click.Context(command, parent=context, info_name=command.name)
    command.make_context(command.name, words, parent=context)


# --- a code server as a deployment file starts it -------------------------------------------
def localize(value: str, paths: Mapping[str, Path]) -> str:
    """`value` with each container path of `paths` (a mount point, or a folder of the image)
    replaced by the test's directory or file standing for it, the longest first."""
    for inside in sorted(paths, key=len, reverse=True):
        if value == inside or value.startswith(inside.rstrip("/") + "/"):
            return str(paths[inside]) + value[len(inside):]
    return value


def container_environment(env: Mapping[str, str]) -> dict[str, str]:
    """`env` as the container's whole environment, plus what runs the checkout's headwater
    here (PATH, PYTHONPATH); nothing else of this process's environment leaks in."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT / "src"),
            "PYTHONDONTWRITEBYTECODE": "1", **env}


def start_refused(args: Sequence[str], env: Mapping[str, str], cwd: Path) -> str:
    """The error of a `headwater ARGS` that must exit at once (a code server given no token);
    fails the test if it starts instead."""
    try:
        done = subprocess.run([sys.executable, "-m", "headwater.cli.main", *args], cwd=cwd,
                              env=container_environment(env), capture_output=True, text=True,
                              timeout=30)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"`headwater {' '.join(args)}` started; it should have refused") from None
    assert done.returncode != 0, done.stderr
    return done.stderr


@contextmanager
def running_code_server(args: Sequence[str], env: Mapping[str, str], cwd: Path,
                        origin: RemoteOrigin) -> Iterator[RemoteCodeServerClient]:
    """`headwater ARGS` (a `code-server start` line) with exactly the environment `env`,
    until it answers a ping from `origin` (the address and token a client was given); a
    client of it. The server is stopped at exit."""
    process = subprocess.Popen([sys.executable, "-m", "headwater.cli.main", *args], cwd=cwd,
                               env=container_environment(env), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    client = RemoteCodeServerClient(origin, timeout=30.0, startup_timeout=5.0)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                said = process.stderr.read() if process.stderr else ""
                raise AssertionError(f"`headwater {' '.join(args)}` exited "
                                     f"({process.returncode}): {said}")
            try:
                client.start()
                break
            except CodeServerError as exc:
                if exc.error.get("kind") != "unreachable" or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield client
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        assert process.stderr is not None
        process.stderr.close()


def refused_kind(origin: RemoteOrigin) -> str | None:
    """How the server at `origin` answers a ping with the origin's token: None when it
    answers, else the error's kind (`unauthorized` for a wrong or missing token)."""
    try:
        RemoteCodeServerClient(origin, timeout=10.0).ping()
    except CodeServerError as exc:
        return str(exc.error.get("kind"))
    return None


def materialize_through(client: RemoteCodeServerClient, instance: Any) -> HeadwaterRun:
    """Launch a run of every asset of the client's location as the webserver and the daemon
    do (the code server stores it, the default run launcher has that server start its
    worker), and wait for it to finish."""
    run_id = client.call("create_run", {"instance": asdict(instance.get_ref()),
                                        "job_name": IMPLICIT_JOB})
    submit_run(instance, run_id)
    return wait_for_run(instance, run_id, timeout=120)
