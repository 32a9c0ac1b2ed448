"""The overview timeline (/api/timeline): one row per job of a code location with the runs
of a time window placed on it, what launched each, and the window's validation."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from headwater.code.location import CodeLocationOrigin  # noqa: E402
from headwater.definitions.tags import (  # noqa: E402
    RUN_ORIGIN_TAG,
    SCHEDULE_NAME_TAG,
    SENSOR_NAME_TAG,
)
from headwater.server import create_app  # noqa: E402
from headwater.server import timeline as timeline_module  # noqa: E402
from headwater.storage.instance import HeadwaterInstance  # noqa: E402
from headwater.storage.record import HeadwaterRun, HeadwaterRunStatus, RunRecord  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROJECT = os.path.join(ROOT, "fixtures", "ui_project.py")
S = HeadwaterRunStatus
T0 = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def origin(name: str) -> str:
    return json.dumps({"python_file": "/tmp/defs.py", "location_name": name})


def add(instance: Any, run_id: str, job: str, status: HeadwaterRunStatus, created: float,
        start: float | None = None, end: float | None = None, tags: dict[str, str] | None = None,
        now: bool = False) -> None:
    base = datetime.now(timezone.utc) if now else T0
    stamp = lambda m: base + timedelta(minutes=m)  # noqa: E731
    instance.storage.add_run(RunRecord(
        storage_id=0, headwater_run=HeadwaterRun(job_name=job, run_id=run_id, status=status,
                                                 tags=tags or {}),
        create_timestamp=stamp(created),
        update_timestamp=stamp(end if end is not None else start if start is not None
                               else created),
        start_time=stamp(start).timestamp() if start is not None else None,
        end_time=stamp(end).timestamp() if end is not None else None))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Any]]:
    home = tmp_path_factory.mktemp("timeline") / "home"
    home.mkdir()
    instance = HeadwaterInstance.from_url(f"sqlite:///{home}/headwater.db", str(home))
    app = create_app(instance, [CodeLocationOrigin(python_file=PROJECT)], start=False)
    with TestClient(app, base_url="http://127.0.0.1", headers={"X-Headwater-Request": "1"}) as c:
        yield c, instance
    instance.dispose()


def get(c: TestClient, start: datetime, end: datetime) -> dict[str, Any]:
    response = c.get("/api/timeline", params={"start": start.isoformat(), "end": end.isoformat()})
    assert response.status_code == 200, response.text
    return response.json()


def test_rows_per_job_and_location_with_the_runs_of_the_window(
        client: tuple[TestClient, Any]) -> None:
    c, instance = client
    shop, lab = {RUN_ORIGIN_TAG: origin("shop")}, {RUN_ORIGIN_TAG: origin("lab")}
    add(instance, "old", "etl", S.SUCCESS, 0, 1, 5, shop)
    add(instance, "ok", "etl", S.SUCCESS, 60, 61, 70, {**shop, SCHEDULE_NAME_TAG: "hourly"})
    add(instance, "bad", "etl", S.FAILURE, 80, 81, 82, shop)
    add(instance, "same-name-elsewhere", "etl", S.SUCCESS, 65, 65, 66, lab)
    add(instance, "sensed", "report", S.CANCELED, 50, 55, 90, {**lab, SENSOR_NAME_TAG: "files"})
    add(instance, "in-process", "adhoc", S.SUCCESS, 62, 62, 63)
    add(instance, "late", "etl", S.SUCCESS, 200, 201, 202, shop)
    body = get(c, at(30), at(120))
    assert body["start"] == at(30).timestamp() and body["end"] == at(120).timestamp()
    rows = [(r["location"], r["job_name"], [b["run_id"] for b in r["runs"]]) for r in body["rows"]]
    assert rows == [("lab", "etl", ["same-name-elsewhere"]), ("lab", "report", ["sensed"]),
                    ("shop", "etl", ["ok", "bad"]), (None, "adhoc", ["in-process"])]
    assert body["run_count"] == 5 and body["truncated"] is False
    shop_etl = body["rows"][2]
    assert shop_etl["automations"] == [{"kind": "schedule", "name": "hourly"}]
    ok, bad = shop_etl["runs"]
    assert ok == {"run_id": "ok", "status": "SUCCESS", "start": at(61).timestamp(),
                  "end": at(70).timestamp(), "ongoing": False, "queued": False,
                  "launched_by": {"kind": "schedule", "name": "hourly"}}
    assert bad["status"] == "FAILURE" and bad["launched_by"] is None
    assert body["rows"][1]["runs"][0]["launched_by"] == {"kind": "sensor", "name": "files"}


def test_ongoing_runs_end_now_and_queued_runs_wait_from_creation(
        client: tuple[TestClient, Any]) -> None:
    c, instance = client
    add(instance, "running", "long", S.STARTED, -30, -29, now=True)
    add(instance, "waiting", "long", S.QUEUED, -2, now=True)
    before = time.time()
    body = c.get("/api/timeline").json()  # the default window: the last day
    assert body["end"] - body["start"] == pytest.approx(86400)
    assert body["end"] == pytest.approx(before, abs=30)
    row = next(r for r in body["rows"] if r["job_name"] == "long")
    running, waiting = row["runs"]
    assert running["ongoing"] and not running["queued"] and running["status"] == "STARTED"
    assert running["end"] >= before and running["end"] == pytest.approx(body["now"])
    assert waiting["queued"] and waiting["ongoing"]
    assert waiting["start"] == pytest.approx(before - 120, abs=30)
    assert not any(r["job_name"] == "etl" for r in body["rows"])  # T0 is far in the past


def test_the_window_is_checked(client: tuple[TestClient, Any]) -> None:
    c, _ = client
    later = c.get("/api/timeline", params={"start": at(60).isoformat(), "end": at(0).isoformat()})
    assert later.status_code == 400
    assert "start=" in later.json()["detail"] and "before end=" in later.json()["detail"]
    wide = c.get("/api/timeline", params={"start": at(0).isoformat(),
                                          "end": (T0 + timedelta(days=40)).isoformat()})
    assert wide.status_code == 400
    assert "40.0 days" in wide.json()["detail"] and "at most 31 days" in wide.json()["detail"]
    bad = c.get("/api/timeline", params={"end": "yesterday"})
    assert bad.status_code == 400 and "end='yesterday' is not a time" in bad.json()["detail"]


def test_many_runs_are_capped_at_the_newest(client: tuple[TestClient, Any],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    c, instance = client
    for i in range(5):
        add(instance, f"burst-{i}", "burst", S.SUCCESS, 1000 + i, 1000 + i, 1000.5 + i)
    monkeypatch.setattr(timeline_module, "MAX_RUNS", 3)
    body = get(c, at(990), at(1010))
    assert body["truncated"] is True and body["run_count"] == 3
    assert [b["run_id"] for b in body["rows"][0]["runs"]] == ["burst-2", "burst-3", "burst-4"]


def test_an_end_at_the_first_representable_time_is_a_400(client: tuple[TestClient, Any]) -> None:
    c, _ = client
    response = c.get("/api/timeline", params={"end": "0001-01-01T00:00:00Z"})
    assert response.status_code == 400 and "pass a later end" in response.json()["detail"]
