"""The polars and PySpark type handlers against a real DuckDB file (and a local Spark)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest
from pyspark.sql import DataFrame, SparkSession

from headwater import AssetIn, DailyPartitionsDefinition, asset, materialize
from headwater_duckdb import DuckDBIOManager
from headwater_duckdb_pandas import DuckDBPandasTypeHandler
from headwater_duckdb_polars import (
    DuckDBPolarsIOManager,
    DuckDBPolarsTypeHandler,
    duckdb_polars_io_manager,
)
from headwater_duckdb_pyspark import DuckDBPySparkIOManager


def rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_polars_frames_round_trip_and_lazy_frames_load_lazily(tmp_path: Path):
    """A DataFrame and a LazyFrame are stored; inputs load as DataFrame or LazyFrame."""
    db = tmp_path / "pl.duckdb"

    @asset
    def eager() -> pl.DataFrame:
        return pl.DataFrame({"k": ["a", "b"], "v": [1, 2]})

    @asset
    def lazy() -> pl.LazyFrame:
        return pl.LazyFrame({"k": ["c"], "v": [3]})

    seen = {}

    @asset
    def combined(eager: pl.DataFrame, lazy: pl.LazyFrame) -> pl.DataFrame:
        seen["types"] = (type(eager), type(lazy))
        return pl.concat([eager, lazy.collect()])

    result = materialize([eager, lazy, combined],
                         resources={"io_manager": DuckDBPolarsIOManager(database=str(db))})
    assert result.success
    assert seen["types"] == (pl.DataFrame, pl.LazyFrame)
    assert rows(db, "select k, v from public.combined order by k") == [
        ("a", 1), ("b", 2), ("c", 3)]
    metadata = [e.materialization.metadata for e in result.get_asset_materialization_events()
                if e.asset_key.path == ["lazy"]][0]
    assert metadata["headwater/row_count"].value == 1


def test_polars_partitions_through_the_io_manager_definition(tmp_path: Path):
    """duckdb_polars_io_manager writes daily partitions and reads them back with `columns`."""
    db = tmp_path / "parts.duckdb"
    daily = DailyPartitionsDefinition(start_date="2024-03-01", end_date="2024-03-05")

    @asset(partitions_def=daily, metadata={"partition_expr": "day"})
    def readings(context) -> pl.DataFrame:
        day = context.partition_time_window.start.date()
        return pl.DataFrame({"day": [day], "value": [day.day]})

    seen = {}

    @asset(ins={"readings": AssetIn(metadata={"columns": ["value"]})})
    def summary(readings: pl.DataFrame) -> pl.DataFrame:
        seen["columns"] = readings.columns
        return readings.select(pl.col("value").sum())

    io = duckdb_polars_io_manager.configured({"database": str(db)})
    for key in ["2024-03-01", "2024-03-02"]:
        assert materialize([readings], partition_key=key, resources={"io_manager": io}).success
    assert rows(db, "select typeof(day), value from public.readings order by value") == [
        ("DATE", 1), ("DATE", 2)]
    assert materialize([readings, summary], selection=[summary],
                       resources={"io_manager": io}).success
    assert seen["columns"] == ["value"]
    assert rows(db, "select value from public.summary") == [(3,)]


def test_two_handlers_need_an_annotation_or_a_default_load_type(tmp_path: Path):
    """With pandas and polars handlers, an unannotated input is an error naming both types."""
    class Both(DuckDBIOManager):
        @staticmethod
        def type_handlers():
            return [DuckDBPandasTypeHandler(), DuckDBPolarsTypeHandler()]

    @asset
    def source() -> pl.DataFrame:
        return pl.DataFrame({"x": [1]})

    @asset
    def untyped(source) -> None:
        return None

    with pytest.raises(Exception, match=r"Both cannot load asset 'source' as typing.Any: it has type "
                                        r"handlers for pandas.DataFrame, polars.*annotate"):
        materialize([source, untyped], resources={"io_manager": Both(database=str(tmp_path / "b.duckdb"))})


@pytest.mark.slow
def test_pyspark_frames_round_trip_through_a_local_spark(tmp_path: Path):
    """A PySpark DataFrame is stored as a table and loaded back as a PySpark DataFrame."""
    spark = (SparkSession.builder.master("local[1]").appName("headwater-duckdb-test")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "1")
             .getOrCreate())
    db = tmp_path / "spark.duckdb"
    try:
        @asset
        def people() -> DataFrame:
            return spark.createDataFrame([("ada", 36), ("bob", 41)], ["name", "age"])

        @asset
        def adults(people: DataFrame) -> DataFrame:
            return people.filter(people.age > 40)

        result = materialize([people, adults],
                             resources={"io_manager": DuckDBPySparkIOManager(database=str(db))})
        assert result.success
        assert rows(db, "select name, age from public.adults") == [("bob", 41)]
    finally:
        spark.stop()
