"""The Delta Lake IO managers against real Delta tables on disk: a table per asset, schemas,
partitions replaced by predicate, column selection, recorded metadata, the pandas / polars /
PyArrow handlers, DeltaTableResource and the errors a user can meet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from deltalake import DeltaTable

from headwater import (
    AssetIn,
    AssetKey,
    DailyPartitionsDefinition,
    MultiPartitionsDefinition,
    Out,
    StaticPartitionsDefinition,
    asset,
    job,
    materialize,
    op,
)
from headwater_deltalake import (
    DeltaLakePyarrowIOManager,
    DeltaTableResource,
    GcsConfig,
    LocalConfig,
    S3Config,
    WriteMode,
)
from headwater_deltalake_pandas import DeltaLakePandasIOManager
from headwater_deltalake_polars import DeltaLakePolarsIOManager


def table(path: Path) -> pd.DataFrame:
    return DeltaTable(str(path)).to_pandas()


def recorded(result, key: str) -> dict:
    events = [e for e in result.get_asset_materialization_events()
              if e.asset_key == AssetKey.from_user_string(key)]
    return events[-1].materialization.metadata


def failure(result, node: str) -> str:
    """The messages of a failed step's error and every error it was raised from."""
    error, messages = result.failure_data_for_node(node).error, []
    while error is not None:
        messages.append(error.message)
        error = error.cause
    return "\n".join(messages)


def pandas_io(root: Path, **kwargs) -> DeltaLakePandasIOManager:
    return DeltaLakePandasIOManager(root_uri=str(root), storage_options=LocalConfig(), **kwargs)


def test_asset_is_a_table_under_root_schema_table_and_downstream_reads_it(tmp_path: Path):
    """The key prefix is the schema directory, the last part the table; downstream gets a frame."""
    @asset(key_prefix=["raw"])
    def people() -> pd.DataFrame:
        return pd.DataFrame({"name": ["ada", "bob"], "age": [36, 41]})

    @asset(ins={"people": AssetIn(key=AssetKey(["raw", "people"]))})
    def older(people: pd.DataFrame) -> pd.DataFrame:
        return people.assign(age=people.age + 1)

    result = materialize([people, older], resources={"io_manager": pandas_io(tmp_path)})
    assert result.success
    assert table(tmp_path / "raw" / "people").sort_values("name")["age"].tolist() == [36, 41]
    assert table(tmp_path / "public" / "older").sort_values("age")["age"].tolist() == [37, 42]
    meta = recorded(result, "raw/people")
    assert meta["num_rows"].value == 2
    assert meta["headwater/row_count"].value == 2
    assert meta["table_uri"].value == f"{tmp_path}/raw/people"
    assert [c.name for c in meta["table_columns"].value.columns] == ["name", "age"]
    assert meta["size_bytes"].value > 0
    assert meta["Query"].value == "SELECT * FROM raw.people"


def test_overwrite_replaces_and_append_mode_adds(tmp_path: Path):
    """Re-materializing overwrites the table; metadata mode='append' adds to it instead."""
    frames = iter([pd.DataFrame({"a": [1, 2]}), pd.DataFrame({"a": [3]}),
                   pd.DataFrame({"a": [4]})])

    @asset
    def thing() -> pd.DataFrame:
        return next(frames)

    @asset(metadata={"mode": "append"}, key="log")
    def log() -> pd.DataFrame:
        return pd.DataFrame({"a": [1]})

    io = pandas_io(tmp_path)
    assert materialize([thing, log], resources={"io_manager": io}).success
    assert materialize([thing, log], resources={"io_manager": io}).success
    assert table(tmp_path / "public" / "thing")["a"].tolist() == [3]
    assert table(tmp_path / "public" / "log")["a"].tolist() == [1, 1]


