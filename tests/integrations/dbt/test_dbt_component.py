"""DbtProjectComponent: a dbt project declared in defs.yaml loads and runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from headwater import AssetKey, load_from_defs_folder, materialize
from headwater.definitions.components.declaration import ComponentDeclarationError


def test_a_defs_yaml_dbt_project_loads_and_materializes(components_project, parsed_jaffle: Path,
                                                        monkeypatch) -> None:
    """The component's project path is relative to its folder; its assets run dbt."""
    root, name = components_project("dbtproj", {
        "src/{name}/defs/warehouse/defs.yaml": """
            type: headwater_dbt.DbtProjectComponent
            attributes:
              project: ../../../../jaffle
              select: "+stg_customers"
              op:
                name: warehouse_dbt
            """,
    })
    shutil.copytree(parsed_jaffle, root / "jaffle")
    monkeypatch.delenv("HEADWATER_IS_DEV_CLI", raising=False)
    monkeypatch.delenv("HEADWATER_DBT_PARSE_PROJECT_ON_LOAD", raising=False)
    defs = load_from_defs_folder(project_root=root)
    graph = defs.resolve_asset_graph()
    assert {AssetKey("raw_customers"), AssetKey("stg_customers")} <= set(graph.all_keys)
    assets = defs.resolve_assets_def("stg_customers")
    assert assets.node_def.name == "warehouse_dbt"
    result = materialize([assets])
    assert result.success
    assert {e.asset_key for e in result.get_asset_materialization_events()} == {
        AssetKey("raw_customers"), AssetKey("stg_customers")}


def test_an_unknown_attribute_is_refused(components_project, parsed_jaffle: Path) -> None:
    """Attributes headwater_dbt does not offer (e.g. translation:) fail at load, by name."""
    root, _ = components_project("dbtbad", {
        "src/{name}/defs/warehouse/defs.yaml": """
            type: headwater_dbt.DbtProjectComponent
            attributes:
              project: ../../../../jaffle
              translation:
                group_name: x
            """,
    })
    shutil.copytree(parsed_jaffle, root / "jaffle")
    with pytest.raises((ComponentDeclarationError, Exception), match="translation"):
        load_from_defs_folder(project_root=root)
