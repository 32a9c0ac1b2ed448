"""What the run page and the read-only UI read from the API: every planned step listed (never
executed ones as skipped), steps stopped by a cancel as canceled, who canceled a run,
re-execution from failure of a canceled run, the health flags of a read-only webserver, and
run workers reaped once they exit."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("sse_starlette")

from fastapi.testclient import TestClient  # noqa: E402

from headwater.code.location import CodeLocationOrigin  # noqa: E402
from headwater.server import create_app  # noqa: E402
from headwater.storage.instance import HeadwaterInstance  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROJECT = os.path.join(ROOT, "fixtures", "run_states_project.py")
sys.path.insert(0, os.path.join(ROOT, "ui"))
from run_helpers import defunct_children  # noqa: E402


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    home = tmp_path_factory.mktemp("run_states") / "home"
    home.mkdir()
    inst = HeadwaterInstance.from_url(f"sqlite:///{home}/headwater.db", str(home))
    yield inst
    inst.dispose()


@pytest.fixture(scope="module")
def client(instance: Any) -> Iterator[TestClient]:
    with TestClient(create_app(instance, [CodeLocationOrigin(python_file=PROJECT)]), base_url="http://127.0.0.1", headers={"X-Headwater-Request": "1"}) as c:
        yield c


def launch(client: TestClient, job: str) -> str:
    response = client.post(f"/api/jobs/{job}/launch", json={"run_config": {}, "tags": {}})
    assert response.status_code == 200, response.text
    return str(response.json()["run_id"])


def wait(client: TestClient, run_id: str, until: Any = None, timeout: float = 60) -> dict[str, Any]:
    until = until or (lambda r: r["status"] in ("SUCCESS", "FAILURE", "CANCELED"))
    deadline = time.monotonic() + timeout
    while True:
        run = client.get(f"/api/runs/{run_id}").json()
        if until(run) or time.monotonic() > deadline:
            return run
        time.sleep(0.2)


def steps_of(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["step_key"]: s for s in run["steps"]}


def test_never_executed_steps_are_listed_as_skipped(client: TestClient) -> None:
    """A failed run lists the step its failure kept from running, as skipped with a reason;
    a step skipped for a missing optional output says why too."""
    run = wait(client, launch(client, "failing"))
    steps = steps_of(run)
    assert run["status"] == "FAILURE" and list(steps) == ["boom", "after_boom"]
    assert steps["boom"]["status"] == "failure" and steps["boom"]["reason"] is None
    assert steps["after_boom"]["status"] == "skipped" and steps["after_boom"]["start"] is None
    assert "Not executed" in steps["after_boom"]["reason"]
    assert run["cancellation"] is None
    steps = steps_of(wait(client, launch(client, "branching")))
    assert steps["after_choice"]["status"] == "skipped"
    assert "not produced" in steps["after_choice"]["reason"]


def test_a_canceled_run_says_who_canceled_it(client: TestClient) -> None:
    """Canceling from the webserver is recorded as such; the stopped step is canceled, not
    failed, the next one skipped; the run re-executes from its failure."""
    run_id = launch(client, "sleepy")
    wait(client, run_id, lambda r: any(s["start"] for s in r["steps"]))
    assert client.post(f"/api/runs/{run_id}/cancel").status_code == 200
    run = wait(client, run_id)
    steps = steps_of(run)
    assert run["status"] == "CANCELED"
    assert steps["slow"]["status"] == "canceled" and "canceled" in steps["slow"]["reason"]
    assert steps["after_slow"]["status"] == "skipped"
    assert run["cancellation"]["message"] == "Cancel requested from the webserver."
    assert run["cancellation"]["canceled"] >= run["cancellation"]["requested"]
    again = client.post(f"/api/runs/{run_id}/reexecute", json={"strategy": "from_failure"})
    assert again.status_code == 200, again.text
    child = again.json()["run_id"]
    wait(client, child, lambda r: any(s["start"] for s in r["steps"]))
    client.post(f"/api/runs/{child}/cancel")
    assert wait(client, child)["status"] == "CANCELED"


def test_run_workers_are_reaped(client: TestClient) -> None:
    """Once its run workers exit, the webserver leaves no defunct child process."""
    for run_id in [launch(client, "branching") for _ in range(2)]:
        assert wait(client, run_id)["status"] == "SUCCESS"
    deadline = time.monotonic() + 10
    while defunct_children() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert defunct_children() == []


def test_health_flags_in_read_only_mode(instance: Any) -> None:
    """A read-only webserver can neither write nor launch, whatever its launcher."""
    origins = [CodeLocationOrigin(python_file=PROJECT)]
    for read_only, can in ((True, False), (False, True)):
        with TestClient(create_app(instance, origins, read_only=read_only, start=False), base_url="http://127.0.0.1", headers={"X-Headwater-Request": "1"}) as c:
            body = c.get("/api/health").json()
        assert body["read_only"] is read_only
        assert body["can_write"] is can and body["can_launch"] is can
