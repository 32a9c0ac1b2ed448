"""Databases that are not this headwater's: recognised before anything is created or stamped.

Invariant: headwater never creates, stamps or migrates tables in a Dagster instance database
or in another application's database that has tables of headwater's names, and it never
advises `migrate` for a database that `migrate` cannot handle; each refusal is one line
naming what was found and what to do. Checked on SQLite and PostgreSQL, through the CLI
(`instance info`, `instance migrate`, and an ordinary command that opens the instance).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

import headwater
from headwater.storage import database, schema

SRC = os.path.dirname(os.path.dirname(os.path.abspath(headwater.__file__)))


def hw(url: str, cwd: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HEADWATER_DATABASE_URL": url, "HEADWATER_HOME": os.path.join(cwd, "home"),
           "PYTHONPATH": SRC}
    env.pop("HEADWATER_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "headwater.cli.main", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def snapshot(url: str) -> dict[str, list[str]]:
    """Every table and its columns, and the stamped revision: what must not change."""
    engine = sa.create_engine(database.normalize_url(url))
    try:
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            shape = {t: sorted(c["name"] for c in inspector.get_columns(t))
                     for t in inspector.get_table_names()}
            if "alembic_version" in shape:
                shape["@version"] = [r[0] for r in connection.execute(
                    sa.text("SELECT version_num FROM alembic_version"))]
            return shape
    finally:
        engine.dispose()


def execute(url: str, *statements: str) -> None:
    engine = sa.create_engine(database.normalize_url(url))
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


DAGSTER = (  # the shape of a Dagster instance database (tables and columns, no data needed)
    "CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)",
    "INSERT INTO alembic_version VALUES ('6b7fb194ff9c')",
    "CREATE TABLE runs (id INTEGER PRIMARY KEY, run_id VARCHAR(255), snapshot_id VARCHAR(255),"
    " pipeline_name TEXT, mode TEXT, status VARCHAR(63), run_body TEXT, partition TEXT,"
    " partition_set TEXT, create_timestamp TIMESTAMP, update_timestamp TIMESTAMP)",
    "CREATE TABLE event_logs (id INTEGER PRIMARY KEY, run_id VARCHAR(255), event TEXT,"
    " dagster_event_type TEXT, timestamp TIMESTAMP, step_key TEXT, asset_key TEXT,"
    " partition TEXT)",
    "CREATE TABLE secondary_indexes (id INTEGER PRIMARY KEY, name VARCHAR(512),"
    " create_timestamp TIMESTAMP, migration_completed TIMESTAMP)",
    "CREATE TABLE run_tags (id INTEGER PRIMARY KEY, run_id VARCHAR(255), key TEXT, value TEXT)",
)

FOREIGN = (  # another application's database that happens to have a `runs` table
    "CREATE TABLE runs (id INTEGER PRIMARY KEY, name TEXT, started_at TEXT)",
    "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)",
)


def test_dagster_database_is_recognised_and_left_alone(database_url, tmp_path):
    """A Dagster instance database is named as such (not "newer: upgrade headwater"), with the
    advice to use a new database; info, migrate and opening it change nothing."""
    execute(database_url, *DAGSTER)
    before = snapshot(database_url)
    info = hw(database_url, str(tmp_path), "instance", "info")
    assert "a Dagster instance database" in info.stdout and "upgrade headwater" not in info.stdout
    for result in (info, hw(database_url, str(tmp_path), "instance", "migrate"),
                   hw(database_url, str(tmp_path), "run", "list")):
        line = one_error_line(result)
        assert "is a Dagster instance database" in line and "new, empty database" in line, line
        assert "upgrade headwater" not in line and "instance migrate`" not in line, line
    assert snapshot(database_url) == before


def test_foreign_database_with_a_runs_table_is_refused(database_url, tmp_path):
    """Another application's `runs` table is neither stamped nor migrated: the refusal names
    the tables found, and the database is exactly as it was."""
    execute(database_url, *FOREIGN)
    before = snapshot(database_url)
    for args in (("instance", "migrate"), ("instance", "info"), ("run", "list")):
        line = one_error_line(hw(database_url, str(tmp_path), *args))
        assert "another application" in line and "runs" in line, line
        assert "users" not in line  # only the tables in headwater's way are named
    assert snapshot(database_url) == before


def test_newer_headwater_database_says_upgrade_headwater_everywhere(database_url, tmp_path):
    """A database stamped by a newer headwater: info says to upgrade headwater (not to
    migrate), and migrate refuses with the same advice instead of crashing."""
    assert hw(database_url, str(tmp_path), "instance", "migrate").returncode == 0
    execute(database_url, "UPDATE alembic_version SET version_num = '0999'")
    before = snapshot(database_url)
    info = hw(database_url, str(tmp_path), "instance", "info")
    assert "upgrade headwater" in info.stdout and "run `headwater instance migrate`" not in info.stdout
    for result in (info, hw(database_url, str(tmp_path), "instance", "migrate")):
        line = one_error_line(result)
        assert "0999" in line and "upgrade headwater" in line, line
    assert snapshot(database_url) == before


def test_unrelated_tables_and_unstamped_headwater_databases_still_work(database_url, tmp_path):
    """What is not in the way is not refused: a database holding only unrelated tables gets
    headwater's next to them, and a headwater database from before it was stamped migrates."""
    execute(database_url, "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)")
    assert hw(database_url, str(tmp_path), "run", "list").returncode == 0
    assert snapshot(database_url)["@version"] == [schema.SCHEMA_VERSION]

    engine = database.create_engine(database_url)
    try:
        with engine.begin() as connection:
            for table in reversed(schema.metadata.sorted_tables):
                table.drop(connection)
            connection.exec_driver_sql("DROP TABLE alembic_version")
        database.migrate(engine, "0001")
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE alembic_version")  # as before stamping
    finally:
        engine.dispose()
    migrated = hw(database_url, str(tmp_path), "instance", "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert f"from 0001 to {schema.SCHEMA_VERSION}" in migrated.stdout


@pytest.fixture(autouse=True)
def _no_debug(monkeypatch):
    monkeypatch.delenv("HEADWATER_DEBUG", raising=False)
