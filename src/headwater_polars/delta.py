"""`PolarsDeltaIOManager`: polars frames as Delta Lake tables (with the `deltalake` package).

Each asset is one table, `<base_dir>/<key parts>.delta`; a partitioned asset is one table per
partition (`<key parts>/<partition>.delta`) unless its metadata sets `partition_by`: then all
partitions share one table, partitioned by that column (a dict {dimension: column} for a
multi-partitioned asset), each run overwriting only its own partition (a predicate on the
column), and a downstream input reads only the partitions it maps to.

How a table is written is the asset metadata's `mode` (else the `mode` config):
overwrite (default), append, error, ignore, or merge (an upsert through
`delta_merge_options`: predicate, source_alias, target_alias; then update every matched row
and insert every unmatched one, switched by `when_matched_update_all`,
`when_not_matched_insert_all`, `when_not_matched_by_source_delete`). A merge into a table
that does not exist yet creates it. `delta_write_options` go to deltalake's writer;
inputs may set `version`, `delta_table_options` and `pyarrow_options`. Imports polars,
deltalake, this package's base, annotation and storage modules, and headwater's public names.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import polars as pl
from deltalake import DeltaTable

from headwater import MetadataValue
from headwater_polars.annotation import describe, frame_request
from headwater_polars.base import BasePolarsUPathIOManager
from headwater_polars.metadata import ROW_COUNT
from headwater_polars.storage import NATIVE_PROTOCOLS, is_local, local_path, protocol_of


class DeltaWriteMode(str, enum.Enum):
    """How a frame is written to its Delta table."""

    error = "error"
    append = "append"
    overwrite = "overwrite"
    ignore = "ignore"
    merge = "merge"


_MERGE_CLAUSES = {"when_matched_update_all": True, "when_not_matched_insert_all": True,
                  "when_not_matched_by_source_delete": False}


def _dimension_keys(key: Any) -> Mapping[str, str] | None:
    keys = getattr(key, "keys_by_dimension", None)
    return keys if isinstance(keys, Mapping) else None


def partition_columns(context: Any, partition_by: Any, manager: str) -> dict[str, str]:
    """{dimension (or "" for a one-dimensional asset): column} from `partition_by`."""
    multi = _dimension_keys(context.asset_partition_keys[0]) is not None
    if isinstance(partition_by, str) and not multi:
        return {"": partition_by}
    if isinstance(partition_by, Mapping) and multi:
        dims = set(_dimension_keys(context.asset_partition_keys[0]) or {})
        if set(partition_by) != dims:
            raise ValueError(
                f"{manager}: {describe(context)} maps partition_by {dict(partition_by)} but its "
                f"partition dimensions are {sorted(dims)}: give one column per dimension.")
        return {str(dim): str(col) for dim, col in partition_by.items()}
    want = ("a dict {dimension: column}" if multi else "a column name (a string)")
    raise ValueError(
        f"{manager}: {describe(context)} sets metadata partition_by={partition_by!r}; for its "
        f"{'multi-' if multi else ''}partitioned asset it must be {want}.")


def _keys_for(columns: Mapping[str, str], keys: Sequence[Any]) -> dict[str, list[str]]:
    """{column: the partition keys (of its dimension) among `keys`}."""
    out: dict[str, list[str]] = {col: [] for col in columns.values()}
    for key in keys:
        by_dim = _dimension_keys(key) or {"": str(key)}
        for dim, col in columns.items():
            if by_dim[dim] not in out[col]:
                out[col].append(by_dim[dim])
    return out


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def partition_predicate(columns: Mapping[str, str], keys: Sequence[Any]) -> str:
    """A deltalake SQL predicate selecting these partitions (what an overwrite replaces)."""
    return " AND ".join(f"{col} IN ({', '.join(_quote(v) for v in values)})"
                        for col, values in _keys_for(columns, keys).items())


def partition_filter(columns: Mapping[str, str], keys: Sequence[Any]) -> pl.Expr:
    """A polars filter selecting these partitions (compared as text, so date columns match)."""
    exprs = [pl.col(col).cast(pl.String).is_in(values)
             for col, values in _keys_for(columns, keys).items()]
    return pl.all_horizontal(exprs)


class PolarsDeltaIOManager(BasePolarsUPathIOManager):  # type: ignore[misc]
    """Stores polars frames as Delta Lake tables under `base_dir`: overwrite, append or merge
    (`mode`), native table partitioning (`partition_by`), time travel (`version`).

    ```python
    @asset(io_manager_key="polars_delta_io_manager", metadata={"mode": "append"})
    def events() -> pl.DataFrame:   # appended to <base_dir>/events.delta
        ...
    ```
    """

    extension: ClassVar[str] = ".delta"  # type: ignore[misc]

    mode: DeltaWriteMode = DeltaWriteMode.overwrite
    version: int | None = None

    # --- where --------------------------------------------------------------------------
    def table_uri(self, path: Any) -> str:
        """What deltalake is given for `path`: a local path or a URL of a store it reaches."""
        if is_local(path):
            return local_path(path)
        if protocol_of(path) in NATIVE_PROTOCOLS:
            return str(path)
        raise ValueError(
            f"{type(self).__name__} writes through deltalake, which reaches local paths and "
            f"s3/gs/az stores, not {protocol_of(path)}:// ({path}). Use a local base_dir or "
            "a cloud URL, or PolarsParquetIOManager for this filesystem.")

    def _partition_by(self, metadata: Mapping[str, Any] | None) -> Any:
        return (metadata or {}).get("partition_by")

    def _upstream_partition_by(self, context: Any) -> Any:
        upstream = getattr(context, "upstream_output", None)
        return self._partition_by(getattr(upstream, "definition_metadata", None))

    def get_path_for_partition(self, context: Any, path: Any, partition: Any) -> Any:
        reading = hasattr(context, "upstream_output")
        shared = (self._upstream_partition_by(context) if reading
                  else self._partition_by(context.definition_metadata))
        if shared is not None:  # one table holds every partition
            return self._with_extension(path)
        return super().get_path_for_partition(context, path, partition)

    # --- writing ----------------------------------------------------------------------------
    def _write_mode(self, context: Any) -> DeltaWriteMode:
        given = (context.definition_metadata or {}).get("mode")
        if given is None:
            return DeltaWriteMode(self.mode)
        try:
            return DeltaWriteMode(given.value if isinstance(given, enum.Enum) else given)
        except ValueError:
            raise ValueError(
                f"{type(self).__name__}: {describe(context)} sets metadata mode={given!r}; "
                f"use one of {[m.value for m in DeltaWriteMode]}.") from None

    def sink_df_to_path(self, context: Any, df: pl.LazyFrame, path: Any) -> None:
        # deltalake writes materialized data: the lazy frame is collected (streaming if asked)
        streaming = (context.definition_metadata or {}).get("streaming", False)
        self.write_df_to_path(context, df.collect(engine="streaming" if streaming else "auto"),
                              path)

    def write_df_to_path(self, context: Any, df: pl.DataFrame, path: Any) -> None:
        metadata = context.definition_metadata or {}
        mode = self._write_mode(context)
        options = dict(metadata.get("delta_write_options") or {})
        if "mode" in options:
            raise ValueError(f"{type(self).__name__}: {describe(context)} sets 'mode' inside "
                             "delta_write_options; set it as the asset metadata key 'mode'.")
        self._add_partitioning(context, df, mode, options)
        uri = self.table_uri(path)
        storage = self.object_store_options
        exists = DeltaTable.is_deltatable(uri, storage_options=storage)
        if mode is DeltaWriteMode.merge and exists:
            self._merge(context, df, uri, storage)
        else:
            if metadata.get("delta_merge_options") and mode is not DeltaWriteMode.merge:
                context.log.warning(f"{describe(context)}: delta_merge_options are not used, "
                                    f"since mode is '{mode.value}' (set mode: 'merge').")
            write_mode = "error" if mode is DeltaWriteMode.merge else mode.value
            df.write_delta(uri, mode=write_mode, storage_options=storage,  # type: ignore[arg-type]
                           delta_write_options=options or None)
        version = DeltaTable(uri, storage_options=storage).version()
        context.add_output_metadata({"version": MetadataValue.int(version)})

    def _add_partitioning(self, context: Any, df: pl.DataFrame, mode: DeltaWriteMode,
                          options: dict[str, Any]) -> None:
        partition_by = self._partition_by(context.definition_metadata)
        if partition_by is None:
            return
        if not context.has_asset_partitions:
            raise ValueError(
                f"{type(self).__name__}: {describe(context)} sets metadata partition_by="
                f"{partition_by!r} but is not partitioned; partition_by stores the asset's "
                "partitions in one table. Remove it, or partition the table by a column with "
                "delta_write_options={'partition_by': [...]}.")
        columns = partition_columns(context, partition_by, type(self).__name__)
        missing = [c for c in columns.values() if c not in df.columns]
        if missing:
            raise ValueError(
                f"{type(self).__name__}: {describe(context)} has no column {missing[0]!r}, which "
                "partition_by names; add it, e.g. "
                f"df.with_columns(pl.lit(context.partition_key).alias({missing[0]!r})).")
        options["partition_by"] = list(columns.values())
        if mode is DeltaWriteMode.overwrite:
            options["predicate"] = partition_predicate(columns, context.asset_partition_keys)

    def _merge(self, context: Any, df: pl.DataFrame, uri: str, storage: Any) -> None:
        metadata = context.definition_metadata or {}
        merge_options = metadata.get("delta_merge_options")
        if not merge_options or "predicate" not in merge_options:
            raise ValueError(
                f"{type(self).__name__}: {describe(context)} uses mode 'merge' without "
                "delta_merge_options; add metadata delta_merge_options={'predicate': "
                "'s.id = t.id', 'source_alias': 's', 'target_alias': 't'}.")
        merger = df.write_delta(uri, mode="merge", storage_options=storage,
                                delta_merge_options=dict(merge_options))
        assert merger is not None  # polars returns the TableMerger in merge mode
        for clause, default in _MERGE_CLAUSES.items():
            if metadata.get(clause, default):
                merger = getattr(merger, clause)()
        merger.execute()

    def get_metadata(self, context: Any, obj: Any) -> dict[str, Any]:
        metadata = super().get_metadata(context, obj)
        if obj is None:
            return metadata
        definition = context.definition_metadata or {}
        partition_by = self._partition_by(definition)
        if partition_by is not None and context.has_asset_partitions:
            metadata["partition_by"] = MetadataValue.json(partition_by) if isinstance(
                partition_by, Mapping) else MetadataValue.text(partition_by)
        if self._write_mode(context) in (DeltaWriteMode.append, DeltaWriteMode.merge):
            if ROW_COUNT in metadata:
                metadata["append_row_count" if self._write_mode(context) is DeltaWriteMode.append
                         else "merge_row_count"] = metadata[ROW_COUNT]
            metadata[ROW_COUNT] = MetadataValue.int(self._stored_rows(context, partition_by))
        return metadata

    def _stored_rows(self, context: Any, partition_by: Any) -> int:
        """Rows now in the table (in this output's partitions when they share one)."""
        path = (next(iter(self._paths_for_partitions(context).values()))
                if self._partitioned(context) else self._get_path(context))
        uri = self.table_uri(path)
        frame = pl.scan_delta(uri, storage_options=self.object_store_options)
        if partition_by is not None and context.has_asset_partitions:
            columns = partition_columns(context, partition_by, type(self).__name__)
            frame = frame.filter(partition_filter(columns, context.asset_partition_keys))
        return int(frame.select(pl.len()).collect().item())

    # --- reading ----------------------------------------------------------------------------
    def path_exists(self, path: Any) -> bool:
        return bool(DeltaTable.is_deltatable(self.table_uri(path),
                                             storage_options=self.object_store_options))

    def _version_to_load(self, context: Any) -> int | None:
        given = (context.definition_metadata or {}).get("version")
        if given is not None and self.version is not None:
            context.log.warning(f"{describe(context)}: version {given} from the input metadata "
                                f"is read, not version {self.version} from the config.")
        chosen = given if given is not None else self.version
        return None if chosen is None else int(chosen)

    def scan_df_from_path(self, path: Any, context: Any) -> pl.LazyFrame:
        metadata = context.definition_metadata or {}
        pyarrow_options = metadata.get("pyarrow_options")
        return pl.scan_delta(
            self.table_uri(path), version=self._version_to_load(context),
            storage_options=self.object_store_options,
            delta_table_options=metadata.get("delta_table_options"),
            use_pyarrow=pyarrow_options is not None,
            pyarrow_options=dict(pyarrow_options) if pyarrow_options is not None else None)

    def load_input(self, context: Any) -> Any:
        partition_by = self._upstream_partition_by(context)
        if partition_by is None or not self._partitioned(context):
            return super().load_input(context)
        # the partitions share one table: read it once, keep the rows of the mapped keys
        request = frame_request(context, type(self).__name__)
        path = self._get_path(context)
        keys = context.asset_partition_keys
        if not self.path_exists(path):
            allowed = (request.optional or request.optional_partition
                       or (context.definition_metadata or {}).get("allow_missing_partitions"))
            if allowed:
                return {} if request.partitions else None
            raise FileNotFoundError(
                f"{type(self).__name__} found no table for {describe(context)} at {path}: "
                "materialize the upstream partitions first (or check base_dir).")
        columns = partition_columns(context, partition_by, type(self).__name__)
        frame = self.scan_df_from_path(path, context)
        if request.partitions:
            return {key: self.finish_loading(context, request,
                                             frame.filter(partition_filter(columns, [key])))
                    for key in keys}
        return self.finish_loading(context, request,
                                   frame.filter(partition_filter(columns, keys)))
