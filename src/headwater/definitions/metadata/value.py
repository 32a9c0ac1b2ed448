"""Metadata: the typed values attached to assets, outputs, type checks and events.

Owns `MetadataValue` and its concrete kinds, the table description objects
(`TableSchema`, `TableRecord`, column lineage ...), `normalize_metadata`, which
turns the raw dicts users write into `MetadataValue`s, and the JSON codec the
event log stores them with.

Imports only the stdlib, `headwater.errors` and `headwater.definitions.key`.
Nothing heavy: pandas and friends never appear here.
"""

from __future__ import annotations

import builtins
import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from headwater.definitions.key import AssetKey
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
    "RawMetadataValue",
    "TableColumn",
    "TableColumnConstraints",
    "TableColumnDep",
    "TableColumnLineage",
    "TableColumnLineageMetadataValue",
    "TableConstraints",
    "TableMetadataValue",
    "TableRecord",
    "TableSchema",
    "TableSchemaMetadataValue",
    "TextMetadataValue",
    "TimestampMetadataValue",
    "UrlMetadataValue",
    "metadata_from_jsonable",
    "metadata_to_jsonable",
    "normalize_metadata",
]

_SCALARS = (str, int, float, bool, type(None))


def _type_name(value: object) -> str:
    return type(value).__name__


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


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True, slots=True)
class TableColumnConstraints:
    """Constraints on one column: nullability, uniqueness and free-form others."""

    nullable: bool = True
    unique: bool = False
    other: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        object.__setattr__(self, "other", list(self.other or []))


@dataclass(frozen=True, slots=True)
class TableConstraints:
    """Table-level constraints, as free-form strings (e.g. "a + b < 10")."""

    other: list[str]

    def __post_init__(self) -> None:
        if isinstance(self.other, str) or not isinstance(self.other, Sequence):
            raise HeadwaterInvalidMetadata(
                f"TableConstraints(other=...) takes a list of strings, got {self.other!r}."
            )
        object.__setattr__(self, "other", list(self.other))


@dataclass(frozen=True, slots=True)
class TableColumn:
    """One column of a table schema: name, type string, description, constraints, tags."""

    name: str
    type: str = "string"
    description: str | None = None
    constraints: TableColumnConstraints = field(default_factory=TableColumnConstraints)
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise HeadwaterInvalidMetadata(f"TableColumn name must be a string, got {self.name!r}.")
        if not isinstance(self.type, str):
            raise HeadwaterInvalidMetadata(
                f"TableColumn {self.name!r}: type must be a string such as 'int', got {self.type!r}."
            )
        if self.constraints is None:
            object.__setattr__(self, "constraints", TableColumnConstraints())
        tags = dict(self.tags or {})
        for k, v in tags.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise HeadwaterInvalidMetadata(
                    f"TableColumn {self.name!r}: tags must map strings to strings, "
                    f"got {k!r}: {v!r} ({_type_name(v)})."
                )
        object.__setattr__(self, "tags", tags)


@dataclass(frozen=True, slots=True)
class TableSchema:
    """The columns of a table and its table-level constraints."""

    columns: list[TableColumn]
    constraints: TableConstraints = field(default_factory=lambda: TableConstraints([]))

    def __post_init__(self) -> None:
        columns = list(self.columns)
        for c in columns:
            if not isinstance(c, TableColumn):
                raise HeadwaterInvalidMetadata(
                    f"TableSchema columns must be TableColumn objects, got {c!r} "
                    f"({_type_name(c)}). Use TableColumn(name, type)."
                )
        object.__setattr__(self, "columns", columns)
        if self.constraints is None:
            object.__setattr__(self, "constraints", TableConstraints([]))

    @staticmethod
    def from_name_type_dict(name_type_dict: Mapping[str, str]) -> TableSchema:
        """Build a schema from {"column": "type"}."""
        return TableSchema([TableColumn(name=n, type=t) for n, t in name_type_dict.items()])


@dataclass(frozen=True, slots=True)
class TableRecord:
    """One row of a table: column name to a scalar (str, int, float, bool or None)."""

    data: dict[str, str | int | float | bool | None]

    def __post_init__(self) -> None:
        data = dict(self.data)
        for k, v in data.items():
            if not isinstance(k, str):
                raise HeadwaterInvalidMetadata(
                    f"TableRecord column names must be strings, got {k!r} ({_type_name(k)})."
                )
            if not isinstance(v, _SCALARS):
                raise HeadwaterInvalidMetadata(
                    f"TableRecord value for column {k!r} must be a scalar (str, int, float, "
                    f"bool or None), got {v!r} ({_type_name(v)}). Store nested data with "
                    "MetadataValue.json instead."
                )
        object.__setattr__(self, "data", data)


