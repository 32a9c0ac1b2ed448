"""An asset's events in the webserver's API (the asset page's Events tab), against a real
SQLite instance and code server: materializations, observations and failures newest first with
their runs, paging by cursor, the types filter, and its errors."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from headwater import materialize  # noqa: E402
from headwater.code.location import CodeLocationOrigin  # noqa: E402
from headwater.server import create_app  # noqa: E402
from headwater.storage.instance import HeadwaterInstance  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PROJECT = FIXTURES / "asset_tabs_project.py"


SCORE_ROWS = (10, 20, 15)


def populate(instance: Any, score_rows: tuple[int, ...] = SCORE_ROWS) -> None:
    """Runs in this process on the server's instance: one failed partition, one good one, a
    static and a multi partition, and a run of scores for each of `score_rows`."""
    sys.path.insert(0, str(FIXTURES))
    try:
        import asset_tabs_project as p
    finally:
        sys.path.remove(str(FIXTURES))
    materialize([p.daily_events], instance=instance, partition_key="2024-01-03",
                raise_on_error=False)
    materialize([p.daily_events], instance=instance, partition_key="2024-01-02")
    materialize([p.paint], instance=instance, partition_key="red")
    materialize([p.swatches], instance=instance, partition_key="green|m")
    for rows in score_rows:
        materialize([p.src_a, p.src_b, p.middle, p.scores], instance=instance,
                    tags={"rows": str(rows)})


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    home = tmp_path_factory.mktemp("events") / "home"
    home.mkdir()
    instance = HeadwaterInstance.from_url(f"sqlite:///{home}/headwater.db", str(home))
    populate(instance)
    app = create_app(instance, [CodeLocationOrigin(python_file=str(PROJECT))])
    with TestClient(app, base_url="http://127.0.0.1", headers={"X-Headwater-Request": "1"}) as c:
        yield c
    instance.dispose()


def test_events_list_materializations_observations_with_runs(client: TestClient) -> None:
    """scores has three materializations and three observations, newest first, each with the
    status and job of its run."""
    body = client.get("/api/assets/scores/events").json()
    kinds = [e["type"] for e in body["items"]]
    assert sorted(kinds) == ["materialization"] * 3 + ["observation"] * 3
    rows = [e["metadata"]["rows"]["value"] for e in body["items"] if e["type"] == "materialization"]
    assert rows == [15, 20, 10]
    assert all(e["run_status"] == "SUCCESS" and e["job_name"] for e in body["items"])
    ids = [e["id"] for e in body["items"]]
    assert ids == sorted(ids, reverse=True)
    assert body["has_more"] is False


def test_events_list_failures_with_their_error(client: TestClient) -> None:
    """The failed partition shows as a failure of a FAILURE run, with the step's error."""
    body = client.get("/api/assets/daily_events/events").json()
    by_type = {e["type"]: e for e in body["items"]}
    assert set(by_type) == {"failure", "materialization"}
    failure = by_type["failure"]
    assert failure["partition"] == "2024-01-03"
    assert failure["run_status"] == "FAILURE"
    assert "corrupt" in str(failure["error"])  # the cause of the step error
    assert by_type["materialization"]["partition"] == "2024-01-02"


def test_events_page_by_cursor_and_filter_by_type(client: TestClient) -> None:
    """limit and cursor walk the events; types= keeps some kinds; a bad type is a 400."""
    first = client.get("/api/assets/scores/events?limit=4").json()
    assert len(first["items"]) == 4 and first["has_more"] is True
    rest = client.get(f"/api/assets/scores/events?limit=4&cursor={first['cursor']}").json()
    assert len(rest["items"]) == 2 and rest["has_more"] is False
    assert not {e["id"] for e in first["items"]} & {e["id"] for e in rest["items"]}
    only = client.get("/api/assets/scores/events?types=observation").json()["items"]
    assert [e["type"] for e in only] == ["observation"] * 3
    assert only[0]["metadata"]["checked_rows"]["value"] == 15
    bad = client.get("/api/assets/scores/events?types=explosion")
    assert bad.status_code == 400 and "explosion" in bad.json()["detail"]
    assert client.get("/api/assets/nope/events").status_code == 404


def test_events_walked_one_at_a_time_are_all_there_once(client: TestClient) -> None:
    """Pages of one item each, cursor to cursor, give every event once, in order."""
    everything = client.get("/api/assets/daily_events/events").json()["items"] + \
        client.get("/api/assets/scores/events").json()["items"]
    walked: list[dict[str, Any]] = []
    for key in ("daily_events", "scores"):
        cursor = ""
        while True:
            body = client.get(f"/api/assets/{key}/events?limit=1&cursor={cursor}").json()
            walked.extend(body["items"])
            if not body["has_more"]:
                break
            cursor = body["cursor"]
    assert [(e["type"], e["id"], e["run_id"]) for e in walked] == \
        [(e["type"], e["id"], e["run_id"]) for e in everything]
    assert client.get("/api/assets/scores/events?cursor=yesterday").status_code == 400
