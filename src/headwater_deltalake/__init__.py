"""headwater_deltalake: Delta Lake tables for headwater, under the names of Dagster's
`dagster_deltalake`.

- `DeltaLakeIOManager`, `WriteMode`, `WriterEngine`, `SchemaMode` (io_manager.py): assets
  stored as Delta tables through the core's database IO manager
  (`headwater.definitions.config.db_io_manager`), one table per asset under
  `root_uri/schema/table`, partitions replaced by predicate.
- `DeltalakeBaseArrowTypeHandler`, `DeltaLakePyArrowTypeHandler`, `DeltaLakePyarrowIOManager`
  (handler.py): values written and read through Arrow; the pandas and polars handlers live in
  `headwater_deltalake_pandas` and `headwater_deltalake_polars`.
- `LocalConfig`, `S3Config`, `AzureConfig`, `GcsConfig`, `ClientConfig` (config.py): where the
  tables live, as deltalake storage options.
- `DeltaTableResource` (resource.py): one table as a `deltalake.DeltaTable`.

Needs the `headwater[deltalake]` extra (deltalake, pyarrow). Imports deltalake, pyarrow and
pydantic at module level, headwater's public names and the core's db_io_manager module;
`import headwater` never imports this package.
"""

from headwater._extras import needs_extra

with needs_extra("deltalake", "headwater_deltalake"):
    from headwater.definitions.config.db_io_manager import DbTypeHandler
    from headwater_deltalake.config import (
        AzureConfig,
        ClientConfig,
        GcsConfig,
        LocalConfig,
        S3Config,
    )
    from headwater_deltalake.handler import (
        DeltalakeBaseArrowTypeHandler,
        DeltaLakePyarrowIOManager,
        DeltaLakePyArrowTypeHandler,
    )
    from headwater_deltalake.io_manager import (
        DELTA_DATE_FORMAT,
        DELTA_DATETIME_FORMAT,
        DeltaLakeIOManager,
        SchemaMode,
        WriteMode,
        WriterEngine,
    )
    from headwater_deltalake.resource import DeltaTableResource

__all__ = [
    "DELTA_DATETIME_FORMAT",
    "DELTA_DATE_FORMAT",
    "AzureConfig",
    "ClientConfig",
    "DbTypeHandler",
    "DeltaLakeIOManager",
    "DeltaLakePyArrowTypeHandler",
    "DeltaLakePyarrowIOManager",
    "DeltaTableResource",
    "DeltalakeBaseArrowTypeHandler",
    "GcsConfig",
    "LocalConfig",
    "S3Config",
    "SchemaMode",
    "WriteMode",
    "WriterEngine",
]
