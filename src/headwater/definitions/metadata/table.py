"""The table description records: TableSchema, TableColumn and its constraints,
TableRecord, and column lineage (TableColumnDep, TableColumnLineage).

Frozen dataclasses that check their own shape; the MetadataValue kinds that carry them
are in `value.py`, their JSON form in `codec.py`. Imports only `key`, `errors` and the
stdlib.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from headwater.definitions.key import AssetKey
from headwater.errors import HeadwaterInvalidMetadata

__all__ = [
    "TableColumn",
    "TableColumnConstraints",
    "TableColumnDep",
    "TableColumnLineage",
    "TableConstraints",
    "TableRecord",
    "TableSchema",
]

_SCALARS = (str, int, float, bool, type(None))


def type_name(value: object) -> str:
    """The class name of a value, for messages that say what was passed."""
    return type(value).__name__


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
                    f"got {k!r}: {v!r} ({type_name(v)})."
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
                    f"({type_name(c)}). Use TableColumn(name, type)."
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
                    f"TableRecord column names must be strings, got {k!r} ({type_name(k)})."
                )
            if not isinstance(v, _SCALARS):
                raise HeadwaterInvalidMetadata(
                    f"TableRecord value for column {k!r} must be a scalar (str, int, float, "
                    f"bool or None), got {v!r} ({type_name(v)}). Store nested data with "
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
                f"got {key!r} ({type_name(key)})."
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
                        f"objects, got {dep!r} ({type_name(dep)})."
                    )
        object.__setattr__(self, "deps_by_column", deps)


def infer_column_type(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "string"
