"""The `headwater` command: this module builds the group and registers every command.

The `asset`, `job`, `definitions` and `launch` commands are here; the others live in their own modules
(instance, run, schedule, webserver), which share their options through `cli/options.py` and
never import this one. Sits on top of every other layer. Errors exit non-zero with the
message and no Python traceback unless --verbose.
"""

from __future__ import annotations

import json
import sys
import uuid
from typing import Any

import click

from headwater.cli.check import asset_check, check_counts, describe_counts
from headwater.cli.failure import echo_failures
from headwater.cli.instance import instance
from headwater.cli.migrate import migrate
from headwater.cli.options import Locations, config_options, location_options
from headwater.cli.partition import partition_tags
from headwater.cli.progress import RunProgress
from headwater.cli.project import check_group, list_group, project, scaffold_group
from headwater.cli.run import job_launch, run, run_worker_command
from headwater.cli.schedule import backfill, daemon, schedule, sensor
from headwater.cli.webserver import dev, webserver
from headwater.code.loader import CodeLoadError
from headwater.definitions.tags import PARTITION_TAG
from headwater.errors import HeadwaterError, HeadwaterInvalidInvocationError
from headwater.execution.reconstruct import ReconstructableJob
from headwater.storage.instance import HeadwaterInstance


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (HeadwaterError, CodeLoadError) as exc:
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


@main.group()
def asset() -> None:
    """List, explain, materialize, check and wipe assets."""


@asset.command("list")
@location_options
@click.option("--select", default=None, help="Selection, e.g. '*report' or 'group:sales'.")
@click.option("--stale", is_flag=True,
              help="Only stale assets, with their causes (read from $HEADWATER_HOME).")
@click.option("--json", "as_json", is_flag=True)
def asset_list(locations: Locations, select: str | None, stale: bool, as_json: bool) -> None:
    """List the assets of a code location, with their checks' latest results."""
    from headwater.definitions.assets.selection import AssetSelection

    _, defs = locations.load_one()
    graph = defs.resolve_asset_graph()
    keys = AssetSelection.from_string(select).resolve(graph) if select else graph.all_keys
    counts = check_counts(graph, keys)
    causes: dict[Any, list[Any]] = {}
    if stale:
        resolver = defs.get_staleness(HeadwaterInstance.get())
        for key in keys:
            if graph.spec_by_key[key].partitions_def is None and \
                    graph.assets_def_by_key[key].partitions_def is None:
                causes[key] = resolver.causes(key)
            else:  # its latest materialized partition
                record = resolver.latest_record(key)
                causes[key] = resolver.causes(key, record.partition_key) if record else []
        keys = {k for k in keys if causes[k]}
    rows: list[dict[str, Any]] = [{"key": k.to_user_string(), "group": graph.group_name(k),
             "deps": sorted(p.to_user_string() for p in graph.parents(k)),
             "checks": counts.get(k.to_user_string())} for k in sorted(keys)]
    if stale:
        for row, key in zip(rows, sorted(keys)):
            row["stale_causes"] = [c.to_json() for c in causes[key]]
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        deps = f"  <- {', '.join(row['deps'])}" if row["deps"] else ""
        checks = f"  ({describe_counts(row['checks'])})" if row["checks"] else ""
        click.echo(f"{row['key']}  [{row['group']}]{deps}{checks}")
        for cause in row.get("stale_causes", ()):
            click.echo(f"    stale: {cause['text']}")
    if stale and not rows:
        click.echo("No stale assets.")


