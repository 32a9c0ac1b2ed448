"""Constraints that report their findings as metadata: the "with metadata" family.

A validation function returns `(passed, details)`; a constraint runs it over a dataframe, a
column's values, or a whole column, and on failure builds its `resulting_exception` (a
`ConstraintWithMetadataException` subclass) from the details: what was `expectation`, which
parts were `offending`, what they `actual`-ly held. With `raise_or_typecheck=True` the
exception is raised; with False, `validate` returns a failed `TypeCheck` whose metadata
carries the details under `CONSTRAINT_METADATA_KEY`. `create_structured_dataframe_type`
combines such validators into a headwater type.

Also here: the validation functions and factories these constraints run (`nonnull`,
`non_null_validation`, `all_unique_validator`, `column_range_validation_factory`,
`categorical_column_validator_factory`, `dtype_in_set_validation_factory`).

Imports pandas and headwater's public names only.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd

from headwater import HeadwaterInvalidDefinitionError, HeadwaterType, MetadataValue, TypeCheck

CONSTRAINT_METADATA_KEY = "constraint-metadata"

ValidationResult = tuple[bool, dict[str, Any]]


def _json_safe(value: Any) -> Any:
    """Details as JSON: sets become sorted lists, numpy scalars and timestamps plain values."""
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return [_json_safe(v) for v in sorted(value, key=str)]
    if isinstance(value, (pd.Series, pd.Index)):
        return [_json_safe(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return None if value != value else value  # NaN is not JSON
    if hasattr(value, "item"):  # numpy scalar
        return _json_safe(value.item())
    if pd.isna(value):
        return None
    return str(value)


# --------------------------------------------------------------------------- exceptions


class ConstraintWithMetadataException(Exception):
    """A failed constraint with its findings: `expectation`, `offending` and `actual`."""

    def __init__(self, constraint_name: str, constraint_description: str = "",
                 expectation: Any = None, offending: Any = None, actual: Any = None):
        self.constraint_name = constraint_name
        self.constraint_description = constraint_description
        self.expectation = expectation
        self.offending = offending
        self.actual = actual
        super().__init__(
            f"{constraint_name} failed ({constraint_description}): expected {expectation}; "
            f"offending: {offending}; actual values: {actual}"
        )

    def normalize_metadata_json_value(self, val: Any) -> Any:
        return _json_safe(val)

    def convert_to_metadata(self) -> dict[str, MetadataValue]:
        return {CONSTRAINT_METADATA_KEY: MetadataValue.json({
            "constraint_name": self.constraint_name,
            "constraint_description": self.constraint_description,
            "expected": _json_safe(self.expectation),
            "offending": _json_safe(self.offending),
            "actual": _json_safe(self.actual),
        })}

    def return_as_typecheck(self) -> TypeCheck:
        return TypeCheck(False, description=self.args[0], metadata=self.convert_to_metadata())


class DataFrameWithMetadataException(ConstraintWithMetadataException):
    """A dataframe-wide constraint failed; the offending part is the dataframe itself."""

    def __init__(self, constraint_name: str, constraint_description: str = "",
                 expectation: Any = None, actual: Any = None, offending: Any = None):
        super().__init__(constraint_name, constraint_description, expectation,
                         offending if offending is not None else "the dataframe as a whole",
                         actual)


class ColumnWithMetadataException(ConstraintWithMetadataException):
    """A column constraint failed; `offending` maps columns to the rows at fault."""

    def __init__(self, constraint_name: str, constraint_description: str = "",
                 expectation: Any = None, offending: Any = None, actual: Any = None):
        super().__init__(f"column constraint {constraint_name}", constraint_description,
                         expectation, offending, actual)


def _check_exception_class(owner: str, resulting_exception: Any) -> None:
    if not (isinstance(resulting_exception, type)
            and issubclass(resulting_exception, ConstraintWithMetadataException)):
        raise HeadwaterInvalidDefinitionError(
            f"{owner}(resulting_exception=...) must be a subclass of "
            f"ConstraintWithMetadataException (such as ColumnWithMetadataException), got "
            f"{resulting_exception!r}."
        )


def _check_result(fn: Callable[..., Any], result: Any) -> ValidationResult:
    if (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], Mapping)):
        return bool(result[0]), dict(result[1])
    name = getattr(fn, "__name__", repr(fn))
    raise HeadwaterInvalidDefinitionError(
        f"validation function {name} returned {result!r}; it must return a pair "
        "(passed: bool, details: dict), e.g. (True, {})."
    )


# --------------------------------------------------------------------------- constraints


class ConstraintWithMetadata:
    """A check of a whole dataframe by `validation_fn(data) -> (passed, details)`.

    `details` are keyword arguments of `resulting_exception` (`expectation`, `offending`,
    `actual`). `name` defaults to the class name.
    """

    def __init__(self, description: str, validation_fn: Callable[..., Any],
                 resulting_exception: type[ConstraintWithMetadataException],
                 raise_or_typecheck: bool = True, name: str | None = None):
        _check_exception_class(type(self).__name__, resulting_exception)
        if not callable(validation_fn):
            raise HeadwaterInvalidDefinitionError(
                f"{type(self).__name__}(validation_fn=...) must be a function returning "
                f"(passed, details), got {validation_fn!r}."
            )
        self.name = name if name is not None else type(self).__name__
        self.description = description
        self.validation_fn = validation_fn
        self.resulting_exception = resulting_exception
        self.raise_or_typecheck = raise_or_typecheck

    def _fail(self, details: Mapping[str, Any]) -> TypeCheck:
        exc = self.resulting_exception(constraint_name=self.name,
                                       constraint_description=self.description, **details)
        if self.raise_or_typecheck:
            raise exc
        return exc.return_as_typecheck()

    def validate(self, data: Any, *args: Any, **kwargs: Any) -> TypeCheck:
        passed, details = _check_result(self.validation_fn,
                                        self.validation_fn(data, *args, **kwargs))
        return TypeCheck(True) if passed else self._fail(details)

    def as_headwater_type(self, *args: Any, **kwargs: Any) -> HeadwaterType:
        """A headwater type that runs this constraint; it must return type checks, not raise."""
        if self.raise_or_typecheck:
            raise HeadwaterInvalidDefinitionError(
                f"{self.name}.as_headwater_type(): the constraint raises on failure "
                "(raise_or_typecheck=True); build it with raise_or_typecheck=False to use it "
                "as a type."
            )
        return HeadwaterType(
            type_check_fn=lambda _context, value: self.validate(value, *args),
            name=self.name,
            description=f"A pandas DataFrame checked by: {self.description}",
            **kwargs,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.description!r}, name={self.name!r})"


class MultiConstraintWithMetadata(ConstraintWithMetadata):
    """Several dataframe checks run together; the details are grouped by function name."""

    def __init__(self, description: str, validation_fn_arr: Sequence[Callable[..., Any]],
                 resulting_exception: type[ConstraintWithMetadataException],
                 raise_or_typecheck: bool = True, name: str | None = None):
        fns = list(validation_fn_arr)

        def run_all(data: Any, *args: Any, **kwargs: Any) -> ValidationResult:
            passed = True
            grouped: dict[str, dict[str, Any]] = {}
            for fn in fns:
                ok, details = _check_result(fn, fn(data, *args, **kwargs))
                passed = passed and ok
                for key, value in details.items():
                    grouped.setdefault(key, {})[fn.__name__] = value
            return passed, grouped

        super().__init__(description, run_all, resulting_exception, raise_or_typecheck, name)


class StrictColumnsWithMetadata(ConstraintWithMetadata):
    """The dataframe has exactly `column_list` (in that order with `enforce_ordering`)."""

    def __init__(self, column_list: Sequence[str], enforce_ordering: bool = False,
                 raise_or_typecheck: bool = True, name: str | None = None):
        self.column_list = list(column_list)
        self.enforce_ordering = enforce_ordering

        def same_columns(frame: pd.DataFrame) -> ValidationResult:
            received = list(frame.columns)
            if received == self.column_list:
                return True, {}
            if self.enforce_ordering:
                return False, {"expectation": self.column_list, "actual": received}
            if set(received) == set(self.column_list):
                return True, {}
            return False, {"expectation": self.column_list, "actual": {
                "extra_columns": [c for c in received if c not in self.column_list],
                "missing_columns": [c for c in self.column_list if c not in received],
            }}

        description = f"the columns are exactly {self.column_list}"
        if enforce_ordering:
            description += ", in that order"
        super().__init__(description, same_columns, DataFrameWithMetadataException,
                         raise_or_typecheck, name)


def _columns_to_check(data: pd.DataFrame, columns: Sequence[Any]) -> list[Any]:
    """The named columns that the dataframe has (all of them when none are named)."""
    wanted = list(columns) if columns else list(data.columns)
    return [c for c in wanted if c in data.columns]


class ColumnAggregateConstraintWithMetadata(ConstraintWithMetadata):
    """A check of whole columns: `validation_fn(series) -> (passed, details)`, run on each of
    the columns passed to `validate(data, *columns)` (all columns when none are given)."""

    def validate(self, data: Any, *columns: Any) -> TypeCheck:  # type: ignore[override]
        offending: list[Any] = []
        actual: dict[str, Any] = {}
        for column in _columns_to_check(data, columns):
            passed, details = _check_result(self.validation_fn, self.validation_fn(data[column]))
            if not passed:
                offending.append(column)
                shown = details.get("actual")
                actual[str(column)] = _json_safe(shown if shown is not None else data[column])
        if not offending:
            return TypeCheck(True)
        return self._fail({"expectation": self.description, "offending": offending,
                           "actual": actual})


class ColumnConstraintWithMetadata(ConstraintWithMetadata):
    """A check of single values: `validation_fn(value) -> (passed, details)`, run on every
    value of the columns passed to `validate(data, *columns)` (all columns when none are
    given). The function's docstring is reported as the expectation."""

    def validate(self, data: Any, *columns: Any) -> TypeCheck:  # type: ignore[override]
        offending: dict[str, list[str]] = {}
        actual: dict[str, list[Any]] = {}
        for column in _columns_to_check(data, columns):
            bad = data[column].map(lambda value: not _check_result(
                self.validation_fn, self.validation_fn(value))[0]).astype(bool)
            if bad.any():
                offending[str(column)] = [f"row {index}" for index in data.index[bad].tolist()]
                actual[str(column)] = _json_safe(data[column][bad].tolist())
        if not offending:
            return TypeCheck(True)
        return self._fail({"expectation": self.validation_fn.__doc__, "offending": offending,
                           "actual": actual})


