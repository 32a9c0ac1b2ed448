"""What went wrong with the instance database, in one sentence that names the fix.

Two things live here. `translate` turns a driver error (psycopg, sqlite3) into a
`HeadwaterStorageError` for the faults a user must fix outside headwater: a PostgreSQL
server that does not answer (`HeadwaterStorageUnavailableError`, which long-lived processes
wait out), an unknown database or role, refused credentials, a corrupt SQLite file, a
read-only home and a full disk. `database.create_engine` installs it on every engine
(`handle_error`, which SQLAlchemy calls for failed connects and failed statements alike), so
this is the one boundary where driver errors change into headwater errors; every other
driver error (a lock timeout, a constraint) passes through untouched.

`inspect_database` says what an existing database is before headwater creates, stamps or
migrates anything in it: empty, headwater's (at which revision, or a pre-alembic one), a
Dagster instance database, or another application's, recognised by the shape of its tables
and columns. `refusal` gives the error for the ones headwater must not touch.
Imports SQLAlchemy and `errors`; never imported at `import headwater`.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from headwater.errors import (
    HeadwaterError,
    HeadwaterInstanceMigrationRequired,
    HeadwaterInvalidInvocationError,
    HeadwaterStorageError,
    HeadwaterStorageUnavailableError,
)

# --- driver errors ------------------------------------------------------------------------

_UNREACHABLE = ("connection refused", "could not connect", "could not translate host name",
                "name or service not known", "timeout expired", "connection timed out",
                "server closed the connection", "no route to host", "network is unreachable",
                "terminating connection due to administrator command",
                "the database system is starting up", "the database system is shutting down",
                "connection is lost", "consuming input failed", "connection to server")
_READ_ONLY = ("attempt to write a readonly database", "unable to open database file",
              "read-only file system", "permission denied", "readonly database")
_CORRUPT = ("file is not a database", "database disk image is malformed")
_FULL = ("database or disk is full", "no space left on device", "disk full",
         "could not extend file")


def translate(exc: BaseException, url: str) -> HeadwaterStorageError | None:
    """The headwater error for a driver error `exc` on the database `url`, or None when it is
    not a fault of the database's surroundings (let it through unchanged)."""
    text = " ".join(str(exc).split())
    low = text.lower()
    reason = _reason(str(exc))
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_fault(low, text, parsed.database or "")
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    if any(s in low for s in _FULL) or getattr(exc, "sqlstate", None) == "53100":
        return HeadwaterStorageError(
            f"The PostgreSQL server at {where} has no space left on its disk ({reason}): "
            "free space on the server's data volume, then retry; runs that could not record "
            "their events are marked failed once it can write again.", kind="disk_full")
    missing = re.search(r'(database|role) "([^"]+)" does not exist', text)
    if missing:
        what, name = missing.groups()
        if what == "database":
            return HeadwaterStorageError(
                f'The PostgreSQL server at {where} has no database "{name}": create it '
                f"(`createdb -h {parsed.host or 'localhost'} -p {parsed.port or 5432} {name}`) "
                "or fix the database name in HEADWATER_DATABASE_URL / headwater.yaml.",
                kind="unknown_database")
        return HeadwaterStorageError(
            f'The PostgreSQL server at {where} has no role "{name}": create it '
            f"(`createuser -h {parsed.host or 'localhost'} -p {parsed.port or 5432} {name}`) "
            "or fix the user in HEADWATER_DATABASE_URL / headwater.yaml.", kind="unknown_role")
    if ("password authentication failed" in low or "no pg_hba.conf entry" in low
            or "authentication failed" in low or "no password supplied" in low):
        return HeadwaterStorageError(
            f"The PostgreSQL server at {where} refused user \"{parsed.username or ''}\" "
            f"({reason}): fix the user or password in HEADWATER_DATABASE_URL / "
            "headwater.yaml (or PGPASSWORD / ~/.pgpass), or allow the user in pg_hba.conf.",
            kind="auth")
    if any(s in low for s in _UNREACHABLE):
        return HeadwaterStorageUnavailableError(
            f"Cannot reach the PostgreSQL server at {where} ({reason}): is the server "
            f"running? Check with `pg_isready -h {parsed.host or 'localhost'} -p "
            f"{parsed.port or 5432}`, or fix the host and port in HEADWATER_DATABASE_URL / "
            "headwater.yaml.", kind="unreachable")
    return None


