"""Constraints on a pandas DataFrame: the rules a `PandasColumn` or a dataframe type checks.

Two families live here, as in `dagster_pandas.constraints`:

- The column and dataframe constraints (`ColumnConstraint` and its kinds, `DataFrameConstraint`,
  `RowCountConstraint`, `StrictColumnsConstraint`). Each has `validate(...)`, which returns
  nothing when the data obeys the rule and raises a `ConstraintViolationException` that names
  the column, the rule and the offending rows when it does not.
- The "with metadata" family (`ConstraintWithMetadata`, `MultiColumnConstraintWithMetadata`,
  the validator factories, ...), defined in `metadata_constraint.py` and re-exported here so
  that `from headwater_pandas.constraints import ...` reaches every constraint.

Imports pandas, headwater's public names and `metadata_constraint`; never the rest of
`headwater_pandas`.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd

from headwater import HeadwaterInvalidDefinitionError
from headwater_pandas.metadata_constraint import (
    CONSTRAINT_METADATA_KEY,
    ColumnAggregateConstraintWithMetadata,
    ColumnConstraintWithMetadata,
    ColumnRangeConstraintWithMetadata,
    ColumnWithMetadataException,
    ConstraintWithMetadata,
    ConstraintWithMetadataException,
    DataFrameWithMetadataException,
    MultiAggregateConstraintWithMetadata,
    MultiColumnConstraintWithMetadata,
    MultiConstraintWithMetadata,
    StrictColumnsWithMetadata,
    all_unique_validator,
    apply_ignore_missing_data_to_mask,
    categorical_column_validator_factory,
    column_range_validation_factory,
    dtype_in_set_validation_factory,
    non_null_validation,
    nonnull,
)

__all__ = [
    "CONSTRAINT_METADATA_KEY",
    "CategoricalColumnConstraint",
    "ColumnAggregateConstraintWithMetadata",
    "ColumnConstraint",
    "ColumnConstraintViolationException",
    "ColumnConstraintWithMetadata",
    "ColumnDTypeFnConstraint",
    "ColumnDTypeInSetConstraint",
    "ColumnRangeConstraintWithMetadata",
    "ColumnWithMetadataException",
    "Constraint",
    "ConstraintViolationException",
    "ConstraintWithMetadata",
    "ConstraintWithMetadataException",
    "DataFrameConstraint",
    "DataFrameConstraintViolationException",
    "DataFrameWithMetadataException",
    "InRangeColumnConstraint",
    "MaxValueColumnConstraint",
    "MinValueColumnConstraint",
    "MultiAggregateConstraintWithMetadata",
    "MultiColumnConstraintWithMetadata",
    "MultiConstraintWithMetadata",
    "NonNullableColumnConstraint",
    "RowCountConstraint",
    "StrictColumnsConstraint",
    "StrictColumnsWithMetadata",
    "UniqueColumnConstraint",
    "all_unique_validator",
    "apply_ignore_missing_data_to_mask",
    "categorical_column_validator_factory",
    "column_range_validation_factory",
    "dtype_in_set_validation_factory",
    "non_null_validation",
    "nonnull",
]

# How many offending rows a message lists before it says "and N more".
SHOWN_ROWS = 10


# --------------------------------------------------------------------------- violations


class ConstraintViolationException(Exception):
    """Data broke a constraint; the message says which rule, where, and with what values."""


class DataFrameConstraintViolationException(ConstraintViolationException):
    """A dataframe-wide constraint (row count, allowed columns) was broken."""

    def __init__(self, constraint_name: str, constraint_description: str):
        self.constraint_name = constraint_name
        self.constraint_description = constraint_description
        super().__init__(f"the dataframe fails {constraint_name}: {constraint_description}")


class ColumnConstraintViolationException(ConstraintViolationException):
    """A column constraint was broken; `offending_rows` holds (index, value) pairs."""

    def __init__(self, constraint_name: str, constraint_description: str, column_name: str,
                 offending_rows: Any = None):
        self.constraint_name = constraint_name
        self.constraint_description = constraint_description
        self.column_name = column_name
        self.offending_rows = _as_row_pairs(offending_rows, column_name)
        super().__init__(self.construct_message())

    def construct_message(self) -> str:
        message = (f'column "{self.column_name}" fails {self.constraint_name}: '
                   f"{self.constraint_description}")
        rows = self.offending_rows
        if rows:
            shown = ", ".join(f"{index!r}: {value!r}" for index, value in rows[:SHOWN_ROWS])
            more = f", and {len(rows) - SHOWN_ROWS} more" if len(rows) > SHOWN_ROWS else ""
            message += f" Offending rows (index: value): {shown}{more}."
        return message


def _as_row_pairs(rows: Any, column_name: str) -> list[tuple[Any, Any]] | None:
    """(index, value) pairs from a DataFrame of offending rows, or from pairs as given."""
    if rows is None:
        return None
    if isinstance(rows, pd.DataFrame):
        return list(zip(rows.index.tolist(), rows[column_name].tolist(), strict=True))
    return [tuple(pair) for pair in rows]  # type: ignore[misc]


# --------------------------------------------------------------------------- base classes


class Constraint:
    """A rule about a dataframe, with a plain-text and a markdown description.

    The markdown description is what the type's description lists under the column; the
    error description is what a failed check says.
    """

    def __init__(self, error_description: str | None = None,
                 markdown_description: str | None = None):
        self.name = type(self).__name__
        self.error_description = error_description or ""
        self.markdown_description = markdown_description or self.error_description

    def __repr__(self) -> str:
        return f"{self.name}({self.error_description!r})"


class DataFrameConstraint(Constraint):
    """A rule about a whole dataframe; subclasses implement `validate(dataframe)`."""

    def validate(self, dataframe: pd.DataFrame) -> None:
        raise NotImplementedError(
            f"{type(self).__name__} subclasses DataFrameConstraint but does not define "
            "validate(self, dataframe); define it and raise DataFrameConstraintViolationException "
            "when the dataframe breaks the rule."
        )


class ColumnConstraint(Constraint):
    """A rule about one column; subclasses implement `validate(dataframe, column_name)`."""

    def validate(self, dataframe: pd.DataFrame, column_name: str) -> None:
        raise NotImplementedError(
            f"{type(self).__name__} subclasses ColumnConstraint but does not define "
            "validate(self, dataframe, column_name); define it and raise "
            "ColumnConstraintViolationException when the column breaks the rule."
        )

    @staticmethod
    def get_offending_row_pairs(dataframe: pd.DataFrame, column_name: str
                                ) -> list[tuple[Any, Any]]:
        return list(zip(dataframe.index.tolist(), dataframe[column_name].tolist(), strict=True))

    def _raise_for(self, dataframe: pd.DataFrame, column_name: str, invalid: pd.Series) -> None:
        """Raise naming the rows where `invalid` is true, if there are any."""
        offending = dataframe[invalid]
        if not offending.empty:
            raise ColumnConstraintViolationException(
                constraint_name=self.name,
                constraint_description=self.error_description,
                column_name=column_name,
                offending_rows=self.get_offending_row_pairs(offending, column_name),
            )

    def _compare(self, column_name: str, compare: Callable[[], pd.Series]) -> pd.Series:
        """Run a comparison; values that cannot be compared to the bound break the rule."""
        try:
            return compare()
        except TypeError as error:
            raise ColumnConstraintViolationException(
                constraint_name=self.name,
                constraint_description=f"{self.error_description} The values cannot be compared "
                f"with the bound ({error}); check the column's dtype.",
                column_name=column_name,
            ) from error


# --------------------------------------------------------------------------- dataframe rules


class StrictColumnsConstraint(DataFrameConstraint):
    """No column outside `strict_column_list` may appear; with `enforce_ordering`, the columns
    must be exactly that list, in that order."""

    def __init__(self, strict_column_list: Sequence[str], enforce_ordering: bool = False):
        if isinstance(strict_column_list, str) or not all(
                isinstance(c, str) for c in strict_column_list):
            raise HeadwaterInvalidDefinitionError(
                f"StrictColumnsConstraint(strict_column_list=...) takes a list of column names, "
                f"got {strict_column_list!r}."
            )
        self.strict_column_list = list(strict_column_list)
        self.enforce_ordering = bool(enforce_ordering)
        description = f"only the columns {self.strict_column_list} are allowed"
        if self.enforce_ordering:
            description += ", in exactly that order"
        super().__init__(error_description=description + ".",
                         markdown_description=description + ".")

    def validate(self, dataframe: pd.DataFrame) -> None:
        received = list(dataframe.columns)
        if self.enforce_ordering and received != self.strict_column_list:
            raise DataFrameConstraintViolationException(
                self.name,
                f"expected the columns {self.strict_column_list} in that order, got {received}.",
            )
        extra = [c for c in received if c not in self.strict_column_list]
        if extra:
            raise DataFrameConstraintViolationException(
                self.name,
                f"columns {extra} are not allowed; the allowed columns are "
                f"{self.strict_column_list}. Drop them or add them to strict_column_list.",
            )


class RowCountConstraint(DataFrameConstraint):
    """The dataframe has `num_allowed_rows` rows, give or take `error_tolerance`."""

    def __init__(self, num_allowed_rows: int, error_tolerance: int = 0):
        for label, value in (("num_allowed_rows", num_allowed_rows),
                             ("error_tolerance", error_tolerance)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise HeadwaterInvalidDefinitionError(
                    f"RowCountConstraint({label}=...) must be an int, got {value!r}."
                )
        self.num_allowed_rows = num_allowed_rows
        self.error_tolerance = abs(error_tolerance)
        if self.error_tolerance > self.num_allowed_rows:
            raise HeadwaterInvalidDefinitionError(
                f"RowCountConstraint: error_tolerance ({self.error_tolerance}) is larger than "
                f"num_allowed_rows ({self.num_allowed_rows}); lower the tolerance."
            )
        description = (f"the dataframe must have {self.num_allowed_rows} rows "
                       f"(+/- {self.error_tolerance}).")
        super().__init__(error_description=description, markdown_description=description)

    def validate(self, dataframe: pd.DataFrame) -> None:
        low = self.num_allowed_rows - self.error_tolerance
        high = self.num_allowed_rows + self.error_tolerance
        if not low <= len(dataframe) <= high:
            raise DataFrameConstraintViolationException(
                self.name,
                f"expected {self.num_allowed_rows} rows (+/- {self.error_tolerance}), "
                f"got {len(dataframe)}.",
            )


# --------------------------------------------------------------------------- column rules


class ColumnDTypeFnConstraint(ColumnConstraint):
    """The column's dtype satisfies `type_fn(dtype)`, e.g. `pandas.api.types.is_integer_dtype`."""

    def __init__(self, type_fn: Callable[[Any], bool]):
        if not callable(type_fn):
            raise HeadwaterInvalidDefinitionError(
                f"ColumnDTypeFnConstraint(type_fn=...) must be a function of a dtype, such as "
                f"pandas.api.types.is_integer_dtype; got {type_fn!r}."
            )
        self.type_fn = type_fn
        fn_name = getattr(type_fn, "__name__", repr(type_fn))
        description = f"the dtype must satisfy {fn_name}."
        super().__init__(error_description=description, markdown_description=description)

    def validate(self, dataframe: pd.DataFrame, column_name: str) -> None:
        dtype = dataframe[column_name].dtype
        if not self.type_fn(dtype):
            raise ColumnConstraintViolationException(
                self.name, f"{self.error_description[:-1]}, but it is {dtype}.", column_name
            )


