"""The webserver's API against a real SQLite instance, code server and run workers."""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("sse_starlette")

from fastapi.testclient import TestClient  # noqa: E402

from headwater.code.location import CodeLocationOrigin  # noqa: E402
from headwater.server import app as app_module  # noqa: E402
from headwater.server import create_app  # noqa: E402
from headwater.storage.instance import HeadwaterInstance  # noqa: E402
from headwater.storage.state import DaemonHeartbeat  # noqa: E402

DEFS = """\
import os
from headwater import (Definitions, MaterializeResult, MetadataValue, ScheduleDefinition,
                       StaticPartitionsDefinition, asset, define_asset_job, job, op, sensor)

FLAG = os.path.join(os.path.dirname(__file__), "fail.flag")

@asset(group_name="raw", kinds={"python"}, owners=["team:data"], code_version="1",
       description="Orders from the shop.")
def orders():
    return [1, 2]

@asset(group_name="raw")
def customers():
    return [3]

@asset(deps=[orders, customers])
def report():
    return MaterializeResult(metadata={"rows": 3, "site": MetadataValue.url("http://x")})

@asset
def flaky():
    if os.path.exists(FLAG):
        raise ValueError("flaky failed on purpose")
    return 1

colors = StaticPartitionsDefinition(["red", "green", "blue"])

@asset(partitions_def=colors, key_prefix=["paint"])
def bucket(context):
    return context.partition_key

@op(config_schema={"n": int, "label": str})
def make(context):
    context.log.info("making %s" % context.op_config["n"])
    return context.op_config["n"]

@op
def double(x):
    return x * 2

@job(tags={"team": "math"})
def numbers():
    double(make())

raw_job = define_asset_job("raw_job", selection="group:raw")
nightly = ScheduleDefinition(name="nightly", cron_schedule="0 3 * * *", job=raw_job)

@sensor(job=raw_job, minimum_interval_seconds=45)
def watcher(context):
    return None

defs = Definitions(assets=[orders, customers, report, flaky, bucket], jobs=[numbers, raw_job],
                   schedules=[nightly], sensors=[watcher])
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("project")
    (root / "defs.py").write_text(DEFS)
    (root / "broken.py").write_text("from headwater import Definitions\n\nraise RuntimeError("
                                    "'broken on purpose')\n")
    static = root / "static"
    (static / "assets").mkdir(parents=True)
    (static / "index.html").write_text("<html>headwater ui</html>")
    (static / "assets" / "app.js").write_text("console.log(1)")
    return root


@pytest.fixture(scope="module")
def instance(project: Any) -> Any:
    home = project / "home"
    home.mkdir()
    inst = HeadwaterInstance.from_url(f"sqlite:///{home}/headwater.db", str(home))
    yield inst
    inst.dispose()


@pytest.fixture(scope="module")
def client(project: Any, instance: Any) -> Any:
    mp = pytest.MonkeyPatch()
    mp.setattr(app_module, "STATIC_DIR", str(project / "static"))
    app = create_app(instance, [CodeLocationOrigin(python_file=str(project / "defs.py")),
                                CodeLocationOrigin(python_file=str(project / "broken.py"))])
    with TestClient(app, base_url="http://127.0.0.1", headers={"X-Headwater-Request": "1"}) as c:
        yield c
    mp.undo()


def wait_run(client: TestClient, run_id: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}").json()
        if run["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish: {run}")


def materialize(client: TestClient, keys: list[str], **extra: Any) -> dict[str, Any]:
    response = client.post("/api/assets/materialize", json={"keys": keys, **extra})
    assert response.status_code == 200, response.text
    return wait_run(client, response.json()["run_id"])


def assets_by_key(client: TestClient) -> dict[str, Any]:
    return {a["key"]: a for a in client.get("/api/assets").json()["items"]}


# --- deployment --------------------------------------------------------------------------
def test_health(client: TestClient) -> None:
    """Health says ok and how the server is configured."""
    body = client.get("/api/health").json()
    assert body["status"] == "ok" and body["read_only"] is False and body["auth"] is False
    assert body["can_launch"] is True


def test_locations_show_load_errors(client: TestClient) -> None:
    """A broken location is listed with its error's message, file, line and traceback."""
    locations = {loc["name"]: loc for loc in client.get("/api/locations").json()}
    assert locations["defs"]["status"] == "loaded" and locations["defs"]["snapshot_id"]
    broken = locations["broken"]
    assert broken["status"] == "error" and broken["snapshot_id"] is None
    assert "broken on purpose" in broken["error"]["message"]
    assert broken["error"]["file"].endswith("broken.py") and broken["error"]["line"] == 3
    assert "RuntimeError" in broken["error"]["traceback"]