def test_io_manager_mode_config_and_schema_config(tmp_path: Path):
    """`mode` config applies to every asset; `schema` config beats the key prefix."""
    @asset(key_prefix=["ignored"])
    def events() -> pd.DataFrame:
        return pd.DataFrame({"a": [1]})

    io = pandas_io(tmp_path, mode=WriteMode.append, schema="lake")
    materialize([events], resources={"io_manager": io})
    materialize([events], resources={"io_manager": io})
    assert len(table(tmp_path / "lake" / "events")) == 2


def test_daily_partitions_are_replaced_by_predicate(tmp_path: Path):
    """Each daily partition overwrites only its rows; downstream reads the window it maps to."""
    daily = DailyPartitionsDefinition(start_date="2024-01-01")
    runs = {"n": 0}

    @asset(partitions_def=daily, metadata={"partition_expr": "day"})
    def sales(context) -> pd.DataFrame:
        runs["n"] += 1
        day = dt.date.fromisoformat(context.partition_key)
        return pd.DataFrame({"day": [day, day], "amount": [runs["n"], runs["n"] * 10]})

    @asset(partitions_def=daily, metadata={"partition_expr": "day"})
    def total(context, sales: pd.DataFrame) -> pd.DataFrame:
        day = dt.date.fromisoformat(context.partition_key)
        return pd.DataFrame({"day": [day], "total": [int(sales.amount.sum())]})

    io = pandas_io(tmp_path)
    for key in ("2024-01-01", "2024-01-02", "2024-01-01"):
        result = materialize([sales, total], partition_key=key, resources={"io_manager": io})
        assert result.success
    stored = table(tmp_path / "public" / "sales").sort_values(["day", "amount"])
    assert stored["amount"].tolist() == [3, 30, 2, 20]
    assert table(tmp_path / "public" / "total").sort_values("day")["total"].tolist() == [33, 22]
    meta = recorded(result, "sales")
    assert meta["headwater/partition_row_count"].value == 2
    assert "day" in meta["Query"].value and "2024-01-01" in meta["Query"].value
    assert DeltaTable(str(tmp_path / "public" / "sales")).metadata().partition_columns == ["day"]


def test_timestamp_partition_column_and_static_and_multi_partitions(tmp_path: Path):
    """Time windows match a timestamp column by range; static and multi keys by value."""
    daily = DailyPartitionsDefinition(start_date="2024-01-01")
    colors = StaticPartitionsDefinition(["red", "blue"])
    multi = MultiPartitionsDefinition({"date": daily, "color": colors})

    @asset(partitions_def=daily, metadata={"partition_expr": "ts"})
    def readings(context) -> pl.DataFrame:
        start = dt.datetime.fromisoformat(context.partition_key)
        return pl.DataFrame({"ts": [start + dt.timedelta(hours=h) for h in (1, 5)],
                             "v": [1, 2]})

    @asset(partitions_def=colors, metadata={"partition_expr": "color"})
    def paint(context) -> pl.DataFrame:
        return pl.DataFrame({"color": [context.partition_key], "n": [len(context.partition_key)]})

    @asset(partitions_def=multi, metadata={"partition_expr": {"date": "day", "color": "color"}})
    def grid(context) -> pl.DataFrame:
        keys = context.partition_key.keys_by_dimension
        return pl.DataFrame({"day": [dt.date.fromisoformat(keys["date"])],
                             "color": [keys["color"]], "x": [1]})

    counted = []

    @asset(partitions_def=daily, metadata={"partition_expr": "ts"})
    def hourly(readings: pl.LazyFrame) -> pl.DataFrame:  # scans only its day's rows
        frame = readings.collect()
        counted.append(frame.height)
        return frame

    io = DeltaLakePolarsIOManager(root_uri=str(tmp_path), storage_options=LocalConfig())
    for key in ("2024-01-01", "2024-01-02", "2024-01-01"):
        assert materialize([readings, hourly], partition_key=key,
                           resources={"io_manager": io}).success
    assert counted == [2, 2, 2]
    for key in ("red", "blue", "red"):
        assert materialize([paint], partition_key=key, resources={"io_manager": io}).success
    for key in ("red|2024-01-01", "blue|2024-01-01", "red|2024-01-01"):
        assert materialize([grid], partition_key=key, resources={"io_manager": io}).success
    assert len(table(tmp_path / "public" / "readings")) == 4
    assert sorted(table(tmp_path / "public" / "paint")["color"]) == ["blue", "red"]
    assert sorted(table(tmp_path / "public" / "grid")["color"]) == ["blue", "red"]


