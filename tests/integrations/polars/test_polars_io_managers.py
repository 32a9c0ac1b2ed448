"""headwater_polars: what both IO managers share, run against real polars files and real
Delta tables in tmp_path: eager and lazy loading by annotation, Optional inputs and outputs,
dicts of partitions (static and daily), the metadata recorded, `columns`, and the errors."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from deltalake import DeltaTable
from polars.testing import assert_frame_equal

from headwater import (
    AssetIn,
    DailyPartitionsDefinition,
    DimensionPartitionMapping,
    IdentityPartitionMapping,
    MultiPartitionKey,
    MultiPartitionMapping,
    MultiPartitionsDefinition,
    StaticPartitionsDefinition,
    TimeWindowPartitionMapping,
    asset,
    materialize,
)
from headwater_polars import (
    BasePolarsUPathIOManager,
    DataFramePartitions,
    LazyFramePartitions,
    PolarsDeltaIOManager,
    PolarsParquetIOManager,
)

FRAME = pl.DataFrame({"id": [1, 2, 3], "name": ["a", "b", "c"], "score": [0.5, 1.5, 2.5]})


@pytest.fixture(params=["parquet", "delta"])
def manager(request, tmp_path) -> BasePolarsUPathIOManager:
    if request.param == "parquet":
        return PolarsParquetIOManager(base_dir=str(tmp_path))
    return PolarsDeltaIOManager(base_dir=str(tmp_path))


def read_back(manager: BasePolarsUPathIOManager, path: str) -> pl.DataFrame:
    if isinstance(manager, PolarsParquetIOManager):
        return pl.read_parquet(path)
    return pl.read_delta(path)


def run(assets, manager, **kwargs):
    return materialize(assets, resources={"io_manager": manager}, **kwargs)


def test_inputs_load_eager_or_lazy_by_annotation(manager, tmp_path):
    """pl.DataFrame and no annotation load eagerly, pl.LazyFrame lazily; the value is what
    was stored, and a returned LazyFrame is stored too."""
    seen = {}

    @asset
    def upstream() -> pl.DataFrame:
        return FRAME

    @asset
    def eager(upstream: pl.DataFrame) -> pl.DataFrame:
        seen["eager"] = upstream
        return upstream

    @asset
    def plain(upstream):
        seen["plain"] = upstream
        return upstream

    @asset
    def lazy(upstream: pl.LazyFrame) -> pl.LazyFrame:
        seen["lazy"] = upstream
        return upstream.with_columns(double=pl.col("score") * 2)

    result = run([upstream, eager, plain, lazy], manager)
    assert result.success
    assert isinstance(seen["eager"], pl.DataFrame) and isinstance(seen["plain"], pl.DataFrame)
    assert isinstance(seen["lazy"], pl.LazyFrame)
    assert_frame_equal(seen["eager"], FRAME)
    [mat] = result.asset_materializations_for_node("lazy")
    stored = read_back(manager, mat.metadata["path"].value)
    assert stored["double"].to_list() == [1.0, 3.0, 5.0]
    suffix = ".parquet" if isinstance(manager, PolarsParquetIOManager) else ".delta"
    assert mat.metadata["path"].value == str(tmp_path / f"lazy{suffix}")


def test_metadata_records_schema_rows_sample_stats_and_size(manager):
    """An eager output records its column schema, row count, a sample, stats and size; a
    lazy one its schema only."""

    @asset(metadata={"descriptions": {"id": "the key"}, "n_rows": 2})
    def eager() -> pl.DataFrame:
        return FRAME

    @asset
    def lazy() -> pl.LazyFrame:
        return FRAME.lazy()

    result = run([eager, lazy], manager)
    [mat] = result.asset_materializations_for_node("eager")
    md = mat.metadata
    schema = md["headwater/column_schema"].schema
    assert [(c.name, c.type) for c in schema.columns] == [
        ("id", "Int64"), ("name", "String"), ("score", "Float64")]
    assert schema.columns[0].description == "the key"
    assert md["headwater/row_count"].value == 3
    assert [r.data for r in md["table"].records] == [
        {"id": 1, "name": "a", "score": 0.5}, {"id": 2, "name": "b", "score": 1.5}]
    stats = {r.data["statistic"]: r.data for r in md["stats"].records}
    assert stats["mean"]["score"] == 1.5
    assert md["estimated_size_mb"].value > 0
    [lazy_mat] = result.asset_materializations_for_node("lazy")
    assert "headwater/column_schema" in lazy_mat.metadata
    assert "headwater/row_count" not in lazy_mat.metadata


def test_columns_metadata_selects_columns(manager):
    """An input's `columns` metadata loads only those columns."""

    @asset
    def upstream() -> pl.DataFrame:
        return FRAME

    @asset(ins={"upstream": AssetIn(metadata={"columns": ["id", "score"]})})
    def downstream(upstream: pl.DataFrame) -> pl.DataFrame:
        return upstream

    result = run([upstream, downstream], manager)
    [mat] = result.asset_materializations_for_node("downstream")
    assert read_back(manager, mat.metadata["path"].value).columns == ["id", "score"]


