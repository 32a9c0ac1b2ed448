"""`PolarsParquetIOManager`: polars frames as Apache Parquet files.

Each asset (or partition) is one file, `<base_dir>/<key parts>.parquet` (a partition:
`<base_dir>/<key parts>/<partition>.parquet`). A stored path that is a folder is read as a
dataset (hive-style `key=value` folders become columns), so data written by Spark or by
`write_parquet(partition_by=...)` can be a source asset.

Writing options come from the asset's metadata: `compression` (default "zstd"),
`compression_level`, `statistics` (default False), `row_group_size`, `pyarrow_options`
(write with pyarrow, passing these). Reading options come from the input's metadata:
`n_rows`, `cache`, `parallel`, `low_memory`, `use_statistics`, `hive_partitioning`
(default True), `row_index_name`, `row_index_offset`, plus any other keyword
`pl.scan_parquet` takes, named in `scan_parquet_options` ({name: value}).

Local files and the clouds polars reaches itself (s3, gs, az, http) are read and sunk by
polars directly; any other fsspec filesystem (memory://, ftp://, ...) through a file
handle. A file is replaced only once the new one is complete, so a write that fails keeps
the value stored before. Imports polars, this package's base and storage modules.
"""

from __future__ import annotations

import inspect
import io
import os
import shutil
import uuid
from collections.abc import Callable
from typing import Any, ClassVar

import polars as pl

from headwater_polars.annotation import describe
from headwater_polars.base import BasePolarsUPathIOManager
from headwater_polars.storage import NATIVE_PROTOCOLS, is_local, local_path, protocol_of

# the read options dagster-polars documents, with the default it gives each
_READ_DEFAULTS: dict[str, Any] = {
    "n_rows": None, "cache": True, "parallel": "auto", "low_memory": False,
    "use_statistics": True, "hive_partitioning": True, "row_index_name": None,
    "row_index_offset": 0, "rechunk": None, "retries": None,
}
_WRITE_DEFAULTS: dict[str, Any] = {
    "compression": "zstd", "compression_level": None, "statistics": False,
    "row_group_size": None,
}


def _accepted(fn: Any) -> set[str]:
    return set(inspect.signature(fn).parameters)


def scan_options(context: Any, manager: str) -> dict[str, Any]:
    """The `pl.scan_parquet` keywords an input's metadata asks for (defaults otherwise).

    An option this polars no longer takes (`rechunk`, `retries` in polars 2) is an error
    when set, rather than silently dropped."""
    metadata = context.definition_metadata or {}
    accepted = _accepted(pl.scan_parquet)
    options: dict[str, Any] = {}
    for name, default in _READ_DEFAULTS.items():
        given = name in metadata
        if name not in accepted:
            if given:
                raise ValueError(
                    f"{manager}: {describe(context)} sets metadata '{name}', which "
                    f"pl.scan_parquet of polars {pl.__version__} no longer takes. Remove it "
                    "(rechunk: call .rechunk() on the frame; retries: set storage_options "
                    "{'max_retries': N}).")
            continue
        if given or default is not None:
            options[name] = metadata[name] if given else default
    extra = dict(metadata.get("scan_parquet_options") or {})
    unknown = sorted(set(extra) - accepted)
    if unknown:
        raise ValueError(f"{manager}: {describe(context)} has scan_parquet_options "
                         f"{unknown} that pl.scan_parquet does not take.")
    options.update(extra)
    return options


def write_options(context: Any) -> dict[str, Any]:
    metadata = context.definition_metadata or {}
    return {name: metadata.get(name, default) for name, default in _WRITE_DEFAULTS.items()}


def _replace_local(path: Any, write: Callable[[str], Any]) -> None:
    """Write beside the file, then rename over it: a write that fails half way (a query
    error while sinking) leaves the value stored before in place.

    The write goes into a scratch folder of its own, removed whole afterwards: polars' sink
    may still open its output from a thread after the error reached us, and with the folder
    gone that late open fails instead of leaving a stray file."""
    target = local_path(path)
    folder, name = os.path.split(target)
    scratch = os.path.join(folder, f".{name}.{uuid.uuid4().hex}.partial")
    os.makedirs(scratch)
    try:
        staged = os.path.join(scratch, name)
        write(staged)
        os.replace(staged, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _replace_remote(path: Any, write: Callable[[io.BytesIO], Any]) -> None:
    """Write to memory, then store the bytes in one go (same reason as _replace_local)."""
    buffer = io.BytesIO()
    write(buffer)
    path.write_bytes(buffer.getvalue())


class PolarsParquetIOManager(BasePolarsUPathIOManager):  # type: ignore[misc]
    """Stores polars frames as Parquet files under `base_dir`; inputs load as `pl.DataFrame`
    or `pl.LazyFrame` by their annotation.

    ```python
    @asset(io_manager_key="polars_parquet_io_manager", key_prefix=["sales"])
    def orders() -> pl.DataFrame:   # stored at <base_dir>/sales/orders.parquet
        ...

    Definitions(assets=[orders],
                resources={"polars_parquet_io_manager": PolarsParquetIOManager(base_dir="data")})
    ```
    """

    extension: ClassVar[str] = ".parquet"  # type: ignore[misc]

    def write_df_to_path(self, context: Any, df: pl.DataFrame, path: Any) -> None:
        options = write_options(context)
        pyarrow_options = (context.definition_metadata or {}).get("pyarrow_options")
        if pyarrow_options is not None:
            options.update(use_pyarrow=True, pyarrow_options=dict(pyarrow_options))
        if is_local(path):
            _replace_local(path, lambda target: df.write_parquet(target, **options))
        elif protocol_of(path) in NATIVE_PROTOCOLS and pyarrow_options is None:
            df.write_parquet(str(path), storage_options=self.object_store_options, **options)
        else:
            _replace_remote(path, lambda buffer: df.write_parquet(buffer, **options))

    def sink_df_to_path(self, context: Any, df: pl.LazyFrame, path: Any) -> None:
        options = write_options(context)
        if is_local(path):
            _replace_local(path, lambda target: df.sink_parquet(target, **options))
        elif protocol_of(path) in NATIVE_PROTOCOLS:
            df.sink_parquet(str(path), storage_options=self.object_store_options, **options)
        else:
            _replace_remote(path, lambda buffer: df.sink_parquet(buffer, **options))

    def scan_df_from_path(self, path: Any, context: Any) -> pl.LazyFrame:
        options = scan_options(context, type(self).__name__)
        if is_local(path):
            return pl.scan_parquet(local_path(path), **options)
        if protocol_of(path) in NATIVE_PROTOCOLS:
            return pl.scan_parquet(str(path), storage_options=self.object_store_options,
                                   **options)
        if path.is_dir():
            raise ValueError(
                f"{type(self).__name__}: {path} is a folder on the {protocol_of(path)}:// "
                "filesystem, which polars cannot scan as a dataset; store one file per asset "
                "(or partition) there, or keep the dataset on a local or cloud path.")
        if (context.definition_metadata or {}).get("hive_partitioning"):
            raise ValueError(
                f"{type(self).__name__}: {describe(context)} sets hive_partitioning, but "
                f"{path} is read from the {protocol_of(path)}:// filesystem as one file, "
                "which has no partition folders; remove the option.")
        options["hive_partitioning"] = False  # the bytes of one file carry no folder names
        return pl.scan_parquet(path.read_bytes(), **options)
