"""headwater_pyspark's resources on a real local Spark: config applied, sessions started when
they should be and stopped at teardown, and a Spark that cannot start failing the step."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from pyspark import SparkContext

from headwater import AssetExecutionContext, HeadwaterInstance, asset, materialize
from headwater_pyspark import (
    LazyPySparkResource,
    PySparkResource,
    PySparkSessionError,
    lazy_pyspark_resource,
    pyspark_resource,
)

pytestmark = pytest.mark.slow

LOCAL = {"spark.master": "local[1]", "spark.ui.enabled": False,
         "spark.sql.shuffle.partitions": 1, "spark.driver.host": "127.0.0.1"}


@pytest.fixture(autouse=True)
def no_session_running():
    """Each test starts with no SparkContext, and leaves none behind."""
    active = SparkContext._active_spark_context
    if active is not None:
        active.stop()
    yield
    active = SparkContext._active_spark_context
    if active is not None:
        active.stop()


def test_pyspark_resource_applies_its_config_and_stops_its_session_at_teardown():
    """The session starts with spark_config applied and is stopped when the run ends."""
    seen = {}

    @asset
    def numbers(pyspark: PySparkResource):
        spark = pyspark.spark_session
        seen["partitions"] = spark.conf.get("spark.sql.shuffle.partitions")
        seen["master"] = pyspark.spark_context.master
        seen["app"] = spark.sparkContext.appName
        return spark.range(10).groupBy().sum("id").collect()[0][0]

    config = {**LOCAL, "spark": {"app": {"name": "headwater-test"}},
              "spark.sql.shuffle.partitions": 3}
    result = materialize([numbers], resources={"pyspark": PySparkResource(spark_config=config)})
    assert result.success
    assert result.output_for_node("numbers") == 45
    assert seen == {"partitions": "3", "master": "local[1]", "app": "headwater-test"}
    assert SparkContext._active_spark_context is None


def test_lazy_resource_starts_no_session_until_a_step_reads_it():
    """A run whose step never reads the lazy resource starts no Spark at all."""
    during = {}

    @asset
    def no_spark(lazy_pyspark: LazyPySparkResource):
        during["active"] = SparkContext._active_spark_context is not None
        return 1

    @asset
    def with_spark(lazy_pyspark: LazyPySparkResource):
        return lazy_pyspark.spark_session.range(3).count()

    resources = {"lazy_pyspark": LazyPySparkResource(spark_config=LOCAL)}
    assert materialize([no_spark], resources=resources).success
    assert during == {"active": False}
    result = materialize([with_spark], resources=resources)
    assert result.output_for_node("with_spark") == 3
    assert SparkContext._active_spark_context is None


def test_function_resources_take_spark_conf_from_run_config():
    """pyspark_resource / lazy_pyspark_resource read nested spark_conf from run config."""

    @asset(required_resource_keys={"pyspark"})
    def conf_value(context: AssetExecutionContext):
        return context.resources.pyspark.spark_session.conf.get("spark.sql.shuffle.partitions")

    nested = {"spark": {"master": "local[1]", "ui": {"enabled": False},
                        "sql": {"shuffle": {"partitions": 4}},
                        "driver": {"host": "127.0.0.1"}}}
    for factory in (pyspark_resource, lazy_pyspark_resource):
        result = materialize([conf_value], resources={"pyspark": factory},
                             run_config={"resources": {"pyspark": {"config":
                                                                   {"spark_conf": nested}}}})
        assert result.output_for_node("conf_value") == "4"
        assert SparkContext._active_spark_context is None


def test_a_session_already_running_is_reused_and_left_running():
    """A session started outside the run (a notebook's) is shared, not stopped at teardown."""
    from pyspark.sql import SparkSession

    outside = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false") \
        .config("spark.driver.host", "127.0.0.1").getOrCreate()

    @asset
    def shared(pyspark: PySparkResource):
        return pyspark.spark_session is outside

    result = materialize([shared], resources={"pyspark": PySparkResource(spark_config=LOCAL)})
    assert result.output_for_node("shared") is True
    assert SparkContext._active_spark_context is not None
    assert outside.range(2).count() == 2


def test_a_bad_master_url_fails_the_run_with_sparks_message_and_the_fix():
    """A master URL Spark rejects fails the run, quoting Spark and saying what to fix."""

    @asset
    def never(pyspark: PySparkResource):
        return 1

    instance = HeadwaterInstance.ephemeral()
    bad = PySparkResource(spark_config={**LOCAL, "spark.master": "bogus://nowhere"})
    result = materialize([never], resources={"pyspark": bad}, instance=instance,
                         raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_failure]
    error, text = failure.event_specific_data.error, ""
    while error is not None:  # the resource's error, then what it chains
        text, error = text + error.message, error.cause
    assert f"{PySparkSessionError.__name__}: PySparkResource could not start a SparkSession" \
        in text
    assert "Could not parse Master URL: 'bogus://nowhere'" in text or \
        "Master must either be yarn or start with spark, k8s, or local" in text
    assert "spark.master is 'bogus://nowhere'" in text
    assert SparkContext._active_spark_context is None


def test_missing_java_fails_with_the_reason_and_the_fix(tmp_path):
    """With JAVA_HOME pointing nowhere, the error quotes Spark and says to fix JAVA_HOME."""
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent("""
        from headwater import asset, materialize
        from headwater_pyspark import LazyPySparkResource

        @asset
        def needs_spark(spark: LazyPySparkResource):
            return spark.spark_session.range(1).count()

        result = materialize([needs_spark], raise_on_error=False, resources={
            "spark": LazyPySparkResource(spark_config={"spark.master": "local[1]"})})
        [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
        print(failure.event_specific_data.error.message)
    """))
    env = {**os.environ, "JAVA_HOME": str(tmp_path / "no-java")}
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "LazyPySparkResource could not start a SparkSession" in done.stdout
    assert "no-java/bin/java: No such file or directory" in done.stdout
    assert f"JAVA_HOME is {tmp_path / 'no-java'}, which has no bin/java" in done.stdout
