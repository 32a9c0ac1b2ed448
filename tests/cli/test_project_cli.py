"""The project commands on a scaffolded components project: scaffold, list defs, check defs,
launch --assets, and `headwater dev` serving it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from click.testing import CliRunner

import headwater
from headwater import AssetKey
from headwater.cli.main import main
from headwater.storage.instance import HeadwaterInstance


def _env(home) -> dict[str, str]:
    """The environment of a headwater subprocess run in the project folder: this headwater
    first on the path (the project folder is the current directory)."""
    here = os.path.dirname(os.path.dirname(headwater.__file__))
    path = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "HEADWATER_HOME": str(home), "PYTHONPATH": path}
    env.pop("HEADWATER_TOKEN", None)
    env.pop("HEADWATER_WEBSERVER_TOKEN", None)
    return env


def _headwater(args: list[str], cwd, home) -> subprocess.CompletedProcess[str]:
    env = _env(home)
    return subprocess.run([sys.executable, "-m", "headwater.cli.main", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def scaffolded(tmp_path):
    result = CliRunner().invoke(main, ["project", "scaffold", "shop-data", "--root",
                                       str(tmp_path)])
    assert result.exit_code == 0, result.output
    return tmp_path / "shop-data"


def test_scaffold_writes_a_components_project(scaffolded):
    assert '[tool.dg.project]\nroot_module = "shop_data"' in (
        scaffolded / "pyproject.toml").read_text()
    package = scaffolded / "src" / "shop_data"
    assert "load_from_defs_folder" in (package / "definitions.py").read_text()
    assert (package / "defs" / "assets.py").is_file()
    assert "type: shop_data.components.static_tables.StaticTables" in (
        package / "defs" / "tables" / "defs.yaml").read_text()


def test_scaffold_refuses_an_existing_folder_and_a_bad_name(scaffolded):
    runner = CliRunner()
    again = runner.invoke(main, ["project", "scaffold", "shop-data", "--root",
                                 str(scaffolded.parent)])
    assert again.exit_code == 1 and "already exists" in again.output
    bad = runner.invoke(main, ["project", "scaffold", "9lives", "--root", str(scaffolded.parent)])
    assert bad.exit_code == 1 and "Python package name" in bad.output


def test_list_check_and_launch_a_scaffolded_project(scaffolded, tmp_path, monkeypatch):
    home = tmp_path / "home"
    listed = _headwater(["list", "defs", "--json"], scaffolded, home)
    assert listed.returncode == 0, listed.stderr
    assets = json.loads(listed.stdout)["assets"]
    assert assets == [{"key": "customers", "group": "tables"},
                      {"key": "hello", "group": "default"},
                      {"key": "orders", "group": "tables"}]
    checked = _headwater(["check", "defs"], scaffolded, home)
    assert checked.returncode == 0, checked.stderr
    assert "shop-data: all definitions loaded and valid (3 assets)" in checked.stdout
    launched = _headwater(["launch", "--assets", "*", "--json"], scaffolded, home)
    assert launched.returncode == 0, launched.stderr
    done = json.loads(launched.stdout)
    assert done["success"] and done["materialized"] == ["customers", "hello", "orders"]
    monkeypatch.setenv("HEADWATER_HOME", str(home))
    recorded = HeadwaterInstance.get().get_latest_materialization_event(AssetKey("orders"))
    assert recorded is not None and recorded.run_id == done["run_id"]


def test_launch_refuses_an_empty_selection(scaffolded, tmp_path):
    launched = _headwater(["launch", "--assets", "nothing_here"], scaffolded, tmp_path / "home")
    assert launched.returncode == 1
    assert "['nothing_here']" in launched.stderr and "no assets with these keys" in launched.stderr


def test_check_defs_reports_a_bad_defs_yaml(scaffolded, tmp_path):
    yaml_path = scaffolded / "src" / "shop_data" / "defs" / "tables" / "defs.yaml"
    yaml_path.write_text(yaml_path.read_text().replace("rows: 3", "rows: many"))
    checked = _headwater(["check", "defs"], scaffolded, tmp_path / "home")
    assert checked.returncode == 1
    assert f"{yaml_path}:4: attributes.rows:" in checked.stderr


def _served_asset_keys(project, home) -> list[str]:
    """The asset keys `headwater dev` serves for the project (its webserver's API)."""
    pytest.importorskip("uvicorn")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "headwater.cli.main", "dev", "--no-daemon", "-p", str(port),
         "-h", "127.0.0.1"], cwd=project, env=_env(home), stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/assets",
                                            timeout=2) as response:
                    assets = json.loads(response.read())
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        return sorted(a["key"] for a in assets["items"])
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_dev_serves_a_scaffolded_project(scaffolded, tmp_path):
    assert _served_asset_keys(scaffolded, tmp_path / "home") == ["customers", "hello", "orders"]


