"""headwater_duckdb_pyspark: PySpark DataFrames stored as DuckDB tables, under the names of
Dagster's `dagster_duckdb_pyspark` (`DuckDBPySparkIOManager`, `DuckDBPySparkTypeHandler`,
`duckdb_pyspark_io_manager`). Needs the `headwater[duckdb-pyspark]` extra; imports pyspark,
pyarrow, duckdb and `headwater_duckdb`.
"""

from headwater._extras import needs_extra

with needs_extra("duckdb-pyspark", "headwater_duckdb_pyspark"):
    from headwater_duckdb_pyspark.handler import (
        DuckDBPySparkIOManager,
        DuckDBPySparkTypeHandler,
        duckdb_pyspark_io_manager,
    )

__all__ = ["DuckDBPySparkIOManager", "DuckDBPySparkTypeHandler", "duckdb_pyspark_io_manager"]
