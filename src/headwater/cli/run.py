"""`headwater job launch`, `headwater run ...` and the hidden `headwater run-worker`.

Runs launched here execute in a run-worker subprocess against the instance of
$HEADWATER_HOME; `--wait` follows the run's events until it ends (rich shows progress on a
terminal). Every listing has a `--json` form. Imports every lower layer, inside the commands
(so that `--help` loads none of it).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from headwater.cli.check import check_line, run_checks_json
from headwater.cli.clock import format_duration, format_time, run_duration
from headwater.cli.failure import (
    echo_failures,
    error_json,
    event_error,
    failure_lines,
    is_verbose,
    render_error,
)
from headwater.cli.options import Locations, config_options, location_options
from headwater.errors import HeadwaterInvalidInvocationError, HeadwaterRunNotFoundError

_END = ("PIPELINE_SUCCESS", "PIPELINE_FAILURE", "PIPELINE_CANCELED")
_SHOWN = {"STEP_START", "STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED", "STEP_UP_FOR_RETRY",
          "ENGINE_EVENT", "PIPELINE_START", "PIPELINE_STARTING", "PIPELINE_ENQUEUED",
          "PIPELINE_CANCELING", *_END}


def _instance() -> Any:
    from headwater.storage.instance import HeadwaterInstance

    return HeadwaterInstance.get()


def _parse_tags(ctx: click.Context, param: click.Parameter,
                pairs: tuple[str, ...]) -> dict[str, str]:
    tags = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE; write e.g. --tag team=data.")
        tags[key] = value
    return tags


def run_summary(run: Any, record: Any = None) -> dict[str, Any]:
    data = {"run_id": run.run_id, "job_name": run.job_name, "status": run.status.value,
            "parent_run_id": run.parent_run_id, "root_run_id": run.root_run_id,
            "tags": {k: v for k, v in run.tags.items() if not k.startswith(".headwater/")}}
    if record is not None:
        data.update(created=record.create_timestamp.timestamp(), start_time=record.start_time,
                    end_time=record.end_time,
                    duration=(record.end_time - record.start_time)
                    if record.start_time is not None and record.end_time is not None else None)
    return data


def follow(instance: Any, run_id: str, as_json: bool) -> Any:
    """Print the run's step events until it ends; the finished run."""
    from headwater.daemon.launcher import wait_for_run

    state = {"cursor": None}
    console = None
    if not as_json and sys.stdout.isatty():
        from rich.console import Console

        console = Console()

    def show(_run: Any = None) -> None:
        page = instance.get_records_for_run(run_id, cursor=state["cursor"])
        state["cursor"] = page.cursor
        for record in page.records:
            entry = record.event_log_entry
            kind = entry.headwater_event_type.value if entry.headwater_event_type else "LOG"
            if kind not in _SHOWN or as_json:
                continue
            line = f"{entry.step_key + ': ' if entry.step_key else ''}{entry.message}"
            if console is not None:
                style = "red" if "FAILURE" in kind else "green" if "SUCCESS" in kind else None
                console.print(line, style=style, highlight=False)
            else:
                click.echo(line)

    if console is not None:
        with console.status(f"run {run_id}"):
            run = wait_for_run(instance, run_id, on_poll=show)
    else:
        run = wait_for_run(instance, run_id, on_poll=show)
    show()
    return run


def _finish(instance: Any, run_id: str, wait: bool, as_json: bool, verb: str) -> None:
    run = instance.get_run_by_id(run_id)
    failed = False
    if wait:
        run = follow(instance, run_id, as_json)
        failed = run.status.value != "SUCCESS"
        if failed:  # before the summary, which stays the last line for scripts
            echo_failures(e.headwater_event for e in instance.all_logs(run_id)
                          if e.headwater_event)
    if as_json:
        click.echo(json.dumps(run_summary(run)))
    else:
        click.echo(f"{verb} run {run_id} ({run.status.value}).")
    if failed:
        sys.exit(1)


@click.command("launch")
@location_options
@click.option("-j", "--job", "job_name", required=True, help="Name of the job to launch.")
@click.option("--partition", default=None,
              help="Partition key, for a partitioned job (the headwater/partition tag).")
@config_options
@click.option("--tag", "tags", multiple=True, callback=_parse_tags,
              help="A run tag, KEY=VALUE (repeatable).")