def test_scaffold_defs_adds_an_asset_a_schedule_and_a_component(scaffolded, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    runner = CliRunner()
    defs_dir = scaffolded / "src" / "shop_data" / "defs"
    for kind, path in (("headwater.asset", "more/extra.py"), ("headwater.schedule", "daily.py"),
                       ("shop_data.components.static_tables.StaticTables", "stock")):
        made = runner.invoke(main, ["scaffold", "defs", kind, path, "-d", str(scaffolded)])
        assert made.exit_code == 0, made.output
    for name in [m for m in sys.modules if m == "shop_data" or m.startswith("shop_data.")]:
        monkeypatch.delitem(sys.modules, name)
    declared = (defs_dir / "stock" / "defs.yaml").read_text()
    assert declared == ("type: shop_data.components.static_tables.StaticTables\n"
                        "attributes:\n  # table_names: (required)\n  rows: 3\n")
    home = tmp_path / "home"
    missing = _headwater(["check", "defs"], scaffolded, home)
    assert missing.returncode == 1
    assert "stock/defs.yaml:2: attributes.table_names: required by StaticTables" in missing.stderr
    (defs_dir / "stock" / "defs.yaml").write_text(
        declared.replace("# table_names: (required)", "table_names: [shelves]"))
    listed = _headwater(["list", "defs", "--json"], scaffolded, home)
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert {"extra", "shelves"} <= {a["key"] for a in data["assets"]}
    assert data["schedules"] == ["daily"]
    again = runner.invoke(main, ["scaffold", "defs", "headwater.asset", "daily.py", "-d",
                                 str(scaffolded)])
    assert again.exit_code == 1 and "already exists" in again.output
    unknown = runner.invoke(main, ["scaffold", "defs", "headwater.nothing", "x", "-d",
                                   str(scaffolded)])
    assert unknown.exit_code == 1 and "nor a Component class" in unknown.output


def test_scaffolded_script_and_function_components_launch(scaffolded, tmp_path):
    """`scaffold defs` writes a PythonScriptComponent (defs.yaml and the script it runs through
    Pipes) and a FunctionComponent (defs.yaml and its module); `launch` materializes both."""
    runner = CliRunner()
    for kind, path in (("headwater.PythonScriptComponent", "nightly_report"),
                       ("headwater.FunctionComponent", "refresh")):
        made = runner.invoke(main, ["scaffold", "defs", kind, path, "-d", str(scaffolded)])
        assert made.exit_code == 0, made.output
    defs_dir = scaffolded / "src" / "shop_data" / "defs"
    assert (defs_dir / "nightly_report" / "nightly_report.py").is_file()
    assert "fn: .logic.refresh" in (defs_dir / "refresh" / "defs.yaml").read_text()
    home = tmp_path / "home"
    assert {"nightly_report", "refresh"} <= set(_served_asset_keys(scaffolded, home))
    launched = _headwater(["launch", "--assets", "nightly_report refresh", "--json"],
                          scaffolded, home)
    assert launched.returncode == 0, launched.stderr
    done = json.loads(launched.stdout)
    assert done["success"] and done["materialized"] == ["nightly_report", "refresh"]


SCAFFOLDED_COMPONENT = '''
from dataclasses import dataclass

import pydantic

from headwater import (Component, Definitions, Resolvable, Scaffolder, ScaffoldRequest, asset,
                       scaffold_component, scaffold_with)


class Params(pydantic.BaseModel):
    table: str


class TableScaffolder(Scaffolder[Params]):
    @classmethod
    def get_scaffold_params(cls):
        return Params

    def scaffold(self, request: ScaffoldRequest[Params]) -> None:
        scaffold_component(request, {"table": request.params.table})
        (request.target_path / "README.md").write_text(f"table {request.params.table}")


@scaffold_with(TableScaffolder)
@dataclass
class Table(Component, Resolvable):
    table: str

    def build_defs(self, context):
        @asset(name=self.table)
        def _table():
            return 1
        return Definitions(assets=[_table])
'''


def test_scaffold_with_a_scaffolder_and_json_params(scaffolded, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    for name in [m for m in sys.modules if m == "shop_data" or m.startswith("shop_data.")]:
        monkeypatch.delitem(sys.modules, name)  # another test's project of the same name
    (scaffolded / "src" / "shop_data" / "table_component.py").write_text(SCAFFOLDED_COMPONENT)
    runner = CliRunner()
    kind = "shop_data.table_component.Table"
    made = runner.invoke(main, ["scaffold", "defs", kind, "stock", "-d", str(scaffolded),
                                "--json-params", '{"table": "stock_levels"}'])
    assert made.exit_code == 0, made.output
    folder = scaffolded / "src" / "shop_data" / "defs" / "stock"
    assert (folder / "README.md").read_text() == "table stock_levels"
    assert "table: stock_levels" in (folder / "defs.yaml").read_text()
    python = runner.invoke(main, ["scaffold", "defs", kind, "stock_py", "-d", str(scaffolded),
                                  "--format", "python", "--json-params", '{"table": "shelf"}'])
    assert python.exit_code == 0, python.output
    bad = runner.invoke(main, ["scaffold", "defs", kind, "other", "-d", str(scaffolded),
                               "--json-params", '{"tabel": "x"}'])
    assert bad.exit_code == 1 and "table" in bad.output
    for name in [m for m in sys.modules if m == "shop_data" or m.startswith("shop_data.")]:
        monkeypatch.delitem(sys.modules, name)
    listed = _headwater(["list", "defs", "--json"], scaffolded, tmp_path / "home")
    assert listed.returncode == 0, listed.stderr
    keys = {a["key"] for a in json.loads(listed.stdout)["assets"]}
    assert {"stock_levels", "shelf"} <= keys
