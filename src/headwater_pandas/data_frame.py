"""The pandas DataFrame types: `DataFrame`, and the factories of checked dataframe types.

- `DataFrame` accepts any `pandas.DataFrame` and records its row count and column names.
- `create_headwater_pandas_dataframe_type(name, columns=[PandasColumn...],
  dataframe_constraints=[...], metadata_fn=...)` builds a type that checks every column rule
  and dataframe rule and, on failure, lists each broken rule with its column and offending
  rows.
- `create_structured_dataframe_type(name, columns_validator=..., ...)` builds a type from the
  "with metadata" constraints.
- `dataframe_loader` reads an op input's dataframe from run config
  (`ops.<op>.inputs.<input>: {csv: {path, sep}} | {parquet: {path}} | {table: {path}} |
  {pickle: {path}}`); every type built here uses it unless given `loader=`.
- `create_table_schema_metadata_from_dataframe(df)` describes a dataframe's columns as a
  `TableSchema` metadata value.

Imports pandas, headwater's public names and the other `headwater_pandas` modules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from headwater import (
    Field,
    HeadwaterInvalidConfigError,
    HeadwaterInvalidDefinitionError,
    HeadwaterInvariantViolationError,
    HeadwaterType,
    HeadwaterTypeLoader,
    MetadataValue,
    Selector,
    StringSource,
    TableColumn,
    TableSchema,
    TableSchemaMetadataValue,
    TypeCheck,
    headwater_type_loader,
)
from headwater.errors import HeadwaterInvalidMetadata
from headwater_pandas.constraints import (
    CONSTRAINT_METADATA_KEY,
    ColumnDTypeFnConstraint,
    ColumnDTypeInSetConstraint,
    ConstraintViolationException,
    ConstraintWithMetadata,
    DataFrameConstraint,
)
from headwater_pandas.validation import PandasColumn, constraint_violations

__all__ = [
    "DataFrame",
    "create_headwater_pandas_dataframe_description",
    "create_headwater_pandas_dataframe_type",
    "create_structured_dataframe_type",
    "create_table_schema_metadata_from_dataframe",
    "dataframe_loader",
]

# --------------------------------------------------------------------------- loading


def _read_csv(options: Mapping[str, Any]) -> pd.DataFrame:
    return pd.read_csv(options["path"], sep=options.get("sep", ","))


_READERS: dict[str, Callable[[Mapping[str, Any]], pd.DataFrame]] = {
    "csv": _read_csv,
    "parquet": lambda options: pd.read_parquet(options["path"]),
    "table": lambda options: pd.read_csv(options["path"], sep="\t"),
    "pickle": lambda options: pd.read_pickle(options["path"]),
}


@headwater_type_loader(
    Selector({
        "csv": {
            "path": StringSource,
            "sep": Field(StringSource, is_required=False, default_value=","),
        },
        "parquet": {"path": StringSource},
        "table": {"path": StringSource},
        "pickle": {"path": StringSource},
    })
)
def dataframe_loader(context: Any, config: Mapping[str, Any]) -> pd.DataFrame:
    """Read a dataframe from the file that the input's config names."""
    file_type, options = next(iter(config.items()))
    try:
        return _READERS[file_type](options)
    except Exception as error:  # pandas raises OSError, ValueError, ParserError, ImportError...
        op_def = getattr(context, "op_def", None)
        op_name = op_def.name if op_def is not None else "<op>"
        raise HeadwaterInvalidConfigError(
            f"Could not read the {file_type} file {options['path']!r} for op '{op_name}': "
            f"{type(error).__name__}: {error}. Fix the file, or the path at "
            f"ops.{op_name}.inputs.<input>.{file_type}.path in the run config."
        ) from error


# --------------------------------------------------------------------------- the plain type


def _check_any_dataframe(_context: Any, value: Any) -> TypeCheck:
    if not isinstance(value, pd.DataFrame):
        return _not_a_dataframe("PandasDataFrame", value)
    return TypeCheck(True, metadata={
        "row_count": MetadataValue.text(str(len(value))),
        "metadata": MetadataValue.json({"columns": [str(c) for c in value.columns]}),
    })


def _not_a_dataframe(type_name: str, value: Any) -> TypeCheck:
    return TypeCheck(
        False,
        f'HeadwaterType "{type_name}" expects a pandas.DataFrame, got a value of type '
        f"{type(value).__module__}.{type(value).__qualname__}.",
    )


DataFrame = HeadwaterType(
    name="PandasDataFrame",
    description="A pandas DataFrame: two-dimensional tabular data with labeled rows and "
    "columns (https://pandas.pydata.org/).",
    type_check_fn=_check_any_dataframe,
    loader=dataframe_loader,
    typing_type=pd.DataFrame,
)


# --------------------------------------------------------------------------- description


