"""The stale badge in a real Chromium: materialize a chain, give its root a new data version,
and see "Stale" with its cause on the graph node and on the asset page (with the explain
panel)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx  # noqa: E402
import pytest
from test_browser import ROOT, Server, browser, page, serve, shot  # noqa: F401

PROJECT = ROOT / "tests" / "fixtures" / "versions_project.py"


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    tmp = tmp_path_factory.mktemp("stale")
    version_file = tmp / "version.txt"
    version_file.write_text("v1")
    monkey = pytest.MonkeyPatch()
    monkey.setenv("HEADWATER_TEST_VERSION_FILE", str(version_file))
    try:
        for server, _ in serve(tmp, PROJECT):
            yield server, version_file
    finally:
        monkey.undo()


def materialize(server: Server, keys: list[str]) -> None:
    response = httpx.post(f"{server.url}/api/assets/materialize", json={"keys": keys}, timeout=30)
    assert response.status_code == 200, response.text
    run_id = response.json()["run_id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = httpx.get(f"{server.url}/api/runs/{run_id}", timeout=30).json()["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            assert status == "SUCCESS"
            return
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish")


def test_stale_badge_shows_its_cause(versions: tuple[Server, Path], page: Any) -> None:  # noqa: F811
    """After raw is re-materialized with a new data version, clean shows a Stale badge whose
    tooltip and panel say why; report is stale through clean; raw is not stale."""
    server, version_file = versions
    materialize(server, ["raw", "clean", "report"])
    page.goto(f"{server.url}/assets/clean")
    page.get_by_role("heading", name="clean").wait_for()
    assert page.locator("[data-stale-badge]").count() == 0
    version_file.write_text("v2")
    materialize(server, ["raw"])
    page.goto(f"{server.url}/assets/clean")
    badge = page.locator("span[data-stale-badge]")
    badge.wait_for()
    cause = "clean: raw has a new data version (was 'v1', now 'v2')."
    assert cause in badge.get_attribute("title")
    page.get_by_label("Why stale").get_by_text(cause).wait_for()
    page.get_by_role("button", name="Explain: why stale or not, what would run").click()
    page.locator(".explain-lines", has_text="clean is STALE, for 1 reason(s)").wait_for()
    shot(page, "stale-asset-page")
    page.goto(f"{server.url}/assets")
    node = page.locator('g.asset-node[data-asset="report"] [data-stale-badge]')
    node.wait_for()
    assert "report: clean is stale." in node.locator("title").text_content()
    assert page.locator('g.asset-node[data-asset="raw"] [data-stale-badge]').count() == 0
    shot(page, "stale-graph")