@asset.command("explain")
@location_options
@click.argument("key")
@click.option("--partition", default=None, help="The partition to explain.")
@click.option("--json", "as_json", is_flag=True)
def asset_explain(locations: Locations, key: str, partition: str | None, as_json: bool) -> None:
    """Why KEY is (not) stale, what would run (or be skipped as unchanged) if it were
    materialized now, and why its automation condition will (or won't) request it on the next
    tick, with the recorded evidence."""
    from headwater.code.automation import explain_automation
    from headwater.code.explain import explain, render
    from headwater.definitions.assets.staleness import AssetGraphStaleness
    from headwater.definitions.key import AssetKey

    origin, defs = locations.load_one()
    graph = defs.resolve_asset_graph()
    asset_key = AssetKey.from_user_string(key)
    if asset_key not in graph.all_keys:
        raise HeadwaterInvalidInvocationError(
            f"No asset {key!r} in these definitions; `headwater asset list` lists them.")
    instance = HeadwaterInstance.get()
    sections = explain(asset_key, partition, AssetGraphStaleness(graph, instance), instance)
    sections += explain_automation(defs, instance, asset_key, partition,
                                   location=origin.resolved().name)
    if as_json:
        click.echo(json.dumps([s.to_json() for s in sections]))
    else:
        click.echo(render(sections))


