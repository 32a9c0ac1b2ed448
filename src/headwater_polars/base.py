"""`BasePolarsUPathIOManager`: the polars IO managers' shared base, on headwater's
`UPathIOManager` (paths, partitions, any fsspec filesystem) and `ConfigurableIOManager`
(typed config: `base_dir`, `storage_options`).

A storage format implements three methods:

- `write_df_to_path(context, df, path)`: store an eager `pl.DataFrame`;
- `sink_df_to_path(context, df, path)`: store a `pl.LazyFrame` (ideally without collecting it);
- `scan_df_from_path(path, context)`: a `pl.LazyFrame` over what is stored at `path`.

The base does the rest: which of the first two a value goes to (by its type), skipping a
`None` output annotated `Optional[...]`, returning `None` for a missing input annotated
`Optional[...]`, collecting for inputs annotated `pl.DataFrame` (or not annotated) and not for
`pl.LazyFrame`, selecting the input metadata's `columns`, dicts of partitions, and the
metadata recorded with each output (see metadata.py). Imports polars, universal_pathlib and
headwater's public names, and this package's annotation, metadata and storage modules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
from pydantic import ConfigDict, Field, PrivateAttr

from headwater import ConfigurableIOManager, MetadataValue, UPathIOManager
from headwater_polars.annotation import (
    FrameRequest,
    describe,
    frame_request,
    read_annotation,
    typing_type_of,
)
from headwater_polars.metadata import polars_metadata
from headwater_polars.storage import object_store_options, resolve_env


class BasePolarsUPathIOManager(ConfigurableIOManager, UPathIOManager):  # type: ignore[misc,metaclass]
    """Base class of IO managers that store polars frames as files (or tables) under
    `base_dir`, on any filesystem universal_pathlib reaches. Subclass it for a new format:
    set `extension` and implement `write_df_to_path`, `sink_df_to_path` and
    `scan_df_from_path`."""

    model_config = ConfigDict(populate_by_name=True)

    base_dir: str | None = Field(
        default=None,
        description="Where values are stored (a local folder or a URL such as s3://bucket/dir); "
                    "the instance's storage directory when unset.")
    cloud_storage_options: Mapping[str, Any] | None = Field(
        default=None, alias="storage_options",
        description="Options for the filesystem of base_dir (fsspec's keys: key, secret, "
                    "client_kwargs, ...); a value {'env': NAME} is read from the environment.")

    _base_path: Any = PrivateAttr(default=None)

    # --- what a format implements ---------------------------------------------------------
    def write_df_to_path(self, context: Any, df: pl.DataFrame, path: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement "
                                  "write_df_to_path(self, context, df, path).")

    def sink_df_to_path(self, context: Any, df: pl.LazyFrame, path: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement "
                                  "sink_df_to_path(self, context, df, path).")

    def scan_df_from_path(self, path: Any, context: Any) -> pl.LazyFrame:
        raise NotImplementedError(f"{type(self).__name__} must implement "
                                  "scan_df_from_path(self, path, context).")

    # --- where --------------------------------------------------------------------------
    def setup_for_execution(self, context: Any) -> None:
        self._base_path = self._build_base_path(getattr(context, "instance", None))

    def _build_base_path(self, instance: Any) -> Any:
        from upath import UPath

        options = resolve_env(self.cloud_storage_options or {}, type(self).__name__)
        if self.base_dir is not None:
            if options and "://" not in self.base_dir:
                # a plain local path drops its storage options unless it is a file:// path
                return UPath(self.base_dir, protocol="file", **options)
            return UPath(self.base_dir, **options)
        if instance is None:
            raise ValueError(
                f"{type(self).__name__} has no base_dir and no instance to take a storage "
                f"directory from: give it one, e.g. {type(self).__name__}(base_dir='data').")
        return UPath(instance.storage_directory(), **options)

    @property
    def base_path(self) -> Any:
        if self._base_path is None:  # used outside a run, e.g. with build_output_context
            self._base_path = self._build_base_path(None)
        return self._base_path

    @property
    def storage_options(self) -> dict[str, Any]:
        """The base path's filesystem options (fsspec's keys), env values resolved."""
        return dict(getattr(self.base_path, "storage_options", None) or {})

    @property
    def object_store_options(self) -> dict[str, Any] | None:
        """`storage_options` in the keys polars' native cloud I/O and deltalake take."""
        return object_store_options(self.storage_options)

    # --- writing ----------------------------------------------------------------------------
    def dump_to_path(self, context: Any, obj: Any, path: Any) -> None:
        # the object decides what is written; the annotation only whether None is allowed
        # (a custom HeadwaterType whose value passed its check is stored as it is)
        request = read_annotation(typing_type_of(context)) or FrameRequest()
        if obj is None:
            if request.optional:
                context.log.warning(f"{describe(context)} is None: nothing is written to {path} "
                                    "(its annotation is Optional).")
                return
            raise TypeError(
                f"{describe(context)} returned None, which {type(self).__name__} cannot store. "
                "Return a pl.DataFrame or pl.LazyFrame, or annotate the output "
                "Optional[pl.DataFrame] to skip storing None.")
        if isinstance(obj, pl.LazyFrame):
            self.sink_df_to_path(context, obj, path)
        elif isinstance(obj, pl.DataFrame):
            self.write_df_to_path(context, obj, path)
        else:
            raise TypeError(
                f"{describe(context)} returned a value of type {type(obj).__name__}, which "
                f"{type(self).__name__} cannot store: return a pl.DataFrame or pl.LazyFrame, "
                "or store this output with another IO manager (io_manager_key=...).")

    def get_metadata(self, context: Any, obj: Any) -> dict[str, Any]:
        if obj is None:
            return {"missing": MetadataValue.bool(True)}
        return polars_metadata(context.definition_metadata or {}, obj)

    # --- reading ----------------------------------------------------------------------------
    def load_input(self, context: Any) -> Any:
        request = frame_request(context, type(self).__name__)
        if not request.partitions and self._partitioned(context):
            keys = context.asset_partition_keys
            if len(keys) > 1:
                shown = ", ".join(map(str, keys[:3])) + (", ..." if len(keys) > 3 else "")
                raise TypeError(
                    f"{describe(context)} reads {len(keys)} partitions ({shown}), but its "
                    "annotation asks for one "
                    "frame: annotate it DataFramePartitions or LazyFramePartitions to get "
                    "{partition key: frame}.")
        value = super().load_input(context)
        if request.partitions and isinstance(value, dict):
            # a partition annotated Optional that is missing is left out of the dict
            return {key: frame for key, frame in value.items() if frame is not None}
        return value

    def load_from_path(self, context: Any, path: Any) -> Any:
        request = frame_request(context, type(self).__name__)
        optional = request.optional_partition if request.partitions else request.optional
        if not self.path_exists(path):
            if optional:
                context.log.warning(f"{describe(context)}: nothing is stored at {path}; it is "
                                    "loaded as None (its annotation is Optional).")
                return None
            raise FileNotFoundError(f"no file or table at {path}")
        return self.finish_loading(context, request, self.scan_df_from_path(path, context))

    def finish_loading(self, context: Any, request: FrameRequest, frame: pl.LazyFrame) -> Any:
        """Select the input metadata's `columns`, and collect unless the input wants lazy."""
        columns = (context.definition_metadata or {}).get("columns")
        if columns is not None:
            context.log.debug(f"loading columns {columns}")
            frame = frame.select(columns)
        return frame if request.lazy else frame.collect()