@dataclass(frozen=True, slots=True)
class TableColumnDep:
    """A column of another asset that a column depends on."""

    asset_key: AssetKey
    column_name: str

    def __post_init__(self) -> None:
        key = self.asset_key
        if isinstance(key, AssetKey):
            pass
        elif isinstance(key, str):
            key = AssetKey(key)
        elif isinstance(key, Sequence) and all(isinstance(p, str) for p in key):
            key = AssetKey(list(key))
        else:
            raise HeadwaterInvalidMetadata(
                f"TableColumnDep asset_key must be an AssetKey, a string or a list of strings, "
                f"got {key!r} ({_type_name(key)})."
            )
        object.__setattr__(self, "asset_key", key)


@dataclass(frozen=True, slots=True)
class TableColumnLineage:
    """For each column of an asset, the upstream columns it is computed from."""

    deps_by_column: dict[str, list[TableColumnDep]]

    def __post_init__(self) -> None:
        deps: dict[str, list[TableColumnDep]] = {}
        for column, column_deps in dict(self.deps_by_column).items():
            deps[column] = list(column_deps)
            for dep in deps[column]:
                if not isinstance(dep, TableColumnDep):
                    raise HeadwaterInvalidMetadata(
                        f"TableColumnLineage: deps of column {column!r} must be TableColumnDep "
                        f"objects, got {dep!r} ({_type_name(dep)})."
                    )
        object.__setattr__(self, "deps_by_column", deps)


