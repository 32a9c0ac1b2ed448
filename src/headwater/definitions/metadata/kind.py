"""`MetadataValue` and its kinds: the typed values attached to assets, outputs and events.

`MetadataValue`'s static methods (`MetadataValue.text`, `.int`, `.table`, `.asset` ...) build
the concrete kinds and refuse a wrong type with a message naming the constructor; each kind is
a small frozen dataclass with a `.value`. They live in one module because the base class
builds every kind and every kind subclasses the base. Turning a user's raw dict into these
values is `normalize_metadata`, in `value.py`; the table description objects the table kinds
carry (`TableSchema`, `TableRecord`, column lineage ...) are in `table.py`.

Imports only the stdlib, `headwater.errors`, `headwater.definitions.key` and `table.py`.
"""

from __future__ import annotations

import builtins
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from headwater.definitions.key import AssetKey
from headwater.definitions.metadata.table import (
    TableColumn,
    TableColumnLineage,
    TableRecord,
    TableSchema,
    infer_column_type,
    type_name,
)
from headwater.errors import HeadwaterInvalidMetadata

__all__ = [
    "AssetMetadataValue",
    "BoolMetadataValue",
    "FloatMetadataValue",
    "HeadwaterAssetMetadataValue",
    "HeadwaterJobMetadataValue",
    "HeadwaterRunMetadataValue",
    "IntMetadataValue",
    "JobMetadataValue",
    "JsonMetadataValue",
    "MarkdownMetadataValue",
    "MetadataValue",
    "NotebookMetadataValue",
    "NullMetadataValue",
    "PathMetadataValue",
    "PoolMetadataValue",
    "PythonArtifactMetadataValue",
    "TableColumnLineageMetadataValue",
    "TableMetadataValue",
    "TableSchemaMetadataValue",
    "TextMetadataValue",
    "TimestampMetadataValue",
    "UrlMetadataValue",
]


def _json_roundtrip(data: Any, what: str) -> Any:
    # A round trip makes the stored value exactly what a reader gets back:
    # tuples become lists and non-string keys become strings, as in JSON.
    try:
        return json.loads(json.dumps(data))
    except (TypeError, ValueError) as exc:
        raise HeadwaterInvalidMetadata(
            f"{what} is not JSON serializable ({exc}). Convert it to plain dicts, lists, "
            "strings and numbers first, or use MetadataValue.text(str(value))."
        ) from exc


