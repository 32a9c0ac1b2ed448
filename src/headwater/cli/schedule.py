"""`headwater schedule|sensor list|start [--start-all]|stop|preview`, `headwater sensor
cursor NAME --set VALUE|--delete`, `headwater backfill launch|list|show|cancel` and
`headwater daemon run [--once]`.

Definitions are read through a code server subprocess (as the daemon does); state goes to the
instance of $HEADWATER_HOME. Imports every lower layer, inside the commands (so that `--help`
loads none of it).
"""

from __future__ import annotations

import dataclasses
import json
import signal
import threading
import time
from datetime import datetime, timezone
from typing import Any

import click

from headwater.cli.options import Locations, location_options, log_to_stderr
from headwater.errors import HeadwaterInvalidInvocationError


def _instance() -> Any:
    from headwater.storage.instance import HeadwaterInstance

    return HeadwaterInstance.get()


def _snapshot(origin: Any) -> tuple[Any, dict[str, Any]]:
    from headwater.code.client import CodeServerClient

    client = CodeServerClient(origin)
    return client, client.snapshot()


def _find(snapshot: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    for item in snapshot.get(kind, []):
        if item["name"] == name:
            return item
    known = ", ".join(i["name"] for i in snapshot.get(kind, [])) or "none"
    raise HeadwaterInvalidInvocationError(
        f"No {kind[:-1]} named {name!r} in location {snapshot.get('location_name')!r}; "
        f"{kind}: {known}.")


def _instigator_group(kind: str) -> click.Group:
    plural = f"{kind}s"
    type_name = kind.upper()

    extra = " and set their cursor" if kind == "sensor" else ""
    @click.group(name=kind, help=f"List, start, stop and preview {plural}{extra}.")
    def group() -> None:
        pass

    @group.command("list")
    @location_options
    @click.option("--json", "as_json", is_flag=True)
    def list_command(locations: Locations, as_json: bool) -> None:
        """List them with their status (running or stopped) and cursor."""
        from headwater.daemon.instigation import instigator_state

        origin = locations.one()
        client, snapshot = _snapshot(origin)
        client.shutdown()
        instance = _instance()
        rows = []
        for item in snapshot.get(plural, []):
            state = instigator_state(instance, origin.name, item, type_name)
            rows.append({**item, "status": state.status, "cursor": state.cursor})
        if as_json:
            click.echo(json.dumps(rows, indent=2, default=str))
            return
        for row in rows:
            what = row.get("cron_schedule") or f"every {row.get('minimum_interval_seconds') or 30}s"
            click.echo(f"{row['name']}  [{row['status']}]  {what}  job={row.get('job_name')}")

    def set_running(names: list[str] | None, running: bool, locations: Locations) -> list[str]:
        from headwater.daemon.instigation import RUNNING, STOPPED, set_status

        origin = locations.one()
        client, snapshot = _snapshot(origin)
        client.shutdown()
        if names is None:
            names = [item["name"] for item in snapshot.get(plural, [])]
        for name in names:
            _find(snapshot, plural, name)
        instance = _instance()
        for name in names:
            set_status(instance, origin.name, name, type_name, RUNNING if running else STOPPED)
        return names

    @group.command("start", help=f"Mark the {kind} NAME (or every {kind}, with --start-all) "
                                 "running in the instance; the daemon then runs it.")
    @click.argument("name", required=False)
    @location_options
    @click.option("--start-all", is_flag=True, help=f"Start every {kind} of the location.")
    def start(name: str | None, locations: Locations, start_all: bool) -> None:
        if bool(name) == start_all:
            raise HeadwaterInvalidInvocationError(
                f"Pass a {kind} NAME or --start-all, not {'both' if name else 'neither'}; "
                f"`headwater {kind} list` lists them.")
        started = set_running(None if start_all else [name or ""], True, locations)
        for each in started:
            click.echo(f"Started {kind} {each}.")
        if not started:
            click.echo(f"No {plural} in this location.")

    @group.command("stop", help=f"Mark the {kind} stopped in the instance.")
    @click.argument("name")
    @location_options
    def stop(name: str, locations: Locations) -> None:
        set_running([name], False, locations)
        click.echo(f"Stopped {kind} {name}.")

    return group


schedule = _instigator_group("schedule")
sensor = _instigator_group("sensor")


@schedule.command("preview")
@click.argument("name")
@location_options
@click.option("--tick-time", default=None,
              help="The tick to evaluate: ISO 8601 (read in the schedule's timezone unless it "
                   "has an offset) or a Unix timestamp. Default: the next tick.")
@click.option("--ticks", default=5, show_default=True, type=click.IntRange(1, 1000),
              help="How many tick times to list before and after now.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def schedule_preview(name: str, locations: Locations, tick_time: str | None, ticks: int,
                     as_json: bool) -> None:
    """Evaluate one tick of the schedule NAME as the daemon would and print what it would
    launch. Nothing is launched or stored."""
    from headwater.daemon import dry_run

    origin = locations.one()
    client, snapshot = _snapshot(origin)
    try:
        item = _find(snapshot, "schedules", name)
        try:
            when = dry_run.parse_tick_time(item, tick_time)
        except ValueError as exc:
            raise HeadwaterInvalidInvocationError(f"--tick-time: {exc}") from None
        times = dry_run.tick_times(item, time.time(), ticks)
        result = dry_run.dry_run_schedule(client, origin.name, item, when,
                                          dataclasses.asdict(_instance().get_ref()))
    finally:
        client.shutdown()
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str))
    else:
        click.echo("Previous ticks: " + ", ".join(t.isoformat() for t in times["previous"]))
        click.echo("Next ticks: " + ", ".join(t.isoformat() for t in times["next"]))
        click.echo(f"Tick {result['tick_time']}:")
        _echo_result(result)
    if result["error"]:
        raise click.exceptions.Exit(1)


