"""The run list's asset and backfill filters (/api/runs?asset=...&backfill=...)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from headwater.code.location import CodeLocationOrigin  # noqa: E402
from headwater.definitions.key import AssetKey  # noqa: E402
from headwater.server import create_app  # noqa: E402
from headwater.storage.instance import HeadwaterInstance  # noqa: E402
from headwater.storage.record import HeadwaterRun, HeadwaterRunStatus  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROJECT = os.path.join(ROOT, "fixtures", "ui_project.py")


def add_run(instance: Any, keys: list[str], tags: dict[str, str]) -> str:
    run_id = str(uuid.uuid4())
    instance.add_run(HeadwaterRun(job_name="__ASSET_JOB", run_id=run_id, tags=tags,
                                  asset_selection=frozenset(AssetKey.from_user_string(k) for k in keys),
                                  status=HeadwaterRunStatus.SUCCESS))
    return run_id


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Any]]:
    home = tmp_path_factory.mktemp("run_list") / "home"
    home.mkdir()
    instance = HeadwaterInstance.from_url(f"sqlite:///{home}/headwater.db", str(home))
    app = create_app(instance, [CodeLocationOrigin(python_file=PROJECT)], start=False)
    with TestClient(app, base_url="http://127.0.0.1", headers={"X-Headwater-Request": "1"}) as c:
        yield c, instance
    instance.dispose()


def ids(client: TestClient, query: str) -> set[str]:
    response = client.get(f"/api/runs?{query}")
    assert response.status_code == 200, response.text
    return {r["run_id"] for r in response.json()["items"]}


def test_runs_filter_by_asset_and_backfill(client: tuple[TestClient, Any]) -> None:
    """asset= keeps runs targeting any of the keys; backfill= the runs of one backfill."""
    c, instance = client
    orders = add_run(instance, ["orders"], {"headwater/backfill": "bf-1"})
    both = add_run(instance, ["orders", "raw/customers"], {"headwater/backfill": "bf-2"})
    customers = add_run(instance, ["raw/customers"], {"team": "web"})
    assert ids(c, "asset=orders") == {orders, both}
    assert ids(c, "asset=raw/customers") == {both, customers}
    assert ids(c, "asset=orders&asset=raw/customers") == {orders, both, customers}
    assert ids(c, "backfill=bf-1") == {orders}
    assert ids(c, "backfill=bf-2&asset=raw/customers") == {both}
    assert ids(c, "backfill=bf-1&tag=team=web") == set()
    bad = c.get("/api/runs?asset=a//b")
    assert bad.status_code == 400 and "not an asset key" in bad.json()["detail"]
