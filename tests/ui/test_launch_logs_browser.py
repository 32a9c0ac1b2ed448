"""Launching partitioned work and reading compute logs in a real Chromium: the launchpad
leaves required config empty and asks for a partition, the materialize dialog picks one
partition, a range or every missing one, a selection that mixes partitioned and
unpartitioned assets becomes two runs, and a step's stdout/stderr shows while it runs."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_browser import ROOT, Server, browser, expect, page, serve, shot  # noqa: F401

PROJECT = ROOT / "tests" / "fixtures" / "ui2_project.py"


@pytest.fixture(scope="module")
def launch_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    tmp = tmp_path_factory.mktemp("ui2")
    gate = tmp / "gate"
    monkey = pytest.MonkeyPatch()
    monkey.setenv("HEADWATER_TEST_GATE", str(gate))
    try:
        for server, _ in serve(tmp, PROJECT):
            yield server, gate
    finally:
        monkey.undo()


def wait_run(server: Server, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        run = httpx.get(f"{server.url}/api/runs/{run_id}", timeout=30).json()
        if run["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            return dict(run)
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish")


def test_launchpad_leaves_required_config_empty(launch_server: tuple[Server, Path],
                                                page: Any) -> None:  # noqa: F811
    """The scaffolded config of a job with required fields names them with no value, so it
    is invalid (missing values) until they are filled in."""
    server, _ = launch_server
    page.goto(f"{server.url}/jobs/report_job")
    editor = page.get_by_role("textbox", name="Run config (YAML or JSON)")
    expect(editor).to_contain_text("date:")
    assert '""' not in editor.inner_text() and "n: 0" not in editor.inner_text()
    status = page.locator("#config-status")
    expect(status).to_contain_text("problem", timeout=15_000)
    expect(status).to_contain_text("date")
    expect(page.get_by_role("button", name="Launch run")).to_be_disabled()
    editor.fill("ops:\n  report:\n    config:\n      date: '2024-01-02'\n      n: 3\n")
    expect(status).to_contain_text("Config is valid", timeout=15_000)
    expect(page.get_by_role("button", name="Launch run")).to_be_enabled()


def test_launchpad_of_a_partitioned_job_needs_a_partition(launch_server: tuple[Server, Path],
                                                          page: Any) -> None:  # noqa: F811
    """A partitioned job cannot launch until a partition is picked; the run then carries it
    and materializes that partition only."""
    server, _ = launch_server
    page.goto(f"{server.url}/jobs/daily_job")
    picker = page.get_by_role("group", name="Partitions")
    expect(picker).to_be_visible()
    expect(page.get_by_text("Pick a partition to launch")).to_be_visible()
    expect(page.get_by_role("button", name="Launch run")).to_be_disabled()
    picker.get_by_label("Partition", exact=True).select_option("2024-01-03")
    expect(page.locator("#config-status")).to_contain_text("Config is valid", timeout=15_000)
    shot(page, "launchpad-partition")
    page.get_by_role("button", name="Launch run").click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]+$"))
    expect(page.locator("dl.facts")).to_contain_text("2024-01-03")
    expect(page.locator('.page-header [data-status="SUCCESS"]')).to_be_visible(timeout=60_000)
    status = httpx.get(f"{server.url}/api/assets/daily/partitions", timeout=30).json()["status"]
    assert status["2024-01-03"] == "materialized"
    assert status["2024-01-02"] == "missing"


def test_open_a_partitioned_run_in_the_launchpad(launch_server: tuple[Server, Path],
                                                page: Any) -> None:  # noqa: F811
    """A run of a partitioned job opens in the launchpad with its partition picked and its
    own tags, not the engine's partition tag; launching it runs that partition again."""
    server, _ = launch_server
    reply = httpx.post(f"{server.url}/api/jobs/daily_job/launch", timeout=60,
                       json={"partition_key": "2024-01-05", "tags": {"owner": "ana"}})
    reply.raise_for_status()
    run_id = reply.json()["run_id"]
    assert wait_run(server, run_id)["tags"]["headwater/partition"] == "2024-01-05"
    page.goto(f"{server.url}/runs/{run_id}")
    page.get_by_role("button", name="Open in launchpad").click()
    expect(page.locator(f'[data-prefill="{run_id}"]')).to_contain_text("2024-01-05")
    picker = page.get_by_role("group", name="Partitions")
    expect(picker.get_by_label("Partition", exact=True)).to_have_value("2024-01-05")
    expect(page.get_by_label("Tags (key=value, one per line)")).to_have_value("owner=ana")
    expect(page.locator("#config-status")).to_contain_text("Config is valid", timeout=15_000)
    page.get_by_role("button", name="Launch run").click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]+$"))
    expect(page).not_to_have_url(re.compile(run_id))
    expect(page.locator("dl.facts")).to_contain_text("2024-01-05")
    expect(page.locator("dl.facts")).to_contain_text("owner=ana")


