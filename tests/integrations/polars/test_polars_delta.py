"""PolarsDeltaIOManager: write modes (overwrite, append, merge, error, ignore) from metadata
or config, native table partitioning with `partition_by` (static, multi-dimensional),
reading an older version, delta_write_options, file:// paths, and the errors."""

from __future__ import annotations

import polars as pl
import pytest
from deltalake import DeltaTable

from headwater import (
    AssetIn,
    MultiPartitionKey,
    MultiPartitionsDefinition,
    StaticPartitionsDefinition,
    asset,
    materialize,
)
from headwater_polars import DataFramePartitions, DeltaWriteMode, PolarsDeltaIOManager


def run(assets, manager, **kwargs):
    return materialize(assets, resources={"io_manager": manager}, **kwargs)


def rows(tmp_path, name: str) -> pl.DataFrame:
    return pl.read_delta(str(tmp_path / f"{name}.delta")).sort("id")


def batch(ids, tag="v1") -> pl.DataFrame:
    return pl.DataFrame({"id": ids, "tag": [tag] * len(ids)})


def test_overwrite_replaces_and_append_adds(tmp_path):
    """The default mode overwrites the table; metadata mode 'append' adds rows and records
    the rows appended and the rows now stored."""

    @asset
    def snapshot() -> pl.DataFrame:
        return batch([1, 2, 3])

    @asset(metadata={"mode": "append"})
    def log() -> pl.DataFrame:
        return batch([1, 2, 3])

    manager = PolarsDeltaIOManager(base_dir=str(tmp_path))
    run([snapshot, log], manager)
    result = run([snapshot, log], manager)
    assert rows(tmp_path, "snapshot").height == 3
    assert rows(tmp_path, "log").height == 6
    [mat] = result.asset_materializations_for_node("log")
    assert mat.metadata["append_row_count"].value == 3
    assert mat.metadata["headwater/row_count"].value == 6
    assert mat.metadata["version"].value == 1


def test_mode_from_config_and_from_run_config(tmp_path):
    """The `mode` config applies to every asset without a metadata mode, also when given by
    name in run config."""

    @asset
    def log() -> pl.DataFrame:
        return batch([1])

    manager = PolarsDeltaIOManager(base_dir=str(tmp_path), mode=DeltaWriteMode.append)
    run([log], manager)
    run([log], manager)
    assert rows(tmp_path, "log").height == 2
    launched = PolarsDeltaIOManager.configure_at_launch(base_dir=str(tmp_path))
    run([log], launched, run_config={"resources": {"io_manager": {"config": {"mode": "append"}}}})
    assert rows(tmp_path, "log").height == 3


def test_merge_upserts_by_predicate_and_creates_the_table_first(tmp_path):
    """mode 'merge' creates the table on the first write, then updates matching rows and
    inserts the others."""
    batches = iter([batch([1, 2, 3], "v1"), batch([3, 4], "v2")])

    @asset(metadata={"mode": "merge", "delta_merge_options": {
        "predicate": "s.id = t.id", "source_alias": "s", "target_alias": "t"}})
    def customers() -> pl.DataFrame:
        return next(batches)

    manager = PolarsDeltaIOManager(base_dir=str(tmp_path))
    run([customers], manager)
    result = run([customers], manager)
    assert rows(tmp_path, "customers").to_dicts() == [
        {"id": 1, "tag": "v1"}, {"id": 2, "tag": "v1"}, {"id": 3, "tag": "v2"},
        {"id": 4, "tag": "v2"}]
    [mat] = result.asset_materializations_for_node("customers")
    assert mat.metadata["headwater/row_count"].value == 4
    assert mat.metadata["merge_row_count"].value == 2


def test_merge_clauses_are_switched_by_metadata(tmp_path):
    """when_not_matched_by_source_delete makes the merge a full sync; turning
    when_not_matched_insert_all off updates without inserting."""
    batches = iter([batch([1, 2, 3]), batch([2, 3, 4], "v2")])
    merge = {"predicate": "s.id = t.id", "source_alias": "s", "target_alias": "t"}

    @asset(metadata={"mode": "merge", "delta_merge_options": merge,
                     "when_not_matched_by_source_delete": True})
    def synced() -> pl.DataFrame:
        return next(batches)

    updates = iter([batch([1, 2]), batch([2, 9], "v2")])

    @asset(metadata={"mode": "merge", "delta_merge_options": merge,
                     "when_not_matched_insert_all": False})
    def updated() -> pl.DataFrame:
        return next(updates)

    manager = PolarsDeltaIOManager(base_dir=str(tmp_path))
    run([synced, updated], manager)
    run([synced, updated], manager)
    assert rows(tmp_path, "synced").to_dicts() == [
        {"id": 2, "tag": "v2"}, {"id": 3, "tag": "v2"}, {"id": 4, "tag": "v2"}]
    assert rows(tmp_path, "updated").to_dicts() == [{"id": 1, "tag": "v1"}, {"id": 2, "tag": "v2"}]


