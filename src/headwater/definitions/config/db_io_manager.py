"""`DbIOManager`: an IO manager that keeps each asset as a table of a database, for any
database a `DbClient` can talk to and any in-memory type a `DbTypeHandler` can convert.

The three parts and who owns what:

- `DbClient` (one per database: DuckDB, Snowflake...) opens a connection, creates a schema,
  deletes the rows a write replaces and writes the SELECT that reads a `TableSlice` back.
- `DbTypeHandler` (one per in-memory type: pandas, polars...) writes a value into the table
  and reads a slice of it back as that type.
- `DbIOManager` (here) decides *which* slice of *which* table a value is: the table is the
  asset key's last part (or the output name for an op output); the schema is the `schema`
  definition metadata, else the IO manager's `schema`, else the asset key's prefix, else
  `public`; the `table` definition metadata renames the table. A partitioned asset's slice
  is its partitions on the column its `partition_expr` metadata names: a time window as a
  range, static and dynamic keys as a list, a multi-partition as one of those per
  dimension (`partition_expr` is then a dict by dimension name). An input's `columns`
  metadata narrows what is read.

A write deletes the slice, then inserts the value: re-materializing a partition replaces
exactly that partition. Imports `io_manager`, `metadata` and `partitions` (to tell a time
window from a list of keys), never a database library.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Generic, NamedTuple, TypeVar, get_origin

from headwater.definitions.config.io_manager import IOManager
from headwater.definitions.partitions.multi import MultiPartitionKey, MultiPartitionsDefinition
from headwater.definitions.partitions.time_window import TimeWindow, TimeWindowPartitionsDefinition
from headwater.definitions.tags import RELATION_IDENTIFIER_METADATA, TABLE_NAME_METADATA
from headwater.errors import HeadwaterInvalidDefinitionError, HeadwaterInvariantViolationError

T = TypeVar("T")


class TablePartitionDimension(NamedTuple):
    """One partition dimension of a slice: the column (or SQL expression) holding the
    partition, and either a time window or the partition keys to keep."""

    partition_expr: str
    partitions: TimeWindow | Sequence[str]


class TableSlice(NamedTuple):
    """The rows and columns of one table that a write replaces or a read returns."""

    table: str
    schema: str
    database: str | None = None
    columns: Sequence[str] | None = None
    partition_dimensions: Sequence[TablePartitionDimension] | None = None


class DbTypeHandler(ABC, Generic[T]):
    """Converts between one in-memory type (`supported_types`) and a database table."""

    @abstractmethod
    def handle_output(self, context: Any, table_slice: TableSlice, obj: T,
                      connection: Any) -> Mapping[str, Any] | None:
        """Write `obj` into the slice (already emptied); return metadata to record."""

    @abstractmethod
    def load_input(self, context: Any, table_slice: TableSlice, connection: Any) -> T:
        """Read the slice as this handler's type."""

    @property
    @abstractmethod
    def supported_types(self) -> Sequence[type]:
        """The types this handler writes and reads."""


class DbClient(ABC):
    """What DbIOManager needs from a database. Every method is static, as in Dagster, so
    that a client is a namespace of operations and holds no connection of its own."""

    @staticmethod
    @abstractmethod
    def delete_table_slice(context: Any, table_slice: TableSlice, connection: Any) -> None:
        """Remove the rows of the slice (the whole table when it has no partitions)."""

    @staticmethod
    @abstractmethod
    def get_select_statement(table_slice: TableSlice) -> str:
        """The SELECT that reads the slice."""

    @staticmethod
    @abstractmethod
    def ensure_schema_exists(context: Any, table_slice: TableSlice, connection: Any) -> None:
        """Create the slice's schema if the database lacks it."""

    @staticmethod
    @abstractmethod
    def connect(context: Any, table_slice: TableSlice) -> AbstractContextManager[Any]:
        """A context manager giving a connection for the duration of one read or write."""

    @staticmethod
    def get_relation_identifier(table_slice: TableSlice) -> str:
        """The table's fully qualified name, recorded as relation identifier metadata."""
        return ".".join(p for p in (table_slice.database, table_slice.schema, table_slice.table)
                        if p)