class MetadataValue:
    """Base of every metadata value; its static methods build the concrete kinds.

    ``MetadataValue.text("hi")``, ``MetadataValue.int(3)``, ``MetadataValue.path("/x")`` ...
    Each kind has a ``.value``: the plain Python value it wraps (or itself, for
    structured kinds such as tables and jobs). Metadata goes on definitions
    (`@asset(metadata=...)`) and on what a run records (`MaterializeResult(metadata=...)`,
    `context.add_output_metadata`); plain values there are converted (str to text, int to
    int, dict to json, ...), anything else raises HeadwaterInvalidMetadata naming the key
    and the constructor to use. A constructor given the wrong type raises the same way.

    Example:
        ```python
        from headwater import MaterializeResult, MetadataValue, asset, materialize

        @asset
        def orders() -> MaterializeResult:
            return MaterializeResult(metadata={
                "row_count": MetadataValue.int(120),
                "dashboard": MetadataValue.url("https://bi.example.com/orders"),
                "source": "nightly export",  # plain str: becomes MetadataValue.text
            })

        result = materialize([orders])
        recorded = result.asset_materializations_for_node("orders")[0].metadata
        assert recorded["row_count"].value == 120
        assert recorded["source"] == MetadataValue.text("nightly export")
        ```
    """

    __slots__ = ()

    if TYPE_CHECKING:

        @property
        def value(self) -> Any: ...

    @staticmethod
    def text(text: builtins.str) -> TextMetadataValue:
        """Plain text."""
        if not isinstance(text, builtins.str):
            raise HeadwaterInvalidMetadata(_wrong("text", "text", "a str", text))
        return TextMetadataValue(text)

    @staticmethod
    def int(value: builtins.int) -> IntMetadataValue:
        """An integer (bools are accepted, as they are ints)."""
        if not isinstance(value, builtins.int):
            raise HeadwaterInvalidMetadata(_wrong("int", "value", "an int", value))
        return IntMetadataValue(value)

    @staticmethod
    def float(value: builtins.float) -> FloatMetadataValue:
        """A float; ints are converted."""
        if isinstance(value, builtins.bool) or not isinstance(value, (builtins.int, builtins.float)):
            raise HeadwaterInvalidMetadata(_wrong("float", "value", "a float", value))
        return FloatMetadataValue(builtins.float(value))

    @staticmethod
    def bool(value: builtins.bool) -> BoolMetadataValue:
        """True or False."""
        if not isinstance(value, builtins.bool):
            raise HeadwaterInvalidMetadata(_wrong("bool", "value", "a bool", value))
        return BoolMetadataValue(value)

    @staticmethod
    def json(data: Sequence[Any] | Mapping[builtins.str, Any]) -> JsonMetadataValue:
        """JSON-serializable data (dicts, lists, strings, numbers)."""
        return JsonMetadataValue(data)

    @staticmethod
    def md(data: builtins.str) -> MarkdownMetadataValue:
        """Markdown text, rendered in the UI."""
        if not isinstance(data, builtins.str):
            raise HeadwaterInvalidMetadata(_wrong("md", "data", "a str", data))
        return MarkdownMetadataValue(data)

    @staticmethod
    def url(url: builtins.str) -> UrlMetadataValue:
        """A link."""
        if not isinstance(url, builtins.str):
            raise HeadwaterInvalidMetadata(_wrong("url", "url", "a str", url))
        return UrlMetadataValue(url)

    @staticmethod
    def path(path: builtins.str | os.PathLike) -> PathMetadataValue:
        """A filesystem path."""
        return PathMetadataValue(path)  # type: ignore[arg-type]

    @staticmethod
    def notebook(path: builtins.str | os.PathLike) -> NotebookMetadataValue:
        """The path of a Jupyter notebook."""
        return NotebookMetadataValue(path)  # type: ignore[arg-type]

    @staticmethod
    def python_artifact(python_artifact: Callable[..., Any]) -> PythonArtifactMetadataValue:
        """A Python class or function, stored by module and name."""
        if not callable(python_artifact):
            raise HeadwaterInvalidMetadata(
                _wrong("python_artifact", "python_artifact", "a class or function", python_artifact)
            )
        return PythonArtifactMetadataValue(python_artifact.__module__, python_artifact.__name__)

    @staticmethod
    def table(
        records: Sequence[TableRecord], schema: TableSchema | None = None
    ) -> TableMetadataValue:
        """Rows of a table; the schema is inferred from the first record when omitted."""
        return TableMetadataValue(list(records), schema)

    @staticmethod
    def table_schema(schema: TableSchema) -> TableSchemaMetadataValue:
        """The schema of a table."""
        if not isinstance(schema, TableSchema):
            raise HeadwaterInvalidMetadata(_wrong("table_schema", "schema", "a TableSchema", schema))
        return TableSchemaMetadataValue(schema)

    @staticmethod
    def column_lineage(lineage: TableColumnLineage) -> TableColumnLineageMetadataValue:
        """Which upstream columns each column is computed from."""
        if not isinstance(lineage, TableColumnLineage):
            raise HeadwaterInvalidMetadata(
                _wrong("column_lineage", "lineage", "a TableColumnLineage", lineage)
            )
        return TableColumnLineageMetadataValue(lineage)

    @staticmethod
    def asset(asset_key: AssetKey) -> HeadwaterAssetMetadataValue:
        """A reference to another asset."""
        if not isinstance(asset_key, AssetKey):
            raise HeadwaterInvalidMetadata(_wrong("asset", "asset_key", "an AssetKey", asset_key))
        return HeadwaterAssetMetadataValue(asset_key)

    @staticmethod
    def job(
        job_name: builtins.str,
        location_name: builtins.str,
        *,
        repository_name: builtins.str | None = None,
    ) -> HeadwaterJobMetadataValue:
        """A reference to a job in a code location."""
        for arg, v in (("job_name", job_name), ("location_name", location_name)):
            if not isinstance(v, builtins.str):
                raise HeadwaterInvalidMetadata(_wrong("job", arg, "a str", v))
        return HeadwaterJobMetadataValue(job_name, location_name, repository_name)

    @staticmethod
    def headwater_run(run_id: builtins.str) -> HeadwaterRunMetadataValue:
        """A reference to a run."""
        if not isinstance(run_id, builtins.str):
            raise HeadwaterInvalidMetadata(_wrong("headwater_run", "run_id", "a str", run_id))
        return HeadwaterRunMetadataValue(run_id)

    @staticmethod
    def pool(pool: builtins.str) -> PoolMetadataValue:
        """The name of a concurrency pool."""
        if not isinstance(pool, builtins.str):
            raise HeadwaterInvalidMetadata(_wrong("pool", "pool", "a str", pool))
        return PoolMetadataValue(pool)

    @staticmethod
    def timestamp(value: builtins.float | datetime) -> TimestampMetadataValue:
        """A point in time: seconds since the epoch, or a timezone-aware datetime."""
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise HeadwaterInvalidMetadata(
                    f"MetadataValue.timestamp needs a timezone-aware datetime, got {value!r}. "
                    "Use value.replace(tzinfo=datetime.timezone.utc) or pass epoch seconds."
                )
            return TimestampMetadataValue(value.timestamp())
        if isinstance(value, builtins.bool) or not isinstance(value, (builtins.int, builtins.float)):
            raise HeadwaterInvalidMetadata(
                _wrong("timestamp", "value", "a float or a datetime", value)
            )
        return TimestampMetadataValue(builtins.float(value))

    @staticmethod
    def null() -> NullMetadataValue:
        """No value."""
        return NullMetadataValue()


