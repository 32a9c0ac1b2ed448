"""headwater_pandas: pandas DataFrame types that check their columns, under the names Dagster's
`dagster_pandas` ports to.

Modules (named as in `dagster_pandas`, so that `from dagster_pandas.<module> import ...`
ports by renaming the package):

- `data_frame`: the `DataFrame` type, `create_headwater_pandas_dataframe_type`,
  `create_structured_dataframe_type`, `create_table_schema_metadata_from_dataframe`, and
  `dataframe_loader` (an input's dataframe read from csv / parquet / table / pickle config).
- `validation`: `PandasColumn` and its constructors, `validate_constraints`.
- `constraints`: column and dataframe constraints and their violation exceptions; it also
  re-exports the "with metadata" family defined in `metadata_constraint`.

Needs the `headwater[pandas]` extra. Imports pandas and headwater's public names; headwater
itself never imports this package.
"""

from headwater._extras import needs_extra

with needs_extra("pandas", "headwater_pandas"):
    from headwater_pandas.constraints import (
        CategoricalColumnConstraint,
        ColumnAggregateConstraintWithMetadata,
        ColumnConstraint,
        ColumnConstraintViolationException,
        ColumnConstraintWithMetadata,
        ColumnDTypeFnConstraint,
        ColumnDTypeInSetConstraint,
        ColumnRangeConstraintWithMetadata,
        ColumnWithMetadataException,
        Constraint,
        ConstraintViolationException,
        ConstraintWithMetadata,
        ConstraintWithMetadataException,
        DataFrameConstraint,
        DataFrameConstraintViolationException,
        DataFrameWithMetadataException,
        InRangeColumnConstraint,
        MaxValueColumnConstraint,
        MinValueColumnConstraint,
        MultiAggregateConstraintWithMetadata,
        MultiColumnConstraintWithMetadata,
        MultiConstraintWithMetadata,
        NonNullableColumnConstraint,
        RowCountConstraint,
        StrictColumnsConstraint,
        StrictColumnsWithMetadata,
        UniqueColumnConstraint,
        all_unique_validator,
        categorical_column_validator_factory,
        column_range_validation_factory,
        dtype_in_set_validation_factory,
        non_null_validation,
        nonnull,
    )
    from headwater_pandas.data_frame import (
        DataFrame,
        create_headwater_pandas_dataframe_type,
        create_structured_dataframe_type,
        create_table_schema_metadata_from_dataframe,
        dataframe_loader,
    )
    from headwater_pandas.validation import PandasColumn, validate_constraints

__all__ = [
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
    "DataFrame",
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
    "PandasColumn",
    "RowCountConstraint",
    "StrictColumnsConstraint",
    "StrictColumnsWithMetadata",
    "UniqueColumnConstraint",
    "all_unique_validator",
    "categorical_column_validator_factory",
    "column_range_validation_factory",
    "create_headwater_pandas_dataframe_type",
    "create_structured_dataframe_type",
    "create_table_schema_metadata_from_dataframe",
    "dataframe_loader",
    "dtype_in_set_validation_factory",
    "non_null_validation",
    "nonnull",
    "validate_constraints",
]