def test_reload_location_picks_up_a_fix(client: TestClient, project: Any) -> None:
    """Reloading a location re-imports its code; an unknown location is a 404."""
    (project / "broken.py").write_text("from headwater import Definitions, asset\n\n"
                                       "@asset\ndef fixed():\n    return 1\n\n"
                                       "defs = Definitions(assets=[fixed])\n")
    reloaded = client.post("/api/locations/broken/reload").json()
    assert reloaded["status"] == "loaded" and reloaded["error"] is None
    assert assets_by_key(client)["fixed"]["location"] == "broken"
    assert client.post("/api/locations/nope/reload").status_code == 404


def test_daemon_heartbeats(client: TestClient, instance: Any) -> None:
    """Daemon heartbeats are listed with their health."""
    instance.storage.add_daemon_heartbeat(DaemonHeartbeat("SCHEDULER", "d1", time.time()))
    instance.storage.add_daemon_heartbeat(DaemonHeartbeat("SENSOR", "d1", time.time() - 600))
    beats = {b["daemon"]: b for b in client.get("/api/daemon").json()["heartbeats"]}
    assert beats["SCHEDULER"]["healthy"] is True and beats["SENSOR"]["healthy"] is False


# --- assets ------------------------------------------------------------------------------
def test_asset_list_describes_every_asset(client: TestClient) -> None:
    """The asset list has each asset's group, kinds, owners, deps and partitions."""
    assets = assets_by_key(client)
    assert {"orders", "customers", "report", "flaky", "paint/bucket"} <= set(assets)
    orders = assets["orders"]
    assert orders["group"] == "raw" and orders["kinds"] == ["python"]
    assert orders["owners"] == ["team:data"] and orders["location"] == "defs"
    assert assets["report"]["deps"] == ["customers", "orders"]
    assert assets["paint/bucket"]["partitions"] == {"kind": "StaticPartitionsDefinition",
                                                    "count": 3}
    assert assets["orders"]["partitions"] is None


def test_materialize_moves_statuses(client: TestClient) -> None:
    """never -> materialized, and a downstream asset goes stale when upstream gets a new data
    version (customers has no code_version, so each run of it is a new version; orders has
    code_version "1" and no inputs, so re-running it gives the same version)."""
    assert assets_by_key(client)["report"]["status"] == "never"
    run = materialize(client, ["orders", "customers", "report"])
    assert run["status"] == "SUCCESS"
    assets = assets_by_key(client)
    assert assets["report"]["status"] == "materialized"
    assert assets["report"]["latest"]["run_id"] == run["run_id"]
    materialize(client, ["orders"])
    assert assets_by_key(client)["report"]["status"] == "materialized"
    materialize(client, ["customers"])
    report = assets_by_key(client)["report"]
    assert report["status"] == "stale"
    assert [c["kind"] for c in report["stale_causes"]] == ["new_data_version"]


def test_failed_asset_status(client: TestClient, project: Any) -> None:
    """An asset whose latest run failed before materializing it is 'failed'."""
    flag = project / "fail.flag"
    flag.write_text("x")
    try:
        assert materialize(client, ["flaky"])["status"] == "FAILURE"
    finally:
        flag.unlink()
    assert assets_by_key(client)["flaky"]["status"] == "failed"
    assert materialize(client, ["flaky"])["status"] == "SUCCESS"
    assert assets_by_key(client)["flaky"]["status"] == "materialized"


