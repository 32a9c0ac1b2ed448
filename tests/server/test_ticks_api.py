"""Test ticks and sensor cursors in the webserver's API, against a real SQLite instance, code
server and run workers: a test tick shows what the daemon's tick would do and stores nothing;
`launch` commits it through the daemon's path; the cursor route sets and clears the cursor
the daemon reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from headwater.code.location import CodeLocationOrigin  # noqa: E402
from headwater.daemon.daemon import Daemon  # noqa: E402
from headwater.daemon.instigation import RUNNING, set_status  # noqa: E402
from headwater.daemon.launcher import wait_for_run  # noqa: E402
from headwater.definitions.key import AssetKey  # noqa: E402
from headwater.server import create_app  # noqa: E402
from headwater.storage.instance import HeadwaterInstance  # noqa: E402

DEFS = Path(__file__).resolve().parents[1] / "fixtures" / "ticks_defs.py"
ORIGIN = CodeLocationOrigin(python_file=str(DEFS))
LOCATION = ORIGIN.resolved().name


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Any:
    home = tmp_path_factory.mktemp("ticks") / "home"
    home.mkdir()
    inst = HeadwaterInstance.from_url(f"sqlite:///{home}/headwater.db", str(home))
    yield inst
    inst.dispose()


@pytest.fixture(scope="module")
def client(instance: Any) -> Any:
    with TestClient(create_app(instance, [ORIGIN]), base_url="http://127.0.0.1", headers={"X-Headwater-Request": "1"}) as c:
        yield c


def _nothing_stored(instance: Any, name: str) -> None:
    assert instance.storage.get_ticks(f"{LOCATION}:{name}") == []
    assert instance.get_runs() == []


def test_schedule_test_tick_at_a_chosen_time(client: TestClient, instance: Any) -> None:
    """A naive tick time is read in the schedule's timezone; the result is the run request
    the tick would make (key, job, config, tags), and nothing is stored or launched."""
    result = client.post("/api/schedules/morning_report/test_tick",
                         json={"tick_time": "2024-05-01T09:00:00"}).json()
    assert result["tick_time"] == "2024-05-01T09:00:00+02:00"
    assert result["status"] == "SUCCESS" and result["error"] is None
    (request,) = result["run_requests"]
    assert request["run_key"] == "report-2024-05-01"
    assert request["job_name"] == "report_job"
    assert request["run_config"] == {"ops": {"report": {"config": {"day": "2024-05-01"}}}}
    assert request["tags"] == {"day": "2024-05-01"}
    as_timestamp = client.post("/api/schedules/morning_report/test_tick",
                               json={"tick_time": result["tick_timestamp"]}).json()
    assert as_timestamp["run_requests"] == result["run_requests"]
    _nothing_stored(instance, "morning_report")


def test_schedule_tick_times_and_default_tick(client: TestClient) -> None:
    """tick_times lists the ticks before and after now on the cron; a test tick without a
    time evaluates the next one."""
    times = client.get("/api/schedules/morning_report/tick_times?count=3").json()
    assert times["timezone"] == "Europe/Berlin"
    assert len(times["previous"]) == 3 and len(times["next"]) == 3
    assert times["previous"] == sorted(times["previous"])
    assert times["previous"][-1] < times["next"][0]
    assert all("T09:00:00+0" in t for t in times["previous"] + times["next"])
    result = client.post("/api/schedules/morning_report/test_tick", json={}).json()
    assert result["tick_time"] == times["next"][0]


def test_schedule_skip_and_error(client: TestClient) -> None:
    """A skipping schedule gives its reason; a failing one its error and user-code traceback."""
    skipped = client.post("/api/schedules/quiet_schedule/test_tick",
                          json={"tick_time": "2024-05-01T10:15:00Z"}).json()
    assert skipped["status"] == "SKIPPED" and skipped["run_requests"] == []
    assert skipped["skip_reason"] == "nothing due at 10:15"
    failed = client.post("/api/schedules/broken_schedule/test_tick", json={}).json()
    assert failed["status"] == "FAILURE"
    assert "the schedule body failed on purpose" in failed["error"]["message"]
    assert "broken_schedule" in failed["error"]["traceback"]


def test_sensor_test_tick_from_a_cursor(client: TestClient, instance: Any) -> None:
    """From a chosen cursor: the run requests, the new cursor, the partitions it would add
    and the events it would report; none of it is applied, the stored cursor is unchanged."""
    result = client.post("/api/sensors/file_sensor/test_tick", json={"cursor": "5"}).json()
    assert result["cursor_before"] == "5" and result["cursor"] == "7"
    assert result["cursor_changed"] is True and result["stored_cursor"] is None
    assert [r["run_key"] for r in result["run_requests"]] == ["file-6", "file-7"]
    assert result["run_requests"][0]["run_config"] == {
        "ops": {"report": {"config": {"day": "f6"}}}}
    assert result["dynamic_partitions_requests"] == [
        {"kind": "add", "partitions_def_name": "regions",
         "partition_keys": ["region-6", "region-7"]}]
    (event,) = result["asset_events"]
    assert event["type"] == "AssetMaterialization" and event["asset_key"] == "landing_files"
    assert event["metadata"] == {"newest": 7}
    _nothing_stored(instance, "file_sensor")
    assert instance.get_dynamic_partitions("regions") == []
    assert instance.get_latest_materialization_event(AssetKey("landing_files")) is None
    sensor = {s["name"]: s for s in client.get("/api/sensors").json()}["file_sensor"]
    assert sensor["cursor"] is None
    failed = client.post("/api/sensors/broken_sensor/test_tick", json={"cursor": "x"}).json()
    assert failed["status"] == "FAILURE" and "from cursor 'x'" in failed["error"]["message"]
    assert "RuntimeError" in failed["error"]["traceback"]


def test_sensor_cursor_set_clear_and_default(client: TestClient, instance: Any) -> None:
    """Setting the cursor stores it where the daemon reads it; a test tick without a cursor
    starts from it, one with cursor null from none; clearing it removes it."""
    assert client.post("/api/sensors/file_sensor/cursor", json={"cursor": "10"}).json() == {
        "name": "file_sensor", "cursor": "10"}
    assert instance.storage.get_instigator_state(f"{LOCATION}:file_sensor").cursor == "10"
    sensor = {s["name"]: s for s in client.get("/api/sensors").json()}["file_sensor"]
    assert sensor["cursor"] == "10" and sensor["status"] == "stopped"
    stored = client.post("/api/sensors/file_sensor/test_tick", json={}).json()
    assert stored["cursor_before"] == "10" and stored["cursor"] == "12"
    fresh = client.post("/api/sensors/file_sensor/test_tick", json={"cursor": None}).json()
    assert fresh["cursor_before"] is None and fresh["cursor"] == "2"
    assert client.post("/api/sensors/file_sensor/cursor", json={"cursor": None}).json() == {
        "name": "file_sensor", "cursor": None}
    assert instance.storage.get_instigator_state(f"{LOCATION}:file_sensor").cursor is None


def test_errors(client: TestClient) -> None:
    """Unknown names are 404s naming them; a bad tick time, count or cursor body is refused."""
    for path in ("/api/schedules/nope/test_tick", "/api/sensors/nope/test_tick",
                 "/api/sensors/nope/cursor"):
        missing = client.post(path, json={"cursor": None})
        assert missing.status_code == 404 and "'nope'" in missing.json()["detail"]
    assert client.get("/api/schedules/nope/tick_times").status_code == 404
    bad = client.post("/api/schedules/morning_report/test_tick", json={"tick_time": "soon"})
    assert bad.status_code == 400
    assert "morning_report" in bad.json()["detail"] and "ISO 8601" in bad.json()["detail"]
    huge = client.post("/api/schedules/morning_report/test_tick", json={"tick_time": 1e20})
    assert huge.status_code == 400
    assert client.get("/api/schedules/morning_report/tick_times?count=0").status_code == 400
    assert client.post("/api/sensors/file_sensor/cursor", json={}).status_code == 422
    assert client.post("/api/sensors/file_sensor/cursor", json={"cursor": 3}).status_code == 422


def test_read_only_refuses_test_ticks_and_cursors(instance: Any) -> None:
    """A read-only webserver refuses to evaluate (user code may have side effects), to launch
    and to set cursors; tick times stay readable."""
    with TestClient(create_app(instance, [ORIGIN], read_only=True), base_url="http://127.0.0.1", headers={"X-Headwater-Request": "1"}) as ro:
        assert ro.post("/api/sensors/file_sensor/cursor", json={"cursor": "1"}).status_code == 403
        assert ro.post("/api/sensors/file_sensor/test_tick", json={}).status_code == 403
        assert ro.post("/api/schedules/morning_report/test_tick", json={}).status_code == 403
        assert ro.get("/api/schedules/morning_report/tick_times").status_code == 200


def test_launch_a_schedule_tick(client: TestClient, instance: Any) -> None:
    """launch runs the tick's requests as a manual tick, once per run key: launching the
    same tick again launches nothing."""
    body = {"tick_time": "2024-05-02T09:00:00", "launch": True}
    launched = client.post("/api/schedules/morning_report/test_tick", json=body).json()
    assert launched["launched"] is True and launched["status"] == "SUCCESS"
    (run_id,) = launched["run_ids"]
    run = wait_for_run(instance, run_id, timeout=60)
    assert run.status.value == "SUCCESS"
    assert run.tags["headwater/run_key"] == "report-2024-05-02"
    assert run.tags["headwater/schedule_name"] == "morning_report"
    assert run.run_config == {"ops": {"report": {"config": {"day": "2024-05-02"}}}}
    ticks = client.get("/api/schedules/morning_report/ticks").json()["items"]
    assert ticks[0]["tick_id"] == launched["tick"]["tick_id"] and ticks[0]["run_ids"] == [run_id]
    again = client.post("/api/schedules/morning_report/test_tick", json=body).json()
    assert again["status"] == "SKIPPED" and again["run_ids"] == []
    assert again["skipped_run_keys"] == ["report-2024-05-02"]


def test_launch_a_sensor_tick_commits_it(client: TestClient, instance: Any) -> None:
    """launch commits a sensor's tick as the daemon would: its runs, partitions, asset
    events and new cursor; the daemon's next tick goes on from that cursor."""
    client.post("/api/sensors/file_sensor/cursor", json={"cursor": "20"})
    launched = client.post("/api/sensors/file_sensor/test_tick", json={"launch": True}).json()
    assert launched["status"] == "SUCCESS" and launched["cursor"] == "22"
    assert [r["run_key"] for r in launched["run_requests"]] == ["file-21", "file-22"]
    for run_id in launched["run_ids"]:
        assert wait_for_run(instance, run_id, timeout=60).status.value == "SUCCESS"
    assert sorted(instance.get_dynamic_partitions("regions")) == ["region-21", "region-22"]
    assert instance.get_latest_materialization_event(AssetKey("landing_files")) is not None
    tick = client.get("/api/sensors/file_sensor/ticks").json()["items"][0]
    assert tick["cursor"] == "22" and sorted(tick["run_ids"]) == sorted(launched["run_ids"])
    set_status(instance, LOCATION, "file_sensor", "SENSOR", RUNNING)
    Daemon(instance, [ORIGIN]).run(once=True)
    state = instance.storage.get_instigator_state(f"{LOCATION}:file_sensor")
    assert state.cursor == "24"
    newest = client.get("/api/sensors/file_sensor/ticks").json()["items"][0]
    for run_id in newest["run_ids"]:
        wait_for_run(instance, run_id, timeout=60)
