"""Code locations across processes: a reload reaches the daemon (generations), and a location
whose code stops loading keeps its last good definitions visible, its stored history
reachable by key, and its schedules and sensors stoppable by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from headwater.code.location import CodeLocationOrigin  # noqa: E402
from headwater.daemon.daemon import Daemon  # noqa: E402
from headwater.server import create_app  # noqa: E402
from headwater.storage.instance import HeadwaterInstance  # noqa: E402

V1 = """\
from headwater import Definitions, ScheduleDefinition, asset, define_asset_job, sensor

@asset
def orders():
    return [1, 2]

orders_job = define_asset_job("orders_job", selection="orders")
nightly = ScheduleDefinition(name="nightly", cron_schedule="0 3 * * *", job=orders_job)

defs = Definitions(assets=[orders], jobs=[orders_job], schedules=[nightly])
"""

V2 = V1.replace("defs = Definitions(assets=[orders], jobs=[orders_job], schedules=[nightly])",
                """\
@sensor(job=orders_job, minimum_interval_seconds=1)
def fresh_sensor(context):
    return None

defs = Definitions(assets=[orders], jobs=[orders_job], schedules=[nightly],
                   sensors=[fresh_sensor])""")

BROKEN = "from headwater import Definitions\n\nraise RuntimeError('broken on purpose')\n"


@pytest.fixture
def setup(tmp_path: Path) -> Any:
    defs = tmp_path / "defs.py"
    defs.write_text(V1)
    home = tmp_path / "home"
    home.mkdir()
    instance = HeadwaterInstance.from_url(f"sqlite:///{home}/headwater.db", str(home))
    origin = CodeLocationOrigin(python_file=str(defs))
    app = create_app(instance, [origin])
    with TestClient(app, base_url="http://127.0.0.1", headers={"X-Headwater-Request": "1"}) as client:
        yield client, instance, defs, origin
    instance.dispose()


def location(client: TestClient) -> dict[str, Any]:
    return client.get("/api/locations").json()[0]


def test_reload_reaches_the_daemon(setup: Any) -> None:
    """After an edit and a reload, the daemon reloads its own code server on its next
    iteration, reports the new generation, and ticks a sensor that only the new code has."""
    client, instance, defs, origin = setup
    daemon = Daemon(instance, [origin])
    try:
        daemon.iterate()
        before = location(client)
        assert before["generation"] == before["requested_generation"] == 1
        assert {p["process"]: p["generation"] for p in before["processes"]} == {
            "webserver": 1, "daemon": 1}
        assert before["in_sync"] is True

        defs.write_text(V2)
        reloaded = client.post(f"/api/locations/{before['name']}/reload").json()
        assert reloaded["generation"] == reloaded["requested_generation"] == 2
        daemon_row = next(p for p in reloaded["processes"] if p["process"] == "daemon")
        assert daemon_row["generation"] == 1 and daemon_row["current"] is False
        assert reloaded["in_sync"] is False

        assert client.post("/api/sensors/fresh_sensor/start").status_code == 200
        daemon.iterate(force_sensors=True)
        after = location(client)
        assert {p["process"]: p["generation"] for p in after["processes"]} == {
            "webserver": 2, "daemon": 2}
        assert after["in_sync"] is True
        ticks = client.get("/api/sensors/fresh_sensor/ticks").json()["items"]
        assert [t["status"] for t in ticks] == ["SKIPPED"]
    finally:
        for loc in daemon.locations:
            loc.client.shutdown()
    assert daemon.errors == []


def test_a_broken_reload_keeps_the_last_good_definitions(setup: Any) -> None:
    """A location that fails to load keeps its assets, jobs and schedules visible (stale,
    with the error), refuses launches with the load error, and lets a running schedule be
    stopped; a webserver started on the broken file shows the stored last good snapshot."""
    client, instance, defs, origin = setup
    assert client.post("/api/schedules/nightly/start").status_code == 200
    defs.write_text(BROKEN)
    reloaded = client.post("/api/locations/defs/reload").json()
    assert reloaded["status"] == "error" and reloaded["stale"] is True
    assert "broken on purpose" in reloaded["error"]["message"]
    assert reloaded["snapshot_id"]

    assets = {a["key"]: a for a in client.get("/api/assets").json()["items"]}
    assert assets["orders"]["location_stale"] is True
    detail = client.get("/api/assets/orders").json()
    assert detail["location_stale"] is True and detail["defined"] is True
    job = client.get("/api/jobs/orders_job")
    assert job.status_code == 200 and job.json()["location_stale"] is True
    validated = client.post("/api/jobs/orders_job/validate", json={"run_config": {}})
    assert validated.status_code == 409 and "broken on purpose" in validated.text
    assert [s["name"] for s in client.get("/api/schedules").json()] == ["nightly"]
    launched = client.post("/api/assets/materialize", json={"keys": ["orders"]})
    assert launched.status_code in (400, 409) and "broken on purpose" in launched.text
    stopped = client.post("/api/schedules/nightly/stop")
    assert stopped.status_code == 200 and stopped.json()["status"] == "stopped"

    again = create_app(instance, [origin])
    with TestClient(again, base_url="http://127.0.0.1", headers={"X-Headwater-Request": "1"}) as fresh:
        loc = fresh.get("/api/locations").json()[0]
        assert loc["status"] == "error" and loc["stale"] is True
        assert [a["key"] for a in fresh.get("/api/assets").json()["items"]] == ["orders"]


def test_history_is_reachable_by_key_without_a_definition(setup: Any) -> None:
    """An asset key with stored materializations but no definition still has its page and
    its history; a key with neither is a 404."""
    client, instance, defs, origin = setup
    from headwater import AssetMaterialization

    instance.report_runless_asset_event(AssetMaterialization(asset_key="gone/table",
                                                             metadata={"rows": 7}))
    detail = client.get("/api/assets/gone/table")
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert body["defined"] is False and body["location"] is None
    assert body["latest_materialization"]["metadata"]["rows"]["value"] == 7
    history = client.get("/api/assets/gone/table/materializations").json()["items"]
    assert len(history) == 1
    assert client.get("/api/assets/never/was").status_code == 404


def test_running_schedule_without_a_definition_can_be_stopped(setup: Any) -> None:
    """A running schedule that the code no longer defines is listed as unloadable, and
    stopping it by name works."""
    client, instance, defs, origin = setup
    assert client.post("/api/schedules/nightly/start").status_code == 200
    defs.write_text(V1.replace(", schedules=[nightly]", ""))
    assert client.post("/api/locations/defs/reload").json()["status"] == "loaded"
    listed = {s["name"]: s for s in client.get("/api/schedules").json()}
    assert listed["nightly"]["unloadable"] is True and listed["nightly"]["status"] == "running"
    assert client.post("/api/schedules/nightly/stop").json()["status"] == "stopped"
    assert client.get("/api/schedules").json() == []
    assert client.get("/api/schedules/nightly/ticks").status_code == 200


def test_reload_reaches_the_daemon_when_only_a_sensor_body_changed(setup: Any) -> None:
    """A change the snapshot does not show (a sensor's body) still reaches the daemon: it
    reloads on an explicit reload whatever the snapshot id."""
    client, instance, defs, origin = setup
    defs.write_text(V2.replace("return None", "return SkipReason('first body')")
                    .replace("import Definitions,", "import Definitions, SkipReason,"))
    client.post("/api/locations/defs/reload")
    assert client.post("/api/sensors/fresh_sensor/start").status_code == 200
    daemon = Daemon(instance, [origin])
    try:
        daemon.iterate(force_sensors=True)
        defs.write_text(defs.read_text().replace("first body", "second body"))
        reloaded = client.post("/api/locations/defs/reload").json()
        daemon.iterate(force_sensors=True)
    finally:
        for loc in daemon.locations:
            loc.client.shutdown()
    ticks = client.get("/api/sensors/fresh_sensor/ticks").json()["items"]
    assert [t["skip_reason"] for t in ticks] == ["second body", "first body"]
    assert reloaded["snapshot_id"] == location(client)["processes"][1]["snapshot_id"]
    assert location(client)["in_sync"] is True
