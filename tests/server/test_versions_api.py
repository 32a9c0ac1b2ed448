"""stale_status and stale_causes in the asset list and detail, and /explain, against a real
SQLite instance, code server and run workers."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from headwater.code.location import CodeLocationOrigin  # noqa: E402
from headwater.server import create_app  # noqa: E402
from headwater.storage.instance import HeadwaterInstance  # noqa: E402

PROJECT = Path(__file__).resolve().parents[1] / "fixtures" / "versions_project.py"


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("versions")
    version_file = tmp / "version.txt"
    version_file.write_text("v1")
    monkey = pytest.MonkeyPatch()
    monkey.setenv("HEADWATER_TEST_VERSION_FILE", str(version_file))
    (tmp / "home").mkdir()
    instance = HeadwaterInstance.from_url(f"sqlite:///{tmp}/home/headwater.db", str(tmp / "home"))
    app = create_app(instance, [CodeLocationOrigin(python_file=str(PROJECT))])
    with TestClient(app, base_url="http://127.0.0.1", headers={"X-Headwater-Request": "1"}) as client:
        yield client, version_file
    instance.dispose()
    monkey.undo()


def materialize(client: TestClient, keys: list[str]) -> None:
    run_id = client.post("/api/assets/materialize", json={"keys": keys}).json()["run_id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if client.get(f"/api/runs/{run_id}").json()["status"] == "SUCCESS":
            return
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not succeed")


def test_stale_status_causes_and_explain(setup: Any) -> None:
    """MISSING before any run, FRESH after, and STALE with structured causes once raw has a
    new data version; /explain returns the sections."""
    client, version_file = setup
    items = {a["key"]: a for a in client.get("/api/assets").json()["items"]}
    assert items["clean"]["stale_status"] == "MISSING" and items["clean"]["stale_causes"] == []
    materialize(client, ["raw", "clean", "report"])
    items = {a["key"]: a for a in client.get("/api/assets").json()["items"]}
    assert {k: a["stale_status"] for k, a in items.items()} == {
        "raw": "FRESH", "clean": "FRESH", "report": "FRESH"}
    version_file.write_text("v2")
    materialize(client, ["raw"])
    detail = client.get("/api/assets/clean").json()
    assert detail["status"] == "stale" and detail["stale_status"] == "STALE"
    (cause,) = detail["stale_causes"]
    assert cause["category"] == "DATA" and cause["kind"] == "new_data_version"
    assert cause["dependency"] == "raw" and cause["evidence"] == {"was": "v1", "now": "v2"}
    assert cause["text"] == "clean: raw has a new data version (was 'v1', now 'v2')."
    items = {a["key"]: a for a in client.get("/api/assets").json()["items"]}
    assert items["report"]["stale_causes"][0]["kind"] == "stale_dependency"
    explained = client.get("/api/assets/clean/explain").json()
    assert [s["title"] for s in explained["sections"]] == [
        "Staleness", "What would run", "Automation"]
    assert explained["sections"][2]["data"]["verdict"] == "no_condition"  # from the code server
    assert explained["sections"][0]["data"]["status"] == "STALE"
    assert client.get("/api/assets/nope/explain").status_code == 404
