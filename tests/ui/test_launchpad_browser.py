"""The launchpad's run-config editor in a real Chromium: completion of the job's config fields
from its schema, a key's type on hover, validation errors on their own line, and opening a
finished run in the launchpad (config, tags prefilled) to launch it again; a run whose job is
gone gets a clear answer instead of a launchpad."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from test_browser import PROJECT, Server, browser, expect, page, serve, shot  # noqa: F401

from headwater.storage.record import HeadwaterRun, HeadwaterRunStatus

EDITOR = "Run config (YAML or JSON)"


@pytest.fixture(scope="module")
def launchpad(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Any]]:
    yield from serve(tmp_path_factory.mktemp("launchpad"), PROJECT)


def editor(pg: Any) -> Any:
    box = pg.get_by_role("textbox", name=EDITOR)
    expect(box).to_be_visible()
    return box


def put(pg: Any, text: str) -> Any:
    """Replace the editor's text, the cursor left at its end."""
    box = editor(pg)
    box.fill(text)
    expect(box).to_contain_text(text.strip().splitlines()[-1].strip() if text.strip() else "")
    # Chromium puts no-break spaces in runs of filled spaces; the editor makes them plain
    # spaces (a change of its own): wait for it, so that typing starts on the final text.
    deadline = time.monotonic() + 15
    while box.evaluate("e => e.textContent.includes('\\u00a0')"):
        assert time.monotonic() < deadline, "the editor kept no-break spaces"
        time.sleep(0.05)
    return box


def completions(pg: Any) -> Any:
    return pg.locator(".cm-tooltip-autocomplete")


