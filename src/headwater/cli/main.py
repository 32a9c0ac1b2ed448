"""The `headwater` command: the root group, and where each of its commands lives.

`COMMANDS` names the module of every top-level command; the module is imported only when the
command runs or its help is shown, so `headwater --help` costs click and the small command
modules, never the engine, storage or server. Each command module keeps those imports inside
the functions that use them (tests/cli/test_startup.py checks which modules `--help`
imports). A new command is one line in `COMMANDS`. Errors exit non-zero with the message and
no Python traceback unless --verbose.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from headwater.errors import HeadwaterError

#: Every command of `headwater`, by name: "module:attribute" of its click command or group.
COMMANDS = {
    "asset": "headwater.cli.asset:asset",
    "backfill": "headwater.cli.schedule:backfill",
    "check": "headwater.cli.project:check_group",
    "code-server": "headwater.cli.code_server:code_server",
    "daemon": "headwater.cli.schedule:daemon",
    "definitions": "headwater.cli.definitions:definitions",
    "dev": "headwater.cli.webserver:dev",
    "execute-step": "headwater.cli.step:execute_step_command",
    "instance": "headwater.cli.instance:instance",
    "job": "headwater.cli.job:job",
    "launch": "headwater.cli.asset:launch",
    "list": "headwater.cli.project:list_group",
    "migrate": "headwater.cli.migrate:migrate",
    "project": "headwater.cli.project:project",
    "run": "headwater.cli.run:run",
    "run-worker": "headwater.cli.run:run_worker_command",
    "scaffold": "headwater.cli.project:scaffold_group",
    "schedule": "headwater.cli.schedule:schedule",
    "sensor": "headwater.cli.schedule:sensor",
    "webserver": "headwater.cli.webserver:webserver",
}


class _Group(click.Group):
    """The root group: a command is imported from `COMMANDS` when asked for (one added with
    `@main.command()` is found too), and a headwater error ends the command with its
    one-line message."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        where = COMMANDS.get(cmd_name)
        if where is None:
            return self.commands.get(cmd_name)
        module, _, attribute = where.partition(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except HeadwaterError as exc:
            if ctx.obj and ctx.obj.get("verbose"):
                raise
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)


@click.group(cls=_Group)
@click.option("--verbose", is_flag=True, help="Show Python tracebacks.")
@click.version_option(package_name="headwater")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """headwater: a data-aware orchestrator."""
    ctx.obj = {"verbose": verbose}


if __name__ == "__main__":
    main()