def test_asset_detail(client: TestClient) -> None:
    """One asset: definition, typed metadata of its latest materialization, lineage."""
    materialize(client, ["orders", "customers", "report"])
    report = client.get("/api/assets/report").json()
    assert report["upstream"] == ["customers", "orders"] and report["downstream"] == []
    assert report["io_manager_key"] == "io_manager"
    metadata = report["latest_materialization"]["metadata"]
    assert metadata["rows"] == {"type": "int", "value": 3}
    assert metadata["site"] == {"type": "url", "value": "http://x"}
    orders = client.get("/api/assets/orders").json()
    assert orders["code_version"] == "1" and orders["description"] == "Orders from the shop."
    assert orders["downstream"] == ["report"]


def test_asset_errors(client: TestClient) -> None:
    """Unknown assets are 404, malformed keys 400, non-executable requests 4xx."""
    assert client.get("/api/assets/nope").status_code == 404
    assert client.get("/api/assets/a//b").status_code == 400
    assert "nope" in client.get("/api/assets/nope").json()["detail"]
    assert client.post("/api/assets/materialize", json={"keys": []}).status_code == 422
    assert client.post("/api/assets/materialize", json={"keys": ["nope"]}).status_code == 404
    bad = client.post("/api/assets/materialize", content=b"{not json",
                      headers={"content-type": "application/json"})
    assert bad.status_code == 422 and "Invalid request" in bad.json()["detail"]


def test_materialization_history_pages(client: TestClient) -> None:
    """Materializations come newest first, a page at a time with a cursor."""
    materialize(client, ["customers"])
    first = client.get("/api/assets/customers/materializations?limit=1").json()
    assert len(first["items"]) == 1 and first["has_more"] is True
    second = client.get(f"/api/assets/customers/materializations?limit=1"
                        f"&cursor={first['cursor']}").json()
    assert second["items"][0]["id"] < first["items"][0]["id"]
    assert client.get("/api/assets/customers/materializations?cursor=x").status_code == 400
    assert client.get("/api/assets/customers/materializations?limit=0").status_code == 400


def test_partitions_and_backfill(client: TestClient) -> None:
    """Partition keys with statuses; materializing a partition; requesting a backfill."""
    url = "/api/assets/paint%2Fbucket/partitions"
    assert client.get(url).json()["status"] == {"red": "missing", "green": "missing",
                                                "blue": "missing"}
    materialize(client, ["paint/bucket"], partition_key="green")
    assert client.get(url).json()["status"]["green"] == "materialized"
    assert client.get("/api/assets/orders/partitions").status_code == 404
    created = client.post("/api/backfills", json={"keys": ["paint/bucket"],
                                                  "partition_keys": ["red", "blue"]})
    assert created.status_code == 200, created.text
    backfills = client.get("/api/backfills").json()["items"]
    assert backfills[0]["backfill_id"] == created.json()["backfill_id"]
    assert backfills[0]["partition_keys"] == ["red", "blue"]
    assert backfills[0]["status"] == "REQUESTED" and backfills[0]["asset_selection"] == [
        "paint/bucket"]
    unknown = client.post("/api/backfills", json={"keys": ["paint/bucket"],
                                                  "partition_keys": ["purple"]})
    assert unknown.status_code == 400 and "purple" in unknown.json()["detail"]
    assert client.post("/api/backfills", json={"keys": ["orders"],
                                               "partition_keys": ["x"]}).status_code == 400


