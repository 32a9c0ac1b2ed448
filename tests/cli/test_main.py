"""The `headwater` command on a real definitions file."""

from __future__ import annotations

import json
import sys
import textwrap

from click.testing import CliRunner

from headwater import AssetKey
from headwater.cli.main import main
from headwater.storage.instance import HeadwaterInstance

DEFS = textwrap.dedent(
    """
    from headwater import Definitions, asset

    @asset(group_name="sales")
    def orders():
        return [1, 2]

    @asset
    def total(orders):
        return sum(orders)

    defs = Definitions(assets=[orders, total])
    """
)


def test_asset_list_and_materialize(tmp_path, monkeypatch):
    """asset list shows keys with groups; asset materialize runs and records the selection."""
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path / "home"))
    path = tmp_path / "defs.py"
    path.write_text(DEFS)
    runner = CliRunner()
    listed = runner.invoke(main, ["asset", "list", "-f", str(path), "--json"])
    assert listed.exit_code == 0, listed.output
    assert [r["key"] for r in json.loads(listed.output)] == ["orders", "total"]
    done = runner.invoke(main, ["asset", "materialize", "-f", str(path), "--select", "*", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["materialized"] == ["orders", "total"]
    recorded = HeadwaterInstance.get().get_latest_materialization_event(AssetKey("total"))
    assert recorded is not None and recorded.run_id == json.loads(done.output)["run_id"]


def test_broken_definitions_file_is_reported_without_traceback(tmp_path):
    """A defs file that raises on import exits 1 with the file, line and message."""
    path = tmp_path / "broken.py"
    path.write_text("from headwater import asset\n\nraise RuntimeError('no warehouse')\n")
    result = CliRunner().invoke(main, ["definitions", "validate", "-f", str(path)])
    assert result.exit_code == 1
    assert "RuntimeError: no warehouse" in result.output
    assert "broken.py:3" in result.output
    assert "Traceback" not in result.output


def test_invalid_definitions_list_every_problem(tmp_path):
    """definitions validate prints every problem of the definitions at once."""
    path = tmp_path / "bad.py"
    path.write_text("from headwater import asset, Definitions\n\n@asset\ndef a(missing_one):\n"
                    "    return 1\n\n@asset\ndef b(missing_two):\n    return 2\n\n"
                    "defs = Definitions(assets=[a, b])\n")
    result = CliRunner().invoke(main, ["definitions", "validate", "-f", str(path)])
    assert result.exit_code == 1
    assert "2 problems in definitions" in result.output
    assert "missing_one" in result.output and "missing_two" in result.output


def test_webserver_without_the_ui_extra_says_how_to_install_it(tmp_path, monkeypatch):
    """A missing fastapi (the `ui` extra) is a one-line error naming the pip command."""
    path = tmp_path / "defs.py"
    path.write_text(DEFS)
    for name in ("headwater.server.serve", "headwater.server.app"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setitem(sys.modules, "fastapi", None)
    result = CliRunner().invoke(main, ["webserver", "-f", str(path)])
    assert result.exit_code == 1
    assert "needs fastapi" in result.output and "pip install 'headwater[ui]'" in result.output


def test_webserver_with_a_broken_install_fails_loudly(tmp_path, monkeypatch):
    """A missing part of headwater itself is not passed off as a missing extra."""
    path = tmp_path / "defs.py"
    path.write_text(DEFS)
    monkeypatch.setitem(sys.modules, "headwater.server.serve", None)
    result = CliRunner().invoke(main, ["webserver", "-f", str(path)])
    assert isinstance(result.exception, ModuleNotFoundError)
    assert result.exception.name == "headwater.server.serve"
    assert "pip install" not in result.output
