"""Readable times and durations in `run list`, `run show` and `run logs`."""

from __future__ import annotations

import json
import re
from datetime import datetime

from click.testing import CliRunner

from headwater.cli.clock import format_duration, format_time, run_duration
from headwater.cli.main import main

DEFS = """
from headwater import Definitions, asset

@asset
def orders():
    return [1, 2]

defs = Definitions(assets=[orders])
"""


def test_durations_use_the_largest_units_that_matter():
    """Milliseconds under a second, tenths under a minute, then m/s, h/m and d/h."""
    assert [format_duration(s) for s in (0.0123, 4.25, 184, 7500, 270000, None)] == [
        "12ms", "4.2s", "3m 04s", "2h 05m", "3d 03h", "-"]


def test_run_duration_of_a_run_in_progress_counts_from_its_start():
    """An unfinished run shows how long it has been running; an unstarted one shows '-'."""
    assert run_duration(100.0, None, now=112.0) == "running 12.0s"
    assert run_duration(100.0, 100.5) == "500ms"
    assert run_duration(None, None) == "-"


def test_times_are_local_dates_with_optional_milliseconds():
    """A timestamp prints as its local date and time, to the millisecond when asked."""
    stamp = datetime(2026, 3, 1, 14, 5, 9, 250000).timestamp()
    assert format_time(stamp) == "2026-03-01 14:05:09"
    assert format_time(stamp, millis=True) == "2026-03-01 14:05:09.250"
    assert format_time(None) == "-"


def test_run_list_show_and_logs_print_times_and_durations(tmp_path, monkeypatch):
    """run list shows the start time and duration; run show and run logs show dates."""
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path / "home"))
    path = tmp_path / "defs.py"
    path.write_text(DEFS)
    runner = CliRunner()
    done = runner.invoke(main, ["asset", "materialize", "-f", str(path), "--select", "*",
                                "--json"])
    run_id = json.loads(done.stdout)["run_id"]
    when = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"
    took = r"(\d+ms|\d+\.\ds)"
    listed = runner.invoke(main, ["run", "list"]).stdout
    assert re.search(rf"{run_id}  SUCCESS\s+{when}\s+{took}  __ASSET_JOB", listed), listed
    row = json.loads(runner.invoke(main, ["run", "list", "--json"]).stdout)[0]
    assert row["duration"] == row["end_time"] - row["start_time"]
    shown = runner.invoke(main, ["run", "show", run_id]).stdout
    assert re.search(rf"started: {when}  ended: {when}  duration: {took}", shown), shown
    logs = runner.invoke(main, ["run", "logs", run_id]).stdout.splitlines()
    assert re.match(rf"{when}\.\d{{3}}\s+\+0ms PIPELINE_START", logs[0]), logs[0]
    assert all(re.match(rf"{when}\.\d{{3}}\s+\+{took} ", line) for line in logs), logs
