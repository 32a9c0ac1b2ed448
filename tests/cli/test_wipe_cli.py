"""`asset wipe` and `run wipe`: a confirmation prompt, `--yes` to skip it."""

from __future__ import annotations

from click.testing import CliRunner

from headwater import AssetKey
from headwater.cli.main import main
from headwater.storage.instance import HeadwaterInstance

DEFS = """
from headwater import Definitions, asset

@asset
def orders():
    return [1, 2]

@asset
def total(orders):
    return sum(orders)

defs = Definitions(assets=[orders, total])
"""


def _materialized(tmp_path, monkeypatch):
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path / "home"))
    path = tmp_path / "defs.py"
    path.write_text(DEFS)
    done = CliRunner().invoke(main, ["asset", "materialize", "-f", str(path), "--select", "*"])
    assert done.exit_code == 0, done.output
    return str(path)


def test_asset_wipe_asks_first_and_wipes_only_the_selection(tmp_path, monkeypatch):
    """Answering no keeps the history; yes wipes the selected asset and leaves the others."""
    path = _materialized(tmp_path, monkeypatch)
    instance = HeadwaterInstance.get()
    refused = CliRunner().invoke(main, ["asset", "wipe", "total", "-f", path], input="n\n")
    assert refused.exit_code == 1 and "Wipe the recorded history of 1 asset(s) (total)" in \
        refused.output
    assert instance.get_latest_materialization_event(AssetKey("total")) is not None
    wiped = CliRunner().invoke(main, ["asset", "wipe", "total", "-f", path], input="y\n")
    assert wiped.exit_code == 0, wiped.output
    assert instance.get_latest_materialization_event(AssetKey("total")) is None
    assert instance.get_latest_materialization_event(AssetKey("orders")) is not None
    again = CliRunner().invoke(main, ["asset", "wipe", "total", "-f", path, "--yes"])
    assert again.exit_code == 0 and "Nothing to wipe" in again.output


def test_asset_wipe_yes_skips_the_prompt(tmp_path, monkeypatch):
    """--yes wipes every asset the selection picks without asking."""
    path = _materialized(tmp_path, monkeypatch)
    wiped = CliRunner().invoke(main, ["asset", "wipe", "*", "-f", path, "--yes"])
    assert wiped.exit_code == 0, wiped.output
    assert "Wiped 2 asset(s): orders, total." in wiped.output
    assert HeadwaterInstance.get().get_asset_keys() == []


def test_run_wipe_asks_first_then_deletes_every_run(tmp_path, monkeypatch):
    """run wipe keeps the runs when refused and deletes them all when confirmed (or --yes)."""
    _materialized(tmp_path, monkeypatch)
    instance = HeadwaterInstance.get()
    refused = CliRunner().invoke(main, ["run", "wipe"], input="n\n")
    assert refused.exit_code == 1 and "Delete all 1 run(s)" in refused.output
    assert len(instance.get_runs()) == 1
    wiped = CliRunner().invoke(main, ["run", "wipe", "--yes"])
    assert wiped.exit_code == 0, wiped.output
    assert instance.get_runs() == []
