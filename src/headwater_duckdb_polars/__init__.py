"""headwater_duckdb_polars: polars DataFrames (and LazyFrames) stored as DuckDB tables, under
the names of Dagster's `dagster_duckdb_polars` (`DuckDBPolarsIOManager`,
`DuckDBPolarsTypeHandler`, `duckdb_polars_io_manager`). Needs the `headwater[duckdb-polars]`
extra; imports polars, duckdb and `headwater_duckdb`.
"""

from headwater._extras import needs_extra

with needs_extra("duckdb-polars", "headwater_duckdb_polars"):
    from headwater_duckdb_polars.handler import (
        DuckDBPolarsIOManager,
        DuckDBPolarsTypeHandler,
        duckdb_polars_io_manager,
    )

__all__ = ["DuckDBPolarsIOManager", "DuckDBPolarsTypeHandler", "duckdb_polars_io_manager"]
