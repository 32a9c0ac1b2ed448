"""The DuckDB IO manager: `DuckDbClient` (the SQL DuckDB needs), `DuckDBIOManager` (the base
class the pandas, polars and PySpark IO managers fill with type handlers) and
`build_duckdb_io_manager` (the same as an `@io_manager` definition). `write_slice`,
`slice_metadata` and `read_slice` are what every type handler shares: insert a value DuckDB
can read (a pandas frame, an Arrow table) into the slice's table, describe the result, and
select a slice back.

Each read or write is one transaction: the delete of the slice and the insert of the new
rows commit together, so a write that fails leaves the table as it was. A table written
whole is dropped and created again from the new value (its columns follow the value); a
partition is deleted and inserted by column name into the existing table.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import PurePath
from typing import Any

import duckdb
from pydantic import Field

from headwater import (
    ConfigurableIOManagerFactory,
    IOManagerDefinition,
    MetadataValue,
    TableColumn,
    TableSchema,
    io_manager,
)
from headwater.definitions.config.db_io_manager import (
    DbClient,
    DbIOManager,
    DbTypeHandler,
    TablePartitionDimension,
    TableSlice,
)
from headwater.definitions.partitions.time_window import TimeWindow
from headwater.definitions.tags import (
    COLUMN_SCHEMA_METADATA,
    PARTITION_ROW_COUNT_METADATA,
    ROW_COUNT_METADATA,
)
from headwater_duckdb.connection import open_connection

_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_VALUE = "__headwater_value"  # the name a value being written is registered under


class DuckDbClient(DbClient):
    """DuckDB's SQL for DbIOManager."""

    @staticmethod
    def delete_table_slice(context: Any, table_slice: TableSlice, connection: Any) -> None:
        if not table_exists(connection, table_slice):
            return
        name = qualified_name(table_slice)
        if table_slice.partition_dimensions:
            run(connection, f"DELETE FROM {name} WHERE {_where(table_slice.partition_dimensions)}")
        else:
            run(connection, f"DROP TABLE {name}")

    @staticmethod
    def ensure_schema_exists(context: Any, table_slice: TableSlice, connection: Any) -> None:
        run(connection, f"CREATE SCHEMA IF NOT EXISTS {table_slice.schema}")

    @staticmethod
    def get_select_statement(table_slice: TableSlice) -> str:
        columns = ", ".join(table_slice.columns) if table_slice.columns else "*"
        query = f"SELECT {columns} FROM {qualified_name(table_slice)}"
        if table_slice.partition_dimensions:
            query += f" WHERE {_where(table_slice.partition_dimensions)}"
        return query

    @staticmethod
    def get_relation_identifier(table_slice: TableSlice) -> str:
        """`catalog.schema.table` as DuckDB SQL names it: the catalog of a database file is
        the file's name without its extension (`memory` for ':memory:')."""
        catalog = "memory" if table_slice.database in (None, "", ":memory:") \
            else PurePath(str(table_slice.database)).stem
        return f"{catalog}.{table_slice.schema}.{table_slice.table}"

    @staticmethod
    @contextmanager
    def connect(context: Any, table_slice: TableSlice) -> Iterator[duckdb.DuckDBPyConnection]:
        config = context.resource_config if isinstance(context.resource_config, Mapping) else {}
        database = config.get("database") or table_slice.database
        if not database:
            raise ValueError("DuckDbClient.connect: no database to connect to; configure the "
                             "IO manager with database='path/to/file.duckdb'.")
        connection = open_connection(database, config.get("connection_config") or {})
        try:
            connection.begin()
            yield connection
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.close()


def run(connection: Any, sql: str, parameters: Sequence[Any] | None = None) -> list[Any]:
    """Execute and fetch every row: DuckDB refuses new work on a connection while a result
    is unfinished, even that of a statement returning nothing."""
    return connection.execute(sql, parameters).fetchall()


def qualified_name(table_slice: TableSlice) -> str:
    return f"{table_slice.schema}.{table_slice.table}"


def table_exists(connection: Any, table_slice: TableSlice) -> bool:
    found = run(connection, "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = ? AND table_name = ?", [table_slice.schema, table_slice.table])
    return bool(found[0][0])