def test_columns_metadata_narrows_what_is_read_and_polars_lazy_input(tmp_path: Path):
    """An input's `columns` metadata selects columns; a LazyFrame annotation gets a LazyFrame."""
    @asset
    def wide() -> pl.DataFrame:
        return pl.DataFrame({"a": [1, 2], "b": ["x", "y"], "c": [0.5, 1.5]})

    seen = {}

    @asset(ins={"wide": AssetIn(metadata={"columns": ["a", "c"]})})
    def narrow(wide: pl.LazyFrame) -> pl.DataFrame:
        seen["type"] = type(wide)
        return wide.collect()

    io = DeltaLakePolarsIOManager(root_uri=str(tmp_path), storage_options=LocalConfig())
    assert materialize([wide, narrow], resources={"io_manager": io}).success
    assert seen["type"] is pl.LazyFrame
    assert list(table(tmp_path / "public" / "narrow").columns) == ["a", "c"]


def test_pyarrow_io_manager_tables_and_readers(tmp_path: Path):
    """PyArrow tables are stored; an input annotated RecordBatchReader streams the table."""
    @asset
    def arrow() -> pa.Table:
        return pa.table({"k": [1, 2, 3]})

    @asset
    def doubled(arrow: pa.RecordBatchReader) -> pa.Table:
        got = arrow.read_all()
        return pa.table({"k": [v * 2 for v in got.column("k").to_pylist()]})

    io = DeltaLakePyarrowIOManager(root_uri=str(tmp_path), storage_options=LocalConfig())
    assert materialize([arrow, doubled], resources={"io_manager": io}).success
    assert sorted(table(tmp_path / "public" / "doubled")["k"]) == [2, 4, 6]


def test_schema_mode_merge_adds_columns_and_overwrite_schema_replaces(tmp_path: Path):
    """A value with new columns fails with the fix, merges with schema_mode='merge', and
    replaces the schema with overwrite_schema."""
    frames = iter([pd.DataFrame({"a": [1]}), pd.DataFrame({"a": [2], "b": ["new"]}),
                   pd.DataFrame({"a": [3], "b": ["x"]}), pd.DataFrame({"z": [9]})])

    @asset(metadata={"mode": "append"})
    def grows() -> pd.DataFrame:
        return next(frames)

    io = pandas_io(tmp_path)
    assert materialize([grows], resources={"io_manager": io}).success
    failed = materialize([grows], resources={"io_manager": io}, raise_on_error=False)
    assert not failed.success
    message = failure(failed, "grows")
    assert "schema_mode" in message and "asset 'grows'" in message
    merged = materialize([grows], resources={"io_manager": pandas_io(tmp_path,
                                                                      schema_mode="merge")})
    assert merged.success
    assert sorted(table(tmp_path / "public" / "grows").columns) == ["a", "b"]

    @asset(name="grows")
    def replaced() -> pd.DataFrame:
        return next(frames)

    assert materialize([replaced], resources={"io_manager": pandas_io(
        tmp_path, overwrite_schema=True)}).success
    assert list(table(tmp_path / "public" / "grows").columns) == ["z"]


def test_partition_rows_outside_the_partition_fail_and_keep_the_table(tmp_path: Path):
    """A partition holding rows of another day fails naming the predicate; stored rows stay."""
    daily = DailyPartitionsDefinition(start_date="2024-01-01")

    @asset(partitions_def=daily, metadata={"partition_expr": "day"})
    def sloppy(context) -> pd.DataFrame:
        return pd.DataFrame({"day": [dt.date(2024, 1, 1)], "v": [1]})

    io = pandas_io(tmp_path)
    assert materialize([sloppy], partition_key="2024-01-01", resources={"io_manager": io}).success
    failed = materialize([sloppy], partition_key="2024-01-02", resources={"io_manager": io},
                         raise_on_error=False)
    assert not failed.success
    message = failure(failed, "sloppy")
    assert "rows outside its partition" in message and "partition '2024-01-02'" in message
    assert table(tmp_path / "public" / "sloppy")["v"].tolist() == [1]


