"""@dbt_assets, the translator and the selection helpers, on the parsed jaffle manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from headwater import AssetCheckKey, AssetKey, AssetSelection, Definitions
from headwater_dbt import (
    DbtCliResource,
    DbtManifestAssetSelection,
    DbtProject,
    HeadwaterDbtError,
    HeadwaterDbtManifestNotFoundError,
    HeadwaterDbtTranslator,
    HeadwaterDbtTranslatorSettings,
    build_dbt_asset_selection,
    build_schedule_from_dbt_selection,
    dbt_assets,
    get_asset_key_for_model,
    get_asset_key_for_source,
    get_asset_keys_by_output_name_for_source,
)
from headwater_dbt.node_selection import select_unique_ids


def _all(manifest: Any, **kwargs: Any) -> Any:
    @dbt_assets(manifest=manifest, **kwargs)
    def jaffle_dbt(context, dbt: DbtCliResource):
        yield from dbt.cli(["build"], context=context).stream()

    return jaffle_dbt


def test_one_asset_per_model_seed_and_snapshot_with_sources_as_deps(parsed_jaffle: Path) -> None:
    """Models, seeds and snapshots are assets; a source is an upstream key; deps follow refs."""
    project = DbtProject(parsed_jaffle)
    assets = _all(project.manifest_path)
    assert {k.to_user_string() for k in assets.keys} == {
        "raw_customers", "raw_orders", "stg_customers", "stg_orders", "stg_payments",
        "customers", "daily_orders", "customers_snapshot"}
    assert assets.can_subset
    specs = {s.key: s for s in assets.specs}
    assert {d.asset_key for d in specs[AssetKey("customers")].deps} == {
        AssetKey("stg_customers"), AssetKey("stg_orders")}
    # meta: {headwater: {asset_key: ...}} on the source
    assert {d.asset_key for d in specs[AssetKey("stg_payments")].deps} == {
        AssetKey(["shop", "raw_payments"])}


def test_meta_group_owners_description_schema_and_kinds(parsed_jaffle: Path) -> None:
    """meta: {headwater: {group, owners}} in config is honoured; columns become a schema."""
    specs = {s.key: s for s in _all(DbtProject(parsed_jaffle).manifest_path).specs}
    customers = specs[AssetKey("customers")]
    assert customers.group_name == "marts"
    assert customers.owners == ["team:analytics"]
    assert customers.description == "Customers with their order totals."
    schema = customers.metadata["headwater/column_schema"]
    schema = getattr(schema, "value", schema)
    assert [(c.name, c.type) for c in schema.columns] == [
        ("customer_id", "integer"), ("lifetime_value", "double")]
    assert customers.kinds == {"dbt", "duckdb"}
    assert customers.code_version  # dbt's checksum of the model's code
    assert specs[AssetKey("stg_orders")].group_name is None  # the graph puts it in "default"
    assert specs[AssetKey("daily_orders")].tags["daily"] == ""


def test_dbt_tests_become_checks_blocking_by_severity(parsed_jaffle: Path) -> None:
    """Generic and singular tests are checks of the asset they test; warn ones don't block."""
    checks = {s.key: s for s in _all(DbtProject(parsed_jaffle).manifest_path).check_specs}
    warn = AssetCheckKey(AssetKey("stg_orders"), "accepted_values_stg_orders_status__completed__returned")
    singular = AssetCheckKey(AssetKey("customers"), "assert_positive_lifetime_value")
    unique = AssetCheckKey(AssetKey("stg_customers"), "unique_stg_customers_customer_id")
    assert {warn, singular, unique} <= set(checks)
    assert len(checks) == 8
    assert not checks[warn].blocking
    assert checks[unique].blocking and checks[singular].blocking


def test_checks_can_be_turned_off(parsed_jaffle: Path) -> None:
    """enable_asset_checks=False loads no checks."""
    translator = HeadwaterDbtTranslator(HeadwaterDbtTranslatorSettings(enable_asset_checks=False))
    assets = _all(DbtProject(parsed_jaffle).manifest_path, headwater_dbt_translator=translator)
    assert list(assets.check_specs) == []


def test_select_and_exclude_use_dbt_syntax(parsed_jaffle: Path) -> None:
    """select/exclude accept dbt's methods and graph operators."""
    manifest = DbtProject(parsed_jaffle).manifest_path
    incremental = _all(manifest, select="config.materialized:incremental")
    assert {k.to_user_string() for k in incremental.keys} == {"daily_orders"}
    rest = _all(manifest, exclude="config.materialized:incremental")
    assert AssetKey("daily_orders") not in rest.keys and len(rest.keys) == 7
    upstream = _all(manifest, select="+customers")
    assert {k.to_user_string() for k in upstream.keys} == {
        "raw_customers", "raw_orders", "stg_customers", "stg_orders", "customers"}
    data = json.loads(Path(manifest).read_text())
    assert select_unique_ids(data, "tag:daily") >= {"model.jaffle.daily_orders"}
    assert "model.jaffle.stg_orders" in select_unique_ids(data, "path:models/staging")
    # tests of a selected node come along, as with dbt's default (eager) indirect selection
    assert select_unique_ids(data, "stg_customers,resource_type:model") == {
        "model.jaffle.stg_customers", "test.jaffle.not_null_stg_customers_customer_id.e2cfb1f9aa",
        "test.jaffle.unique_stg_customers_customer_id.c7614daada"}
    assert "model.jaffle.customers" in select_unique_ids(data, "stg_customers+")
    assert "source.jaffle.shop.payments" in select_unique_ids(data, "source:shop")


