"""Code locations in a real Chromium, with a real daemon running beside the webserver (as
`headwater dev` runs them): Reload reaches the daemon, and the Deployment page says when
every process serves the new code; a location whose code stops loading keeps what it defined
visible (stale, with the load error on top), stored history stays reachable by asset key,
and a running schedule can still be stopped."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_browser import Server, browser, expect, page, serve, shot  # noqa: F401

from headwater import AssetMaterialization
from headwater.code.location import CodeLocationOrigin
from headwater.daemon.daemon import Daemon

V1 = """\
from headwater import Definitions, ScheduleDefinition, asset, define_asset_job, sensor

@asset(description="Orders exported from the shop.")
def orders():
    return [1, 2]

orders_job = define_asset_job("orders_job", selection="orders")
nightly = ScheduleDefinition(name="nightly", cron_schedule="0 3 * * *", job=orders_job)

defs = Definitions(assets=[orders], jobs=[orders_job], schedules=[nightly])
"""

V2 = V1.replace("defs = Definitions(assets=[orders], jobs=[orders_job], schedules=[nightly])",
                """\
@sensor(job=orders_job, minimum_interval_seconds=1)
def fresh_sensor(context):
    return None

defs = Definitions(assets=[orders], jobs=[orders_job], schedules=[nightly],
                   sensors=[fresh_sensor])""")

BROKEN = "from headwater import Definitions\n\nraise RuntimeError('broken on purpose')\n"


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[Server, Any, Path]]:
    defs = tmp_path / "defs.py"
    defs.write_text(V1)
    for server, instance in serve(tmp_path, defs):
        yield server, instance, defs


@pytest.fixture
def daemon(project: tuple[Server, Any, Path]) -> Iterator[None]:
    """The daemon in a thread with its own connections and code server, as `headwater dev`
    runs it in a process of its own."""
    _, instance, defs = project
    own = instance.get_ref().open()
    stop = threading.Event()
    runner = Daemon(own, [CodeLocationOrigin(python_file=str(defs))])
    thread = threading.Thread(target=runner.run, kwargs={"interval": 0.3,
                                                         "should_stop": stop.is_set},
                              daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(30)
    own.dispose()


def test_reload_reaches_the_daemon(project: tuple[Server, Any, Path], daemon: None,
                                   page: Any) -> None:  # noqa: F811
    """Edit the file, press Reload: the page says webserver v2, daemon v2 once the daemon
    has reloaded, and a sensor only the new code defines ticks once switched on."""
    server, _, defs = project
    page.goto(f"{server.url}/deployment")
    versions = page.get_by_label("Code versions of defs")
    expect(versions.locator('[data-process="webserver"]')).to_have_attribute("data-generation", "1")
    expect(versions.locator('[data-process="daemon"]')).to_have_attribute("data-generation", "1",
                                                                         timeout=30_000)
    defs.write_text(V2)
    page.get_by_role("button", name="Reload").click()
    expect(versions.locator('[data-process="webserver"]')).to_have_attribute("data-generation", "2")
    daemon_version = versions.locator('[data-process="daemon"]')
    expect(daemon_version).to_have_attribute("data-generation", "2", timeout=30_000)
    expect(daemon_version).to_have_attribute("data-state", "current")
    expect(versions).to_contain_text("webserver v2")
    expect(versions).to_contain_text("daemon v2")
    expect(versions).to_have_attribute("data-in-sync", "true")
    shot(page, "deployment-versions")

    page.goto(f"{server.url}/automation")
    page.get_by_role("switch", name="Start fresh_sensor").click()
    expect(page.get_by_role("switch", name="Stop fresh_sensor")).to_have_attribute(
        "aria-checked", "true")
    row = page.locator('tr[data-name="fresh_sensor"]')
    expect(row).not_to_contain_text("no ticks yet", timeout=40_000)
    expect(row.locator('[data-status="SKIPPED"]')).to_be_visible()


def test_broken_location_keeps_its_last_good_definitions(project: tuple[Server, Any, Path],
                                                         page: Any) -> None:  # noqa: F811
    """After a reload that fails, the asset, its history and the running schedule stay: the
    asset page shows the load error on top and refuses to materialize, the schedule can be
    stopped, and a key that no location defines still shows its stored history."""
    server, instance, defs = project
    instance.report_runless_asset_event(AssetMaterialization(asset_key="orders",
                                                             metadata={"rows": 41}))
    instance.report_runless_asset_event(AssetMaterialization(asset_key="gone/table",
                                                             metadata={"rows": 7}))
    assert httpx.post(f"{server.url}/api/schedules/nightly/start", json={}, timeout=30).status_code == 200
    defs.write_text(BROKEN)

    page.goto(f"{server.url}/deployment")
    page.get_by_role("button", name="Reload").click()
    card = page.locator('[data-location="defs"]')
    expect(card).to_contain_text("broken on purpose")
    expect(card.get_by_role("note")).to_contain_text("last good load")

    page.goto(f"{server.url}/assets")
    expect(page.locator('[data-asset="orders"]')).to_be_visible()

    page.goto(f"{server.url}/assets/orders")
    notice = page.get_by_role("alert").filter(has_text="failed to load")
    expect(notice).to_contain_text("broken on purpose")
    expect(page.get_by_text("Orders exported from the shop.")).to_be_visible()
    expect(page.get_by_role("button", name="Materialize", exact=True)).to_be_disabled()
    shot(page, "asset-stale-location")
    page.goto(f"{server.url}/assets/orders?tab=events")
    expect(page.get_by_role("table", name="Asset events")).to_contain_text("rows")
    expect(page.get_by_role("table", name="Asset events")).to_contain_text("41")

    page.goto(f"{server.url}/automation")
    page.get_by_role("switch", name="Stop nightly").click()
    expect(page.get_by_role("switch", name="Start nightly")).to_have_attribute(
        "aria-checked", "false")

    page.goto(f"{server.url}/assets/gone/table")
    expect(page.get_by_role("note").filter(has_text="No loaded code location defines")).to_be_visible()
    page.goto(f"{server.url}/assets/gone/table?tab=events")
    expect(page.get_by_role("table", name="Asset events")).to_contain_text("7")
