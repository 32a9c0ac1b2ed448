"""PandasColumn constructors and the column constraints, checked on real pandas dataframes."""

from __future__ import annotations

import datetime

import pandas as pd
import pytest

from headwater import HeadwaterInvalidDefinitionError
from headwater_pandas import (
    CategoricalColumnConstraint,
    ColumnConstraintViolationException,
    ColumnDTypeFnConstraint,
    ColumnDTypeInSetConstraint,
    ConstraintViolationException,
    InRangeColumnConstraint,
    MaxValueColumnConstraint,
    MinValueColumnConstraint,
    NonNullableColumnConstraint,
    PandasColumn,
    UniqueColumnConstraint,
)


def problems(column: PandasColumn, frame: pd.DataFrame) -> list[str]:
    return [str(v) for v in column.violations(frame)]


# --------------------------------------------------------------------------- constraints


def test_non_nullable_constraint_names_the_null_rows():
    """NonNullableColumnConstraint lists the index and value of each null row."""
    frame = pd.DataFrame({"a": [1.0, None, 3.0, None]})
    NonNullableColumnConstraint().validate(frame[frame["a"].notna()], "a")
    with pytest.raises(ColumnConstraintViolationException) as caught:
        NonNullableColumnConstraint().validate(frame, "a")
    assert caught.value.column_name == "a"
    assert caught.value.constraint_name == "NonNullableColumnConstraint"
    assert [index for index, _ in caught.value.offending_rows] == [1, 3]
    assert 'column "a" fails NonNullableColumnConstraint' in str(caught.value)


def test_unique_constraint_optionally_ignores_repeated_nulls():
    """UniqueColumnConstraint flags repeats; ignore_missing_vals lets repeated nulls pass."""
    frame = pd.DataFrame({"a": [1.0, None, None, 2.0]})
    with pytest.raises(ColumnConstraintViolationException, match="must be unique"):
        UniqueColumnConstraint(ignore_missing_vals=False).validate(frame, "a")
    UniqueColumnConstraint(ignore_missing_vals=True).validate(frame, "a")
    with pytest.raises(ColumnConstraintViolationException) as caught:
        UniqueColumnConstraint(ignore_missing_vals=True).validate(
            pd.DataFrame({"a": [1, 1, 2]}), "a")
    assert caught.value.offending_rows == [(1, 1)]


def test_categorical_constraint_names_values_outside_the_categories():
    """CategoricalColumnConstraint reports the values not among the categories."""
    frame = pd.DataFrame({"c": ["red", "blue", None]})
    with pytest.raises(ColumnConstraintViolationException) as caught:
        CategoricalColumnConstraint({"red", "green"}, ignore_missing_vals=True).validate(frame, "c")
    assert caught.value.offending_rows == [(1, "blue")]
    with pytest.raises(ColumnConstraintViolationException) as caught:
        CategoricalColumnConstraint({"red", "blue"}, ignore_missing_vals=False).validate(frame, "c")
    assert [index for index, _ in caught.value.offending_rows] == [2]
    with pytest.raises(HeadwaterInvalidDefinitionError, match="takes a set of values"):
        CategoricalColumnConstraint("red")


def test_min_and_max_value_constraints_are_inclusive():
    """Min/MaxValueColumnConstraint accept the bound itself and flag what lies beyond."""
    frame = pd.DataFrame({"n": [0, 5, 10]})
    MinValueColumnConstraint(0).validate(frame, "n")
    MaxValueColumnConstraint(10).validate(frame, "n")
    with pytest.raises(ColumnConstraintViolationException, match=r"values must be >= 1"):
        MinValueColumnConstraint(1, ignore_missing_vals=False).validate(frame, "n")
    with pytest.raises(ColumnConstraintViolationException, match=r"Offending rows.*2: 10"):
        MaxValueColumnConstraint(9, ignore_missing_vals=False).validate(frame, "n")
    with pytest.raises(HeadwaterInvalidDefinitionError, match="must be a number or a datetime"):
        MinValueColumnConstraint("zero")


def test_value_constraints_on_incomparable_values_fail_with_the_dtype_hint():
    """Comparing text with a number is a violation that points at the dtype, not a crash."""
    frame = pd.DataFrame({"n": ["a", "b"]}, dtype=object)
    with pytest.raises(ColumnConstraintViolationException, match="check the column's dtype"):
        MinValueColumnConstraint(1).validate(frame, "n")


