"""Spark and DuckDB meet through Parquet files, and the PySparkDataFrame type, on one shared
local SparkSession."""

from __future__ import annotations

import duckdb
import pytest

from headwater import (
    AssetExecutionContext,
    HeadwaterTypeCheckDidNotPass,
    In,
    MaterializeResult,
    Out,
    asset,
    job,
    materialize,
    op,
)
from headwater_pyspark import DataFrame, PySparkResource
from headwater_pyspark.session import start_spark_session

pytestmark = pytest.mark.slow

LOCAL = {"spark.master": "local[1]", "spark.ui.enabled": False,
         "spark.sql.shuffle.partitions": 1, "spark.driver.host": "127.0.0.1"}


@pytest.fixture(scope="module")
def spark():
    """One session for the module; the resources below find it running and share it."""
    session, started = start_spark_session(LOCAL, "tests")
    yield session
    if started:
        session.stop()


@pytest.fixture
def pyspark(spark):
    return PySparkResource(spark_config=LOCAL)


def test_spark_writes_parquet_that_duckdb_reads_downstream(tmp_path, pyspark):
    """An asset writes a Spark DataFrame as Parquet; the next reads and checks it in DuckDB."""
    folder = tmp_path / "orders"

    @asset
    def orders(context: AssetExecutionContext, pyspark: PySparkResource):
        spark = pyspark.spark_session
        frame = spark.createDataFrame(
            [(1, "ann", 12.5), (2, "bob", 7.5), (3, "ann", 30.0)], ["id", "customer", "amount"])
        frame.write.mode("overwrite").parquet(str(folder))
        return MaterializeResult(metadata={"path": str(folder), "rows": frame.count()})

    @asset(deps=[orders])
    def revenue_by_customer():
        rows = duckdb.sql(
            f"select customer, sum(amount) as total from read_parquet('{folder}/*.parquet') "
            "group by customer order by customer").fetchall()
        return dict(rows)

    result = materialize([orders, revenue_by_customer], resources={"pyspark": pyspark})
    assert result.success
    assert result.output_for_node("revenue_by_customer") == {"ann": 42.5, "bob": 7.5}
    [mat] = result.asset_materializations_for_node("orders")
    assert mat.metadata["rows"].value == 3


def test_duckdb_writes_parquet_that_spark_reads_downstream(tmp_path, pyspark):
    """An asset writes Parquet with DuckDB; the next reads and aggregates it with Spark."""
    path = tmp_path / "events.parquet"

    @asset
    def events():
        duckdb.sql("select i as id, i % 3 as kind from range(30) t(i)").write_parquet(str(path))
        return str(path)

    @asset
    def kinds(events: str, pyspark: PySparkResource):
        frame = pyspark.spark_session.read.parquet(events)
        return {row["kind"]: row["count"] for row in frame.groupBy("kind").count().collect()}

    result = materialize([events, kinds], resources={"pyspark": pyspark})
    assert result.output_for_node("kinds") == {0: 10, 1: 10, 2: 10}


def test_dataframe_type_checks_outputs(spark):
    """An output typed PySparkDataFrame passes with a Spark DataFrame and fails otherwise."""

    @op(out=Out(DataFrame))
    def good():
        return spark.range(2)

    @op(out=Out(DataFrame))
    def bad():
        return [0, 1]

    @job
    def good_job():
        good()

    @job
    def bad_job():
        bad()

    assert good_job.execute_in_process().success
    with pytest.raises(HeadwaterTypeCheckDidNotPass, match="PySparkDataFrame"):
        bad_job.execute_in_process()


def test_dataframe_input_loads_from_run_config(tmp_path, spark, pyspark):
    """An input typed PySparkDataFrame is read from run config with the pyspark session."""
    path = tmp_path / "people.csv"
    path.write_text("name,age\nann,31\nbob,45\n")

    @op(ins={"people": In(DataFrame)})
    def oldest(people) -> str:
        return people.orderBy(people.age.cast("int").desc()).first()["name"]

    @job(resource_defs={"pyspark": pyspark})
    def people_job():
        oldest()

    run_config = {"ops": {"oldest": {"inputs": {"people": {
        "csv": {"path": str(path), "header": True}}}}}}
    result = people_job.execute_in_process(run_config=run_config)
    assert result.output_for_node("oldest") == "bob"
