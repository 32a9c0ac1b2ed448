"""headwater_duckdb_pandas: pandas DataFrames stored as DuckDB tables, under the names of
Dagster's `dagster_duckdb_pandas` (`DuckDBPandasIOManager`, `DuckDBPandasTypeHandler`,
`duckdb_pandas_io_manager`). Needs the `headwater[duckdb]` extra; imports pandas, duckdb and
`headwater_duckdb`.
"""

from headwater_duckdb_pandas.handler import (
    DuckDBPandasIOManager,
    DuckDBPandasTypeHandler,
    duckdb_pandas_io_manager,
)

__all__ = ["DuckDBPandasIOManager", "DuckDBPandasTypeHandler", "duckdb_pandas_io_manager"]
