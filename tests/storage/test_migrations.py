"""Tests for headwater.storage.database: schema versions, the clear error, and migrations."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import headwater as hw
from headwater import HeadwaterInstance
from headwater.cli.main import main
from headwater.errors import HeadwaterInstanceMigrationRequired
from headwater.storage import database, schema


@hw.asset
def one():
    return 1


def _old_database(url: str) -> None:
    """A database as the first release created it (revision 0001)."""
    engine = database.create_engine(url)
    try:
        database.migrate(engine, "0001")
    finally:
        engine.dispose()


@pytest.mark.parametrize("sql_url", ["sqlite", "postgres"], indirect=True)
def test_old_database_needs_migrate_then_works(sql_url):
    """An older database is refused with the command to run; after migrate it is usable."""
    _old_database(sql_url)
    with pytest.raises(HeadwaterInstanceMigrationRequired, match="run `headwater instance migrate`"):
        HeadwaterInstance.from_url(sql_url)
    engine = database.create_engine(sql_url)
    assert database.migrate(engine) == ("0001", schema.SCHEMA_VERSION)
    engine.dispose()
    with HeadwaterInstance.from_url(sql_url) as instance:
        assert hw.materialize([one], instance=instance).success
        instance.storage.set_kvs({"k": "v"})
        assert instance.get_runs_count() == 1


@pytest.mark.parametrize("sql_url", ["sqlite", "postgres"], indirect=True)
def test_migrations_build_the_same_schema_as_the_code(sql_url):
    """Upgrading an empty database to head gives exactly the tables and indexes of schema.py."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = database.create_engine(sql_url)
    try:
        database.migrate(engine)
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), schema.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_head_revision_is_the_schema_version():
    """The newest alembic revision is the version new databases are stamped with."""
    assert database.head_revision() == schema.SCHEMA_VERSION


def test_new_database_is_created_at_head(tmp_path):
    """Opening a new database creates it at head, stamped in alembic_version."""
    url = f"sqlite:///{tmp_path}/new.db"
    HeadwaterInstance.from_url(url).dispose()
    engine = database.create_engine(url)
    assert database.current_version(engine) == schema.SCHEMA_VERSION
    with engine.connect() as connection:
        assert sa.inspect(connection).has_table("instigator_ticks")
    engine.dispose()


def test_newer_database_asks_for_a_newer_headwater(tmp_path):
    """A database stamped by a future headwater is refused with the fix."""
    url = f"sqlite:///{tmp_path}/future.db"
    HeadwaterInstance.from_url(url).dispose()
    engine = database.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(HeadwaterInstanceMigrationRequired, match="upgrade headwater"):
        HeadwaterInstance.from_url(url)


def test_cli_migrate_info_prune_reindex(tmp_path, monkeypatch):
    """`headwater instance` migrates an old database and reports, prunes and reindexes it."""
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path))
    monkeypatch.delenv("HEADWATER_DATABASE_URL", raising=False)
    _old_database(f"sqlite:///{tmp_path}/headwater.db")
    runner = CliRunner()
    info = runner.invoke(main, ["instance", "info"])
    assert "schema: 0001" in info.output and "headwater instance migrate" in info.output
    failed = runner.invoke(main, ["instance", "reindex"])
    assert failed.exit_code == 1 and "headwater instance migrate" in failed.output
    migrated = runner.invoke(main, ["instance", "migrate"])
    assert migrated.exit_code == 0 and f"from 0001 to {schema.SCHEMA_VERSION}" in migrated.output
    with HeadwaterInstance.get() as instance:
        hw.materialize([one], instance=instance)
    info = runner.invoke(main, ["instance", "info"])
    assert "up to date" in info.output and "runs: 1" in info.output
    assert runner.invoke(main, ["instance", "reindex"]).exit_code == 0
    pruned = runner.invoke(main, ["instance", "prune", "--older-than", "0s"])
    assert pruned.exit_code == 0 and "Deleted" in pruned.output
    with HeadwaterInstance.get() as instance:
        assert instance.get_latest_materialization_event("one") is not None
    bad = runner.invoke(main, ["instance", "prune", "--older-than", "soon"])
    assert bad.exit_code == 2 and "e.g. 30d" in bad.output  # a usage error
