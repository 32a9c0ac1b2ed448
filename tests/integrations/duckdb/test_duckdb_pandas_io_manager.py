"""DuckDBPandasIOManager against a real DuckDB file: tables per asset, schemas, partitions,
column selection, recorded metadata and the errors a user can meet."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from headwater import (
    AssetIn,
    AssetKey,
    DailyPartitionsDefinition,
    Definitions,
    DynamicPartitionsDefinition,
    MultiPartitionsDefinition,
    StaticPartitionsDefinition,
    TimeWindowPartitionMapping,
    asset,
    define_asset_job,
    job,
    materialize,
    op,
)
from headwater_duckdb_pandas import DuckDBPandasIOManager, duckdb_pandas_io_manager


def rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def recorded(result, key: str) -> dict:
    """The metadata of the last materialization of asset `key` in the run."""
    events = [e for e in result.get_asset_materialization_events()
              if e.asset_key == AssetKey.from_user_string(key)]
    return events[-1].materialization.metadata


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


def test_asset_is_a_table_named_by_its_key_and_downstream_reads_it(db: Path):
    """The key prefix is the schema, the last part the table; a downstream asset gets a frame."""
    @asset(key_prefix=["raw"])
    def people() -> pd.DataFrame:
        return pd.DataFrame({"name": ["ada", "bob"], "age": [36, 41]})

    @asset(ins={"people": AssetIn(key=AssetKey(["raw", "people"]))})
    def older(people: pd.DataFrame) -> pd.DataFrame:
        return people.assign(age=people.age + 1)

    result = materialize([people, older],
                         resources={"io_manager": DuckDBPandasIOManager(database=str(db))})
    assert result.success
    assert rows(db, "select * from raw.people order by name") == [("ada", 36), ("bob", 41)]
    assert rows(db, "select age from public.older order by age") == [(37,), (42,)]


def test_rematerializing_replaces_the_table_and_its_columns(db: Path):
    """An unpartitioned asset written again is the new value, with the new columns."""
    io = DuckDBPandasIOManager(database=str(db))
    frames = iter([pd.DataFrame({"a": [1, 2, 3]}), pd.DataFrame({"b": ["x"]})])

    @asset
    def thing() -> pd.DataFrame:
        return next(frames)

    assert materialize([thing], resources={"io_manager": io}).success
    assert materialize([thing], resources={"io_manager": io}).success
    assert rows(db, "select * from public.thing") == [("x",)]


def test_schema_config_and_metadata_and_table_metadata(db: Path):
    """`schema` config beats the key prefix; `schema`/`table` metadata beat both."""
    @asset(key_prefix=["ignored"])
    def by_config() -> pd.DataFrame:
        return pd.DataFrame({"v": [1]})

    @asset(metadata={"schema": "reports", "table": "renamed"})
    def by_metadata() -> pd.DataFrame:
        return pd.DataFrame({"v": [2]})

    io = DuckDBPandasIOManager(database=str(db), schema="analytics")
    assert materialize([by_config, by_metadata], resources={"io_manager": io}).success
    assert rows(db, "select v from analytics.by_config") == [(1,)]
    assert rows(db, "select v from reports.renamed") == [(2,)]


def test_materialization_records_columns_row_count_and_relation(db: Path):
    """The column schema (DuckDB types), row count and `warehouse.schema.table` are recorded."""
    @asset(key_prefix=["shop"])
    def orders() -> pd.DataFrame:
        return pd.DataFrame({"id": [1, 2, 3], "item": ["a", "b", "c"]})

    result = materialize([orders], resources={"io_manager": DuckDBPandasIOManager(database=str(db))})
    metadata = recorded(result, "shop/orders")
    columns = [(c.name, c.type) for c in metadata["headwater/column_schema"].value.columns]
    assert columns == [("id", "BIGINT"), ("item", "VARCHAR")]
    assert metadata["headwater/row_count"].value == 3
    assert metadata["headwater/relation_identifier"].value == "warehouse.shop.orders"
    assert metadata["headwater/table_name"].value == "warehouse.shop.orders"
    assert metadata["Query"].value == "SELECT * FROM shop.orders"


def test_columns_metadata_on_an_input_selects_columns(db: Path):
    """AssetIn(metadata={'columns': [...]}) loads only those columns."""
    @asset
    def wide() -> pd.DataFrame:
        return pd.DataFrame({"a": [1], "b": [2], "c": [3]})

    seen = {}

    @asset(ins={"wide": AssetIn(metadata={"columns": ["c", "a"]})})
    def narrow(wide: pd.DataFrame) -> pd.DataFrame:
        seen["columns"] = list(wide.columns)
        return wide

    assert materialize([wide, narrow],
                       resources={"io_manager": DuckDBPandasIOManager(database=str(db))}).success
    assert seen["columns"] == ["c", "a"]


daily = DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-06")


@asset(partitions_def=daily, metadata={"partition_expr": "day"})
def events(context) -> pd.DataFrame:
    day = pd.Timestamp(context.partition_key)
    return pd.DataFrame({"day": [day, day], "n": [1, 2]})


def test_daily_partitions_are_written_and_replaced_by_partition(db: Path):
    """Each run replaces its own day only; other days stay."""
    io = DuckDBPandasIOManager(database=str(db))
    for key in ["2024-01-01", "2024-01-02", "2024-01-01"]:
        assert materialize([events], partition_key=key, resources={"io_manager": io}).success
    assert rows(db, "select strftime(day, '%Y-%m-%d') d, count(*) from public.events "
                    "group by d order by d") == [("2024-01-01", 2), ("2024-01-02", 2)]
    result = materialize([events], partition_key="2024-01-03", resources={"io_manager": io})
    metadata = recorded(result, "events")
    assert metadata["headwater/partition_row_count"].value == 2
    assert "day >= '2024-01-03 00:00:00' AND day < '2024-01-04 00:00:00'" in metadata["Query"].value


def test_downstream_reads_a_range_of_upstream_partitions(db: Path):
    """A partition mapping over three days loads those three days' rows, no more."""
    @asset(partitions_def=daily, metadata={"partition_expr": "day"}, ins={"events": AssetIn(
        partition_mapping=TimeWindowPartitionMapping(start_offset=-2))})
    def three_days(context, events: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"day": [pd.Timestamp(context.partition_key)],
                             "days": [events.day.nunique()], "rows": [len(events)]})

    io = DuckDBPandasIOManager(database=str(db))
    for key in ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]:
        assert materialize([events], partition_key=key, resources={"io_manager": io}).success
    result = materialize([events, three_days], partition_key="2024-01-04",
                         selection=[three_days], resources={"io_manager": io})
    assert result.success
    assert rows(db, "select days, rows from public.three_days") == [(3, 6)]