def test_selection_errors_are_clear(parsed_jaffle: Path) -> None:
    """An empty selection, a stateful method and a missing manifest each say what to do."""
    manifest = DbtProject(parsed_jaffle).manifest_path
    with pytest.raises(HeadwaterDbtError, match="selects no model"):
        _all(manifest, select="tag:nothing_has_this")
    with pytest.raises(HeadwaterDbtError, match="state:"):
        _all(manifest, select="state:modified")
    with pytest.raises(HeadwaterDbtManifestNotFoundError, match="dbt parse"):
        _all(parsed_jaffle / "nowhere" / "manifest.json")


class _Prefixed(HeadwaterDbtTranslator):
    def get_asset_key(self, dbt_resource_props):
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey(f"taxi_{dbt_resource_props['name']}")
        return super().get_asset_key(dbt_resource_props).with_prefix("analytics")

    def get_group_name(self, dbt_resource_props):
        return dbt_resource_props["fqn"][1]

    def get_metadata(self, dbt_resource_props):
        return {"columns": list(dbt_resource_props["columns"]), "sources": dbt_resource_props.get("sources", [])}


def test_translator_overrides_reach_keys_groups_metadata_and_checks(parsed_jaffle: Path) -> None:
    """Overriding get_asset_key/get_group_name/get_metadata changes every spec and check."""
    assets = _all(DbtProject(parsed_jaffle).manifest_path, headwater_dbt_translator=_Prefixed())
    specs = {s.key: s for s in assets.specs}
    customers = specs[AssetKey(["analytics", "customers"])]
    assert customers.group_name == "marts"
    assert getattr(customers.metadata["columns"], "value", customers.metadata["columns"]) == ["customer_id", "lifetime_value"]
    assert {d.asset_key for d in specs[AssetKey(["analytics", "stg_payments"])].deps} == {
        AssetKey("taxi_payments")}
    assert all(c.asset_key.path[0] == "analytics" for c in assets.check_keys)
    assert get_asset_key_for_model([assets], "customers") == AssetKey(["analytics", "customers"])
    assert get_asset_key_for_source([assets], "shop") == AssetKey("taxi_payments")
    assert get_asset_keys_by_output_name_for_source([assets], "shop") == {
        "payments": AssetKey("taxi_payments")}


def test_asset_key_helpers_and_their_errors(parsed_jaffle: Path) -> None:
    """get_asset_key_for_model finds a model; an unknown one names what exists."""
    assets = _all(DbtProject(parsed_jaffle).manifest_path)
    assert get_asset_key_for_model([assets], "stg_orders") == AssetKey("stg_orders")
    assert get_asset_key_for_source([assets], "shop") == AssetKey(["shop", "raw_payments"])
    with pytest.raises(HeadwaterDbtError, match="no dbt model named 'nope'.*stg_orders"):
        get_asset_key_for_model([assets], "nope")


def test_asset_selection_and_schedule_from_dbt_selection(parsed_jaffle: Path) -> None:
    """build_dbt_asset_selection resolves dbt syntax; a schedule targets a job over it."""
    assets = _all(DbtProject(parsed_jaffle).manifest_path)
    selection = build_dbt_asset_selection([assets], dbt_select="stg_orders+")
    assert selection.resolve([assets]) == {
        AssetKey("stg_orders"), AssetKey("customers"), AssetKey("daily_orders")}
    assert AssetCheckKey(AssetKey("stg_orders"), "unique_stg_orders_order_id") in \
        selection.resolve_checks([assets])
    rest = (AssetSelection.all() - selection).resolve([assets])
    assert AssetKey("raw_orders") in rest and AssetKey("customers") not in rest
    schedule = build_schedule_from_dbt_selection(
        [assets], job_name="marts_job", cron_schedule="0 6 * * *", dbt_select="fqn:jaffle.marts.*")
    defs = Definitions(assets=[assets], schedules=[schedule],
                       resources={"dbt": DbtCliResource(project_dir=str(parsed_jaffle))})
    job = defs.resolve_job_def("marts_job")
    assert schedule.cron_schedule == "0 6 * * *"
    assert {k.to_user_string() for k in job.asset_selection} == {"customers", "daily_orders"} \
        if hasattr(job, "asset_selection") else True
    direct = DbtManifestAssetSelection.build(DbtProject(parsed_jaffle).manifest_path,
                                             select="tag:daily")
    assert direct.resolve([assets]) == {AssetKey("daily_orders")}


def test_resource_and_project_refuse_a_folder_without_dbt_project(tmp_path: Path) -> None:
    """DbtProject and DbtCliResource name the folder and the fix."""
    with pytest.raises(HeadwaterDbtError, match="no dbt_project.yml"):
        DbtProject(tmp_path)
    with pytest.raises(Exception, match="no dbt_project.yml"):
        DbtCliResource(project_dir=str(tmp_path))
