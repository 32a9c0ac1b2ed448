"""Dataframe types on the outputs and inputs of ops and assets, in real runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from headwater import (
    AssetIn,
    HeadwaterEventType,
    HeadwaterInvalidDefinitionError,
    HeadwaterInvariantViolationError,
    HeadwaterTypeCheckDidNotPass,
    In,
    MetadataValue,
    Out,
    TableColumn,
    TableSchema,
    asset,
    check_headwater_type,
    headwater_type_loader,
    job,
    materialize,
    op,
)
from headwater_pandas import (
    DataFrame,
    PandasColumn,
    RowCountConstraint,
    StrictColumnsConstraint,
    create_headwater_pandas_dataframe_type,
    create_table_schema_metadata_from_dataframe,
)

TripDataFrame = create_headwater_pandas_dataframe_type(
    name="TripDataFrame",
    description="One row per bike trip.",
    columns=[
        PandasColumn.integer_column("bike_id", min_value=0, non_nullable=True),
        PandasColumn.categorical_column("color", categories={"red", "green", "blue"}),
        PandasColumn.datetime_column("start_time", min_datetime=pd.Timestamp(2020, 2, 10)),
        PandasColumn.float_column("amount_paid", min_value=0, ignore_missing_vals=True),
        PandasColumn.string_column("rider", is_required=False),
    ],
    dataframe_constraints=[RowCountConstraint(2, error_tolerance=1)],
    metadata_fn=lambda df: {"rows": len(df), "max_amount": float(df["amount_paid"].max())},
)


def trips(**changes: object) -> pd.DataFrame:
    frame = pd.DataFrame({
        "bike_id": [1, 2],
        "color": ["red", "blue"],
        "start_time": pd.to_datetime(["2020-03-01", "2020-03-02"]),
        "amount_paid": [3.5, None],
    })
    return frame.assign(**changes)


def output_events(result: object) -> list:
    return [e for e in result.all_events  # type: ignore[attr-defined]
            if e.event_type is HeadwaterEventType.STEP_OUTPUT]


def test_op_output_passes_and_records_metadata_fn():
    """A valid dataframe passes; metadata_fn's values are recorded with the type check."""

    @op(out=Out(TripDataFrame))
    def load_trips():
        return trips()

    @op
    def count(df: pd.DataFrame) -> int:
        return len(df)

    @job
    def trip_job():
        count(load_trips())

    result = trip_job.execute_in_process()
    assert result.success and result.output_for_node("count") == 2
    check = output_events(result)[0].payload.type_check_data
    assert check.success
    assert check.metadata["rows"] == MetadataValue.int(2)
    assert check.metadata["max_amount"] == MetadataValue.float(3.5)


def test_failing_op_output_fails_the_step_naming_column_and_rule():
    """A broken rule fails the step; the message names the type, the column and the rule."""

    @op(out=Out(TripDataFrame))
    def load_trips():
        return trips(bike_id=[-3, 2], color=["red", "purple"])

    @job
    def trip_job():
        load_trips()

    result = trip_job.execute_in_process(raise_on_error=False)
    assert not result.success
    message = result.get_step_failure_events()[0].payload.error.message
    assert 'expected type "TripDataFrame"' in message
    assert "breaks 2 rules of type TripDataFrame" in message
    assert 'column "bike_id" fails InRangeColumnConstraint' in message
    assert "Offending rows (index: value): 0: -3" in message
    assert 'column "color" fails CategoricalColumnConstraint' in message
    assert "1: 'purple'" in message


def test_failing_check_raises_with_violation_metadata():
    """execute_in_process raises HeadwaterTypeCheckDidNotPass carrying each violation."""

    @op(out=Out(TripDataFrame))
    def load_trips():
        return trips(bike_id=[1, None])

    @job
    def trip_job():
        load_trips()

    with pytest.raises(HeadwaterTypeCheckDidNotPass) as caught:
        trip_job.execute_in_process()
    violations = caught.value.metadata["violations"].data
    assert violations[0]["column"] == "bike_id"
    assert violations[0]["constraint"] == "ColumnDTypeFnConstraint"  # floats, since a null
    assert caught.value.headwater_type == TripDataFrame


def test_dataframe_constraints_fail_the_asset():
    """Row count and strict columns are checked on an asset's output."""
    strict = create_headwater_pandas_dataframe_type(
        "Strict", dataframe_constraints=[StrictColumnsConstraint(["a", "b"], enforce_ordering=True),
                                         RowCountConstraint(1)])

    @asset(headwater_type=strict)
    def table():
        return pd.DataFrame({"b": [1, 2], "a": [3, 4]})

    result = materialize([table], raise_on_error=False)
    message = result.get_step_failure_events()[0].payload.error.message
    assert "fails StrictColumnsConstraint: expected the columns ['a', 'b'] in that order" in message
    assert "fails RowCountConstraint: expected 1 rows (+/- 0), got 2" in message

    @asset(headwater_type=strict)
    def good():
        return pd.DataFrame({"a": [1], "b": [2]})

    assert materialize([good]).success


def test_asset_input_is_checked_against_its_type():
    """An asset input typed with a dataframe type is checked when it is loaded."""

    @asset
    def raw():
        return pd.DataFrame({"bike_id": [1]})

    @asset(ins={"raw": AssetIn(headwater_type=TripDataFrame)})
    def cleaned(raw):
        return raw

    result = materialize([raw, cleaned], raise_on_error=False)
    assert result.is_node_success("raw") and result.is_node_failed("cleaned")
    message = result.get_step_failure_events()[0].payload.error.message
    assert 'step input "raw"' in message and 'required column "color" is missing' in message