@click.option("--wait", is_flag=True, help="Follow the run until it ends; exit 1 unless it succeeded.")
@click.option("--json", "as_json", is_flag=True)
def job_launch(locations: Locations, job_name: str, partition: str | None,
               run_config: dict[str, Any] | None, tags: dict[str, str], wait: bool,
               as_json: bool) -> None:
    """Launch a job in a run-worker process; print the run id at once (or --wait)."""
    from headwater.code.run import create_run
    from headwater.daemon.launcher import submit_run
    from headwater.daemon.run_launcher import run_launcher_of
    from headwater.definitions.tags import PARTITION_TAG

    origin, defs = locations.load_one()
    job_def = defs.resolve_job_def(job_name)
    instance = _instance()
    run_launcher_of(instance)  # a misconfigured run_launcher: refuses before storing a run
    tags = dict(tags)
    if partition is not None:
        tags[PARTITION_TAG] = partition
    # create_run refuses a partition the job does not have, before the run is stored
    run = create_run(instance, origin, job_def, run_config, tags)
    submit_run(instance, run.run_id)
    _finish(instance, run.run_id, wait, as_json, "Launched")


@click.group("run")
def run() -> None:
    """Inspect, cancel, re-execute, delete and wipe runs."""


@run.command("list")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1),
              help="At most this many runs (newest first).")
@click.option("--job", "job_name", default=None, help="Only runs of this job.")
@click.option("--status", "statuses", multiple=True, help="Only runs with this status.")
@click.option("--json", "as_json", is_flag=True)
def run_list(limit: int, job_name: str | None, statuses: tuple[str, ...], as_json: bool) -> None:
    """List runs, newest first."""
    from headwater.daemon.monitor import monitor_runs
    from headwater.storage.record import HeadwaterRunStatus, RunsFilter

    instance = _instance()
    monitor_runs(instance)
    try:
        wanted = [HeadwaterRunStatus(s.upper()) for s in statuses] or None
    except ValueError as exc:
        raise HeadwaterInvalidInvocationError(
            f"--status: {exc}; use one of {', '.join(s.value for s in HeadwaterRunStatus)}."
        ) from None
    records = instance.get_run_records(RunsFilter(job_name=job_name, statuses=wanted), limit=limit)
    rows = [run_summary(r.headwater_run, r) for r in records]
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        started = format_time(row["start_time"] or row["created"])
        took = run_duration(row["start_time"], row["end_time"])
        click.echo(f"{row['run_id']}  {row['status']:<10} {started}  {took:>12}  "
                   f"{row['job_name']}")


def _get(instance: Any, run_id: str) -> Any:
    record = instance.get_run_record_by_id(run_id)
    if record is None:
        raise HeadwaterRunNotFoundError(
            f"No run with id {run_id} in the instance: check the id with `headwater run list`.")
    return record


@run.command("show")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True)
def run_show(run_id: str, as_json: bool) -> None:
    """Show a run: status, job, tags, each step's outcome and each check's result."""
    instance = _instance()
    record = _get(instance, run_id)
    data = run_summary(record.headwater_run, record)
    steps: dict[str, str] = {}
    entries = instance.all_logs(run_id)
    for entry in entries:
        kind = entry.headwater_event_type.value if entry.headwater_event_type else ""
        if entry.step_key and kind.startswith("STEP_") and kind not in ("STEP_INPUT", "STEP_OUTPUT"):
            steps[entry.step_key] = kind.removeprefix("STEP_")
    data["steps"] = steps
    data["checks"] = run_checks_json(entries, record.headwater_run)
    data["errors"] = [{"step_key": e.step_key, "error": error_json(event_error(e))}
                      for e in (entry.headwater_event for entry in entries)
                      if event_error(e) is not None]
    if as_json:
        click.echo(json.dumps(data))
        return
    click.echo(f"run {data['run_id']}\n  job: {data['job_name']}\n  status: {data['status']}")
    click.echo(f"  created: {format_time(data['created'])}  started: "
               f"{format_time(data['start_time'])}  ended: {format_time(data['end_time'])}  "
               f"duration: {run_duration(data['start_time'], data['end_time'])}")
    if data["parent_run_id"]:
        click.echo(f"  parent: {data['parent_run_id']}  root: {data['root_run_id']}")
    for key, value in data["tags"].items():
        click.echo(f"  tag {key}={value}")
    for key, outcome in steps.items():
        click.echo(f"  step {key}: {outcome}")
    for check in data["checks"]:
        click.echo(f"  check {check_line(check)}")
    for line in failure_lines((e.headwater_event for e in entries if e.headwater_event),
                              is_verbose()):
        click.echo(f"  {line}")


@run.command("logs")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True)
def run_logs(run_id: str, as_json: bool) -> None:
    """Print a run's event log (and where its worker's output went)."""
    from headwater.daemon.launcher import log_path

    instance = _instance()
    _get(instance, run_id)
    entries = instance.all_logs(run_id)
    if as_json:
        click.echo(json.dumps([{
            "timestamp": e.timestamp, "type": e.headwater_event_type.value
            if e.headwater_event_type else "LOG", "step_key": e.step_key, "message": e.message,
            "error": error_json(event_error(e.headwater_event)),
        } for e in entries]))
        return
    verbose = is_verbose()
    first = entries[0].timestamp if entries else 0.0
    for e in entries:
        kind = e.headwater_event_type.value if e.headwater_event_type else "LOG"
        since = f"+{format_duration(e.timestamp - first)}"
        click.echo(f"{format_time(e.timestamp, millis=True)} {since:>9} {kind:<22} "
                   f"{e.step_key or '-':<20} {e.message}")
        error = event_error(e.headwater_event)
        if error is not None:
            for line in render_error(error, verbose, indent=" " * 4):
                click.echo(line)
    path = log_path(instance, run_id)
    click.echo(f"(worker output: {path})", err=True)


