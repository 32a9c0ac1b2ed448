"""`headwater definitions validate|snapshot`: load a code location's Definitions and check or
print them. The code is loaded inside the commands, so `--help` imports none of it.
"""

from __future__ import annotations

import json
import sys

import click

from headwater.cli.options import Locations, location_options
from headwater.errors import HeadwaterError


@click.group("definitions")
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