@sensor.command("preview")
@click.argument("name")
@location_options
@click.option("--cursor", default=None, help="The cursor to evaluate from (default: the "
                                             "cursor stored for the sensor).")
@click.option("--no-cursor", is_flag=True, help="Evaluate as if no cursor were stored.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def sensor_preview(name: str, locations: Locations, cursor: str | None, no_cursor: bool,
                   as_json: bool) -> None:
    """Evaluate the sensor NAME once as the daemon would and print what it would launch and
    the cursor it would store. Nothing is launched or stored."""
    from headwater.daemon import dry_run

    if cursor is not None and no_cursor:
        raise HeadwaterInvalidInvocationError(
            "Pass --cursor VALUE or --no-cursor, not both; with neither, the sensor is "
            "evaluated from its stored cursor.")
    origin = locations.one()
    client, snapshot = _snapshot(origin)
    try:
        item = _find(snapshot, "sensors", name)
        instance = _instance()
        result = dry_run.dry_run_sensor(instance, client, origin.name, item, cursor,
                                        dataclasses.asdict(instance.get_ref()),
                                        use_stored_cursor=cursor is None and not no_cursor)
    finally:
        client.shutdown()
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str))
    else:
        click.echo(f"Evaluated from cursor {result['cursor_before']!r}.")
        _echo_result(result)
        if not result["error"]:
            moved = "new cursor" if result["cursor_changed"] else "cursor unchanged"
            click.echo(f"{moved.capitalize()}: {result['cursor']!r}")
    if result["error"]:
        raise click.exceptions.Exit(1)


def _echo_result(result: dict[str, Any]) -> None:
    """A dry run's result as a person reads it."""
    if result["error"]:
        error = result["error"]
        click.echo(f"Error: {error['message']}")
        if error.get("traceback"):
            click.echo(error["traceback"].rstrip())
        return
    if result["skip_reason"]:
        click.echo(f"Skipped: {result['skip_reason']}")
    requests = result["run_requests"]
    if requests:
        click.echo(f"{len(requests)} run request{'s' if len(requests) != 1 else ''}:")
    for request in requests:
        what = request["job_name"] or "assets"
        if request["asset_selection"]:
            what += f" [{', '.join(request['asset_selection'])}]"
        extras = [f"run_key={request['run_key']!r}"] if request["run_key"] else []
        if request["partition_key"]:
            extras.append(f"partition={request['partition_key']!r}")
        click.echo(f"  - {what} {' '.join(extras)}".rstrip())
        if request["run_config"]:
            click.echo(f"    run_config: {json.dumps(request['run_config'])}")
        if request["tags"]:
            click.echo(f"    tags: {json.dumps(request['tags'])}")
    for backfill in result.get("backfills") or ():
        click.echo(f"  - backfill of {', '.join(backfill['asset_selection'])} over "
                   f"{len(backfill['partition_keys'])} partitions")
    for request in result["dynamic_partitions_requests"]:
        click.echo(f"Dynamic partitions: {request['kind']} {request['partition_keys']} "
                   f"in '{request['partitions_def_name']}'")
    for event in result["asset_events"]:
        click.echo(f"Asset event: {event['type']} of {event['asset_key']}")


@sensor.command("cursor")
@click.argument("name")
@location_options
@click.option("--set", "value", default=None, help="The cursor to store for the sensor.")
@click.option("--delete", is_flag=True, help="Clear the stored cursor.")
def sensor_cursor(name: str, locations: Locations, value: str | None, delete: bool) -> None:
    """Set (--set VALUE) or clear (--delete) the cursor the sensor's next tick starts from."""
    from headwater.daemon.instigation import set_cursor

    if (value is None) == (not delete):
        raise HeadwaterInvalidInvocationError(
            f"Pass --set VALUE or --delete, not {'both' if delete else 'neither'}; e.g. "
            f"`headwater sensor cursor {name} --set 2024-01-01`.")
    origin = locations.one()
    client, snapshot = _snapshot(origin)
    client.shutdown()
    item = _find(snapshot, "sensors", name)
    set_cursor(_instance(), origin.name, item, None if delete else value)
    click.echo(f"Cleared the cursor of sensor {name}." if delete
               else f"Set the cursor of sensor {name} to {value!r}.")