class ColumnRangeConstraintWithMetadata(ColumnConstraintWithMetadata):
    """Values of `columns` (all columns when None) lie between `minim` and `maxim`."""

    def __init__(self, minim: Any = None, maxim: Any = None, columns: Sequence[str] | None = None,
                 raise_or_typecheck: bool = True):
        self.columns = list(columns) if columns is not None else None
        super().__init__(f"values are between {minim} and {maxim}",
                         column_range_validation_factory(minim=minim, maxim=maxim),
                         ColumnWithMetadataException, raise_or_typecheck)

    def validate(self, data: Any, *columns: Any) -> TypeCheck:  # type: ignore[override]
        """Check `columns` (added to those given at construction) of `data`."""
        chosen = [*(self.columns if self.columns is not None else data.columns), *columns]
        return super().validate(data, *chosen)


class MultiColumnConstraintWithMetadata(ColumnConstraintWithMetadata):
    """Different value checks for different columns: `fn_and_columns_dict` maps a column to
    its validation functions. Every function runs; the details are grouped by column, then
    by function name. Columns the dataframe lacks are skipped."""

    def __init__(self, description: str,
                 fn_and_columns_dict: Mapping[str, Sequence[Callable[..., Any]]],
                 resulting_exception: type[ConstraintWithMetadataException],
                 raise_or_typecheck: bool = True,
                 type_for_internal: type[ConstraintWithMetadata] = ColumnConstraintWithMetadata,
                 name: str | None = None):
        for column, fns in fn_and_columns_dict.items():
            if not isinstance(column, str) or callable(fns) or not all(callable(f) for f in fns):
                raise HeadwaterInvalidDefinitionError(
                    f"{type(self).__name__}(fn_and_columns_dict=...) maps a column name to a "
                    f"list of validation functions; the entry {column!r}: {fns!r} is not that."
                )
        self.column_to_fn_dict = {column: list(fns) for column, fns in fn_and_columns_dict.items()}
        self.type_for_internal = type_for_internal

        def run_per_column(data: pd.DataFrame) -> ValidationResult:
            grouped: dict[str, dict[str, dict[str, Any]]] = {}
            for column, fns in self.column_to_fn_dict.items():
                if column not in data.columns:
                    continue
                for fn in fns:
                    self._run_one(data, column, fn, grouped)
            return not grouped, grouped

        super().__init__(description, run_per_column, resulting_exception, raise_or_typecheck,
                         name)

    def _run_one(self, data: pd.DataFrame, column: str, fn: Callable[..., Any],
                 grouped: dict[str, dict[str, dict[str, Any]]]) -> None:
        inner = self.type_for_internal(fn.__doc__ or fn.__name__, fn,
                                       ColumnWithMetadataException, raise_or_typecheck=True)
        try:
            inner.validate(data[[column]], column)
        except ConstraintWithMetadataException as failure:
            expected = failure.expectation
            if isinstance(expected, str):
                expected = expected.replace("returns", "").strip()
            per_fn = {
                "expectation": expected,
                "offending": (failure.offending.get(column, "a violation")
                              if isinstance(failure.offending, Mapping) else "a violation"),
                "actual": (failure.actual.get(column, "a violation")
                           if isinstance(failure.actual, Mapping) else "a violation"),
            }
            for key, value in per_fn.items():
                grouped.setdefault(key, {}).setdefault(column, {})[fn.__name__] = value

    def validate(self, data: Any) -> TypeCheck:  # type: ignore[override]
        """Run every column's functions over `data`; the columns come from the dict."""
        return ConstraintWithMetadata.validate(self, data)