class ColumnDTypeInSetConstraint(ColumnConstraint):
    """The column's dtype, as a string (`"int64"`, `"datetime64[ns]"`), is one of a set."""

    def __init__(self, expected_dtype_set: Iterable[str]):
        if isinstance(expected_dtype_set, str):
            expected_dtype_set = {expected_dtype_set}
        self.expected_dtype_set = set(expected_dtype_set)
        shown = sorted(self.expected_dtype_set)
        description = f"the dtype must be one of {shown}."
        super().__init__(error_description=description, markdown_description=description)

    def validate(self, dataframe: pd.DataFrame, column_name: str) -> None:
        dtype = dataframe[column_name].dtype
        if str(dtype) not in self.expected_dtype_set:
            raise ColumnConstraintViolationException(
                self.name, f"{self.error_description[:-1]}, but it is {dtype}.", column_name
            )


class NonNullableColumnConstraint(ColumnConstraint):
    """No value of the column is null (None, NaN, NaT, NA)."""

    def __init__(self) -> None:
        super().__init__(error_description="null values are not allowed.",
                         markdown_description="non-nullable")

    def validate(self, dataframe: pd.DataFrame, column_name: str) -> None:
        self._raise_for(dataframe, column_name, dataframe[column_name].isna())


class UniqueColumnConstraint(ColumnConstraint):
    """No value of the column appears twice; with `ignore_missing_vals`, repeated nulls pass."""

    def __init__(self, ignore_missing_vals: bool = False):
        self.ignore_missing_vals = bool(ignore_missing_vals)
        super().__init__(error_description="values must be unique; these rows repeat a value.",
                         markdown_description="unique")

    def validate(self, dataframe: pd.DataFrame, column_name: str) -> None:
        column = dataframe[column_name]
        invalid = column.duplicated()
        if self.ignore_missing_vals:
            invalid = apply_ignore_missing_data_to_mask(invalid, column)
        self._raise_for(dataframe, column_name, invalid)


