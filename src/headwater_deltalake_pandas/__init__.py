"""headwater_deltalake_pandas: pandas DataFrames stored as Delta tables, under the names of
Dagster's `dagster_deltalake_pandas` (`DeltaLakePandasIOManager`, `DeltaLakePandasTypeHandler`).
Needs the `headwater[deltalake-pandas]` extra; imports pandas, pyarrow and
`headwater_deltalake`.
"""

from headwater._extras import needs_extra

with needs_extra("deltalake-pandas", "headwater_deltalake_pandas"):
    from headwater_deltalake_pandas.handler import (
        DeltaLakePandasIOManager,
        DeltaLakePandasTypeHandler,
    )

__all__ = ["DeltaLakePandasIOManager", "DeltaLakePandasTypeHandler"]
