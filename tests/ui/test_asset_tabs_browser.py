"""The asset page as tabs in a real Chromium: the tab lives in the URL, a daily-partitioned
asset's grid along its date axis with a failed and missing partitions, static and
two-dimensional partitions, the events with their runs (a failure with its error, the type
filter, paging), numeric metadata plotted over runs, the definition with its source link, and
the lineage graph whose depth grows and shrinks both ways."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from test_browser import ROOT, Server, browser, expect, page, serve, shot  # noqa: F401

sys.path.insert(0, str(ROOT / "tests" / "server"))
from test_asset_events_api import populate  # noqa: E402

PROJECT = ROOT / "tests" / "fixtures" / "asset_tabs_project.py"
# 14 runs of scores: 28 events, more than the Events tab's page of 25.
SCORE_ROWS = tuple(10 + (i * 7) % 13 for i in range(14))


@pytest.fixture(scope="module")
def tabs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    for server, instance in serve(tmp_path_factory.mktemp("tabs"), PROJECT):
        populate(instance, SCORE_ROWS)
        yield server


def tab(pg: Any, name: str) -> Any:
    return pg.get_by_role("tab", name=re.compile(f"^{name}"))


def test_the_tab_is_in_the_url(tabs_server: Server, page: Any) -> None:  # noqa: F811
    """Clicking a tab puts it in the URL; a reload and a link keep it; an unpartitioned asset
    has no Partitions tab; Checks and Automation are tabs too."""
    page.goto(f"{tabs_server.url}/assets/scores")
    for name in ("Overview", "Events", "Plots", "Definition", "Lineage", "Checks", "Automation"):
        expect(tab(page, name)).to_be_visible()
    expect(tab(page, "Partitions")).to_have_count(0)
    expect(tab(page, "Overview")).to_have_attribute("aria-selected", "true")
    tab(page, "Events").click()
    expect(page).to_have_url(re.compile(r"/assets/scores\?tab=events$"))
    page.reload()
    expect(tab(page, "Events")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("table", name="Asset events")).to_be_visible()
    page.go_back()
    expect(tab(page, "Overview")).to_have_attribute("aria-selected", "true")
    page.goto(f"{tabs_server.url}/assets/scores?tab=automation")
    expect(page.locator("#panel-automation")).to_be_visible()
    tab(page, "Checks").click()
    expect(page).to_have_url(re.compile(r"\?tab=checks$"))
    expect(page.locator("#panel-checks")).to_contain_text("no checks", ignore_case=True)


def test_time_partitions_along_a_date_axis(tabs_server: Server, page: Any) -> None:  # noqa: F811
    """daily_events: a row per month, days under their day of the month, the failed
    2024-01-03 in red beside the materialized 2024-01-02 and the missing rest."""
    page.goto(f"{tabs_server.url}/assets/daily_events?tab=partitions")
    grid = page.get_by_role("grid")
    expect(grid.get_by_role("rowheader")).to_have_text(["2024-01", "2024-02"])
    expect(grid.get_by_role("columnheader")).to_have_count(31)
    expect(grid.get_by_role("gridcell")).to_have_count(35)
    expect(grid.locator('[data-partition="2024-01-03"]')).to_have_attribute("data-status", "failed")
    expect(grid.locator('[data-partition="2024-01-02"]')).to_have_attribute("data-status", "materialized")
    expect(grid.locator('[data-partition="2024-01-04"]')).to_have_attribute("data-status", "missing")
    february = grid.get_by_role("row").nth(2)
    expect(february.locator('[data-partition="2024-02-01"]')).to_be_visible()
    # February starts under day 1 and stops after day 4: the days line up along the axis.
    expect(february.locator("> *").nth(1)).to_have_attribute("data-partition", "2024-02-01")
    expect(page.locator('[data-count="failed"]')).to_contain_text("1")
    expect(page.locator('[data-count="missing"]')).to_contain_text("33")
    shot(page, "asset-partitions-daily")
    page.locator('[data-count="failed"]').click()
    expect(page.get_by_role("button", name="Launch backfill (1 partition)")).to_be_enabled()


def test_static_and_multi_partitions_as_grids(tabs_server: Server, page: Any) -> None:  # noqa: F811
    """swatches (color x size) is a table of colors by sizes; paint a block of three."""
    page.goto(f"{tabs_server.url}/assets/swatches?tab=partitions")
    grid = page.get_by_role("grid")
    expect(grid.get_by_role("columnheader")).to_have_text(["s", "m"])
    expect(grid.get_by_role("rowheader")).to_have_text(["red", "green", "blue"])
    expect(grid.get_by_role("gridcell")).to_have_count(6)
    expect(grid.locator('[data-partition="green|m"]')).to_have_attribute("data-status", "materialized")
    expect(grid.locator('[data-partition="red|s"]')).to_have_attribute("data-status", "missing")
    shot(page, "asset-partitions-multi")
    page.goto(f"{tabs_server.url}/assets/paint?tab=partitions")
    cells = page.get_by_role("gridcell")
    expect(cells).to_have_count(3)
    expect(page.locator('[data-partition="red"]')).to_have_attribute("data-status", "materialized")


def test_events_with_runs_filter_and_pages(tabs_server: Server, page: Any) -> None:  # noqa: F811
    """daily_events lists its failure (with the user's error and the failed run) and its
    materialization; scores pages its 28 events 25 at a time; the filter keeps a type."""
    page.goto(f"{tabs_server.url}/assets/daily_events?tab=events")
    failure = page.locator('tr[data-event-type="failure"]')
    expect(failure).to_have_count(1)
    expect(failure).to_contain_text("2024-01-03")
    expect(failure).to_contain_text("the 2024-01-03 export is corrupt")
    expect(failure.locator('[data-status="FAILURE"], .tone-bad').first).to_be_visible()
    expect(page.locator('tr[data-event-type="materialization"]')).to_contain_text("2024-01-02")
    failure.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]+$"))

    page.goto(f"{tabs_server.url}/assets/scores?tab=events")
    rows = page.locator("tr[data-event-type]")
    expect(rows).to_have_count(25)
    page.get_by_role("button", name="Load older events").click()
    expect(rows).to_have_count(28)
    expect(page.get_by_role("button", name="Load older events")).to_have_count(0)
    # click, then wait: the list reloads for the new filter and re-renders the checkboxes, so
    # Playwright's uncheck() may read the state of the element it clicked before the re-render
    page.get_by_role("checkbox", name="materializations").click()
    expect(page.get_by_role("checkbox", name="materializations")).not_to_be_checked()
    expect(page).to_have_url(re.compile(r"types=observation%2Cfailure|types=observation,failure"))
    expect(rows).to_have_count(14)
    expect(page.locator('tr[data-event-type="materialization"]')).to_have_count(0)
    first = page.locator('tr[data-event-type="observation"]').first
    first.get_by_role("button", name="metadata").click()
    expect(page.locator("tr.event-metadata")).to_contain_text("checked_rows")
    shot(page, "asset-events")


def test_plots_of_numeric_metadata_over_runs(tabs_server: Server, page: Any) -> None:  # noqa: F811
    """scores' rows and mean (materializations) and checked_rows (observations) are plotted,
    one point per run, the latest value in the caption."""
    page.goto(f"{tabs_server.url}/assets/scores?tab=plots")
    for label in ("rows", "mean", "checked_rows"):
        expect(page.locator(f'[data-plot="{label}"]')).to_have_attribute("data-points", "14")
    expect(page.locator('[data-plot="rows"] circle')).to_have_count(14)
    expect(page.locator('[data-plot="rows"] figcaption')).to_contain_text(str(SCORE_ROWS[-1]))
    shot(page, "asset-plots")


def test_definition_with_its_source_link(tabs_server: Server, page: Any) -> None:  # noqa: F811
    """The Definition tab links to the file and line of the asset's function."""
    page.goto(f"{tabs_server.url}/assets/scores?tab=definition")
    panel = page.get_by_role("region", name="Definition")
    link = panel.locator(".defined-in a")
    expect(link).to_have_attribute("href", re.compile(r"^vscode://file/.*asset_tabs_project\.py:\d+$"))
    expect(link).to_contain_text("asset_tabs_project.py:")
    expect(panel).to_contain_text("io_manager")
    expect(panel).to_contain_text("not partitioned")


def test_lineage_depth_up_and_down(tabs_server: Server, page: Any) -> None:  # noqa: F811
    """middle's lineage shows one level each way; more and fewer levels change the graph and
    the URL, a reload keeps them, and a node leads to that asset's lineage."""
    page.goto(f"{tabs_server.url}/assets/middle?tab=lineage")
    nodes = page.locator("[data-lineage-node]")

    def shown() -> Any:
        return expect(nodes)

    shown().to_have_count(3)
    for key in ("src_b", "middle", "scores"):
        expect(page.locator(f'[data-lineage-node="{key}"]')).to_be_visible()
    expect(page.locator('[data-edge="src_b->middle"]')).to_have_count(1)
    page.get_by_role("button", name="More upstream levels").click()
    expect(page.locator('[data-lineage-node="src_a"]')).to_be_visible()
    expect(page).to_have_url(re.compile(r"up=2"))
    expect(page.get_by_role("button", name="More upstream levels")).to_be_disabled()
    page.get_by_role("button", name="More downstream levels").click()
    page.get_by_role("button", name="More downstream levels").click()
    shown().to_have_count(6)
    expect(page.locator('[data-edge="sink_a->sink_b"]')).to_have_count(1)
    expect(page.get_by_role("button", name="More downstream levels")).to_be_disabled()
    shot(page, "asset-lineage")
    page.reload()
    shown().to_have_count(6)
    page.get_by_role("button", name="Fewer upstream levels").click()
    page.get_by_role("button", name="Fewer upstream levels").click()
    expect(page.locator('[data-lineage-node="src_b"]')).to_have_count(0)
    shown().to_have_count(4)
    page.get_by_role("link", name="sink_b").click()
    expect(page).to_have_url(re.compile(r"/assets/sink_b\?tab=lineage"))
    expect(page.locator('[data-lineage-node="sink_b"]')).to_be_visible()
