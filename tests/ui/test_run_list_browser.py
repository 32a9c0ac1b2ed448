"""The run list filters by asset and by backfill, and folds system tags (headwater/...) away
behind a "Show system tags" toggle that the run page shares and the browser remembers."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from test_browser import PROJECT, Server, browser, expect, page, serve, shot  # noqa: F401

from headwater.definitions.key import AssetKey
from headwater.storage.record import HeadwaterRun, HeadwaterRunStatus


def add_run(instance: Any, keys: list[str], tags: dict[str, str]) -> str:
    run_id = str(uuid.uuid4())
    instance.add_run(HeadwaterRun(job_name="__ASSET_JOB", run_id=run_id, tags=tags,
                                  asset_selection=frozenset(AssetKey.from_user_string(k) for k in keys),
                                  status=HeadwaterRunStatus.SUCCESS))
    return run_id


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    for server, instance in serve(tmp_path_factory.mktemp("run_list"), PROJECT):
        made = {
            "backfilled": add_run(instance, ["orders"], {"headwater/backfill": "bf-7",
                                                         "headwater/partition": "2024-01",
                                                         "team": "data"}),
            "customers": add_run(instance, ["customers"], {"team": "web"}),
        }
        yield server, made


def rows(pg: Any) -> Any:
    return pg.locator("table.runs-table tbody tr")


def test_run_list_filters_by_asset_and_backfill(runs: tuple[Server, dict[str, str]], page: Any) -> None:  # noqa: F811
    """Typing an asset key or a backfill id narrows the list to those runs, kept in the URL."""
    server, made = runs
    page.goto(f"{server.url}/runs")
    expect(rows(page)).to_have_count(2)
    page.get_by_label("Asset").fill("orders")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"asset=orders"))
    expect(rows(page)).to_have_count(1)
    expect(page.locator(f'tr[data-run="{made["backfilled"]}"]')).to_be_visible()
    page.get_by_role("button", name="Clear filters").click()
    expect(rows(page)).to_have_count(2)
    page.get_by_label("Backfill").fill("bf-7")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"backfill=bf-7"))
    expect(rows(page)).to_have_count(1)
    expect(page.locator(f'tr[data-run="{made["backfilled"]}"]')).to_be_visible()
    page.goto(f"{server.url}/runs?asset=customers")
    expect(rows(page)).to_have_count(1)
    expect(page.locator(f'tr[data-run="{made["customers"]}"]')).to_be_visible()
    shot(page, "runs-filter-asset")


def test_system_tags_fold_behind_a_toggle(runs: tuple[Server, dict[str, str]], page: Any) -> None:  # noqa: F811
    """headwater/... tags are hidden until "Show system tags" is on, on the run list and the
    run page alike, and the choice survives a reload."""
    server, made = runs
    page.goto(f"{server.url}/runs")
    row = page.locator(f'tr[data-run="{made["backfilled"]}"]')
    expect(row.locator('[data-tag="team"]')).to_be_visible()
    expect(row.locator('[data-tag="headwater/backfill"]')).to_have_count(0)
    expect(row).to_contain_text("2 system")
    toggle = page.get_by_label("Show system tags")
    expect(toggle).not_to_be_checked()
    toggle.check()
    expect(row.locator('[data-tag="headwater/backfill"]')).to_be_visible()
    expect(row.locator('[data-tag="headwater/partition"]')).to_be_visible()
    shot(page, "runs-system-tags")
    page.reload()
    expect(page.get_by_label("Show system tags")).to_be_checked()
    expect(row.locator('[data-tag="headwater/backfill"]')).to_be_visible()

    page.goto(f"{server.url}/runs/{made['backfilled']}")
    facts = page.locator("dl.facts")
    expect(facts.locator('[data-tag="headwater/backfill"]')).to_be_visible()
    page.get_by_label("Show system tags").uncheck()
    expect(facts.locator('[data-tag="headwater/backfill"]')).to_have_count(0)
    expect(facts.locator('[data-tag="team"]')).to_be_visible()
