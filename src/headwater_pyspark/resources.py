"""The SparkSession as a resource: `PySparkResource`, `LazyPySparkResource` and the legacy
function resources `pyspark_resource` / `lazy_pyspark_resource`.

`PySparkResource` starts its session when the run sets it up (so a bad config fails before
any step runs); `LazyPySparkResource` only when `.spark_session` or `.spark_context` is first
read, so a run whose steps never touch Spark pays nothing. Both stop, at teardown, the
session they started, and leave alone one that was already running in the process.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import PrivateAttr

from headwater import ConfigurableResource, Field, InitResourceContext, Permissive, resource
from headwater_pyspark.session import start_spark_session


class _SparkSessionHolder(ConfigurableResource):
    spark_config: dict[str, Any]
    _spark_session: Any = PrivateAttr(default=None)
    _started_here: bool = PrivateAttr(default=False)

    def _start(self) -> Any:
        if self._spark_session is None or _is_stopped(self._spark_session):
            session, started = start_spark_session(self.spark_config, type(self).__name__)
            self._spark_session, self._started_here = session, started
        return self._spark_session

    @property
    def spark_session(self) -> Any:
        """The `pyspark.sql.SparkSession`, started with `spark_config` on first use."""
        return self._start()

    @property
    def spark_context(self) -> Any:
        """The session's `pyspark.SparkContext`."""
        return self._start().sparkContext

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        session, self._spark_session = self._spark_session, None
        if session is not None and self._started_here:
            session.stop()  # and with it the SparkContext


def _is_stopped(session: Any) -> bool:
    context = session.sparkContext
    return context is None or context._jsc is None


class PySparkResource(_SparkSessionHolder):
    """A SparkSession for the steps of a run, built from `spark_config` when the run starts.

    ```python
    @asset
    def people(pyspark: PySparkResource):
        return pyspark.spark_session.read.json("people.json")

    defs = Definitions(assets=[people], resources={
        "pyspark": PySparkResource(spark_config={"spark.executor.memory": "2g"})})
    ```

    `spark_config` holds Spark properties, dotted (`{"spark.master": "local[2]"}`) or nested
    by their dots (`{"spark": {"master": "local[2]"}}`).
    """

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._start()


class LazyPySparkResource(_SparkSessionHolder):
    """Like `PySparkResource`, but the session starts only when a step first reads
    `.spark_session` or `.spark_context`."""


_SPARK_CONF = Field(Permissive(), is_required=False, default_value={},
                    description="Spark properties, dotted or nested by their dots.")


@resource(config_schema={"spark_conf": _SPARK_CONF},
          description="A SparkSession built from spark_conf when the run starts.")
def pyspark_resource(init_context: InitResourceContext) -> Iterator[PySparkResource]:
    """The function-style form of `PySparkResource`, configured with `spark_conf`."""
    spark = PySparkResource(spark_config=init_context.resource_config["spark_conf"])
    with spark.yield_for_execution(init_context) as value:
        yield value


@resource(config_schema={"spark_conf": _SPARK_CONF},
          description="A SparkSession built from spark_conf on first use.")
def lazy_pyspark_resource(init_context: InitResourceContext) -> Iterator[LazyPySparkResource]:
    """The function-style form of `LazyPySparkResource`, configured with `spark_conf`."""
    spark = LazyPySparkResource(spark_config=init_context.resource_config["spark_conf"])
    with spark.yield_for_execution(init_context) as value:
        yield value
