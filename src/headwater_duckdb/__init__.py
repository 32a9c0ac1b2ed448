"""headwater_duckdb: DuckDB for headwater, under the names Dagster's `dagster_duckdb` has.

- `DuckDBResource` (resource.py): a connection for code that writes its own SQL.
- `DuckDBIOManager`, `build_duckdb_io_manager`, `DuckDbClient` (io_manager.py): assets stored
  as DuckDB tables through the database IO manager of headwater's core
  (`headwater.definitions.config.db_io_manager`); the type handlers for pandas, polars and
  PySpark live in `headwater_duckdb_pandas`, `headwater_duckdb_polars`, `headwater_duckdb_pyspark`.
- connection.py: opening a file, retried while another process holds its lock.

Needs the `headwater[duckdb]` extra. Imports duckdb and pydantic, headwater's public names,
and the core's db_io_manager module; `import headwater` never imports this package.
"""

from headwater._extras import needs_extra

with needs_extra("duckdb", "headwater_duckdb"):
    from headwater.definitions.config.db_io_manager import DbTypeHandler
    from headwater_duckdb.connection import DuckDBLockError
    from headwater_duckdb.io_manager import DuckDbClient, DuckDBIOManager, build_duckdb_io_manager
    from headwater_duckdb.resource import DuckDBResource

__all__ = ["DbTypeHandler", "DuckDBIOManager", "DuckDBLockError", "DuckDBResource",
           "DuckDbClient", "build_duckdb_io_manager"]
