"""examples/warehouse: the dbt project built by real dbt on DuckDB, through headwater_dbt."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import headwater as hw

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "warehouse"
DBT = Path(sys.executable).parent / "dbt"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def parsed_example(tmp_path_factory):
    """The example copied out of the repo, its manifest written by one `dbt parse`."""
    root = tmp_path_factory.mktemp("example") / "warehouse"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(
        "target", "logs", "*.duckdb", "*.duckdb.wal", "__pycache__"))
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           "WAREHOUSE_DUCKDB_PATH": str(root / "parse.duckdb")}
    subprocess.run([str(DBT), "parse", "--quiet"], cwd=root / "dbt_project", env=env, check=True)
    return root


@pytest.fixture
def warehouse(parsed_example, tmp_path, monkeypatch):
    """The example's definitions module, with its DuckDB file in tmp_path."""
    db = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("WAREHOUSE_DUCKDB_PATH", str(db))
    monkeypatch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    monkeypatch.setenv("PATH", f"{DBT.parent}{os.pathsep}{os.environ['PATH']}")
    spec = importlib.util.spec_from_file_location(
        "warehouse_definitions", parsed_example / "definitions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, db


def test_the_definitions_load_with_the_translator_keys_groups_and_schedule(warehouse):
    """Models are keyed warehouse/<schema>/<name>, sources shop/<name>; meta groups apply."""
    module, _ = warehouse
    hw.Definitions.validate_loadable(module.defs)
    specs = {spec.key: spec for spec in module.warehouse_dbt_assets.specs}
    assert len(specs) == 33  # 5 seeds, 1 snapshot, 27 models
    fct = specs[hw.AssetKey(["warehouse", "marts", "fct_orders"])]
    assert fct.group_name == "marts"
    assert specs[hw.AssetKey(["warehouse", "marts", "agg_monthly_revenue"])].group_name == "finance"
    assert specs[hw.AssetKey(["warehouse", "raw", "raw_orders"])].group_name == "raw"
    assert hw.AssetKey(["shop", "payments"]) in {
        dep.asset_key for dep in specs[hw.AssetKey(["warehouse", "staging", "stg_payments"])].deps}
    report = module.monthly_revenue_report
    assert {dep.asset_key for dep in report.specs[0].deps} == {
        hw.AssetKey(["warehouse", "marts", "agg_monthly_revenue"])}
    schedule = module.defs.resolve_schedule_def("daily_reporting_schedule")
    assert schedule.cron_schedule == "0 6 * * *"
    job = module.defs.resolve_job_def("daily_reporting")
    selected = job.asset_layer.executable_asset_keys & set(specs)
    assert {key.path[-1] for key in selected} == {
        "agg_daily_revenue", "agg_monthly_revenue", "agg_category_monthly",
        "agg_product_performance", "agg_customer_lifetime_value", "agg_country_revenue",
        "agg_channel_conversion"}


def test_everything_materializes_with_real_dbt_and_the_report_reads_the_mart(warehouse, tmp_path):
    """One run: dbt builds 33 assets and runs 50 tests (one warns), then the Python report."""
    module, db = warehouse
    with hw.instance_for_test(temp_dir=str(tmp_path / "home")) as instance:
        result = module.defs.get_implicit_global_asset_job_def().execute_in_process(
            instance=instance)
        assert result.success
        keys = {e.asset_key for e in result.get_asset_materialization_events()}
        assert len(keys) == 34
        assert hw.AssetKey("monthly_revenue_report") in keys
        evaluations = result.get_asset_check_evaluations()
        failed = {(e.check_name, e.severity.value) for e in evaluations if not e.passed}
        assert failed == {("not_null_stg_customers_phone", "WARN")}
        assert len(evaluations) == 47  # of 50 tests, 2 on a source and 1 on two models
        report = result.asset_materializations_for_node("monthly_revenue_report")[0].metadata
        assert report["months"].value == 24
        assert "| 2025-12 |" in report["report"].value
        stored = instance.get_latest_materialization_event(
            hw.AssetKey(["warehouse", "marts", "fct_orders"]))
        assert stored is not None and stored.run_id == result.run_id
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_orders").fetchone() == (2400,)
        assert con.execute("select count(*) from snapshots.customers_snapshot").fetchone() == (300,)
