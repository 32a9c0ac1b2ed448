"""The run page in a real Chromium reports how a run really ended: skipped and never-executed
steps are in the timeline as skipped, a canceled run says it was canceled (and by what)
instead of showing a failed step, and it can be re-executed from its failure. A run that
failed re-executes from its failure once fixed, without running again what had succeeded.
Finished run workers are reaped: the webserver leaves no defunct process behind."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from run_helpers import launch, step_started, wait_no_defunct, wait_run
from test_browser import ROOT, Server, browser, expect, page, serve, shot  # noqa: F401

PROJECT = ROOT / "tests" / "fixtures" / "run_states_project.py"


@pytest.fixture(scope="module")
def states(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    for server, _ in serve(tmp_path_factory.mktemp("states"), PROJECT):
        yield server


def test_skipped_steps_are_in_the_timeline(states: Server, page: Any) -> None:  # noqa: F811
    """A step that never ran because its upstream failed, and a step skipped for want of an
    optional output, are listed in the timeline as skipped, with the reason on hover."""
    run_id = launch(states.url, "failing")
    assert wait_run(states.url, run_id)["status"] == "FAILURE"
    page.goto(f"{states.url}/runs/{run_id}")
    timeline = page.get_by_role("table", name="Step timeline")
    expect(timeline).to_contain_text("after_boom")
    expect(timeline.locator('[data-step="boom"]')).to_have_attribute("data-status", "failure")
    never = timeline.locator('[data-step="after_boom"]')
    expect(never).to_have_attribute("data-status", "skipped")
    expect(never).to_contain_text("Skipped")
    expect(page.get_by_label("Filter by step").locator("option")).to_have_text(
        ["All steps", "boom", "after_boom"])
    expect(page.get_by_text("Failed step:")).to_be_visible()
    expect(page.get_by_role("button", name="From failure")).to_be_enabled()

    run_id = launch(states.url, "branching")
    assert wait_run(states.url, run_id)["status"] == "SUCCESS"
    page.goto(f"{states.url}/runs/{run_id}")
    timeline = page.get_by_role("table", name="Step timeline")
    skipped = timeline.locator('[data-step="after_choice"]')
    expect(skipped).to_have_attribute("data-status", "skipped")
    expect(skipped).to_contain_text("Skipped")
    expect(skipped.locator(".gantt-note")).to_have_attribute("title", re.compile("not"))
    shot(page, "run-skipped-steps")


def test_a_canceled_run_says_so(states: Server, page: Any) -> None:  # noqa: F811
    """Canceling a running run from its page shows it canceled from the webserver, with the
    step it stopped, and no failed-step banner; From failure re-executes it."""
    run_id = launch(states.url, "sleepy")
    wait_run(states.url, run_id, step_started("slow"))
    page.goto(f"{states.url}/runs/{run_id}")
    page.get_by_role("button", name="Cancel run").click()
    expect(page.locator('.page-header [data-status="CANCELED"]')).to_be_visible(timeout=60_000)
    note = page.locator("[data-canceled]")
    expect(note).to_contain_text("Canceled")
    expect(note).to_contain_text("from the webserver")
    expect(note).to_contain_text("slow")
    expect(page.get_by_text("Failed step")).to_have_count(0)
    timeline = page.get_by_role("table", name="Step timeline")
    expect(timeline.locator('[data-step="slow"]')).to_have_attribute("data-status", "canceled")
    expect(timeline.locator('[data-step="after_slow"]')).to_have_attribute("data-status", "skipped")
    shot(page, "run-canceled")

    again = page.get_by_role("button", name="From failure")
    expect(again).to_be_enabled()
    again.click()
    expect(page).not_to_have_url(re.compile(f"{run_id}$"))
    expect(page.locator("dl.facts")).to_contain_text("Parent run")
    child = page.url.rsplit("/", 1)[1]
    wait_run(states.url, child, step_started("slow"))
    httpx.post(f"{states.url}/api/runs/{child}/cancel", json={}, timeout=30)
    assert wait_run(states.url, child)["status"] == "CANCELED"


def test_finished_run_workers_are_reaped(states: Server, page: Any) -> None:  # noqa: F811
    """Runs launched from the UI and through the API leave no defunct run worker behind."""
    page.goto(f"{states.url}/assets/quick")
    page.get_by_role("button", name="Materialize", exact=True).click()
    page.get_by_role("link", name="View run →").click()
    expect(page.locator('.page-header [data-status="SUCCESS"]')).to_be_visible(timeout=60_000)
    for run_id in [launch(states.url, "branching") for _ in range(2)]:
        wait_run(states.url, run_id)
    assert wait_no_defunct() == []


def test_fail_fix_and_reexecute_from_failure(states: Server, page: Any, tmp_path: Path,  # noqa: F811
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Scenario: a run fails in its middle step; once the cause is fixed, "From failure" on its
    page starts a child run of the failed step and what follows it, reusing the output of the
    step that had succeeded (it does not run again), and the child succeeds."""
    fixed = tmp_path / "fixed"
    monkeypatch.setenv("HEADWATER_FLAKY_FIXED", str(fixed))  # the run workers inherit it
    run_id = launch(states.url, "flaky")
    assert wait_run(states.url, run_id)["status"] == "FAILURE"
    page.goto(f"{states.url}/runs/{run_id}")
    expect(page.locator('.page-header [data-status="FAILURE"]')).to_be_visible()
    expect(page.get_by_text("Failed step:")).to_be_visible()
    timeline = page.get_by_role("table", name="Step timeline")
    expect(timeline.locator('[data-step="extract"]')).to_have_attribute("data-status", "success")
    expect(timeline.locator('[data-step="transform"]')).to_have_attribute("data-status", "failure")
    expect(page.get_by_text("the upstream file is not there yet").first).to_be_visible()
    shot(page, "run-failed")

    fixed.write_text("ok")
    page.get_by_role("button", name="From failure").click()
    expect(page).not_to_have_url(re.compile(f"{run_id}$"))
    expect(page.locator("dl.facts")).to_contain_text("Parent run")
    expect(page.locator('.page-header [data-status="SUCCESS"]')).to_be_visible(timeout=60_000)
    child = page.url.rsplit("/", 1)[1]
    timeline = page.get_by_role("table", name="Step timeline")
    expect(timeline.locator('[data-step="transform"]')).to_have_attribute("data-status", "success")
    expect(timeline.locator('[data-step="load"]')).to_have_attribute("data-status", "success")
    expect(timeline.locator('[data-step="extract"]')).to_have_count(0)
    events = httpx.get(f"{states.url}/api/runs/{child}/events", params={"limit": 500},
                       timeout=30).json()["items"]
    started = {e["step_key"] for e in events if e["type"] == "STEP_START"}
    assert started == {"transform", "load"}, started
    assert any("loaded 60" in (e.get("message") or "") for e in events)
