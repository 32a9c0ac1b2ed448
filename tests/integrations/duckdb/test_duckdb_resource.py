"""DuckDBResource in assets, and a database file locked by another process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import headwater_duckdb.connection
from headwater import EnvVar, asset, materialize
from headwater_duckdb import DuckDBLockError, DuckDBResource
from headwater_duckdb_pandas import DuckDBPandasIOManager


def test_resource_in_an_asset_as_dagster_university_uses_it(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch):
    """`database=EnvVar(...)`, `get_connection()` as a context manager, plain SQL."""
    db = tmp_path / "taxi.duckdb"
    monkeypatch.setenv("DUCKDB_DATABASE", str(db))

    @asset
    def trips(database: DuckDBResource) -> None:
        with database.get_connection() as conn:
            conn.execute("create or replace table trips as (select range as id from range(3))")

    @asset(deps=[trips])
    def trip_count(database: DuckDBResource) -> None:
        with database.get_connection() as conn:
            count = conn.execute("select count(*) from trips").fetchone()[0]
            conn.execute(f"create or replace table trip_count as select {count} as n")

    result = materialize([trips, trip_count],
                         resources={"database": DuckDBResource(database=EnvVar("DUCKDB_DATABASE"))})
    assert result.success
    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute("select n from trip_count").fetchall() == [(3,)]


def test_schema_becomes_the_default_and_connection_config_applies(tmp_path: Path):
    """`schema=` is created and made the default schema; `connection_config` sets options."""
    resource = DuckDBResource(database=str(tmp_path / "s.duckdb"), schema="staging",
                              connection_config={"threads": 1})
    with resource.get_connection() as conn:
        conn.execute("create table t as select 1 as x")
        assert conn.execute("select current_setting('threads')").fetchone()[0] == 1
    with duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True) as conn:
        assert conn.execute("select x from staging.t").fetchall() == [(1,)]


@pytest.fixture
def locker(tmp_path: Path) -> Iterator[callable]:
    """Starts `python -c` processes that open a DuckDB file read-write, then sleep."""
    started: list[subprocess.Popen] = []

    def start(path: Path, seconds: float = 60) -> subprocess.Popen:
        code = textwrap.dedent(f"""
            import duckdb, sys, time
            conn = duckdb.connect({str(path)!r})
            print("locked", flush=True)
            time.sleep({seconds})
        """)
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        started.append(proc)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        return proc

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


def test_a_lock_held_by_another_process_fails_clearly_after_retries(
        tmp_path: Path, locker, monkeypatch: pytest.MonkeyPatch):
    """After the retries, DuckDBLockError names the file, the holder's PID and the fix."""
    monkeypatch.setattr(headwater_duckdb.connection, "LOCK_RETRY_DELAYS", (0.05, 0.05, 0.05))
    db = tmp_path / "busy.duckdb"
    holder = locker(db)
    expected = (rf"(?s)DuckDB database '{db}' is locked by another process, still after 3 "
                rf"retries over 0.15s.*PID {holder.pid}.*stop or wait for that process")
    with pytest.raises(DuckDBLockError, match=expected), \
            DuckDBResource(database=str(db)).get_connection():
        pass


def test_a_lock_released_during_the_retries_is_waited_out(tmp_path: Path, locker,
                                                          monkeypatch: pytest.MonkeyPatch):
    """A process that lets go of the file within the retries does not fail the connection."""
    monkeypatch.setattr(headwater_duckdb.connection, "LOCK_RETRY_DELAYS", (0.25,) * 20)
    db = tmp_path / "briefly.duckdb"
    locker(db, seconds=1)
    with DuckDBResource(database=str(db)).get_connection() as conn:
        assert conn.execute("select 42").fetchone() == (42,)


def test_a_locked_file_fails_the_step_and_keeps_the_stored_table(tmp_path: Path, locker,
                                                               monkeypatch: pytest.MonkeyPatch):
    """The IO manager's write fails the step with the lock error; the table stored by the
    earlier run is intact once the other process is gone."""
    monkeypatch.setattr(headwater_duckdb.connection, "LOCK_RETRY_DELAYS", (0.05, 0.05))
    db = tmp_path / "kept.duckdb"
    values = iter([[1, 2, 3], [9]])

    @asset
    def numbers() -> pd.DataFrame:
        return pd.DataFrame({"n": next(values)})

    io = DuckDBPandasIOManager(database=str(db))
    assert materialize([numbers], resources={"io_manager": io}).success
    holder = locker(db)
    result = materialize([numbers], resources={"io_manager": io}, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    error, messages = failure.event_specific_data.error, []
    while error is not None:  # the handle_output error, caused by the lock error
        messages.append(error.message)
        error = error.cause
    message = "\n".join(messages)
    assert f"DuckDB database '{db}' is locked by another process" in message
    assert f"PID {holder.pid}" in message
    holder.kill()
    holder.wait()
    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute("select n from public.numbers order by n").fetchall() == [(1,), (2,), (3,)]


def test_errors_other_than_a_lock_are_not_retried(tmp_path: Path):
    """A path in a missing directory fails at once with DuckDB's own error."""
    resource = DuckDBResource(database=str(tmp_path / "missing" / "x.duckdb"))
    with pytest.raises(duckdb.IOException, match="No such file or directory") as info, \
            resource.get_connection():
        pass
    assert not isinstance(info.value, DuckDBLockError)