def test_static_partitions_and_dynamic_partitions_use_in(db: Path):
    """Static and dynamic keys select rows with IN on the partition column."""
    colors = StaticPartitionsDefinition(["red", "blue"])

    @asset(partitions_def=colors, metadata={"partition_expr": "color"})
    def paint(context) -> pd.DataFrame:
        return pd.DataFrame({"color": [context.partition_key], "litres": [len(context.partition_key)]})

    io = DuckDBPandasIOManager(database=str(db))
    for key in ["red", "blue", "red"]:
        result = materialize([paint], partition_key=key, resources={"io_manager": io})
    assert rows(db, "select * from public.paint order by color") == [("blue", 4), ("red", 3)]
    assert recorded(result, "paint")["Query"].value == \
        "SELECT * FROM public.paint WHERE (color IN ('red'))"

    @asset
    def total(paint: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"litres": [paint.litres.sum()]})

    assert materialize([paint, total], selection=[total], resources={"io_manager": io}).success
    assert rows(db, "select litres from public.total") == [(7,)]


def test_dynamic_partitions(db: Path):
    """A dynamic partition is written and replaced like a static one."""
    from headwater import instance_for_test

    customers = DynamicPartitionsDefinition(name="customers")

    @asset(partitions_def=customers, metadata={"partition_expr": "customer"})
    def invoices(context) -> pd.DataFrame:
        return pd.DataFrame({"customer": [context.partition_key], "amount": [10]})

    io = DuckDBPandasIOManager(database=str(db))
    with instance_for_test() as instance:
        instance.add_dynamic_partitions("customers", ["acme", "initech"])
        for key in ["acme", "initech", "acme"]:
            assert materialize([invoices], partition_key=key, instance=instance,
                               resources={"io_manager": io}).success
    assert rows(db, "select customer, amount from public.invoices order by customer") == [
        ("acme", 10), ("initech", 10)]