def _wrong(ctor: str, arg: str, expected: str, got: object) -> str:
    return f"MetadataValue.{ctor}({arg}=...) expects {expected}, got {got!r} ({type_name(got)})."


@dataclass(frozen=True, slots=True)
class TextMetadataValue(MetadataValue):
    """Plain text metadata; `MetadataValue.text(s)` or a str in a metadata dict.

    Args:
        text: the text.

    Example:
        ```python
        from headwater import MetadataValue, TextMetadataValue

        value = MetadataValue.text("loaded from the nightly export")
        assert isinstance(value, TextMetadataValue) and value.value.startswith("loaded")
        ```
    """

    # field() keeps dataclass from taking the inherited MetadataValue.text as a default
    text: str | None = field()  # type: ignore[assignment]

    @property
    def value(self) -> str | None:
        return self.text


@dataclass(frozen=True, slots=True)
class IntMetadataValue(MetadataValue):
    """An integer metadata value, such as a row count; `MetadataValue.int(n)` or an int.

    Args:
        value: the integer.

    Example:
        ```python
        from headwater import IntMetadataValue, MetadataValue

        assert MetadataValue.int(120) == IntMetadataValue(120)
        ```
    """

    value: int | None


@dataclass(frozen=True, slots=True)
class FloatMetadataValue(MetadataValue):
    """A float metadata value; `MetadataValue.float(x)` (ints are converted) or a float.

    Args:
        value: the number.

    Example:
        ```python
        from headwater import FloatMetadataValue, MetadataValue

        value = MetadataValue.float(3)
        assert isinstance(value, FloatMetadataValue) and value.value == 3.0
        ```
    """

    value: float | None


@dataclass(frozen=True, slots=True)
class BoolMetadataValue(MetadataValue):
    """A True/False metadata value; `MetadataValue.bool(b)` or a bool in a metadata dict.

    Args:
        value: the boolean.

    Example:
        ```python
        from headwater import BoolMetadataValue, MetadataValue

        assert MetadataValue.bool(True) == BoolMetadataValue(True)
        ```
    """

    value: bool | None


@dataclass(frozen=True, slots=True)
class TimestampMetadataValue(MetadataValue):
    """A point in time, as seconds since the Unix epoch; shown as a date in the UI.

    `MetadataValue.timestamp(...)` also takes a timezone-aware datetime (a naive one raises).

    Args:
        value: seconds since the epoch.

    Example:
        ```python
        from datetime import datetime, timezone

        from headwater import MetadataValue

        value = MetadataValue.timestamp(datetime(2024, 1, 1, tzinfo=timezone.utc))
        assert value.value == 1704067200.0
        ```
    """

    value: float


@dataclass(frozen=True, slots=True)
class JsonMetadataValue(MetadataValue):
    """JSON data, stored as JSON gives it back (tuples become lists); `MetadataValue.json(d)`.

    Args:
        data: the JSON-serializable data.

    Example:
        ```python
        from headwater import JsonMetadataValue, MetadataValue

        value = MetadataValue.json({"columns": ("id", "name")})
        assert isinstance(value, JsonMetadataValue) and value.value == {"columns": ["id", "name"]}
        ```
    """

    data: Any

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", _json_roundtrip(self.data, "MetadataValue.json data"))

    @property
    def value(self) -> Any:
        return self.data


