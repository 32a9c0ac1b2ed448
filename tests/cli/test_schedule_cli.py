"""`headwater schedule start|stop|list` against a real code server and instance."""

from __future__ import annotations

import json
import pathlib

from click.testing import CliRunner

from headwater.cli.main import main

DEFS = str(pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "daemon_defs.py")


def _status(runner: CliRunner) -> str:
    listed = runner.invoke(main, ["schedule", "list", "-f", DEFS, "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {row["name"]: row for row in json.loads(listed.output)}
    return rows["every_minute"]["status"]


def test_start_and_stop_a_schedule(tmp_path, monkeypatch):
    """start marks the schedule running in the instance; stop marks it stopped again."""
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path))
    runner = CliRunner()
    started = runner.invoke(main, ["schedule", "start", "every_minute", "-f", DEFS])
    assert started.exit_code == 0, started.output
    assert "Started schedule every_minute." in started.output
    assert _status(runner) == "RUNNING"
    stopped = runner.invoke(main, ["schedule", "stop", "every_minute", "-f", DEFS])
    assert stopped.exit_code == 0, stopped.output
    assert _status(runner) == "STOPPED"
    unknown = runner.invoke(main, ["schedule", "start", "nope", "-f", DEFS])
    assert unknown.exit_code == 1


def test_start_all_starts_every_schedule(tmp_path, monkeypatch):
    """--start-all marks every schedule running; a NAME with --start-all is refused."""
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path))
    runner = CliRunner()
    started = runner.invoke(main, ["schedule", "start", "--start-all", "-f", DEFS])
    assert started.exit_code == 0, started.output
    assert "Started schedule every_minute." in started.output
    assert _status(runner) == "RUNNING"
    both = runner.invoke(main, ["schedule", "start", "every_minute", "--start-all", "-f", DEFS])
    assert both.exit_code == 1 and "not both" in both.output
    neither = runner.invoke(main, ["schedule", "start", "-f", DEFS])
    assert neither.exit_code == 1 and "not neither" in neither.output


def _cursor(runner: CliRunner, name: str) -> str | None:
    listed = runner.invoke(main, ["sensor", "list", "-f", DEFS, "--json"])
    assert listed.exit_code == 0, listed.output
    return {row["name"]: row for row in json.loads(listed.output)}[name]["cursor"]


def test_sensor_cursor_set_and_delete(tmp_path, monkeypatch):
    """sensor cursor --set stores the cursor the next tick reads; --delete clears it."""
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path))
    runner = CliRunner()
    done = runner.invoke(main, ["sensor", "cursor", "counting_sensor", "--set", "41", "-f", DEFS])
    assert done.exit_code == 0, done.output
    assert _cursor(runner, "counting_sensor") == "41"
    cleared = runner.invoke(main, ["sensor", "cursor", "counting_sensor", "--delete", "-f", DEFS])
    assert cleared.exit_code == 0, cleared.output
    assert _cursor(runner, "counting_sensor") is None
    neither = runner.invoke(main, ["sensor", "cursor", "counting_sensor", "-f", DEFS])
    assert neither.exit_code == 1 and "--set VALUE or --delete" in neither.output
    unknown = runner.invoke(main, ["sensor", "cursor", "nope", "--delete", "-f", DEFS])
    assert unknown.exit_code == 1 and "No sensor named 'nope'" in unknown.output
