"""`DuckDBResource`: a DuckDB connection for assets and ops that write their own SQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
from pydantic import Field

from headwater import ConfigurableResource
from headwater_duckdb.connection import open_connection


class DuckDBResource(ConfigurableResource):
    """Gives `get_connection()`, a context manager yielding a `duckdb.DuckDBPyConnection` to
    `database` and closing it afterwards.

    ```python
    @asset
    def trips(duckdb: DuckDBResource) -> None:
        with duckdb.get_connection() as conn:
            conn.execute("create or replace table trips as select * from 'trips.parquet'")
    ```
    """

    database: str = Field(
        description="Path of the DuckDB database file (created if missing), ':memory:' for a "
                    "database private to each connection, or any target duckdb.connect takes "
                    "('md:...').")
    schema_: str | None = Field(
        default=None, alias="schema",
        description="A schema to create if missing and make the connection's default, so that "
                    "unqualified table names land in it.")
    connection_config: dict[str, Any] = Field(
        default_factory=dict,
        description="DuckDB configuration options for the connection, e.g. {'threads': 2, "
                    "'memory_limit': '1GB'} (see DuckDB's configuration reference).")

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection, retried while another process holds the file's lock (about 100 s),
        then a DuckDBLockError naming the holder. Closed when the block ends."""
        connection = open_connection(self.database, self.connection_config)
        try:
            if self.schema_:
                connection.execute(f"create schema if not exists {self.schema_}").fetchall()
                connection.execute(f"set schema = '{self.schema_}'").fetchall()
            yield connection
        finally:
            connection.close()
