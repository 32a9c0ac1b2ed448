"""The `headwater-celery` command: start, list and stop the Celery workers that run steps.

`headwater-celery worker start -y celery.yaml -q QUEUE` runs a worker of the app built from
the same config the jobs' `celery_executor` uses (the file holds that config, alone or as
`execution: {config: ...}`), or of the app `-A module[:attribute]` names. `-d` starts it in
the background and prints its name and pid. `worker list` names the live workers;
`worker terminate NAME` (or `--all`) shuts them down. Run as `python -m headwater_celery.cli`
where the console script is not installed.
Imports `headwater_celery.app` when a command runs.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import uuid
from collections.abc import Mapping
from typing import Any

import click


def load_config(path: str | None) -> dict[str, Any]:
    """The executor config in a YAML file: at its top, or under `execution: config:` (or
    `execution: celery: config:`, Dagster's older form)."""
    if path is None:
        return {}
    import yaml

    with open(path) as f:
        data = yaml.safe_load(f) or {}
    if not isinstance(data, Mapping):
        raise click.UsageError(f"{path}: expected a mapping of celery config (broker, backend, "
                               f"include, config_source), got {type(data).__name__}.")
    execution = data.get("execution")
    if isinstance(execution, Mapping):
        inner = execution.get("config")
        if inner is None and isinstance(execution.get("celery"), Mapping):
            inner = execution["celery"].get("config")
        data = inner or {}
    unknown = sorted(set(data) - {"broker", "backend", "include", "config_source"})
    if unknown:
        raise click.UsageError(f"{path}: unknown celery config key(s) {', '.join(unknown)}; "
                               "the keys are broker, backend, include and config_source.")
    return dict(data)


def load_app(app_path: str | None, config_path: str | None) -> Any:
    """The app `-A module[:attribute]` names, else one built from the `-y` config."""
    if app_path is None:
        from headwater_celery.app import make_app

        return make_app(load_config(config_path))
    if config_path is not None:
        raise click.UsageError("pass either -A (an app) or -y (a config file), not both: an "
                               "app carries its own config.")
    module_name, _, attribute = app_path.partition(":")
    module = importlib.import_module(module_name)
    found = getattr(module, attribute or "app", None)
    if found is None:
        raise click.UsageError(f"-A {app_path}: module '{module_name}' has no attribute "
                               f"'{attribute or 'app'}'; name the Celery app as module:attribute.")
    return found


class _Group(click.Group):
    """Shows a headwater error (a missing extra, a bad config) as one line, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        from headwater.errors import HeadwaterError

        try:
            return super().invoke(ctx)
        except HeadwaterError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Group)
def main() -> None:
    """Celery workers that run headwater steps."""


@main.group()
def worker() -> None:
    """Start, list and stop workers."""


@worker.command()
@click.option("-q", "--queue", "queues", multiple=True,
              help="A queue to take steps from (repeatable; default: headwater).")
@click.option("-A", "--app", "app_path", help="The Celery app, as module[:attribute].")
@click.option("-y", "--config-yaml", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="The celery_executor config (broker, backend, include, config_source).")
@click.option("-d", "--background", is_flag=True, help="Run the worker in the background.")
@click.option("-n", "--name", help="The worker's name (default: headwater-<random>@<host>).")
@click.option("-c", "--concurrency", type=int, default=1, show_default=True,
              help="How many steps the worker runs at once (one process each).")
@click.option("-l", "--loglevel", default="INFO", show_default=True)
@click.option("--logfile", help="Where a background worker writes its log.")
def start(queues: tuple[str, ...], app_path: str | None, config_path: str | None,
          background: bool, name: str | None, concurrency: int, loglevel: str,
          logfile: str | None) -> None:
    """Start a worker that runs the steps sent to its queues."""
    name = name or f"headwater-{uuid.uuid4().hex[:8]}@%h"
    if background:
        command = [sys.executable, "-m", "headwater_celery.cli", "worker", "start", "-n", name,
                   "-c", str(concurrency), "-l", loglevel]
        for queue in queues:
            command += ["-q", queue]
        command += ["-A", app_path] if app_path else []
        command += ["-y", config_path] if config_path else []
        log_path = logfile or os.path.abspath(f"headwater-celery-{name.split('@')[0]}.log")
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        click.echo(f"Started worker {name} in the background (pid {proc.pid}); log: {log_path}")
        return
    app = load_app(app_path, config_path)
    argv = ["worker", "-n", name, "-c", str(concurrency), "-l", loglevel, "--without-gossip"]
    argv += ["-Q", ",".join(queues)] if queues else []
    app.worker_main(argv=argv)


@worker.command("list")
@click.option("-A", "--app", "app_path", help="The Celery app, as module[:attribute].")
@click.option("-y", "--config-yaml", "config_path", type=click.Path(exists=True, dir_okay=False))
@click.option("-t", "--timeout", type=float, default=1.0, show_default=True,
              help="Seconds to wait for the workers' answers.")
def list_workers(app_path: str | None, config_path: str | None, timeout: float) -> None:
    """Name the workers that answer a ping."""
    app = load_app(app_path, config_path)
    names = sorted(name for reply in app.control.ping(timeout=timeout) for name in reply)
    for name in names:
        click.echo(name)
    if not names:
        click.echo("No worker answered.", err=True)


@worker.command()
@click.argument("name", required=False)
@click.option("-a", "--all", "every", is_flag=True, help="Shut down every worker.")
@click.option("-A", "--app", "app_path", help="The Celery app, as module[:attribute].")
@click.option("-y", "--config-yaml", "config_path", type=click.Path(exists=True, dir_okay=False))
def terminate(name: str | None, every: bool, app_path: str | None,
              config_path: str | None) -> None:
    """Shut down the worker NAME (as `worker list` shows it), or every worker with --all."""
    if (name is None) == (not every):
        raise click.UsageError("name one worker (as `headwater-celery worker list` shows it) "
                               "or pass --all: one of the two.")
    app = load_app(app_path, config_path)
    app.control.shutdown(destination=None if every else [name])
    click.echo(f"Asked {'every worker' if every else name} to shut down.")


if __name__ == "__main__":
    main()
