"""What a pandera schema says about a table, as headwater metadata: `table_schema` turns a
schema into a `TableSchema` (each column's dtype, description, nullability, uniqueness and
checks; the frame-wide checks as table constraints), and `check_text` writes one check as a
short constraint string (`>= 0`, `in ['x', 'y']`, or the check's own description).

Works on the schema objects of every pandera backend (pandas, polars): they share the
attributes read here. Imports headwater's public names only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from headwater import TableColumn, TableColumnConstraints, TableConstraints, TableSchema

# pandera's built-in comparison checks, keyed by their `name`, as operators
_OPERATORS = {
    "equal_to": "==",
    "not_equal_to": "!=",
    "less_than": "<",
    "less_than_or_equal_to": "<=",
    "greater_than": ">",
    "greater_than_or_equal_to": ">=",
}


def check_text(check: Any) -> str:
    """One check as a constraint: its description if it has one, else its operator and
    operand for a comparison, else pandera's own rendering (`isin([...])`) or its name."""
    if getattr(check, "description", None):
        return str(check.description)
    statistics = getattr(check, "statistics", None) or {}
    name = getattr(check, "name", None)
    if name in _OPERATORS and len(statistics) == 1:
        return f"{_OPERATORS[name]} {next(iter(statistics.values()))}"
    error = getattr(check, "error", None)
    return str(error or name or check)


def column_name(name: Any) -> str:
    """A column's name as text; a multi-level name joins its levels with '/'."""
    if isinstance(name, tuple):
        return "/".join(str(part) for part in name)
    return str(name)


def table_schema(schema: Any) -> TableSchema:
    """The columns and constraints a pandera DataFrameSchema declares."""
    columns = [_table_column(name, column) for name, column in schema.columns.items()]
    return TableSchema(columns=columns,
                       constraints=TableConstraints(other=_texts(schema.checks)))


def _table_column(name: Any, column: Any) -> TableColumn:
    constraints = TableColumnConstraints(
        nullable=bool(column.nullable), unique=bool(column.unique),
        other=_texts(column.checks))
    return TableColumn(name=column_name(column.name if column.name is not None else name),
                       type=str(column.dtype), description=column.description,
                       constraints=constraints)


def _texts(checks: Iterable[Any]) -> list[str]:
    return [check_text(check) for check in checks]