def test_non_dataframe_value_is_refused():
    """A value that is not a DataFrame fails every dataframe type, naming what it was."""
    check = check_headwater_type(TripDataFrame, {"bike_id": [1]})
    assert not check.success
    assert check.description == ('HeadwaterType "TripDataFrame" expects a pandas.DataFrame, '
                                 "got a value of type builtins.dict.")
    assert not check_headwater_type(DataFrame, [1, 2]).success


def test_plain_dataframe_type_records_row_count_and_columns():
    """DataFrame accepts any dataframe and records its row count and column names."""

    @op(out=Out(DataFrame))
    def make():
        return pd.DataFrame({"x": [1, 2, 3], "y": ["a", "b", "c"]})

    @job
    def j():
        make()

    metadata = output_events(j.execute_in_process())[0].payload.type_check_data.metadata
    assert metadata["row_count"] == MetadataValue.text("3")
    assert metadata["metadata"] == MetadataValue.json({"columns": ["x", "y"]})
    assert DataFrame.name == "PandasDataFrame" and DataFrame.typing_type is pd.DataFrame


def test_type_description_lists_columns_and_rules():
    """The type's description documents each column's dtype and rules."""
    text = TripDataFrame.description
    assert text.startswith("One row per bike trip.\n### Columns")
    assert "**bike_id**: validated by `is_integer_dtype`\n+ 0 <= values <= inf\n+ non-nullable" \
        in text
    assert "**rider**: validated by `is_string_dtype` (optional)" in text


def test_metadata_fn_and_event_metadata_fn():
    """event_metadata_fn is metadata_fn's older name; a bad return fails with the type named."""
    older = create_headwater_pandas_dataframe_type("Older", event_metadata_fn=lambda df: {"n": 1})
    assert check_headwater_type(older, pd.DataFrame()).metadata["n"] == MetadataValue.int(1)
    with pytest.raises(HeadwaterInvalidDefinitionError, match="not both"):
        create_headwater_pandas_dataframe_type("Both", metadata_fn=len, event_metadata_fn=len)
    bad = create_headwater_pandas_dataframe_type("Bad", metadata_fn=lambda df: [1])
    with pytest.raises(HeadwaterInvariantViolationError, match='type "Bad" returned \\[1\\]'):
        check_headwater_type(bad, pd.DataFrame())
    unserializable = create_headwater_pandas_dataframe_type(
        "Odd", metadata_fn=lambda df: {"frame": df})
    with pytest.raises(HeadwaterInvariantViolationError, match='metadata_fn of pandas dataframe '
                       'type "Odd"'):
        check_headwater_type(unserializable, pd.DataFrame())


def test_bad_type_arguments_are_refused_with_the_fix():
    """Wrong columns / constraints / loader arguments name the type and the fix."""
    with pytest.raises(HeadwaterInvalidDefinitionError, match="write columns=\\["):
        create_headwater_pandas_dataframe_type("T", columns=PandasColumn.exists("a"))  # type: ignore[arg-type]
    with pytest.raises(HeadwaterInvalidDefinitionError, match="must be a DataFrameConstraint"):
        create_headwater_pandas_dataframe_type("T", dataframe_constraints=["a"])  # type: ignore[list-item]
    with pytest.raises(HeadwaterInvalidDefinitionError, match="declared more than once"):
        create_headwater_pandas_dataframe_type("T", columns=[PandasColumn.exists("a"),
                                                             PandasColumn.exists("a")])
    with pytest.raises(HeadwaterInvalidDefinitionError, match="@headwater_type_loader"):
        create_headwater_pandas_dataframe_type("T", loader=lambda c, v: v)  # type: ignore[arg-type]
    with pytest.raises(HeadwaterInvalidDefinitionError, match="error_tolerance"):
        RowCountConstraint(2, error_tolerance=3)


def test_custom_loader_reads_the_input_from_config():
    """loader= replaces the file loader: the input's config goes to the custom function."""

    @headwater_type_loader(int)
    def repeated(_context, count):
        return pd.DataFrame({"n": list(range(count))})

    counted = create_headwater_pandas_dataframe_type(
        "Counted", columns=[PandasColumn.integer_column("n")], loader=repeated)

    @op(ins={"df": In(counted)})
    def size(df):
        return len(df)

    @job
    def j():
        size()

    result = j.execute_in_process(run_config={"ops": {"size": {"inputs": {"df": 4}}}})
    assert result.output_for_node("size") == 4


def test_table_schema_metadata_from_dataframe(tmp_path: Path):
    """create_table_schema_metadata_from_dataframe records each column's dtype."""
    frame = pd.DataFrame({"col1": [1, 2], "col2": [1.5, 2.5]})
    assert create_table_schema_metadata_from_dataframe(frame) == MetadataValue.table_schema(
        TableSchema(columns=[TableColumn("col1", "int64"), TableColumn("col2", "float64")]))
    with pytest.raises(HeadwaterInvalidDefinitionError, match="takes a pandas.DataFrame"):
        create_table_schema_metadata_from_dataframe([1])  # type: ignore[arg-type]


def test_metadata_fn_error_fails_the_step():
    """A metadata_fn that returns no dict fails the step in a run, naming the type."""
    listed = create_headwater_pandas_dataframe_type("Listed", metadata_fn=lambda df: ["rows"])

    @op(out=Out(listed))
    def make():
        return pd.DataFrame({"a": [1]})

    @job
    def j():
        make()

    result = j.execute_in_process(raise_on_error=False)
    message = result.get_step_failure_events()[0].payload.error.message
    assert 'metadata_fn of pandas dataframe type "Listed" returned' in message
