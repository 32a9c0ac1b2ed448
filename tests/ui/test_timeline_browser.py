"""The overview timeline in a real Chromium: runs of two jobs (one failing) appear live in
their rows under the code location, coloured by status; a run in progress is striped and
reaches the "now" line; runs too close to tell apart merge into a bubble listing them; a bar
opens its run; the range buttons, back/now and the job filter change what is shown."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from run_helpers import launch, step_started, wait_run
from test_browser import ROOT, Server, browser, expect, page, serve, shot  # noqa: F401

from headwater.code.location import CodeLocationOrigin
from headwater.code.run import origin_tag
from headwater.definitions.tags import RUN_ORIGIN_TAG, SCHEDULE_NAME_TAG, SENSOR_NAME_TAG
from headwater.storage.record import HeadwaterRun, HeadwaterRunStatus, RunRecord

PROJECT = ROOT / "tests" / "fixtures" / "run_states_project.py"


@pytest.fixture(scope="module")
def states(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    for server, _ in serve(tmp_path_factory.mktemp("timeline"), PROJECT):
        yield server


def row(pg: Any, job: str) -> Any:
    return pg.get_by_role("table", name="Run timeline").locator(f'[data-job="{job}"]')


def test_runs_appear_live_on_the_timeline_and_open_their_page(states: Server, page: Any) -> None:  # noqa: F811
    page.goto(f"{states.url}/overview")
    expect(page.get_by_role("link", name="Overview")).to_have_class(re.compile("active"))
    expect(page.locator(".empty")).to_contain_text("No runs between")

    good = launch(states.url, "branching")
    bad = [launch(states.url, "failing"), launch(states.url, "failing")]
    for run_id in (good, *bad):
        wait_run(states.url, run_id)
    table = page.get_by_role("table", name="Run timeline")
    expect(table.locator('[data-location="run_states_project"]')).to_contain_text(
        "run_states_project")
    expect(row(page, "branching").locator(f'[data-run="{good}"]')).to_have_attribute(
        "data-status", "SUCCESS")
    # two runs seconds apart, on a day-wide axis: one bubble counting both
    bubble = row(page, "failing").locator(".tl-bubble")
    expect(bubble).to_have_attribute("data-count", "2")
    bubble.hover()
    expect(page.get_by_role("tooltip")).to_contain_text("2 runs of failing")
    bubble.click()
    menu = page.get_by_role("dialog", name="2 runs of failing")
    for run_id in bad:
        expect(menu.get_by_role("link", name=run_id[:8])).to_be_visible()
    expect(menu.locator('[data-status="FAILURE"]')).to_have_count(2)
    page.keyboard.press("Escape")
    expect(menu).to_have_count(0)

    page.get_by_role("button", name="1h").click()  # the last hour: the runs spread out
    expect(row(page, "branching").locator(f'[data-run="{good}"]')).to_be_visible()
    slow = launch(states.url, "sleepy")
    wait_run(states.url, slow, step_started("slow"))
    running = row(page, "sleepy").locator(f'[data-run="{slow}"]')
    expect(running).to_have_attribute("data-status", "STARTED")
    expect(running).to_have_class(re.compile("tl-live"))
    expect(page.locator(".tl-now")).to_be_visible()
    running.hover()
    tip = page.get_by_role("tooltip")
    expect(tip).to_contain_text("sleepy")
    expect(tip).to_contain_text("so far")
    shot(page, "overview-timeline-live")
    httpx.post(f"{states.url}/api/runs/{slow}/cancel", json={}, timeout=30)
    wait_run(states.url, slow)
    expect(running).to_have_attribute("data-status", "CANCELED")

    row(page, "branching").locator(f'[data-run="{good}"]').click()
    expect(page).to_have_url(re.compile(f"/runs/{good}$"))


def test_range_window_and_filter(states: Server, page: Any) -> None:  # noqa: F811
    run_id = launch(states.url, "branching")
    wait_run(states.url, run_id)
    page.goto(f"{states.url}/overview")
    expect(row(page, "branching")).to_be_visible()
    page.get_by_role("button", name="1h").click()
    expect(page).to_have_url(re.compile(r"range=1h"))
    expect(page.get_by_role("button", name="1h")).to_have_attribute("aria-pressed", "true")
    expect(row(page, "branching").locator(".tl-bar, .tl-bubble").first).to_be_visible()
    page.get_by_role("button", name="Earlier").click()  # the hour before: nothing ran then
    expect(page).to_have_url(re.compile(r"end=\d+"))
    expect(page.locator(".empty")).to_contain_text("No runs between")
    page.get_by_role("button", name="Now").click()
    expect(page).not_to_have_url(re.compile(r"end="))
    expect(row(page, "branching")).to_be_visible()
    page.get_by_role("button", name="24h").click()
    page.get_by_label("Filter jobs").fill("fail")
    expect(row(page, "failing")).to_be_visible()
    expect(row(page, "branching")).to_have_count(0)
    page.get_by_label("Filter jobs").fill("nothing-like-this")
    expect(page.locator(".empty")).to_contain_text("No job matching")


def add_run(instance: Any, job: str, status: HeadwaterRunStatus, start_ago: float,
            minutes: float | None, tags: dict[str, str] | None = None) -> None:
    """Store a run of the project's location that started `start_ago` minutes ago and took
    `minutes` (None: it has not ended)."""
    origin = origin_tag(CodeLocationOrigin(python_file=str(PROJECT)))
    start = time.time() - start_ago * 60
    end = start + minutes * 60 if minutes is not None else None
    instance.storage.add_run(RunRecord(
        storage_id=0, headwater_run=HeadwaterRun(
            job_name=job, run_id=str(uuid.uuid4()), status=status,
            tags={RUN_ORIGIN_TAG: origin, **(tags or {})}),
        create_timestamp=datetime.fromtimestamp(start - 5, timezone.utc),
        update_timestamp=datetime.fromtimestamp(end or start, timezone.utc),
        start_time=start if status is not HeadwaterRunStatus.QUEUED else None, end_time=end))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A day of runs stored directly: hourly scheduled runs (one failing, one queued), a burst
    of short runs, long runs and one still going."""
    S = HeadwaterRunStatus
    for server, instance in serve(tmp_path_factory.mktemp("timeline_day"), PROJECT):
        for hour in range(1, 24):
            add_run(instance, "branching", S.FAILURE if hour == 7 else S.SUCCESS,
                    hour * 60 - 2, 4 + hour % 3, {SCHEDULE_NAME_TAG: "hourly_branching"})
        for i in range(6):
            add_run(instance, "failing", S.FAILURE if i % 2 else S.SUCCESS, 300 + i * 0.5, 0.2,
                    {SENSOR_NAME_TAG: "new_files"})
        add_run(instance, "failing", S.FAILURE, 900, 12)
        add_run(instance, "sleepy", S.SUCCESS, 1200, 140)
        add_run(instance, "sleepy", S.CANCELED, 600, 95)
        add_run(instance, "sleepy", S.STARTED, 40, None)
        add_run(instance, "branching", S.QUEUED, 3, None)
        yield server