def test_optional_input_is_none_when_missing_and_optional_none_output_is_skipped(manager,
                                                                                 tmp_path):
    """A missing input annotated Optional loads as None; an Optional output returning None
    writes nothing and records `missing`."""
    seen = {}

    @asset
    def never() -> pl.DataFrame:
        return FRAME

    @asset
    def eager(never: pl.DataFrame | None) -> pl.DataFrame | None:
        seen["eager"] = never
        return never

    @asset
    def lazy(never: pl.LazyFrame | None) -> None:
        seen["lazy"] = never

    result = run([never, eager, lazy], manager, selection=[eager, lazy])
    assert result.success and seen == {"eager": None, "lazy": None}
    [mat] = result.asset_materializations_for_node("eager")
    assert mat.metadata["missing"].value is True
    assert not any(p.name.startswith("eager") for p in tmp_path.iterdir())


def test_missing_input_names_the_asset_and_the_fix(manager):
    """A required input with nothing stored fails naming the asset, the path and the fix,
    for a lazy input too (scanning alone would not notice)."""

    @asset
    def never() -> pl.DataFrame:
        return FRAME

    @asset
    def lazy(never: pl.LazyFrame) -> pl.LazyFrame:
        return never

    with pytest.raises(FileNotFoundError, match=r"no stored value for asset 'never' at .*never"
                                                r".*materialize it first"):
        run([never, lazy], manager, selection=[lazy])


def test_a_wrong_annotation_is_named_with_the_fix(manager):
    """An input annotated with a non-frame type fails before anything is read, naming the
    input, the annotation and what to use."""

    @asset
    def upstream() -> pl.DataFrame:
        return FRAME

    @asset
    def downstream(upstream: list) -> int:
        return len(upstream)

    with pytest.raises(TypeError, match=r"cannot serve input 'upstream' of 'downstream' \(asset "
                                        r"'upstream'\) annotated as List\[Any\].*"
                                        r"pl.DataFrame or pl.LazyFrame"):
        run([upstream, downstream], manager)


def test_returning_something_else_than_a_frame_is_named(manager):
    """An output that is not a polars frame fails naming the asset and the fix."""

    @asset
    def numbers():
        return [1, 2, 3]

    @asset
    def nothing():
        return None

    with pytest.raises(TypeError, match=r"asset 'numbers' returned a value of type list.*"
                                        r"pl.DataFrame"):
        run([numbers], manager)
    with pytest.raises(TypeError, match=r"asset 'nothing' returned None.*Optional"):
        run([nothing], manager)


STATIC = StaticPartitionsDefinition(["a", "b", "c"])


@asset(partitions_def=STATIC)
def letters(context) -> pl.DataFrame:
    return pl.DataFrame({"letter": [context.partition_key], "n": [ord(context.partition_key)]})


