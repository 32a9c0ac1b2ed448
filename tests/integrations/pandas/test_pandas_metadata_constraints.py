"""The "with metadata" constraints, the validator factories and structured dataframe types."""

from __future__ import annotations

import datetime

import pandas as pd
import pytest

from headwater import (
    HeadwaterInvalidDefinitionError,
    HeadwaterTypeCheckDidNotPass,
    Out,
    check_headwater_type,
    job,
    op,
)
from headwater_pandas import (
    ColumnWithMetadataException,
    ConstraintWithMetadata,
    ConstraintWithMetadataException,
    MultiAggregateConstraintWithMetadata,
    MultiColumnConstraintWithMetadata,
    MultiConstraintWithMetadata,
    StrictColumnsWithMetadata,
    all_unique_validator,
    categorical_column_validator_factory,
    column_range_validation_factory,
    create_structured_dataframe_type,
    dtype_in_set_validation_factory,
    non_null_validation,
    nonnull,
)
from headwater_pandas.constraints import (
    CONSTRAINT_METADATA_KEY,
    ColumnAggregateConstraintWithMetadata,
    ColumnConstraintWithMetadata,
    ColumnRangeConstraintWithMetadata,
)

FRAME = pd.DataFrame({"foo": [1, 2, 7], "bar": [9, 10, 10]})


def details(check) -> dict:  # type: ignore[no-untyped-def]
    return check.metadata[CONSTRAINT_METADATA_KEY].data


def test_validators_and_factories():
    """Each value validator returns (passed, details) and describes itself in its docstring."""
    assert non_null_validation(1) == (True, {})
    assert non_null_validation(None)[0] is False
    in_range = column_range_validation_factory(1, 3)
    assert in_range(2) == (True, {}) and in_range(7)[0] is False and in_range("2")[0] is False
    assert in_range.__doc__ == "values lie between 1 and 3"
    open_top = column_range_validation_factory(minim=0)
    assert open_top(10 ** 12)[0] and not open_top(-1)[0]
    dates = column_range_validation_factory(maxim=datetime.datetime(2020, 1, 1))
    assert dates(datetime.datetime(2019, 1, 1))[0] and not dates(5)[0]
    assert column_range_validation_factory(1, 3, ignore_missing_vals=True)(None)[0]
    categorical = categorical_column_validator_factory([1, 2])
    assert categorical(1)[0] and not categorical(7)[0]
    assert not categorical(None)[0]
    assert categorical_column_validator_factory([1], ignore_missing_vals=True)(None)[0]
    typed = dtype_in_set_validation_factory((int, float))
    assert typed(1.5)[0] and not typed("a")[0]
    unique, found = all_unique_validator(pd.Series([1, 2, 2, None, None]))
    assert not unique and found["actual"].index.tolist() == [2, 4]
    assert all_unique_validator([1, None, None], ignore_missing_vals=True)[0]


def test_nonnull_wraps_a_validator():
    """nonnull makes a value validator refuse nulls too."""
    strict = nonnull(categorical_column_validator_factory([1, 2], ignore_missing_vals=True))
    assert strict(1)[0] and not strict(None)[0] and not strict(5)[0]
    assert strict.__doc__.endswith("and the value is not null")


def test_constraint_with_metadata_raises_or_returns_a_type_check():
    """raise_or_typecheck picks between raising the exception and a failed TypeCheck."""

    def has_foo(frame):
        return "foo" in frame.columns, {"expectation": "a foo column", "actual": list(frame)}

    raising = ConstraintWithMetadata("needs foo", has_foo, ConstraintWithMetadataException)
    assert raising.validate(FRAME).success
    with pytest.raises(ConstraintWithMetadataException, match="needs foo") as caught:
        raising.validate(FRAME[["bar"]])
    assert caught.value.actual == ["bar"]
    quiet = ConstraintWithMetadata("needs foo", has_foo, ConstraintWithMetadataException,
                                   raise_or_typecheck=False, name="HasFoo")
    check = quiet.validate(FRAME[["bar"]])
    assert not check.success
    assert details(check) == {"constraint_name": "HasFoo", "constraint_description": "needs foo",
                              "expected": "a foo column", "offending": None, "actual": ["bar"]}