def test_multi_partitions_use_one_clause_per_dimension(db: Path):
    """A multi-partition is a time range on one column and IN on the other."""
    multi = MultiPartitionsDefinition({
        "date": DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-04"),
        "region": StaticPartitionsDefinition(["eu", "us"])})

    @asset(partitions_def=multi, metadata={"partition_expr": {"date": "day", "region": "region"}})
    def sales(context) -> pd.DataFrame:
        keys = context.partition_key.keys_by_dimension
        return pd.DataFrame({"day": [pd.Timestamp(keys["date"])], "region": [keys["region"]],
                             "amount": [1]})

    io = DuckDBPandasIOManager(database=str(db))
    for key in ["2024-01-01|eu", "2024-01-01|us", "2024-01-02|eu", "2024-01-01|eu"]:
        result = materialize([sales], partition_key=key, resources={"io_manager": io})
        assert result.success
    assert rows(db, "select strftime(day, '%Y-%m-%d'), region from public.sales "
                    "order by 1, 2") == [("2024-01-01", "eu"), ("2024-01-01", "us"),
                                         ("2024-01-02", "eu")]
    query = recorded(result, "sales")["Query"].value
    assert query == ("SELECT * FROM public.sales WHERE (day >= '2024-01-01 00:00:00' AND "
                     "day < '2024-01-02 00:00:00') AND (region IN ('eu'))")


def test_a_partitioned_asset_without_partition_expr_says_what_to_add(db: Path):
    """The error names the asset, the missing metadata and an example."""
    @asset(partitions_def=daily)
    def no_expr(context) -> pd.DataFrame:
        return pd.DataFrame({"x": [1]})

    with pytest.raises(Exception, match=r"Asset 'no_expr' is partitioned, but its metadata has "
                                        r"no 'partition_expr'.*metadata=\{'partition_expr'"):
        materialize([no_expr], partition_key="2024-01-01",
                    resources={"io_manager": DuckDBPandasIOManager(database=str(db))})


def test_a_value_of_an_unhandled_type_names_the_handlers(db: Path):
    """Returning a list to the pandas IO manager fails naming the asset and the handled types."""
    @asset
    def not_a_frame() -> list:
        return [1, 2]

    with pytest.raises(Exception, match=r"cannot store asset 'not_a_frame' as list: it has type "
                                        r"handlers for pandas.DataFrame"):
        materialize([not_a_frame],
                    resources={"io_manager": DuckDBPandasIOManager(database=str(db))})


def test_a_failing_partition_write_keeps_what_was_stored(db: Path):
    """A partition whose columns do not fit the table fails with DuckDB's message and a fix;
    the partition stored before is untouched (the delete rolled back with the insert)."""
    good = iter([True, False])

    @asset(partitions_def=daily, metadata={"partition_expr": "day"})
    def fragile(context) -> pd.DataFrame:
        day = pd.Timestamp(context.partition_key)
        if next(good):
            return pd.DataFrame({"day": [day], "n": [1]})
        return pd.DataFrame({"day": [day], "other": ["x"]})

    io = DuckDBPandasIOManager(database=str(db))
    assert materialize([fragile], partition_key="2024-01-01", resources={"io_manager": io}).success
    with pytest.raises(duckdb.Error, match=r"(?s)Writing asset 'fragile' partition '2024-01-01' into "
                                           r"DuckDB table public.fragile failed.*The table has "
                                           r"columns \['day', 'n'\]; the value has \['day', 'other'\]"):
        materialize([fragile], partition_key="2024-01-01", resources={"io_manager": io})
    assert rows(db, "select n from public.fragile") == [(1,)]


def test_op_outputs_are_tables_named_by_output_in_the_metadata_schema(db: Path):
    """An op's output is table <output name> in its `schema` metadata (else public)."""
    from headwater import Out

    @op(out=Out(metadata={"schema": "ops"}))
    def make() -> pd.DataFrame:
        return pd.DataFrame({"x": [5]})

    @op
    def double(make: pd.DataFrame) -> pd.DataFrame:
        return make * 2

    @job(resource_defs={"io_manager": DuckDBPandasIOManager(database=str(db))})
    def pipeline():
        double(make())

    assert pipeline.execute_in_process().success
    assert rows(db, "select x from ops.result") == [(5,)]
    assert rows(db, "select x from public.result") == [(10,)]