@run.command("cancel")
@click.argument("run_id")
@click.option("--wait", is_flag=True, help="Wait until the run has ended.")
def run_cancel(run_id: str, wait: bool) -> None:
    """Cancel a run: a queued one at once; a running one stops its running step and ends
    CANCELED; a finished one is refused."""
    from headwater.daemon.launcher import cancel_run, wait_for_run

    instance = _instance()
    status = cancel_run(instance, run_id, "Cancel requested with `headwater run cancel`.")
    if wait:
        status = wait_for_run(instance, run_id).status
    click.echo(f"Run {run_id}: {status.value}.")


@run.command("delete")
@click.argument("run_id")
@click.option("--force", is_flag=True, help="Delete even if the run is still in progress.")
def run_delete(run_id: str, force: bool) -> None:
    """Delete a run and its events."""
    instance = _instance()
    run_ = _get(instance, run_id).headwater_run
    if not run_.is_finished and not force:
        raise HeadwaterInvalidInvocationError(
            f"Run {run_id} is {run_.status.value}: cancel it first (`headwater run cancel "
            f"{run_id}`) or pass --force.")
    instance.delete_run(run_id)
    click.echo(f"Deleted run {run_id}.")


@run.command("wipe")
@click.option("--yes", "--noprompt", "yes", is_flag=True, help="Do not ask for confirmation.")
def run_wipe(yes: bool) -> None:
    """Delete every run and its events from the instance (asset history included)."""
    from headwater.daemon.monitor import monitor_runs

    instance = _instance()
    monitor_runs(instance)  # a run whose worker died is marked failed, not in progress
    runs = instance.get_runs()
    active = [r.run_id for r in runs if not r.is_finished]
    if active:
        raise HeadwaterInvalidInvocationError(
            f"{len(active)} run(s) are still in progress ({', '.join(active[:3])}): cancel "
            "them first (`headwater run cancel RUN_ID`), or delete one that is stuck with "
            "`headwater run delete RUN_ID --force`.")
    if not yes:
        click.confirm(f"Delete all {len(runs)} run(s) and their event logs? This cannot be "
                      "undone", abort=True)
    instance.wipe()
    click.echo(f"Deleted {len(runs)} run(s) and their event logs.")


@run.command("reexecute")
@click.argument("run_id")
@location_options
@click.option("--from-failure", is_flag=True, help="Only the failed and not-run steps.")
@click.option("--step", "steps", multiple=True,
              help="Steps to run again (repeatable; `name*` adds downstream, `*name` upstream).")
@click.option("--wait", is_flag=True, help="Follow the run until it ends.")
@click.option("--json", "as_json", is_flag=True)
def run_reexecute(run_id: str, locations: Locations, from_failure: bool,
                  steps: tuple[str, ...], wait: bool, as_json: bool) -> None:
    """Launch a new run of a run's job: all of it, --from-failure, or --step KEYs."""
    from headwater.code.run import create_run, origin_of
    from headwater.daemon.launcher import submit_run
    from headwater.execution.reexecution import ReexecutionOptions

    if from_failure and steps:
        raise HeadwaterInvalidInvocationError("Pass --from-failure or --step, not both.")
    instance = _instance()
    parent = _get(instance, run_id).headwater_run
    if any((locations.python_file, locations.module_name, locations.working_directory,
            locations.location)):
        origin, defs = locations.load_one()
    else:
        origin = origin_of(parent)
        defs = origin.load()
    if from_failure:
        options = ReexecutionOptions.from_failure(run_id, instance)
    else:
        options = ReexecutionOptions(run_id, list(steps) if steps else None)
    child = create_run(instance, origin, defs.resolve_job_def(parent.job_name),
                       reexecution_options=options)
    submit_run(instance, child.run_id)
    _finish(instance, child.run_id, wait, as_json, "Launched re-execution")


@click.command("run-worker", hidden=True)
@click.argument("run_id")
@click.option("--instance-url", default=None)
@click.option("--instance-home", default=None)
def run_worker_command(run_id: str, instance_url: str | None, instance_home: str | None) -> None:
    """Execute a launched run (started by the run launcher, not by hand)."""
    from headwater.daemon.worker import run_launched

    status = run_launched(run_id, instance_url, instance_home)
    sys.exit(0 if status.value in ("SUCCESS", "CANCELED") else 1)
