"""headwater_postgres and Dagster's dagster.yaml shapes, on the real PostgreSQL server.

The server comes from HEADWATER_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/
test); each test gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import textwrap
import uuid

import pytest
import sqlalchemy as sa
import yaml

import headwater as hw
from headwater.errors import HeadwaterInvalidInvocationError
from headwater.storage.database import normalize_url
from headwater_postgres import (
    HeadwaterPostgresStorage,
    PostgresEventLogStorage,
    PostgresRunStorage,
    PostgresScheduleStorage,
)

BASE = os.environ.get("HEADWATER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def database():
    """(url, host, port, name) of a fresh database on the server."""
    url = sa.engine.make_url(normalize_url(BASE))
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"hw_intb_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.skip(f"no PostgreSQL server at {BASE}: {exc}")
    try:
        plain = url.set(database=name, drivername="postgresql")
        yield plain.render_as_string(hide_password=False), url.host, url.port or 5432, name
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A HEADWATER_HOME; write(text) puts text in its headwater.yaml."""
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path))
    monkeypatch.delenv("HEADWATER_DATABASE_URL", raising=False)

    def write(text: str) -> None:
        (tmp_path / "headwater.yaml").write_text(textwrap.dedent(text))

    return write


@hw.asset
def numbers():
    return [1, 2, 3]


def _runs_in(url: str) -> int:
    engine = sa.create_engine(normalize_url(url))
    try:
        with engine.connect() as connection:
            return int(connection.exec_driver_sql("select count(*) from runs").scalar_one())
    finally:
        engine.dispose()


def test_dagster_split_storage_sections_open_one_postgres_database(database, home, monkeypatch):
    """run_storage / event_log_storage / schedule_storage naming headwater_postgres classes,
    with postgres_db fields from the environment, store runs in that database."""
    url, host, port, name = database
    monkeypatch.setenv("PG_DB", name)
    config = {"postgres_db": {"username": "postgres", "hostname": host,
                              "db_name": {"env": "PG_DB"}, "port": port,
                              "params": {"connect_timeout": 5}}}
    home(yaml.safe_dump({
        section: {"module": f"headwater_postgres.{module}", "class": cls, "config": config}
        for section, module, cls in [
            ("run_storage", "run_storage", "PostgresRunStorage"),
            ("event_log_storage", "event_log", "PostgresEventLogStorage"),
            ("schedule_storage", "schedule_storage", "PostgresScheduleStorage")]}))
    with hw.HeadwaterInstance.get() as instance:
        result = hw.materialize([numbers], instance=instance)
    assert _runs_in(url) == 1
    with hw.HeadwaterInstance.get() as again:
        assert again.get_run_by_id(result.run_id).status == hw.HeadwaterRunStatus.SUCCESS
        assert again.get_latest_materialization_event(numbers.key) is not None


def test_storage_postgres_url_from_the_environment(database, home, monkeypatch):
    """`storage: postgres: postgres_url: {env: VAR}` reads the URL from the environment."""
    url = database[0]
    monkeypatch.setenv("PG_URL", url)
    home("""\
        storage:
          postgres:
            postgres_url: {env: PG_URL}
    """)
    with hw.HeadwaterInstance.get() as instance:
        hw.materialize([numbers], instance=instance)
    assert _runs_in(url) == 1


def test_the_classes_are_instance_storages(database):
    """Code building storages itself gets the same PostgreSQL storage under each name."""
    url = database[0]
    for cls in (PostgresRunStorage, PostgresEventLogStorage, PostgresScheduleStorage,
                HeadwaterPostgresStorage):
        storage = cls.from_config_value(None, {"postgres_url": url})
        assert storage.run_storage is storage.event_log_storage is storage
        with hw.HeadwaterInstance(storage) as instance:
            hw.materialize([numbers], instance=instance)
    assert _runs_in(url) == 4
    clean = HeadwaterPostgresStorage.create_clean_storage(url)
    with hw.HeadwaterInstance(clean) as instance:
        assert instance.get_runs() == []
    assert "postgres@" in repr(clean) and clean.postgres_url == url


def test_sections_naming_different_databases_are_refused(database, home):
    """headwater has one database: two sections pointing at two are an error naming both."""
    url = database[0]
    home(f"""\
        run_storage:
          module: headwater_postgres
          class: PostgresRunStorage
          config: {{postgres_url: "{url}"}}
        event_log_storage:
          module: headwater_postgres
          class: PostgresEventLogStorage
          config: {{postgres_url: "{url}_other"}}
    """)
    with pytest.raises(HeadwaterInvalidInvocationError, match="one database") as info:
        hw.HeadwaterInstance.get()
    assert "run_storage ->" in str(info.value) and "event_log_storage ->" in str(info.value)


@pytest.mark.parametrize(("section", "message"), [
    ("module: dagster_postgres.run_storage\n  class: PostgresRunStorage",
     r"cannot import 'dagster_postgres.run_storage' \(rename it to headwater_postgres.run_storage\)"),
    ("module: headwater_postgres\n  class: MySQLRunStorage",
     "headwater_postgres has no class 'MySQLRunStorage'"),
    ("module: headwater_postgres\n  class: PostgresRunStorage\n  config:\n    postgres_url: x\n"
     "    should_autocreate_tables: false", "should_autocreate_tables: headwater always creates"),
    ("module: headwater_postgres\n  class: PostgresRunStorage\n  config:\n"
     "    postgres_db: {username: u, hostnam: h}", "unknown field.s. hostnam"),
    ("module: headwater_postgres\n  class: PostgresRunStorage\n  config: {}",
     "exactly one of postgres_url or postgres_db"),
])
def test_yaml_mistakes_are_named(home, section, message):
    """Each mistake in a storage section names the section, the field and the fix."""
    home("run_storage:\n  " + section + "\n")
    with pytest.raises(HeadwaterInvalidInvocationError, match=message) as info:
        hw.HeadwaterInstance.get()
    assert "run_storage" in str(info.value)


def test_storage_and_split_sections_together_are_refused(home):
    home("""\
        storage: {postgres: {postgres_url: postgresql://x}}
        run_storage: {module: headwater_postgres, class: PostgresRunStorage}
    """)
    with pytest.raises(HeadwaterInvalidInvocationError, match="both `storage:` and `run_storage:`"):
        hw.HeadwaterInstance.get()


def test_a_url_that_is_not_postgres_is_refused():
    with pytest.raises(ValueError, match="PostgresRunStorage needs a PostgreSQL URL"):
        PostgresRunStorage("sqlite:///x.db")
