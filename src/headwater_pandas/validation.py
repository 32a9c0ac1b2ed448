"""`PandasColumn`: a column's name, whether it must be present, and the rules its values obey.

The constructors (`PandasColumn.integer_column(...)`, `.string_column(...)`, ...) pick the
dtype rule and add range, null and uniqueness rules from keyword arguments. Rules run in
order; once a dtype rule fails, the column's later rules are skipped, since they assume the
dtype (a range check on strings means nothing).

`validate_constraints` checks a dataframe against columns and dataframe constraints and
raises the first violation; `constraint_violations` returns all of them (the dataframe types
report every problem at once).

Imports pandas, headwater's public names and `headwater_pandas.constraints`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from pandas.api.types import (
    is_bool_dtype,
    is_float_dtype,
    is_integer_dtype,
    is_numeric_dtype,
    is_string_dtype,
)

from headwater import HeadwaterInvalidDefinitionError
from headwater_pandas.constraints import (
    CategoricalColumnConstraint,
    ColumnConstraint,
    ColumnDTypeFnConstraint,
    ColumnDTypeInSetConstraint,
    Constraint,
    ConstraintViolationException,
    DataFrameConstraint,
    InRangeColumnConstraint,
    NonNullableColumnConstraint,
    UniqueColumnConstraint,
)

__all__ = ["PandasColumn", "constraint_violations", "validate_constraints"]

_DTYPE_RULES = (ColumnDTypeFnConstraint, ColumnDTypeInSetConstraint)
# pandas 2 stores datetimes in nanoseconds; pandas 3 picks the unit from the data.
_DATETIME_UNITS = ("s", "ms", "us", "ns")
# pandas 3 stores text as the "str" dtype, pandas 2 as "object".
_CATEGORICAL_DTYPES = frozenset({"category", "object", "str", "string"})


def _keyword_constraints(column: str, non_nullable: bool, unique: bool,
                         ignore_missing_vals: bool) -> list[Constraint]:
    if non_nullable and ignore_missing_vals:
        raise HeadwaterInvalidDefinitionError(
            f'PandasColumn "{column}": non_nullable=True and ignore_missing_vals=True contradict '
            "each other (one forbids nulls, the other skips them); drop one of them."
        )
    constraints: list[Constraint] = []
    if non_nullable:
        constraints.append(NonNullableColumnConstraint())
    if unique:
        constraints.append(UniqueColumnConstraint(ignore_missing_vals=ignore_missing_vals))
    return constraints


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise HeadwaterInvalidDefinitionError(
            f"PandasColumn needs the column's name as a non-empty string, got {name!r}."
        )
    return name


class PandasColumn:
    """A column a dataframe type expects: its `name`, its `constraints`, and whether it must
    be present (`is_required`, default True). A column that is absent and not required is
    not checked."""

    def __init__(self, name: str, constraints: Sequence[Constraint] | None = None,
                 is_required: bool | None = None):
        self.name = _check_name(name)
        self.is_required = True if is_required is None else bool(is_required)
        self.constraints = list(constraints or [])
        for constraint in self.constraints:
            if not isinstance(constraint, ColumnConstraint):
                raise HeadwaterInvalidDefinitionError(
                    f'PandasColumn "{name}": constraints must be ColumnConstraint objects '
                    f"(such as NonNullableColumnConstraint()), got {constraint!r}. Dataframe-wide "
                    "rules go in dataframe_constraints= of the type."
                )

    def violations(self, dataframe: pd.DataFrame) -> list[ConstraintViolationException]:
        """Every rule the column breaks (none after a failed dtype rule)."""
        if self.name not in dataframe.columns:
            if not self.is_required:
                return []
            return [ConstraintViolationException(
                f'required column "{self.name}" is missing; the dataframe has the columns '
                f"{[str(c) for c in dataframe.columns]}. Add the column, or declare it with "
                "is_required=False."
            )]
        found = []
        for constraint in self.constraints:
            try:
                constraint.validate(dataframe, self.name)  # type: ignore[attr-defined]
            except ConstraintViolationException as violation:
                found.append(violation)
                if isinstance(constraint, _DTYPE_RULES):
                    break
        return found

    def validate(self, dataframe: pd.DataFrame) -> None:
        """Raise the first rule the column breaks."""
        found = self.violations(dataframe)
        if found:
            raise found[0]

    def __repr__(self) -> str:
        return (f"PandasColumn({self.name!r}, constraints={self.constraints!r}, "
                f"is_required={self.is_required})")

    # ---------------------------------------------------------------- constructors

    @staticmethod
    def exists(name: str, non_nullable: bool = False, unique: bool = False,
               ignore_missing_vals: bool = False, is_required: bool | None = None
               ) -> PandasColumn:
        """A column of any dtype, with optional null and uniqueness rules."""
        return PandasColumn(
            _check_name(name),
            _keyword_constraints(name, non_nullable, unique, ignore_missing_vals),
            is_required,
        )

    @staticmethod
    def boolean_column(name: str, non_nullable: bool = False, unique: bool = False,
                       ignore_missing_vals: bool = False, is_required: bool | None = None
                       ) -> PandasColumn:
        """A column of a boolean dtype."""
        return PandasColumn(
            _check_name(name),
            [ColumnDTypeFnConstraint(is_bool_dtype),
             *_keyword_constraints(name, non_nullable, unique, ignore_missing_vals)],
            is_required,
        )

    @staticmethod
    def numeric_column(name: str, min_value: Any = -float("inf"), max_value: Any = float("inf"),
                       non_nullable: bool = False, unique: bool = False,
                       ignore_missing_vals: bool = False, is_required: bool | None = None
                       ) -> PandasColumn:
        """A column of a numeric dtype whose values lie in [min_value, max_value]."""
        return _ranged(name, is_numeric_dtype, min_value, max_value, non_nullable, unique,
                       ignore_missing_vals, is_required)

    @staticmethod
    def integer_column(name: str, min_value: Any = -float("inf"), max_value: Any = float("inf"),
                       non_nullable: bool = False, unique: bool = False,
                       ignore_missing_vals: bool = False, is_required: bool | None = None
                       ) -> PandasColumn:
        """A column of an integer dtype whose values lie in [min_value, max_value]."""
        return _ranged(name, is_integer_dtype, min_value, max_value, non_nullable, unique,
                       ignore_missing_vals, is_required)

    @staticmethod
    def float_column(name: str, min_value: Any = -float("inf"), max_value: Any = float("inf"),
                     non_nullable: bool = False, unique: bool = False,
                     ignore_missing_vals: bool = False, is_required: bool | None = None
                     ) -> PandasColumn:
        """A column of a float dtype whose values lie in [min_value, max_value]."""
        return _ranged(name, is_float_dtype, min_value, max_value, non_nullable, unique,
                       ignore_missing_vals, is_required)

    @staticmethod
    def datetime_column(name: str, min_datetime: Any = pd.Timestamp.min,
                        max_datetime: Any = pd.Timestamp.max, non_nullable: bool = False,
                        unique: bool = False, ignore_missing_vals: bool = False,
                        is_required: bool | None = None, tz: str | None = None
                        ) -> PandasColumn:
        """A datetime64 column (time zone `tz`, or naive when None) whose values lie in
        [min_datetime, max_datetime]."""
        _check_name(name)
        if tz is None:
            dtypes = {f"datetime64[{unit}]" for unit in _DATETIME_UNITS}
        else:
            dtypes = {f"datetime64[{unit}, {tz}]" for unit in _DATETIME_UNITS}
        low = _datetime_bound(name, "min_datetime", min_datetime, tz)
        high = _datetime_bound(name, "max_datetime", max_datetime, tz)
        return PandasColumn(
            name,
            [ColumnDTypeInSetConstraint(dtypes),
             InRangeColumnConstraint(low, high, ignore_missing_vals=ignore_missing_vals),
             *_keyword_constraints(name, non_nullable, unique, ignore_missing_vals)],
            is_required,
        )

    @staticmethod
    def string_column(name: str, non_nullable: bool = False, unique: bool = False,
                      ignore_missing_vals: bool = False, is_required: bool | None = None
                      ) -> PandasColumn:
        """A column of a string dtype (`str`/`string`, or `object` holding text)."""
        return PandasColumn(
            _check_name(name),
            [ColumnDTypeFnConstraint(is_string_dtype),
             *_keyword_constraints(name, non_nullable, unique, ignore_missing_vals)],
            is_required,
        )

    @staticmethod
    def categorical_column(name: str, categories: Iterable[Any],
                           of_types: str | Iterable[str] = _CATEGORICAL_DTYPES,
                           non_nullable: bool = False, unique: bool = False,
                           ignore_missing_vals: bool = False, is_required: bool | None = None
                           ) -> PandasColumn:
        """A column whose dtype is one of `of_types` and whose values are all in
        `categories`."""
        _check_name(name)
        dtypes = {of_types} if isinstance(of_types, str) else set(of_types)
        return PandasColumn(
            name,
            [ColumnDTypeInSetConstraint(dtypes),
             CategoricalColumnConstraint(categories, ignore_missing_vals=ignore_missing_vals),
             *_keyword_constraints(name, non_nullable, unique, ignore_missing_vals)],
            is_required,
        )


def _ranged(name: str, dtype_fn: Any, min_value: Any, max_value: Any, non_nullable: bool,
            unique: bool, ignore_missing_vals: bool, is_required: bool | None) -> PandasColumn:
    _check_name(name)
    return PandasColumn(
        name,
        [ColumnDTypeFnConstraint(dtype_fn),
         InRangeColumnConstraint(min_value, max_value, ignore_missing_vals=ignore_missing_vals),
         *_keyword_constraints(name, non_nullable, unique, ignore_missing_vals)],
        is_required,
    )


def _datetime_bound(column: str, label: str, bound: Any, tz: str | None) -> pd.Timestamp:
    """The bound as a Timestamp in the column's time zone."""
    try:
        stamp = pd.Timestamp(bound)
    except (TypeError, ValueError) as error:
        raise HeadwaterInvalidDefinitionError(
            f'PandasColumn.datetime_column("{column}"): {label}={bound!r} is not a datetime '
            f"({error})."
        ) from error
    if tz is None:
        if stamp.tzinfo is not None:
            raise HeadwaterInvalidDefinitionError(
                f'PandasColumn.datetime_column("{column}"): {label} has the time zone '
                f"{stamp.tzinfo}, but the column is declared naive; pass tz='{stamp.tzinfo}'."
            )
        return stamp
    if stamp.tzinfo is not None:
        return stamp
    # The extreme Timestamps overflow when shifted into a time zone; a day's margin avoids it.
    if stamp == pd.Timestamp.min:
        stamp += pd.Timedelta(days=1)
    elif stamp == pd.Timestamp.max:
        stamp -= pd.Timedelta(days=1)
    return stamp.tz_localize(tz)


def constraint_violations(dataframe: pd.DataFrame,
                          pandas_columns: Sequence[PandasColumn] | None = None,
                          dataframe_constraints: Sequence[DataFrameConstraint] | None = None
                          ) -> list[ConstraintViolationException]:
    """Every column rule and dataframe rule the dataframe breaks, in declaration order."""
    found = []
    for column in pandas_columns or ():
        found.extend(column.violations(dataframe))
    for constraint in dataframe_constraints or ():
        try:
            constraint.validate(dataframe)
        except ConstraintViolationException as violation:
            found.append(violation)
    return found


def validate_constraints(dataframe: pd.DataFrame,
                         pandas_columns: Sequence[PandasColumn] | None = None,
                         dataframe_constraints: Sequence[DataFrameConstraint] | None = None
                         ) -> None:
    """Raise the first violation of the columns' and the dataframe constraints' rules."""
    found = constraint_violations(dataframe, pandas_columns, dataframe_constraints)
    if found:
        raise found[0]