def test_read_options_reach_deltalake_and_pyarrow(tmp_path):
    """An input's pyarrow_options read through pyarrow (here: large string types);
    delta_table_options go to deltalake's DeltaTable (which names one it does not take)."""
    seen = {}

    @asset(metadata={"delta_write_options": {"partition_by": ["tag"]}})
    def tagged() -> pl.DataFrame:
        return pl.concat([batch([1, 2], "a"), batch([3], "b")])

    @asset(ins={"tagged": AssetIn(metadata={
        "pyarrow_options": {"as_large_types": True}})})
    def read(tagged: pl.DataFrame) -> None:
        seen["read"] = tagged

    @asset(ins={"tagged": AssetIn(metadata={"delta_table_options": {"bogus": 1}})})
    def bad(tagged: pl.DataFrame) -> None:
        pass

    manager = PolarsDeltaIOManager(base_dir=str(tmp_path))
    run([tagged, read], manager)
    assert sorted(seen["read"]["id"].to_list()) == [1, 2, 3]
    with pytest.raises(TypeError, match="bogus"):
        run([tagged, bad], manager, selection=[bad])


def test_merge_without_options_and_error_mode_fail_keeping_the_table(tmp_path):
    """A merge without delta_merge_options is named with the fix; mode 'error' on an existing
    table fails with deltalake's message; either way the stored table is untouched; mode
    'ignore' leaves it as it is."""

    @asset(metadata={"mode": "merge"})
    def merged() -> pl.DataFrame:
        return batch([1])

    @asset(metadata={"mode": "error"})
    def once() -> pl.DataFrame:
        return batch([1])

    @asset(metadata={"mode": "ignore"})
    def kept() -> pl.DataFrame:
        return batch([1, 2])

    manager = PolarsDeltaIOManager(base_dir=str(tmp_path))
    run([merged, once, kept], manager)
    with pytest.raises(ValueError, match=r"asset 'merged' uses mode 'merge' without "
                                         r"delta_merge_options.*'predicate'"):
        run([merged], manager)
    with pytest.raises(Exception, match=r"(?i)exists"):
        run([once], manager)
    run([kept], manager)
    assert rows(tmp_path, "merged").height == 1 and rows(tmp_path, "once").height == 1
    assert DeltaTable(str(tmp_path / "kept.delta")).version() == 0


def test_a_bad_mode_is_named(tmp_path):
    """An unknown metadata mode lists the modes there are."""

    @asset(metadata={"mode": "upsert"})
    def bad() -> pl.DataFrame:
        return batch([1])

    with pytest.raises(ValueError, match=r"asset 'bad' sets metadata mode='upsert'; use one of "
                                         r"\['error', 'append', 'overwrite', 'ignore', 'merge'\]"):
        run([bad], PolarsDeltaIOManager(base_dir=str(tmp_path)))


REGIONS = StaticPartitionsDefinition(["eu", "us", "asia"])


@asset(partitions_def=REGIONS, metadata={"partition_by": "region"})
def sales(context) -> pl.DataFrame:
    region = context.partition_key
    size = {"eu": 2, "us": 3, "asia": 1}[region]
    return pl.DataFrame({"id": list(range(size)), "region": [region] * size})


def test_partition_by_keeps_every_partition_in_one_table(tmp_path):
    """With partition_by, partitions are rows of one table partitioned by that column; a run
    overwrites only its own partition; inputs read the partitions they map to."""
    seen = {}

    @asset
    def everything(sales: pl.DataFrame) -> pl.DataFrame:
        seen["everything"] = sales
        return sales

    @asset
    def by_region(sales: DataFramePartitions) -> None:
        seen["by_region"] = sales

    @asset(partitions_def=REGIONS)
    def regional(sales: pl.LazyFrame) -> pl.LazyFrame:
        seen["regional"] = sales
        return sales

    manager = PolarsDeltaIOManager(base_dir=str(tmp_path))
    for region in ("eu", "us", "asia"):
        result = run([sales], manager, partition_key=region)
    run([sales], manager, partition_key="eu")  # rewritten: still 2 eu rows
    [mat] = result.asset_materializations_for_node("sales")
    assert mat.metadata["partition_by"].value == "region"
    table = DeltaTable(str(tmp_path / "sales.delta"))
    assert table.metadata().partition_columns == ["region"]
    assert pl.read_delta(str(tmp_path / "sales.delta")).height == 6
    assert not (tmp_path / "sales").exists()

    run([sales, everything, by_region], manager, selection=[everything, by_region])
    assert seen["everything"].height == 6
    assert {k: v.height for k, v in seen["by_region"].items()} == {"eu": 2, "us": 3, "asia": 1}
    run([sales, regional], manager, selection=[regional], partition_key="us")
    assert seen["regional"].collect()["region"].to_list() == ["us"] * 3