def test_build_duckdb_io_manager_definition_with_definitions_and_a_job(db: Path):
    """duckdb_pandas_io_manager.configured(...) in Definitions, run through an asset job."""
    @asset
    def numbers() -> pd.DataFrame:
        return pd.DataFrame({"n": [1, 2]})

    @asset
    def total(numbers) -> pd.DataFrame:  # unannotated: loaded as the default type
        return pd.DataFrame({"n": [numbers.n.sum()]})

    defs = Definitions(
        assets=[numbers, total], jobs=[define_asset_job("all", selection="*")],
        resources={"io_manager": duckdb_pandas_io_manager.configured(
            {"database": str(db), "schema": "built"})})
    assert defs.resolve_job_def("all").execute_in_process().success
    assert rows(db, "select n from built.total") == [(3,)]


def test_connection_config_reaches_the_io_managers_connections(db: Path):
    """An option DuckDB does not know fails the write with DuckDB's message naming it."""
    @asset
    def anything() -> pd.DataFrame:
        return pd.DataFrame({"x": [1]})

    io = DuckDBPandasIOManager(database=str(db), connection_config={"no_such_option": 1})
    with pytest.raises(duckdb.Error, match="no_such_option"):
        materialize([anything], resources={"io_manager": io})


def test_a_partitioned_asset_reads_an_unpartitioned_upstream_whole(db: Path):
    """In a partitioned run, an unpartitioned upstream table is read whole (no WHERE)."""
    @asset
    def zones() -> pd.DataFrame:
        return pd.DataFrame({"zone": ["a", "b"]})

    @asset(partitions_def=daily, metadata={"partition_expr": "day"})
    def zone_days(context, zones: pd.DataFrame) -> pd.DataFrame:
        return zones.assign(day=pd.Timestamp(context.partition_key))

    io = DuckDBPandasIOManager(database=str(db))
    assert materialize([zones], resources={"io_manager": io}).success
    assert materialize([zones, zone_days], selection=[zone_days], partition_key="2024-01-02",
                       resources={"io_manager": io}).success
    assert rows(db, "select zone from public.zone_days order by zone") == [("a",), ("b",)]


def test_none_from_an_asset_typed_none_writes_nothing_and_untyped_none_is_an_error(db: Path):
    """`-> None` assets write their own tables; an untyped None asks for a value or `-> None`."""
    @asset
    def writes_itself() -> None:
        return None

    @asset
    def forgot_return():
        pass

    io = DuckDBPandasIOManager(database=str(db))
    assert materialize([writes_itself], resources={"io_manager": io}).success
    with pytest.raises(Exception, match=r"got None for asset 'forgot_return'.*Return the "
                                        r"table's value, or annotate the output `-> None`"):
        materialize([forgot_return], resources={"io_manager": io})


def test_loading_a_table_never_stored_says_which_table_and_what_to_do(db: Path):
    """An upstream asset that was never materialized: the error names the table and the fix."""
    @asset
    def never() -> pd.DataFrame:
        return pd.DataFrame({"x": [1]})

    @asset
    def reader(never: pd.DataFrame) -> pd.DataFrame:
        return never

    with pytest.raises(duckdb.CatalogException, match=r"Loading asset 'never': DuckDB table "
                                                      r"public.never does not exist in .*"
                                                      r"Materialize the upstream asset first"):
        materialize([never, reader], selection=[reader],
                    resources={"io_manager": DuckDBPandasIOManager(database=str(db))})


def test_an_existing_table_is_read_through_a_source_asset(db: Path):
    """A table made outside headwater, declared as SourceAsset(["raw", "iris"]), is an input."""
    from headwater import SourceAsset

    with duckdb.connect(str(db)) as conn:
        conn.execute("create schema raw; create table raw.iris as select 1 as x union all select 2")
    iris = SourceAsset(key=AssetKey(["raw", "iris"]))

    @asset(ins={"iris": AssetIn(key=["raw", "iris"])})
    def doubled(iris: pd.DataFrame) -> pd.DataFrame:
        return iris * 2

    assert materialize([iris, doubled],
                       resources={"io_manager": DuckDBPandasIOManager(database=str(db))}).success
    assert rows(db, "select x from public.doubled order by x") == [(2,), (4,)]


def test_the_base_class_alone_cannot_be_built(db: Path):
    """DuckDBIOManager is abstract: building it names the missing type_handlers."""
    from headwater_duckdb import DuckDBIOManager

    with pytest.raises(TypeError, match="abstract method type_handlers"):
        DuckDBIOManager(database=str(db))
