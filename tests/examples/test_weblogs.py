"""examples/weblogs: the web-log ETL materialized in tmp_path, its sessions checked against an
independent sessionization of the bundled events in Python."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

import headwater as hw

WEBLOGS = Path(__file__).resolve().parents[2] / "examples" / "weblogs"
EXAMPLE_MODULES = ("weblog_api", "weblog_ingest", "weblog_sessions", "weblogs_defs")


@pytest.fixture
def weblogs(tmp_path, monkeypatch):
    """The example's defs module, imported afresh with WEBLOGS_HOME in tmp_path."""
    monkeypatch.setenv("WEBLOGS_HOME", str(tmp_path / "weblogs"))
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt_home"))
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    monkeypatch.delenv("WEBLOG_API_URL", raising=False)
    monkeypatch.syspath_prepend(str(WEBLOGS))
    for name in EXAMPLE_MODULES:
        sys.modules.pop(name, None)
    spec = importlib.util.spec_from_file_location("weblogs_defs", WEBLOGS / "defs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    for name in EXAMPLE_MODULES:
        sys.modules.pop(name, None)


def expected_sessions() -> dict[str, list[dict[str, Any]]]:
    """Sessions of the bundled events by user, computed in Python: a view more than 30
    minutes after the previous one starts a new session."""
    events = json.loads((WEBLOGS / "events.json").read_text())
    by_user: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in sorted(events, key=lambda e: (e["ts"], e["id"])):
        event["at"] = datetime.fromisoformat(event["ts"].replace("Z", "+00:00"))
        by_user[event["user_id"]].append(event)
    sessions: dict[str, list[dict[str, Any]]] = {}
    for user, views in by_user.items():
        number = 0
        for i, view in enumerate(views):
            if i == 0 or view["at"] - views[i - 1]["at"] > timedelta(minutes=30):
                number += 1
            sessions.setdefault(f"{user}#{number}", []).append(view)
    return sessions


def query(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(tmp_path / "weblogs" / "weblogs.duckdb"), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_the_daily_job_extracts_sessionizes_and_checks(weblogs, tmp_path):
    """Two daily runs: every bundled event reaches DuckDB once, the sessions match Python's,
    each day gets its stats row, and the blocking check passes."""
    hw.Definitions.validate_loadable(weblogs.defs)
    job = weblogs.defs.resolve_job_def("weblogs_daily")
    with hw.instance_for_test(temp_dir=str(tmp_path / "instance")) as instance:
        first = job.execute_in_process(instance=instance, partition_key="2024-03-01")
        second = job.execute_in_process(instance=instance, partition_key="2024-03-02")
    assert first.success and second.success

    expected = expected_sessions()
    events = sum(len(v) for v in expected.values())
    assert query(tmp_path, "select count(*), count(distinct id) from raw.page_views") == [
        (events, events)]
    got = dict(query(tmp_path, "select session_id, page_views from analytics.sessions"))
    assert got == {sid: len(views) for sid, views in expected.items()}
    sid, views = next((s, v) for s, v in expected.items() if len(v) > 3)
    assert query(tmp_path, "select path_sequence from analytics.session_paths "
                           f"where session_id = '{sid}'") == [(" > ".join(v["path"] for v in views),)]

    for day in ("2024-03-01", "2024-03-02"):
        started = [v for v in expected.values() if v[0]["at"].date().isoformat() == day]
        bounce = sum(len(v) == 1 for v in started) / len(started)
        [(sessions, users, page_views, bounce_rate)] = query(
            tmp_path, "select sessions, users, page_views, bounce_rate from "
                      f"analytics.daily_session_stats where day = '{day}'")
        assert (sessions, users, page_views) == (
            len(started), len({v[0]["user_id"] for v in started}), sum(map(len, started)))
        assert bounce_rate == pytest.approx(bounce)

    [check] = second.get_asset_check_evaluations()
    assert check.check_name == "sessions_are_consistent" and check.passed
    extract = {m.asset_key.to_user_string(): m.materialization.metadata
               for m in second.get_asset_materialization_events()}["dlt_weblogs_page_views"]
    assert extract["first_run"].value is False
    assert extract["rows_loaded"].value == 0  # incremental: nothing new since the first run
    assert extract["headwater/row_count"].value == events


def test_the_schedule_runs_yesterdays_partition_at_one(weblogs):
    """weblogs_daily_schedule fires at 01:00 UTC for the day that just ended."""
    schedule = weblogs.defs.resolve_schedule_def("weblogs_daily_schedule")
    assert schedule.cron_schedule == "0 1 * * *"
    context = hw.build_schedule_context(
        scheduled_execution_time=datetime(2024, 3, 3, 1, 0, tzinfo=timezone.utc))
    [request] = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == "2024-03-02"


def test_the_api_can_be_given_by_url(weblogs, tmp_path, monkeypatch):
    """With WEBLOG_API_URL set, dlt pages through that endpoint (here one serving the first
    150 events, two pages of 100) instead of the bundled one."""
    from weblog_api import EVENTS_FILE, serve

    from headwater_dlt import HeadwaterDltResource

    subset = tmp_path / "first_150.json"
    subset.write_text(json.dumps(json.loads(EVENTS_FILE.read_text())[:150]))
    with serve(events_file=subset) as url:
        monkeypatch.setenv("WEBLOG_API_URL", url)
        sys.modules.pop("weblog_ingest", None)
        import weblog_ingest

        result = hw.materialize([weblog_ingest.weblog_raw],
                                resources={"dlt": HeadwaterDltResource()})
    assert result.success
    assert query(tmp_path, "select count(*), max(id) from raw.page_views") == [(150, 150)]
