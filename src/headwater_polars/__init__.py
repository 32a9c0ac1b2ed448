"""headwater_polars: polars frames as asset values, stored as files or tables by IO managers
(Dagster's `dagster_polars`, renamed).

- `PolarsParquetIOManager` (parquet.py): one Parquet file per asset or partition.
- `PolarsDeltaIOManager`, `DeltaWriteMode` (delta.py): Delta Lake tables, with overwrite /
  append / merge and native table partitioning.
- `BasePolarsUPathIOManager` (base.py): their base, for a format of your own.
- `DataFramePartitions`, `LazyFramePartitions` (types.py): input annotations that read
  several partitions as `{partition_key: frame}`.

An input annotated `pl.DataFrame` (or not annotated) is loaded eagerly, `pl.LazyFrame`
lazily, `Optional[...]` as None when nothing is stored. Every output records its column
schema, row count, a sample and statistics (metadata.py).

Needs the `headwater[polars]` extra (polars, deltalake, pyarrow). This package imports
polars and deltalake at module level; `import headwater` never imports it. It uses
headwater's public names only.
"""

from headwater._extras import needs_extra

with needs_extra("polars", "headwater_polars"):
    from headwater import __version__
    from headwater_polars.base import BasePolarsUPathIOManager
    from headwater_polars.delta import DeltaWriteMode, PolarsDeltaIOManager
    from headwater_polars.parquet import PolarsParquetIOManager
    from headwater_polars.types import DataFramePartitions, LazyFramePartitions

__all__ = [
    "BasePolarsUPathIOManager",
    "DataFramePartitions",
    "DeltaWriteMode",
    "LazyFramePartitions",
    "PolarsDeltaIOManager",
    "PolarsParquetIOManager",
    "__version__",
]