@dataclass(frozen=True, slots=True)
class MarkdownMetadataValue(MetadataValue):
    """Markdown text, rendered in the UI (a preview table, a note); `MetadataValue.md(s)`.

    Args:
        md_str: the Markdown source.

    Example:
        ```python
        from headwater import MarkdownMetadataValue, MetadataValue

        preview = MetadataValue.md("| id | name |\\n|---|---|\\n| 1 | Ada |")
        assert isinstance(preview, MarkdownMetadataValue) and preview.value.startswith("| id")
        ```
    """

    md_str: str | None

    @property
    def value(self) -> str | None:
        return self.md_str


@dataclass(frozen=True, slots=True)
class UrlMetadataValue(MetadataValue):
    """A link, shown clickable in the UI; `MetadataValue.url(u)`.

    Args:
        url: the URL.

    Example:
        ```python
        from headwater import MetadataValue, UrlMetadataValue

        link = MetadataValue.url("https://dashboards.example.com/orders")
        assert link == UrlMetadataValue("https://dashboards.example.com/orders")
        ```
    """

    url: str | None = field()  # type: ignore[assignment]

    @property
    def value(self) -> str | None:
        return self.url


@dataclass(frozen=True, slots=True)
class PathMetadataValue(MetadataValue):
    """A filesystem path; `MetadataValue.path(p)` or an os.PathLike in a metadata dict.

    Args:
        fspath: the path (a str or os.PathLike; stored as a str).

    Example:
        ```python
        from pathlib import Path

        from headwater import MetadataValue

        assert MetadataValue.path(Path("out/orders.parquet")).value == "out/orders.parquet"
        ```
    """

    fspath: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "fspath", "" if self.fspath is None else os.fspath(self.fspath))

    @property
    def value(self) -> str:
        return self.fspath


@dataclass(frozen=True, slots=True)
class NotebookMetadataValue(MetadataValue):
    """The path of a Jupyter notebook, e.g. the report an asset renders; `MetadataValue.notebook(p)`.

    Args:
        fspath: the notebook's path (a str or os.PathLike; stored as a str).

    Example:
        ```python
        from headwater import MetadataValue, NotebookMetadataValue

        report = MetadataValue.notebook("reports/weekly.ipynb")
        assert report == NotebookMetadataValue("reports/weekly.ipynb")
        ```
    """

    fspath: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "fspath", "" if self.fspath is None else os.fspath(self.fspath))

    @property
    def value(self) -> str:
        return self.fspath


@dataclass(frozen=True, slots=True)
class PythonArtifactMetadataValue(MetadataValue):
    """A Python class or function, stored by module and name; `MetadataValue.python_artifact(f)`.

    Args:
        module: the module that defines it.
        name: its name in that module.

    Example:
        ```python
        from collections import OrderedDict

        from headwater import MetadataValue

        value = MetadataValue.python_artifact(OrderedDict)
        assert (value.module, value.name) == ("collections", "OrderedDict")
        ```
    """

    module: str
    name: str

    @property
    def value(self) -> PythonArtifactMetadataValue:
        return self


@dataclass(frozen=True, slots=True)
class TableMetadataValue(MetadataValue):
    """Rows of a table, shown as a table in the UI; `MetadataValue.table(records, schema)`.

    Records must be TableRecords sharing their columns; an empty table needs a schema.

    Args:
        records: the rows, as TableRecords.
        schema: the columns; None infers them from the first record.

    Example:
        ```python
        from headwater import MetadataValue, TableRecord

        sample = MetadataValue.table([TableRecord({"id": 1, "name": "Ada"}),
                                       TableRecord({"id": 2, "name": "Bo"})])
        assert [c.type for c in sample.schema.columns] == ["int", "string"]
        ```
    """

    records: list[TableRecord]
    schema: TableSchema | None = None

    def __post_init__(self) -> None:
        records = list(self.records)
        for r in records:
            if not isinstance(r, TableRecord):
                raise HeadwaterInvalidMetadata(
                    f"MetadataValue.table records must be TableRecord objects, got {r!r} "
                    f"({type_name(r)}). Wrap each row: TableRecord({{'col': value}})."
                )
        if records:
            first = set(records[0].data)
            for i, r in enumerate(records[1:], start=1):
                if set(r.data) != first:
                    raise HeadwaterInvalidMetadata(
                        f"MetadataValue.table records must all have the same columns: record 0 "
                        f"has {sorted(first)}, record {i} has {sorted(r.data)}."
                    )
        schema = self.schema
        if schema is None:
            if not records:
                raise HeadwaterInvalidMetadata(
                    "MetadataValue.table with no records needs schema=TableSchema([...])."
                )
            schema = TableSchema(
                [TableColumn(k, infer_column_type(v)) for k, v in records[0].data.items()]
            )
        object.__setattr__(self, "records", records)
        object.__setattr__(self, "schema", schema)

    @property
    def value(self) -> TableMetadataValue:
        return self


