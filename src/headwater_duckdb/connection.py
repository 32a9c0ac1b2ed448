"""Opening a DuckDB file, waiting out another process's lock.

DuckDB lets one process at a time open a database file for writing; a second one gets an
IOException naming the process that holds the lock. `open_connection` retries that case on
the schedule Dagster's DuckDB integration uses (10 retries, 0.1 s doubling, about 100 s in
all), then raises `DuckDBLockError` naming the file, the holder and the fix. Other errors
(a missing directory, a corrupt file) are raised at once: waiting cannot fix them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import duckdb

#: Seconds to wait before each retry of a locked file. A module constant, so that a test (or a
#: deployment that prefers to fail fast) can shorten it.
LOCK_RETRY_DELAYS: tuple[float, ...] = tuple(0.1 * 2**i for i in range(10))
USER_AGENT = "headwater"


class DuckDBLockError(duckdb.IOException):
    """The database file stayed locked by another process through every retry. A subclass of
    duckdb.IOException, so code that caught DuckDB's own error still catches this one."""


def is_lock_conflict(exc: BaseException) -> bool:
    # matched on DuckDB's wording, not on "lock" alone: a path may contain that word
    message = str(exc).lower()
    return isinstance(exc, duckdb.IOException) and (
        "conflicting lock" in message or "could not set lock" in message)


def open_connection(database: str, connection_config: Mapping[str, Any] | None = None,
                    read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to `database`, retried while another process holds its lock."""
    config = {"custom_user_agent": USER_AGENT, **(connection_config or {})}
    delays = list(LOCK_RETRY_DELAYS)
    waited = 0.0
    while True:
        try:
            return duckdb.connect(database=database, read_only=read_only, config=config)
        except duckdb.IOException as exc:
            if not is_lock_conflict(exc):
                raise
            if not delays:
                raise DuckDBLockError(
                    f"DuckDB database {database!r} is locked by another process, still after "
                    f"{len(LOCK_RETRY_DELAYS)} retries over {waited:.2f}s. DuckDB said: {exc} "
                    "DuckDB lets one process at a time write a file: stop or wait for that "
                    "process (a notebook, a DuckDB shell, another run), or close its "
                    "connection, then re-run.") from exc
            delay = delays.pop(0)
            time.sleep(delay)
            waited += delay
