"""PolarsParquetIOManager: Parquet files on a local folder, file:// and memory:// paths,
storage options, the write and read options taken from metadata, hive-partitioned datasets
as source assets, and run config."""

from __future__ import annotations

import inspect
from datetime import datetime

import polars as pl
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal
from upath import UPath

from headwater import (
    AssetIn,
    HeadwaterInvalidConfigError,
    SourceAsset,
    StaticPartitionsDefinition,
    asset,
    build_init_resource_context,
    materialize,
)
from headwater_polars import DataFramePartitions, PolarsParquetIOManager
from headwater_polars.storage import object_store_options

FRAME = pl.DataFrame({"id": [1, 2, 3], "name": ["a", "b", "c"]})


def run(assets, manager, **kwargs):
    return materialize(assets, resources={"io_manager": manager}, **kwargs)


@asset
def source() -> pl.DataFrame:
    return FRAME


def test_memory_filesystem_stores_reads_and_sinks(tmp_path):
    """On memory:// (an fsspec filesystem polars cannot reach itself) frames are written,
    sunk and read back through file handles, partitions included."""
    base = f"memory://hw-polars-{tmp_path.name}"
    parts = StaticPartitionsDefinition(["x", "y"])
    seen = {}

    @asset
    def lazy_copy(source: pl.LazyFrame) -> pl.LazyFrame:
        return source.filter(pl.col("id") > 1)

    @asset(partitions_def=parts)
    def split(context) -> pl.DataFrame:
        return FRAME.with_columns(part=pl.lit(context.partition_key))

    @asset
    def joined(split: DataFramePartitions, lazy_copy: pl.DataFrame) -> pl.DataFrame:
        seen["split"] = split
        seen["lazy_copy"] = lazy_copy
        return pl.concat(split.values())

    manager = PolarsParquetIOManager(base_dir=base)
    run([source, lazy_copy], manager)
    for key in ("x", "y"):
        run([split], manager, partition_key=key)
    result = run([source, lazy_copy, split, joined], manager, selection=[joined])
    assert result.success
    assert sorted(seen["split"]) == ["x", "y"]
    assert seen["lazy_copy"]["id"].to_list() == [2, 3]
    stored = UPath(base) / "joined.parquet"
    assert pl.read_parquet(stored.read_bytes()).height == 6
    assert (UPath(base) / "split" / "y.parquet").exists()


def test_file_url_base_dir_and_storage_options_from_the_environment(tmp_path, monkeypatch):
    """A file:// base_dir stores plain local files; a storage option {'env': NAME} is read
    from the environment, and an unset one is named with the fix."""
    monkeypatch.setenv("HW_POLARS_AUTO_MKDIR", "true")
    manager = PolarsParquetIOManager(base_dir=f"file://{tmp_path}",
                                     storage_options={"auto_mkdir": {"env": "HW_POLARS_AUTO_MKDIR"}})
    run([source], manager)
    assert_frame_equal(pl.read_parquet(tmp_path / "source.parquet"), FRAME)
    manager.setup_for_execution(build_init_resource_context())
    assert manager.storage_options == {"auto_mkdir": "true"}

    unset = PolarsParquetIOManager(base_dir=str(tmp_path),
                                   storage_options={"key": {"env": "HW_POLARS_UNSET_KEY"}})
    monkeypatch.delenv("HW_POLARS_UNSET_KEY", raising=False)
    with pytest.raises(HeadwaterInvalidConfigError,
                       match=r"PolarsParquetIOManager:\n.*storage_options.key reads environment variable "
                                         r"'HW_POLARS_UNSET_KEY', which is not set"):
        run([source], unset)


def test_write_options_come_from_asset_metadata(tmp_path):
    """compression, row_group_size and statistics from the asset's metadata reach the file;
    pyarrow_options write through pyarrow."""

    @asset(metadata={"compression": "snappy", "row_group_size": 1, "statistics": True})
    def tuned() -> pl.DataFrame:
        return FRAME

    @asset(metadata={"pyarrow_options": {"coerce_timestamps": "ms",
                                        "allow_truncated_timestamps": True}})
    def stamped() -> pl.DataFrame:
        return pl.DataFrame({"at": [datetime(2024, 1, 1, 12, 0, 0, 123456)]})

    @asset(metadata={"compression": "gzip"})
    def sunk() -> pl.LazyFrame:
        return FRAME.lazy()

    run([tuned, stamped, sunk], PolarsParquetIOManager(base_dir=str(tmp_path)))
    meta = pq.ParquetFile(tmp_path / "tuned.parquet").metadata
    assert meta.num_row_groups == 3
    assert meta.row_group(0).column(0).compression == "SNAPPY"
    assert meta.row_group(0).column(0).statistics is not None
    assert str(pq.read_schema(tmp_path / "stamped.parquet").field("at").type) == "timestamp[ms]"
    assert pq.ParquetFile(tmp_path / "sunk.parquet").metadata.row_group(0).column(0) \
        .compression == "GZIP"


