"""DltLoadCollectionComponent declared in a defs.yaml, loading into DuckDB in tmp_path."""

from __future__ import annotations

import duckdb
import pytest

from headwater import AssetKey, load_from_defs_folder

LOADS = """
    import dlt

    @dlt.source
    def shop():
        @dlt.resource(primary_key="id")
        def customers():
            '''Everyone who bought something.'''
            yield [{"id": 1, "name": "ada"}, {"id": 2, "name": "bob"}]

        @dlt.resource
        def orders():
            yield [{"id": 10, "customer_id": 1}, {"id": 11, "customer_id": 2},
                   {"id": 12, "customer_id": 2}]

        return customers, orders

    shop_source = shop()
    shop_pipeline = dlt.pipeline(
        pipeline_name="shop",
        destination=dlt.destinations.duckdb("{db}"),
        dataset_name="shop_raw",
        pipelines_dir="{pipelines}",
    )
"""


def make_project(components_project, tmp_path, defs_yaml: str):
    loads = LOADS.replace("{db}", str(tmp_path / "shop.duckdb")).replace(
        "{pipelines}", str(tmp_path / "pipelines"))
    return components_project("dltc", {
        "src/{name}/defs/shop/defs.yaml": defs_yaml,
        "src/{name}/defs/shop/loads.py": loads,
    })


def test_component_loads_are_assets_keyed_by_dataset_and_table(components_project, tmp_path):
    """Each resource is <dataset>/<table>, translated; materializing loads DuckDB."""
    root, _ = make_project(components_project, tmp_path, """
        type: headwater_dlt.DltLoadCollectionComponent
        attributes:
          loads:
            - source: .loads.shop_source
              pipeline: .loads.shop_pipeline
              translation:
                group_name: shop
                key_prefix: ingest
                tags: {team: sales}
    """)
    defs = load_from_defs_folder(project_root=root)
    graph = defs.resolve_asset_graph()
    customers = AssetKey(["ingest", "shop_raw", "customers"])
    assert graph.get(customers).group_name == "shop"
    node = graph.get(customers)
    assert node.spec.tags["team"] == "sales" and node.spec.kinds == {"dlt", "duckdb"}
    assert node.parent_keys == {AssetKey("shop_customers")}
    assert node.spec.description == "Everyone who bought something."

    job = defs.get_implicit_global_asset_job_def()
    result = job.execute_in_process(asset_selection=[AssetKey(["ingest", "shop_raw", "orders"])])
    assert result.success
    assert [m.asset_key for m in result.get_asset_materialization_events()] == [
        AssetKey(["ingest", "shop_raw", "orders"])]
    with duckdb.connect(str(tmp_path / "shop.duckdb"), read_only=True) as conn:
        assert conn.execute("select count(*) from shop_raw.orders").fetchone() == (3,)
        tables = {r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema='shop_raw'"
        ).fetchall()}
    assert "customers" not in tables


def test_a_path_to_the_source_function_names_the_fix(components_project, tmp_path):
    """Pointing source: at the @dlt.source function (not its result) says to call it."""
    root, _ = make_project(components_project, tmp_path, """
        type: headwater_dlt.DltLoadCollectionComponent
        attributes:
          loads:
            - source: .loads.shop
              pipeline: .loads.shop_pipeline
    """)
    with pytest.raises(Exception, match=r"loads\[0\]\.source '\.loads\.shop' .* names a "
                                        r"function, not a dlt DltSource\. Call it"):
        load_from_defs_folder(project_root=root)