def test_launchpad_range_of_a_partitioned_job_requests_a_backfill(
        launch_server: tuple[Server, Path], page: Any) -> None:  # noqa: F811
    """A range of partitions on the launchpad becomes a backfill of the job."""
    server, _ = launch_server
    page.goto(f"{server.url}/jobs/daily_job")
    picker = page.get_by_role("group", name="Partitions")
    picker.get_by_label("A range").check()
    picker.get_by_label("From").select_option("2024-01-02")
    picker.get_by_label("To").select_option("2024-01-04")
    page.get_by_role("button", name="Launch backfill (3 partitions)").click()
    expect(page.locator(".toast")).to_contain_text("requested for 3 partitions")
    backfills = httpx.get(f"{server.url}/api/backfills", timeout=30).json()["items"]
    assert backfills[0]["job_name"] == "daily_job"
    assert backfills[0]["partition_keys"] == ["2024-01-02", "2024-01-03", "2024-01-04"]


def test_materialize_dialog_offers_range_and_missing(launch_server: tuple[Server, Path],
                                                    page: Any) -> None:  # noqa: F811
    """Materializing a partitioned asset asks for one partition, a range or all missing
    partitions; several partitions become a backfill."""
    server, _ = launch_server
    page.goto(f"{server.url}/assets")
    page.locator('[data-asset="daily"]').click()
    page.get_by_role("button", name="Materialize selected (1)").click()
    dialog = page.get_by_role("dialog", name="Choose partitions")
    expect(dialog).to_be_visible()
    dialog.get_by_label("All missing").check()
    expect(dialog.get_by_role("button", name=re.compile(r"Launch backfill \(\d partitions\)"))) \
        .to_be_visible()
    dialog.get_by_label("A range").check()
    dialog.get_by_label("From").select_option("2024-01-01")
    dialog.get_by_label("To").select_option("2024-01-02")
    shot(page, "materialize-partitions")
    dialog.get_by_role("button", name="Launch backfill (2 partitions)").click()
    expect(page.locator(".toast")).to_contain_text("requested for 2 partitions")
    backfills = httpx.get(f"{server.url}/api/backfills", timeout=30).json()["items"]
    assert backfills[0]["asset_selection"] == ["daily"]
    assert backfills[0]["partition_keys"] == ["2024-01-01", "2024-01-02"]


def test_mixed_selection_launches_a_run_per_partitioning(launch_server: tuple[Server, Path],
                                                         page: Any) -> None:  # noqa: F811
    """Materializing a partitioned and an unpartitioned asset together launches two runs:
    the partition goes to the partitioned asset only, and both succeed."""
    server, _ = launch_server
    page.goto(f"{server.url}/assets")
    page.locator('[data-asset="daily"]').click()
    page.locator('[data-asset="plain"]').click(modifiers=["Shift"])
    page.get_by_role("button", name="Materialize selected (2)").click()
    dialog = page.get_by_role("dialog", name="Choose partitions")
    dialog.get_by_label("Partition", exact=True).select_option("2024-01-05")
    dialog.get_by_role("button", name="Launch run").click()
    toast = page.get_by_text(re.compile("Launched 2 runs"))
    expect(toast).to_be_visible()
    links = page.locator(".toast a[href^='/runs/']")
    hrefs = {links.nth(i).get_attribute("href") for i in range(links.count())}
    run_ids = [h.rsplit("/", 1)[1] for h in hrefs if h]
    assert len(run_ids) == 2
    runs = [wait_run(server, r) for r in run_ids]
    assert all(r["status"] == "SUCCESS" for r in runs), runs
    by_assets = {tuple(r["asset_selection"]): r["partition_key"] for r in runs}
    assert by_assets == {("daily",): "2024-01-05", ("plain",): None}


def test_compute_logs_show_while_the_step_runs(launch_server: tuple[Server, Path],
                                               page: Any) -> None:  # noqa: F811
    """A step's stdout appears on the run page before the step ends, its stderr too, and
    both can be downloaded."""
    server, gate = launch_server
    reply = httpx.post(f"{server.url}/api/assets/materialize", json={"keys": ["chatty"]},
                       timeout=30)
    assert reply.status_code == 200, reply.text
    run_id = reply.json()["run_id"]
    page.goto(f"{server.url}/runs/{run_id}")
    logs = page.get_by_role("region", name="Compute logs")
    logs.get_by_label("Step").select_option("chatty")
    output = logs.get_by_role("log", name="stdout")
    expect(output).to_contain_text("first line from chatty", timeout=60_000)
    assert httpx.get(f"{server.url}/api/runs/{run_id}", timeout=30).json()["status"] == "STARTED"
    expect(output).not_to_contain_text("second line")
    shot(page, "compute-logs")
    gate.write_text("go")
    expect(output).to_contain_text("second line from chatty", timeout=60_000)
    logs.get_by_role("tab", name="stderr").click()
    expect(logs.get_by_role("log", name="stderr")).to_contain_text("a warning on stderr")
    href = logs.get_by_role("link", name="Download").get_attribute("href")
    assert href
    body = httpx.get(f"{server.url}{href}", timeout=30)
    assert body.status_code == 200 and "a warning on stderr" in body.text
    assert "attachment" in body.headers["content-disposition"]
