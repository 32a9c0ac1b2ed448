"""The polars type handler and the IO manager built on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
import pyarrow as pa

from headwater.definitions.config.db_io_manager import DbTypeHandler
from headwater_deltalake import (
    DeltalakeBaseArrowTypeHandler,
    DeltaLakeIOManager,
    DeltaLakePyArrowTypeHandler,
)

PolarsTypes = pl.DataFrame | pl.LazyFrame


class DeltaLakePolarsTypeHandler(DeltalakeBaseArrowTypeHandler[PolarsTypes]):
    """Writes a polars DataFrame (a LazyFrame is collected first) as a Delta table and reads a
    slice back as a DataFrame, or as a LazyFrame over the rows read when the input asks for
    one."""

    def from_arrow(self, obj: pa.RecordBatchReader, target_type: type) -> PolarsTypes:
        frame = pl.from_arrow(obj.read_all())
        assert isinstance(frame, pl.DataFrame)  # a table, not a single array, was given
        return frame.lazy() if target_type is pl.LazyFrame else frame

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
