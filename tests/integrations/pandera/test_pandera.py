"""pandera_schema_to_headwater_type with real pandera schemas, pandas and polars: the table
schema carried as type metadata, lazy validation reporting every failing column and check,
the failure cases as metadata, naming, and the errors a user can meet."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pandera.polars as pap
import polars as pl
import pytest
from pandera.typing import Series

from headwater import Out, TableSchema, asset, job, materialize, op
from headwater_pandera import pandera_schema_to_headwater_type


class StockPrices(pa.DataFrameModel):
    """Open and close prices of stocks by day."""

    name: Series[str] = pa.Field(description="Ticker symbol")
    open: Series[float] = pa.Field(ge=0, description="Price at market open")
    close: Series[float] = pa.Field(ge=0, nullable=True)

    @pa.dataframe_check(description="close within 50% of open")
    def moves_little(cls, df: pd.DataFrame) -> pd.Series:
        return (df.close - df.open).abs() <= df.open * 0.5


GOOD = {"name": ["AAPL", "MSFT"], "open": [10.0, 20.0], "close": [11.0, 19.0]}


def failed_output_check(result, node: str):
    """The type check data of the output whose check failed."""
    for event in result.all_events:
        data = event.event_specific_data
        if event.event_type_value == "STEP_OUTPUT" and not data.type_check_success \
                and event.node_name == node:
            return data.type_check_data
    raise AssertionError(f"no failed type check for {node}")


def test_model_becomes_a_named_type_with_the_table_schema():
    """The type is named after the model and carries columns, constraints and descriptions."""
    htype = pandera_schema_to_headwater_type(StockPrices)
    assert htype.name == "StockPrices"
    assert htype.typing_type is pd.DataFrame
    schema = htype.metadata["schema"].value
    assert isinstance(schema, TableSchema)
    by_name = {c.name: c for c in schema.columns}
    assert list(by_name) == ["name", "open", "close"]
    assert by_name["open"].description == "Price at market open"
    assert by_name["open"].constraints.other == [">= 0"]
    assert by_name["open"].constraints.nullable is False
    assert by_name["close"].constraints.nullable is True
    assert by_name["open"].type == "float64"
    assert schema.constraints.other == ["close within 50% of open"]


def test_valid_frame_passes_and_asset_materializes():
    """A frame that satisfies the schema passes the output's type check."""
    @asset(headwater_type=pandera_schema_to_headwater_type(StockPrices))
    def prices() -> pd.DataFrame:
        return pd.DataFrame(GOOD)

    assert materialize([prices]).success


def test_invalid_frame_fails_naming_each_column_and_check():
    """Lazy validation reports every failing column and check, with the failure cases."""
    @asset(headwater_type=pandera_schema_to_headwater_type(StockPrices))
    def dirty() -> pd.DataFrame:
        return pd.DataFrame({"name": ["A", "B", "C"], "open": [-1.0, -2.0, 10.0],
                             "close": [1.0, 1.0, 30.0]})

    result = materialize([dirty], raise_on_error=False)
    assert not result.success
    data = failed_output_check(result, "dirty")
    assert "column 'open': check greater_than_or_equal_to(0) failed for 2 value(s): -1.0, -2.0" \
        in data.description
    assert "the DataFrame: check moves_little failed for 3 row(s): 0, 1, 2" in data.description
    assert data.metadata["num_failures"].value >= 3
    sample = data.metadata["failure_sample"].value
    assert {r.data["column"] for r in sample.records} >= {"open"}
    assert {c.name for c in sample.schema.columns} == {
        "schema_context", "column", "check", "check_number", "failure_case", "index"}
    assert "Type check failed" in result.failure_data_for_node("dirty").error.message


def test_missing_column_and_wrong_value_type():
    """A missing column is a failure case; a non-DataFrame value fails with what was expected."""
    htype = pandera_schema_to_headwater_type(StockPrices)
    check = htype.type_check(None, pd.DataFrame({"name": ["A"], "open": [1.0]}))
    assert not check.success and "close" in check.description
    check = htype.type_check(None, [1, 2])
    assert not check.success and "pandas.DataFrame" in check.description \
        and "got list" in check.description


def test_dataframe_schema_names_and_op_outputs():
    """A DataFrameSchema uses its title or name, else a generated name; it works on op outputs."""
    titled = pa.DataFrameSchema({"a": pa.Column(int)}, title="Titled", name="ignored")
    named = pa.DataFrameSchema({"a": pa.Column(int)}, name="Named")
    anonymous = [pandera_schema_to_headwater_type(pa.DataFrameSchema({"a": pa.Column(int)}))
                 for _ in range(2)]
    assert pandera_schema_to_headwater_type(titled).name == "Titled"
    assert pandera_schema_to_headwater_type(named).name == "Named"
    assert anonymous[0].name.startswith("HeadwaterPanderaDataframe")
    assert anonymous[0].name != anonymous[1].name

    @op(out=Out(headwater_type=pandera_schema_to_headwater_type(named)))
    def make() -> pd.DataFrame:
        return pd.DataFrame({"a": ["not", "ints"]})

    @job
    def making():
        make()

    result = making.execute_in_process(raise_on_error=False)
    assert not result.success
    assert "column 'a'" in failed_output_check(result, "make").description


def test_polars_schema_validates_polars_frames_and_lazy_frames():
    """A pandera.polars model checks polars DataFrames (LazyFrames are collected first)."""
    class Trips(pap.DataFrameModel):
        distance: float = pap.Field(gt=0)
        city: str = pap.Field(isin=["paris", "rome"])

    htype = pandera_schema_to_headwater_type(Trips)
    assert htype.typing_type is pl.DataFrame
    assert [c.name for c in htype.metadata["schema"].value.columns] == ["distance", "city"]
    good = pl.DataFrame({"distance": [1.5], "city": ["rome"]})
    assert htype.type_check(None, good).success
    assert htype.type_check(None, good.lazy()).success
    bad = htype.type_check(None, pl.DataFrame({"distance": [-1.0, 2.0],
                                               "city": ["oslo", "paris"]}))
    assert not bad.success
    assert "column 'distance'" in bad.description and "column 'city'" in bad.description
    assert bad.metadata["num_failures"].value == 2


def test_not_a_schema_is_refused_with_the_fix():
    """Anything but a pandera schema or model raises a TypeError saying what to pass."""
    with pytest.raises(TypeError, match="DataFrameSchema or a DataFrameModel subclass"):
        pandera_schema_to_headwater_type({"a": int})


def test_top_level_pandera_names_work_as_in_dagster_examples():
    """`import pandera as pa` (the spelling of Dagster's examples) gives accepted schemas."""
    import pandera

    class Rows(pandera.DataFrameModel):
        n: Series[int] = pandera.Field(gt=0)

    htype = pandera_schema_to_headwater_type(Rows)
    assert htype.type_check(None, pd.DataFrame({"n": [1]})).success
    assert not htype.type_check(None, pd.DataFrame({"n": [0]})).success
    schema = pandera.DataFrameSchema({"n": pandera.Column(int)}, name="Plain")
    assert pandera_schema_to_headwater_type(schema).name == "Plain"
