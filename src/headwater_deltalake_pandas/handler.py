"""The pandas type handler and the IO manager built on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import pyarrow as pa

from headwater.definitions.config.db_io_manager import DbTypeHandler
from headwater_deltalake import (
    DeltalakeBaseArrowTypeHandler,
    DeltaLakeIOManager,
    DeltaLakePyArrowTypeHandler,
)


class DeltaLakePandasTypeHandler(DeltalakeBaseArrowTypeHandler[pd.DataFrame]):
    """Writes a pandas DataFrame as a Delta table (its index is not stored) and reads a slice
    back as one."""

    def from_arrow(self, obj: pa.RecordBatchReader, target_type: type) -> pd.DataFrame:
        return obj.read_pandas()

    def to_arrow(self, obj: pd.DataFrame) -> tuple[pa.RecordBatchReader, dict[str, Any]]:
        return pa.Table.from_pandas(obj, preserve_index=False).to_reader(), {}

    @property
    def supported_types(self) -> Sequence[type]:
        return [pd.DataFrame]


class DeltaLakePandasIOManager(DeltaLakeIOManager):
    """Stores pandas DataFrames (and PyArrow tables) as Delta tables:
    `DeltaLakePandasIOManager(root_uri="path/to/tables", storage_options=LocalConfig())`.
    An input without annotation is read as a pandas DataFrame."""

    @staticmethod
    def type_handlers() -> Sequence[DbTypeHandler]:
        return [DeltaLakePandasTypeHandler(), DeltaLakePyArrowTypeHandler()]

    @staticmethod
    def default_load_type() -> type | None:
        return pd.DataFrame
