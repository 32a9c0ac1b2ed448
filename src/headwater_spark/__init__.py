"""headwater_spark: submit Spark applications with `spark-submit` from an op.

`command.py` holds the config schema (`define_spark_config`), the `spark-submit` command
line (`construct_spark_shell_command`) and `SparkOpError`; `ops.py` the resource that runs it
(`spark_resource`) and the op factory (`create_spark_op`). The Spark installation is the
op's `spark_home`, else $SPARK_HOME, else the one inside pyspark (`headwater[pyspark]`).

The public names are those of `dagster_spark`. May import headwater's public API; nothing
of headwater imports this package.
"""

from headwater_spark.command import (
    SparkOpError,
    construct_spark_shell_command,
    define_spark_config,
)
from headwater_spark.ops import create_spark_op, spark_resource

__all__ = [
    "SparkOpError",
    "construct_spark_shell_command",
    "create_spark_op",
    "define_spark_config",
    "spark_resource",
]
