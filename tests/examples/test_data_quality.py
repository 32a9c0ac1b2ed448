"""examples/data_quality: the article's data-quality story, run for real."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import headwater as hw

PATH = Path(__file__).resolve().parents[2] / "examples" / "data_quality" / "quality.py"


def _load():
    spec = importlib.util.spec_from_file_location("quality_example", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_checks_run_with_their_assets_and_one_warns(tmp_path):
    quality = _load()
    hw.Definitions.validate_loadable(quality.defs)
    with hw.instance_for_test(temp_dir=str(tmp_path)) as instance:
        job = quality.defs.get_implicit_global_asset_job_def()
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        assert result.success  # the failing check only warns
        outcomes = {(e.asset_key.to_user_string(), e.check_name): (e.passed, e.severity.value)
                    for e in result.get_asset_check_evaluations()}
        assert outcomes[("orders", "has_rows")] == (True, "ERROR")
        assert outcomes[("customers", "customers_schema")] == (True, "ERROR")
        assert outcomes[("customers", "customers_have_country")] == (False, "WARN")
        assert outcomes[("orders", "row_count_bounds_check")] == (True, "WARN")
        assert outcomes[("orders", "column_schema_change")] == (True, "WARN")  # first run
        assert outcomes[("orders", "freshness_check")] == (True, "WARN")
        latest = instance.get_latest_asset_check_execution_by_key(
            [hw.AssetCheckKey(hw.AssetKey("customers"), "customers_have_country")])
        (record,) = latest.values()
        assert record.status.value == "FAILED"


def test_a_broken_schema_blocks_the_report(tmp_path, monkeypatch):
    quality = _load()
    monkeypatch.setattr(quality, "CUSTOMERS", quality.CUSTOMERS.drop(columns=["country"]))
    result = hw.materialize([quality.orders, quality.customers, quality.orders_by_country,
                             quality.customers_schema], raise_on_error=False)
    assert not result.success
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == {"orders", "customers"}