def test_user_errors_name_the_asset_and_the_fix(tmp_path: Path):
    """Missing partition column, unknown mode, unknown columns, missing table, pyarrow engine."""
    daily = DailyPartitionsDefinition(start_date="2024-01-01")

    @asset(partitions_def=daily, metadata={"partition_expr": "day"})
    def no_day() -> pd.DataFrame:
        return pd.DataFrame({"v": [1]})

    failed = materialize([no_day], partition_key="2024-01-01",
                         resources={"io_manager": pandas_io(tmp_path)}, raise_on_error=False)
    assert "no column 'day'" in failure(failed, "no_day")

    @asset(metadata={"mode": "upsert"})
    def bad_mode() -> pd.DataFrame:
        return pd.DataFrame({"v": [1]})

    failed = materialize([bad_mode], resources={"io_manager": pandas_io(tmp_path)},
                         raise_on_error=False)
    assert "mode='upsert'" in failure(failed, "bad_mode")

    @asset
    def base() -> pd.DataFrame:
        return pd.DataFrame({"v": [1]})

    @asset(ins={"base": AssetIn(metadata={"columns": ["nope"]})})
    def picky(base: pd.DataFrame) -> pd.DataFrame:
        return base

    failed = materialize([base, picky], resources={"io_manager": pandas_io(tmp_path)},
                         raise_on_error=False)
    assert "['nope']" in failure(failed, "picky")

    @asset
    def never() -> pd.DataFrame:
        return pd.DataFrame({"v": [1]})

    @asset
    def orphan(never: pd.DataFrame) -> pd.DataFrame:
        return never

    failed = materialize([orphan, never], selection=[AssetKey("orphan")],
                         resources={"io_manager": pandas_io(tmp_path)}, raise_on_error=False)
    assert "no Delta table at" in failure(failed, "orphan")

    with pytest.raises(Exception, match="writer_engine='pyarrow'"):
        materialize([base], resources={"io_manager": pandas_io(tmp_path,
                                                               writer_engine="pyarrow")})


def test_delta_table_resource_loads_a_version(tmp_path: Path):
    """DeltaTableResource opens the table, at `version` when given, and names a missing one."""
    @asset
    def numbers() -> pd.DataFrame:
        return pd.DataFrame({"n": [1, 2, 3]})

    io = pandas_io(tmp_path)
    materialize([numbers], resources={"io_manager": io})
    materialize([numbers], resources={"io_manager": io})
    url = str(tmp_path / "public" / "numbers")
    got = {}

    @asset
    def reader(delta: DeltaTableResource) -> None:
        got["version"] = delta.load().version()
        got["rows"] = delta.load().to_pandas()["n"].tolist()

    assert materialize([reader], resources={"delta": DeltaTableResource(
        url=url, storage_options=LocalConfig(), version=0)}).success
    assert got == {"version": 0, "rows": [1, 2, 3]}
    with pytest.raises(Exception, match="no Delta table at"):
        DeltaTableResource(url=str(tmp_path / "missing"), storage_options=LocalConfig()).load()


def test_cloud_configs_build_storage_options():
    """S3 and GCS configs become deltalake's string options, unset fields left out."""
    s3 = S3Config(access_key_id="AK", secret_access_key="SK", region="eu-west-1",
                  allow_unsafe_rename=True)
    assert s3.str_dict() == {"access_key_id": "AK", "secret_access_key": "SK",
                             "region": "eu-west-1", "imdsv1_fallback": "false",
                             "allow_unsafe_rename": "true"}
    assert GcsConfig(service_account="/sa.json").str_dict() == {"service_account": "/sa.json"}