class DbIOManager(IOManager):
    """Stores outputs as tables and loads inputs from them (see the module docstring)."""

    def __init__(self, *, type_handlers: Sequence[DbTypeHandler], db_client: DbClient,
                 database: str, schema: str | None = None, io_manager_name: str | None = None,
                 default_load_type: type | None = None):
        self._io_manager_name = io_manager_name or type(self).__name__
        self._handlers_by_type: dict[Any, DbTypeHandler] = {}
        for handler in type_handlers:
            for handled in handler.supported_types:
                if handled in self._handlers_by_type:
                    raise HeadwaterInvalidDefinitionError(
                        f"{self._io_manager_name} got two type handlers for {_name(handled)}: "
                        f"{type(self._handlers_by_type[handled]).__name__} and "
                        f"{type(handler).__name__}. Keep one of them.")
                self._handlers_by_type[handled] = handler
        self._db_client = db_client
        self._database = database
        self._schema = schema
        if (default_load_type is None and len(type_handlers) == 1
                and len(type_handlers[0].supported_types) == 1):
            default_load_type = type_handlers[0].supported_types[0]
        self._default_load_type = default_load_type

    # --- the IOManager interface ----------------------------------------------------------
    def handle_output(self, context: Any, obj: Any) -> None:
        table_slice = self._table_slice(context, context)
        if obj is None:
            self._check_nothing_output(context)
        else:
            handler = self._handler_for(type(obj), context, "store")
            with self._db_client.connect(context, table_slice) as connection:
                self._db_client.ensure_schema_exists(context, table_slice, connection)
                self._db_client.delete_table_slice(context, table_slice, connection)
                metadata = handler.handle_output(context, table_slice, obj, connection) or {}
            context.add_output_metadata(dict(metadata))
        context.add_output_metadata({"Query": self._db_client.get_select_statement(table_slice)})
        if context.has_asset_key:
            identifier = self._db_client.get_relation_identifier(table_slice)
            context.add_output_metadata({RELATION_IDENTIFIER_METADATA: identifier,
                                         TABLE_NAME_METADATA: identifier})

    def load_input(self, context: Any) -> Any:
        wanted = getattr(context.headwater_type, "typing_type", Any)
        load_type = self._default_load_type if wanted is Any and self._default_load_type \
            else wanted
        handler = self._handler_for(load_type, context, "load")
        upstream = context.upstream_output
        if upstream is None:
            raise HeadwaterInvariantViolationError(
                f"{self._io_manager_name} cannot load input '{context.name}': it comes from no "
                "upstream output (it reads the table an upstream asset or op wrote).")
        table_slice = self._table_slice(context, upstream)
        with self._db_client.connect(context, table_slice) as connection:
            return handler.load_input(context, table_slice, connection)

    # --- which handler ---------------------------------------------------------------------
    def _handler_for(self, wanted: Any, context: Any, verb: str) -> DbTypeHandler:
        wanted = get_origin(wanted) or wanted  # an input annotated `list` has type List[Any]
        if wanted in self._handlers_by_type:
            return self._handlers_by_type[wanted]
        for base in getattr(wanted, "__mro__", ())[1:]:
            if base in self._handlers_by_type:
                return self._handlers_by_type[base]
        known = ", ".join(_name(t) for t in self._handlers_by_type) or "none"
        what = _what(context)
        if wanted is Any:
            fix = (f"annotate {what} with one of these types (the IO manager has several "
                   "handlers and no default load type)")
        else:
            fix = (f"return/annotate one of these types, or give {self._io_manager_name} a "
                   f"type handler for {_name(wanted)}")
        raise HeadwaterInvariantViolationError(
            f"{self._io_manager_name} cannot {verb} {what} as {_name(wanted)}: it has type "
            f"handlers for {known}. Fix: {fix}.")

    def _check_nothing_output(self, context: Any) -> None:
        htype = context.headwater_type
        if htype is not None and not getattr(htype, "is_nothing", False) \
                and getattr(htype, "typing_type", Any) not in (type(None), None):
            raise HeadwaterInvariantViolationError(
                f"{self._io_manager_name} got None for {_what(context)}, whose type is "
                f"{getattr(htype, 'display_name', htype)}. Return the table's value, or "
                "annotate the output `-> None` if the function writes the table itself.")

    # --- which table and which rows --------------------------------------------------------
    def _table_slice(self, context: Any, output: Any) -> TableSlice:
        metadata = output.definition_metadata or {}
        if context.has_asset_key:
            path = context.asset_key.path
            table = metadata.get("table") or path[-1]
            prefix = path[-2] if len(path) > 1 else None
            schema = metadata.get("schema") or self._schema or prefix or "public"
            dimensions = self._partition_dimensions(context, output, metadata)
        else:
            table = metadata.get("table") or output.name
            schema = metadata.get("schema") or self._schema or "public"
            dimensions = []
        columns = (context.definition_metadata or {}).get("columns")
        if columns is not None and (isinstance(columns, str) or not all(
                isinstance(c, str) for c in columns)):
            raise HeadwaterInvalidDefinitionError(
                f"{_what(context)}: metadata 'columns' must be a list of column names, got "
                f"{columns!r}. Write metadata={{'columns': ['a', 'b']}}.")
        return TableSlice(table=str(table), schema=str(schema), database=self._database,
                          columns=list(columns) if columns is not None else None,
                          partition_dimensions=dimensions)

    def _partition_dimensions(self, context: Any, output: Any, metadata: Mapping[str, Any]
                              ) -> list[TablePartitionDimension]:
        pdef = context.asset_partitions_def
        # A context has a partition key whenever its run has one; only a partitioned asset's
        # value is a slice of its table.
        if pdef is None or not context.has_asset_partitions:
            return []
        asset = context.asset_key.to_user_string()
        expr = metadata.get("partition_expr")
        if expr is None:
            example = ("{'partition_expr': {" + ", ".join(
                f"'{d.name}': '<column>'" for d in pdef.partitions_defs) + "}}"
                if isinstance(pdef, MultiPartitionsDefinition) else "{'partition_expr': '<column>'}")
            raise HeadwaterInvalidDefinitionError(
                f"Asset '{asset}' is partitioned, but its metadata has no 'partition_expr', so "
                f"{self._io_manager_name} does not know which column holds the partition. Add "
                f"metadata={example} to the asset.")
        keys = list(context.asset_partition_keys)
        if not isinstance(pdef, MultiPartitionsDefinition):
            if not isinstance(expr, str):
                raise HeadwaterInvalidDefinitionError(
                    f"Asset '{asset}': metadata 'partition_expr' must be a column name (a str), "
                    f"got {expr!r}.")
            return [TablePartitionDimension(expr, _partitions_of(pdef, keys))]
        if not isinstance(expr, Mapping):
            raise HeadwaterInvalidDefinitionError(
                f"Asset '{asset}' has multi-partitions {pdef.partition_dimension_names}; its "
                f"'partition_expr' must map each dimension to a column, e.g. "
                f"{ {d: '<column>' for d in pdef.partition_dimension_names} }, got {expr!r}.")
        missing = [d for d in pdef.partition_dimension_names if d not in expr]
        if missing:
            raise HeadwaterInvalidDefinitionError(
                f"Asset '{asset}': 'partition_expr' names no column for dimension(s) "
                f"{missing}. Add {', '.join(repr(m) + ': <column>' for m in missing)} to it.")
        by_dimension = [_as_multi(pdef, k).keys_by_dimension for k in keys]
        return [TablePartitionDimension(
                    str(expr[dim.name]),
                    _partitions_of(dim.partitions_def,
                                   list(dict.fromkeys(k[dim.name] for k in by_dimension))))
                for dim in pdef.partitions_defs]


def _partitions_of(pdef: Any, keys: list[str]) -> TimeWindow | list[str]:
    """A time window spanning the keys of a time-partitioned asset; else the keys."""
    if not isinstance(pdef, TimeWindowPartitionsDefinition) or not keys:
        return keys
    windows = [pdef.time_window_for_partition_key(k) for k in keys]
    return TimeWindow(min(w.start for w in windows), max(w.end for w in windows))


def _as_multi(pdef: MultiPartitionsDefinition, key: str) -> MultiPartitionKey:
    return key if isinstance(key, MultiPartitionKey) else pdef.get_partition_key_from_str(key)


def _what(context: Any) -> str:
    if context.has_asset_key:
        return f"asset '{context.asset_key.to_user_string()}'"
    kind = "output" if hasattr(context, "add_output_metadata") else "input"
    return f"{kind} '{context.name}'"


def _name(t: Any) -> str:
    module = getattr(t, "__module__", "")
    qualname = getattr(t, "__qualname__", repr(t))
    return f"{module}.{qualname}" if module and module != "builtins" else qualname