@dataclass(frozen=True, slots=True)
class TableSchemaMetadataValue(MetadataValue):
    """The column schema of a table asset; `MetadataValue.table_schema(s)` or a TableSchema.

    Stored under the key `headwater/column_schema`, the UI shows it as the asset's columns.

    Args:
        schema: the TableSchema.

    Example:
        ```python
        from headwater import MetadataValue, TableColumn, TableSchema

        schema = TableSchema([TableColumn("id", "int"), TableColumn("email", "string")])
        assert MetadataValue.table_schema(schema).value.columns[1].name == "email"
        ```
    """

    schema: TableSchema

    @property
    def value(self) -> TableSchema:
        return self.schema


@dataclass(frozen=True, slots=True)
class TableColumnLineageMetadataValue(MetadataValue):
    """Column lineage of a table asset; `MetadataValue.column_lineage(l)`.

    Args:
        column_lineage: the TableColumnLineage.

    Example:
        ```python
        from headwater import MetadataValue, TableColumnDep, TableColumnLineage

        lineage = TableColumnLineage({"total": [TableColumnDep("orders", "amount")]})
        assert MetadataValue.column_lineage(lineage).lineage.deps_by_column["total"][0].column_name == "amount"
        ```
    """

    column_lineage: TableColumnLineage = field()  # type: ignore[assignment]

    @property
    def lineage(self) -> TableColumnLineage:
        return self.column_lineage

    @property
    def value(self) -> TableColumnLineage:
        return self.column_lineage


@dataclass(frozen=True, slots=True)
class HeadwaterAssetMetadataValue(MetadataValue):
    """A reference to another asset, linked in the UI; `MetadataValue.asset(key)`.

    Args:
        asset_key: the AssetKey referred to.

    Example:
        ```python
        from headwater import AssetKey, MetadataValue

        source = MetadataValue.asset(AssetKey(["raw", "orders"]))
        assert source.value == AssetKey(["raw", "orders"])
        ```
    """

    asset_key: AssetKey

    @property
    def value(self) -> AssetKey:
        return self.asset_key


@dataclass(frozen=True, slots=True)
class HeadwaterJobMetadataValue(MetadataValue):
    """A reference to a job in a code location; `MetadataValue.job(name, location)`.

    Args:
        job_name: the job's name.
        location_name: the code location that holds it.
        repository_name: the repository within the location, if not the default one.

    Example:
        ```python
        from headwater import MetadataValue

        refresh = MetadataValue.job("nightly_refresh", "analytics")
        assert (refresh.job_name, refresh.location_name) == ("nightly_refresh", "analytics")
        ```
    """

    job_name: str
    location_name: str
    repository_name: str | None = None

    @property
    def value(self) -> HeadwaterJobMetadataValue:
        return self


@dataclass(frozen=True, slots=True)
class HeadwaterRunMetadataValue(MetadataValue):
    """A reference to a run by its id, linked in the UI; `MetadataValue.headwater_run(id)`.

    Args:
        run_id: the run's id.

    Example:
        ```python
        from headwater import MetadataValue

        assert MetadataValue.headwater_run("0f1e2d3c").value == "0f1e2d3c"
        ```
    """

    run_id: str

    @property
    def value(self) -> str:
        return self.run_id


@dataclass(frozen=True, slots=True)
class PoolMetadataValue(MetadataValue):
    """The name of a concurrency pool; `MetadataValue.pool(name)`.

    Args:
        pool: the pool's name.

    Example:
        ```python
        from headwater import MetadataValue, PoolMetadataValue

        assert MetadataValue.pool("warehouse") == PoolMetadataValue("warehouse")
        ```
    """

    pool: str = field()  # type: ignore[assignment]

    @property
    def name(self) -> str:
        return self.pool

    @property
    def value(self) -> str:
        return self.pool


@dataclass(frozen=True, slots=True)
class NullMetadataValue(MetadataValue):
    """No value: what None becomes in a metadata dict; `MetadataValue.null()`.

    Example:
        ```python
        from headwater import MetadataValue, NullMetadataValue

        assert MetadataValue.null() == NullMetadataValue() and NullMetadataValue().value is None
        ```
    """

    @property
    def value(self) -> None:
        return None


# Short names used in headwater's own docs; the Headwater* names are the public ones.
AssetMetadataValue = HeadwaterAssetMetadataValue
JobMetadataValue = HeadwaterJobMetadataValue
