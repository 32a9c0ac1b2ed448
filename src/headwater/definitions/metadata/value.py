"""Metadata: the typed values attached to assets, outputs, type checks and events.

Owns `MetadataValue` and its concrete kinds, and `normalize_metadata`, which
turns the raw dicts users write into `MetadataValue`s. The table description
objects they carry (`TableSchema`, `TableRecord`, column lineage ...) are in
`table.py`; the JSON codec the event log stores them with is in `codec.py`.

Imports only the stdlib, `headwater.errors`, `headwater.definitions.key` and
`table.py`.
Nothing heavy: pandas and friends never appear here.
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
from headwater.errors import HeadwaterInvalidMetadata, register_metadata_normalizer

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
    "RawMetadataValue",
    "TableColumnLineageMetadataValue",
    "TableMetadataValue",
    "TableSchemaMetadataValue",
    "TextMetadataValue",
    "TimestampMetadataValue",
    "UrlMetadataValue",
    "normalize_metadata",
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
    structured kinds such as tables and jobs).
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
    # field() keeps dataclass from taking the inherited MetadataValue.text as a default
    text: str | None = field()  # type: ignore[assignment]

    @property
    def value(self) -> str | None:
        return self.text


@dataclass(frozen=True, slots=True)
class IntMetadataValue(MetadataValue):
    value: int | None


@dataclass(frozen=True, slots=True)
class FloatMetadataValue(MetadataValue):
    value: float | None


@dataclass(frozen=True, slots=True)
class BoolMetadataValue(MetadataValue):
    value: bool | None


@dataclass(frozen=True, slots=True)
class TimestampMetadataValue(MetadataValue):
    """Seconds since the Unix epoch."""

    value: float


@dataclass(frozen=True, slots=True)
class JsonMetadataValue(MetadataValue):
    data: Any

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", _json_roundtrip(self.data, "MetadataValue.json data"))

    @property
    def value(self) -> Any:
        return self.data


@dataclass(frozen=True, slots=True)
class MarkdownMetadataValue(MetadataValue):
    md_str: str | None

    @property
    def value(self) -> str | None:
        return self.md_str


@dataclass(frozen=True, slots=True)
class UrlMetadataValue(MetadataValue):
    url: str | None = field()  # type: ignore[assignment]

    @property
    def value(self) -> str | None:
        return self.url


@dataclass(frozen=True, slots=True)
class PathMetadataValue(MetadataValue):
    fspath: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "fspath", "" if self.fspath is None else os.fspath(self.fspath))

    @property
    def value(self) -> str:
        return self.fspath


@dataclass(frozen=True, slots=True)
class NotebookMetadataValue(MetadataValue):
    fspath: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "fspath", "" if self.fspath is None else os.fspath(self.fspath))

    @property
    def value(self) -> str:
        return self.fspath


@dataclass(frozen=True, slots=True)
class PythonArtifactMetadataValue(MetadataValue):
    module: str
    name: str

    @property
    def value(self) -> PythonArtifactMetadataValue:
        return self


@dataclass(frozen=True, slots=True)
class TableMetadataValue(MetadataValue):
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
    schema: TableSchema

    @property
    def value(self) -> TableSchema:
        return self.schema


@dataclass(frozen=True, slots=True)
class TableColumnLineageMetadataValue(MetadataValue):
    column_lineage: TableColumnLineage = field()  # type: ignore[assignment]

    @property
    def lineage(self) -> TableColumnLineage:
        return self.column_lineage

    @property
    def value(self) -> TableColumnLineage:
        return self.column_lineage


@dataclass(frozen=True, slots=True)
class HeadwaterAssetMetadataValue(MetadataValue):
    asset_key: AssetKey

    @property
    def value(self) -> AssetKey:
        return self.asset_key


@dataclass(frozen=True, slots=True)
class HeadwaterJobMetadataValue(MetadataValue):
    job_name: str
    location_name: str
    repository_name: str | None = None

    @property
    def value(self) -> HeadwaterJobMetadataValue:
        return self


@dataclass(frozen=True, slots=True)
class HeadwaterRunMetadataValue(MetadataValue):
    run_id: str

    @property
    def value(self) -> str:
        return self.run_id


@dataclass(frozen=True, slots=True)
class PoolMetadataValue(MetadataValue):
    pool: str = field()  # type: ignore[assignment]

    @property
    def name(self) -> str:
        return self.pool

    @property
    def value(self) -> str:
        return self.pool


@dataclass(frozen=True, slots=True)
class NullMetadataValue(MetadataValue):
    @property
    def value(self) -> None:
        return None


# Short names used in headwater's own docs; the Headwater* names are the public ones.
AssetMetadataValue = HeadwaterAssetMetadataValue
JobMetadataValue = HeadwaterJobMetadataValue

RawMetadataValue = Any
"""What users may put in a metadata dict before normalisation."""


# --------------------------------------------------------------------------- normalisation

# Hints for values that cannot be coerced: which constructor to reach for.
_HINTS: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (datetime, "MetadataValue.timestamp(value) (the datetime must be timezone-aware)"),
    ((tuple, set, frozenset), "MetadataValue.json(list(value))"),
    (TableRecord, "MetadataValue.table([record, ...])"),
    (TableColumn, "MetadataValue.table_schema(TableSchema([column, ...]))"),
    (bytes, "MetadataValue.text(value.decode())"),
)


def _hint_for(value: object) -> str:
    for types, hint in _HINTS:
        if isinstance(value, types):
            return hint
    if callable(value):
        return "MetadataValue.python_artifact(value)"
    return "MetadataValue.text(str(value))"


def _coerce(value: Any) -> MetadataValue | None:
    """The MetadataValue for a raw value, or None when it has no automatic kind."""
    if isinstance(value, MetadataValue):
        return value
    if isinstance(value, str):
        return TextMetadataValue(value)
    if isinstance(value, bool):  # before int: bool is a subclass of int
        return BoolMetadataValue(value)
    if isinstance(value, int):
        return IntMetadataValue(value)
    if isinstance(value, float):
        return FloatMetadataValue(value)
    if isinstance(value, (dict, list)):
        return JsonMetadataValue(value)
    if value is None:
        return NullMetadataValue()
    if isinstance(value, os.PathLike):
        return PathMetadataValue(os.fspath(value))
    if isinstance(value, TableSchema):
        return TableSchemaMetadataValue(value)
    if isinstance(value, TableColumnLineage):
        return TableColumnLineageMetadataValue(value)
    if isinstance(value, AssetKey):
        return HeadwaterAssetMetadataValue(value)
    return None


def normalize_metadata(
    metadata: Mapping[str, Any] | None,
    allow_invalid: bool = False,
    *,
    owner: str | None = None,
) -> dict[str, MetadataValue]:
    """Coerce a user's metadata dict into MetadataValues.

    str -> text, bool -> bool, int -> int, float -> float, dict/list -> json,
    None -> null, os.PathLike -> path, TableSchema -> table_schema,
    TableColumnLineage -> column_lineage, AssetKey -> asset. Anything else raises
    HeadwaterInvalidMetadata, unless ``allow_invalid``: then it becomes the text
    "[typename] (unserializable)" (used when snapshotting definitions, which must
    never fail). ``owner`` (e.g. "asset 'orders'") is named in error messages.
    """
    if not metadata:
        return {}
    where = f" of {owner}" if owner else ""
    out: dict[str, MetadataValue] = {}
    for key, raw in metadata.items():
        if not isinstance(key, str):
            if not allow_invalid:
                raise HeadwaterInvalidMetadata(
                    f"Metadata keys{where} must be strings, got {key!r} ({type_name(key)}). "
                    f"Use str({key!r}) as the key."
                )
            key = str(key)
        try:
            coerced = _coerce(raw)
        except HeadwaterInvalidMetadata as exc:
            if allow_invalid:
                coerced = None
            else:
                raise HeadwaterInvalidMetadata(
                    f'Metadata value for key "{key}"{where} could not be stored: {exc}'
                ) from exc
        if coerced is None:
            if allow_invalid:
                coerced = TextMetadataValue(f"[{type_name(raw)}] (unserializable)")
            else:
                raise HeadwaterInvalidMetadata(
                    f'Metadata value for key "{key}"{where} has type {type_name(raw)}, '
                    f"which headwater cannot store as metadata. Wrap it explicitly, "
                    f"e.g. {_hint_for(raw)}."
                )
        out[key] = coerced
    return out


# Failure(metadata=...) and HeadwaterTypeCheckDidNotPass(metadata=...) read their metadata
# through this (errors.py imports nothing of headwater); never raising, as an error's
# metadata is read while another error is being reported.
register_metadata_normalizer(lambda metadata: normalize_metadata(metadata, allow_invalid=True))
