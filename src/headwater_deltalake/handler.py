"""Type handlers for Delta tables: `DeltalakeBaseArrowTypeHandler` writes any value it can turn
into Arrow and reads a slice back through Arrow; `DeltaLakePyArrowTypeHandler` is the one for
PyArrow tables and record batch readers; `DeltaLakePyarrowIOManager` stores them.

A write goes through `deltalake.write_deltalake`; a read is a DataFusion query over the table
(deltalake's `QueryBuilder`), the same SELECT that is recorded as the output's `Query`, so the
rows a downstream asset gets are the rows the metadata describes. Every write records the
table's columns, the rows now in the slice, the table's size and its URI.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeAlias, TypeVar

import pyarrow as pa
import pyarrow.dataset as ds
from deltalake import CommitProperties, DeltaTable, QueryBuilder, WriterProperties, write_deltalake
from deltalake.exceptions import DeltaError, TableNotFoundError

from headwater import MetadataValue, TableColumn, TableSchema
from headwater.definitions.config.db_io_manager import (
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
from headwater_deltalake.io_manager import (
    DeltaLakeIOManager,
    SchemaMode,
    TableConnection,
    WriteMode,
    partition_predicate,
    quote,
)

T = TypeVar("T")
ArrowTypes: TypeAlias = pa.Table | pa.RecordBatchReader | ds.Dataset
_QUERY_NAME = "headwater_slice"


class DeltalakeBaseArrowTypeHandler(DbTypeHandler[T], Generic[T]):
    """Stores a value as a Delta table through Arrow: implement `to_arrow` and `from_arrow`."""

    @abstractmethod
    def from_arrow(self, obj: pa.RecordBatchReader, target_type: type) -> T:
        """The slice just read, as the type the input asks for."""

    @abstractmethod
    def to_arrow(self, obj: T) -> tuple[pa.RecordBatchReader, dict[str, Any]]:
        """The value as Arrow, and extra keyword arguments for `write_deltalake`."""

    def handle_output(self, context: Any, table_slice: TableSlice, obj: T,
                      connection: TableConnection) -> Mapping[str, Any]:
        reader, delta_params = self.to_arrow(obj)
        metadata = context.definition_metadata or {}
        mode = _write_mode(context, metadata.get("mode"), connection.mode)
        dimensions = list(table_slice.partition_dimensions or [])
        types = _column_types(reader.schema)
        missing = [d.partition_expr for d in dimensions if d.partition_expr not in types]
        if missing:
            raise ValueError(
                f"{_owner(context)}: the value has no column {missing[0]!r}, which its "
                f"'partition_expr' metadata names (it has {list(types)}). Delta tables are "
                "partitioned by a column: add it to the value (e.g. the partition key), or "
                "point partition_expr at an existing column.")
        _check_time_columns(context, dimensions, types)
        predicate = partition_predicate(dimensions, types) \
            if dimensions and mode is WriteMode.overwrite else None
        custom = metadata.get("custom_metadata") or connection.custom_metadata
        properties: dict[str, Any] = dict(connection.writer_properties or {})
        options: dict[str, Any] = {
            "mode": mode.value, "partition_by": [d.partition_expr for d in dimensions] or None,
            "schema_mode": _schema_mode(metadata, connection),
            "storage_options": connection.storage_options,
            "configuration": connection.table_config,
            "writer_properties": WriterProperties(**properties) if properties else None,
            "commit_properties": CommitProperties(custom_metadata=dict(custom))
            if custom else None, **delta_params}
        if predicate is not None:  # deltalake takes a predicate with mode='overwrite' only
            options["predicate"] = predicate
        try:
            write_deltalake(connection.table_uri, reader, **options)
        except DeltaError as exc:
            raise type(exc)(_write_failure(context, connection, predicate, exc)) from exc
        return _written_metadata(table_slice, connection, reader.schema)

    def load_input(self, context: Any, table_slice: TableSlice,
                   connection: TableConnection) -> T:
        reader = read_slice(context, table_slice, connection)
        target = getattr(context.headwater_type, "typing_type", Any)
        return self.from_arrow(reader, target)


class DeltaLakePyArrowTypeHandler(DeltalakeBaseArrowTypeHandler[ArrowTypes]):
    """PyArrow `Table`s, `RecordBatchReader`s and `Dataset`s as Delta tables. An input
    annotated `pyarrow.dataset.Dataset` gets the table's files, filtered to the slice's
    partitions and read only when scanned."""

    def from_arrow(self, obj: pa.RecordBatchReader, target_type: type) -> ArrowTypes:
        return obj if target_type is pa.RecordBatchReader else obj.read_all()

    def to_arrow(self, obj: ArrowTypes) -> tuple[pa.RecordBatchReader, dict[str, Any]]:
        if isinstance(obj, pa.Table):
            return obj.to_reader(), {}
        if isinstance(obj, ds.Dataset):
            return obj.scanner().to_reader(), {}
        return obj, {}

    def load_input(self, context: Any, table_slice: TableSlice,
                   connection: TableConnection) -> ArrowTypes:
        if getattr(context.headwater_type, "typing_type", None) is ds.Dataset:
            return dataset_slice(context, table_slice, connection)
        return super().load_input(context, table_slice, connection)

    @property
    def supported_types(self) -> Sequence[type]:
        return [pa.Table, pa.RecordBatchReader, ds.Dataset]


class DeltaLakePyarrowIOManager(DeltaLakeIOManager):
    """Stores PyArrow tables as Delta tables: `DeltaLakePyarrowIOManager(root_uri=...,
    storage_options=LocalConfig())`. An input without annotation is read as a `pa.Table`."""

    @staticmethod
    def type_handlers() -> Sequence[DbTypeHandler]:
        return [DeltaLakePyArrowTypeHandler()]

    @staticmethod
    def default_load_type() -> type | None:
        return pa.Table


def open_table(context: Any, connection: TableConnection) -> DeltaTable:
    """The table, or an error saying which table is missing and how to make it."""
    try:
        return DeltaTable(connection.table_uri, storage_options=connection.storage_options)
    except TableNotFoundError as exc:
        raise TableNotFoundError(
            f"Loading {_owner(context)}: there is no Delta table at {connection.table_uri}. "
            "Materialize the upstream asset first, or check that it was stored with the same "
            "root_uri and schema (IO manager `schema`, asset `schema` metadata, key prefix)."
        ) from exc


def read_slice(context: Any, table_slice: TableSlice,
               connection: TableConnection) -> pa.RecordBatchReader:
    """The slice's rows and columns, streamed as Arrow record batches."""
    table = open_table(context, connection)
    types = _column_types(pa.schema(table.schema().to_arrow()))
    unknown = [c for c in table_slice.columns or () if c not in types]
    if unknown:
        raise ValueError(
            f"Loading {_owner(context)}: the Delta table at {connection.table_uri} has no "
            f"column(s) {unknown}, which the input's 'columns' metadata asks for. Its columns "
            f"are {list(types)}.")
    _check_time_columns(context, table_slice.partition_dimensions or [], types)
    columns = ", ".join(quote(c) for c in table_slice.columns) if table_slice.columns else "*"
    query = f"SELECT {columns} FROM {_QUERY_NAME}"
    if table_slice.partition_dimensions:
        query += f" WHERE {partition_predicate(table_slice.partition_dimensions, types)}"
    result = QueryBuilder().register(_QUERY_NAME, table).execute(query)
    return pa.RecordBatchReader.from_stream(result)


