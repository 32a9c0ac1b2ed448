"""The asset catalog in a real Chromium against the real webserver, code server and run
workers: browse and filter it, sort it, bulk-select two assets and materialize them (their run
appears), and "Materialize all shown" in the catalog and in the graph."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from test_browser import ROOT, Server, browser, page, serve, shot  # noqa: F401

PROJECT = ROOT / "tests" / "fixtures" / "catalog_project.py"
expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def catalog_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    for server, _ in serve(tmp_path_factory.mktemp("catalog"), PROJECT):
        yield server


def row_keys(pg: Any) -> list[str]:
    return [str(k) for k in pg.locator("[data-asset-row]").evaluate_all(
        "rows => rows.map(r => r.dataset.assetRow)")]


def expect_rows(pg: Any, keys: list[str], first: int | None = None) -> None:
    """The table shows exactly these rows in this order, or these `first` rows in any order
    (waiting for it)."""
    def shown() -> Any:
        found = row_keys(pg)
        return found if first is None else set(found[:first])

    wanted = keys if first is None else set(keys)
    deadline = time.monotonic() + 20
    while shown() != wanted and time.monotonic() < deadline:
        time.sleep(0.1)
    assert shown() == wanted


def runs_of(server: Server, wanted: set[str], timeout: float = 60.0) -> list[dict[str, Any]]:
    """The finished runs whose assets are among `wanted`, once they cover all of it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = httpx.get(f"{server.url}/api/runs?limit=100", timeout=30).json()["items"]
        found = [r for r in runs if set(r["asset_selection"] or ()) & wanted]
        covered = set().union(*(set(r["asset_selection"]) for r in found)) if found else set()
        if covered >= wanted and all(r["status"] in ("SUCCESS", "FAILURE") for r in found):
            return found
        time.sleep(0.3)
    raise AssertionError(f"no finished runs of {sorted(wanted)}")


def test_browse_filter_and_sort(catalog_server: Server, page: Any) -> None:  # noqa: F811
    """The catalog tab lists every asset; search and the filters narrow it (kept in the URL);
    clicking a column header sorts by it, again reverses."""
    page.goto(f"{catalog_server.url}/assets")
    page.get_by_role("tab", name="Catalog").click()
    expect(page).to_have_url(re.compile(r"view=catalog"))
    table = page.get_by_role("table", name="Asset catalog")
    expect(table).to_be_visible()
    expect_rows(page, ["raw/customers", "raw/events", "raw/orders", "report", "revenue"])
    expect(page.locator("[data-catalog-count]")).to_contain_text("Showing 5 of 5 assets")
    events = page.locator('[data-asset-row="raw/events"]')
    expect(events.locator('[data-col="missing"]')).to_have_text("3")
    shot(page, "asset-catalog")

    page.get_by_role("combobox", name="Filter by group").select_option("raw")
    expect_rows(page, ["raw/customers", "raw/events", "raw/orders"])
    page.get_by_role("searchbox", name="Search assets").fill("ORD")
    expect_rows(page, ["raw/orders"])
    expect(page).to_have_url(re.compile(r"q=ORD"))
    page.get_by_role("button", name="Clear filters").click()
    expect_rows(page, ["raw/customers", "raw/events", "raw/orders", "report", "revenue"])
    page.get_by_role("combobox", name="Filter by tag").select_option("tier=silver")
    expect_rows(page, ["revenue"])
    page.get_by_role("combobox", name="Filter by tag").select_option("")
    page.get_by_role("combobox", name="Filter by owner").select_option("team:data")
    expect_rows(page, ["raw/orders"])
    page.get_by_role("combobox", name="Filter by owner").select_option("")
    page.get_by_role("combobox", name="Filter by checks").select_option("any")
    expect_rows(page, ["revenue"])
    page.get_by_role("combobox", name="Filter by checks").select_option("")

    header = page.get_by_role("columnheader", name="Asset", exact=True)
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    expect_rows(page, ["revenue", "report", "raw/orders", "raw/events", "raw/customers"])
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect_rows(page, ["raw/customers", "raw/events", "raw/orders", "report", "revenue"])