def test_static_partitions_are_one_value_each_and_load_as_dicts(manager, tmp_path):
    """Each partition is stored on its own; dict annotations (DataFramePartitions,
    LazyFramePartitions, dict[str, ...]) get {partition key: frame}."""
    seen = {}

    @asset
    def eager(letters: DataFramePartitions) -> pl.DataFrame:
        seen["eager"] = letters
        return pl.concat(letters.values())

    @asset
    def lazy(letters: LazyFramePartitions) -> pl.DataFrame:
        seen["lazy"] = letters
        return pl.concat(letters.values()).collect()

    @asset
    def plain_dict(letters: dict[str, pl.DataFrame]) -> pl.DataFrame:
        return pl.concat(letters.values())

    for key in ("a", "b", "c"):
        run([letters], manager, partition_key=key)
    suffix = ".parquet" if isinstance(manager, PolarsParquetIOManager) else ".delta"
    assert sorted(p.name for p in (tmp_path / "letters").iterdir()) == [
        f"a{suffix}", f"b{suffix}", f"c{suffix}"]
    result = run([letters, eager, lazy, plain_dict], manager,
                 selection=[eager, lazy, plain_dict])
    assert set(seen["eager"]) == {"a", "b", "c"}
    assert all(isinstance(f, pl.DataFrame) for f in seen["eager"].values())
    assert all(isinstance(f, pl.LazyFrame) for f in seen["lazy"].values())
    assert_frame_equal(seen["eager"]["b"], pl.DataFrame({"letter": ["b"], "n": [98]}))
    [mat] = result.asset_materializations_for_node("plain_dict")
    assert mat.metadata["headwater/row_count"].value == 3


def test_optional_partitions_in_a_dict_are_left_out_when_missing(manager):
    """dict[str, Optional[pl.DataFrame]] leaves out the partitions that were never stored;
    a plain dict fails on them."""
    seen = {}

    @asset
    def some(letters: dict[str, pl.DataFrame | None]) -> None:
        seen["some"] = letters

    @asset
    def strict(letters: DataFramePartitions) -> None:
        seen["strict"] = letters

    run([letters], manager, partition_key="a")
    run([letters, some], manager, selection=[some])
    assert list(seen["some"]) == ["a"]
    with pytest.raises(FileNotFoundError, match=r"asset 'letters' at .*letters.b"):
        run([letters, strict], manager, selection=[strict])


DAYS = DailyPartitionsDefinition(start_date=str(date.today() - timedelta(days=5)))


@asset(partitions_def=DAYS)
def daily(context) -> pl.DataFrame:
    return pl.DataFrame({"day": [context.partition_key], "value": [int(context.partition_key[-2:])]})


def test_daily_partitions_read_a_range_of_upstream_partitions(manager):
    """A daily asset reading yesterday and today through a partition mapping gets both
    partitions; a single partition loads as a frame."""
    days = DAYS.get_partition_keys()
    seen = {}

    @asset(partitions_def=DAYS, ins={"daily": AssetIn(
        partition_mapping=TimeWindowPartitionMapping(start_offset=-1))})
    def two_days(daily: DataFramePartitions) -> pl.DataFrame:
        seen["two_days"] = daily
        return pl.concat(daily.values())

    @asset(partitions_def=DAYS)
    def same_day(daily: pl.LazyFrame) -> pl.LazyFrame:
        seen["same_day"] = daily
        return daily

    @asset(partitions_def=DAYS, ins={"daily": AssetIn(
        partition_mapping=TimeWindowPartitionMapping(start_offset=-1))})
    def one_frame(daily: pl.DataFrame) -> None:
        pass

    for day in days[:3]:
        run([daily], manager, partition_key=day)
    with pytest.raises(TypeError, match=r"input 'daily' of 'one_frame' \(asset 'daily'\) "
                                        r"reads 2 partitions.*DataFramePartitions"):
        run([daily, one_frame], manager, selection=[one_frame], partition_key=days[2])
    result = run([daily, two_days, same_day], manager, selection=[two_days, same_day],
                 partition_key=days[2])
    assert sorted(seen["two_days"]) == [days[1], days[2]]
    assert isinstance(seen["same_day"], pl.LazyFrame)
    assert seen["same_day"].collect()["day"].to_list() == [days[2]]
    [mat] = result.asset_materializations_for_node("two_days")
    assert mat.metadata["headwater/row_count"].value == 2


