"""Test ticks and sensor cursors in a real Chromium against the real webserver, code server and
run workers: test a schedule at a typed tick time and see its run request (then launch it),
test a sensor from a cursor and see its new cursor, and edit and clear a sensor's cursor,
reading the stored cursor (the one the daemon reads) back through the API."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from test_browser import ROOT, Server, browser, expect, page, serve, shot  # noqa: F401

PROJECT = ROOT / "tests" / "fixtures" / "ticks_defs.py"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Any]]:
    yield from serve(tmp_path_factory.mktemp("ticks"), PROJECT)


def stored_cursor(server: Server, name: str) -> str | None:
    sensors = httpx.get(f"{server.url}/api/sensors", timeout=30).json()
    return {s["name"]: s for s in sensors}[name]["cursor"]


def wait_finished(server: Server, run_id: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = str(httpx.get(f"{server.url}/api/runs/{run_id}", timeout=30).json()["status"])
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            return status
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish")


def test_test_a_schedule_tick_and_launch_it(served: tuple[Server, Any],
                                            page: Any) -> None:  # noqa: F811
    """Test picks a tick time (here a typed one), shows the run request with its key, tags
    and config as YAML, and launches it as a manual tick."""
    server, instance = served
    page.goto(f"{server.url}/automation")
    page.get_by_role("button", name="Test morning_report").click()
    dialog = page.get_by_role("dialog", name="Test schedule morning_report")
    picker = dialog.get_by_label("Tick time")
    expect(picker.locator("option")).to_have_count(11)
    picker.select_option("custom")
    dialog.get_by_label("Custom tick time").fill("2024-05-01T09:00:00")
    dialog.get_by_role("button", name="Evaluate").click()
    requests = dialog.get_by_role("table", name="Run requests")
    row = requests.locator('tr[data-run-key="report-2024-05-01"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text("report_job")
    expect(row).to_contain_text("day=2024-05-01")
    row.get_by_text("YAML").click()
    expect(row.locator("pre")).to_contain_text("day: 2024-05-01")
    shot(page, "test-tick")
    assert instance.get_runs() == []
    dialog.get_by_role("button", name="Launch 1 run").click()
    expect(page.get_by_role("status")).to_contain_text("Launched run")
    ticks = httpx.get(f"{server.url}/api/schedules/morning_report/ticks", timeout=30).json()
    (tick,) = ticks["items"]
    assert tick["manual"] is True and len(tick["run_ids"]) == 1
    assert wait_finished(server, tick["run_ids"][0]) == "SUCCESS"
    page.goto(f"{server.url}/schedules/morning_report")
    expect(page.get_by_text("manual", exact=True)).to_be_visible()


def test_test_a_sensor_from_a_cursor(served: tuple[Server, Any],
                                     page: Any) -> None:  # noqa: F811
    """Test on a sensor's page evaluates from the typed cursor and shows the run requests and
    the new cursor; the stored cursor does not move."""
    server, _ = served
    page.goto(f"{server.url}/sensors/file_sensor")
    page.get_by_role("button", name="Test file_sensor").click()
    dialog = page.get_by_role("dialog", name="Test sensor file_sensor")
    cursor = dialog.get_by_label("Cursor")
    expect(cursor).to_have_value("")
    cursor.fill("5")
    dialog.get_by_role("button", name="Evaluate").click()
    expect(dialog.locator("[data-new-cursor]")).to_have_attribute("data-new-cursor", "7")
    expect(dialog.locator('tr[data-run-key="file-6"]')).to_be_visible()
    expect(dialog.locator('tr[data-run-key="file-7"]')).to_be_visible()
    expect(dialog).to_contain_text("region-6, region-7")
    expect(dialog.get_by_role("button", name="Launch 2 runs & commit tick")).to_be_enabled()
    shot(page, "test-tick-sensor")
    dialog.get_by_role("button", name="Close").click()
    assert stored_cursor(server, "file_sensor") is None
    page.goto(f"{server.url}/sensors/broken_sensor")
    page.get_by_role("button", name="Test broken_sensor").click()
    failing = page.get_by_role("dialog", name="Test sensor broken_sensor")
    failing.get_by_role("button", name="Evaluate").click()
    expect(failing.get_by_role("alert")).to_contain_text("cannot read the bucket")
    expect(failing.locator("details pre")).to_contain_text("RuntimeError")


def test_edit_and_clear_a_sensor_cursor(served: tuple[Server, Any],
                                        page: Any) -> None:  # noqa: F811
    """Edit cursor stores the cursor the daemon reads (and Test starts from it); Clear
    cursor, once confirmed, removes it."""
    server, instance = served
    page.goto(f"{server.url}/automation")
    row = page.locator('tr[data-name="file_sensor"]')
    row.get_by_role("button", name="Edit cursor of file_sensor").click()
    editor = page.get_by_role("dialog", name="Edit cursor of file_sensor")
    editor.get_by_label("New cursor").fill("41")
    editor.get_by_role("button", name="Save cursor").click()
    expect(row.locator(".cursor-control")).to_have_attribute("data-cursor", "41")
    assert stored_cursor(server, "file_sensor") == "41"
    origin_ids = [s.origin_id for s in instance.storage.all_instigator_state("SENSOR")
                  if s.name == "file_sensor"]
    assert [instance.storage.get_instigator_state(o).cursor for o in origin_ids] == ["41"]
    row.get_by_role("button", name="Test file_sensor").click()
    dialog = page.get_by_role("dialog", name="Test sensor file_sensor")
    expect(dialog.get_by_label("Cursor")).to_have_value("41")
    dialog.get_by_role("button", name="Cancel").click()
    row.get_by_role("button", name="Clear cursor of file_sensor").click()
    confirm = page.get_by_role("dialog", name="Clear cursor of file_sensor")
    confirm.get_by_role("button", name="Cancel").click()
    assert stored_cursor(server, "file_sensor") == "41"
    row.get_by_role("button", name="Clear cursor of file_sensor").click()
    confirm.get_by_role("button", name="Clear cursor").click()
    expect(row.locator(".cursor-control")).to_have_attribute("data-cursor", "")
    assert stored_cursor(server, "file_sensor") is None
