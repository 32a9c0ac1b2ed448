"""The Automation tab in a real Chromium: after one daemon iteration and a materialization of
its dependency, the asset's tab shows the eager condition as a tree with true/false per node,
the list of evaluations, and the run the evaluation launched; the Automation page lists the
automation sensor."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx  # noqa: E402
import pytest
from test_browser import ROOT, Server, browser, expect, page, serve, shot  # noqa: F401

from headwater.code.location import CodeLocationOrigin
from headwater.daemon.daemon import Daemon

PROJECT = ROOT / "tests" / "fixtures" / "automation_project.py"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Any]]:
    yield from serve(tmp_path_factory.mktemp("automation"), PROJECT)


def wait_success(server: Server, run_id: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = httpx.get(f"{server.url}/api/runs/{run_id}", timeout=30).json()["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            assert status == "SUCCESS"
            return
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish")


def tick(instance: Any) -> None:
    Daemon(instance, [CodeLocationOrigin(python_file=str(PROJECT))]).run(once=True)


def test_automation_tab_shows_the_evaluation_tree(served: tuple[Server, Any],
                                                  page: Any) -> None:  # noqa: F811
    """Tick, materialize raw_orders, tick again: order_summary's Automation tab shows its
    latest evaluation as a tree (eager true, 'handled' true), the run it launched, and the
    earlier evaluation where 'handled' was false."""
    server, instance = served
    page.goto(f"{server.url}/assets/order_summary?tab=automation")
    tree = page.get_by_role("tree", name="Automation condition")
    expect(tree).to_contain_text("eager")
    expect(page.get_by_text("No evaluations yet")).to_be_visible()

    tick(instance)
    response = httpx.post(f"{server.url}/api/assets/materialize", json={"keys": ["raw_orders"]},
                          timeout=30)
    assert response.status_code == 200, response.text
    wait_success(server, response.json()["run_id"])
    tick(instance)

    page.reload()
    result = page.get_by_role("tree", name="Evaluation result")
    root = result.locator('[role="treeitem"][aria-level="1"]')
    expect(root).to_have_attribute("data-truth", "true")
    expect(result.locator('[data-condition="handled"]').first).to_have_attribute(
        "data-truth", "true")
    expect(result).to_contain_text("newly_missing | any_deps_updated")
    evaluations = page.get_by_role("table", name="Automation evaluations")
    expect(evaluations.locator("tbody tr")).to_have_count(2)
    launched = page.get_by_role("list", name="Launched runs")
    expect(launched.get_by_role("link")).to_have_count(1)
    shot(page, "automation-tab")

    evaluations.locator("tbody tr").nth(1).get_by_role("button").click()
    expect(page.get_by_role("tree", name="Evaluation result").locator(
        '[role="treeitem"][aria-level="1"]')).to_have_attribute("data-truth", "false")
    expect(page.get_by_text("No runs were launched by this evaluation.")).to_be_visible()

    page.goto(f"{server.url}/automation")
    sensors = page.get_by_role("table", name="Automation condition sensors")
    expect(sensors).to_contain_text("default_automation_condition_sensor")
    expect(sensors).to_contain_text("order_summary")
