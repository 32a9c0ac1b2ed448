"""`headwater instance ...`: look after the instance database of $HEADWATER_HOME.

`info` prints where the database is, its schema revision and row counts; `migrate` upgrades
it to this headwater's schema; `reindex` rebuilds the asset index from the event log; `prune
--older-than 30d` deletes the events of runs that ended before then, keeping the latest
materialization of every asset and partition; `prune` alone applies headwater.yaml's
`retention:` settings at once (daemon/retention.py, what the daemon does in bounded passes).
The database is the one `HeadwaterInstance.get()` opens ($HEADWATER_DATABASE_URL, headwater.yaml, or SQLite in the home).
"""

from __future__ import annotations

import re
import time
from typing import Any

import click

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def _instance() -> Any:
    from headwater.storage.instance import HeadwaterInstance

    return HeadwaterInstance.get()


def _url() -> tuple[str, str]:
    from headwater.storage.home import check_home, load_settings, resolve_home, storage_url

    home = resolve_home()
    url = storage_url(home, load_settings(home))
    check_home(home, url)
    return home, url


_AGE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*")


def parse_age(text: str) -> float:
    """Seconds in an age like `30d`, `12h`, `90m`, `45s` or `2w` (checked by `_age_option`)."""
    match = _AGE.fullmatch(text)
    assert match is not None, text
    return float(match.group(1)) * _UNITS[match.group(2)]


def _age_option(_ctx: click.Context, _param: click.Parameter, text: str | None) -> str | None:
    """A click callback: an --older-than that is not an age is a usage error (exit 2),
    before the instance is opened."""
    if text is not None and _AGE.fullmatch(text) is None:
        raise click.BadParameter(
            f"{text!r} is not an age: write a number and a unit, e.g. 30d, 12h, 90m, 45s or 2w.")
    return text


@click.group("instance")
def instance() -> None:
    """Inspect, migrate, reindex and prune the instance database."""


@instance.command("info")
def instance_info() -> None:
    """Print the storage URL, schema revision and row counts."""
    from headwater.storage import database, faults, schema

    home, url = _url()
    click.echo(f"home: {home}")
    click.echo(f"storage: {database.redact(url)}")
    engine = database.create_engine(url)
    try:
        found = database.inspect(engine)
    finally:
        engine.dispose()
    version = found.version
    refused = faults.refusal(found, database.redact(url), schema.SCHEMA_VERSION)
    if refused is not None:
        state = "newer than this headwater: upgrade headwater" if found.kind == "headwater" else (
            "a Dagster instance database" if found.kind == "dagster"
            else "another application's database")
    elif found.kind == "empty":
        state = "not created yet"
    else:
        state = "up to date" if version == schema.SCHEMA_VERSION else (
            "run `headwater instance migrate`")
    click.echo(f"schema: {version or '-'} (this headwater: {schema.SCHEMA_VERSION}; {state})")
    if refused is not None:
        raise refused
    if version == schema.SCHEMA_VERSION:
        with _instance() as opened:
            for table, count in opened.storage.counts().items():  # type: ignore[attr-defined]
                click.echo(f"{table}: {count}")


@instance.command("migrate")
def instance_migrate() -> None:
    """Upgrade the database to this headwater's schema (creating it if needed)."""
    from headwater.storage import database

    _, url = _url()
    engine = database.create_engine(url)
    try:
        before, after = database.migrate(engine)
    finally:
        engine.dispose()
    if before == after:
        click.echo(f"{database.redact(url)} is already at schema revision {after}.")
    else:
        click.echo(f"Migrated {database.redact(url)} from {before or 'empty'} to {after}.")


@instance.command("reindex")
def instance_reindex() -> None:
    """Rebuild the asset index tables (latest materializations, partitions) from the events."""
    started = time.monotonic()
    with _instance() as opened:
        opened.storage.reindex()
    click.echo(f"Reindexed assets in {time.monotonic() - started:.1f}s.")


@instance.command("prune")
@click.option("--older-than", "older_than", default=None, callback=_age_option,
              help="Age of the runs whose events to delete, e.g. 30d, 12h. Without it, apply "
                   "the retention settings of headwater.yaml.")
def instance_prune(older_than: str | None) -> None:
    """Delete the events of runs that ended before --older-than (latest materializations are
    kept), or without it the ticks and runs headwater.yaml's `retention:` lets go."""
    if older_than is None:
        from headwater.daemon.retention import apply_all

        with _instance() as opened:
            result = apply_all(opened)
        click.echo(f"Deleted {result.ticks} ticks and {len(result.runs)} runs past their "
                   "retention.")
        return
    cutoff = time.time() - parse_age(older_than)
    with _instance() as opened:
        deleted = opened.storage.prune(cutoff)
    click.echo(f"Deleted {deleted} events of runs that ended more than {older_than} ago.")
