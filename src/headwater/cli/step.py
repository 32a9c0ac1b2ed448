"""`headwater execute-step CALL`: execute one step of a run in this process.

What an executor that runs each step as its own process or container (the Kubernetes Job
executor of `headwater_k8s`) starts: CALL is a `StepCall` encoded by that executor. The
step's events and its report go to stdout, one line each, where the executor reads them
back (from the pod's log); the exit code is 0 when the step succeeded or was skipped.
The instance is the one this process's environment configures ($HEADWATER_HOME, or
$HEADWATER_DATABASE_URL) when it sets one, so that a database password need not travel in
CALL; else the one the run's process used. Imports `headwater.execution` and
`headwater.storage` inside the command, so that `headwater --help` loads no engine.
"""

from __future__ import annotations

import dataclasses
import os
import sys

import click


@click.command("execute-step", hidden=True)
@click.argument("call")
def execute_step_command(call: str) -> None:
    """Execute one step of a run (started by an executor, not by hand)."""
    from headwater.execution.remote import StepCall, execute_step_call
    from headwater.storage.home import HOME_ENV, URL_ENV
    from headwater.storage.instance import HeadwaterInstance

    step_call = StepCall.decode(call)
    if os.environ.get(HOME_ENV) or os.environ.get(URL_ENV):
        with HeadwaterInstance.get() as instance:
            ref = instance.get_ref()
        step_call = dataclasses.replace(
            step_call, init=dataclasses.replace(step_call.init, instance_ref=ref))

    def write(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    report = execute_step_call(step_call, write)
    sys.exit(0 if report.outcome in ("SUCCESS", "SKIPPED") else 1)