def _column_markdown(column: PandasColumn) -> str:
    header = f"**{column.name}**"
    for constraint in column.constraints:
        if isinstance(constraint, ColumnDTypeInSetConstraint):
            header += ": `" + " | ".join(sorted(constraint.expected_dtype_set)) + "`"
            break
        if isinstance(constraint, ColumnDTypeFnConstraint):
            header += f": validated by `{getattr(constraint.type_fn, '__name__', 'type_fn')}`"
            break
    if not column.is_required:
        header += " (optional)"
    bullets = [f"+ {c.markdown_description}" for c in column.constraints
               if not isinstance(c, (ColumnDTypeFnConstraint, ColumnDTypeInSetConstraint))]
    return "\n".join([header, *bullets])


def create_headwater_pandas_dataframe_description(description: str,
                                                  columns: Sequence[PandasColumn]) -> str:
    """The type's description followed by a markdown list of its columns and their rules."""
    parts = [description, "### Columns", ""] if columns else [description]
    return "\n".join(parts + [_column_markdown(c) + "\n" for c in columns]).strip() + "\n"


def create_table_schema_metadata_from_dataframe(pandas_df: pd.DataFrame
                                                ) -> TableSchemaMetadataValue:
    """The dataframe's columns and their dtypes as a `TableSchema` metadata value."""
    if not isinstance(pandas_df, pd.DataFrame):
        raise HeadwaterInvalidDefinitionError(
            f"create_table_schema_metadata_from_dataframe() takes a pandas.DataFrame, got "
            f"{type(pandas_df).__name__}."
        )
    return MetadataValue.table_schema(TableSchema(columns=[
        TableColumn(name=str(name), type=str(dtype)) for name, dtype in pandas_df.dtypes.items()
    ]))


# --------------------------------------------------------------------------- checked types


def _violation_metadata(violation: ConstraintViolationException) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "constraint": getattr(violation, "constraint_name", "PandasColumn"),
        "column": getattr(violation, "column_name", None),
        "description": getattr(violation, "constraint_description", str(violation)),
    }
    rows = getattr(violation, "offending_rows", None)
    if rows:
        entry["offending_rows"] = [[str(index), str(value)] for index, value in rows[:10]]
        entry["offending_row_count"] = len(rows)
    return entry


def _summary_check(type_name: str, metadata_fn: Callable[[pd.DataFrame], Any],
                   value: pd.DataFrame) -> TypeCheck:
    """A passed check carrying what `metadata_fn` says about the dataframe."""
    produced = metadata_fn(value)
    if not isinstance(produced, Mapping):
        raise HeadwaterInvariantViolationError(
            f'metadata_fn of pandas dataframe type "{type_name}" returned {produced!r} '
            f"({type(produced).__name__}); it must return a dict from labels to metadata values, "
            "e.g. {'row_count': len(df)}."
        )
    try:
        return TypeCheck(True, metadata=dict(produced))
    except HeadwaterInvalidMetadata as error:
        raise HeadwaterInvariantViolationError(
            f'metadata_fn of pandas dataframe type "{type_name}": {error}'
        ) from error


def _check_list(owner: str, label: str, items: Sequence[Any] | None, kind: type,
                example: str) -> list[Any]:
    if items is None:
        return []
    if isinstance(items, (str, kind)) or not isinstance(items, Sequence):
        raise HeadwaterInvalidDefinitionError(
            f'{owner}: {label}= takes a list of {kind.__name__} objects, got {items!r}; '
            f"write {label}=[{example}]."
        )
    for item in items:
        if not isinstance(item, kind):
            raise HeadwaterInvalidDefinitionError(
                f"{owner}: every item of {label}= must be a {kind.__name__}, got {item!r} "
                f"({type(item).__name__}); for example {example}."
            )
    return list(items)


def _check_loader(owner: str, loader: Any) -> HeadwaterTypeLoader:
    if loader is None:
        return dataframe_loader
    if not isinstance(loader, HeadwaterTypeLoader):
        raise HeadwaterInvalidDefinitionError(
            f"{owner}: loader= must be built with @headwater_type_loader(config_schema), got "
            f"{loader!r}."
        )
    return loader


