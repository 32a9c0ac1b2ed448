"""Backfills in a real Chromium with a real daemon beside the webserver: pick a range of
partitions of a daily asset, launch it, land on the backfill's page, watch the partitions
run a few at a time (the run queue allows two), cancel it, and see it end CANCELED with no
run started afterwards; the Backfills list shows it."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_browser import Server, browser, expect, page, shot  # noqa: F401

from headwater.code.location import CodeLocationOrigin
from headwater.daemon.daemon import Daemon
from headwater.server import create_app
from headwater.storage.instance import HeadwaterInstance

DEFS = """\
import time
from headwater import DailyPartitionsDefinition, Definitions, asset

@asset(partitions_def=DailyPartitionsDefinition(start_date="2024-03-01", end_date="2024-03-21"),
       description="One day of events, slowly.")
def events(context):
    time.sleep(2)
    return context.partition_key

defs = Definitions(assets=[events])
"""
# Two runs at a time, so that a backfill of 8 partitions is still running when it is canceled.
SETTINGS = {"run_queue": {"max_concurrent_runs": 2}}


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[Server, Any]]:
    """The webserver and, in a thread, the daemon (as `headwater dev` runs them), over an
    instance whose run queue starts two runs at a time."""
    defs = tmp_path / "defs.py"
    defs.write_text(DEFS)
    home = tmp_path / "home"
    home.mkdir()
    instance = HeadwaterInstance.from_url(f"sqlite:///{home}/headwater.db", str(home), SETTINGS)
    app = create_app(instance, [CodeLocationOrigin(python_file=str(defs))])
    own = instance.get_ref().open()
    stop = threading.Event()
    daemon = Daemon(own, [CodeLocationOrigin(python_file=str(defs))])
    thread = threading.Thread(target=daemon.run, kwargs={"interval": 0.3,
                                                         "should_stop": stop.is_set},
                              daemon=True)
    try:
        with Server(app) as server:
            thread.start()
            yield server, instance
            stop.set()
            thread.join(30)
    finally:
        stop.set()
        app.state.headwater.workspace.shutdown()
        own.dispose()
        instance.dispose()


def test_backfill_a_range_and_cancel_it(project: tuple[Server, Any], page: Any) -> None:  # noqa: F811
    """Launch 8 partitions from the materialize dialog, see them succeed two at a time,
    cancel: the backfill ends CANCELED, no run starts afterwards, and the grid shows the
    succeeded partitions beside the canceled or never launched ones."""
    server, instance = project
    page.goto(f"{server.url}/assets/events")
    page.get_by_role("button", name="Materialize", exact=True).click()
    dialog = page.get_by_role("dialog", name="Choose partitions")
    dialog.get_by_label("A range").check()
    dialog.get_by_label("From").select_option("2024-03-03")
    dialog.get_by_label("To").select_option("2024-03-10")
    dialog.get_by_role("button", name="Launch backfill (8 partitions)").click()

    expect(page).to_have_url(re.compile(r"/backfills/[0-9a-f]+$"))
    backfill_id = page.url.rsplit("/", 1)[1]
    grid = page.get_by_role("grid", name=re.compile("Partition status"))
    expect(grid.get_by_role("gridcell")).to_have_count(8)
    expect(grid.get_by_role("rowheader")).to_have_text(["2024-03"])
    expect(page.locator('.page-header [data-status="REQUESTED"]')).to_contain_text("In progress")
    # The queue runs two at a time: partitions queue, run, then succeed one by one.
    expect(grid.locator('[data-status="succeeded"]').first).to_be_visible(timeout=90_000)
    expect(page.locator('[data-segment="succeeded"]')).to_be_visible()
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-label", re.compile("succeeded"))
    page.get_by_role("button", name="Cancel backfill").click()

    header = page.locator(".page-header")
    expect(header.locator('[data-status="CANCELED"]')).to_be_visible(timeout=60_000)
    expect(page.get_by_role("button", name="Cancel backfill")).to_be_disabled()
    succeeded = grid.locator('[data-status="succeeded"]').count()
    stopped = grid.locator('[data-status="canceled"], [data-status="not_launched"]').count()
    assert succeeded >= 1 and stopped >= 1 and succeeded + stopped + grid.locator(
        '[data-status="failed"]').count() == 8
    # The daemon queued a run per partition; those still queued were canceled unstarted.
    runs = {r["run_id"]: (r["status"], r["start_time"]) for r in _runs(server, backfill_id)}
    assert all(status in ("SUCCESS", "FAILURE", "CANCELED") for status, _ in runs.values())
    assert any(status == "CANCELED" and start is None for status, start in runs.values())
    # Several daemon iterations later, no run has been added or started.
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        assert {r["run_id"]: (r["status"], r["start_time"])
                for r in _runs(server, backfill_id)} == runs
        time.sleep(0.3)
    expect(page.locator(".toast")).to_have_count(0)
    shot(page, "backfill")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Backfills").click()
    row = page.locator(f'tr[data-backfill="{backfill_id}"]')
    expect(row).to_contain_text("events")
    expect(row.locator('[data-status="CANCELED"]')).to_be_visible()
    expect(row.get_by_role("progressbar")).to_have_attribute("aria-valuemax", "8")
    shot(page, "backfills")
    page.get_by_label("Status").select_option("COMPLETED_SUCCESS")
    expect(page.get_by_text("No backfill in this status.")).to_be_visible()


def _runs(server: Server, backfill_id: str) -> list[dict[str, Any]]:
    reply = httpx.get(f"{server.url}/api/runs", params={"backfill": backfill_id}, timeout=30)
    items: list[dict[str, Any]] = reply.json()["items"]
    return items
