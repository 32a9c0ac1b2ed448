"""Asset checks in the webserver's API, against a real SQLite instance, code server and run
workers: checks in the asset list and detail, running checks only, one check's history, the
checks of a run, and the errors of each endpoint."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("sse_starlette")

from fastapi.testclient import TestClient  # noqa: E402

from headwater import AssetKey  # noqa: E402
from headwater.code.location import CodeLocationOrigin  # noqa: E402
from headwater.definitions.checks.result import AssetCheckEvaluation  # noqa: E402
from headwater.definitions.checks.spec import AssetCheckSeverity  # noqa: E402
from headwater.server import create_app  # noqa: E402
from headwater.storage.instance import HeadwaterInstance  # noqa: E402

PROJECT = Path(__file__).resolve().parents[1] / "fixtures" / "check_project.py"


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Any:
    home = tmp_path_factory.mktemp("checks") / "home"
    home.mkdir()
    inst = HeadwaterInstance.from_url(f"sqlite:///{home}/headwater.db", str(home))
    yield inst
    inst.dispose()


@pytest.fixture(scope="module")
def client(instance: Any) -> Any:
    app = create_app(instance, [CodeLocationOrigin(python_file=str(PROJECT))])
    with TestClient(app, base_url="http://127.0.0.1", headers={"X-Headwater-Request": "1"}) as c:
        yield c


def wait_run(client: TestClient, run_id: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}").json()
        if run["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish: {run}")


def execute(client: TestClient, keys: list[str]) -> dict[str, Any]:
    response = client.post("/api/checks/execute", json={"keys": keys})
    assert response.status_code == 200, response.text
    return wait_run(client, response.json()["run_id"])


def checks_of(client: TestClient, asset: str) -> dict[str, Any]:
    body = client.get(f"/api/assets/{asset}").json()
    return {c["name"]: c for c in body["checks"]}


def summaries(client: TestClient, query: str = "") -> dict[str, Any]:
    return {a["key"]: a["check_summary"] for a in client.get(f"/api/assets{query}").json()["items"]}


def test_checks_before_any_run(client: TestClient) -> None:
    """Each asset lists its checks as defined, none run yet; the list counts them as not run."""
    checks = checks_of(client, "orders")
    assert sorted(checks) == ["customers_present", "no_free_orders", "not_empty"]
    present = checks["customers_present"]
    assert present["key"] == "orders:customers_present" and present["blocking"] is True
    assert present["description"] == "Every order names its customer."
    assert present["in_asset_step"] is False and present["latest"] is None
    assert present["result"] == "not_run"
    revenue = checks_of(client, "revenue")["positive"]
    assert revenue["in_asset_step"] is True and revenue["blocking"] is False
    assert summaries(client)["orders"] == {"passed": 0, "warn": 0, "failed": 0,
                                           "in_progress": 0, "not_run": 3, "total": 3}
    listed = client.get("/api/assets/orders/checks").json()["items"]
    assert [c["name"] for c in listed] == sorted(checks)


def test_run_checks_only(client: TestClient) -> None:
    """Running checks launches a run that evaluates them, materializes nothing, and shows each
    result with its severity and metadata: on the run, the asset, the list and the history.
    The blocking check failed with severity ERROR, so its step, and the run, failed."""
    run = execute(client, ["orders:customers_present", "orders:no_free_orders"])
    assert run["status"] == "FAILURE"
    assert run["asset_check_selection"] == ["orders:customers_present",
                                            "orders:no_free_orders"]
    by_key = {c["key"]: c for c in run["checks"]}
    assert set(by_key) == {"orders:customers_present", "orders:no_free_orders"}
    failed = by_key["orders:customers_present"]
    assert failed["result"] == "failed" and failed["passed"] is False
    assert failed["severity"] == "ERROR" and failed["status"] == "FAILED"
    assert failed["metadata"]["missing"] == {"type": "int", "value": 1}
    assert by_key["orders:no_free_orders"]["result"] == "warn"
    check_steps = [s for s in run["steps"] if s["kind"] == "check"]
    assert check_steps and {k for s in check_steps for k in s["checks"]} == set(by_key)
    assert [s["status"] for s in run["steps"] if "orders:customers_present" in s["checks"]] == [
        "failure"]
    events = client.get(f"/api/runs/{run['run_id']}/events?type=ASSET_MATERIALIZATION").json()
    assert events["items"] == []

    checks = checks_of(client, "orders")
    latest = checks["customers_present"]["latest"]
    assert checks["customers_present"]["result"] == "failed"
    assert latest["run_id"] == run["run_id"] and latest["status"] == "FAILED"
    assert latest["severity"] == "ERROR" and latest["passed"] is False
    assert latest["description"] == "1 order(s) without a customer"
    assert latest["metadata"]["missing"]["value"] == 1
    assert checks["not_empty"]["result"] == "not_run"
    assert summaries(client)["orders"] == {"passed": 0, "warn": 1, "failed": 1,
                                           "in_progress": 0, "not_run": 1, "total": 3}
    assert set(summaries(client, "?checks=failed")) == {"orders"}

    again = execute(client, ["orders:customers_present"])
    history = client.get("/api/assets/orders/checks/customers_present/executions").json()
    assert [e["run_id"] for e in history["items"]] == [again["run_id"], run["run_id"]]
    first = client.get("/api/assets/orders/checks/customers_present/executions?limit=1").json()
    assert first["has_more"] is True and len(first["items"]) == 1
    rest = client.get("/api/assets/orders/checks/customers_present/executions"
                      f"?limit=1&cursor={first['cursor']}").json()
    assert [e["run_id"] for e in rest["items"]] == [run["run_id"]]


def test_reexecuting_a_check_run_checks_the_same_checks(client: TestClient) -> None:
    """Re-executing a run of checks evaluates the same checks, and still materializes nothing."""
    parent = execute(client, ["orders:not_empty"])
    assert parent["status"] == "SUCCESS"
    response = client.post(f"/api/runs/{parent['run_id']}/reexecute", json={"strategy": "all"})
    assert response.status_code == 200, response.text
    child = wait_run(client, response.json()["run_id"])
    assert child["status"] == "SUCCESS" and child["parent_run_id"] == parent["run_id"]
    assert child["asset_check_selection"] == ["orders:not_empty"]
    assert [(c["key"], c["result"]) for c in child["checks"]] == [("orders:not_empty", "passed")]
    assert [s["kind"] for s in child["steps"]] == ["check"]


def test_materializing_runs_the_assets_checks(client: TestClient) -> None:
    """Materializing an asset evaluates its checks too: revenue's own check passes in its step."""
    response = client.post("/api/assets/materialize", json={"keys": ["revenue"]})
    run = wait_run(client, response.json()["run_id"])
    assert run["status"] == "SUCCESS"
    assert [(c["key"], c["result"]) for c in run["checks"]] == [("revenue:positive", "passed")]
    step = next(s for s in run["steps"] if "revenue:positive" in s["checks"])
    assert step["kind"] == "asset"
    assert checks_of(client, "revenue")["positive"]["result"] == "passed"
    assert summaries(client)["revenue"]["passed"] == 1
    assert "revenue" not in summaries(client, "?checks=failed,warn")