# --- jobs ----------------------------------------------------------------------------------
def test_jobs_list_and_graph(client: TestClient) -> None:
    """Jobs list; a job's graph links inputs to upstream outputs; schema and scaffold."""
    jobs = {j["name"]: j for j in client.get("/api/jobs").json()}
    assert jobs["numbers"]["is_asset_job"] is False and jobs["raw_job"]["is_asset_job"] is True
    detail = client.get("/api/jobs/numbers").json()
    nodes = {n["name"]: n for n in detail["graph"]["nodes"]}
    assert nodes["double"]["inputs"][0]["from"] == ["make.result"]
    assert nodes["make"]["outputs"][0]["name"] == "result"
    assert detail["run_config_schema"]["type"] == "object"
    assert detail["default_run_config"] == {"ops": {"make": {"config": {"n": None, "label": None}}}}
    assert client.get("/api/jobs/nope").status_code == 404


def test_validate_run_config(client: TestClient) -> None:
    """Validation lists each problem with its path."""
    bad = client.post("/api/jobs/numbers/validate",
                      json={"run_config": {"ops": {"make": {"config": {"n": "x"}}}}}).json()
    assert bad["valid"] is False
    paths = {e["path"] for e in bad["errors"]}
    assert "ops.make.config.n" in paths
    good = client.post("/api/jobs/numbers/validate", json={"run_config": {
        "ops": {"make": {"config": {"n": 1, "label": "a"}}}}}).json()
    assert good == {"valid": True, "errors": []}


def test_launch_job(client: TestClient) -> None:
    """Invalid config is a 422 with the errors; a valid launch runs the job with tags."""
    bad = client.post("/api/jobs/numbers/launch", json={"run_config": {}})
    assert bad.status_code == 422 and bad.json()["valid"] is False and bad.json()["errors"]
    launched = client.post("/api/jobs/numbers/launch", json={
        "run_config": {"ops": {"make": {"config": {"n": 2, "label": "a"}}}},
        "tags": {"who": "test"}})
    assert launched.status_code == 200, launched.text
    run = wait_run(client, launched.json()["run_id"])
    assert run["status"] == "SUCCESS" and run["tags"]["who"] == "test"
    assert run["tags"]["team"] == "math"
    steps = {s["step_key"]: s for s in run["steps"]}
    assert steps["make"]["status"] == "success" and steps["make"]["attempts"] == 1
    assert steps["double"]["start"] >= steps["make"]["end"] - 1


# --- runs ----------------------------------------------------------------------------------
def _launch_numbers(client: TestClient, n: int = 1, **tags: str) -> dict[str, Any]:
    response = client.post("/api/jobs/numbers/launch", json={
        "run_config": {"ops": {"make": {"config": {"n": n, "label": "a"}}}}, "tags": tags})
    return wait_run(client, response.json()["run_id"])


def test_run_list_filters_and_pages(client: TestClient) -> None:
    """Runs filter by status, job, tag and time, and page with a cursor."""
    run = _launch_numbers(client, 3, batch="b1")
    by_tag = client.get("/api/runs?tag=batch=b1").json()["items"]
    assert [r["run_id"] for r in by_tag] == [run["run_id"]]
    assert all(r["job_name"] == "numbers" for r in
               client.get("/api/runs?job=numbers").json()["items"])
    assert all(r["status"] == "SUCCESS" for r in
               client.get("/api/runs?status=success").json()["items"])
    failed = client.get("/api/runs?status=FAILURE").json()["items"]
    assert failed and all(r["status"] == "FAILURE" for r in failed)
    later = client.get(f"/api/runs?since={run['create_timestamp'] + 100}").json()
    assert later["items"] == []
    first = client.get("/api/runs?limit=2").json()
    assert len(first["items"]) == 2 and first["has_more"] is True
    second = client.get(f"/api/runs?limit=2&cursor={first['cursor']}").json()
    assert not {r["run_id"] for r in first["items"]} & {r["run_id"] for r in second["items"]}
    for bad in ("status=BOGUS", "tag=novalue", "since=yesterday", "cursor=nope", "limit=5000"):
        response = client.get(f"/api/runs?{bad}")
        assert response.status_code == 400, bad
        assert response.json()["detail"]


