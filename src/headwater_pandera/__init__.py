"""headwater_pandera: pandera DataFrame schemas as headwater types, under the name of Dagster's
`dagster_pandera` (`pandera_schema_to_dagster_type` renamed `pandera_schema_to_headwater_type`).

- headwater_type.py: the type factory, its lazy validation and how a failure is reported.
- schema.py: a pandera schema as a `TableSchema` with column and table constraints.

Needs the `headwater[pandera]` extra (pandera, pandas; polars for polars schemas). Imports
pandera and pandas at module level, headwater's public names only; `import headwater` never
imports this package.
"""

from headwater._extras import needs_extra

with needs_extra("pandera", "headwater_pandera"):
    from headwater_pandera.headwater_type import (
        PANDERA_FAILURE_CASES_SCHEMA,
        pandera_schema_to_headwater_type,
    )

__all__ = ["PANDERA_FAILURE_CASES_SCHEMA", "pandera_schema_to_headwater_type"]
