"""`headwater job list|execute|launch`: the jobs of a code location.

`job execute` runs a job here, with its own executor, recorded in the instance of
$HEADWATER_HOME; `job launch` (cli/run.py) hands it to a run-worker process instead. The
engine is imported inside the commands, so that `headwater job --help` loads none of it.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from headwater.cli.failure import echo_failures
from headwater.cli.options import Locations, config_options, location_options
from headwater.cli.progress import execute_here
from headwater.cli.run import job_launch


@click.group("job")
def job() -> None:
    """List and execute jobs."""


@job.command("list")
@location_options
@click.option("--json", "as_json", is_flag=True)
def job_list(locations: Locations, as_json: bool) -> None:
    """List the jobs of a code location."""
    _, defs = locations.load_one()
    jobs = defs.get_all_job_defs()
    if as_json:
        click.echo(json.dumps([{"name": j.name, "description": j.description,
                                "executor": j.executor_def.name if j.executor_def else None}
                               for j in jobs]))
        return
    for job_def in jobs:
        click.echo(job_def.name)


@job.command("execute")
@location_options
@click.option("-j", "--job", "job_name", required=True, help="Name of the job to execute.")
@click.option("--partition", default=None, help="Partition key, for a partitioned job.")
@config_options
@click.option("--json", "as_json", is_flag=True)
def job_execute(locations: Locations, job_name: str, partition: str | None,
                run_config: dict[str, Any] | None, as_json: bool) -> None:
    """Execute a job now, with its executor, recorded in the instance of $HEADWATER_HOME
    (`job launch` runs it in a run-worker process instead)."""
    from headwater.code.run import reconstructable_job

    origin, defs = locations.load_one()
    defs.resolve_job_def(job_name)  # an unknown name is an error that lists the jobs
    result = execute_here(reconstructable_job(origin, job_name), run_config, partition, {},
                          show_progress=not as_json)
    if not result.success:
        echo_failures(result.all_events)
    if as_json:
        click.echo(json.dumps({"run_id": result.run_id, "success": result.success,
                               "failed_steps": sorted(result.get_failed_step_keys())}))
    else:
        click.echo(f"Run {result.run_id} {'succeeded' if result.success else 'failed'}.")
    if not result.success:
        sys.exit(1)


job.add_command(job_launch)
