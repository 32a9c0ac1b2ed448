"""Launching partitioned work and reading compute logs through the API, against a real
SQLite instance, code server and run workers (tests/fixtures/ui2_project.py)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from headwater.code.location import CodeLocationOrigin  # noqa: E402
from headwater.definitions.tags import PARTITION_TAG  # noqa: E402
from headwater.server import create_app  # noqa: E402
from headwater.storage.instance import HeadwaterInstance  # noqa: E402

PROJECT = Path(__file__).resolve().parents[1] / "fixtures" / "ui2_project.py"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    home = tmp_path_factory.mktemp("ui2api")
    gate = home / "gate"
    gate.write_text("open")  # chatty prints both lines at once here
    monkey = pytest.MonkeyPatch()
    monkey.setenv("HEADWATER_TEST_GATE", str(gate))
    instance = HeadwaterInstance.from_url(f"sqlite:///{home}/headwater.db", str(home))
    app = create_app(instance, [CodeLocationOrigin(python_file=str(PROJECT))])
    with TestClient(app, base_url="http://127.0.0.1", headers={"X-Headwater-Request": "1"}) as c:
        yield c
    instance.dispose()
    monkey.undo()


def wait_run(client: TestClient, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}").json()
        if run["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            return dict(run)
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish")


def test_scaffold_leaves_required_values_empty(client: TestClient) -> None:
    """A required field without a default is scaffolded as null, which validation reports
    as a missing value."""
    job = client.get("/api/jobs/report_job").json()
    config = job["default_run_config"]
    assert config == {"ops": {"report": {"config": {"date": None, "n": None}}}}
    result = client.post("/api/jobs/report_job/validate", json={"run_config": config}).json()
    assert result["valid"] is False
    assert {e["path"] for e in result["errors"]} == {"ops.report.config.date",
                                                     "ops.report.config.n"}
    assert all(e["message"].startswith("Missing value") for e in result["errors"])


def test_partitioned_job_launches_only_with_a_partition(client: TestClient) -> None:
    """A partitioned job without a partition, or with one it lacks, is a 422 that says
    what to send; with a partition the run carries it."""
    missing = client.post("/api/jobs/daily_job/launch", json={})
    assert missing.status_code == 422
    assert "partitioned" in missing.json()["detail"] and "partition_key" in missing.json()["detail"]
    unknown = client.post("/api/jobs/daily_job/launch", json={"partition_key": "1999-01-01"})
    assert unknown.status_code == 422 and "no partition '1999-01-01'" in unknown.json()["detail"]
    launched = client.post("/api/jobs/daily_job/launch", json={"partition_key": "2024-01-02"})
    assert launched.status_code == 200, launched.text
    run = wait_run(client, launched.json()["run_id"])
    assert run["status"] == "SUCCESS" and run["tags"][PARTITION_TAG] == "2024-01-02"
    unpartitioned = client.post("/api/jobs/report_job/launch", json={"partition_key": "x"})
    assert unpartitioned.status_code == 400 and "not partitioned" in unpartitioned.json()["detail"]


def test_job_partitions_and_job_backfill(client: TestClient) -> None:
    """A partitioned asset job lists its partitions with their status; a backfill can name
    the job instead of assets."""
    reply = client.get("/api/jobs/daily_job/partitions").json()
    assert reply["keys"][:2] == ["2024-01-01", "2024-01-02"]
    assert set(reply["status"].values()) <= {"materialized", "missing", "failed", "in_progress"}
    assert client.get("/api/jobs/report_job/partitions").status_code == 404
    created = client.post("/api/backfills", json={"job_name": "daily_job", "tags": {"who": "me"},
                                                  "partition_keys": ["2024-01-03", "2024-01-04"]})
    assert created.status_code == 200, created.text
    backfill = client.get("/api/backfills").json()["items"][0]
    assert backfill["job_name"] == "daily_job"
    assert backfill["partition_keys"] == ["2024-01-03", "2024-01-04"]
    assert backfill["tags"] == {"who": "me"}
    neither = client.post("/api/backfills", json={"partition_keys": ["2024-01-03"]})
    assert neither.status_code == 400


def test_materialize_a_partitioned_asset_needs_a_partition(client: TestClient) -> None:
    """Without a partition (or with an unknown one) materializing a partitioned asset is a
    422; nothing is launched."""
    before = len(client.get("/api/runs").json()["items"])
    missing = client.post("/api/assets/materialize", json={"keys": ["daily"]})
    assert missing.status_code == 422 and "partition_key" in missing.json()["detail"]
    unknown = client.post("/api/assets/materialize", json={"keys": ["daily"],
                                                          "partition_key": "nope"})
    assert unknown.status_code == 422 and "nope" in unknown.json()["detail"]
    assert len(client.get("/api/runs").json()["items"]) == before


def test_mixed_selection_is_split(client: TestClient) -> None:
    """A partitioned and an unpartitioned asset: a run per partitioning for one partition,
    a backfill and a run for several."""
    reply = client.post("/api/assets/materialize", json={"keys": ["daily", "plain"],
                                                        "partition_key": "2024-01-05"})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert len(body["run_ids"]) == 2 and body["run_id"] == body["run_ids"][0]
    runs = [wait_run(client, r) for r in body["run_ids"]]
    assert [r["status"] for r in runs] == ["SUCCESS", "SUCCESS"]
    assert [(r["asset_selection"], r["partition_key"]) for r in runs] == [
        (["daily"], "2024-01-05"), (["plain"], None)]
    several = client.post("/api/assets/materialize", json={
        "keys": ["daily", "plain"], "partition_keys": ["2024-01-01", "2024-01-02"]}).json()
    assert len(several["run_ids"]) == 1 and several["backfill_id"]
    backfill = client.get("/api/backfills").json()["items"][0]
    assert backfill["asset_selection"] == ["daily"]
    assert wait_run(client, several["run_ids"][0])["asset_selection"] == ["plain"]
    both = client.post("/api/assets/materialize", json={
        "keys": ["daily"], "partition_key": "2024-01-01", "partition_keys": ["2024-01-02"]})
    assert both.status_code == 400


def test_compute_logs_per_step_and_per_run(client: TestClient) -> None:
    """What a step printed is listed, read from a byte offset, downloaded, and removed with
    its run."""
    run_id = client.post("/api/assets/materialize", json={"keys": ["chatty"]}).json()["run_id"]
    assert wait_run(client, run_id)["status"] == "SUCCESS"
    index = client.get(f"/api/runs/{run_id}/compute_logs").json()
    steps = {s["step_key"]: s for s in index["steps"]}
    assert steps["chatty"]["stdout"] > 0 and steps["chatty"]["stderr"] > 0
    assert index["run"]["stdout"] == steps["chatty"]["stdout"]
    out = client.get(f"/api/runs/{run_id}/compute_logs/stdout?step=chatty").json()
    assert out["text"] == "first line from chatty\nsecond line from chatty\n"
    assert out["cursor"] == out["size"] and out["has_more"] is False
    first = client.get(f"/api/runs/{run_id}/compute_logs/stdout?step=chatty&limit=6").json()
    rest = client.get(f"/api/runs/{run_id}/compute_logs/stdout?step=chatty"
                      f"&cursor={first['cursor']}").json()
    assert first["text"] == "first " and first["has_more"] is True
    assert first["text"] + rest["text"] == out["text"]
    err = client.get(f"/api/runs/{run_id}/compute_logs/stderr?step=chatty").json()
    assert err["text"] == "a warning on stderr\n"
    whole = client.get(f"/api/runs/{run_id}/compute_logs/stdout").json()
    assert "second line from chatty" in whole["text"] and whole["step_key"] is None
    download = client.get(out["download"])
    assert download.status_code == 200 and download.text == out["text"]
    assert download.headers["content-disposition"].startswith("attachment")
    assert client.get(f"/api/runs/{run_id}/compute_logs/stdout?step=../x").status_code == 400
    assert client.get(f"/api/runs/{run_id}/compute_logs/other").status_code == 422
    assert client.get("/api/runs/nope/compute_logs").status_code == 404
    nothing = client.get(f"/api/runs/{run_id}/compute_logs/stdout?step=absent").json()
    assert nothing["text"] == "" and nothing["size"] == 0
    home = client.app.state.headwater.instance.storage_directory()  # type: ignore[attr-defined]
    assert os.path.isdir(os.path.join(home, run_id, "compute_logs"))
    assert client.delete(f"/api/runs/{run_id}").status_code == 200
    assert not os.path.exists(os.path.join(home, run_id, "compute_logs"))