def _materialize_options(fn: Any) -> Any:
    """The options `asset materialize` and `launch` share: partition, range, config, --json."""
    options: list[Any] = [
        click.option("--partition", default=None, help="Partition key to materialize."),
        click.option("--partition-range", default=None, metavar="START...END",
                     help="One run over a range of partitions (assets with "
                          "BackfillPolicy.single_run())."),
        config_options,
        click.option("--json", "as_json", is_flag=True),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


@asset.command("materialize")
@location_options
@click.option("--select", required=True, help="Selection, e.g. '*' or 'a+'.")
@_materialize_options
def asset_materialize(locations: Locations, select: str, partition: str | None,
                      partition_range: str | None, run_config: dict[str, Any] | None,
                      as_json: bool) -> None:
    """Materialize the selected assets now, as the Definitions' asset job (its executor and
    loggers), recorded in the instance of $HEADWATER_HOME. A partitioned selection needs
    --partition or --partition-range, and one partitions definition."""
    _materialize(locations, select, partition, partition_range, run_config, as_json, "--select")


@main.command("launch")
@location_options
@click.option("--assets", "select", required=True,
              help="Selection of assets to materialize, e.g. '*' or 'group:sales'.")
@_materialize_options
def launch(locations: Locations, select: str, partition: str | None,
           partition_range: str | None, run_config: dict[str, Any] | None,
           as_json: bool) -> None:
    """Materialize assets of the project (dg's `launch --assets`): the same run as
    `asset materialize --select`, recorded in the instance of $HEADWATER_HOME."""
    _materialize(locations, select, partition, partition_range, run_config, as_json, "--assets")


def _materialize(locations: Locations, select: str, partition: str | None,
                 partition_range: str | None, run_config: dict[str, Any] | None,
                 as_json: bool, flag: str) -> None:
    from headwater.code.run import reconstructable_job
    from headwater.definitions.assets.job import IMPLICIT_JOB, selected_asset_keys

    origin, defs = locations.load_one()
    graph = defs.resolve_asset_graph()
    keys = selected_asset_keys(graph, select)
    if not keys:
        raise HeadwaterInvalidInvocationError(
            f"{flag} {select!r} picks no asset that can be materialized; see "
            "`headwater asset list`.")
    tags = partition_tags(graph, keys, partition, partition_range, HeadwaterInstance.get())
    result = _execute(reconstructable_job(origin, IMPLICIT_JOB, keys), run_config, partition,
                      tags, show_progress=not as_json)
    materialized = sorted({e.asset_key.to_user_string()
                          for e in result.get_asset_materialization_events() if e.asset_key})
    if not result.success:  # before the summary, which stays the last line for scripts
        echo_failures(result.all_events)
    if as_json:
        click.echo(json.dumps({"run_id": result.run_id, "success": result.success,
                               "materialized": materialized}))
    else:
        status = "succeeded" if result.success else "failed"
        click.echo(f"Run {result.run_id} {status}; materialized {len(materialized)} asset(s).")
    if not result.success:
        sys.exit(1)


@asset.command("wipe")
@location_options
@click.argument("selection")
@click.option("--yes", "--noprompt", "yes", is_flag=True, help="Do not ask for confirmation.")
def asset_wipe(locations: Locations, selection: str, yes: bool) -> None:
    """Forget the recorded materializations, observations and check results of the assets
    SELECTION picks (e.g. 'orders', 'group:sales', '*'); the runs and their logs stay."""
    from headwater.definitions.assets.selection import AssetSelection

    _, defs = locations.load_one()
    picked = AssetSelection.from_string(selection).resolve(defs.resolve_asset_graph())
    instance = HeadwaterInstance.get()
    recorded = set(instance.get_asset_keys())
    keys = sorted(k for k in picked if k in recorded)
    if not keys:
        click.echo(f"Nothing to wipe: no asset that {selection!r} picks has recorded events.")
        return
    names = ", ".join(k.to_user_string() for k in keys)
    if not yes:
        click.confirm(f"Wipe the recorded history of {len(keys)} asset(s) ({names})? This "
                      "cannot be undone", abort=True)
    instance.wipe_assets(keys)
    click.echo(f"Wiped {len(keys)} asset(s): {names}.")


@main.group()
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
    origin, defs = locations.load_one()
    from headwater.code.run import reconstructable_job

    defs.resolve_job_def(job_name)  # an unknown name is an error that lists the jobs
    result = _execute(reconstructable_job(origin, job_name), run_config, partition, {},
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
asset.add_command(asset_check)


def _execute(job: ReconstructableJob, run_config: Any, partition: str | None,
             tags: dict[str, str], show_progress: bool) -> Any:
    """Run a job of the location here, with the job's own executor, in the instance of
    $HEADWATER_HOME (./.headwater by default, as `dev` shows it), printing each step as it
    starts and ends when `show_progress`."""
    from headwater.execution.api import execute_job
    from headwater.execution.partition import resolve_partitioned_run

    instance = HeadwaterInstance.get()
    run_config, partition_key, tags = resolve_partitioned_run(job.get(), run_config, partition,
                                                              tags, instance)
    if partition_key is not None:
        tags[PARTITION_TAG] = str(partition_key)
    run_id = str(uuid.uuid4())
    with RunProgress(run_id, enabled=show_progress):
        return execute_job(job, instance, run_config=run_config, tags=tags,
                           raise_on_error=False, run_id=run_id)


@main.group()
def definitions() -> None:
    """Check definitions."""


@definitions.command("validate")
@location_options
def definitions_validate(locations: Locations) -> None:
    """Load and validate definitions, reporting every problem."""
    from headwater.definitions.definitions import Definitions

    origins = locations.origins()
    failed = 0
    for origin in origins:
        prefix = f"{origin.name}: " if len(origins) > 1 else ""
        try:
            defs = origin.load()
            Definitions.validate_loadable(defs)
        except HeadwaterError as exc:
            if len(origins) == 1:
                raise
            failed += 1
            click.echo(f"{prefix}Error: {exc}", err=True)
            continue
        graph = defs.resolve_asset_graph()
        click.echo(f"{prefix}Definitions are valid: {len(graph.all_keys)} assets, "
                   f"{len(defs.get_all_job_defs())} jobs.")
    if failed:
        sys.exit(1)


@definitions.command("snapshot")
@location_options
@click.option("--server", "via_server", is_flag=True,
              help="Load the code in a code server subprocess instead of this process.")
@click.option("--timeout", default=60.0, show_default=True,
              type=click.FloatRange(min=0, min_open=True),
              help="Seconds to wait for the code server (with --server).")
def definitions_snapshot(locations: Locations, via_server: bool, timeout: float) -> None:
    """Print the definitions as JSON: assets, jobs, resources, schedules, sensors.

    One location prints one snapshot object; several print a list of them.
    """
    from headwater.code.client import CodeServerClient
    from headwater.code.snapshot import build_snapshot

    snapshots = []
    for origin in locations.origins():
        if via_server:
            with CodeServerClient(origin, timeout=timeout, startup_timeout=timeout) as client:
                snapshots.append(client.snapshot())
        else:
            snapshots.append(build_snapshot(origin.load(), origin.name))
    click.echo(json.dumps(snapshots[0] if len(snapshots) == 1 else snapshots, indent=2))


for _command in (instance, schedule, sensor, daemon, backfill, webserver, dev, run,
                 run_worker_command, project, scaffold_group, list_group, check_group, migrate):
    main.add_command(_command)

if __name__ == "__main__":
    main()