class MultiAggregateConstraintWithMetadata(MultiColumnConstraintWithMetadata):
    """Like MultiColumnConstraintWithMetadata, with functions that take a whole column."""

    def __init__(self, description: str,
                 fn_and_columns_dict: Mapping[str, Sequence[Callable[..., Any]]],
                 resulting_exception: type[ConstraintWithMetadataException],
                 raise_or_typecheck: bool = True, name: str | None = None):
        super().__init__(description, fn_and_columns_dict, resulting_exception,
                         raise_or_typecheck, ColumnAggregateConstraintWithMetadata, name)


# --------------------------------------------------------------------------- validators


def apply_ignore_missing_data_to_mask(mask: pd.Series, column: pd.Series) -> pd.Series:
    """Clear the mask where the column is null: missing values do not break the rule."""
    return mask & ~column.isnull()


def non_null_validation(x: Any) -> ValidationResult:
    """the value is not null"""
    return not pd.isnull(x), {}


def all_unique_validator(column: Any, ignore_missing_vals: bool = False) -> ValidationResult:
    """no value of the column repeats; the repeated values are reported as `actual`"""
    series = pd.Series(column)
    duplicated = series.duplicated()
    if ignore_missing_vals:
        duplicated = apply_ignore_missing_data_to_mask(duplicated, series)
    return not duplicated.any(), {"actual": series[duplicated]}