def create_headwater_pandas_dataframe_type(
    name: str,
    description: str | None = None,
    columns: Sequence[PandasColumn] | None = None,
    metadata_fn: Callable[[pd.DataFrame], Mapping[str, Any]] | None = None,
    dataframe_constraints: Sequence[DataFrameConstraint] | None = None,
    loader: HeadwaterTypeLoader | None = None,
    event_metadata_fn: Callable[[pd.DataFrame], Mapping[str, Any]] | None = None,
) -> HeadwaterType:
    """A HeadwaterType for pandas DataFrames that obey `columns` and `dataframe_constraints`.

    A value passes when it is a DataFrame, every required column is present and each
    column's rules and each dataframe rule hold. A failure lists every broken rule with its
    column and offending rows. On success, `metadata_fn(df)` (a dict of metadata) is recorded
    with the check. `event_metadata_fn` is the older name of `metadata_fn`.
    """
    if not isinstance(name, str) or not name:
        raise HeadwaterInvalidDefinitionError(
            f"create_headwater_pandas_dataframe_type needs a name string, got {name!r}."
        )
    owner = f'pandas dataframe type "{name}"'
    if metadata_fn is not None and event_metadata_fn is not None:
        raise HeadwaterInvalidDefinitionError(
            f"{owner}: pass metadata_fn= or its older name event_metadata_fn=, not both."
        )
    summary_fn = metadata_fn if metadata_fn is not None else event_metadata_fn
    if summary_fn is not None and not callable(summary_fn):
        raise HeadwaterInvalidDefinitionError(
            f"{owner}: metadata_fn= must be a function of the dataframe, got {summary_fn!r}."
        )
    pandas_columns = _check_list(owner, "columns", columns, PandasColumn,
                                 "PandasColumn.integer_column('id')")
    frame_constraints = _check_list(owner, "dataframe_constraints", dataframe_constraints,
                                    DataFrameConstraint, "RowCountConstraint(10)")
    # Constraint classes check what they are given; here we only check what is missing.
    names = [c.name for c in pandas_columns]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise HeadwaterInvalidDefinitionError(
            f"{owner}: the columns {repeated} are declared more than once; merge their rules "
            "into one PandasColumn."
        )

    def check(_context: Any, value: Any) -> TypeCheck:
        if not isinstance(value, pd.DataFrame):
            return _not_a_dataframe(name, value)
        found = constraint_violations(value, pandas_columns, frame_constraints)
        if found:
            noun = "rule" if len(found) == 1 else "rules"
            lines = "\n".join(f"  - {violation}" for violation in found)
            return TypeCheck(
                False,
                f"the dataframe breaks {len(found)} {noun} of type {name}:\n{lines}",
                metadata={"violations": MetadataValue.json(
                    [_violation_metadata(v) for v in found])},
            )
        if summary_fn is None:
            return TypeCheck(True)
        return _summary_check(name, summary_fn, value)

    return HeadwaterType(
        name=name,
        type_check_fn=check,
        description=create_headwater_pandas_dataframe_description(description or "",
                                                                  pandas_columns),
        loader=_check_loader(owner, loader),
        typing_type=pd.DataFrame,
    )


def create_structured_dataframe_type(
    name: str,
    description: str | None = None,
    columns_validator: ConstraintWithMetadata | None = None,
    columns_aggregate_validator: ConstraintWithMetadata | None = None,
    dataframe_validator: ConstraintWithMetadata | None = None,
    loader: HeadwaterTypeLoader | None = None,
) -> HeadwaterType:
    """A HeadwaterType for pandas DataFrames checked by "with metadata" constraints.

    `dataframe_validator` runs on the whole dataframe, `columns_validator` on values (a
    `MultiColumnConstraintWithMetadata` or a column constraint), `columns_aggregate_validator`
    on whole columns. Each must be built with `raise_or_typecheck=False`. A failure records
    each failing validator's findings as `<part>-constraint-metadata`.
    """
    if not isinstance(name, str) or not name:
        raise HeadwaterInvalidDefinitionError(
            f"create_structured_dataframe_type needs a name string, got {name!r}."
        )
    owner = f'structured dataframe type "{name}"'
    # the part of the check each validator covers, named as in the recorded metadata
    validators = {"dataframe": dataframe_validator, "columns": columns_validator,
                  "column-aggregates": columns_aggregate_validator}
    labels = {"dataframe": "dataframe_validator", "columns": "columns_validator",
              "column-aggregates": "columns_aggregate_validator"}
    for part, validator in validators.items():
        label = labels[part]
        if validator is None:
            continue
        if not isinstance(validator, ConstraintWithMetadata):
            raise HeadwaterInvalidDefinitionError(
                f"{owner}: {label}= must be a ConstraintWithMetadata (such as "
                f"MultiColumnConstraintWithMetadata), got {validator!r}."
            )
        if validator.raise_or_typecheck:
            raise HeadwaterInvalidDefinitionError(
                f"{owner}: {label}= {validator.name} raises on failure; build it with "
                "raise_or_typecheck=False so that the type check reports its findings."
            )

    def check(_context: Any, value: Any) -> TypeCheck:
        if not isinstance(value, pd.DataFrame):
            return _not_a_dataframe(name, value)
        metadata: dict[str, Any] = {}
        clauses = []
        for part, validator in validators.items():
            if validator is None:
                continue
            result = validator.validate(value)
            if result.success:
                continue
            found = result.metadata.get(CONSTRAINT_METADATA_KEY)
            metadata[f"{part}-constraint-metadata"] = found if found is not None else {}
            clauses.append(f"  - {part}: {result.description}")
        if not clauses:
            return TypeCheck(True)
        return TypeCheck(False, f"the dataframe fails {len(clauses)} validator(s) of type "
                         f"{name}:\n" + "\n".join(clauses), metadata=metadata)

    return HeadwaterType(
        name=name,
        type_check_fn=check,
        description=description or "",
        loader=_check_loader(owner, loader),
        typing_type=pd.DataFrame,
    )
