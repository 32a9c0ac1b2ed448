"""`headwater webserver` and `headwater dev`: the web UI and its API, alone or with the daemon.

    headwater webserver -f defs.py [-p 3000] [-h 127.0.0.1] [--read-only] [--token T]
    headwater dev -f defs.py [-p 3000] [-h 127.0.0.1]

`dev` is the zero-config local setup: storage under $HEADWATER_HOME (default ./.headwater),
the daemon as a `headwater daemon run` subprocess, and the webserver (with its code servers) in this process. Ctrl-C or SIGTERM stops all of them. `-h`
is the host, as in Dagster; help is `--help`. Imports `storage`, `server` and `cli.options`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import click

from headwater.cli.options import Locations, location_options
from headwater.storage.home import HOME_ENV, resolve_home

TOKEN_ENV = "HEADWATER_TOKEN"
# The third-party packages of the `ui` extra, which the webserver needs.
_UI_EXTRA = frozenset({"fastapi", "starlette", "uvicorn", "sse_starlette"})


def _server_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The location options, the address to listen on and the access token."""
    fn = click.option("--token", envvar=TOKEN_ENV, default=None,
                      help=f"Require this access token on every request (or set {TOKEN_ENV}).")(fn)
    fn = click.option("-h", "--host", default="127.0.0.1", show_default=True,
                      help="Address to bind (0.0.0.0 for every interface).")(fn)
    fn = click.option("-p", "--port", type=click.IntRange(0, 65535), default=3000,
                      show_default=True, help="Port to listen on.")(fn)
    return location_options(fn)


def _serve() -> Callable[..., None]:
    """The webserver's `serve`; without the `ui` extra, an error that says how to install it."""
    try:
        from headwater.server.serve import serve
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in _UI_EXTRA:
            raise  # a part of headwater itself is missing: a broken install, shown as it is
        raise click.ClickException(
            f"The webserver needs {exc.name}, which is not installed: "
            "pip install 'headwater[ui]'.") from exc
    return serve


def _open_instance() -> Any:
    from headwater.storage.instance import HeadwaterInstance

    os.makedirs(resolve_home(), exist_ok=True)
    return HeadwaterInstance.get()


@click.command("webserver")
@_server_options
@click.option("--read-only", is_flag=True, help="Refuse every change (launch, cancel, ...).")
def webserver(locations: Locations, port: int, host: str, token: str | None,
              read_only: bool) -> None:
    """Serve the web UI and its API for the given code locations."""
    serve = _serve()
    origins = locations.origins()
    instance = _open_instance()
    try:
        serve(instance, origins, host=host, port=port, read_only=read_only, token=token)
    finally:
        instance.dispose()


#: set by `headwater dev` for the processes it starts (Dagster's DAGSTER_IS_DEV_CLI, renamed)
DEV_CLI_ENV = "HEADWATER_IS_DEV_CLI"


@click.command("dev")
@_server_options
@click.option("--no-daemon", is_flag=True, help="Do not start the daemon.")
def dev(locations: Locations, port: int, host: str, token: str | None, no_daemon: bool) -> None:
    """Start the webserver, the daemon and the code servers, for local development."""
    serve = _serve()
    origins = locations.origins()
    home = resolve_home()
    os.environ[HOME_ENV] = home  # the daemon, code servers and run workers share it
    # user code may act differently in development, e.g. headwater_dbt parses dbt projects
    os.environ[DEV_CLI_ENV] = "1"
    click.echo(f"headwater dev: instance in {home}", err=True)
    daemon = None if no_daemon else _start_daemon(locations)
    previous = signal.getsignal(signal.SIGTERM)
    # SIGTERM ends the webserver like Ctrl-C does, so that the cleanup below runs.
    signal.signal(signal.SIGTERM, _interrupt)
    instance = _open_instance()
    try:
        serve(instance, origins, host=host, port=port, token=token)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        _stop(daemon)
        instance.dispose()
        click.echo("headwater dev: stopped.", err=True)


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def _start_daemon(locations: Locations) -> subprocess.Popen[Any]:
    command = [sys.executable, "-m", "headwater.cli.main", "daemon", "run", *locations.to_args()]
    # Its own process group: a terminal's Ctrl-C reaches it only through _stop, in order.
    return subprocess.Popen(command, start_new_session=True)


def _stop(process: subprocess.Popen[Any] | None, timeout: float = 10.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