def test_partition_by_with_several_dimensions(tmp_path):
    """A multi-partitioned asset maps each dimension to a column; reading one partition
    filters on every column."""
    parts = MultiPartitionsDefinition({"color": StaticPartitionsDefinition(["red", "blue"]),
                                       "size": StaticPartitionsDefinition(["s", "l"])})
    seen = {}

    @asset(partitions_def=parts, metadata={"partition_by": {"color": "c", "size": "z"}})
    def shirts(context) -> pl.DataFrame:
        keys = context.partition_key.keys_by_dimension
        return pl.DataFrame({"c": [keys["color"]], "z": [keys["size"]], "n": [1]})

    @asset(partitions_def=parts)
    def one(shirts: pl.DataFrame) -> None:
        seen["one"] = shirts

    manager = PolarsDeltaIOManager(base_dir=str(tmp_path))
    for color in ("red", "blue"):
        for size in ("s", "l"):
            run([shirts], manager, partition_key=MultiPartitionKey({"color": color, "size": size}))
    assert pl.read_delta(str(tmp_path / "shirts.delta")).height == 4
    run([shirts, one], manager, selection=[one],
        partition_key=MultiPartitionKey({"color": "blue", "size": "l"}))
    assert seen["one"].select("c", "z").to_dicts() == [{"c": "blue", "z": "l"}]


def test_partition_by_mistakes_are_named(tmp_path):
    """partition_by on an unpartitioned asset, naming a column the frame lacks, or of the
    wrong shape fails with the fix, before anything is written."""

    @asset(metadata={"partition_by": "day"})
    def flat() -> pl.DataFrame:
        return batch([1])

    @asset(partitions_def=REGIONS, metadata={"partition_by": "region"})
    def no_column() -> pl.DataFrame:
        return batch([1])

    @asset(partitions_def=REGIONS, metadata={"partition_by": {"r": "region"}})
    def dict_for_one() -> pl.DataFrame:
        return batch([1])

    manager = PolarsDeltaIOManager(base_dir=str(tmp_path))
    with pytest.raises(ValueError, match=r"asset 'flat' sets metadata partition_by='day' but "
                                         r"is not partitioned"):
        run([flat], manager)
    with pytest.raises(ValueError, match=r"asset 'no_column' has no column 'region'.*pl.lit"):
        run([no_column], manager, partition_key="eu")
    with pytest.raises(ValueError, match=r"partition_by=\{'r': 'region'\}.*must be a column "
                                         r"name"):
        run([dict_for_one], manager, partition_key="eu")
    assert list(tmp_path.iterdir()) == []


def test_an_input_reads_an_older_version(tmp_path):
    """The input metadata's `version` (or the config's) reads that version of the table."""
    batches = iter([batch([1]), batch([2, 3])])
    seen = {}

    @asset(metadata={"mode": "append"})
    def log() -> pl.DataFrame:
        return next(batches)

    @asset(ins={"log": AssetIn(metadata={"version": 0})})
    def first(log: pl.DataFrame) -> None:
        seen["first"] = log

    @asset
    def latest(log: pl.DataFrame) -> None:
        seen["latest"] = log

    manager = PolarsDeltaIOManager(base_dir=str(tmp_path))
    run([log], manager)
    run([log], manager)
    run([log, first, latest], manager, selection=[first, latest])
    assert seen["first"]["id"].to_list() == [1] and seen["latest"].height == 3
    pinned = PolarsDeltaIOManager(base_dir=str(tmp_path), version=0)
    run([log, latest], pinned, selection=[latest])
    assert seen["latest"].height == 1


def test_delta_write_options_reach_deltalake(tmp_path):
    """delta_write_options go to the writer: schema_mode 'overwrite' replaces the schema;
    'mode' inside them is refused."""
    frames = iter([batch([1]), pl.DataFrame({"other": ["x"]})])

    @asset(metadata={"delta_write_options": {"schema_mode": "overwrite"}})
    def evolving() -> pl.DataFrame:
        return next(frames)

    @asset(metadata={"delta_write_options": {"mode": "append"}})
    def confused() -> pl.DataFrame:
        return batch([1])

    manager = PolarsDeltaIOManager(base_dir=str(tmp_path))
    run([evolving], manager)
    run([evolving], manager)
    assert pl.read_delta(str(tmp_path / "evolving.delta")).columns == ["other"]
    with pytest.raises(ValueError, match=r"'mode' inside delta_write_options"):
        run([confused], manager)


def test_file_urls_work_and_other_filesystems_are_refused(tmp_path):
    """A file:// base_dir stores local tables; memory:// (which deltalake cannot reach) is
    refused with the fix."""

    @asset
    def table() -> pl.DataFrame:
        return batch([1, 2])

    run([table], PolarsDeltaIOManager(base_dir=f"file://{tmp_path}"))
    assert rows(tmp_path, "table").height == 2
    with pytest.raises(ValueError, match=r"writes through deltalake.*not memory://.*"
                                         r"PolarsParquetIOManager"):
        run([table], PolarsDeltaIOManager(base_dir="memory://hw-delta"))