def test_constraint_with_metadata_as_a_type_in_a_run():
    """as_headwater_type turns a type-check constraint into a type that fails a step."""

    def small(frame):
        return len(frame) < 3, {"actual": {"rows": len(frame)}}

    small_type = ConstraintWithMetadata("fewer than 3 rows", small, ConstraintWithMetadataException,
                                        raise_or_typecheck=False, name="SmallFrame"
                                        ).as_headwater_type()

    @op(out=Out(small_type))
    def make():
        return FRAME

    @job
    def j():
        make()

    with pytest.raises(HeadwaterTypeCheckDidNotPass, match="fewer than 3 rows") as caught:
        j.execute_in_process()
    assert caught.value.metadata[CONSTRAINT_METADATA_KEY].data["actual"] == {"rows": 3}
    with pytest.raises(HeadwaterInvalidDefinitionError, match="raise_or_typecheck=False"):
        ConstraintWithMetadata("x", small, ConstraintWithMetadataException).as_headwater_type()


def test_bad_validation_results_and_exception_classes_are_refused():
    """A validation function must return (bool, dict); resulting_exception must subclass
    ConstraintWithMetadataException."""
    broken = ConstraintWithMetadata("x", lambda frame: True, ConstraintWithMetadataException)
    with pytest.raises(HeadwaterInvalidDefinitionError, match=r"must return a pair"):
        broken.validate(FRAME)
    with pytest.raises(HeadwaterInvalidDefinitionError, match="resulting_exception"):
        ConstraintWithMetadata("x", lambda f: (True, {}), ValueError)  # type: ignore[arg-type]
    with pytest.raises(HeadwaterInvalidDefinitionError, match="maps a column name"):
        MultiColumnConstraintWithMetadata("x", {"foo": non_null_validation},  # type: ignore[dict-item]
                                          ColumnWithMetadataException)


def test_multi_constraint_groups_details_by_function():
    """MultiConstraintWithMetadata runs every function and groups their details."""

    def two_columns(frame):
        return len(frame.columns) == 2, {"actual": len(frame.columns)}

    def three_rows(frame):
        return len(frame) == 4, {"actual": len(frame)}

    check = MultiConstraintWithMetadata("shape", [two_columns, three_rows],
                                        ConstraintWithMetadataException,
                                        raise_or_typecheck=False).validate(FRAME)
    assert not check.success
    assert details(check)["actual"] == {"two_columns": 2, "three_rows": 3}


def test_strict_columns_with_metadata():
    """StrictColumnsWithMetadata reports extra and missing columns, or the wrong order."""
    loose = StrictColumnsWithMetadata(["bar", "foo"], raise_or_typecheck=False)
    assert loose.validate(FRAME).success
    found = details(loose.validate(FRAME.assign(baz=1)[["foo", "baz"]]))
    assert found["actual"] == {"extra_columns": ["baz"], "missing_columns": ["bar"]}
    ordered = StrictColumnsWithMetadata(["bar", "foo"], enforce_ordering=True,
                                        raise_or_typecheck=False)
    assert details(ordered.validate(FRAME))["actual"] == ["foo", "bar"]


def test_column_constraints_with_metadata_name_rows_and_values():
    """Value checks report offending rows; aggregate checks report offending columns."""
    in_range = ColumnConstraintWithMetadata("in range", column_range_validation_factory(1, 8),
                                            ColumnWithMetadataException, raise_or_typecheck=False)
    found = details(in_range.validate(FRAME, "foo", "bar", "missing"))
    assert found["offending"] == {"bar": ["row 0", "row 1", "row 2"]}
    assert found["actual"] == {"bar": [9, 10, 10]}
    assert found["expected"] == "values lie between 1 and 8"
    unique = ColumnAggregateConstraintWithMetadata("unique", all_unique_validator,
                                                   ConstraintWithMetadataException,
                                                   raise_or_typecheck=False)
    found = details(unique.validate(FRAME))
    assert found["offending"] == ["bar"] and found["actual"] == {"bar": [10]}
    ranged = ColumnRangeConstraintWithMetadata(0, 8, columns=["foo"], raise_or_typecheck=False)
    assert ranged.validate(FRAME).success
    assert not ColumnRangeConstraintWithMetadata(0, 8, raise_or_typecheck=False
                                                 ).validate(FRAME).success


