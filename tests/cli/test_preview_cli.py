"""`headwater schedule preview` and `headwater sensor preview|cursor` against a real code
server and instance: a preview shows what the tick would do and stores nothing."""

from __future__ import annotations

import json
import pathlib

from click.testing import CliRunner

from headwater.cli.main import main

DEFS = str(pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "ticks_defs.py")


def test_schedule_preview_at_a_tick_time(tmp_path, monkeypatch):
    """--tick-time picks the tick (read in the schedule's timezone); the output lists the
    ticks around now and the run request with its config; --json gives the same result."""
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path))
    runner = CliRunner()
    shown = runner.invoke(main, ["schedule", "preview", "morning_report", "-f", DEFS,
                                 "--tick-time", "2024-05-01T09:00:00", "--ticks", "2"])
    assert shown.exit_code == 0, shown.output
    assert "Previous ticks: " in shown.output and "Next ticks: " in shown.output
    assert "Tick 2024-05-01T09:00:00+02:00:" in shown.output
    assert "1 run request:" in shown.output
    assert "report_job run_key='report-2024-05-01'" in shown.output
    assert '"day": "2024-05-01"' in shown.output
    as_json = runner.invoke(main, ["schedule", "preview", "morning_report", "-f", DEFS,
                                   "--tick-time", "2024-05-01T07:00:00Z", "--json"])
    assert as_json.exit_code == 0, as_json.output
    result = json.loads(as_json.output)
    assert result["run_requests"][0]["run_key"] == "report-2024-05-01"


def test_schedule_preview_errors(tmp_path, monkeypatch):
    """A failing schedule prints its error and traceback and exits 1; a bad tick time says
    how to write one."""
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path))
    runner = CliRunner()
    failed = runner.invoke(main, ["schedule", "preview", "broken_schedule", "-f", DEFS])
    assert failed.exit_code == 1
    assert "Error: ValueError: the schedule body failed on purpose" in failed.output
    assert "Traceback" in failed.output
    bad = runner.invoke(main, ["schedule", "preview", "morning_report", "-f", DEFS,
                               "--tick-time", "tomorrow"])
    assert bad.exit_code == 1 and "--tick-time" in bad.output and "ISO 8601" in bad.output


def test_sensor_preview_from_stored_given_or_no_cursor(tmp_path, monkeypatch):
    """By default the preview starts from the stored cursor; --cursor and --no-cursor choose
    another; the stored cursor never moves."""
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path))
    runner = CliRunner()
    assert runner.invoke(main, ["sensor", "cursor", "file_sensor", "--set", "5",
                                "-f", DEFS]).exit_code == 0
    stored = runner.invoke(main, ["sensor", "preview", "file_sensor", "-f", DEFS])
    assert stored.exit_code == 0, stored.output
    assert "Evaluated from cursor '5'." in stored.output
    assert "run_key='file-6'" in stored.output and "run_key='file-7'" in stored.output
    assert "New cursor: '7'" in stored.output
    assert "Dynamic partitions: add ['region-6', 'region-7'] in 'regions'" in stored.output
    assert "Asset event: AssetMaterialization of landing_files" in stored.output
    given = runner.invoke(main, ["sensor", "preview", "file_sensor", "-f", DEFS,
                                 "--cursor", "1", "--json"])
    assert json.loads(given.output)["cursor"] == "3"
    none = runner.invoke(main, ["sensor", "preview", "file_sensor", "-f", DEFS, "--no-cursor"])
    assert "Evaluated from cursor None." in none.output and "New cursor: '2'" in none.output
    both = runner.invoke(main, ["sensor", "preview", "file_sensor", "-f", DEFS,
                                "--cursor", "1", "--no-cursor"])
    assert both.exit_code == 1 and "not both" in both.output
    listed = runner.invoke(main, ["sensor", "list", "-f", DEFS, "--json"])
    assert {r["name"]: r for r in json.loads(listed.output)}["file_sensor"]["cursor"] == "5"