def dataset_slice(context: Any, table_slice: TableSlice,
                  connection: TableConnection) -> ds.Dataset:
    """The table's files as a PyArrow dataset, filtered to the slice's partitions."""
    if table_slice.columns:
        raise ValueError(
            f"Loading {_owner(context)} as a pyarrow Dataset: a Dataset keeps every column, "
            "so the input's 'columns' metadata cannot apply. Remove it, or annotate the "
            "input as pa.Table.")
    dataset = open_table(context, connection).to_pyarrow_dataset()
    dimensions = list(table_slice.partition_dimensions or [])
    _check_time_columns(context, dimensions, _column_types(dataset.schema))
    condition = None
    for dim in dimensions:
        clause = _arrow_condition(dim, dataset.schema.field(dim.partition_expr).type)
        condition = clause if condition is None else condition & clause
    return dataset if condition is None else dataset.filter(condition)


def _arrow_condition(dim: TablePartitionDimension, column_type: pa.DataType) -> Any:
    column = ds.field(dim.partition_expr)
    if isinstance(dim.partitions, TimeWindow):
        start, end = dim.partitions.start, dim.partitions.end
        if pa.types.is_date(column_type):
            bounds = (start.date(), end.date())
        elif getattr(column_type, "tz", None) is None:  # naive timestamps: the window's wall time
            bounds = (start.replace(tzinfo=None), end.replace(tzinfo=None))
        else:
            bounds = (start, end)
        return (column >= pa.scalar(bounds[0], type=column_type)) & \
            (column < pa.scalar(bounds[1], type=column_type))
    if not dim.partitions:
        return ds.scalar(False)
    return column.isin(pa.array(list(dim.partitions)).cast(column_type))


