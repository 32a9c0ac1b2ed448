"""Storage fixtures: the same instance API over memory, SQLite and PostgreSQL.

PostgreSQL tests need `HEADWATER_TEST_POSTGRES_URL` (e.g. postgresql://postgres@127.0.0.1:5432/test);
each test gets a database of its own, created through the server's `postgres` maintenance
database and dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from headwater import HeadwaterInstance

POSTGRES_ENV = "HEADWATER_TEST_POSTGRES_URL"
SKIP_REASON = f"{POSTGRES_ENV} is not set: export it (e.g. postgresql://postgres@127.0.0.1:5432/test)"


@contextmanager
def postgres_database() -> Iterator[str]:
    """The URL of a fresh, uniquely named PostgreSQL database, dropped on exit."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(SKIP_REASON)
    import sqlalchemy as sa

    from headwater.storage.database import normalize_url

    url = sa.engine.make_url(normalize_url(base))
    name = f"headwater_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def instance(request: pytest.FixtureRequest, tmp_path) -> Iterator[HeadwaterInstance]:
    """A fresh instance on each storage."""
    if request.param == "memory":
        with HeadwaterInstance.ephemeral(tempdir=str(tmp_path)) as memory:
            yield memory
    elif request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/headwater.db"
        with HeadwaterInstance.from_url(url, str(tmp_path)) as sqlite:
            yield sqlite
    else:
        with postgres_database() as url, HeadwaterInstance.from_url(url, str(tmp_path)) as pg:
            yield pg


@pytest.fixture
def sql_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A fresh SQLite URL (parametrize indirectly with "postgres" for a fresh database)."""
    if getattr(request, "param", "sqlite") == "postgres":
        with postgres_database() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path}/headwater.db"
