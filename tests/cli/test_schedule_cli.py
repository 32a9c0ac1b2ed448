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