def test_in_range_constraint_treats_nulls_as_out_of_range_unless_ignored():
    """InRangeColumnConstraint fails null values unless ignore_missing_vals is set."""
    frame = pd.DataFrame({"f": [1.0, None, 2.0]})
    with pytest.raises(ColumnConstraintViolationException, match="may not be null"):
        InRangeColumnConstraint(0, 5, ignore_missing_vals=False).validate(frame, "f")
    InRangeColumnConstraint(0, 5, ignore_missing_vals=True).validate(frame, "f")
    with pytest.raises(ColumnConstraintViolationException, match=r"2: 7\.0"):
        InRangeColumnConstraint(0, 5, ignore_missing_vals=True).validate(
            pd.DataFrame({"f": [1.0, None, 7.0]}), "f")


def test_dtype_constraints_name_the_dtype_found():
    """The dtype constraints say which dtype the column has."""
    frame = pd.DataFrame({"n": [1, 2]})
    ColumnDTypeInSetConstraint({"int64"}).validate(frame, "n")
    ColumnDTypeFnConstraint(pd.api.types.is_integer_dtype).validate(frame, "n")
    with pytest.raises(ColumnConstraintViolationException, match="one of \\['float64'\\], but it is int64"):
        ColumnDTypeInSetConstraint({"float64"}).validate(frame, "n")
    with pytest.raises(ColumnConstraintViolationException, match="satisfy is_bool_dtype, but it is int64"):
        ColumnDTypeFnConstraint(pd.api.types.is_bool_dtype).validate(frame, "n")
    with pytest.raises(HeadwaterInvalidDefinitionError, match="function of a dtype"):
        ColumnDTypeFnConstraint("int64")  # type: ignore[arg-type]


def test_long_lists_of_offending_rows_are_shortened():
    """A message lists ten offending rows and counts the rest."""
    frame = pd.DataFrame({"n": list(range(25))})
    with pytest.raises(ColumnConstraintViolationException, match="and 15 more"):
        MaxValueColumnConstraint(-1).validate(frame, "n")


# --------------------------------------------------------------------------- constructors


def test_exists_checks_presence_nulls_and_uniqueness():
    """PandasColumn.exists takes any dtype; required columns must be present."""
    frame = pd.DataFrame({"a": ["x", "x", None]})
    assert problems(PandasColumn.exists("a"), frame) == []
    found = problems(PandasColumn.exists("a", non_nullable=True, unique=True), frame)
    assert len(found) == 2
    assert "NonNullableColumnConstraint" in found[0] and "UniqueColumnConstraint" in found[1]
    assert "required column \"b\" is missing" in problems(PandasColumn.exists("b"), frame)[0]
    assert problems(PandasColumn.exists("b", is_required=False), frame) == []


def test_optional_column_is_checked_when_present():
    """is_required=False skips an absent column but checks a present one."""
    column = PandasColumn.integer_column("n", min_value=0, is_required=False)
    assert problems(column, pd.DataFrame({"m": [1]})) == []
    assert "InRangeColumnConstraint" in problems(column, pd.DataFrame({"n": [-1]}))[0]


def test_non_nullable_with_ignore_missing_vals_is_refused():
    """non_nullable and ignore_missing_vals contradict each other, and the error says so."""
    with pytest.raises(HeadwaterInvalidDefinitionError, match='PandasColumn "a": non_nullable'):
        PandasColumn.exists("a", non_nullable=True, ignore_missing_vals=True)


def test_integer_column_checks_dtype_then_range():
    """integer_column wants an integer dtype and values in range; a dtype failure stops there."""
    column = PandasColumn.integer_column("n", min_value=0, max_value=10)
    assert problems(column, pd.DataFrame({"n": [0, 10]})) == []
    assert "is_integer_dtype, but it is float64" in problems(column, pd.DataFrame({"n": [1.5]}))[0]
    found = problems(column, pd.DataFrame({"n": ["a", "b"]}))
    assert len(found) == 1 and "ColumnDTypeFnConstraint" in found[0]
    assert "Offending rows (index: value): 0: 11" in problems(column, pd.DataFrame({"n": [11]}))[0]


def test_float_and_numeric_columns():
    """float_column wants floats; numeric_column takes ints and floats."""
    assert problems(PandasColumn.float_column("f"), pd.DataFrame({"f": [1.0]})) == []
    assert "is_float_dtype" in problems(PandasColumn.float_column("f"), pd.DataFrame({"f": [1]}))[0]
    numeric = PandasColumn.numeric_column("x", min_value=0)
    assert problems(numeric, pd.DataFrame({"x": [1, 2]})) == []
    assert problems(numeric, pd.DataFrame({"x": [1.5, 2.5]})) == []
    assert "is_numeric_dtype" in problems(numeric, pd.DataFrame({"x": ["a"]}))[0]
    assert "between 0 and inf" in problems(numeric, pd.DataFrame({"x": [-0.5]}))[0]
    with_nulls = pd.DataFrame({"f": [1.0, None]})
    assert "may not be null" in problems(PandasColumn.float_column("f"), with_nulls)[0]
    assert problems(PandasColumn.float_column("f", ignore_missing_vals=True), with_nulls) == []