def test_run_events_filters_and_pages(client: TestClient) -> None:
    """A run's log filters by type, step and level, and pages with a cursor."""
    run = _launch_numbers(client, 4)
    url = f"/api/runs/{run['run_id']}/events"
    everything = client.get(url).json()["items"]
    assert everything[0]["type"] in ("RUN_STARTING", "RUN_ENQUEUED")
    assert everything[-1]["type"] == "RUN_SUCCESS"
    successes = client.get(url + "?type=STEP_SUCCESS").json()["items"]
    assert {e["step_key"] for e in successes} == {"make", "double"}
    logs = client.get(url + "?type=LOG&level=INFO").json()["items"]
    assert [e["message"] for e in logs] == ["making 4"]
    only_make = client.get(url + "?step=make").json()["items"]
    assert only_make and all(e["step_key"] == "make" for e in only_make)
    page1 = client.get(url + "?limit=3").json()
    page2 = client.get(url + f"?limit=3&cursor={page1['cursor']}").json()
    assert [e["id"] for e in page1["items"] + page2["items"]] == [e["id"] for e in everything[:6]]
    assert client.get(url + "?type=NOPE").status_code == 400
    assert client.get(url + "?level=LOUD").status_code == 400
    assert client.get("/api/runs/no-such-run/events").status_code == 404
    assert client.get("/api/runs/bad%20id").status_code == 400


def test_failed_step_event_has_error(client: TestClient, project: Any) -> None:
    """A step failure's event carries the error's message and stack."""
    (project / "fail.flag").write_text("x")
    try:
        run = materialize(client, ["flaky"])
    finally:
        (project / "fail.flag").unlink()
    events = client.get(f"/api/runs/{run['run_id']}/events?type=STEP_FAILURE").json()["items"]
    error = events[0]["error"]
    assert 'executing op "flaky"' in error["message"]
    assert "flaky failed on purpose" in error["cause"]["message"] and error["cause"]["stack"]
    steps = client.get(f"/api/runs/{run['run_id']}").json()["steps"]
    assert steps[0]["status"] == "failure"


def test_run_stream_sends_events_then_status(client: TestClient) -> None:
    """The run stream replays stored events and ends with the run's status."""
    run = _launch_numbers(client, 5)
    names, data = [], []
    with client.stream("GET", f"/api/runs/{run['run_id']}/stream") as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                names.append(line.split(":", 1)[1].strip())
            elif line.startswith("data:"):
                data.append(json.loads(line.split(":", 1)[1]))
    assert names[-1] == "status" and data[-1]["status"] == "SUCCESS"
    stored = client.get(f"/api/runs/{run['run_id']}/events?limit=1000").json()["items"]
    assert [d["id"] for d in data[:-1]] == [e["id"] for e in stored]
    with client.stream("GET", f"/api/runs/{run['run_id']}/stream",
                       headers={"Last-Event-ID": str(stored[-2]["id"])}) as stream:
        resumed = [line for line in stream.iter_lines() if line.startswith("id:")]
    assert resumed == [f"id: {stored[-1]['id']}"]


def test_status_stream_reports_run_changes(client: TestClient) -> None:
    """/api/stream sends each run status change after it opens."""
    seen: list[dict[str, Any]] = []
    launched: list[str] = []

    def listen() -> None:
        # Up to a minute (a run worker starts slowly on a loaded machine), but no longer than
        # until the launched run's last change has come.
        with client.stream("GET", "/api/stream?max_seconds=60") as stream:
            for line in stream.iter_lines():
                if line.startswith("data:"):
                    seen.append(json.loads(line.split(":", 1)[1]))
                    if launched and seen[-1]["run_id"] == launched[0] and seen[-1]["status"] in (
                            "SUCCESS", "FAILURE", "CANCELED"):
                        return

    listener = threading.Thread(target=listen)
    listener.start()
    time.sleep(0.5)
    run = _launch_numbers(client, 6)
    launched.append(run["run_id"])
    listener.join(70)
    mine = [s["status"] for s in seen if s["run_id"] == run["run_id"]]
    assert mine and mine[-1] == "SUCCESS"


