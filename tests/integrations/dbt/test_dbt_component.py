"""DbtProjectComponent: a dbt project declared in a defs.yaml, loaded and run with real dbt."""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from headwater import AssetKey, load_from_defs_folder, materialize
from headwater.definitions.components.declaration import ComponentDeclarationError
from headwater_dbt import DbtProjectComponent, HeadwaterDbtError


@pytest.fixture
def project(tmp_path: Path, jaffle: Path, monkeypatch: pytest.MonkeyPatch):
    """A components project whose defs/transform/defs.yaml declares the jaffle project."""
    name = f"dbtcomp_{tmp_path.name.replace('-', '_').lower()}"
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\n[tool.dg.project]\nroot_module = "{name}"\n')
    package = tmp_path / "src" / name
    (package / "defs" / "transform").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "defs" / "__init__.py").write_text("")
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield tmp_path, package / "defs" / "transform" / "defs.yaml", jaffle
    for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[module]


def test_translation_templates_run_per_node_and_select_limits_the_assets(project) -> None:
    root, defs_yaml, jaffle = project
    defs_yaml.write_text(textwrap.dedent(f"""
        type: headwater_dbt.DbtProjectComponent
        attributes:
          project: '{jaffle}'
          select: "raw_customers stg_customers stg_orders"
          op: {{name: jaffle_build, tags: {{team: data}}}}
          translation:
            key: "warehouse/{{{{ node.name }}}}"
            group_name: "{{{{ node.resource_type }}}}s"
            tags: {{layer: "{{{{ node.fqn[1] }}}}"}}
            automation_condition: "{{{{ automation_condition.eager() }}}}"
    """))
    graph = load_from_defs_folder(project_root=root).resolve_asset_graph()
    stg = graph.spec_by_key[AssetKey(["warehouse", "stg_customers"])]
    assert stg.group_name == "models"
    assert stg.tags["layer"] == "staging"
    assert stg.automation_condition is not None
    # deps are translated with the same key rule
    assert {d.asset_key for d in stg.deps} == {AssetKey(["warehouse", "raw_customers"])}
    assert graph.spec_by_key[AssetKey(["warehouse", "raw_customers"])].group_name == "seeds"
    dbt_keys = {k for k in graph.materializable_keys if k.path[0] == "warehouse"}
    assert dbt_keys == {AssetKey(["warehouse", n]) for n in
                        ("raw_customers", "stg_customers", "stg_orders")}


def test_a_relative_project_runs_dbt_build_for_the_selected_models(project) -> None:
    root, defs_yaml, jaffle = project
    relative = Path("..") / ".." / ".." / ".." / jaffle.relative_to(root)
    defs_yaml.write_text(textwrap.dedent(f"""
        type: headwater_dbt.DbtProjectComponent
        attributes:
          project: {{project_dir: '{relative}'}}
          select: "raw_customers stg_customers"
    """))
    defs = load_from_defs_folder(project_root=root)
    component_assets = list(defs.assets or [])
    result = materialize(component_assets)
    assert result.success
    done = {e.asset_key for e in result.get_asset_materialization_events()}
    assert done == {AssetKey("raw_customers"), AssetKey("stg_customers")}
    with duckdb.connect(str(jaffle / "jaffle.duckdb"), read_only=True) as conn:
        assert conn.execute("select count(*) from stg_customers").fetchone()[0] > 0


def test_python_use_and_asset_key_for_model(jaffle: Path) -> None:
    from headwater_dbt import DbtProject

    component = DbtProjectComponent(project=DbtProject(jaffle))
    assert component.asset_key_for_model("customers") == AssetKey("customers")
    with pytest.raises(HeadwaterDbtError, match="no dbt model"):
        component.asset_key_for_model("nope")


def test_bad_attributes_name_the_key(project) -> None:
    root, defs_yaml, jaffle = project
    defs_yaml.write_text(f"type: headwater_dbt.DbtProjectComponent\nattributes:\n"
                         f"  project: '{jaffle}'\n  selekt: x\n")
    with pytest.raises(ComponentDeclarationError, match="selekt"):
        load_from_defs_folder(project_root=root)


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