def _literal(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _where(dimensions: Sequence[TablePartitionDimension]) -> str:
    clauses = []
    for dim in dimensions:
        if isinstance(dim.partitions, TimeWindow):
            start = dim.partitions.start.strftime(_TIME_FORMAT)
            end = dim.partitions.end.strftime(_TIME_FORMAT)
            clauses.append(f"{dim.partition_expr} >= '{start}' AND {dim.partition_expr} < '{end}'")
        elif dim.partitions:
            keys = ", ".join(_literal(k) for k in dim.partitions)
            clauses.append(f"{dim.partition_expr} IN ({keys})")
        else:  # no partitions: an empty slice, not a syntax error
            clauses.append("FALSE")
    return " AND ".join(f"({c})" for c in clauses)


def write_slice(context: Any, table_slice: TableSlice, value: Any, connection: Any) -> None:
    """Insert `value` (anything DuckDB can register: a pandas frame, an Arrow table...) into
    the slice's table, creating the table from it if it does not exist."""
    name = qualified_name(table_slice)
    connection.register(_VALUE, value)
    try:
        if not table_exists(connection, table_slice):
            run(connection, f"CREATE TABLE {name} AS SELECT * FROM {_VALUE}")
            return
        given = [row[0] for row in run(connection, f"DESCRIBE {_VALUE}")]
        columns = [row[0] for row in run(connection, f"DESCRIBE {name}")]
        try:
            run(connection, f"INSERT INTO {name} BY NAME SELECT * FROM {_VALUE}")
        except duckdb.Error as exc:
            raise type(exc)(
                f"Writing {_owner(context)} into DuckDB table {name} failed: {exc}\nThe table "
                f"has columns {columns}; the value has {given}. Give each partition the "
                f"table's columns, or drop {name} to let the next write create it anew (every "
                "stored partition must then be written again).") from exc
    finally:
        with suppress(duckdb.Error):  # a failed transaction has dropped it already
            connection.unregister(_VALUE)


def read_slice(context: Any, table_slice: TableSlice, connection: Any) -> Any:
    """The slice as a DuckDB relation (`.df()`, `.pl()`, `.to_arrow_table()`), or an error
    saying which table is missing and how to make it."""
    if not table_exists(connection, table_slice):
        what = (f"asset '{context.asset_key.to_user_string()}'" if context.has_asset_key
                else f"input '{context.name}'")
        raise duckdb.CatalogException(
            f"Loading {what}: DuckDB table {qualified_name(table_slice)} does not exist in "
            f"{table_slice.database}. Materialize the upstream asset first, or check that it "
            "was stored with the same database and schema (IO manager `schema`, asset "
            "`schema` metadata, key prefix).")
    return connection.sql(DuckDbClient.get_select_statement(table_slice))


def slice_metadata(context: Any, table_slice: TableSlice, rows: int,
                   connection: Any) -> dict[str, Any]:
    """The column schema of the table as DuckDB stores it, and the rows just written: the
    table's row count, or the partition's when the value is a partition."""
    described = run(connection, f"DESCRIBE {qualified_name(table_slice)}")
    schema = TableSchema(columns=[TableColumn(name=str(row[0]), type=str(row[1]))
                                  for row in described])
    count_key = PARTITION_ROW_COUNT_METADATA if table_slice.partition_dimensions \
        else ROW_COUNT_METADATA
    return {COLUMN_SCHEMA_METADATA: MetadataValue.table_schema(schema),
            count_key: MetadataValue.int(int(rows))}


def _owner(context: Any) -> str:
    if not context.has_asset_key:
        return f"output '{context.name}'"
    what = f"asset '{context.asset_key.to_user_string()}'"
    if context.has_partition_key:
        what += f" partition '{context.partition_key}'"
    return what


class DuckDBIOManager(ConfigurableIOManagerFactory):
    """Stores each asset as a DuckDB table; a subclass names its type handlers.

    ```python
    class MyDuckDBIOManager(DuckDBIOManager):
        @staticmethod
        def type_handlers() -> Sequence[DbTypeHandler]:
            return [DuckDBPandasTypeHandler()]

    Definitions(assets=[...], resources={"io_manager": MyDuckDBIOManager(database="my.duckdb")})
    ```
    """

    database: str = Field(description="Path of the DuckDB database file.")
    connection_config: dict[str, Any] = Field(
        default_factory=dict,
        description="DuckDB configuration options for each connection, e.g. {'threads': 2}.")
    schema_: str | None = Field(
        default=None, alias="schema",
        description="The schema of assets whose metadata names none (before the asset key's "
                    "prefix); 'public' when neither gives one.")

    @staticmethod
    @abstractmethod
    def type_handlers() -> Sequence[DbTypeHandler]:
        """The handlers of the in-memory types this IO manager stores and loads."""

    @staticmethod
    def default_load_type() -> type | None:
        """The type an input without a type annotation is loaded as (None: the only handled
        type when there is one, else an annotation is required)."""
        return None

    def create_io_manager(self, context: Any) -> DbIOManager:
        return DbIOManager(db_client=DuckDbClient(), database=self.database,
                           schema=self.schema_, type_handlers=self.type_handlers(),
                           default_load_type=self.default_load_type(),
                           io_manager_name=type(self).__name__)


def build_duckdb_io_manager(type_handlers: Sequence[DbTypeHandler],
                            default_load_type: type | None = None) -> IOManagerDefinition:
    """An IO manager definition storing assets in DuckDB through `type_handlers`, configured
    with `database`, and optionally `schema` and `connection_config`:

    ```python
    duckdb_io_manager = build_duckdb_io_manager([DuckDBPandasTypeHandler()])
    Definitions(assets=[...],
                resources={"io_manager": duckdb_io_manager.configured({"database": "my.duckdb"})})
    ```
    """
    handlers = list(type_handlers)

    @io_manager(config_schema=DuckDBIOManager.to_config_schema())
    def duckdb_io_manager(init_context: Any) -> DbIOManager:
        config = init_context.resource_config
        return DbIOManager(db_client=DuckDbClient(), database=config["database"],
                           schema=config.get("schema"), type_handlers=handlers,
                           default_load_type=default_load_type,
                           io_manager_name="DuckDBIOManager")

    return duckdb_io_manager
