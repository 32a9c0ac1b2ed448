"""headwater_deltalake_polars: polars frames stored as Delta tables, under the names of
Dagster's `dagster_deltalake_polars` (`DeltaLakePolarsIOManager`, `DeltaLakePolarsTypeHandler`).
Needs the `headwater[deltalake]` and `headwater[polars]` extras; imports polars, pyarrow and
`headwater_deltalake`.
"""

from headwater_deltalake_polars.handler import DeltaLakePolarsIOManager, DeltaLakePolarsTypeHandler

__all__ = ["DeltaLakePolarsIOManager", "DeltaLakePolarsTypeHandler"]
