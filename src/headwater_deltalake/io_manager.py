"""The Delta Lake IO manager: `DeltaLakeIOManager` (the base class that the PyArrow, pandas
and polars IO managers fill with type handlers), `DeltaLakeDbClient` (what the core's
DbIOManager needs: a table's location and the SQL of a slice) and the write options a handler
applies (`TableConnection`).

Each asset is one Delta table at `<root_uri>/<schema>/<table>`, where DbIOManager picks the
schema and table (asset key, `schema`/`table` metadata, the `schema` config). A partitioned
asset's table is partitioned natively by the column its `partition_expr` metadata names, and a
write replaces only the rows of its partitions (an overwrite with a predicate, which deltalake
checks every written row against). There is nothing to delete ahead of a write and no schema
to create: the predicate replaces the slice in the same commit, and directories appear on write.

Imports deltalake (for its option types only), pydantic, headwater's public names and the
core's db_io_manager and time-window modules.
"""

from __future__ import annotations

import enum
from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from headwater import ConfigurableIOManagerFactory
from headwater.definitions.config.db_io_manager import (
    DbClient,
    DbIOManager,
    DbTypeHandler,
    TablePartitionDimension,
    TableSlice,
)
from headwater.definitions.partitions.time_window import TimeWindow
from headwater_deltalake.config import (
    AzureConfig,
    ClientConfig,
    GcsConfig,
    LocalConfig,
    S3Config,
)

DELTA_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
DELTA_DATE_FORMAT = "%Y-%m-%d"


class WriteMode(str, enum.Enum):
    """What a write does when the table exists: replace it (or, for a partition, the
    partition's rows), add to it, fail, or leave it as it is."""

    error = "error"
    append = "append"
    overwrite = "overwrite"
    ignore = "ignore"


class WriterEngine(str, enum.Enum):
    """deltalake's writer. deltalake 1.x writes with its Rust engine only, so `rust` is the
    one value that works; `pyarrow` is refused with the fix (see DeltaLakeIOManager)."""

    pyarrow = "pyarrow"
    rust = "rust"


class SchemaMode(str, enum.Enum):
    """How a write treats a value whose columns differ from the table's: `merge` adds the
    new columns, `overwrite` replaces the table's schema (deltalake's `schema_mode`)."""

    merge = "merge"
    overwrite = "overwrite"


@dataclass(frozen=True)
class TableConnection:
    """One table and how to write it: what `DeltaLakeDbClient.connect` hands a type handler."""

    table_uri: str
    storage_options: dict[str, str]
    table_config: dict[str, str] | None = None
    mode: WriteMode = WriteMode.overwrite
    schema_mode: SchemaMode | None = None
    custom_metadata: dict[str, str] | None = None
    writer_properties: dict[str, str] | None = field(default=None)


class DeltaLakeDbClient(DbClient):
    """Delta Lake for DbIOManager. An instance carries the IO manager's settings, since a
    Delta table has no server to hold them."""

    def __init__(self, root_uri: str = "", storage_options: Mapping[str, str] | None = None,
                 write_options: Mapping[str, Any] | None = None):
        self._root_uri = root_uri.rstrip("/")
        self._storage_options = dict(storage_options or {})
        self._write_options = dict(write_options or {})

    @staticmethod
    def delete_table_slice(context: Any, table_slice: TableSlice, connection: Any) -> None:
        """Nothing: the write's predicate replaces the slice in the same commit."""

    @staticmethod
    def ensure_schema_exists(context: Any, table_slice: TableSlice, connection: Any) -> None:
        """Nothing: a schema is a directory, created when the first table in it is written."""

    @staticmethod
    def get_select_statement(table_slice: TableSlice) -> str:
        columns = ", ".join(quote(c) for c in table_slice.columns) if table_slice.columns \
            else "*"
        query = f"SELECT {columns} FROM {table_slice.schema}.{table_slice.table}"
        if table_slice.partition_dimensions:
            query += f" WHERE {partition_predicate(table_slice.partition_dimensions, None)}"
        return query

    @contextmanager
    def connect(self, context: Any, table_slice: TableSlice  # type: ignore[override]
                ) -> Iterator[TableConnection]:
        if not self._root_uri:
            raise ValueError("DeltaLakeDbClient has no root_uri: configure the IO manager with "
                             "root_uri='path/to/tables' (or a cloud URL).")
        yield TableConnection(
            table_uri=f"{self._root_uri}/{table_slice.schema}/{table_slice.table}",
            storage_options=dict(self._storage_options), **self._write_options)


def quote(identifier: str) -> str:
    """A column name as DataFusion SQL (deltalake's predicates) reads it, case kept."""
    return '"' + identifier.replace('"', '""') + '"'


