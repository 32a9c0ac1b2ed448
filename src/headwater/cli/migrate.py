"""`headwater migrate PATH`: port a Dagster project with the case-preserving rename. The
work is `headwater.migration`'s, imported when the command runs; this module is its options.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command("migrate")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=None, metavar="DIR",
              help="Write the ported project into this new folder (outside PATH) instead of "
                   "in place; everything else is copied unchanged.")
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
def migrate(path: Path, out: Path | None, dry_run: bool) -> None:
    """Port the Dagster project at PATH (a folder, or one file) to headwater: dagster ->
    headwater, Dagster -> Headwater, DAGSTER -> HEADWATER in its Python, notebooks, YAML,
    TOML, .env, requirements and docs, and in the names of its files and folders; Dagster
    distributions become headwater and its extras. Reports each change, and each private
    import with what to import instead."""
    from headwater.migration.project import migrate_project, render

    click.echo(render(migrate_project(path, out=out, dry_run=dry_run), dry_run=dry_run))
