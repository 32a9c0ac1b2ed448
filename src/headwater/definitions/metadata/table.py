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
    """Constraints on one column: nullability, uniqueness and free-form others.

    Part of a TableColumn; shown beside the column in the UI.

    Args:
        nullable: whether the column may hold nulls (default True).
        unique: whether its values are unique (default False).
        other: other constraints as free-form text, e.g. "> 0".

    Example:
        ```python
        from headwater import TableColumn, TableColumnConstraints

        amount = TableColumn("amount", "float",
                             constraints=TableColumnConstraints(nullable=False, other=["> 0"]))
        assert amount.constraints.other == ["> 0"] and not amount.constraints.unique
        ```
    """

    nullable: bool = True
    unique: bool = False
    other: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        object.__setattr__(self, "other", list(self.other or []))


@dataclass(frozen=True, slots=True)
class TableConstraints:
    """Table-level constraints, as free-form strings (e.g. "a + b < 10").

    Part of a TableSchema. A single string instead of a list raises HeadwaterInvalidMetadata.

    Args:
        other: the constraints, one string each.

    Example:
        ```python
        from headwater import TableColumn, TableConstraints, TableSchema

        schema = TableSchema(
            columns=[TableColumn("start", "date"), TableColumn("end", "date")],
            constraints=TableConstraints(other=["start <= end"]),
        )
        assert schema.constraints.other == ["start <= end"]
        ```
    """

    other: list[str]

    def __post_init__(self) -> None:
        if isinstance(self.other, str) or not isinstance(self.other, Sequence):
            raise HeadwaterInvalidMetadata(
                f"TableConstraints(other=...) takes a list of strings, got {self.other!r}."
            )
        object.__setattr__(self, "other", list(self.other))


@dataclass(frozen=True, slots=True)
class TableColumn:
    """One column of a table schema: name, type string, description, constraints, tags.

    The type is free text ("int", "varchar(20)", ...), shown as written. A name or type
    that is not a string, or tags that are not str to str, raise HeadwaterInvalidMetadata.

    Args:
        name: the column's name.
        type: its type, as text; default "string".
        description: shown in the UI.
        constraints: a TableColumnConstraints; default: nullable, not unique.
        tags: str-to-str labels of the column (e.g. {"pii": "true"}).

    Example:
        ```python
        from headwater import TableColumn

        email = TableColumn("email", "string", description="contact address", tags={"pii": "true"})
        assert email.constraints.nullable and email.tags == {"pii": "true"}
        ```
    """

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
    """The columns of a table and its table-level constraints.

    Give it as an asset's `headwater/column_schema` metadata (or wrapped in
    `MetadataValue.table_schema`) to document the asset's columns;
    `TableSchema.from_name_type_dict({"id": "int"})` builds a simple one.

    Args:
        columns: the TableColumns, in order.
        constraints: TableConstraints on the whole table; default none.

    Example:
        ```python
        from headwater import TableColumn, TableSchema, asset

        schema = TableSchema([TableColumn("id", "int"), TableColumn("name", "string")])

        @asset(metadata={"headwater/column_schema": schema})
        def users() -> list[dict]:
            return [{"id": 1, "name": "Ada"}]

        assert TableSchema.from_name_type_dict({"id": "int", "name": "string"}) == schema
        ```
    """

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
    """One row of a table: column name to a scalar (str, int, float, bool or None).

    The rows of `MetadataValue.table`, e.g. a preview of an asset's data. A nested value
    raises HeadwaterInvalidMetadata (store it with MetadataValue.json instead).

    Args:
        data: the row, column name to value.

    Example:
        ```python
        from headwater import MetadataValue, TableRecord

        rows = [TableRecord({"city": "Lyon", "people": 522_000}),
                TableRecord({"city": "Oslo", "people": 709_000})]
        preview = MetadataValue.table(rows)
        assert preview.records[1].data["city"] == "Oslo"
        ```
    """

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
    """A column of another asset that a column depends on; an entry of TableColumnLineage.

    Args:
        asset_key: the upstream asset: an AssetKey, a string or a list of strings.
        column_name: the upstream column.

    Example:
        ```python
        from headwater import AssetKey, TableColumnDep

        dep = TableColumnDep(asset_key="orders", column_name="amount")
        assert dep.asset_key == AssetKey("orders")
        ```
    """

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
    """For each column of an asset, the upstream columns it is computed from.

    Record it in an asset's materialization metadata, by convention under the key
    `headwater/column_lineage` (it becomes a `MetadataValue.column_lineage`). A dep that
    is not a TableColumnDep raises HeadwaterInvalidMetadata.

    Args:
        deps_by_column: column name to the TableColumnDeps it is computed from.

    Example:
        ```python
        from headwater import MaterializeResult, TableColumnDep, TableColumnLineage, asset

        @asset(deps=["orders"])
        def revenue() -> MaterializeResult:
            lineage = TableColumnLineage({
                "total": [TableColumnDep("orders", "amount"), TableColumnDep("orders", "tax")],
            })
            return MaterializeResult(metadata={"headwater/column_lineage": lineage})

        recorded = revenue().metadata["headwater/column_lineage"]
        assert [dep.column_name for dep in recorded.deps_by_column["total"]] == ["amount", "tax"]
        ```
    """

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