def wait_run(server: Server, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        run = httpx.get(f"{server.url}/api/runs/{run_id}", timeout=30).json()
        if run["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            return dict(run)
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish")


def test_editor_completes_the_jobs_config_fields(launchpad: tuple[Server, Any],
                                                 page: Any) -> None:  # noqa: F811
    """Ctrl-Space lists the job's ops and resources (required ones first); typing a field's
    start offers it with its type, Enter inserts it; Tab indents, Esc then Tab leaves the
    editor; Ctrl+Enter launches the finished config."""
    server, _ = launchpad
    page.goto(f"{server.url}/jobs/numbers")
    box = editor(page)
    expect(box).to_contain_text("make")

    put(page, "ops:\n  ")
    page.keyboard.press("Control+Space")
    menu = completions(page)
    expect(menu.get_by_role("option")).to_have_count(2)
    expect(menu.get_by_role("option").first).to_contain_text("make")  # required before optional
    expect(menu).to_contain_text("double")
    expect(menu).to_contain_text("Required")
    expect(page.locator(".cm-completionInfo")).to_contain_text("required")
    shot(page, "launchpad-autocomplete")
    page.keyboard.press("Escape")

    put(page, "resources:\n  ")
    page.keyboard.press("Control+Space")
    expect(completions(page).get_by_role("option")).to_have_count(1)
    expect(completions(page)).to_contain_text("io_manager")
    page.keyboard.press("Escape")

    put(page, "ops:\n")
    page.keyboard.press("Tab")
    page.keyboard.type("make")
    expect(page.locator(".cm-content .cm-line").nth(1)).to_have_text("  make")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    expect(box).not_to_be_focused()

    put(page, "ops:\n  make:\n    config:\n      n: 3\n      ")
    page.keyboard.type("la")
    option = completions(page).get_by_role("option", name=re.compile("label"))
    expect(option).to_be_visible()
    expect(option).to_contain_text("string")
    expect(completions(page).get_by_role("option")).to_have_count(1)  # n is written already
    # CodeMirror ignores Enter for 75 ms after a list opens (so a fast typist's newline is not
    # taken for a pick); no DOM change marks the end of that guard.
    page.wait_for_timeout(200)
    page.keyboard.press("Enter")
    expect(box).to_contain_text("label: ")
    page.keyboard.type("apples")
    expect(page.locator("#config-status")).to_contain_text("Config is valid", timeout=15_000)
    assert "label: apples" in box.inner_text()

    page.keyboard.press("Control+Enter")
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]+$"))
    expect(page.get_by_role("log", name="Run events")).to_contain_text("making 3 apples")
    expect(page.locator('.page-header [data-status="SUCCESS"]')).to_be_visible(timeout=60_000)


def test_hover_shows_a_keys_type_and_errors_sit_on_their_line(launchpad: tuple[Server, Any],
                                                              page: Any) -> None:  # noqa: F811
    """Hovering a key tells its type and that it is required; a wrong value is marked on its
    own line with the server's message; broken YAML is marked too."""
    server, _ = launchpad
    page.goto(f"{server.url}/jobs/numbers")
    put(page, "ops:\n  make:\n    config:\n      n: ten\n      label: apples\n")
    lines = page.locator(".cm-content .cm-line")
    bad = lines.filter(has_text="n: ten")
    expect(bad.locator(".cm-lintRange-error")).to_be_visible(timeout=15_000)
    expect(bad.locator(".cm-lintRange-error")).to_have_text("ten")
    expect(lines.filter(has_text="label: apples").locator(".cm-lintRange-error")).to_have_count(0)
    expect(page.locator("#config-status")).to_contain_text("ops.make.config.n")
    expect(page.get_by_role("button", name="Launch run")).to_be_disabled()
    bad.locator(".cm-lintRange-error").hover()
    expect(page.locator(".cm-tooltip-hover")).to_contain_text("Int")

    page.mouse.move(0, 0)
    lines.filter(has_text="label: apples").get_by_text("label", exact=True).hover()
    hint = page.locator(".cm-tooltip-hover")
    expect(hint).to_contain_text("ops.make.config.label")
    expect(hint).to_contain_text("string")
    expect(hint).to_contain_text("required")

    put(page, "ops:\n  make:\n    config:\n      n: 1\n      label: x\n      bogus: 2\n")
    expect(lines.filter(has_text="bogus").locator(".cm-lintRange-error")).to_have_text("bogus", timeout=15_000)

    put(page, "ops: [unclosed")
    expect(page.locator("#config-status")).to_contain_text("Not valid YAML or JSON")
    expect(page.locator(".cm-lintRange-error").first).to_be_visible()


def test_open_a_finished_run_in_the_launchpad(launchpad: tuple[Server, Any],
                                              page: Any) -> None:  # noqa: F811
    """A finished run opens in its job's launchpad with its config and its own tags (not the
    engine's); launching it makes a new run with both."""
    server, _ = launchpad
    reply = httpx.post(f"{server.url}/api/jobs/numbers/launch", timeout=60, json={
        "run_config": {"ops": {"make": {"config": {"n": 4, "label": "pears"}}}},
        "tags": {"team": "fruit"}})
    reply.raise_for_status()
    run_id = reply.json()["run_id"]
    assert wait_run(server, run_id)["status"] == "SUCCESS"

    page.goto(f"{server.url}/runs/{run_id}")
    page.get_by_role("button", name="Open in launchpad").click()
    expect(page).to_have_url(re.compile(rf"/jobs/numbers\?from_run={run_id}$"))
    expect(page.locator(f'[data-prefill="{run_id}"]')).to_be_visible()
    box = editor(page)
    expect(box).to_contain_text("label: pears")
    expect(box).to_contain_text("n: 4")
    tags = page.get_by_label("Tags (key=value, one per line)")
    expect(tags).to_have_value("team=fruit")
    expect(page.locator("#config-status")).to_contain_text("Config is valid", timeout=15_000)
    page.get_by_role("button", name="Launch run").click()
    expect(page).not_to_have_url(re.compile(run_id))
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]+$"))
    expect(page.get_by_role("log", name="Run events")).to_contain_text("making 4 pears")
    expect(page.locator("dl.facts")).to_contain_text("team=fruit")


def test_open_in_launchpad_when_the_job_is_gone(launchpad: tuple[Server, Any],
                                                page: Any) -> None:  # noqa: F811
    """A run of a job no loaded location defines says so instead of opening a launchpad, and
    a shared launchpad link to it explains why it cannot open."""
    server, instance = launchpad
    run_id = str(uuid.uuid4())
    instance.add_run(HeadwaterRun(job_name="retired_job", run_id=run_id, run_config={"ops": {}},
                                  tags={"team": "old"}, status=HeadwaterRunStatus.SUCCESS))
    page.goto(f"{server.url}/runs/{run_id}")
    page.get_by_role("button", name="Open in launchpad").click()
    expect(page.locator(".toast")).to_contain_text("retired_job")
    expect(page.locator(".toast")).to_contain_text("not defined by any loaded code location")
    expect(page).to_have_url(re.compile(rf"/runs/{run_id}$"))

    page.goto(f"{server.url}/jobs/retired_job?from_run={run_id}")
    expect(page.locator("[data-missing-job]")).to_contain_text("not defined by any loaded code location")
