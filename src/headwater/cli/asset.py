"""`headwater asset list|explain|materialize|check|wipe` and `headwater launch --assets`.

`asset materialize` and `launch` are one command under two names (Dagster's and dg's): both
run the selected assets here, as the Definitions' asset job, recorded in the instance of
$HEADWATER_HOME (cli/progress.py prints the steps). `asset check` lives in cli/check.py.
Definitions, the engine and storage are imported inside the commands, so that `headwater
asset --help` loads none of them.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from headwater.cli.check import asset_check, check_counts, describe_counts
from headwater.cli.failure import echo_failures
from headwater.cli.options import Locations, config_options, location_options
from headwater.cli.progress import execute_here
from headwater.errors import HeadwaterInvalidInvocationError


@click.group("asset")
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
    from headwater.storage.instance import HeadwaterInstance

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
    from headwater.storage.instance import HeadwaterInstance

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


@click.command("launch")
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
    from headwater.cli.partition import partition_tags
    from headwater.code.run import reconstructable_job
    from headwater.definitions.assets.job import IMPLICIT_JOB, selected_asset_keys
    from headwater.storage.instance import HeadwaterInstance

    origin, defs = locations.load_one()
    graph = defs.resolve_asset_graph()
    keys = selected_asset_keys(graph, select)
    if not keys:
        raise HeadwaterInvalidInvocationError(
            f"{flag} {select!r} picks no asset that can be materialized; see "
            "`headwater asset list`.")
    tags = partition_tags(graph, keys, partition, partition_range, HeadwaterInstance.get())
    result = execute_here(reconstructable_job(origin, IMPLICIT_JOB, keys), run_config,
                          partition, tags, show_progress=not as_json)
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
    from headwater.storage.instance import HeadwaterInstance

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


asset.add_command(asset_check)
