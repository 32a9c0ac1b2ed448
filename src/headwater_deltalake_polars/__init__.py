"""headwater_deltalake_polars: polars frames stored as Delta tables, under the names of
Dagster's `dagster_deltalake_polars` (`DeltaLakePolarsIOManager`, `DeltaLakePolarsTypeHandler`).
Needs the `headwater[deltalake-polars]` extra; imports polars, pyarrow and
`headwater_deltalake`.
"""

from headwater._extras import needs_extra

with needs_extra("deltalake-polars", "headwater_deltalake_polars"):
    from headwater_deltalake_polars.handler import (
        DeltaLakePolarsIOManager,
        DeltaLakePolarsTypeHandler,
    )

__all__ = ["DeltaLakePolarsIOManager", "DeltaLakePolarsTypeHandler"]