def test_cancel_reexecute_delete(client: TestClient) -> None:
    """Finished runs cannot be canceled; they re-execute as children; then delete."""
    run = _launch_numbers(client, 7)
    assert client.post(f"/api/runs/{run['run_id']}/cancel").status_code == 409
    assert client.post(f"/api/runs/{run['run_id']}/reexecute",
                       json={"strategy": "from_failure"}).status_code == 409
    assert client.post(f"/api/runs/{run['run_id']}/reexecute",
                       json={"strategy": "selected"}).status_code == 400
    assert client.post(f"/api/runs/{run['run_id']}/reexecute",
                       json={"strategy": "sideways"}).status_code == 422
    child = client.post(f"/api/runs/{run['run_id']}/reexecute",
                        json={"strategy": "selected", "step_keys": ["double"]})
    assert child.status_code == 200, child.text
    child_run = wait_run(client, child.json()["run_id"])
    assert child_run["status"] == "SUCCESS" and child_run["parent_run_id"] == run["run_id"]
    assert [s["step_key"] for s in child_run["steps"]] == ["double"]
    assert client.delete(f"/api/runs/{child_run['run_id']}").json()["deleted"] is True
    assert client.get(f"/api/runs/{child_run['run_id']}").status_code == 404


def test_cancel_a_queued_run(client: TestClient, instance: Any) -> None:
    """A run that no worker picked up is canceled at once."""
    from headwater.storage.record import HeadwaterRun, HeadwaterRunStatus

    instance.add_run(HeadwaterRun(job_name="numbers", run_id="queued-1",
                                  status=HeadwaterRunStatus.QUEUED))
    canceled = client.post("/api/runs/queued-1/cancel").json()
    assert canceled["status"] == "CANCELED"
    assert client.get("/api/runs/queued-1").json()["status"] == "CANCELED"


# --- schedules and sensors -----------------------------------------------------------------
def test_schedules_and_sensors(client: TestClient) -> None:
    """Schedules and sensors list with status; start and stop toggles it; ticks page."""
    schedule = {s["name"]: s for s in client.get("/api/schedules").json()}["nightly"]
    assert schedule["cron"] == "0 3 * * *" and schedule["job"] == "raw_job"
    assert schedule["status"] == "stopped" and schedule["next_ticks"] == []
    assert client.post("/api/schedules/nightly/start").json()["status"] == "running"
    schedule = client.get("/api/schedules").json()[0]
    assert schedule["status"] == "running" and len(schedule["next_ticks"]) == 5
    assert "T03:00:00" in schedule["next_ticks"][0]
    assert client.post("/api/schedules/nightly/stop").json()["status"] == "stopped"
    sensor = client.get("/api/sensors").json()[0]
    assert sensor["name"] == "watcher" and sensor["interval"] == 45
    assert client.post("/api/sensors/watcher/start").json()["status"] == "running"
    assert client.get("/api/sensors").json()[0]["status"] == "running"
    ticks = client.get("/api/sensors/watcher/ticks").json()
    assert ticks == {"items": [], "cursor": None, "has_more": False}
    assert client.post("/api/schedules/nope/start").status_code == 404
    assert client.get("/api/schedules/nightly/ticks?cursor=abc").status_code == 400


def test_ticks_are_listed(client: TestClient, instance: Any) -> None:
    """Stored ticks of a schedule come newest first with skip reasons."""
    from headwater.server.automation import instigator_origin_id
    from headwater.storage.state import TickRecord

    origin = instigator_origin_id("defs", "nightly")
    for i, status in enumerate(("SUCCESS", "SKIPPED")):
        instance.storage.create_tick(TickRecord(origin, "nightly", "SCHEDULE", status,
                                                1000.0 + i, body={"skip_reason": "quiet"}))
    ticks = client.get("/api/schedules/nightly/ticks?limit=1").json()
    assert ticks["items"][0]["status"] == "SKIPPED" and ticks["has_more"] is True
    assert ticks["items"][0]["skip_reason"] == "quiet"
    rest = client.get(f"/api/schedules/nightly/ticks?cursor={ticks['cursor']}").json()
    assert [t["status"] for t in rest["items"]] == ["SUCCESS"]
    assert client.get("/api/schedules").json()[0]["last_tick"]["status"] == "SKIPPED"