def _literal(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def partition_predicate(dimensions: Sequence[TablePartitionDimension],
                        column_types: Mapping[str, str] | None) -> str:
    """The SQL predicate selecting the slice's partitions. A time window is a half-open range
    written as a date when the column is a date, else as a timestamp; keys are a list."""
    clauses = []
    for dim in dimensions:
        column = quote(dim.partition_expr)
        if isinstance(dim.partitions, TimeWindow):
            is_date = (column_types or {}).get(dim.partition_expr) == "date"
            fmt = DELTA_DATE_FORMAT if is_date else DELTA_DATETIME_FORMAT
            start, end = (dim.partitions.start.strftime(fmt), dim.partitions.end.strftime(fmt))
            clauses.append(f"{column} >= '{start}' AND {column} < '{end}'")
        elif dim.partitions:
            clauses.append(f"{column} IN ({', '.join(_literal(k) for k in dim.partitions)})")
        else:  # no keys: an empty slice, not a syntax error
            clauses.append("FALSE")
    return " AND ".join(f"({c})" if len(clauses) > 1 else c for c in clauses)


class DeltaLakeIOManager(ConfigurableIOManagerFactory):
    """Stores each asset as a Delta table under `root_uri`; a subclass names its type handlers.

    ```python
    class MyDeltaLakeIOManager(DeltaLakeIOManager):
        @staticmethod
        def type_handlers() -> Sequence[DbTypeHandler]:
            return [DeltaLakePyArrowTypeHandler()]

    Definitions(assets=[...], resources={"io_manager": MyDeltaLakeIOManager(
        root_uri="path/to/tables", storage_options=LocalConfig())})
    ```
    """

    root_uri: str = Field(description="Where the tables live: a directory, or an s3://, "
                                      "gs://, az:// or abfss:// URL.")
    mode: WriteMode = Field(default=WriteMode.overwrite,
                            description="How outputs are written; an asset's `mode` metadata "
                                        "overrides it.")
    overwrite_schema: bool = Field(
        default=False, description="Let a write replace the table's schema (the same as "
                                   "schema_mode='overwrite').")
    schema_mode: SchemaMode | None = Field(
        default=None, description="'merge' to add new columns to the table, 'overwrite' to "
                                  "replace its schema; an asset's `schema_mode` metadata "
                                  "overrides it.")
    writer_engine: WriterEngine = Field(
        default=WriterEngine.rust, description="deltalake's writer; deltalake 1.x has only "
                                               "'rust'.")
    storage_options: AzureConfig | S3Config | LocalConfig | GcsConfig = Field(
        discriminator="provider", description="The object store and its credentials.")
    client_options: ClientConfig | None = Field(
        default=None, description="Options of the HTTP client for cloud stores.")
    table_config: dict[str, str] | None = Field(
        default=None, description="Delta table properties set when a table is created, e.g. "
                                  "{'delta.appendOnly': 'true'}.")
    schema_: str | None = Field(
        default=None, alias="schema",
        description="The schema (directory under root_uri) of assets whose metadata names "
                    "none, before the asset key's prefix; 'public' when neither gives one.")
    custom_metadata: dict[str, str] | None = Field(
        default=None, description="Metadata added to every commit; an asset's "
                                  "`custom_metadata` metadata overrides it.")
    writer_properties: dict[str, str] | None = Field(
        default=None, description="Parquet writer properties (deltalake.WriterProperties "
                                  "arguments, e.g. {'compression': 'ZSTD'}).")

    @staticmethod
    @abstractmethod
    def type_handlers() -> Sequence[DbTypeHandler]:
        """The handlers of the in-memory types this IO manager stores and loads."""

    @staticmethod
    def default_load_type() -> type | None:
        """The type an input without a type annotation is loaded as."""
        return None

    def create_io_manager(self, context: Any) -> DbIOManager:
        if self.writer_engine is WriterEngine.pyarrow:
            raise ValueError(
                f"{type(self).__name__}: writer_engine='pyarrow' is gone from deltalake 1.x, "
                "which writes with its Rust engine only. Remove writer_engine (or set it to "
                "'rust').")
        options = {**self.storage_options.str_dict(),
                   **(self.client_options.str_dict() if self.client_options else {})}
        schema_mode = SchemaMode.overwrite if self.overwrite_schema else self.schema_mode
        client = DeltaLakeDbClient(
            root_uri=self.root_uri, storage_options=options,
            write_options={"mode": WriteMode(self.mode), "schema_mode": schema_mode,
                           "table_config": self.table_config,
                           "custom_metadata": self.custom_metadata,
                           "writer_properties": self.writer_properties})
        return DbIOManager(db_client=client, database="deltalake", schema=self.schema_,
                           type_handlers=self.type_handlers(),
                           default_load_type=self.default_load_type(),
                           io_manager_name=type(self).__name__)