class CategoricalColumnConstraint(ColumnConstraint):
    """Every value of the column is one of `categories`."""

    def __init__(self, categories: Iterable[Any], ignore_missing_vals: bool = False):
        if isinstance(categories, str):
            raise HeadwaterInvalidDefinitionError(
                f"CategoricalColumnConstraint(categories=...) takes a set of values, got the "
                f"string {categories!r}; write {{{categories!r}}}."
            )
        # sorted, so that messages do not change with a set's iteration order
        self.categories = sorted(set(categories), key=str)
        self.ignore_missing_vals = bool(ignore_missing_vals)
        super().__init__(
            error_description=f"values must be one of {self.categories}.",
            markdown_description=f"one of {self.categories[:5]}"
            + ("..." if len(self.categories) > 5 else ""),
        )

    def validate(self, dataframe: pd.DataFrame, column_name: str) -> None:
        column = dataframe[column_name]
        invalid = ~column.isin(self.categories)
        if self.ignore_missing_vals:
            invalid = apply_ignore_missing_data_to_mask(invalid, column)
        self._raise_for(dataframe, column_name, invalid)


def _check_bound(owner: str, label: str, value: Any) -> Any:
    if isinstance(value, (numbers.Real, datetime, date, pd.Timestamp)):
        return value
    raise HeadwaterInvalidDefinitionError(
        f"{owner}({label}=...) must be a number or a datetime, got {value!r} "
        f"({type(value).__name__})."
    )