def test_op_outputs_are_tables_named_by_output_in_their_schema(tmp_path: Path):
    """An op output is a table named after the output, in its `schema` metadata's directory."""
    seen = []

    @op(out=Out(metadata={"schema": "ops"}))
    def make() -> pd.DataFrame:
        return pd.DataFrame({"a": [1, 2]})

    @op
    def use(make: pd.DataFrame) -> None:
        seen.append(make["a"].tolist())

    @job(resource_defs={"io_manager": pandas_io(tmp_path)})
    def tables():
        use(make())

    assert tables.execute_in_process().success
    assert seen == [[1, 2]]
    assert table(tmp_path / "ops" / "result")["a"].tolist() == [1, 2]


def test_pyarrow_dataset_input_is_filtered_to_its_partitions(tmp_path: Path):
    """An input annotated pyarrow Dataset gets the partition's rows; a Dataset can be stored."""
    daily = DailyPartitionsDefinition(start_date="2024-01-01")

    @asset(partitions_def=daily, metadata={"partition_expr": "ts"})
    def events(context) -> pa.Table:
        start = dt.datetime.fromisoformat(context.partition_key)
        return pa.table({"ts": [start, start + dt.timedelta(hours=23)], "n": [1, 2]})

    seen = {}

    @asset(partitions_def=daily, metadata={"partition_expr": "ts"})
    def copied(events: ds.Dataset) -> ds.Dataset:
        seen["rows"] = events.to_table().num_rows
        return events

    io = DeltaLakePyarrowIOManager(root_uri=str(tmp_path), storage_options=LocalConfig())
    for key in ("2024-01-01", "2024-01-02"):
        assert materialize([events, copied], partition_key=key,
                           resources={"io_manager": io}).success
    assert seen["rows"] == 2
    assert len(table(tmp_path / "public" / "copied")) == 4


def test_time_partition_on_a_text_column_is_refused_with_the_fix(tmp_path: Path):
    """A daily asset whose partition column holds strings fails saying to store dates."""
    daily = DailyPartitionsDefinition(start_date="2024-01-01")

    @asset(partitions_def=daily, metadata={"partition_expr": "day"})
    def texty(context) -> pd.DataFrame:
        return pd.DataFrame({"day": [context.partition_key], "v": [1]})

    failed = materialize([texty], partition_key="2024-01-01",
                         resources={"io_manager": pandas_io(tmp_path)}, raise_on_error=False)
    assert "is not a date or timestamp" in failure(failed, "texty")


def test_commit_metadata_table_config_and_writer_properties_reach_the_table(tmp_path: Path):
    """custom_metadata goes into the commit, table_config into the table's properties and
    writer_properties into the Parquet files; an asset's custom_metadata overrides config."""
    import pyarrow.parquet as pq

    @asset
    def configured() -> pd.DataFrame:
        return pd.DataFrame({"a": [1, 2]})

    @asset(metadata={"custom_metadata": {"by": "asset"}})
    def overridden() -> pd.DataFrame:
        return pd.DataFrame({"a": [1]})

    io = pandas_io(tmp_path, custom_metadata={"by": "config"},
                   table_config={"delta.appendOnly": "false", "delta.logRetentionDuration":
                                 "interval 7 days"},
                   writer_properties={"compression": "ZSTD"})
    assert materialize([configured, overridden], resources={"io_manager": io}).success
    delta = DeltaTable(str(tmp_path / "public" / "configured"))
    assert delta.history(1)[0]["by"] == "config"
    assert delta.metadata().configuration["delta.logRetentionDuration"] == "interval 7 days"
    data_file = next((tmp_path / "public" / "configured").glob("*.parquet"))
    assert pq.ParquetFile(data_file).metadata.row_group(0).column(0).compression == "ZSTD"
    assert DeltaTable(str(tmp_path / "public" / "overridden")).history(1)[0]["by"] == "asset"
