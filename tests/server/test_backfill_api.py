"""The backfill routes (/api/backfills...): the list with progress and its status filter, one
backfill with each partition's status and runs, cancel (409 once finished, 403 read-only),
404 naming an unknown id, and a backfill of 3,000 partitions read with one runs query."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from headwater.code.location import CodeLocationOrigin  # noqa: E402
from headwater.code.run import origin_tag  # noqa: E402
from headwater.daemon import backfill  # noqa: E402
from headwater.definitions.tags import BACKFILL_ID_TAG, PARTITION_TAG  # noqa: E402
from headwater.server import create_app  # noqa: E402
from headwater.storage.instance import HeadwaterInstance  # noqa: E402
from headwater.storage.record import HeadwaterRun, HeadwaterRunStatus  # noqa: E402

S = HeadwaterRunStatus
DEFS = """\
from headwater import DailyPartitionsDefinition, Definitions, asset

@asset(partitions_def=DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-11"))
def daily(context):
    return context.partition_key

defs = Definitions(assets=[daily])
"""
DAYS = [f"2024-01-{d:02d}" for d in range(1, 11)]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Any, Path]]:
    root = tmp_path_factory.mktemp("backfills")
    (root / "defs.py").write_text(DEFS)
    home = root / "home"
    home.mkdir()
    instance = HeadwaterInstance.from_url(f"sqlite:///{home}/headwater.db", str(home))
    app = create_app(instance, [CodeLocationOrigin(python_file=str(root / "defs.py"))],
                     launcher=None)
    with TestClient(app, base_url="http://127.0.0.1", headers={"X-Headwater-Request": "1"}) as client:
        yield client, instance, root
    instance.dispose()


def stored_backfill(instance: Any, root: Path, keys: list[str]) -> str:
    """A backfill of `daily` as the webserver stores it, for the test to add runs to."""
    origin = origin_tag(CodeLocationOrigin(python_file=str(root / "defs.py")))
    record = backfill.create_backfill(
        instance, origin, {"partition_keys": keys, "single_run": False,
                           "max_partitions_per_run": 1},
        job_name=None, asset_selection=["daily"], requested_by="webserver")
    return record.backfill_id


def add_run(instance: Any, backfill_id: str, partition: str, status: S) -> str:
    run_id = str(uuid.uuid4())
    instance.add_run(HeadwaterRun(job_name="__ASSET_JOB", run_id=run_id, status=status,
                                  tags={BACKFILL_ID_TAG: backfill_id, PARTITION_TAG: partition}))
    return run_id


def test_requested_backfill_shows_on_its_page(setup: tuple[TestClient, Any, Path]) -> None:
    """A requested backfill answers with its target, location, requester and every
    partition not launched yet (no daemon ran)."""
    client, _, _ = setup
    created = client.post("/api/backfills", json={"keys": ["daily"],
                                                  "partition_keys": DAYS[:3]})
    assert created.status_code == 200, created.text
    backfill_id = created.json()["backfill_id"]
    body = client.get(f"/api/backfills/{backfill_id}").json()
    assert body["status"] == "REQUESTED" and body["asset_selection"] == ["daily"]
    assert body["location"] == "defs" and body["requested_by"] == "webserver"
    assert body["partitions_type"] == "DailyPartitionsDefinition"
    assert body["num_partitions"] == 3 and body["counts"]["not_launched"] == 3
    assert [p["key"] for p in body["partitions"]] == DAYS[:3]
    assert body["partitions"][0] == {"key": DAYS[0], "status": "not_launched", "run_ids": []}


def test_progress_per_partition(setup: tuple[TestClient, Any, Path]) -> None:
    """Each partition shows its newest run's status and its runs; counts add up."""
    client, instance, root = setup
    backfill_id = stored_backfill(instance, root, DAYS[:6])
    failed = add_run(instance, backfill_id, DAYS[0], S.FAILURE)
    add_run(instance, backfill_id, DAYS[1], S.SUCCESS)
    add_run(instance, backfill_id, DAYS[2], S.STARTED)
    add_run(instance, backfill_id, DAYS[3], S.QUEUED)
    add_run(instance, backfill_id, DAYS[4], S.CANCELED)
    body = client.get(f"/api/backfills/{backfill_id}").json()
    assert body["counts"] == {"not_launched": 1, "queued": 1, "in_progress": 1,
                              "succeeded": 1, "failed": 1, "canceled": 1}
    by_key = {p["key"]: p for p in body["partitions"]}
    assert by_key[DAYS[0]] == {"key": DAYS[0], "status": "failed", "run_ids": [failed]}
    assert by_key[DAYS[5]]["status"] == "not_launched"
    assert {r["partition_key"] for r in body["runs"]} == set(DAYS[:5])
    listed = {b["backfill_id"]: b for b in client.get("/api/backfills").json()["items"]}
    assert listed[backfill_id]["counts"] == body["counts"]
    assert listed[backfill_id]["num_partitions"] == 6


def test_cancel_then_refused_once_finished(setup: tuple[TestClient, Any, Path]) -> None:
    """Cancel stops the queued runs at once and the backfill ends CANCELED; canceling it
    again is a 409 that says it finished."""
    client, instance, root = setup
    backfill_id = stored_backfill(instance, root, DAYS[:3])
    add_run(instance, backfill_id, DAYS[0], S.SUCCESS)
    queued = add_run(instance, backfill_id, DAYS[1], S.QUEUED)
    response = client.post(f"/api/backfills/{backfill_id}/cancel")
    assert response.status_code == 200, response.text
    assert response.json() == {"backfill_id": backfill_id, "status": "CANCELING"}
    assert instance.get_run_by_id(queued).status is S.CANCELED
    backfill.run_backfills(instance)  # the daemon's turn: nothing left to stop
    body = client.get(f"/api/backfills/{backfill_id}").json()
    assert body["status"] == "CANCELED" and body["end_timestamp"] is not None
    assert [p["status"] for p in body["partitions"]] == ["succeeded", "canceled", "not_launched"]
    again = client.post(f"/api/backfills/{backfill_id}/cancel")
    assert again.status_code == 409
    assert f"Backfill {backfill_id} already finished (CANCELED)" in again.json()["detail"]
    canceled = client.get("/api/backfills?status=CANCELED").json()["items"]
    assert [b["backfill_id"] for b in canceled] == [backfill_id]
    assert all(b["status"] == "REQUESTED"
               for b in client.get("/api/backfills?status=requested").json()["items"])


def test_unknown_backfill_and_bad_status(setup: tuple[TestClient, Any, Path]) -> None:
    """An unknown id is a 404 naming it; an unknown status filter a 400 listing the statuses."""
    client, _, _ = setup
    for response in (client.get("/api/backfills/nope42"),
                     client.post("/api/backfills/nope42/cancel")):
        assert response.status_code == 404
        assert "No backfill 'nope42'" in response.json()["detail"]
    bad = client.get("/api/backfills?status=DONE")
    assert bad.status_code == 400
    assert "COMPLETED_SUCCESS" in bad.json()["detail"] and "'DONE'" in bad.json()["detail"]


def test_cancel_refused_in_read_only_mode(setup: tuple[TestClient, Any, Path]) -> None:
    """A read-only webserver refuses to cancel a backfill, and the backfill keeps going."""
    _, instance, root = setup
    backfill_id = stored_backfill(instance, root, DAYS[:2])
    app = create_app(instance, [CodeLocationOrigin(python_file=str(root / "defs.py"))],
                     launcher=None, read_only=True, start=False)
    with TestClient(app, base_url="http://127.0.0.1", headers={"X-Headwater-Request": "1"}) as guarded:
        refused = guarded.post(f"/api/backfills/{backfill_id}/cancel")
        assert refused.status_code == 403 and "read-only" in refused.json()["detail"]
        assert guarded.get(f"/api/backfills/{backfill_id}").json()["status"] == "REQUESTED"


def test_large_backfill_reads_its_runs_once(setup: tuple[TestClient, Any, Path],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A backfill of 3,000 partitions (300 of them run): its page comes from one runs
    query, and so does a page of the list."""
    client, instance, root = setup
    keys = [f"p{i:04d}" for i in range(3000)]
    backfill_id = stored_backfill(instance, root, keys)
    for i, key in enumerate(keys[:300]):
        add_run(instance, backfill_id, key, S.SUCCESS if i % 3 else S.FAILURE)
    queries: list[Any] = []
    real = instance.storage.get_run_records

    def counted(*args: Any, **kwargs: Any) -> Any:
        queries.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(instance.storage, "get_run_records", counted)
    body = client.get(f"/api/backfills/{backfill_id}").json()
    assert len(queries) == 1
    assert body["counts"]["succeeded"] == 200 and body["counts"]["failed"] == 100
    assert body["counts"]["not_launched"] == 2700
    assert len(body["partitions"]) == 3000 and body["partitions"][1]["status"] == "succeeded"
    queries.clear()
    assert client.get("/api/backfills?limit=5").status_code == 200
    assert len(queries) == 1
