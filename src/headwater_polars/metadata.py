"""What a polars IO manager records about each frame it stores.

An eager frame gets its column schema (`headwater/column_schema`), its row count
(`headwater/row_count`), a sample of rows (`table`), per-column statistics from
`DataFrame.describe()` (`stats`) and its estimated in-memory size (`estimated_size_mb`). A
lazy frame gets its column schema only: anything else would run the query a second time.

Definition metadata tunes this: `descriptions` ({column: text}) annotates the schema,
`n_rows` (default 5) or `fraction` sizes the sample. Imports polars and headwater's
public names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import polars as pl

from headwater import MetadataValue, TableColumn, TableRecord, TableSchema

ROW_COUNT = "headwater/row_count"
COLUMN_SCHEMA = "headwater/column_schema"


def column_schema(frame: pl.DataFrame | pl.LazyFrame,
                  descriptions: Mapping[str, str] | None = None) -> TableSchema:
    """The frame's columns as a TableSchema, each typed by its polars dtype."""
    descriptions = descriptions or {}
    return TableSchema(columns=[
        TableColumn(name=name, type=str(dtype), description=descriptions.get(name))
        for name, dtype in frame.collect_schema().items()
    ])


def _scalar(value: Any) -> str | int | float | bool | None:
    """A cell as a TableRecord can hold it: nested values as JSON, temporal ones as text."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (date, datetime, time, timedelta, bytes)):
        return str(value)
    if isinstance(value, (list, dict, tuple)):
        return json.dumps(value, default=str)
    return str(value)


def table_value(frame: pl.DataFrame, schema: TableSchema | None = None) -> Any:
    """The rows of an (already small) frame as a table metadata value."""
    records = [TableRecord({k: _scalar(v) for k, v in row.items()}) for row in frame.to_dicts()]
    return MetadataValue.table(records=records, schema=schema)


def _sample(frame: pl.DataFrame, n_rows: int | None, fraction: float | None) -> pl.DataFrame:
    if fraction is not None:
        return frame.sample(fraction=fraction, shuffle=True)
    if n_rows is None:
        return frame
    return frame.head(n_rows)


def polars_metadata(definition_metadata: Mapping[str, Any],
                    frame: pl.DataFrame | pl.LazyFrame) -> dict[str, Any]:
    """The metadata recorded for one stored frame (see the module docstring)."""
    schema = column_schema(frame, definition_metadata.get("descriptions"))
    metadata: dict[str, Any] = {COLUMN_SCHEMA: MetadataValue.table_schema(schema)}
    if isinstance(frame, pl.LazyFrame):
        return metadata
    sample = _sample(frame, definition_metadata.get("n_rows", 5),
                     definition_metadata.get("fraction"))
    metadata["table"] = table_value(sample, schema)
    if frame.width:
        metadata["stats"] = table_value(frame.describe())
    metadata[ROW_COUNT] = MetadataValue.int(frame.height)
    metadata["estimated_size_mb"] = MetadataValue.float(float(frame.estimated_size(unit="mb")))
    return metadata
