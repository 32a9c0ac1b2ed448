"""Read-only mode in a real Chromium: the UI reads /api/health and disables every action the
server would refuse (materialize, backfill, checks, launch, cancel, re-execute, delete,
schedule switches, test ticks, sensor cursors, reloads, canceling a backfill), says why on
hover, and shows a Read-only chip; nothing it offers ends in a 403."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from run_helpers import wait_run
from test_browser import PROJECT, Server, browser, expect, page, shot  # noqa: F401

from headwater.code.location import CodeLocationOrigin
from headwater.server import create_app
from headwater.storage.instance import HeadwaterInstance


@pytest.fixture(scope="module")
def read_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """A read-only webserver over an instance holding one finished run (launched first by a
    writable webserver on the same instance)."""
    home: Path = tmp_path_factory.mktemp("read_only") / "home"
    home.mkdir()
    instance = HeadwaterInstance.from_url(f"sqlite:///{home}/headwater.db", str(home))
    origins = [CodeLocationOrigin(python_file=str(PROJECT))]
    apps = []
    try:
        writable = create_app(instance, origins)
        apps.append(writable)
        with Server(writable) as server:
            response = httpx.post(f"{server.url}/api/assets/materialize",
                                  json={"keys": ["customers"]}, timeout=30)
            run_id = response.json()["run_id"]
            wait_run(server.url, run_id)
            # No daemon runs here: the backfill stays requested, so it could be canceled.
            assert httpx.post(f"{server.url}/api/backfills", json={
                "keys": ["monthly_report"], "partition_keys": ["2024-01", "2024-02"]},
                timeout=30).status_code == 200
        app = create_app(instance, origins, read_only=True)
        apps.append(app)
        with Server(app) as server:
            yield server, run_id
    finally:
        for each in apps:
            each.state.headwater.workspace.shutdown()
        instance.dispose()


def disabled_with_reason(button: Any) -> None:
    expect(button).to_be_disabled()
    expect(button).to_have_attribute("title", "This webserver is read-only (started with "
                                              "--read-only): it shows everything and changes "
                                              "nothing.")


def test_read_only_disables_what_the_server_refuses(read_only: tuple[Server, str],
                                                    page: Any) -> None:  # noqa: F811
    """Every action button of a read-only webserver is disabled and says why."""
    server, run_id = read_only
    page.goto(f"{server.url}/assets")
    expect(page.locator(".read-only-chip")).to_have_text("Read-only")
    page.locator('[data-asset="orders"]').click()
    disabled_with_reason(page.get_by_role("button", name="Materialize selected (1)"))
    shot(page, "read-only-graph")

    page.goto(f"{server.url}/assets/orders")
    disabled_with_reason(page.get_by_role("button", name="Materialize", exact=True))
    page.goto(f"{server.url}/assets/monthly_report?tab=partitions")
    page.get_by_role("gridcell").nth(0).click()
    disabled_with_reason(page.get_by_role("button", name="Launch backfill (1 partition)"))

    page.goto(f"{server.url}/runs/{run_id}")
    expect(page.locator('.page-header [data-status="SUCCESS"]')).to_be_visible()
    for name in ("Re-execute all", "From failure", "Delete"):
        expect(page.get_by_role("button", name=name)).to_be_disabled()
    disabled_with_reason(page.get_by_role("button", name="Re-execute all"))

    page.goto(f"{server.url}/jobs/numbers")
    editor = page.get_by_label("Run config (YAML or JSON)")
    editor.fill('{"ops": {"make": {"config": {"n": 1, "label": "x"}}}}')
    expect(page.locator("#config-status")).to_contain_text("Config is valid", timeout=15_000)
    disabled_with_reason(page.get_by_role("button", name="Launch run"))

    backfill_id = httpx.get(f"{server.url}/api/backfills", timeout=30).json()["items"][0][
        "backfill_id"]
    page.goto(f"{server.url}/backfills/{backfill_id}")
    expect(page.locator('.page-header [data-status="REQUESTED"]')).to_be_visible()
    disabled_with_reason(page.get_by_role("button", name="Cancel backfill"))

    page.goto(f"{server.url}/automation")
    disabled_with_reason(page.get_by_role("switch", name="Start nightly"))
    disabled_with_reason(page.get_by_role("button", name="Test nightly"))
    disabled_with_reason(page.get_by_role("button", name="Test new_orders"))
    disabled_with_reason(page.get_by_role("button", name="Edit cursor of new_orders"))
    page.goto(f"{server.url}/deployment")
    disabled_with_reason(page.locator('[data-location="ui_project"]').get_by_role(
        "button", name="Reload"))
    expect(page.get_by_text("read-only (started with --read-only):")).to_have_count(0)

    health = httpx.get(f"{server.url}/api/health", timeout=30).json()
    assert health["read_only"] is True and health["can_launch"] is False
    assert health["can_write"] is False