def _sqlite_fault(low: str, text: str, path: str) -> HeadwaterStorageError | None:
    path = os.path.abspath(path) if path and path != ":memory:" else path
    if any(s in low for s in _CORRUPT):
        return HeadwaterStorageError(
            f"The SQLite database {path} is damaged ({text}): move it aside (`mv {path} "
            f"{path}.broken`, with its -wal and -shm files) and headwater creates a new, empty "
            "one, or restore it from a backup.", kind="corrupt")
    if any(s in low for s in _FULL):
        return disk_full(path, text)
    if any(s in low for s in _READ_ONLY):
        return read_only(path, text)
    if "disk i/o error" in low:  # what SQLite says when its WAL or shm file cannot grow
        if _free_bytes(_existing_parent(path)) < _NEARLY_FULL:
            return disk_full(path, text)
        return HeadwaterStorageError(
            f"The disk holding the SQLite database {path} failed a read or write ({text}, "
            f"{_free(path)}): check the disk and its mount (`dmesg`, `df`), then retry.",
            kind="io")
    return None


_NEARLY_FULL = 1 << 20  # bytes: SQLite needs room for its WAL and shared-memory files


def _free_bytes(folder: str) -> float:
    try:
        return float(shutil.disk_usage(folder).free)
    except OSError:
        return float("inf")


def _free(path: str) -> str:
    free = _free_bytes(_existing_parent(path))
    return "free space unknown" if free == float("inf") else f"{free / 1e6:.1f} MB free"


def disk_full(path: str, reason: str) -> HeadwaterStorageError:
    folder = _existing_parent(path)
    return HeadwaterStorageError(
        f"The disk holding {folder} is full ({_free(path)}; {reason}): free space there or move "
        "HEADWATER_HOME to a larger disk, then retry; runs that could not record their events "
        "are marked failed once it can write again.", kind="disk_full")


def read_only(path: str, reason: str) -> HeadwaterStorageError:
    folder = _existing_parent(path)
    return HeadwaterStorageError(
        f"Cannot write the instance database {path} ({reason}): make {folder} and the files in it "
        "writable by this user (check `ls -ld` and the mount), or set HEADWATER_HOME to a "
        "writable directory.", kind="read_only")


def _existing_parent(path: str) -> str:
    folder = os.path.dirname(os.path.abspath(path)) if path else os.getcwd()
    while folder and not os.path.isdir(folder) and os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)
    return folder


def _reason(text: str) -> str:
    """The driver's reason: its first line, without the connection preamble."""
    lines = text.strip().splitlines() or [""]
    reason = lines[0].split(" failed: ", 1)[-1]
    return " ".join(reason.replace("FATAL:", "").split()).rstrip(".")


def install(engine: sa.Engine, url: str) -> None:
    """Translate this engine's driver faults (at connect and on every statement)."""

    @sa.event.listens_for(engine, "handle_error")
    def _handle(context: Any) -> None:
        nul = _nul_refusal(context)
        if nul is not None:
            raise nul from context.original_exception
        fault = translate(context.original_exception, url)
        if fault is not None:
            raise fault from context.original_exception


def _nul_refusal(context: Any) -> HeadwaterError | None:
    """PostgreSQL text cannot hold a NUL character, in a value written or in one searched for:
    the caller's input is at fault (not the database), so it is an invocation error naming
    the column it was meant for, and nothing was written."""
    if "nul (0x00)" not in str(context.original_exception).lower():
        return None
    params = context.parameters if isinstance(context.parameters, dict) else {}
    fields = sorted({re.sub(r"(_\d+)+$", "", name) for name, value in params.items()
                     if isinstance(value, str) and "\x00" in value})
    where = f" (in {', '.join(fields)})" if fields else ""
    return HeadwaterInvalidInvocationError(
        f"Text with a NUL character (\\x00){where} cannot be stored in or searched for in "
        "PostgreSQL: remove the character from the name, key, tag or value you passed.")


