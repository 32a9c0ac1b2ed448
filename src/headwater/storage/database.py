"""Opening the instance database: one SQLAlchemy engine per URL, its schema version, migrations.

SQLite connections run in WAL mode with a busy timeout, and every write transaction starts
with `BEGIN IMMEDIATE`, so that concurrent writer processes queue on the lock instead of
failing with "database is locked" when a reader upgrades. A new database is created at the
head revision in one transaction (and stamped in `alembic_version`); an existing one must be
at that revision, or opening it raises `HeadwaterInstanceMigrationRequired` naming the command
that upgrades it. Migrations are alembic's, from `storage/migrations/` (env.py) and
`storage/revisions/`. Imports SQLAlchemy (alembic only when migrating); never imported at
`import headwater`.
"""

from __future__ import annotations

import errno
import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from headwater._extras import needs_extra
from headwater.errors import HeadwaterInstanceMigrationRequired, HeadwaterInvalidInvocationError
from headwater.storage import faults, schema

BUSY_TIMEOUT_MS = 60_000
SQLITE_POOL_SIZE = 20  # connections kept open per engine (a file database)
SQLITE_POOL_OVERFLOW = 40  # more opened when that many threads read at once, closed after
_HERE = os.path.dirname(os.path.abspath(__file__))
MIGRATIONS_DIR = os.path.join(_HERE, "migrations")
REVISIONS_DIR = os.path.join(_HERE, "revisions")


def normalize_url(url: str) -> str:
    """Pick the drivers headwater ships with: psycopg 3 for PostgreSQL."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def create_engine(url: str) -> sa.Engine:
    """An engine for a `sqlite:///...` or `postgresql://...` URL, tuned for the instance."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = _sqlite_engine(url)
    elif url.startswith("postgresql"):
        with needs_extra("postgres", "PostgreSQL storage"):  # SQLAlchemy imports psycopg here
            engine = sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    else:
        raise _unsupported(url)
    faults.install(engine, url)
    return engine


def _unsupported(url: str) -> HeadwaterInvalidInvocationError:
    return HeadwaterInvalidInvocationError(
        f"storage URL {url!r} is not supported: use sqlite:///path/to/headwater.db or "
        "postgresql://user@host:5432/dbname."
    )


def _sqlite_engine(url: str) -> sa.Engine:
    path = sa.engine.make_url(url).database
    if path and path != ":memory:":
        try:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        except OSError as exc:
            reason = f"cannot create its directory: {exc.strerror}"
            raise (faults.disk_full(path, reason) if exc.errno == errno.ENOSPC
                   else faults.read_only(path, reason)) from exc
    # A connection per thread that reads at once, kept open: the webserver's threadpool runs
    # up to 40 requests at a time, and SQLAlchemy's default (5 kept, 10 more opened and closed
    # again per use) made most requests under load wait for a connection or open a new one
    # (connect, WAL and busy-timeout pragmas).
    pooling = ({"pool_size": SQLITE_POOL_SIZE, "max_overflow": SQLITE_POOL_OVERFLOW}
               if path and path != ":memory:" else {})
    engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000},
                              **pooling)

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver must not open transactions itself: `_begin` below does, IMMEDIATE for writes.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        write = connection.get_execution_options().get("headwater_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def dialect_module(connection: sa.Connection) -> Any:
    """SQLAlchemy's package for the connection's dialect (`sqlalchemy.dialects.sqlite` or
    `.postgresql`: its INSERT ... ON CONFLICT and its types). The engine has imported it
    already; naming it at import time instead would cost every SQLite process (a run
    worker above all) PostgreSQL's modules, which import those of its async drivers."""
    return importlib.import_module(f"sqlalchemy.dialects.{connection.dialect.name}")


@contextmanager
def write_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A short write transaction (holding SQLite's write lock from its first statement)."""
    with engine.connect() as connection:
        connection.execution_options(headwater_write=True)
        with connection.begin():
            yield connection


def current_version(engine: sa.Engine) -> str | None:
    """The revision stamped in the database, None for a database without headwater tables."""
    with engine.connect() as connection:
        return _version(connection)


def _version(connection: sa.Connection) -> str | None:
    if not sa.inspect(connection).has_table(schema.VERSION_TABLE):
        return None
    row = connection.execute(sa.text(f"SELECT version_num FROM {schema.VERSION_TABLE}")).first()
    return row[0] if row else None


def inspect(engine: sa.Engine) -> faults.Found:
    """What the database is: empty, headwater's (and its revision), Dagster's or foreign."""
    with engine.connect() as connection:
        return _inspect(connection)


def _inspect(connection: sa.Connection) -> faults.Found:
    return faults.inspect_database(connection, set(schema.metadata.tables), schema.VERSION_TABLE)


def ensure_schema(engine: sa.Engine, url: str) -> None:
    """Create a new database at head; refuse one at another revision, or one that is not
    headwater's, with the fix."""
    version = current_version(engine)
    if version == schema.SCHEMA_VERSION:
        return
    with write_transaction(engine) as connection:
        _lock_for_ddl(connection)
        found = _inspect(connection)
        refused = faults.refusal(found, redact(url), schema.SCHEMA_VERSION)
        if refused is not None:
            raise refused
        if found.kind == "empty":
            schema.metadata.create_all(connection)
            _version_table().create(connection, checkfirst=True)
            connection.execute(sa.text(
                f"INSERT INTO {schema.VERSION_TABLE} (version_num) VALUES (:v)"
            ), {"v": schema.SCHEMA_VERSION})
            return
        if found.version != schema.SCHEMA_VERSION:
            raise HeadwaterInstanceMigrationRequired(_message(url, found.version or "(unversioned)"))


def _message(url: str, version: str) -> str:
    return (
        f"The instance database {redact(url)} is at schema revision {version}, older than this "
        f"headwater's {schema.SCHEMA_VERSION}: run `headwater instance migrate` (with the same "
        "HEADWATER_HOME / HEADWATER_DATABASE_URL) to upgrade it."
    )


def _version_table() -> sa.Table:
    return sa.Table(schema.VERSION_TABLE, sa.MetaData(),
                    sa.Column("version_num", sa.String(32), primary_key=True))


def _lock_for_ddl(connection: sa.Connection) -> None:
    """Serialize schema creation across processes (SQLite's IMMEDIATE transaction already does)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(726345001)"))


def alembic_config(connection: sa.Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("path_separator", "os")  # paths may contain spaces or commas
    config.set_main_option("script_location", MIGRATIONS_DIR)
    config.set_main_option("version_locations", REVISIONS_DIR)
    config.attributes["connection"] = connection
    return config


def migrate(engine: sa.Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Upgrade (or, with an older `revision`, downgrade) the database; returns (before, after)."""
    from alembic import command

    url = engine.url.render_as_string(hide_password=True)
    with engine.begin() as connection:
        _lock_for_ddl(connection)
        found = _inspect(connection)
        refused = faults.refusal(found, url, schema.SCHEMA_VERSION)
        if refused is not None:
            raise refused
        before = found.version
        if before is None and found.kind == "headwater":  # from before headwater stamped
            command.stamp(alembic_config(connection), "0001")
            before = "0001"
        config = alembic_config(connection)
        if before is not None and revision != "head" and revision < before:
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)
        after = _version(connection)
    return before, after


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    with sa.create_engine("sqlite://").connect() as connection:
        head = ScriptDirectory.from_config(alembic_config(connection)).get_current_head()
    return str(head)


def redact(url: str) -> str:
    """The URL without its password, for messages and `headwater instance info`."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url
