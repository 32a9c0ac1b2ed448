"""headwater_pyspark: a SparkSession as a resource, and the Spark DataFrame type.

`resources.py` holds `PySparkResource` (the session starts when the run sets the resource
up), `LazyPySparkResource` (it starts on first use) and their function-style forms
`pyspark_resource` / `lazy_pyspark_resource`; `session.py` starts sessions and
turns a Spark that cannot start into a `PySparkSessionError` quoting Spark and the fix;
`types.py` holds `DataFrame`, the `PySparkDataFrame` headwater type with its run-config
loader. Spark properties are flattened as `headwater_spark` does for `spark-submit`.

The public names are those of `dagster_pyspark`, plus `PySparkSessionError`. Imports
pyspark (the `headwater[pyspark]` extra) and headwater's public API; nothing of headwater
imports this package.
"""

from headwater._extras import needs_extra

with needs_extra("pyspark", "headwater_pyspark"):
    from headwater_pyspark.resources import (
        LazyPySparkResource,
        PySparkResource,
        lazy_pyspark_resource,
        pyspark_resource,
    )
    from headwater_pyspark.session import PySparkSessionError
    from headwater_pyspark.types import DataFrame

__all__ = [
    "DataFrame",
    "LazyPySparkResource",
    "PySparkResource",
    "PySparkSessionError",
    "lazy_pyspark_resource",
    "pyspark_resource",
]
