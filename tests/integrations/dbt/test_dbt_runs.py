"""Running dbt through @dbt_assets and DbtCliResource: the real dbt, on a copy of jaffle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from headwater import (
    AssetCheckKey,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    DailyPartitionsDefinition,
    materialize,
)
from headwater_dbt import (
    DbtCliResource,
    DbtProject,
    HeadwaterDbtCliRuntimeError,
    HeadwaterDbtError,
    dbt_assets,
)


def _assets(project: DbtProject, **kwargs: Any) -> Any:
    @dbt_assets(manifest=project.manifest_path, **kwargs)
    def jaffle_dbt(context: AssetExecutionContext, dbt: DbtCliResource):
        invocation = dbt.cli(["build"], context=context)
        yield from invocation.stream()
        context.log.info(f"{len(invocation.get_artifact('run_results.json')['results'])} results")

    return jaffle_dbt


def _keys(result: Any) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def _checks(result: Any) -> dict[str, Any]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_materialize_all_records_assets_checks_and_metadata(jaffle: Path) -> None:
    """dbt build materializes every model, seed and snapshot and records each test's check."""
    project = DbtProject(jaffle)
    assets = _assets(project, exclude="config.materialized:incremental")
    result = materialize([assets], resources={"dbt": DbtCliResource(project_dir=project)})
    assert result.success
    assert _keys(result) == {"raw_customers", "raw_orders", "stg_customers", "stg_orders",
                             "stg_payments", "customers", "customers_snapshot"}
    checks = _checks(result)
    assert len(checks) == 8
    warn = checks["accepted_values_stg_orders_status__completed__returned"]
    assert not warn.passed and warn.severity is AssetCheckSeverity.WARN
    assert checks["assert_positive_lifetime_value"].passed
    assert checks["unique_customers_customer_id"].asset_key == AssetKey("customers")
    seed = next(e for e in result.get_asset_materialization_events()
                if e.asset_key == AssetKey("raw_orders"))
    metadata = seed.materialization.metadata
    assert metadata["unique_id"].value == "seed.jaffle.raw_orders"
    assert metadata["headwater/row_count"].value == 5
    with duckdb.connect(str(jaffle / "jaffle.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from customers").fetchone() == (3,)


def test_a_subset_runs_only_the_selected_models(jaffle: Path) -> None:
    """Selecting two assets runs dbt on just those nodes and their tests."""
    project = DbtProject(jaffle)
    assets = _assets(project)
    result = materialize([assets], resources={"dbt": DbtCliResource(project_dir=project)},
                         selection=["raw_customers", "stg_customers"])
    assert result.success
    assert _keys(result) == {"raw_customers", "stg_customers"}
    assert set(_checks(result)) == {"unique_stg_customers_customer_id",
                                    "not_null_stg_customers_customer_id"}
    ran = {r["unique_id"] for r in _last_run_results(jaffle)} - {"operation.jaffle.jaffle-on-run-start-0"}
    assert ran == {"seed.jaffle.raw_customers", "model.jaffle.stg_customers",
                   "test.jaffle.unique_stg_customers_customer_id.c7614daada",
                   "test.jaffle.not_null_stg_customers_customer_id.e2cfb1f9aa"}


def _last_run_results(project_dir: Path) -> list[dict[str, Any]]:
    newest = max((project_dir / "target").glob("headwater-*/run_results.json"),
                 key=lambda p: p.stat().st_mtime)
    return list(json.loads(newest.read_text())["results"])


def test_a_failing_model_fails_the_step_with_dbts_message_and_keeps_earlier_ones(jaffle: Path
                                                                                  ) -> None:
    """A model that errors fails the step with dbt's own error; what finished is recorded."""
    (jaffle / "models" / "marts" / "customers.sql").write_text(
        "select no_such_column from {{ ref('stg_customers') }}\n")
    project = DbtProject(jaffle)
    assets = _assets(project, select="+customers")
    result = materialize([assets], resources={"dbt": DbtCliResource(project_dir=project)},
                         raise_on_error=False)
    assert not result.success
    assert {"raw_customers", "stg_customers"} <= _keys(result)
    assert "customers" not in _keys(result)
    failure = result.get_step_failure_events()[0]
    text = str(failure.payload) if hasattr(failure, "payload") else str(failure)
    assert "no_such_column" in text and "customers" in text


def test_a_failed_blocking_check_stops_its_downstream(jaffle: Path) -> None:
    """A unique test with severity error that fails keeps dbt from building what reads the
    model, and fails the step; the failed check is recorded as an ERROR."""
    (jaffle / "seeds" / "raw_customers.csv").write_text(
        "id,first_name,last_name\n1,Ada,Lovelace\n1,Alan,Turing\n")
    project = DbtProject(jaffle)
    assets = _assets(project, select="+customers")
    result = materialize([assets], resources={"dbt": DbtCliResource(project_dir=project)},
                         raise_on_error=False)
    assert not result.success
    checks = _checks(result)
    unique = checks["unique_stg_customers_customer_id"]
    assert not unique.passed and unique.severity is AssetCheckSeverity.ERROR
    assert "stg_customers" in _keys(result) and "customers" not in _keys(result)


def test_partitioned_assets_pass_the_time_window_as_vars_and_events_stream_live(
        jaffle: Path) -> None:
    """The documented pattern: --vars from context.partition_time_window narrows the model."""
    project = DbtProject(jaffle)
    dbt = DbtCliResource(project_dir=project)
    upstream = dbt.cli(["build", "--exclude", "daily_orders"], manifest=project.manifest_path)
    live = []
    for event in upstream.stream():
        if isinstance(event, AssetMaterialization):
            live.append(upstream.process.poll() is None)
    assert live and live[0], "the first materialization arrived only after dbt had exited"
    assert upstream.is_successful()

    @dbt_assets(manifest=project.manifest_path, select="config.materialized:incremental",
                partitions_def=DailyPartitionsDefinition(start_date="2024-01-01"))
    def daily(context: AssetExecutionContext, dbt: DbtCliResource):
        window = context.partition_time_window
        dbt_vars = {"min_date": window.start.strftime("%Y-%m-%d"),
                    "max_date": window.end.strftime("%Y-%m-%d")}
        yield from dbt.cli(["build", "--vars", json.dumps(dbt_vars)], context=context).stream()

    result = materialize([daily], resources={"dbt": dbt}, partition_key="2024-01-02")
    assert result.success
    [event] = result.get_asset_materialization_events()
    assert event.asset_key == AssetKey("daily_orders") and event.partition == "2024-01-02"
    with duckdb.connect(str(jaffle / "jaffle.duckdb"), read_only=True) as con:
        rows = con.execute("select cast(order_date as varchar), orders from daily_orders").fetchall()
    assert rows == [("2024-01-02", 2)]


def test_a_project_that_does_not_parse_gives_dbts_error(jaffle: Path, monkeypatch) -> None:
    """prepare_if_dev parses under HEADWATER_DBT_PARSE_PROJECT_ON_LOAD; a broken project's
    parse error names the project and carries dbt's message."""
    (jaffle / "models" / "staging" / "bad.sql").write_text("select * from {{ ref('missing_model') }}\n")
    project = DbtProject(jaffle)
    monkeypatch.delenv("HEADWATER_DBT_PARSE_PROJECT_ON_LOAD", raising=False)
    monkeypatch.delenv("HEADWATER_IS_DEV_CLI", raising=False)
    project.prepare_if_dev()  # not a dev load: nothing runs
    monkeypatch.setenv("HEADWATER_DBT_PARSE_PROJECT_ON_LOAD", "1")
    with pytest.raises(HeadwaterDbtError, match="missing_model") as info:
        project.prepare_if_dev()
    assert str(jaffle) in str(info.value)


def test_cli_without_raise_on_error_reports_failure(jaffle: Path) -> None:
    """raise_on_error=False lets the caller look at the failure instead of raising."""
    dbt = DbtCliResource(project_dir=str(jaffle))
    invocation = dbt.cli(["run", "--select", "stg_customers"], raise_on_error=False)
    assert not invocation.is_successful()  # its seed was never loaded
    error = invocation.get_error()
    assert isinstance(error, HeadwaterDbtCliRuntimeError) and "raw_customers" in str(error)
    assert AssetCheckKey  # imported for the public surface