def test_structured_type_reports_each_failing_part():
    """create_structured_dataframe_type records each failing validator under its part."""
    columns = MultiColumnConstraintWithMetadata(
        "values in range",
        {"foo": [column_range_validation_factory(1, 3)],
         "bar": [nonnull(dtype_in_set_validation_factory(int))]},
        ColumnWithMetadataException, raise_or_typecheck=False)
    aggregates = MultiAggregateConstraintWithMetadata(
        "unique values", {"bar": [all_unique_validator]}, ConstraintWithMetadataException,
        raise_or_typecheck=False)
    frame_check = StrictColumnsWithMetadata(["foo", "bar"], raise_or_typecheck=False)
    structured = create_structured_dataframe_type(
        "Structured", columns_validator=columns, columns_aggregate_validator=aggregates,
        dataframe_validator=frame_check)
    assert check_headwater_type(structured, pd.DataFrame({"foo": [1, 2], "bar": [1, 2]})).success

    @op(out=Out(structured))
    def make():
        return FRAME

    @job
    def j():
        make()

    with pytest.raises(HeadwaterTypeCheckDidNotPass) as caught:
        j.execute_in_process()
    metadata = caught.value.metadata
    assert sorted(metadata) == ["column-aggregates-constraint-metadata",
                                "columns-constraint-metadata"]
    column_data = metadata["columns-constraint-metadata"].data
    assert column_data["offending"] == {"foo": {"in_range_validation_fn": ["row 2"]}}
    assert column_data["actual"] == {"foo": {"in_range_validation_fn": [7]}}
    aggregate_data = metadata["column-aggregates-constraint-metadata"].data
    assert aggregate_data["offending"] == {"bar": {"all_unique_validator": "a violation"}}
    assert aggregate_data["actual"] == {"bar": {"all_unique_validator": [10]}}
    assert "columns: column constraint MultiColumnConstraintWithMetadata failed" in str(
        caught.value)


def test_structured_type_refuses_raising_validators():
    """Validators of a structured type must return type checks, and the error says how."""
    raising = StrictColumnsWithMetadata(["foo"])
    with pytest.raises(HeadwaterInvalidDefinitionError,
                       match="dataframe_validator= StrictColumnsWithMetadata raises"):
        create_structured_dataframe_type("S", dataframe_validator=raising)
    with pytest.raises(HeadwaterInvalidDefinitionError, match="must be a ConstraintWithMetadata"):
        create_structured_dataframe_type("S", columns_validator=len)  # type: ignore[arg-type]


def test_failed_structured_check_is_recorded_on_the_output_event():
    """The STEP_OUTPUT event of a failed check carries the findings of each failing part."""
    from headwater import HeadwaterEventType

    numeric = nonnull(dtype_in_set_validation_factory((int, float)))
    in_range = column_range_validation_factory(1, 3, ignore_missing_vals=True)
    structured = create_structured_dataframe_type(
        "Numbers",
        columns_validator=MultiColumnConstraintWithMetadata(
            "numbers in range", {"foo": [numeric, in_range]}, ColumnWithMetadataException,
            raise_or_typecheck=False),
        dataframe_validator=StrictColumnsWithMetadata(["foo"], raise_or_typecheck=False))

    @op(out=Out(structured))
    def make():
        return pd.DataFrame({"foo": [1, "x", 9]})

    @job
    def j():
        make()

    result = j.execute_in_process(raise_on_error=False)
    event = next(e for e in result.all_events if e.event_type is HeadwaterEventType.STEP_OUTPUT)
    check = event.payload.type_check_data
    assert not check.success and list(check.metadata) == ["columns-constraint-metadata"]
    found = check.metadata["columns-constraint-metadata"].data
    assert found["expected"] == {"foo": {"dtype_in_set_validation_fn": numeric.__doc__,
                                         "in_range_validation_fn": in_range.__doc__}}
    assert found["offending"] == {"foo": {"dtype_in_set_validation_fn": ["row 1"],
                                          "in_range_validation_fn": ["row 1", "row 2"]}}
    assert found["actual"] == {"foo": {"dtype_in_set_validation_fn": ["x"],
                                       "in_range_validation_fn": ["x", 9]}}
