"""An asset's automation in the webserver's API, against a real SQLite instance, code server,
daemon iteration and run workers: the condition tree before any tick, the evaluations after
one, one evaluation's result tree with the run it launched, automation sensors in the sensor
list, and the errors of each endpoint."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from headwater import materialize  # noqa: E402
from headwater.code.location import CodeLocationOrigin  # noqa: E402
from headwater.daemon.daemon import Daemon  # noqa: E402
from headwater.daemon.launcher import wait_for_run  # noqa: E402
from headwater.server import create_app  # noqa: E402
from headwater.storage.instance import HeadwaterInstance  # noqa: E402

PROJECT = Path(__file__).resolve().parents[1] / "fixtures" / "automation_project.py"
sys.path.insert(0, str(PROJECT.parent))
from automation_project import raw_orders  # noqa: E402


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Any:
    home = tmp_path_factory.mktemp("automation") / "home"
    home.mkdir()
    inst = HeadwaterInstance.from_url(f"sqlite:///{home}/headwater.db", str(home))
    yield inst
    inst.dispose()


@pytest.fixture(scope="module")
def client(instance: Any) -> Any:
    app = create_app(instance, [CodeLocationOrigin(python_file=str(PROJECT))])
    with TestClient(app, base_url="http://127.0.0.1", headers={"X-Headwater-Request": "1"}) as c:
        yield c


def test_condition_tree_and_sensor_before_any_tick(client: TestClient) -> None:
    """Before the daemon ticks: the condition as a tree, its running default sensor, no
    evaluations; an asset without a condition says so."""
    body = client.get("/api/assets/raw_orders/automation").json()
    assert body["condition"]["label"] == "eager"
    labels = [c["label"] or c["description"] for c in body["condition"]["children"]]
    assert "in_progress" not in labels and len(labels) >= 3
    assert body["sensor"]["name"] == "default_automation_condition_sensor"
    assert body["sensor"]["status"] == "running"
    assert body["evaluations"]["items"] == []
    assert client.get("/api/assets/manual/automation").json()["condition"] is None
    sensors = {s["name"]: s for s in client.get("/api/sensors").json()}
    default = sensors["default_automation_condition_sensor"]
    assert default["kind"] == "automation"
    assert default["evaluated_keys"] == ["order_summary", "raw_orders"]


def _tick(instance: Any) -> None:
    Daemon(instance, [CodeLocationOrigin(python_file=str(PROJECT))]).run(once=True)


def test_evaluations_after_ticks_and_one_evaluation(client: TestClient, instance: Any) -> None:
    """A first tick requests nothing (eager waits for a change after it is in place) and keeps
    the trees; once raw_orders is materialized, the next tick requests order_summary: its
    evaluation lists the run it launched, with the run's status."""
    _tick(instance)
    (first,) = client.get("/api/assets/raw_orders/automation/evaluations").json()["items"]
    assert first["num_requested"] == 0 and first["run_ids"] == []
    tree = client.get(f"/api/assets/raw_orders/automation/evaluations/"
                      f"{first['evaluation_id']}").json()["result"]
    assert tree["label"] == "eager" and tree["true_count"] == 0
    handled = next(c for c in tree["children"] if c["label"] == "handled")
    assert handled["true_count"] == 0
    assert materialize([raw_orders], instance=instance).success
    _tick(instance)
    items = client.get("/api/assets/order_summary/automation").json()["evaluations"]["items"]
    latest, older = items
    assert (latest["num_requested"], older["num_requested"]) == (1, 0)
    (run_id,) = latest["run_ids"]
    assert wait_for_run(instance, run_id, timeout=60).status.value == "SUCCESS"
    one = client.get(f"/api/assets/order_summary/automation/evaluations/"
                     f"{latest['evaluation_id']}").json()
    assert one["result"]["true_count"] == 1
    assert one["runs"] == [{"run_id": run_id, "status": "SUCCESS"}]
    updated = next(c for c in one["result"]["children"] if c["label"] == "handled")
    assert updated["true_count"] == 1


def test_paging_and_errors(client: TestClient, instance: Any) -> None:
    """limit/cursor page the evaluations; unknown assets, checks and evaluations are 404s,
    a bad cursor a 400."""
    _tick(instance)
    first = client.get("/api/assets/raw_orders/automation/evaluations?limit=1").json()
    assert len(first["items"]) == 1 and first["has_more"] is True
    rest = client.get(f"/api/assets/raw_orders/automation/evaluations?limit=5"
                      f"&cursor={first['cursor']}").json()
    assert rest["items"][0]["evaluation_id"] < first["items"][0]["evaluation_id"]
    assert client.get("/api/assets/nope/automation").status_code == 404
    missing = client.get("/api/assets/raw_orders/automation?check=nope")
    assert missing.status_code == 404 and "no check 'nope'" in missing.json()["detail"]
    assert client.get("/api/assets/raw_orders/automation/evaluations/999999").status_code == 404
    bad = client.get("/api/assets/raw_orders/automation/evaluations?cursor=abc")
    assert bad.status_code == 400


def test_test_tick_of_an_automation_sensor_stores_nothing(client: TestClient,
                                                          instance: Any) -> None:
    """A test tick of an automation sensor evaluates its conditions from the stored cursor and
    stores no tick, evaluation or cursor; a cursor that is not an automation cursor is a 400."""
    name = "default_automation_condition_sensor"
    before = client.get(f"/api/sensors/{name}/ticks").json()["items"]
    cursor = {s["name"]: s for s in client.get("/api/sensors").json()}[name]["cursor"]
    result = client.post(f"/api/sensors/{name}/test_tick", json={}).json()
    assert result["status"] in ("SUCCESS", "SKIPPED") and result["error"] is None
    assert result["evaluated"] == 2 and result["cursor_before"] == cursor
    assert client.get(f"/api/sensors/{name}/ticks").json()["items"] == before
    bad = client.post(f"/api/sensors/{name}/cursor", json={"cursor": "nope"})
    assert bad.status_code == 400 and "not an automation cursor" in bad.json()["detail"]
    assert {s["name"]: s for s in client.get("/api/sensors").json()}[name]["cursor"] == cursor


def test_launch_a_test_tick_of_an_automation_sensor(client: TestClient, instance: Any) -> None:
    """Launching an automation sensor's test tick records a manual tick with its evaluations
    and stores the tick's cursor, as the daemon's tick would."""
    name = "default_automation_condition_sensor"
    launched = client.post(f"/api/sensors/{name}/test_tick", json={"launch": True}).json()
    assert launched["launched"] is True and launched["error"] is None
    assert launched["tick"]["manual"] is True and launched["tick"]["evaluated"] == 2
    for run_id in launched["run_ids"]:
        wait_for_run(instance, run_id, timeout=60)
    newest = client.get(f"/api/sensors/{name}/ticks").json()["items"][0]
    assert newest["tick_id"] == launched["tick"]["tick_id"]
    stored = {s["name"]: s for s in client.get("/api/sensors").json()}[name]["cursor"]
    assert stored == launched["cursor"] == newest["cursor"]
    evaluations = client.get("/api/assets/raw_orders/automation/evaluations").json()["items"]
    assert evaluations[0]["evaluation_id"] == launched["tick"]["tick_id"]