def test_a_delta_table_written_by_the_manager_is_a_real_delta_table(tmp_path):
    """The .delta folder is a Delta table deltalake itself opens (version recorded)."""

    @asset
    def table() -> pl.DataFrame:
        return FRAME

    result = run([table], PolarsDeltaIOManager(base_dir=str(tmp_path)))
    [mat] = result.asset_materializations_for_node("table")
    assert mat.metadata["version"].value == 0
    assert DeltaTable(str(tmp_path / "table.delta")).version() == 0


def test_multi_partitions_lay_out_one_folder_per_dimension(manager, tmp_path):
    """A multi-partitioned asset stores each key under one folder per dimension; a source
    made with to_source_asset() reads two time partitions through a MultiPartitionMapping."""
    days = DAYS.get_partition_keys()
    grid = MultiPartitionsDefinition({"time": DAYS, "shop": StaticPartitionsDefinition(["s1"])})
    seen = {}

    @asset(partitions_def=grid, io_manager_def=manager)
    def visits(context) -> pl.DataFrame:
        return pl.DataFrame({"key": [str(context.partition_key)]})

    @asset(partitions_def=grid, io_manager_def=manager, ins={"visits": AssetIn(
        partition_mapping=MultiPartitionMapping({
            "time": DimensionPartitionMapping("time", TimeWindowPartitionMapping(start_offset=-1)),
            "shop": DimensionPartitionMapping("shop", IdentityPartitionMapping())}))})
    def weekly(visits: DataFramePartitions) -> None:
        seen["visits"] = visits

    for day in days[:2]:
        materialize([visits], partition_key=MultiPartitionKey({"time": day, "shop": "s1"}))
    suffix = ".parquet" if isinstance(manager, PolarsParquetIOManager) else ".delta"
    assert (tmp_path / "visits" / "s1" / f"{days[0]}{suffix}").exists()
    materialize([visits.to_source_asset(), weekly],
                partition_key=MultiPartitionKey({"time": days[1], "shop": "s1"}))
    assert len(seen["visits"]) == 2
    assert sorted(f["key"][0] for f in seen["visits"].values()) == [
        f"s1|{days[0]}", f"s1|{days[1]}"]


def _failing_rewrite(manager):
    """Store numbers, fail to store them again (a query error while writing), read them."""
    outputs = iter([pl.LazyFrame({"a": ["1", "2"]}),
                    pl.LazyFrame({"a": ["3", "x"]}).select(pl.col("a").cast(pl.Int64))])
    seen: list[pl.DataFrame] = []

    @asset
    def numbers() -> pl.LazyFrame:
        return next(outputs)

    @asset
    def reader(numbers: pl.DataFrame) -> None:
        seen.append(numbers)

    run([numbers], manager)
    with pytest.raises(pl.exceptions.PolarsError, match=r"(?i)conversion.*failed"):
        run([numbers], manager)
    run([numbers, reader], manager, selection=[reader])
    return seen[0]


def test_a_query_failing_while_stored_keeps_the_value_stored_before(manager, tmp_path):
    """A lazy output whose query fails as it is written fails the step with polars' own
    message; the value stored before is still there, whole, and nothing else is left."""
    assert _failing_rewrite(manager)["a"].to_list() == ["1", "2"]
    suffix = ".parquet" if isinstance(manager, PolarsParquetIOManager) else ".delta"
    assert [p.name for p in tmp_path.iterdir()] == [f"numbers{suffix}"]


def test_a_failing_write_on_memory_keeps_the_value_stored_before(tmp_path):
    """The same on memory://, where the file is written through fsspec."""
    manager = PolarsParquetIOManager(base_dir=f"memory://hw-keep-{tmp_path.name}")
    assert _failing_rewrite(manager)["a"].to_list() == ["1", "2"]