@click.group(help="Run the daemon: schedules, sensors, the run queue and backfills.")
def daemon() -> None:
    pass


@daemon.command("run")
@location_options
@click.option("--once", is_flag=True, help="Run one iteration and exit.")
@click.option("--interval", default=1.0, show_default=True,
              type=click.FloatRange(min=0, min_open=True), help="Seconds between iterations.")
def daemon_run(locations: Locations, once: bool, interval: float) -> None:
    """Run the daemon in the foreground (Ctrl-C to stop), or one iteration with --once."""
    from headwater.daemon.daemon import Daemon

    log_to_stderr("headwater.daemon")
    origins = locations.all_origins()
    runner = Daemon(_instance(), origins)
    if not once:
        click.echo(f"headwater daemon: {len(origins)} code location(s); Ctrl-C to stop.")

    def _interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt  # SIGTERM stops it like Ctrl-C: the lease is released

    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if main_thread else None
    try:
        runner.run(once=once, interval=interval, say=lambda line: click.echo(line, err=True))
    except KeyboardInterrupt:
        pass
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


@click.group(help="Launch and follow backfills of partitioned jobs and assets.")
def backfill() -> None:
    pass


@backfill.command("launch")
@location_options
@click.option("--job", "job_name", default=None, help="The partitioned job to backfill.")
@click.option("--assets", default=None, help="Comma-separated asset keys (instead of --job).")
@click.option("--partitions", default=None, help="Comma-separated partition keys.")
@click.option("--from", "start", default=None, help="First partition key of a range.")
@click.option("--to", "end", default=None, help="Last partition key of a range.")
@click.option("--all", "all_partitions", is_flag=True, help="Every partition.")
def backfill_launch(locations: Locations, job_name: str | None, assets: str | None,
                    partitions: str | None, start: str | None, end: str | None,
                    all_partitions: bool) -> None:
    """Record a backfill; `headwater daemon run` launches its runs."""
    from headwater.code.run import origin_tag
    from headwater.daemon.backfill import create_backfill

    if bool(job_name) == bool(assets):
        raise HeadwaterInvalidInvocationError("Pass exactly one of --job NAME and --assets a,b.")
    origin = locations.one()
    instance = _instance()
    client, _ = _snapshot(origin)
    selection = [a.strip() for a in assets.split(",")] if assets else None
    try:
        plan = client.call("plan_backfill", {
            "job_name": job_name, "asset_selection": selection,
            "partition_keys": [p.strip() for p in partitions.split(",")] if partitions else None,
            "start": start, "end": end, "all_partitions": all_partitions,
            "instance": dataclasses.asdict(instance.get_ref())})
    finally:
        client.shutdown()
    record = create_backfill(instance, origin_tag(origin), plan, job_name=job_name,
                             asset_selection=selection, requested_by="cli")
    how = "one run over the range" if plan["single_run"] else "one run per partition"
    click.echo(f"Backfill {record.backfill_id}: {len(plan['partition_keys'])} partitions, {how}.")


@backfill.command("list")
@click.option("--json", "as_json", is_flag=True)
def backfill_list(as_json: bool) -> None:
    """List the backfills of the instance with their status and size."""
    from headwater.daemon.backfill import backfill_status

    instance = _instance()
    rows = [backfill_status(instance, b) for b in instance.storage.get_backfills()]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        created = datetime.fromtimestamp(row["created"], timezone.utc).isoformat(timespec="seconds")
        click.echo(f"{row['backfill_id']}  {row['status']}  {row['job_name'] or row['asset_selection']}"
                   f"  {row['partitions']} partitions  {created}")


@backfill.command("show")
@click.argument("backfill_id")
def backfill_show(backfill_id: str) -> None:
    """Print a backfill as JSON: its partitions and its runs by status."""
    from headwater.daemon.backfill import backfill_status

    instance = _instance()
    record = instance.storage.get_backfill(backfill_id)
    if record is None:
        raise HeadwaterInvalidInvocationError(
            f"No backfill {backfill_id!r}: see `headwater backfill list`.")
    click.echo(json.dumps(backfill_status(instance, record), indent=2))


@backfill.command("cancel")
@click.argument("backfill_id")
def backfill_cancel(backfill_id: str) -> None:
    """Cancel a requested backfill: its queued runs are canceled at once, its running ones
    asked to stop, and the daemon launches no more of its runs."""
    from headwater.daemon.backfill import cancel_backfill

    try:
        record = cancel_backfill(_instance(), backfill_id)
    except KeyError as exc:
        raise HeadwaterInvalidInvocationError(str(exc.args[0])) from None
    click.echo(f"Backfill {backfill_id}: {record.status}.")