def test_boolean_and_string_columns():
    """boolean_column wants a bool dtype, string_column a text dtype."""
    assert problems(PandasColumn.boolean_column("b"), pd.DataFrame({"b": [True, False]})) == []
    assert "is_bool_dtype" in problems(PandasColumn.boolean_column("b"), pd.DataFrame({"b": [1]}))[0]
    assert problems(PandasColumn.string_column("s"), pd.DataFrame({"s": ["a", "b"]})) == []
    assert "is_string_dtype" in problems(PandasColumn.string_column("s"),
                                         pd.DataFrame({"s": [1, 2]}))[0]
    dupes = problems(PandasColumn.string_column("s", unique=True), pd.DataFrame({"s": ["a", "a"]}))
    assert "UniqueColumnConstraint" in dupes[0]


def test_datetime_column_bounds_and_time_zone():
    """datetime_column checks the dtype (naive or in tz) and the bounds."""
    naive = pd.DataFrame({"t": pd.to_datetime(["2020-03-01", "2020-01-01"])})
    assert problems(PandasColumn.datetime_column("t"), naive) == []
    late = PandasColumn.datetime_column("t", min_datetime=pd.Timestamp(2020, 2, 10))
    assert "Offending rows (index: value): 1: Timestamp('2020-01-01" in problems(late, naive)[0]
    bounded = PandasColumn.datetime_column("t", min_datetime=datetime.datetime(2019, 1, 1),
                                           max_datetime=datetime.datetime(2021, 1, 1))
    assert problems(bounded, naive) == []
    aware = pd.DataFrame({"t": pd.to_datetime(["2020-03-01"]).tz_localize("Europe/Dublin")})
    assert "datetime64" in problems(PandasColumn.datetime_column("t"), aware)[0]
    assert problems(PandasColumn.datetime_column("t", tz="Europe/Dublin"), aware) == []
    assert problems(PandasColumn.datetime_column(
        "t", tz="Europe/Dublin", min_datetime=pd.Timestamp(2020, 2, 1)), aware) == []
    assert "UTC" in problems(PandasColumn.datetime_column("t", tz="UTC"), aware)[0]
    text = problems(PandasColumn.datetime_column("t"), pd.DataFrame({"t": ["2020-01-01"]}))
    assert len(text) == 1 and "ColumnDTypeInSetConstraint" in text[0]
    with pytest.raises(HeadwaterInvalidDefinitionError, match="pass tz='UTC'"):
        PandasColumn.datetime_column("t", min_datetime=pd.Timestamp("2020-01-01", tz="UTC"))


def test_categorical_column_checks_dtype_and_categories():
    """categorical_column accepts text or category dtypes and checks each value."""
    column = PandasColumn.categorical_column("c", categories={"red", "green"})
    assert problems(column, pd.DataFrame({"c": ["red", "green"]})) == []
    assert problems(column, pd.DataFrame({"c": pd.Categorical(["red"])})) == []
    assert "1: 'blue'" in problems(column, pd.DataFrame({"c": ["red", "blue"]}))[0]
    ints = PandasColumn.categorical_column("c", categories={1, 2}, of_types="int64")
    assert problems(ints, pd.DataFrame({"c": [1, 2]})) == []
    assert "one of ['int64'], but it is float64" in problems(ints, pd.DataFrame({"c": [1.0]}))[0]


def test_validate_raises_the_first_violation():
    """PandasColumn.validate raises a ConstraintViolationException for the first broken rule."""
    column = PandasColumn.integer_column("n", non_nullable=True)
    column.validate(pd.DataFrame({"n": [1]}))
    with pytest.raises(ConstraintViolationException, match="is_integer_dtype"):
        column.validate(pd.DataFrame({"n": [1.0, None]}))


def test_column_definition_errors_name_the_column_and_the_fix():
    """A bad name or a dataframe-level constraint in a column is refused with the fix."""
    from headwater_pandas import RowCountConstraint

    with pytest.raises(HeadwaterInvalidDefinitionError, match="non-empty string"):
        PandasColumn("")
    with pytest.raises(HeadwaterInvalidDefinitionError, match="dataframe_constraints="):
        PandasColumn("a", constraints=[RowCountConstraint(1)])  # type: ignore[list-item]
