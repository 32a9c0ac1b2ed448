"""The annotations an input takes to read several partitions of an upstream asset at once:
`DataFramePartitions` (eager frames) and `LazyFramePartitions` (lazy frames), each a dict
from partition key to frame. Imports polars only.
"""

from __future__ import annotations

from typing import TypeAlias

import polars as pl

DataFramePartitions: TypeAlias = dict[str, pl.DataFrame]
LazyFramePartitions: TypeAlias = dict[str, pl.LazyFrame]

__all__ = ["DataFramePartitions", "LazyFramePartitions"]
