"""HeadwaterDltTranslator's default rules, its overrides, and the definition errors of
@dlt_assets / build_dlt_asset_specs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest

from headwater import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    AutomationCondition,
    Definitions,
    HeadwaterInvalidDefinitionError,
    materialize,
)
from headwater_dlt import (
    DltResourceTranslatorData,
    HeadwaterDltResource,
    HeadwaterDltTranslator,
    build_dlt_asset_specs,
    dlt_assets,
)


@dlt.source
def shop():
    @dlt.resource(primary_key="id")
    def customers():
        """Everyone who ever bought something."""
        yield [{"id": 1, "name": "ada"}, {"id": 2, "name": "bob"}]

    @dlt.transformer(data_from=customers)
    def customer_orders(page):
        yield [{"customer_id": c["id"], "order": n} for c in page for n in range(c["id"])]

    @dlt.transformer(data_from=customer_orders)
    def order_lines(page):
        yield [{"customer_id": o["customer_id"], "order": o["order"], "qty": 1} for o in page]

    return customers, customer_orders, order_lines


def shop_pipeline(tmp_path: Path, destination: Any = None) -> Any:
    return dlt.pipeline(
        pipeline_name="shop",
        destination=destination or dlt.destinations.duckdb(str(tmp_path / "shop.duckdb")),
        dataset_name="shop_raw",
        pipelines_dir=str(tmp_path / "pipelines"),
    )


def test_default_specs_follow_the_dagster_dlt_rules(tmp_path):
    """Keys dlt_<source>_<resource>; deps <source>_<root resource>; docstring description;
    kinds dlt + destination; no group, owners or tags."""
    specs = {s.key: s for s in build_dlt_asset_specs(shop(), shop_pipeline(tmp_path))}
    assert set(specs) == {AssetKey("dlt_shop_customers"), AssetKey("dlt_shop_customer_orders"),
                          AssetKey("dlt_shop_order_lines")}
    deps = {k.to_user_string(): [d.asset_key.to_user_string() for d in s.deps]
            for k, s in specs.items()}
    assert deps == {"dlt_shop_customers": ["shop_customers"],
                    "dlt_shop_customer_orders": ["shop_customers"],
                    "dlt_shop_order_lines": ["shop_customers"]}
    customers = specs[AssetKey("dlt_shop_customers")]
    assert customers.description == "Everyone who ever bought something."
    assert customers.kinds == {"dlt", "duckdb"}
    assert customers.group_name is None and customers.owners == [] and customers.automation_condition is None
    assert {k for k in customers.metadata} == {"headwater_dlt/source", "headwater_dlt/pipeline",
                                                "headwater_dlt/translator"}


def test_translator_data_takes_the_destination_from_the_pipeline(tmp_path):
    """DltResourceTranslatorData(resource, pipeline).destination is the pipeline's; without a
    pipeline the kinds are just 'dlt'."""
    resource = shop().resources["customers"]
    data = DltResourceTranslatorData(resource=resource, pipeline=shop_pipeline(tmp_path))
    assert data.destination is not None and data.destination.destination_name == "duckdb"
    bare = HeadwaterDltTranslator().get_asset_spec(DltResourceTranslatorData(resource=resource))
    assert bare.kinds == {"dlt"}


class WarehouseTranslator(HeadwaterDltTranslator):
    """Keys under warehouse/<table>, one group, owners, tags, metadata and a condition."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        spec = super().get_asset_spec(data)
        return spec.replace_attributes(
            key=AssetKey(["warehouse", data.resource.name]),
            deps=[AssetKey(["api", "shop"])],
            group_name="ingest",
            owners=["team:data"],
            tags={"layer": "raw"},
            metadata={"source_system": "shop api"},
            automation_condition=AutomationCondition.on_cron("0 6 * * *"),
        )


def test_get_asset_spec_override_changes_keys_and_what_runs_reports(tmp_path):
    """The overridden keys are the assets' keys, and run() reports under them."""

    @dlt_assets(dlt_source=shop(), dlt_pipeline=shop_pipeline(tmp_path),
                headwater_dlt_translator=WarehouseTranslator())
    def shop_assets(context: AssetExecutionContext, dlt: HeadwaterDltResource):
        yield from dlt.run(context=context)

    key = AssetKey(["warehouse", "customers"])
    spec = shop_assets.specs_by_key[key]
    assert spec.group_name == "ingest" and spec.owners == ["team:data"]
    assert spec.tags["layer"] == "raw" and spec.metadata["source_system"] == "shop api"
    assert [d.asset_key for d in spec.deps] == [AssetKey(["api", "shop"])]
    assert spec.automation_condition is not None

    result = materialize([shop_assets], resources={"dlt": HeadwaterDltResource()},
                         selection=[key, AssetKey(["warehouse", "customer_orders"])])
    assert {m.asset_key for m in result.get_asset_materialization_events()} == {
        key, AssetKey(["warehouse", "customer_orders"])}
    with duckdb.connect(str(tmp_path / "shop.duckdb"), read_only=True) as conn:
        assert conn.execute("select count(*) from shop_raw.customer_orders").fetchone() == (3,)
        names = {r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema='shop_raw'"
        ).fetchall()}
    assert "order_lines" not in names


