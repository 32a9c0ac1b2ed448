"""The asset catalog API (`GET /api/catalog`) against a real SQLite instance, code server and
run workers: facets, each filter, sorting, paging, partition health, and its errors."""

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

PROJECT = Path(__file__).resolve().parents[1] / "fixtures" / "catalog_project.py"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    home = tmp_path_factory.mktemp("catalog") / "home"
    home.mkdir()
    instance = HeadwaterInstance.from_url(f"sqlite:///{home}/headwater.db", str(home))
    app = create_app(instance, [CodeLocationOrigin(python_file=str(PROJECT))])
    with TestClient(app, base_url="http://127.0.0.1", headers={"X-Headwater-Request": "1"}) as c:
        yield c
    instance.dispose()


def wait_runs(client: TestClient, run_ids: list[str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    pending = set(run_ids)
    while pending and time.monotonic() < deadline:
        for run_id in list(pending):
            if client.get(f"/api/runs/{run_id}").json()["status"] in ("SUCCESS", "FAILURE"):
                pending.discard(run_id)
        time.sleep(0.2)
    assert not pending, f"runs {pending} did not finish"


def keys(client: TestClient, query: str = "") -> list[str]:
    response = client.get(f"/api/catalog{query}")
    assert response.status_code == 200, response.text
    return [row["key"] for row in response.json()["items"]]


def test_lists_every_asset_with_facets(client: TestClient) -> None:
    """The first page lists every asset by key, with the total and the facets of the filters."""
    body = client.get("/api/catalog").json()
    assert [r["key"] for r in body["items"]] == ["raw/customers", "raw/events", "raw/orders",
                                                 "report", "revenue"]
    assert body["total"] == body["all"] == 5 and body["has_more"] is False
    assert body["facets"]["group"] == {"analytics": 2, "raw": 3}
    assert body["facets"]["kind"]["python"] == 2
    assert body["facets"]["tag"] == {"tier=gold": 1, "tier=silver": 1}
    assert body["facets"]["status"] == {"never": 5}
    events = body["items"][1]
    assert events["partitions"] == {"kind": "StaticPartitionsDefinition", "count": 3,
                                    "materialized": 0, "failed": 0, "in_progress": 0,
                                    "missing": 3}
    assert body["items"][4]["check_summary"]["total"] == 1


def test_filters(client: TestClient) -> None:
    """Search, group, kind, owner, tag, location and status each narrow the rows."""
    assert keys(client, "?q=ORD") == ["raw/orders"]
    assert keys(client, "?group=analytics") == ["report", "revenue"]
    assert keys(client, "?kind=csv,pandas") == ["raw/orders", "revenue"]
    assert keys(client, "?owner=ana@example.com") == ["raw/customers"]
    assert keys(client, "?tag=tier=silver") == ["revenue"]
    assert keys(client, "?tag=tier") == ["raw/orders", "revenue"]
    assert keys(client, "?location=nowhere") == []
    assert keys(client, "?status=never&group=raw") == ["raw/customers", "raw/events",
                                                       "raw/orders"]
    assert keys(client, "?checks=not_run") == ["revenue"]


def test_paging(client: TestClient) -> None:
    """limit and cursor page through the filtered, sorted rows."""
    first = client.get("/api/catalog?limit=2&sort=key&order=desc").json()
    assert [r["key"] for r in first["items"]] == ["revenue", "report"]
    assert first["has_more"] and first["total"] == 5
    second = client.get(f"/api/catalog?limit=2&sort=key&order=desc&cursor={first['cursor']}")
    assert [r["key"] for r in second.json()["items"]] == ["raw/orders", "raw/events"]


def test_materializations_sort_and_filter(client: TestClient) -> None:
    """After runs, rows carry their status, latest time, partition health and failed checks,
    and sort by them, never-materialized rows last either way."""
    for body in ({"keys": ["raw/orders"]}, {"keys": ["raw/events"], "partition_key": "eu"},
                 {"keys": ["revenue"]}):  # one after the other: their times are in this order
        wait_runs(client, [client.post("/api/assets/materialize", json=body).json()["run_id"]])
    assert keys(client, "?sort=last_materialized&order=desc")[:3] == [
        "revenue", "raw/events", "raw/orders"]
    assert keys(client, "?sort=last_materialized")[:3] == ["raw/orders", "raw/events", "revenue"]
    assert keys(client, "?sort=partitions_missing") == ["raw/events", "raw/customers",
                                                        "raw/orders", "report", "revenue"]
    body = client.get("/api/catalog?q=events").json()
    assert body["items"][0]["partitions"]["materialized"] == 1
    assert body["items"][0]["partitions"]["missing"] == 2
    assert keys(client, "?checks=failed") == ["revenue"]
    assert keys(client, "?sort=checks&order=desc")[0] == "revenue"
    assert keys(client, "?status=never") == ["raw/customers", "report"]
    # revenue's parent raw/customers was never materialized: it is stale.
    assert keys(client, "?stale=true") == ["revenue"]
    assert "revenue" not in keys(client, "?stale=false")


@pytest.mark.parametrize("query, fragment", [
    ("?sort=size", "not a catalog column"),
    ("?order=up", "asc or desc"),
    ("?status=ok", "not an asset status"),
    ("?checks=bad", "not a check result"),
    ("?tag==x", "not a tag filter"),
    ("?cursor=abc", "not a cursor"),
    ("?limit=0", "out of range"),
])
def test_errors(client: TestClient, query: str, fragment: str) -> None:
    """A bad parameter is a 400 that says what to pass instead."""
    response = client.get(f"/api/catalog{query}")
    assert response.status_code == 400
    assert fragment in response.json()["detail"]