def test_bulk_select_and_materialize(catalog_server: Server, page: Any) -> None:  # noqa: F811
    """Tick two rows, "Materialize selected (2)": one run of both appears, their rows turn
    materialized, and sorting by last materialized puts them first."""
    page.goto(f"{catalog_server.url}/assets?view=catalog")
    expect_rows(page, ["raw/customers", "raw/events", "raw/orders", "report", "revenue"])
    page.get_by_role("checkbox", name="Select raw/orders").check()
    page.get_by_role("checkbox", name="Select raw/customers").check()
    page.get_by_role("button", name="Materialize selected (2)").click()
    expect(page.get_by_role("link", name="View run →")).to_be_visible()
    runs = runs_of(catalog_server, {"raw/orders", "raw/customers"})
    assert any(set(r["asset_selection"]) == {"raw/orders", "raw/customers"} for r in runs)
    for key in ("raw/orders", "raw/customers"):
        expect(page.locator(f'[data-asset-row="{key}"] [data-status="materialized"]')).to_be_visible(
            timeout=30_000)
    page.get_by_role("combobox", name="Filter by status").select_option("materialized")
    expect_rows(page, ["raw/customers", "raw/orders"])
    page.get_by_role("combobox", name="Filter by status").select_option("")
    header = page.get_by_role("columnheader", name="Last materialized", exact=True)
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    expect_rows(page, ["raw/orders", "raw/customers"], first=2)
    page.locator('[data-asset-row="raw/orders"] a[href^="/runs/"]').click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]+$"))
    expect(page.locator('.page-header [data-status="SUCCESS"]')).to_be_visible()


def test_materialize_all_shown_in_the_catalog(catalog_server: Server, page: Any) -> None:  # noqa: F811
    """Filtered to a group, "Materialize all shown" launches every row on screen."""
    page.goto(f"{catalog_server.url}/assets?view=catalog&group=analytics")
    expect_rows(page, ["report", "revenue"])
    page.get_by_role("button", name="Materialize all shown (2)").click()
    expect(page.get_by_role("link", name="View run →")).to_be_visible()
    runs = runs_of(catalog_server, {"report", "revenue"})
    assert any(set(r["asset_selection"]) == {"report", "revenue"} for r in runs)
    expect(page.locator('[data-asset-row="report"] [data-status="materialized"]')).to_be_visible(
        timeout=30_000)
    page.get_by_role("combobox", name="Filter by checks").select_option("failed")
    expect_rows(page, ["revenue"])


def test_materialize_all_shown_in_the_graph(catalog_server: Server, page: Any) -> None:  # noqa: F811
    """The graph's "Materialize all shown" launches every asset its filters keep."""
    page.goto(f"{catalog_server.url}/assets?select=raw/orders%2B")
    expect(page.locator('[data-asset="revenue"]')).to_be_visible()
    expect(page.locator('[data-asset="raw/orders"]')).to_be_visible()
    before = {r["run_id"] for r in httpx.get(f"{catalog_server.url}/api/runs?limit=100",
                                              timeout=30).json()["items"]}
    page.get_by_role("button", name="Materialize all shown (2)").click()
    expect(page.get_by_role("link", name="View run →")).to_be_visible()
    deadline = time.monotonic() + 30
    new: list[dict[str, Any]] = []
    while not new and time.monotonic() < deadline:
        runs = httpx.get(f"{catalog_server.url}/api/runs?limit=100", timeout=30).json()["items"]
        new = [r for r in runs if r["run_id"] not in before]
        time.sleep(0.2)
    assert [set(r["asset_selection"]) for r in new] == [{"raw/orders", "revenue"}]
    page.get_by_role("tab", name="Catalog").click()
    expect(page).to_have_url(re.compile(r"view=catalog"))
