"""The polars type handler and the IO managers built on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from headwater.definitions.config.db_io_manager import DbTypeHandler, TableSlice
from headwater_duckdb import DuckDBIOManager, build_duckdb_io_manager
from headwater_duckdb.io_manager import read_slice, slice_metadata, write_slice


class DuckDBPolarsTypeHandler(DbTypeHandler[Any]):
    """Writes a polars DataFrame (a LazyFrame is collected first) into a DuckDB table, and
    reads a table slice as a DataFrame, or as a LazyFrame for an input annotated so."""

    def handle_output(self, context: Any, table_slice: TableSlice, obj: Any,
                      connection: Any) -> dict[str, Any]:
        frame = obj.collect() if isinstance(obj, pl.LazyFrame) else obj
        write_slice(context, table_slice, frame.to_arrow(), connection)
        return slice_metadata(context, table_slice, frame.height, connection)

    def load_input(self, context: Any, table_slice: TableSlice, connection: Any) -> Any:
        frame = read_slice(context, table_slice, connection).pl()
        wanted = getattr(context.headwater_type, "typing_type", None)
        return frame.lazy() if wanted is pl.LazyFrame else frame

    @property
    def supported_types(self) -> Sequence[type]:
        return [pl.DataFrame, pl.LazyFrame]


class DuckDBPolarsIOManager(DuckDBIOManager):
    """Stores polars DataFrames as DuckDB tables: `DuckDBPolarsIOManager(database="my.duckdb")`,
    optionally with `schema=` and `connection_config=`."""

    @staticmethod
    def type_handlers() -> Sequence[DbTypeHandler]:
        return [DuckDBPolarsTypeHandler()]

    @staticmethod
    def default_load_type() -> type | None:
        return pl.DataFrame


#: The same as an `@io_manager` definition: `duckdb_polars_io_manager.configured({"database": ...})`.
duckdb_polars_io_manager = build_duckdb_io_manager([DuckDBPolarsTypeHandler()],
                                                   default_load_type=pl.DataFrame)