# --- the UI, security ------------------------------------------------------------------
def test_static_files_and_spa_fallback(client: TestClient) -> None:
    """Built files are served; any other non-API path returns index.html."""
    assert client.get("/assets/app.js").text == "console.log(1)"
    assert "headwater ui" in client.get("/").text
    assert "headwater ui" in client.get("/runs/some-run").text
    assert client.get("/api/unknown").status_code == 404
    assert client.get("/../../etc/passwd").status_code in (200, 404)
    assert "root:" not in client.get("/..%2F..%2Fetc%2Fpasswd").text


def test_openapi_lists_the_api(client: TestClient) -> None:
    """The OpenAPI spec documents the endpoints."""
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in ("/api/assets", "/api/runs/{run_id}/events", "/api/jobs/{name}/launch",
                 "/api/schedules/{name}/start", "/api/daemon", "/api/stream"):
        assert path in paths


@pytest.fixture(scope="module")
def guarded(project: Any, instance: Any) -> Any:
    app = create_app(instance, [CodeLocationOrigin(python_file=str(project / "defs.py"))],
                     read_only=True, token="s3cret")
    with TestClient(app, base_url="http://127.0.0.1", headers={"X-Headwater-Request": "1"}) as c:
        yield c


def test_token_is_required(guarded: TestClient) -> None:
    """Without the token every request is 401; a bearer header or ?token= lets it in."""
    assert guarded.get("/api/health").status_code == 401
    assert guarded.get("/").status_code == 401
    assert guarded.get("/api/health", headers={"Authorization": "Bearer nope"}).status_code == 401
    ok = guarded.get("/api/health", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200 and ok.json()["auth"] is True
    first = guarded.get("/api/health?token=s3cret")
    assert first.status_code == 200 and "headwater_token" in first.cookies
    assert guarded.get("/api/assets").status_code == 200  # the cookie carries it


def test_read_only_refuses_mutations(guarded: TestClient) -> None:
    """Read-only mode answers 403 to every mutation but still validates config."""
    auth = {"Authorization": "Bearer s3cret"}
    for method, path in (("post", "/api/assets/materialize"), ("post", "/api/runs/x/cancel"),
                         ("delete", "/api/runs/x"), ("post", "/api/schedules/nightly/start"),
                         ("post", "/api/locations/defs/reload")):
        response = getattr(guarded, method)(path, headers=auth)
        assert response.status_code == 403, path
        assert "read-only" in response.json()["detail"]
    valid = guarded.post("/api/jobs/numbers/validate", headers=auth, json={"run_config": {}})
    assert valid.status_code == 200 and valid.json()["valid"] is False


def test_without_a_launcher_launching_is_503(project: Any, instance: Any) -> None:
    """A webserver created without a launcher says it cannot launch."""
    app = create_app(instance, [CodeLocationOrigin(python_file=str(project / "defs.py"))],
                     launcher=None)
    with TestClient(app, base_url="http://127.0.0.1", headers={"X-Headwater-Request": "1"}) as c:
        response = c.post("/api/assets/materialize", json={"keys": ["orders"]})
    assert response.status_code == 503 and "no run launcher" in response.json()["detail"]


def test_ephemeral_instance_cannot_launch() -> None:
    """Launching against an in-memory instance is a clear 400, not a 500."""
    origin = CodeLocationOrigin(python_file=os.path.join(os.path.dirname(__file__), "nope.py"))
    app = create_app(HeadwaterInstance.ephemeral(), [origin])
    with TestClient(app, base_url="http://127.0.0.1", headers={"X-Headwater-Request": "1"}) as c:
        assert c.get("/api/locations").json()[0]["status"] == "error"
        assert c.get("/api/assets").json()["items"] == []
