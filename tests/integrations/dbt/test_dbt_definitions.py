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
    assert assets.get_io_manager_key_for_asset_key(AssetKey("customers")) == "io_manager"
    stored = _all(DbtProject(parsed_jaffle).manifest_path, io_manager_key="warehouse_io")
    assert stored.get_io_manager_key_for_asset_key(AssetKey("customers")) == "warehouse_io"
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
    assert len(checks) == 9  # the test on the source is not a check
    assert not checks[warn].blocking
    assert checks[unique].blocking and checks[singular].blocking
    # stg_orders -> customers: reads a model built after stg_orders, so it cannot block
    relationship = AssetCheckKey(
        AssetKey("stg_orders"), "relationships_stg_orders_customer_id__customer_id__ref_customers_")
    assert not checks[relationship].blocking
    assert AssetKey("customers") in checks[relationship].additional_deps_keys


def test_checks_can_be_turned_off_and_code_references_on(parsed_jaffle: Path) -> None:
    """enable_asset_checks=False loads no checks; enable_code_references points at the file."""
    translator = HeadwaterDbtTranslator(HeadwaterDbtTranslatorSettings(
        enable_asset_checks=False, enable_code_references=True))
    project = DbtProject(parsed_jaffle)
    assets = _all(project, headwater_dbt_translator=translator)
    assert list(assets.check_specs) == []
    spec = next(s for s in assets.specs if s.key == AssetKey("customers"))
    [reference] = spec.metadata["headwater/code_references"].code_references
    assert reference.file_path == str(parsed_jaffle / "models" / "marts" / "customers.sql")


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


def test_a_yaml_selector_selects(parsed_jaffle: Path) -> None:
    """selector= reads the project's selectors.yml, with union and exclude."""
    assets = _all(DbtProject(parsed_jaffle).manifest_path, selector="staging_without_payments")
    assert {k.to_user_string() for k in assets.keys} == {"stg_customers", "stg_orders"}
    with pytest.raises(HeadwaterDbtError, match="staging_without_payments"):
        _all(DbtProject(parsed_jaffle).manifest_path, selector="nope")


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


def test_a_source_key_resembling_a_model_loads_alone(parsed_jaffle: Path) -> None:
    """Sources are external on purpose: 'taxi_payments' next to 'stg_payments' is no typo."""
    assets = _all(DbtProject(parsed_jaffle).manifest_path, headwater_dbt_translator=_Taxi())
    dbt = DbtCliResource(project_dir=str(parsed_jaffle))
    graph = Definitions(assets=[assets], resources={"dbt": dbt}).resolve_asset_graph()
    assert AssetKey("taxi_payments") in graph.parents(AssetKey("stg_payments"))


class _Taxi(HeadwaterDbtTranslator):
    def get_asset_key(self, dbt_resource_props):
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey(f"taxi_{dbt_resource_props['name']}")
        return super().get_asset_key(dbt_resource_props)


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
    assert defs.resolve_job_def("marts_job") is not None
    assert schedule.cron_schedule == "0 6 * * *"
    assert schedule.job.selection.resolve([assets]) == {
        AssetKey("customers"), AssetKey("daily_orders")}
    direct = DbtManifestAssetSelection.build(DbtProject(parsed_jaffle).manifest_path,
                                             select="tag:daily")
    assert direct.resolve([assets]) == {AssetKey("daily_orders")}


def test_defer_and_state_args_need_a_manifest_in_state_path(parsed_jaffle: Path) -> None:
    """get_defer_args/get_state_args name state_path only when it holds a manifest."""
    empty = DbtCliResource(project_dir=str(parsed_jaffle), state_path="no_state_here")
    assert empty.get_defer_args() == [] and empty.get_state_args() == []
    with_state = DbtCliResource(project_dir=DbtProject(parsed_jaffle, state_path="target"))
    target = str(parsed_jaffle / "target")
    assert with_state.get_defer_args() == ["--defer", "--defer-state", target]
    assert with_state.get_state_args() == ["--state", target]


def test_resource_and_project_refuse_a_folder_without_dbt_project(tmp_path: Path) -> None:
    """DbtProject and DbtCliResource name the folder and the fix."""
    with pytest.raises(HeadwaterDbtError, match="no dbt_project.yml"):
        DbtProject(tmp_path)
    with pytest.raises(Exception, match="no dbt_project.yml"):
        DbtCliResource(project_dir=str(tmp_path))


def test_the_docs_example_loads(jaffle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The example of docs/integrations/dbt.md loads as written, next to the jaffle project."""
    import re
    import runpy

    doc = (Path(__file__).parents[3] / "docs" / "integrations" / "dbt.md").read_text()
    example = re.search(r"```python\n(# defs.py.*?)```", doc, re.S)
    assert example is not None
    defs_file = jaffle.parent / "defs.py"
    defs_file.write_text(example.group(1))
    monkeypatch.delenv("HEADWATER_IS_DEV_CLI", raising=False)
    monkeypatch.delenv("HEADWATER_DBT_PARSE_PROJECT_ON_LOAD", raising=False)
    defs = runpy.run_path(str(defs_file))["defs"]
    job = defs.resolve_job_def("staging_job")
    assert job is not None
    assert defs.resolve_schedule_def("marts_job_schedule").cron_schedule == "0 6 * * *"
    report = defs.resolve_assets_def("customer_report")
    assert AssetKey("customers") in {d.asset_key for d in next(iter(report.specs)).deps}


class _OldStyle(HeadwaterDbtTranslator):
    @classmethod
    def get_asset_key(cls, dbt_resource_props):
        return super().get_asset_key(dbt_resource_props).with_prefix("old")

    @classmethod
    def get_group_name(cls, dbt_resource_props):
        return "legacy"


def test_classmethod_overrides_of_older_dagster_dbt_still_work(parsed_jaffle: Path) -> None:
    """Translators written with @classmethod and super() (older dagster-dbt docs) work."""
    assets = _all(DbtProject(parsed_jaffle).manifest_path, headwater_dbt_translator=_OldStyle())
    spec = next(s for s in assets.specs if s.key == AssetKey(["old", "customers"]))
    assert spec.group_name == "legacy"
    assert _OldStyle.get_asset_key({"resource_type": "model", "name": "x"}) == AssetKey(["old", "x"])


def test_specs_freshness_checks_and_default_helpers(parsed_jaffle: Path) -> None:
    """build_dbt_asset_specs, build_freshness_checks_from_dbt_assets and the default_* helpers
    read the same manifest the same way."""
    from headwater_dbt import (
        build_dbt_asset_specs,
        build_freshness_checks_from_dbt_assets,
        default_group_from_dbt_resource_props,
        group_from_dbt_resource_props_fallback_to_directory,
    )

    manifest = DbtProject(parsed_jaffle).manifest_path
    specs = build_dbt_asset_specs(manifest=manifest, select="path:models/marts")
    assert {s.key for s in specs} == {AssetKey("customers"), AssetKey("daily_orders")}
    [check_def] = build_freshness_checks_from_dbt_assets([_all(manifest)])
    [spec] = list(check_def.check_specs)
    assert spec.asset_key == AssetKey("customers")
    data = json.loads(Path(manifest).read_text())
    customers, orders = data["nodes"]["model.jaffle.customers"], data["nodes"]["model.jaffle.stg_orders"]
    assert default_group_from_dbt_resource_props(customers) == "marts"
    assert default_group_from_dbt_resource_props(orders) is None
    assert group_from_dbt_resource_props_fallback_to_directory(orders) == "staging"