def test_runless_evaluation_counts(client: TestClient, instance: Any) -> None:
    """A check evaluation reported without a run is the check's latest result, with no run."""
    instance.report_runless_asset_event(AssetCheckEvaluation(
        asset_key=AssetKey("orders"), check_name="not_empty", passed=False,
        severity=AssetCheckSeverity.WARN, metadata={"rows": 0}))
    latest = checks_of(client, "orders")["not_empty"]["latest"]
    assert latest["run_id"] is None and latest["result"] == "warn"
    assert set(summaries(client, "?checks=warn")) == {"orders"}


def test_check_errors_name_the_problem(client: TestClient) -> None:
    """Unknown checks and assets, malformed keys and filters are 4xx errors that say why."""
    missing = client.get("/api/assets/orders/checks/nope/executions")
    assert missing.status_code == 404
    assert "no check 'nope'" in missing.json()["detail"]
    assert "customers_present" in missing.json()["detail"]
    assert client.get("/api/assets/ghost/checks").status_code == 404
    bad_key = client.post("/api/checks/execute", json={"keys": ["orders"]})
    assert bad_key.status_code == 400 and "asset/path:check_name" in bad_key.json()["detail"]
    unknown = client.post("/api/checks/execute", json={"keys": ["orders:ghost"]})
    assert unknown.status_code == 404 and "no check 'ghost'" in unknown.json()["detail"]
    assert client.post("/api/checks/execute", json={"keys": []}).status_code == 422
    own_step = client.post("/api/checks/execute", json={"keys": ["revenue:positive"]})
    assert own_step.status_code == 400
    assert "without the asset(s) ['revenue']" in own_step.json()["detail"]
    bad_filter = client.get("/api/assets?checks=broken")
    assert bad_filter.status_code == 400 and "not a check result" in bad_filter.json()["detail"]
    bad_status = client.get("/api/assets/orders/checks/not_empty/executions?status=meh")
    assert bad_status.status_code == 400 and "SUCCEEDED" in bad_status.json()["detail"]