# --- what is this database? ---------------------------------------------------------------

_HEADWATER_RUNS = {"run_id", "job_name", "status", "run_config", "tags", "create_timestamp"}
_HEADWATER_EVENTS = {"run_id", "event_type", "body"}
_DAGSTER_MARKS = {("runs", "run_body"), ("runs", "pipeline_name"), ("runs", "snapshot_id"),
                  ("event_logs", "dagster_event_type"), ("event_logs", "event")}
_DAGSTER_TABLES = {"secondary_indexes", "snapshots", "job_ticks", "bulk_actions",
                   "asset_event_tags", "concurrency_slots", "instance_info"}


@dataclass(frozen=True)
class Found:
    """What a database holds: `kind` is empty, headwater, dagster or foreign; `version` the
    stamped alembic revision (None when there is none); `tables` the tables that decided it."""

    kind: str
    version: str | None
    tables: tuple[str, ...] = ()


def inspect_database(connection: sa.Connection, our_tables: set[str], version_table: str
                     ) -> Found:
    """Recognise the database behind `connection` by its tables and columns."""
    inspector = sa.inspect(connection)
    names = set(inspector.get_table_names())
    version = None
    if version_table in names:
        row = connection.execute(sa.text(f"SELECT version_num FROM {version_table}")).first()
        version = row[0] if row else None
    columns = {t: {c["name"] for c in inspector.get_columns(t)}
               for t in ("runs", "event_logs") if t in names}
    dagster = sorted(names & _DAGSTER_TABLES) + sorted(
        {t for t, c in _DAGSTER_MARKS if c in columns.get(t, set())})
    if dagster:
        return Found("dagster", version, tuple(dagster))
    ours = version is not None and re.fullmatch(r"\d{4}", str(version)) is not None
    shaped = (columns.get("runs", set()) >= _HEADWATER_RUNS
              and ("event_logs" not in columns or columns["event_logs"] >= _HEADWATER_EVENTS))
    if ours and (shaped or "runs" not in names):
        return Found("headwater", version)
    if version is None and "runs" in names and shaped:
        return Found("headwater", None)  # written before headwater stamped its databases
    clashing = names & (our_tables | {version_table})
    if not clashing:
        return Found("empty", None)
    return Found("foreign", version, tuple(sorted(clashing)))


def refusal(found: Found, where: str, ours: str) -> HeadwaterError | None:
    """The error for a database headwater must not create tables in, stamp or migrate
    (`where` is the URL without its password)."""
    if found.kind == "dagster":
        return HeadwaterStorageError(
            f"{where} is a Dagster instance database (it has {', '.join(found.tables)}): "
            "headwater cannot use it in place and does not import Dagster's run history; point "
            "HEADWATER_DATABASE_URL / headwater.yaml at a new, empty database (Dagster keeps "
            "this one).", kind="dagster")
    if found.kind == "foreign":
        stamp = f", alembic revision {found.version}" if found.version else ""
        return HeadwaterStorageError(
            f"{where} belongs to another application (it already has the tables "
            f"{', '.join(found.tables)}{stamp}, not in headwater's shape): headwater will not "
            "create, stamp or migrate tables there; point HEADWATER_DATABASE_URL / "
            "headwater.yaml at a database of its own.", kind="foreign")
    if found.kind == "headwater" and found.version is not None and found.version > ours:
        return HeadwaterInstanceMigrationRequired(
            f"The instance database {where} is at schema revision {found.version}, newer than "
            f"this headwater's {ours}: upgrade headwater to use it (`headwater instance "
            "migrate` cannot go back to an older schema).")
    return None
