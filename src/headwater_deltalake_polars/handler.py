"""The polars type handler and the IO manager built on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
import pyarrow as pa

from headwater.definitions.config.db_io_manager import DbTypeHandler, TableSlice
from headwater_deltalake import (
    DeltalakeBaseArrowTypeHandler,
    DeltaLakeIOManager,
    DeltaLakePyArrowTypeHandler,
)
from headwater_deltalake.handler import dataset_slice
from headwater_deltalake.io_manager import TableConnection

PolarsTypes = pl.DataFrame | pl.LazyFrame


class DeltaLakePolarsTypeHandler(DeltalakeBaseArrowTypeHandler[PolarsTypes]):
    """Writes a polars DataFrame (a LazyFrame is collected first) as a Delta table and reads a
    slice back as a DataFrame, or as a LazyFrame scanning the slice's files when the input
    asks for one."""

    def from_arrow(self, obj: pa.RecordBatchReader, target_type: type) -> PolarsTypes:
        frame = pl.from_arrow(obj.read_all())
        assert isinstance(frame, pl.DataFrame)  # a table, not a single array, was given
        return frame.lazy() if target_type is pl.LazyFrame else frame

    def load_input(self, context: Any, table_slice: TableSlice,
                   connection: TableConnection) -> PolarsTypes:
        if getattr(context.headwater_type, "typing_type", None) is not pl.LazyFrame:
            return super().load_input(context, table_slice, connection)
        dataset = dataset_slice(context, table_slice._replace(columns=None), connection)
        frame = pl.scan_pyarrow_dataset(dataset)
        if table_slice.columns:
            unknown = [c for c in table_slice.columns if c not in dataset.schema.names]
            if unknown:
                raise ValueError(
                    f"Loading input '{context.name}': the Delta table at "
                    f"{connection.table_uri} has no column(s) {unknown}, which the input's "
                    f"'columns' metadata asks for. Its columns are {dataset.schema.names}.")
            frame = frame.select(list(table_slice.columns))
        return frame

    def to_arrow(self, obj: PolarsTypes) -> tuple[pa.RecordBatchReader, dict[str, Any]]:
        frame = obj.collect() if isinstance(obj, pl.LazyFrame) else obj
        return frame.to_arrow().to_reader(), {}

    @property
    def supported_types(self) -> Sequence[type]:
        return [pl.DataFrame, pl.LazyFrame]


class DeltaLakePolarsIOManager(DeltaLakeIOManager):
    """Stores polars frames (and PyArrow tables) as Delta tables:
    `DeltaLakePolarsIOManager(root_uri="path/to/tables", storage_options=LocalConfig())`.
    An input without annotation is read as a polars DataFrame."""

    @staticmethod
    def type_handlers() -> Sequence[DbTypeHandler]:
        return [DeltaLakePolarsTypeHandler(), DeltaLakePyArrowTypeHandler()]

    @staticmethod
    def default_load_type() -> type | None:
        return pl.DataFrame