def _infer_column_type(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "string"


# --------------------------------------------------------------------------- values


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
    return f"MetadataValue.{ctor}({arg}=...) expects {expected}, got {got!r} ({_type_name(got)})."


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
                    f"({_type_name(r)}). Wrap each row: TableRecord({{'col': value}})."
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
                [TableColumn(k, _infer_column_type(v)) for k, v in records[0].data.items()]
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
                    f"Metadata keys{where} must be strings, got {key!r} ({_type_name(key)}). "
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
                coerced = TextMetadataValue(f"[{_type_name(raw)}] (unserializable)")
            else:
                raise HeadwaterInvalidMetadata(
                    f'Metadata value for key "{key}"{where} has type {_type_name(raw)}, '
                    f"which headwater cannot store as metadata. Wrap it explicitly, "
                    f"e.g. {_hint_for(raw)}."
                )
        out[key] = coerced
    return out


# --------------------------------------------------------------------------- JSON codec


def _float_to_json(v: float | None) -> Any:
    if v is not None and not math.isfinite(v):
        return repr(v)  # 'nan', 'inf', '-inf': strict JSON has no such numbers
    return v


def _float_from_json(v: Any) -> float | None:
    return float(v) if isinstance(v, str) else v


def _schema_to_json(schema: TableSchema) -> dict[str, Any]:
    return {
        "columns": [
            {
                "name": c.name,
                "type": c.type,
                "description": c.description,
                "constraints": {
                    "nullable": c.constraints.nullable,
                    "unique": c.constraints.unique,
                    "other": list(c.constraints.other),
                },
                "tags": dict(c.tags),
            }
            for c in schema.columns
        ],
        "constraints": {"other": list(schema.constraints.other)},
    }


def _schema_from_json(d: Mapping[str, Any]) -> TableSchema:
    return TableSchema(
        columns=[
            TableColumn(
                name=c["name"],
                type=c["type"],
                description=c["description"],
                constraints=TableColumnConstraints(**c["constraints"]),
                tags=c["tags"],
            )
            for c in d["columns"]
        ],
        constraints=TableConstraints(d["constraints"]["other"]),
    )


def _lineage_to_json(lineage: TableColumnLineage) -> dict[str, Any]:
    return {
        col: [{"asset_key": list(d.asset_key.path), "column_name": d.column_name} for d in deps]
        for col, deps in lineage.deps_by_column.items()
    }


def _lineage_from_json(d: Mapping[str, Any]) -> TableColumnLineage:
    return TableColumnLineage(
        {
            col: [TableColumnDep(AssetKey(x["asset_key"]), x["column_name"]) for x in deps]
            for col, deps in d.items()
        }
    )


def _record_to_json(r: TableRecord) -> dict[str, Any]:
    return {k: _float_to_json(v) if isinstance(v, float) else v for k, v in r.data.items()}


def _to_json(v: MetadataValue) -> dict[str, Any]:
    if isinstance(v, TextMetadataValue):
        return {"type": "text", "text": v.text}
    if isinstance(v, BoolMetadataValue):
        return {"type": "bool", "value": v.value}
    if isinstance(v, IntMetadataValue):
        return {"type": "int", "value": v.value}
    if isinstance(v, FloatMetadataValue):
        return {"type": "float", "value": _float_to_json(v.value)}
    if isinstance(v, TimestampMetadataValue):
        return {"type": "timestamp", "value": _float_to_json(v.value)}
    if isinstance(v, JsonMetadataValue):
        return {"type": "json", "data": v.data}
    if isinstance(v, MarkdownMetadataValue):
        return {"type": "md", "md_str": v.md_str}
    if isinstance(v, UrlMetadataValue):
        return {"type": "url", "url": v.url}
    if isinstance(v, PathMetadataValue):
        return {"type": "path", "fspath": v.fspath}
    if isinstance(v, NotebookMetadataValue):
        return {"type": "notebook", "fspath": v.fspath}
    if isinstance(v, PythonArtifactMetadataValue):
        return {"type": "python_artifact", "module": v.module, "name": v.name}
    if isinstance(v, TableMetadataValue):
        return {
            "type": "table",
            "records": [_record_to_json(r) for r in v.records],
            "schema": _schema_to_json(v.schema or TableSchema([])),
        }
    if isinstance(v, TableSchemaMetadataValue):
        return {"type": "table_schema", "schema": _schema_to_json(v.schema)}
    if isinstance(v, TableColumnLineageMetadataValue):
        return {"type": "column_lineage", "deps_by_column": _lineage_to_json(v.column_lineage)}
    if isinstance(v, HeadwaterAssetMetadataValue):
        return {"type": "asset", "asset_key": list(v.asset_key.path)}
    if isinstance(v, HeadwaterJobMetadataValue):
        return {
            "type": "job",
            "job_name": v.job_name,
            "location_name": v.location_name,
            "repository_name": v.repository_name,
        }
    if isinstance(v, HeadwaterRunMetadataValue):
        return {"type": "headwater_run", "run_id": v.run_id}
    if isinstance(v, PoolMetadataValue):
        return {"type": "pool", "pool": v.pool}
    if isinstance(v, NullMetadataValue):
        return {"type": "null"}
    raise HeadwaterInvalidMetadata(
        f"Cannot encode {v!r} ({_type_name(v)}): it is not a known MetadataValue kind. "
        "Pass metadata through normalize_metadata first."
    )


def _from_json(d: Mapping[str, Any]) -> MetadataValue:
    kind = d.get("type")
    if kind == "text":
        return TextMetadataValue(d["text"])
    if kind == "bool":
        return BoolMetadataValue(d["value"])
    if kind == "int":
        return IntMetadataValue(d["value"])
    if kind == "float":
        return FloatMetadataValue(_float_from_json(d["value"]))
    if kind == "timestamp":
        return TimestampMetadataValue(_float_from_json(d["value"]))  # type: ignore[arg-type]
    if kind == "json":
        return JsonMetadataValue(d["data"])
    if kind == "md":
        return MarkdownMetadataValue(d["md_str"])
    if kind == "url":
        return UrlMetadataValue(d["url"])
    if kind == "path":
        return PathMetadataValue(d["fspath"])
    if kind == "notebook":
        return NotebookMetadataValue(d["fspath"])
    if kind == "python_artifact":
        return PythonArtifactMetadataValue(d["module"], d["name"])
    if kind == "table":
        schema = _schema_from_json(d["schema"])
        floats = {c.name for c in schema.columns if c.type == "float"}
        records = [
            TableRecord({k: _float_from_json(v) if k in floats else v for k, v in r.items()})
            for r in d["records"]
        ]
        return TableMetadataValue(records, schema)
    if kind == "table_schema":
        return TableSchemaMetadataValue(_schema_from_json(d["schema"]))
    if kind == "column_lineage":
        return TableColumnLineageMetadataValue(_lineage_from_json(d["deps_by_column"]))
    if kind == "asset":
        return HeadwaterAssetMetadataValue(AssetKey(d["asset_key"]))
    if kind == "job":
        return HeadwaterJobMetadataValue(d["job_name"], d["location_name"], d["repository_name"])
    if kind == "headwater_run":
        return HeadwaterRunMetadataValue(d["run_id"])
    if kind == "pool":
        return PoolMetadataValue(d["pool"])
    if kind == "null":
        return NullMetadataValue()
    raise HeadwaterInvalidMetadata(
        f"Cannot decode metadata {dict(d)!r}: unknown type tag {kind!r}. It was probably "
        "written by a newer headwater; upgrade to read it."
    )


def metadata_to_jsonable(metadata: Mapping[str, MetadataValue]) -> dict[str, dict[str, Any]]:
    """Encode normalised metadata as plain JSON data, one {"type": ...} dict per key."""
    return {k: _to_json(v) for k, v in metadata.items()}


def metadata_from_jsonable(data: Mapping[str, Mapping[str, Any]]) -> dict[str, MetadataValue]:
    """Decode what `metadata_to_jsonable` produced, exactly."""
    return {k: _from_json(v) for k, v in data.items()}
