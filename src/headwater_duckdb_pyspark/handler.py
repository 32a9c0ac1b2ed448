"""The PySpark type handler and the IO managers built on it. Rows travel between Spark and
DuckDB as Arrow tables through the driver: this suits tables that fit in the driver's
memory, as DuckDB itself runs in one process."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession

from headwater.definitions.config.db_io_manager import DbTypeHandler, TableSlice
from headwater_duckdb import DuckDBIOManager, build_duckdb_io_manager
from headwater_duckdb.io_manager import read_slice, slice_metadata, write_slice


def _to_arrow(frame: DataFrame) -> pa.Table:
    if hasattr(frame, "toArrow"):  # Spark 4
        return frame.toArrow()
    return pa.Table.from_pandas(frame.toPandas(), preserve_index=False)


class DuckDBPySparkTypeHandler(DbTypeHandler[DataFrame]):
    """Writes a PySpark DataFrame into a DuckDB table, and reads a table slice as a PySpark
    DataFrame of the active SparkSession (one is started if there is none)."""

    def handle_output(self, context: Any, table_slice: TableSlice, obj: DataFrame,
                      connection: Any) -> dict[str, Any]:
        table = _to_arrow(obj)
        write_slice(context, table_slice, table, connection)
        return slice_metadata(context, table_slice, table.num_rows, connection)

    def load_input(self, context: Any, table_slice: TableSlice, connection: Any) -> DataFrame:
        relation = read_slice(context, table_slice, connection)
        # duckdb 2 names it to_arrow_table (and deprecates fetch_arrow_table); duckdb 1 arrow
        table = relation.to_arrow_table() if hasattr(relation, "to_arrow_table") \
            else relation.arrow()
        spark = SparkSession.builder.getOrCreate()
        try:
            return spark.createDataFrame(table)
        except TypeError:  # Spark 3 takes pandas, not Arrow
            return spark.createDataFrame(table.to_pandas())

    @property
    def supported_types(self) -> Sequence[type]:
        return [DataFrame]


class DuckDBPySparkIOManager(DuckDBIOManager):
    """Stores PySpark DataFrames as DuckDB tables:
    `DuckDBPySparkIOManager(database="my.duckdb")`, optionally with `schema=` and
    `connection_config=`."""

    @staticmethod
    def type_handlers() -> Sequence[DbTypeHandler]:
        return [DuckDBPySparkTypeHandler()]

    @staticmethod
    def default_load_type() -> type | None:
        return DataFrame


#: The same as an `@io_manager` definition: `duckdb_pyspark_io_manager.configured({"database": ...})`.
duckdb_pyspark_io_manager = build_duckdb_io_manager([DuckDBPySparkTypeHandler()],
                                                    default_load_type=DataFrame)
