"""Running dbt through @dbt_assets and DbtCliResource: the real dbt, on a copy of jaffle."""

from __future__ import annotations

import json
import os
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
    AssetSelection,
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


def _assets(project: DbtProject, fetch: bool = False, raw: bool = False, **kwargs: Any) -> Any:
    @dbt_assets(manifest=project.manifest_path, **kwargs)
    def jaffle_dbt(context: AssetExecutionContext, dbt: DbtCliResource):
        invocation = dbt.cli(["build"], context=context)
        if raw:  # the documented pattern for customising events
            for dbt_event in invocation.stream_raw_events():
                yield from dbt_event.to_default_asset_events(manifest=project.manifest_path,
                                                             context=context)
        elif fetch:
            yield from invocation.stream().fetch_row_counts().fetch_column_metadata()
        else:
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
    assert len(checks) == 9
    warn = checks["accepted_values_stg_orders_status__completed__returned"]
    assert not warn.passed and warn.severity is AssetCheckSeverity.WARN
    assert checks["assert_positive_lifetime_value"].passed
    assert checks["unique_customers_customer_id"].asset_key == AssetKey("customers")
    seed = next(e for e in result.get_asset_materialization_events()
                if e.asset_key == AssetKey("raw_orders"))
    metadata = seed.materialization.metadata
    assert metadata["unique_id"].value == "seed.jaffle.raw_orders"
    assert metadata["headwater/row_count"].value == 5
    observed = {e.asset_key for e in result.get_asset_observation_events()}
    assert observed == {AssetKey(["shop", "raw_payments"])}  # the test on the source
    with duckdb.connect(str(jaffle / "jaffle.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from customers").fetchone() == (3,)

    only_check = AssetCheckKey(AssetKey("customers"), "unique_customers_customer_id")
    checks_run = materialize([assets], resources={"dbt": DbtCliResource(project_dir=project)},
                             selection=AssetSelection.checks(only_check))
    assert checks_run.success and _keys(checks_run) == set()
    assert set(_checks(checks_run)) == {"unique_customers_customer_id"}


def test_a_subset_runs_only_the_selected_models_and_fetches_metadata(jaffle: Path) -> None:
    """Selecting two assets runs dbt on just those nodes and their tests; fetch_row_counts()
    and fetch_column_metadata() add counts, the warehouse's columns and column lineage."""
    project = DbtProject(jaffle)
    assets = _assets(project, fetch=True)
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
    staged = next(e.materialization.metadata for e in result.get_asset_materialization_events()
                  if e.asset_key == AssetKey("stg_customers"))
    assert staged["headwater/row_count"].value == 3
    schema = staged["headwater/column_schema"].value
    assert [c.name for c in schema.columns] == ["customer_id", "first_name", "last_name"]
    lineage = staged["headwater/column_lineage"].value
    [dep] = lineage.deps_by_column["customer_id"]
    assert (dep.asset_key, dep.column_name) == (AssetKey("raw_customers"), "id")


def _last_run_results(project_dir: Path) -> list[dict[str, Any]]:
    newest = max((project_dir / "target").glob("headwater-*/run_results.json"),
                 key=lambda p: p.stat().st_mtime)
    return list(json.loads(newest.read_text())["results"])


def test_a_failing_model_and_a_failed_blocking_check(jaffle: Path) -> None:
    """In one build: a model that errors fails the step with dbt's own message; a unique test
    (severity error) that fails is recorded as an ERROR and keeps dbt from building what
    reads its model; everything that finished before stays recorded."""
    (jaffle / "models" / "marts" / "daily_orders.sql").write_text(
        "select no_such_column from {{ ref('stg_orders') }}\n")
    (jaffle / "seeds" / "raw_customers.csv").write_text(
        "id,first_name,last_name\n1,Ada,Lovelace\n1,Alan,Turing\n")
    project = DbtProject(jaffle)
    assets = _assets(project, raw=True, select="+customers +daily_orders")
    result = materialize([assets], resources={"dbt": DbtCliResource(project_dir=project)},
                         raise_on_error=False)
    assert not result.success
    assert {"raw_customers", "raw_orders", "stg_customers", "stg_orders"} <= _keys(result)
    assert "daily_orders" not in _keys(result) and "customers" not in _keys(result)
    failure = result.get_step_failure_events()[0]
    text = str(failure.payload) if hasattr(failure, "payload") else str(failure)
    assert "no_such_column" in text and "daily_orders" in text
    unique = _checks(result)["unique_stg_customers_customer_id"]
    assert not unique.passed and unique.severity is AssetCheckSeverity.ERROR


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

    assert daily.backfill_policy is not None  # single run over a range, by default
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


def test_closing_the_stream_early_stops_dbt(jaffle: Path) -> None:
    """A reader that stops (a canceled step) terminates the dbt process."""
    dbt = DbtCliResource(project_dir=str(jaffle))
    invocation = dbt.cli(["build"], manifest=DbtProject(jaffle).manifest_path)
    events = invocation.stream_raw_events()
    next(events)
    events.close()
    assert invocation.process.poll() is not None


def test_prepare_and_package_from_the_command_line(jaffle: Path, tmp_path: Path) -> None:
    """`python -m headwater_dbt.project prepare-and-package --file f.py` parses the project
    and copies it to its packaged_project_dir, which DbtProject then prefers."""
    manifest = jaffle / "target" / "manifest.json"
    before = manifest.stat().st_mtime_ns
    packaged = tmp_path / "packaged"
    defs_file = tmp_path / "project.py"
    defs_file.write_text(
        "from headwater_dbt import DbtProject\n"
        f"project = DbtProject({str(jaffle)!r}, packaged_project_dir={str(packaged)!r})\n")
    from headwater_dbt.project import main

    assert main(["prepare-and-package", "--file", str(defs_file)]) == 0
    assert manifest.stat().st_mtime_ns > before  # parsed again
    assert (packaged / "target" / "manifest.json").exists()
    assert DbtProject(jaffle, packaged_project_dir=packaged).project_dir == packaged
    assert main(["prepare"]) == 2  # usage


def test_prepare_and_package_a_definitions_file_without_a_manifest(jaffle: Path,
                                                                   tmp_path: Path) -> None:
    """A file whose @dbt_assets read the manifest (after prepare_if_dev) is prepared on a fresh
    checkout: it runs as a development load, so the manifest exists before it is read."""
    import shutil

    shutil.rmtree(jaffle / "target")
    defs_file = tmp_path / "definitions.py"
    defs_file.write_text(
        "from headwater_dbt import DbtCliResource, DbtProject, dbt_assets\n"
        f"project = DbtProject({str(jaffle)!r})\n"
        "project.prepare_if_dev()\n"
        "@dbt_assets(manifest=project.manifest_path)\n"
        "def jaffle_dbt(context, dbt: DbtCliResource):\n"
        "    yield from dbt.cli(['build'], context=context).stream()\n")
    from headwater_dbt.project import PARSE_ON_LOAD_ENV, main

    assert main(["prepare-and-package", "--file", str(defs_file)]) == 0
    assert (jaffle / "target" / "manifest.json").exists()
    assert PARSE_ON_LOAD_ENV not in os.environ
