"""Data quality as part of the asset graph: row counts, schemas and freshness, checked.

A small order pipeline whose assets carry asset checks:

- `orders` evaluates its own row-count check in its step (`check_specs=`) and records the
  count and its column schema as metadata;
- `customers` is guarded by a blocking schema check: if a required column goes missing,
  `orders_by_country` (which reads it) is not computed;
- `customers_have_country` warns (severity WARN) about customers without a country -- it
  fails on this data, on purpose, so the UI shows a failed check;
- built-in checks watch the row count's bounds, the orders schema between runs, and the
  freshness of `orders` (evaluated by the daemon through `freshness_sensor`).

Run it:  headwater dev -f examples/data_quality/quality.py
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from headwater import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    Definitions,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    asset,
    asset_check,
    build_column_schema_change_checks,
    build_last_update_freshness_checks,
    build_metadata_bounds_checks,
    build_sensor_for_freshness_checks,
)

ORDERS = pd.DataFrame({
    "order_id": range(1, 9),
    "customer_id": [1, 2, 2, 3, 4, 4, 4, 5],
    "amount": [20.0, 35.5, 12.0, 80.0, 5.5, 14.0, 9.9, 42.0],
})
CUSTOMERS = pd.DataFrame({
    "customer_id": [1, 2, 3, 4, 5],
    "name": ["Ada", "Grace", "Edsger", "Barbara", "Ken"],
    "country": ["GB", "US", "NL", None, "US"],
})
REQUIRED_CUSTOMER_COLUMNS = ("customer_id", "name", "country")


def _schema(frame: pd.DataFrame) -> TableSchema:
    return TableSchema(columns=[TableColumn(name, str(dtype)) for name, dtype in frame.dtypes.items()])


@asset(check_specs=[AssetCheckSpec("has_rows", asset="orders",
                                   description="At least one order arrived.")])
def orders() -> MaterializeResult:
    """Orders from the shop; the asset checks its own row count as it materializes."""
    frame = ORDERS.copy()
    return MaterializeResult(
        value=frame,
        metadata={"row_count": len(frame), "headwater/column_schema": _schema(frame)},
        check_results=[AssetCheckResult(passed=len(frame) > 0,
                                        metadata={"row_count": len(frame)})],
    )


@asset
def customers() -> pd.DataFrame:
    """Customer accounts from the CRM."""
    return CUSTOMERS.copy()


@asset_check(asset=customers, blocking=True)
def customers_schema(customers: pd.DataFrame) -> AssetCheckResult:
    """The columns downstream assets rely on are all there (blocking: nothing reads a
    customers table that lacks them)."""
    missing = [c for c in REQUIRED_CUSTOMER_COLUMNS if c not in customers.columns]
    return AssetCheckResult(passed=not missing, metadata={
        "missing_columns": MetadataValue.json(missing),
        "columns": MetadataValue.json(list(customers.columns)),
    })


@asset_check(asset=customers)
def customers_have_country(customers: pd.DataFrame) -> AssetCheckResult:
    """Every customer has a country (a warning: reports still run without one)."""
    without = customers[customers["country"].isna()]["customer_id"].tolist()
    return AssetCheckResult(passed=not without, severity=AssetCheckSeverity.WARN,
                            description=f"{len(without)} customer(s) without a country",
                            metadata={"customer_ids": MetadataValue.json(without)})


@asset
def orders_by_country(orders: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """Revenue per country."""
    joined = orders.merge(customers, on="customer_id", how="left")
    joined["country"] = joined["country"].fillna("unknown")
    return joined.groupby("country", as_index=False)["amount"].sum()


row_count_bounds = build_metadata_bounds_checks(
    assets=[orders], metadata_key="row_count", min_value=1, max_value=10_000)
orders_schema_changes = build_column_schema_change_checks(assets=[orders])
orders_freshness = build_last_update_freshness_checks(
    assets=[orders], lower_bound_delta=timedelta(hours=24))
freshness_sensor = build_sensor_for_freshness_checks(freshness_checks=orders_freshness)

defs = Definitions(
    assets=[orders, customers, orders_by_country],
    asset_checks=[customers_schema, customers_have_country, *row_count_bounds,
                  *orders_schema_changes, *orders_freshness],
    sensors=[freshness_sensor],
)