def test_older_per_field_overrides_are_honoured(tmp_path):
    """A translator written against get_asset_key / get_group_name / get_kinds still works."""

    class Legacy(HeadwaterDltTranslator):
        def get_asset_key(self, resource):
            return AssetKey(["shop", resource.name])

        def get_group_name(self, resource):
            return "legacy"

        def get_kinds(self, resource, destination):
            return {"dlt", "warehouse"}

    specs = build_dlt_asset_specs(shop(), shop_pipeline(tmp_path), Legacy())
    assert {s.key for s in specs} == {AssetKey(["shop", n]) for n in
                                      ("customers", "customer_orders", "order_lines")}
    assert {s.group_name for s in specs} == {"legacy"}
    assert specs[0].kinds == {"dlt", "warehouse"}


def test_dlt_assets_take_a_group_and_load_in_definitions(tmp_path):
    """name=, op_tags= and pool= are the op's; group_name= puts every asset in the group; the
    external deps resolve in Definitions."""

    @dlt_assets(dlt_source=shop(), dlt_pipeline=shop_pipeline(tmp_path), group_name="shop",
                name="shop_load", op_tags={"team": "data"}, pool="dlt")
    def shop_assets(context: AssetExecutionContext, dlt: HeadwaterDltResource):
        yield from dlt.run(context=context)

    assert shop_assets.node_def.name == "shop_load"
    assert shop_assets.node_def.tags["team"] == "data" and shop_assets.node_def.pool == "dlt"
    assert {s.group_name for s in shop_assets.specs} == {"shop"}
    defs = Definitions(assets=[shop_assets], resources={"dlt": HeadwaterDltResource()})
    graph = defs.resolve_asset_graph()
    assert AssetKey("shop_customers") in graph.external_keys


def test_group_name_and_a_grouping_translator_conflict(tmp_path):
    """Both say which group the assets are in: the error names the assets and the fix."""
    with pytest.raises(HeadwaterInvalidDefinitionError,
                       match=r"group_name='mine' conflicts with the groups the translator gives "
                             r"to 'warehouse/customers'.*Drop group_name="):
        @dlt_assets(dlt_source=shop(), dlt_pipeline=shop_pipeline(tmp_path), group_name="mine",
                    headwater_dlt_translator=WarehouseTranslator())
        def shop_assets(context, dlt: HeadwaterDltResource):
            yield from dlt.run(context=context)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"dlt_source": shop}, r"dlt_source= got the function 'shop' instead of the source it "
                           r"makes\. Call it: dlt_source=shop\(\)"),
    ({"dlt_source": "shop"}, r"dlt_source= must be a dlt source .* got str"),
    ({"dlt_pipeline": "shop"}, r"dlt_pipeline= must be a dlt Pipeline, got str\. Create it with "
                               r"dlt\.pipeline"),
    ({"headwater_dlt_translator": WarehouseTranslator},
     r"got the class WarehouseTranslator; pass an instance"),
])
def test_wrong_arguments_are_refused_with_the_fix(tmp_path, kwargs, message):
    """Passing the source function, a string, or a translator class names the fix."""
    arguments = {"dlt_source": shop(), "dlt_pipeline": shop_pipeline(tmp_path), **kwargs}
    with pytest.raises(HeadwaterInvalidDefinitionError, match=message):
        dlt_assets(**arguments)


def test_a_single_resource_is_not_a_source(tmp_path):
    """A dlt resource passed as the source says how to wrap it."""
    with pytest.raises(HeadwaterInvalidDefinitionError,
                       match=r"got the dlt resource 'customers', not a source"):
        dlt_assets(dlt_source=shop().resources["customers"], dlt_pipeline=shop_pipeline(tmp_path))


def test_a_source_with_nothing_selected_has_no_assets(tmp_path):
    """Deselecting every resource leaves nothing to build: the error says how to select."""
    source = shop()
    for resource in source.resources.values():
        resource.selected = False
    with pytest.raises(HeadwaterInvalidDefinitionError, match=r"has no selected resources"):
        build_dlt_asset_specs(source, shop_pipeline(tmp_path))


def test_two_resources_mapped_to_one_key_are_refused(tmp_path):
    """A translator that gives two resources the same key is caught at definition time."""

    class OneKey(HeadwaterDltTranslator):
        def get_asset_spec(self, data):
            return super().get_asset_spec(data).replace_attributes(key="everything")

    with pytest.raises(HeadwaterInvalidDefinitionError,
                       match=r"'customers' and 'customer_orders' of source 'shop' both map to "
                             r"asset key 'everything'"):
        build_dlt_asset_specs(shop(), shop_pipeline(tmp_path), OneKey())


def test_hooks_run_after_the_load(tmp_path):
    """hooks= are the op's: a success hook sees the step that loaded the source."""
    from headwater import success_hook

    seen = []

    @success_hook
    def note(context):
        seen.append(context.op.name)

    @dlt_assets(dlt_source=shop(), dlt_pipeline=shop_pipeline(tmp_path), hooks={note})
    def shop_assets(context: AssetExecutionContext, dlt: HeadwaterDltResource):
        yield from dlt.run(context=context)

    assert materialize([shop_assets], resources={"dlt": HeadwaterDltResource()}).success
    assert seen == ["shop_assets"]
