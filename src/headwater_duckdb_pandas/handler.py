"""The pandas type handler and the IO managers built on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from headwater.definitions.config.db_io_manager import DbTypeHandler, TableSlice
from headwater_duckdb import DuckDBIOManager, build_duckdb_io_manager
from headwater_duckdb.io_manager import read_slice, slice_metadata, write_slice


class DuckDBPandasTypeHandler(DbTypeHandler[pd.DataFrame]):
    """Writes a pandas DataFrame into a DuckDB table and reads a table slice as one."""

    def handle_output(self, context: Any, table_slice: TableSlice, obj: pd.DataFrame,
                      connection: Any) -> dict[str, Any]:
        write_slice(context, table_slice, obj, connection)
        return slice_metadata(context, table_slice, len(obj), connection)

    def load_input(self, context: Any, table_slice: TableSlice, connection: Any) -> pd.DataFrame:
        return read_slice(context, table_slice, connection).df()

    @property
    def supported_types(self) -> Sequence[type]:
        return [pd.DataFrame]


class DuckDBPandasIOManager(DuckDBIOManager):
    """Stores pandas DataFrames as DuckDB tables: `DuckDBPandasIOManager(database="my.duckdb")`,
    optionally with `schema=` and `connection_config=`."""

    @staticmethod
    def type_handlers() -> Sequence[DbTypeHandler]:
        return [DuckDBPandasTypeHandler()]

    @staticmethod
    def default_load_type() -> type | None:
        return pd.DataFrame


#: The same as an `@io_manager` definition: `duckdb_pandas_io_manager.configured({"database": ...})`.
duckdb_pandas_io_manager = build_duckdb_io_manager([DuckDBPandasTypeHandler()],
                                                   default_load_type=pd.DataFrame)