def _check_time_columns(context: Any, dimensions: Sequence[TablePartitionDimension],
                        types: Mapping[str, str]) -> None:
    """A time window is compared with a date or a timestamp, never with text."""
    for dim in dimensions:
        if isinstance(dim.partitions, TimeWindow) and types.get(dim.partition_expr) == "other":
            raise ValueError(
                f"{_owner(context)}: column {dim.partition_expr!r}, which 'partition_expr' "
                "names, is not a date or timestamp, so a time partition cannot select its "
                "rows. Store it as a date or datetime (e.g. dt.date.fromisoformat("
                "context.partition_key), pd.to_datetime(...)).")


def _column_types(schema: pa.Schema) -> dict[str, str]:
    """{column: 'date' | 'timestamp' | 'other'}: what a time window is compared with."""
    def kind(t: pa.DataType) -> str:
        return "date" if pa.types.is_date(t) else "timestamp" if pa.types.is_timestamp(t) \
            else "other"
    return {f.name: kind(f.type) for f in schema}


def _write_mode(context: Any, given: Any, default: WriteMode) -> WriteMode:
    if given is None:
        return WriteMode(default)
    try:
        return WriteMode(getattr(given, "value", given))
    except ValueError:
        raise ValueError(
            f"{_owner(context)} sets metadata mode={given!r}; use one of "
            f"{[m.value for m in WriteMode]}.") from None


def _schema_mode(metadata: Mapping[str, Any], connection: TableConnection) -> str | None:
    given = metadata.get("schema_mode")
    if given is not None:
        try:
            return SchemaMode(getattr(given, "value", given)).value
        except ValueError:
            raise ValueError(f"metadata schema_mode={given!r} is not one of "
                             f"{[m.value for m in SchemaMode]}.") from None
    if metadata.get("overwrite_schema"):
        return SchemaMode.overwrite.value
    return connection.schema_mode.value if connection.schema_mode else None


def _write_failure(context: Any, connection: TableConnection, predicate: str | None,
                   exc: Exception) -> str:
    message = f"Writing {_owner(context)} to the Delta table at {connection.table_uri} " \
              f"failed: {exc}"
    if predicate and "failed validation check" in str(exc):
        message += (f"\nThe value holds rows outside its partition ({predicate}). Return "
                    "only the rows of the partition being materialized.")
    elif "schema" in str(exc).lower():
        message += ("\nThe value's columns differ from the table's. Set metadata "
                    "schema_mode='merge' (add columns) or 'overwrite' (replace the schema), or "
                    "the IO manager's schema_mode.")
    return message


def _written_metadata(table_slice: TableSlice, connection: TableConnection,
                      schema: pa.Schema) -> dict[str, Any]:
    table = DeltaTable(connection.table_uri, storage_options=connection.storage_options)
    actions = pa.table(table.get_add_actions(flatten=True))
    size = sum(v for v in actions.column("size_bytes").to_pylist() if v) \
        if actions.num_rows else 0
    query = f"SELECT count(*) AS n FROM {_QUERY_NAME}"
    if table_slice.partition_dimensions:
        types = _column_types(pa.schema(table.schema().to_arrow()))
        query += f" WHERE {partition_predicate(table_slice.partition_dimensions, types)}"
    counted = pa.RecordBatchReader.from_stream(
        QueryBuilder().register(_QUERY_NAME, table).execute(query)).read_all()
    rows = int(counted.column("n")[0].as_py())
    columns = TableSchema(columns=[TableColumn(name=f.name, type=str(f.type)) for f in schema])
    count_key = PARTITION_ROW_COUNT_METADATA if table_slice.partition_dimensions \
        else ROW_COUNT_METADATA
    return {"table_columns": MetadataValue.table_schema(columns),
            "table_uri": MetadataValue.text(connection.table_uri),
            "num_rows": MetadataValue.int(rows),
            "size_bytes": MetadataValue.int(int(size)),
            "version": MetadataValue.int(table.version()),
            COLUMN_SCHEMA_METADATA: MetadataValue.table_schema(columns),
            count_key: MetadataValue.int(rows)}


def _owner(context: Any) -> str:
    if not context.has_asset_key:
        return f"output '{context.name}'"
    what = f"asset '{context.asset_key.to_user_string()}'"
    if getattr(context, "has_partition_key", False) and context.has_asset_partitions:
        what += f" partition '{context.partition_key}'"
    return what