def nonnull(func: Callable[[Any], Any]) -> Callable[[Any], ValidationResult]:
    """Wrap a value validator so that a null value fails it too."""

    @functools.wraps(func)
    def validator(value: Any) -> ValidationResult:
        passed, _details = _check_result(func, func(value))
        return passed and non_null_validation(value)[0], {}

    validator.__doc__ = (func.__doc__ or func.__name__) + ", and the value is not null"
    return validator


def _is_comparable_with(value: Any, bound: Any) -> bool:
    if isinstance(bound, (datetime, date)):
        return isinstance(value, (datetime, date))
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def column_range_validation_factory(minim: Any = None, maxim: Any = None,
                                    ignore_missing_vals: bool = False
                                    ) -> Callable[[Any], ValidationResult]:
    """A value validator: the value lies in [minim, maxim]; a missing bound is open.

    Values must be numbers, or datetimes when a bound is a datetime; nulls fail unless
    `ignore_missing_vals`.
    """
    bound = minim if minim is not None else maxim

    def in_range_validation_fn(x: Any) -> ValidationResult:
        if ignore_missing_vals and pd.isnull(x):
            return True, {}
        if not _is_comparable_with(x, bound):
            return False, {}
        return (minim is None or x >= minim) and (maxim is None or x <= maxim), {}

    low = minim if minim is not None else "-inf"
    high = maxim if maxim is not None else "inf"
    in_range_validation_fn.__doc__ = f"values lie between {low} and {high}" + (
        ", nulls ignored" if ignore_missing_vals else "")
    return in_range_validation_fn


def categorical_column_validator_factory(categories: Iterable[Any],
                                         ignore_missing_vals: bool = False
                                         ) -> Callable[[Any], ValidationResult]:
    """A value validator: the value is one of `categories`."""
    allowed = set(categories)

    def categorical_validation_fn(x: Any) -> ValidationResult:
        if ignore_missing_vals and pd.isnull(x):
            return True, {}
        return x in allowed, {}

    categorical_validation_fn.__doc__ = f"values are one of {sorted(allowed, key=str)}" + (
        ", nulls ignored" if ignore_missing_vals else "")
    return categorical_validation_fn


def dtype_in_set_validation_factory(datatypes: type | tuple[type, ...] | Iterable[type],
                                    ignore_missing_vals: bool = False
                                    ) -> Callable[[Any], ValidationResult]:
    """A value validator: the value is an instance of one of `datatypes` (Python types)."""
    allowed = datatypes if isinstance(datatypes, type) else tuple(datatypes)

    def dtype_in_set_validation_fn(x: Any) -> ValidationResult:
        if ignore_missing_vals and pd.isnull(x):
            return True, {}
        return isinstance(x, allowed), {}

    dtype_in_set_validation_fn.__doc__ = f"values are instances of {allowed}" + (
        ", nulls ignored" if ignore_missing_vals else "")
    return dtype_in_set_validation_fn