def test_read_options_come_from_input_metadata(tmp_path):
    """n_rows and row_index_name from the input's metadata shape the loaded frame; an option
    this polars no longer takes is refused by name."""
    seen = {}

    @asset(ins={"source": AssetIn(metadata={"n_rows": 2, "row_index_name": "row"})})
    def head(source: pl.DataFrame) -> pl.DataFrame:
        seen["head"] = source
        return source

    @asset(ins={"source": AssetIn(metadata={"rechunk": True})})
    def old(source: pl.DataFrame) -> pl.DataFrame:
        return source

    manager = PolarsParquetIOManager(base_dir=str(tmp_path))
    run([source, head], manager)
    assert seen["head"].columns == ["row", "id", "name"]
    assert seen["head"]["row"].to_list() == [0, 1]
    if "rechunk" not in inspect.signature(pl.scan_parquet).parameters:
        with pytest.raises(ValueError, match=r"input 'source' of 'old'.*sets metadata 'rechunk'"
                                             r", which pl.scan_parquet"):
            run([source, old], manager, selection=[old])


def test_scan_parquet_options_pass_other_keywords_and_refuse_unknown_ones(tmp_path):
    """scan_parquet_options hands any pl.scan_parquet keyword over; one it does not take is
    named."""
    seen = {}

    @asset(ins={"source": AssetIn(metadata={"scan_parquet_options": {
        "include_file_paths": "file"}})})
    def traced(source: pl.DataFrame) -> None:
        seen["traced"] = source

    @asset(ins={"source": AssetIn(metadata={"scan_parquet_options": {"speed": "max"}})})
    def wrong(source: pl.DataFrame) -> None:
        pass

    manager = PolarsParquetIOManager(base_dir=str(tmp_path))
    run([source, traced], manager)
    assert seen["traced"]["file"][0].endswith("source.parquet")
    with pytest.raises(ValueError, match=r"scan_parquet_options \['speed'\] that "
                                         r"pl.scan_parquet does not take"):
        run([source, wrong], manager, selection=[wrong])


def test_storage_options_are_translated_for_polars_own_cloud_io():
    """fsspec's S3 keys become object_store's; fsspec-only settings are dropped; values are
    text."""
    assert object_store_options({
        "key": "AK", "secret": "SK", "token": "T", "anon": True, "auto_mkdir": True,
        "client_kwargs": {"region_name": "eu-west-1", "endpoint_url": "http://127.0.0.1:9000"},
        "aws_allow_http": True, "timeout": 30}) == {
        "aws_access_key_id": "AK", "aws_secret_access_key": "SK", "aws_session_token": "T",
        "aws_skip_signature": "true", "aws_region": "eu-west-1",
        "aws_endpoint_url": "http://127.0.0.1:9000", "aws_allow_http": "true", "timeout": "30"}
    assert object_store_options({}) is None


def test_a_hive_partitioned_dataset_is_read_as_a_source_asset(tmp_path):
    """A folder of hive-style Parquet files at the asset's path loads as one frame whose
    partition folders are columns."""
    events = pl.DataFrame({"year": [2023, 2023, 2024], "amount": [1, 2, 3]})
    events.write_parquet(tmp_path / "sales" / "events.parquet", partition_by="year", mkdir=True)
    seen = {}

    @asset(ins={"events": AssetIn(key=["sales", "events"])})
    def totals(events: pl.LazyFrame) -> pl.DataFrame:
        seen["events"] = events
        return events.group_by("year").agg(pl.col("amount").sum()).sort("year").collect()

    result = run([SourceAsset(key=["sales", "events"]), totals],
                 PolarsParquetIOManager(base_dir=str(tmp_path)))
    assert isinstance(seen["events"], pl.LazyFrame)
    assert pl.read_parquet(tmp_path / "totals.parquet").to_dicts() == [
        {"year": 2023, "amount": 3}, {"year": 2024, "amount": 3}]
    assert result.success


def test_base_dir_and_storage_options_from_run_config(tmp_path):
    """configure_at_launch takes base_dir and storage_options from run config; with no
    base_dir the instance's storage directory is used."""
    manager = PolarsParquetIOManager.configure_at_launch()
    result = run([source], manager, run_config={"resources": {"io_manager": {"config": {
        "base_dir": str(tmp_path / "launched"), "storage_options": {"auto_mkdir": True}}}}})
    [mat] = result.asset_materializations_for_node("source")
    assert mat.metadata["path"].value.endswith(str(tmp_path / "launched" / "source.parquet"))
    assert_frame_equal(pl.read_parquet(tmp_path / "launched" / "source.parquet"), FRAME)

    result = run([source], PolarsParquetIOManager())
    [mat] = result.asset_materializations_for_node("source")
    assert mat.metadata["path"].value.endswith("/storage/source.parquet")
