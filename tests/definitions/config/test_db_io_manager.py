"""DbIOManager with a database other than DuckDB: SQLite (stdlib), rows as lists of dicts.

The machinery decides which table and which rows a value is; these tests read the SQL
it leads the client to run, against a real SQLite file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pydantic import Field

from headwater import (
    AssetIn,
    ConfigurableIOManagerFactory,
    ConfigurableResource,
    StaticPartitionsDefinition,
    asset,
    materialize,
)
from headwater.definitions.config.db_io_manager import (
    DbClient,
    DbIOManager,
    DbTypeHandler,
    TableSlice,
)
from headwater.definitions.partitions.time_window import TimeWindow


def _name(s: TableSlice) -> str:
    return f"{s.schema}__{s.table}"  # SQLite has no schemas: a prefix stands in


def _where(s: TableSlice) -> str:
    clauses = []
    for dim in s.partition_dimensions or []:
        assert not isinstance(dim.partitions, TimeWindow)
        clauses.append(f"{dim.partition_expr} IN ({', '.join(repr(k) for k in dim.partitions)})")
    return " WHERE " + " AND ".join(clauses) if clauses else ""


class SqliteClient(DbClient):
    @staticmethod
    def delete_table_slice(context: Any, table_slice: TableSlice, connection: Any) -> None:
        connection.execute(f"DELETE FROM {_name(table_slice)}{_where(table_slice)}") \
            if _exists(connection, table_slice) else None

    @staticmethod
    def ensure_schema_exists(context: Any, table_slice: TableSlice, connection: Any) -> None:
        pass

    @staticmethod
    def get_select_statement(table_slice: TableSlice) -> str:
        cols = ", ".join(table_slice.columns) if table_slice.columns else "*"
        return f"SELECT {cols} FROM {_name(table_slice)}{_where(table_slice)}"

    @staticmethod
    @contextmanager
    def connect(context: Any, table_slice: TableSlice) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(str(table_slice.database))
        connection.row_factory = sqlite3.Row
        with connection:
            yield connection
        connection.close()


def _exists(connection: Any, table_slice: TableSlice) -> bool:
    return connection.execute("SELECT 1 FROM sqlite_master WHERE name = ?",
                              [_name(table_slice)]).fetchone() is not None


class RowsHandler(DbTypeHandler[list]):
    def handle_output(self, context: Any, table_slice: TableSlice, obj: list,
                      connection: Any) -> dict[str, Any]:
        columns = list(obj[0])
        connection.execute(f"CREATE TABLE IF NOT EXISTS {_name(table_slice)} ({', '.join(columns)})")
        connection.executemany(
            f"INSERT INTO {_name(table_slice)} VALUES ({', '.join('?' for _ in columns)})",
            [tuple(row[c] for c in columns) for row in obj])
        return {"rows_written": len(obj)}

    def load_input(self, context: Any, table_slice: TableSlice, connection: Any) -> list:
        return [dict(r) for r in connection.execute(SqliteClient.get_select_statement(table_slice))]

    @property
    def supported_types(self) -> Sequence[type]:
        return [list]


class SqliteIOManager(ConfigurableIOManagerFactory):
    path: str
    schema_: str | None = Field(default=None, alias="schema")

    def create_io_manager(self, context: Any) -> DbIOManager:
        return DbIOManager(type_handlers=[RowsHandler()], db_client=SqliteClient(),
                           database=self.path, schema=self.schema_)


def _rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(str(path)) as conn:
        return conn.execute(sql).fetchall()


def test_tables_schemas_and_columns_for_another_database(tmp_path: Path):
    """Key prefix, `schema` config and `columns` metadata reach the client as a TableSlice."""
    db = tmp_path / "x.sqlite"

    @asset(key_prefix=["raw"])
    def items() -> list:
        return [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]

    seen = {}

    @asset(ins={"items": AssetIn(key_prefix=["raw"], metadata={"columns": ["b"]})})
    def bs(items: list) -> list:
        seen["items"] = items
        return items

    result = materialize([items, bs], resources={"io_manager": SqliteIOManager(path=str(db))})
    assert result.success
    assert seen["items"] == [{"b": "x"}, {"b": "y"}]
    assert _rows(db, "SELECT b FROM public__bs ORDER BY b") == [("x",), ("y",)]
    meta = [e.materialization.metadata for e in result.get_asset_materialization_events()
            if e.asset_key.path == ["raw", "items"]][0]
    assert meta["rows_written"].value == 2
    assert meta["headwater/relation_identifier"].value == f"{db}.raw.items"

    assert materialize([items], resources={
        "io_manager": SqliteIOManager(path=str(db), schema="cfg")}).success
    assert _rows(db, "SELECT count(*) FROM cfg__items") == [(2,)]


def test_a_partition_is_deleted_then_inserted(tmp_path: Path):
    """Writing a partition again replaces its rows only."""
    db = tmp_path / "p.sqlite"
    colors = StaticPartitionsDefinition(["red", "blue"])
    counter = iter(range(10))

    @asset(partitions_def=colors, metadata={"partition_expr": "color"})
    def paint(context) -> list:
        return [{"color": context.partition_key, "run": next(counter)}]

    io = SqliteIOManager(path=str(db))
    for key in ["red", "blue", "red"]:
        assert materialize([paint], partition_key=key, resources={"io_manager": io}).success
    assert _rows(db, "SELECT color, run FROM public__paint ORDER BY color") == [
        ("blue", 1), ("red", 2)]


def test_two_handlers_for_one_type_are_refused():
    """A DbIOManager given two handlers of one type names both."""
    with pytest.raises(Exception, match="got two type handlers for list: RowsHandler and "
                                        "RowsHandler. Keep one of them."):
        DbIOManager(type_handlers=[RowsHandler(), RowsHandler()], db_client=SqliteClient(),
                    database="x")


def test_the_private_path_is_the_real_module():
    """Dagster's path, renamed, gives the real classes: ported handlers import from it."""
    from headwater._core.storage.db_io_manager import DbTypeHandler as Ported
    from headwater._core.storage.db_io_manager import TableSlice as Slice

    assert Ported is DbTypeHandler and Slice is TableSlice
    assert RowsHandler.__mro__[1] is Ported


class Warehouse(ConfigurableResource):
    database: str
    schema_: str = Field(alias="schema")


def test_an_aliased_field_of_a_pythonic_resource_is_set_by_its_alias():
    """`schema_ = Field(alias="schema")` is given as schema=... and reaches the resource."""
    seen = {}

    @asset
    def uses(warehouse: Warehouse) -> None:
        seen["schema"] = warehouse.schema_

    assert materialize([uses], resources={
        "warehouse": Warehouse(database="db", schema="sales")}).success
    assert seen["schema"] == "sales"


def test_an_aliased_fields_given_value_is_its_default_in_the_config_schema():
    """The JSON schema of a built resource shows the value given for an aliased field."""
    schema = Warehouse(database="db", schema="sales").get_resource_definition() \
        .config_class._json_schema()
    assert schema["properties"]["schema"]["default"] == "sales"
