"""`headwater webserver` and `headwater dev`: the web UI and its API, alone or with the daemon.

    headwater webserver -f defs.py [-p 3000] [-h 127.0.0.1] [--read-only] [--token-file F]
                        [--allowed-host NAME ...] [--cors-origin URL ...]
    headwater dev -f defs.py [-p 3000] [-h 127.0.0.1]

The access token comes from $HEADWATER_WEBSERVER_TOKEN (or $HEADWATER_TOKEN), `--token-file`,
or `--token` (which other users can read in `ps`, so it warns).

`dev` is the zero-config local setup: storage under $HEADWATER_HOME (default ./.headwater),
the daemon as a `headwater daemon run` subprocess, and the webserver (with its code servers)
in this process. Ctrl-C or SIGTERM stops all of them. `-h` is the host, as in Dagster; help
is `--help`. Both bind the port and check the home before starting anything, so a port in
use or an unusable home is one line and leaves nothing running. Imports `storage`, `server`
and `cli.options` (the first two inside the commands; `server` needs the `ui` extra, and
`_extras` says so when it is missing).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import click
from click.core import ParameterSource

from headwater._extras import needs_extra
from headwater.cli.options import Locations, location_options, log_to_stderr

TOKEN_ENV = "HEADWATER_WEBSERVER_TOKEN"
#: the token's earlier variable, still read
OLD_TOKEN_ENV = "HEADWATER_TOKEN"
ALLOWED_HOSTS_ENV = "HEADWATER_WEBSERVER_ALLOWED_HOSTS"


def _server_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The location options, the address to listen on, the Host names to answer to and the
    access token."""
    fn = click.option("--cors-origin", "cors_origins", multiple=True, metavar="ORIGIN",
                      help="Let pages of this origin (e.g. https://tools.example.com) call "
                           "the API from the browser; repeatable. Closed by default.")(fn)
    fn = click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
                      envvar=ALLOWED_HOSTS_ENV,
                      help="Also answer requests for this Host name (besides 127.0.0.1, "
                           "localhost, ::1 and the bound host); repeatable; '*' for any. "
                           f"Or set {ALLOWED_HOSTS_ENV} (space-separated).")(fn)
    fn = click.option("--token-file", type=click.Path(dir_okay=False), default=None,
                      help="Read the access token from this file.")(fn)
    fn = click.option("--token", envvar=[TOKEN_ENV, OLD_TOKEN_ENV], default=None,
                      help=f"Require this access token on every request. Prefer {TOKEN_ENV} "
                           "or --token-file: a command line is visible to other users.")(fn)
    fn = click.option("-h", "--host", default="127.0.0.1", show_default=True,
                      help="Address to bind (0.0.0.0 for every interface).")(fn)
    fn = click.option("-p", "--port", type=click.IntRange(0, 65535), default=3000,
                      show_default=True, help="Port to listen on.")(fn)
    return location_options(fn)


def _serve(command: str) -> Callable[..., None]:
    """The webserver's `serve`; without the `ui` extra, the one-line error naming it."""
    with needs_extra("ui", f"headwater {command}"):
        from headwater.server.serve import serve
    return serve


def _resolve_token(token: str | None, token_file: str | None) -> str | None:
    """The access token from --token, its variables or --token-file (warning when it was
    typed on the command line)."""
    if token_file is not None:
        if token is not None:
            raise click.UsageError(f"Give the access token once: --token-file {token_file} or "
                                   f"--token / {TOKEN_ENV}, not both.")
        try:
            with open(token_file) as f:
                token = f.read().strip()
        except OSError as exc:
            raise click.BadParameter(f"cannot read {token_file}: {exc.strerror}.",
                                     param_hint="--token-file") from None
        if not token:
            raise click.BadParameter(f"{token_file} is empty: write the token in it.",
                                     param_hint="--token-file")
        return token
    source = click.get_current_context().get_parameter_source("token")
    if token and source == ParameterSource.COMMANDLINE:
        click.echo(f"Warning: --token on the command line is visible to other users of this "
                   f"machine (ps, /proc); set {TOKEN_ENV} or use --token-file instead.",
                   err=True)
    return token or None


def _open_instance() -> Any:
    """The instance of $HEADWATER_HOME; an unusable home is a one-line error."""
    from headwater.storage.instance import HeadwaterInstance

    return HeadwaterInstance.get()


def _listen(host: str, port: int) -> list[Any]:
    """Sockets bound to host:port, before anything starts: a port in use is a one-line error
    and leaves nothing running."""
    from headwater.server.serve import listen

    return listen(host, port)


@click.command("webserver")
@_server_options
@click.option("--read-only", is_flag=True, help="Refuse every change (launch, cancel, ...).")
def webserver(locations: Locations, port: int, host: str, token: str | None,
              token_file: str | None, allowed_hosts: tuple[str, ...],
              cors_origins: tuple[str, ...], read_only: bool) -> None:
    """Serve the web UI and its API for the given code locations."""
    log_to_stderr("headwater.webserver")
    token = _resolve_token(token, token_file)
    serve = _serve("webserver")
    origins = locations.all_origins()
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(sock) for sock in _listen(host, port)]
        instance = stack.enter_context(_open_instance())
        serve(instance, origins, host=host, port=port, read_only=read_only, token=token,
              allowed_hosts=allowed_hosts, cors_origins=cors_origins, sockets=sockets)


#: set by `headwater dev` for the processes it starts (Dagster's DAGSTER_IS_DEV_CLI, renamed)
DEV_CLI_ENV = "HEADWATER_IS_DEV_CLI"


@click.command("dev")
@_server_options
@click.option("--no-daemon", is_flag=True, help="Do not start the daemon.")
def dev(locations: Locations, port: int, host: str, token: str | None, token_file: str | None,
        allowed_hosts: tuple[str, ...], cors_origins: tuple[str, ...], no_daemon: bool) -> None:
    """Start the webserver, the daemon and the code servers, for local development."""
    from headwater.storage.home import HOME_ENV, resolve_home

    log_to_stderr("headwater.webserver")
    token = _resolve_token(token, token_file)
    serve = _serve("dev")
    origins = locations.all_origins()
    # The port and the home are checked before the daemon starts: a mistake there is one
    # line, with nothing left running.
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(sock) for sock in _listen(host, port)]
        instance = stack.enter_context(_open_instance())
        home = resolve_home()
        os.environ[HOME_ENV] = home  # the daemon, code servers and run workers share it
        # user code may act differently in development, e.g. headwater_dbt parses dbt projects
        os.environ[DEV_CLI_ENV] = "1"
        click.echo(f"headwater dev: instance in {home}", err=True)
        previous = signal.getsignal(signal.SIGTERM)
        # SIGTERM ends the webserver like Ctrl-C does, so that the cleanup below runs.
        signal.signal(signal.SIGTERM, _interrupt)
        daemon = None
        try:
            daemon = None if no_daemon else _start_daemon(locations)
            serve(instance, origins, host=host, port=port, token=token,
                  allowed_hosts=allowed_hosts, cors_origins=cors_origins, sockets=sockets)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            _stop(daemon)
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
