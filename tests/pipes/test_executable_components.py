"""FunctionComponent, PythonScriptComponent and UvRunComponent declared in defs.yaml files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from headwater import AssetKey, load_from_defs_folder
from headwater.definitions.components.declaration import ComponentDeclarationError
from headwater.pipes.components import find_uv


@pytest.fixture
def project(components_project):
    return components_project("exe", {
        "src/{name}/defs/report/defs.yaml": """
            type: headwater.PythonScriptComponent
            attributes:
              execution:
                path: make_report.py
                args: ["--scale", "3"]
              assets:
                - key: reports/daily
                  deps: [orders]
                  group_name: reporting
              checks:
                - name: not_empty
                  asset: reports/daily
        """,
        "src/{name}/defs/report/make_report.py": """
            import sys
            from pathlib import Path
            from headwater_pipes import open_headwater_pipes

            with open_headwater_pipes() as pipes:
                scale = int(sys.argv[sys.argv.index("--scale") + 1])
                Path("report.txt").write_text("x" * scale)   # cwd is the component folder
                pipes.report_asset_materialization(metadata={"size": scale})
                pipes.report_asset_check(check_name="not_empty", passed=scale > 0)
        """,
        "src/{name}/defs/orders/defs.yaml": """
            type: headwater.FunctionComponent
            attributes:
              execution:
                fn: .logic.load_orders
              assets:
                - key: orders
        """,
        "src/{name}/defs/orders/logic.py": """
            from headwater import Config, MaterializeResult

            class OrdersConfig(Config):
                count: int = 5

            def load_orders(context, config: OrdersConfig):
                context.log.info(f"loading {config.count} orders")
                return MaterializeResult(metadata={"count": config.count})
        """,
    })


def test_script_and_function_components_materialize(project):
    root, name = project
    defs = load_from_defs_folder(project_root=root)
    graph = defs.resolve_asset_graph()
    daily = AssetKey(["reports", "daily"])
    assert graph.get(daily).parent_keys == {AssetKey("orders")}
    assert graph.get(daily).group_name == "reporting"
    result = defs.get_implicit_global_asset_job_def().execute_in_process(
        run_config={"ops": {"load_orders": {"config": {"count": 9}}}})
    assert result.success
    mats = {m.asset_key: m.materialization for m in result.get_asset_materialization_events()}
    assert mats[AssetKey("orders")].metadata["count"].value == 9
    assert mats[daily].metadata["size"].value == 3
    assert [c.passed for c in result.get_asset_check_evaluations()] == [True]
    assert (root / "src" / name / "defs" / "report" / "report.txt").read_text() == "xxx"


def test_a_missing_script_fails_the_step_naming_the_path(project):
    root, name = project
    (root / "src" / name / "defs" / "report" / "make_report.py").unlink()
    defs = load_from_defs_folder(project_root=root)
    result = defs.get_implicit_global_asset_job_def().execute_in_process(raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "make_report.py" in str(failure.event_specific_data.error)


def test_a_bad_function_path_is_refused_at_load(project):
    root, name = project
    (root / "src" / name / "defs" / "orders" / "defs.yaml").write_text(textwrap.dedent("""
        type: headwater.FunctionComponent
        attributes:
          execution: {fn: .logic.no_such_function}
          assets: [{key: orders}]
    """))
    with pytest.raises(Exception, match="no_such_function"):
        load_from_defs_folder(project_root=root)


def test_a_misspelled_attribute_names_file_line_and_key(project):
    root, name = project
    (root / "src" / name / "defs" / "report" / "defs.yaml").write_text(textwrap.dedent("""
        type: headwater.PythonScriptComponent
        attributes:
          execution: {path: make_report.py}
          asets: [{key: x}]
    """))
    with pytest.raises(ComponentDeclarationError, match=r"defs.yaml:5: attributes.asets"):
        load_from_defs_folder(project_root=root)


@pytest.mark.skipif(find_uv() is None, reason="uv is not installed (pip install uv)")
def test_uv_run_component(project, monkeypatch):
    """The script declares its (here: no) dependencies inline, so `uv run` gives it an
    environment of its own; headwater_pipes reaches it through PYTHONPATH."""
    root, name = project
    folder = root / "src" / name / "defs" / "report"
    script = (folder / "make_report.py").read_text().replace("pipes.report_asset_check", "#")
    (folder / "make_report.py").write_text("# /// script\n# dependencies = []\n# ///\n" + script)
    (folder / "defs.yaml").write_text(textwrap.dedent("""
        type: headwater.UvRunComponent
        attributes:
          execution: {path: make_report.py, args: "--scale 2"}
          assets: [{key: reports/daily}]
    """))
    import headwater_pipes

    monkeypatch.setenv("PYTHONPATH", str(Path(headwater_pipes.__file__).parents[1]))
    monkeypatch.setenv("UV_OFFLINE", "1")
    defs = load_from_defs_folder(project_root=root)
    result = defs.get_implicit_global_asset_job_def().execute_in_process()
    [mat] = [m for m in result.get_asset_materialization_events()
             if m.asset_key == AssetKey(["reports", "daily"])]
    assert mat.materialization.metadata["size"].value == 2