class MinValueColumnConstraint(ColumnConstraint):
    """Every value of the column is at least `min_value` (inclusive)."""

    def __init__(self, min_value: Any, ignore_missing_vals: bool = False):
        self.min_value = _check_bound(type(self).__name__, "min_value", min_value)
        self.ignore_missing_vals = bool(ignore_missing_vals)
        super().__init__(error_description=f"values must be >= {self.min_value}.",
                         markdown_description=f"values >= {self.min_value}")

    def validate(self, dataframe: pd.DataFrame, column_name: str) -> None:
        column = dataframe[column_name]
        invalid = self._compare(column_name, lambda: column < self.min_value)
        if self.ignore_missing_vals:
            invalid = apply_ignore_missing_data_to_mask(invalid, column)
        self._raise_for(dataframe, column_name, invalid)


class MaxValueColumnConstraint(ColumnConstraint):
    """Every value of the column is at most `max_value` (inclusive)."""

    def __init__(self, max_value: Any, ignore_missing_vals: bool = False):
        self.max_value = _check_bound(type(self).__name__, "max_value", max_value)
        self.ignore_missing_vals = bool(ignore_missing_vals)
        super().__init__(error_description=f"values must be <= {self.max_value}.",
                         markdown_description=f"values <= {self.max_value}")

    def validate(self, dataframe: pd.DataFrame, column_name: str) -> None:
        column = dataframe[column_name]
        invalid = self._compare(column_name, lambda: column > self.max_value)
        if self.ignore_missing_vals:
            invalid = apply_ignore_missing_data_to_mask(invalid, column)
        self._raise_for(dataframe, column_name, invalid)


class InRangeColumnConstraint(ColumnConstraint):
    """Every value of the column lies in [min_value, max_value].

    A null value is outside every range, so it breaks this rule unless `ignore_missing_vals`.
    """

    def __init__(self, min_value: Any, max_value: Any, ignore_missing_vals: bool = False):
        self.min_value = _check_bound(type(self).__name__, "min_value", min_value)
        self.max_value = _check_bound(type(self).__name__, "max_value", max_value)
        self.ignore_missing_vals = bool(ignore_missing_vals)
        super().__init__(
            error_description=f"values must lie between {self.min_value} and {self.max_value} "
            "inclusive" + ("." if self.ignore_missing_vals else ", and may not be null."),
            markdown_description=f"{self.min_value} <= values <= {self.max_value}",
        )

    def validate(self, dataframe: pd.DataFrame, column_name: str) -> None:
        column = dataframe[column_name]
        invalid = ~self._compare(column_name,
                                 lambda: column.between(self.min_value, self.max_value))
        if self.ignore_missing_vals:
            invalid = apply_ignore_missing_data_to_mask(invalid, column)
        self._raise_for(dataframe, column_name, invalid)
