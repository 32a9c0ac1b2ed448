"""`pandera_schema_to_headwater_type`: a pandera schema (a `DataFrameSchema` or a
`DataFrameModel` class, for pandas or for polars) as a headwater type.

The type's check validates the value with the schema in lazy mode, so every failing column and
check is found in one pass, and a failure's description lists them (column, check, how many
values, a few of them), with the count (`num_failures`) and the first failure cases
(`failure_sample`) as metadata. The type's own metadata carries the table schema under
`schema`, so the UI shows the columns and constraints before anything runs.

Imports pandera (its pandas API; its polars API when polars is installed) and headwater's
public names.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pandera.pandas as pa_pandas
from pandera.errors import SchemaErrors

from headwater import (
    HeadwaterType,
    MetadataValue,
    TableColumn,
    TableRecord,
    TableSchema,
    TypeCheck,
)
from headwater_pandera.schema import column_name, table_schema

try:  # pandera's polars API needs polars, an optional dependency of headwater
    import pandera.polars as pa_polars
    import polars as pl
except ImportError:  # pragma: no cover - exercised only without polars
    pa_polars = None  # type: ignore[assignment]
    pl = None  # type: ignore[assignment]

FAILURE_SAMPLE_SIZE = 10
_LISTED_CASES = 5

#: The columns of the `failure_sample` table recorded when a value fails its schema.
PANDERA_FAILURE_CASES_SCHEMA = TableSchema(columns=[
    TableColumn("schema_context", "string",
                description="Where the check applies: Column, or DataFrameSchema for checks "
                            "of the whole frame."),
    TableColumn("column", "string", description="The column whose value failed, if any."),
    TableColumn("check", "string", description="The pandera check that failed."),
    TableColumn("check_number", "number", description="The check's position in its list."),
    TableColumn("failure_case", "string", description="The value that failed."),
    TableColumn("index", "string", description="The row of the value that failed."),
])

_anonymous_names: Iterator[str] = (f"HeadwaterPanderaDataframe{i}" for i in itertools.count(1))


def pandera_schema_to_headwater_type(schema: Any) -> HeadwaterType:
    """A headwater type that validates DataFrames with `schema`.

    `schema` is a pandera `DataFrameSchema` or `DataFrameModel` subclass, from
    `pandera.pandas` (values are pandas DataFrames) or `pandera.polars` (polars DataFrames;
    a LazyFrame is collected to be checked). The type is named after the schema's title, its
    name, or the model class (in that order), else `HeadwaterPanderaDataframe<n>`.
    """
    backend = _backend_of(schema)
    if backend is None:
        raise TypeError(
            "pandera_schema_to_headwater_type takes a pandera DataFrameSchema or a "
            f"DataFrameModel subclass (pandas or polars), got {schema!r}. Build one with "
            "pandera.pandas.DataFrameSchema({...}) or subclass pandera.pandas.DataFrameModel.")
    is_model = isinstance(schema, type)
    normalized = schema.to_schema() if is_model else schema
    frame_type = pd.DataFrame if backend == "pandas" else pl.DataFrame
    name = _name_of(schema, normalized, is_model)
    return HeadwaterType(
        type_check_fn=_type_check_fn(normalized, name, frame_type),
        name=name, description=normalized.description,
        metadata={"schema": MetadataValue.table_schema(table_schema(normalized))},
        typing_type=frame_type)


def _backend_of(schema: Any) -> str | None:
    if isinstance(schema, pa_pandas.DataFrameSchema) or (
            isinstance(schema, type) and issubclass(schema, pa_pandas.DataFrameModel)):
        return "pandas"
    if pa_polars is not None and (isinstance(schema, pa_polars.DataFrameSchema) or (
            isinstance(schema, type) and issubclass(schema, pa_polars.DataFrameModel))):
        return "polars"
    return None


def _name_of(schema: Any, normalized: Any, is_model: bool) -> str:
    if is_model:
        config = getattr(schema, "Config", None)
        return (getattr(config, "title", None) or getattr(config, "name", None)
                or schema.__name__)
    return normalized.title or normalized.name or next(_anonymous_names)


def _type_check_fn(schema: Any, name: str, frame_type: type
                   ) -> Callable[[Any, Any], TypeCheck]:
    def check(_context: Any, value: Any) -> TypeCheck:
        if pl is not None and frame_type is pl.DataFrame and isinstance(value, pl.LazyFrame):
            value = value.collect()
        if not isinstance(value, frame_type):
            return TypeCheck(
                success=False,
                description=f"Pandera schema '{name}' validates {frame_type.__module__}."
                            f"{frame_type.__name__} values, got {type(value).__name__}. Return "
                            "a DataFrame of that library.")
        try:
            schema.validate(value, lazy=True)  # lazy: collect every failure, not the first
        except SchemaErrors as errors:
            return _failed(name, _records(errors.failure_cases))
        return TypeCheck(success=True)

    return check


def _records(failure_cases: Any) -> list[dict[str, Any]]:
    if isinstance(failure_cases, pd.DataFrame):
        return failure_cases.to_dict("records")
    return list(failure_cases.to_dicts())  # a polars frame


def _failed(name: str, records: list[dict[str, Any]]) -> TypeCheck:
    # {(where, check): (what failed, the values or rows that failed)}
    groups: dict[tuple[str, str], tuple[str, list[Any]]] = {}
    for record in records:
        column, check = record.get("column"), str(record.get("check"))
        frame_wide = record.get("schema_context") == "DataFrameSchema"
        if frame_wide and _present(record.get("index")):
            # a check of whole rows: pandera lists each column of each failing row
            _, rows = groups.setdefault(("the DataFrame", check), ("row(s)", []))
            if record.get("index") not in rows:
                rows.append(record.get("index"))
            continue
        # frame-wide without a row (a missing column, a check that raised): the case says what
        where = "the DataFrame" if frame_wide or not _present(column) \
            else f"column '{column_name(column)}'"
        groups.setdefault((where, check), ("value(s)", []))[1].append(record.get("failure_case"))
    lines = [f"Pandera schema '{name}' rejected the DataFrame: {len(records)} failure case(s) "
             f"in {len(groups)} check(s)."]
    for (where, check), (kind, cases) in groups.items():
        shown = ", ".join(_text(c) for c in cases[:_LISTED_CASES])
        more = f" (and {len(cases) - _LISTED_CASES} more)" if len(cases) > _LISTED_CASES else ""
        lines.append(f"  - {where}: check {check} failed for {len(cases)} {kind}: "
                     f"{shown}{more}")
    sample = [TableRecord({key: _scalar(record.get(key)) for key in
                           (c.name for c in PANDERA_FAILURE_CASES_SCHEMA.columns)})
              for record in records[:FAILURE_SAMPLE_SIZE]]
    return TypeCheck(success=False, description="\n".join(lines), metadata={
        "num_failures": MetadataValue.int(len(records)),
        "failure_sample": MetadataValue.table(sample, schema=PANDERA_FAILURE_CASES_SCHEMA)})


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _text(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _scalar(value: Any) -> str | int | float | bool | None:
    """A failure-case field as a table cell: numbers stay numbers, missing is None."""
    if not _present(value):
        return None
    if isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return _scalar(value.item())
    return str(value)
