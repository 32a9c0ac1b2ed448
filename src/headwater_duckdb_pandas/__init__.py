"""headwater_duckdb_pandas: pandas DataFrames stored as DuckDB tables, under the names of
Dagster's `dagster_duckdb_pandas` (`DuckDBPandasIOManager`, `DuckDBPandasTypeHandler`,
`duckdb_pandas_io_manager`). Needs the `headwater[duckdb-pandas]` extra; imports pandas, duckdb and
`headwater_duckdb`.
"""

from headwater._extras import needs_extra

with needs_extra("duckdb-pandas", "headwater_duckdb_pandas"):
    from headwater_duckdb_pandas.handler import (
        DuckDBPandasIOManager,
        DuckDBPandasTypeHandler,
        duckdb_pandas_io_manager,
    )

__all__ = ["DuckDBPandasIOManager", "DuckDBPandasTypeHandler", "duckdb_pandas_io_manager"]
