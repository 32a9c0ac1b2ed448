"""A star-schema warehouse on DuckDB, built by dbt and orchestrated by headwater.

Written as a Dagster user writes a dagster-dbt project, with the headwater names:
every dbt seed, snapshot and model of ``dbt_project/`` is an asset, every dbt test
on one of them an asset check, the two file sources are upstream assets, and a
Python asset reads a mart with ``duckdb`` to report monthly revenue.

    cd examples/warehouse
    (cd dbt_project && dbt parse)   # writes the manifest, from inside the project
    headwater dev -f definitions.py

The DuckDB file is ``$WAREHOUSE_DUCKDB_PATH`` (use an absolute path), by default
``dbt_project/warehouse.duckdb``.
"""

# No `from __future__ import annotations`: bench/dbt.py runs this file on Dagster too,
# whose decorators reject a `context` annotation that is a string.
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

from headwater import (
    AssetExecutionContext,
    AssetKey,
    Definitions,
    MaterializeResult,
    MetadataValue,
    asset,
)
from headwater_dbt import (
    DbtCliResource,
    DbtProject,
    HeadwaterDbtTranslator,
    build_schedule_from_dbt_selection,
    dbt_assets,
    get_asset_key_for_model,
)

warehouse_project = DbtProject(project_dir=Path(__file__).resolve().parent / "dbt_project")
warehouse_project.prepare_if_dev()


def warehouse_path() -> str:
    """The DuckDB file dbt builds: the profile's path, resolved the way dbt resolves it."""
    default = Path(warehouse_project.project_dir) / "warehouse.duckdb"
    return os.environ.get("WAREHOUSE_DUCKDB_PATH", str(default))


class WarehouseTranslator(HeadwaterDbtTranslator):
    """File sources under ``shop/``; everything dbt builds under ``warehouse/<schema>/``.

    Groups follow the schema (raw, staging, intermediate, marts, snapshots) unless a
    model's ``meta: {headwater: {group: ...}}`` names one (the finance marts do).
    """

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey(["shop", dbt_resource_props["name"]])
        return AssetKey(["warehouse", dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return None
        return super().get_group_name(dbt_resource_props) or dbt_resource_props["schema"]


@dbt_assets(
    manifest=warehouse_project.manifest_path,
    headwater_dbt_translator=WarehouseTranslator(),
)
def warehouse_dbt_assets(context: AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()


@asset(
    deps=[get_asset_key_for_model([warehouse_dbt_assets], "agg_monthly_revenue")],
    group_name="reporting",
)
def monthly_revenue_report(context: AssetExecutionContext) -> MaterializeResult:
    """Revenue and margin per month, read from the marts, as a Markdown table."""
    with duckdb.connect(warehouse_path(), read_only=True) as con:
        rows = con.sql(
            "select month_start, order_count, net_revenue, margin_rate"
            " from marts.agg_monthly_revenue order by month_start"
        ).fetchall()
    best = max(rows, key=lambda row: row[2])
    total = sum(float(row[2]) for row in rows)
    context.log.info(f"{len(rows)} months, best {best[0]:%Y-%m} with {float(best[2]):,.2f}")
    lines = ["| month | orders | revenue | margin rate |", "|---|---:|---:|---:|"]
    for month, orders, revenue, rate in rows:  # a month without orders has no margin rate
        shown_rate = "-" if rate is None else f"{rate:.1%}"
        lines.append(f"| {month:%Y-%m} | {orders} | {float(revenue):,.2f} | {shown_rate} |")
    return MaterializeResult(
        metadata={
            "months": len(rows),
            "total_revenue": round(total, 2),
            "best_month": f"{best[0]:%Y-%m}",
            "report": MetadataValue.md("\n".join(lines)),
        }
    )


daily_reporting_schedule = build_schedule_from_dbt_selection(
    [warehouse_dbt_assets],
    job_name="daily_reporting",
    cron_schedule="0 6 * * *",
    dbt_select="tag:daily",
)

defs = Definitions(
    assets=[warehouse_dbt_assets, monthly_revenue_report],
    schedules=[daily_reporting_schedule],
    resources={"dbt": DbtCliResource(project_dir=warehouse_project)},
)