def test_a_day_of_runs(seeded: Server, page: Any) -> None:  # noqa: F811
    """A day of stored runs: each status in its colour, the burst merged, the schedule and
    the sensor that launched runs named on their rows."""
    page.goto(f"{seeded.url}/overview")
    branching = row(page, "branching")
    expect(branching.locator('[data-status="SUCCESS"]')).to_have_count(22)
    expect(branching.locator('[data-status="FAILURE"]')).to_have_count(1)
    expect(branching.get_by_role("link", name=re.compile("hourly_branching"))).to_have_attribute(
        "href", "/schedules/hourly_branching")
    failing = row(page, "failing")
    expect(failing.locator(".tl-bubble")).to_have_attribute("data-count", "6")
    expect(failing.get_by_role("link", name=re.compile("new_files"))).to_be_visible()
    sleepy = row(page, "sleepy")
    expect(sleepy.locator('[data-status="STARTED"]')).to_have_class(re.compile("tl-live"))
    expect(branching.locator('[data-status="QUEUED"]')).to_have_class(re.compile("tl-queued"))
    expect(sleepy.locator('[data-status="CANCELED"]')).to_have_count(1)
    shot(page, "overview-timeline")
    page.evaluate("document.documentElement.dataset.theme = 'dark'")
    shot(page, "overview-timeline-dark")
