"""The web UI in a real Chromium (Debian's, headless) against the real webserver, instance,
code server and run workers: the asset graph, materializing with a live log, a schedule
switch, the launchpad's validation, running a failing asset check, and a large graph.
Screenshots go to build/ui-screenshots/ (or $HEADWATER_UI_SCREENSHOTS); `make screenshots`
copies the ones docs/ui.md shows into docs/img."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
playwright_api = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

from headwater.code.location import CodeLocationOrigin  # noqa: E402
from headwater.server import app as app_module  # noqa: E402
from headwater.server import create_app  # noqa: E402
from headwater.storage.instance import HeadwaterInstance  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
PROJECT = ROOT / "tests" / "fixtures" / "ui_project.py"
CHECK_PROJECT = ROOT / "tests" / "fixtures" / "check_project.py"
# Every browser test may take pictures of what it shows (`shot`); `make screenshots` runs the
# suite and copies the ones docs/ui.md names into docs/img.
SHOTS = Path(os.environ.get("HEADWATER_UI_SCREENSHOTS") or ROOT / "build" / "ui-screenshots")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); "
                ".ci/run does it", allow_module_level=True)
if not os.path.isfile(os.path.join(app_module.STATIC_DIR, "index.html")):
    pytest.skip("the UI is not built (src/headwater/server/static/index.html is missing): "
                "run `make ui`", allow_module_level=True)

expect = playwright_api.expect


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """The webserver on uvicorn in a thread, on a free port."""

    def __init__(self, app: Any):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="on", timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the webserver did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def serve(tmp: Path, defs: Path) -> Iterator[tuple[Server, Any]]:
    home = tmp / "home"
    home.mkdir()
    instance = HeadwaterInstance.from_url(f"sqlite:///{home}/headwater.db", str(home))
    app = create_app(instance, [CodeLocationOrigin(python_file=str(defs))])
    try:
        with Server(app) as server:
            yield server, instance
    finally:
        app.state.headwater.workspace.shutdown()
        instance.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    for found in serve(tmp_path_factory.mktemp("ui"), PROJECT):
        yield found[0]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, timezone_id="Europe/Paris")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.set_default_timeout(20_000)
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_graph_materialize_and_watch_the_run(server: Server, page: Any) -> None:
    """Click an asset in the graph, materialize it, and watch its run stream logs to success."""
    page.goto(f"{server.url}/assets")
    node = page.locator('[data-asset="orders"]')
    expect(node).to_be_visible()
    expect(page.locator('[data-asset="revenue"]')).to_be_visible()
    shot(page, "asset-graph")
    node.click()
    panel = page.get_by_role("complementary", name="Selected assets")
    expect(panel).to_contain_text("Orders exported from the shop")
    page.get_by_role("button", name="Materialize selected (1)").click()
    page.get_by_role("link", name="View run →").click()

    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]+$"))
    log = page.get_by_role("log", name="Run events")
    expect(log).to_contain_text("loading batch 0 of orders")
    expect(page.locator('.page-header [data-status="SUCCESS"]')).to_be_visible(timeout=60_000)
    expect(log).to_contain_text("loading batch 2 of orders")
    expect(log.locator('[data-type="ASSET_MATERIALIZATION"]')).to_have_count(1)
    expect(page.get_by_role("table", name="Step timeline")).to_contain_text("orders")
    shot(page, "run")

    log.get_by_role("link", name="orders").first.click()
    expect(page).to_have_url(re.compile(r"/assets/orders$"))
    expect(page.locator('.page-header [data-status="materialized"]')).to_be_visible()
    expect(page.locator(".schema-table")).to_contain_text("order_id")
    expect(page.locator(".schema-table")).to_contain_text("Total in EUR")
    shot(page, "asset")


def test_run_filters_and_reexecute(server: Server, page: Any) -> None:
    """A finished run re-executes into a new run that links back to its parent."""
    page.goto(f"{server.url}/assets/customers")
    page.get_by_role("button", name="Materialize", exact=True).click()
    page.get_by_role("link", name="View run →").click()
    expect(page.locator('.page-header [data-status="SUCCESS"]')).to_be_visible(timeout=60_000)
    first = page.url
    page.get_by_role("button", name="Re-execute all").click()
    expect(page).not_to_have_url(first)
    expect(page.locator('.page-header [data-status="SUCCESS"]')).to_be_visible(timeout=60_000)
    expect(page.locator("dl.facts")).to_contain_text("Parent run")

    page.goto(f"{server.url}/runs?status=SUCCESS")
    expect(page.locator("table.runs-table tbody tr").first).to_be_visible()
    page.goto(f"{server.url}/runs?status=FAILURE")
    expect(page.get_by_text("No runs match these filters.")).to_be_visible()


def test_toggle_a_schedule(server: Server, page: Any) -> None:
    """The schedule switch starts and stops it, and a running schedule shows its next ticks."""
    page.goto(f"{server.url}/automation")
    switch = page.get_by_role("switch", name="Start nightly")
    expect(switch).to_have_attribute("aria-checked", "false")
    switch.click()
    on = page.get_by_role("switch", name="Stop nightly")
    expect(on).to_have_attribute("aria-checked", "true")
    row = page.locator('tr[data-name="nightly"]')
    expect(row.locator("time").first).to_be_visible()
    shot(page, "automation")
    page.reload()
    expect(page.get_by_role("switch", name="Stop nightly")).to_have_attribute("aria-checked", "true")
    page.get_by_role("switch", name="Stop nightly").click()
    expect(page.get_by_role("switch", name="Start nightly")).to_have_attribute("aria-checked", "false")


def test_launchpad_validates_and_launches(server: Server, page: Any) -> None:
    """Bad run config shows its problems as you type; good config launches a run."""
    page.goto(f"{server.url}/jobs/numbers")
    editor = page.get_by_role("textbox", name="Run config (YAML or JSON)")
    expect(editor).to_contain_text("make")
    editor.fill("ops:\n  make:\n    config:\n      n: ten\n      label: apples\n")
    status = page.locator("#config-status")
    expect(status).to_contain_text("problem", timeout=15_000)
    expect(status).to_contain_text("n")
    expect(page.get_by_role("button", name="Launch run")).to_be_disabled()
    shot(page, "launchpad-invalid")
    editor.fill("ops: [unclosed")
    expect(status).to_contain_text("Not valid YAML or JSON")
    editor.fill('{"ops": {"make": {"config": {"n": 21, "label": "apples"}}}}')
    expect(status).to_contain_text("Config is valid", timeout=15_000)
    page.get_by_label("Tags (key=value, one per line)").fill("team=math")
    page.get_by_role("button", name="Launch run").click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]+$"))
    expect(page.get_by_role("log", name="Run events")).to_contain_text("making 21 apples")
    expect(page.locator('.page-header [data-status="SUCCESS"]')).to_be_visible(timeout=60_000)
    expect(page.locator("dl.facts")).to_contain_text("team=math")


def test_deployment_and_partitions(server: Server, page: Any) -> None:
    """The deployment page lists the location and reloads it; a partitioned asset shows its
    partition grid and requests a backfill, whose page opens."""
    page.goto(f"{server.url}/deployment")
    location = page.locator('[data-location="ui_project"]')
    expect(location).to_contain_text("Loaded")
    location.get_by_role("button", name="Reload").click()
    expect(page.get_by_text("Location ui_project reloaded.")).to_be_visible()

    page.goto(f"{server.url}/assets/monthly_report?tab=partitions")
    cells = page.get_by_role("gridcell")
    expect(cells).to_have_count(12)
    cells.nth(0).click()
    cells.nth(2).click(modifiers=["Shift"])
    page.get_by_role("button", name="Launch backfill (3 partitions)").click()
    expect(page.get_by_text("requested for 3 partitions")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/backfills/[0-9a-f]+$"))
    expect(page.locator(".page-header")).to_contain_text("3 partitions")
    expect(page.locator("dl.facts")).to_contain_text("monthly_report")


@pytest.fixture(scope="module")
def check_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    for found in serve(tmp_path_factory.mktemp("checks"), CHECK_PROJECT):
        yield found[0]


def test_run_a_failing_check(check_server: Server, page: Any) -> None:
    """Run a failing check from the asset page's Checks tab: the run labels its check step and
    shows the failed result; the tab then shows the failure with its metadata and history, and
    the asset's graph node carries a failed-checks badge that the checks filter keeps."""
    page.goto(f"{check_server.url}/assets/orders")
    page.get_by_role("tab", name=re.compile("Checks")).click()
    card = page.get_by_role("region", name="Check customers_present")
    expect(card).to_contain_text("Every order names its customer.")
    expect(card).to_contain_text("blocking")
    expect(card.locator('[data-check-result="not_run"]')).to_be_visible()
    card.get_by_role("button", name="Run check", exact=True).click()
    page.get_by_role("link", name="View run →").click()

    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]+$"))
    expect(page.locator('.page-header [data-status="FAILURE"]')).to_be_visible(timeout=60_000)
    step = page.get_by_role("table", name="Step timeline").locator('[data-kind="check"]')
    expect(step).to_contain_text("orders_customers_present")
    expect(step.locator('[data-check-result="failed"]')).to_be_visible()
    results = page.get_by_role("region", name="Check results")
    expect(results.locator('[data-check="orders:customers_present"]')).to_contain_text("Failed")
    expect(page.get_by_role("log", name="Run events").locator(
        '[data-type="ASSET_MATERIALIZATION"]')).to_have_count(0)
    shot(page, "check-run")

    page.goto(f"{check_server.url}/assets/orders?tab=checks")
    card = page.get_by_role("region", name="Check customers_present")
    expect(card.locator('[data-check-result="failed"]').first).to_be_visible()
    expect(card).to_contain_text("1 order(s) without a customer")
    expect(card).to_contain_text("missing")
    history = card.get_by_role("table", name="History of check customers_present")
    expect(history.locator("tbody tr")).to_have_count(1)
    expect(page.get_by_role("region", name="Check not_empty").locator(
        '[data-check-result="not_run"]')).to_be_visible()
    shot(page, "asset-checks")

    page.goto(f"{check_server.url}/assets")
    badge = page.locator('[data-asset="orders"] [data-check-status="failed"]')
    expect(badge).to_be_visible()
    expect(badge).to_have_attribute("aria-label", re.compile("1 failed"))
    expect(page.locator('[data-asset="revenue"] [data-check-status="not_run"]')).to_be_visible()
    shot(page, "check-badges")
    page.get_by_label("Filter by checks").select_option("failed")
    expect(page.locator('[data-asset="revenue"]')).to_have_count(0)
    expect(page.locator('[data-asset="orders"]')).to_be_visible()


LARGE_GROUPS = 10
LARGE_PER_GROUP = 300


def large_defs(path: Path) -> Path:
    """3,000 assets in 10 groups, each a chain with a few cross-group edges."""
    lines = ["from headwater import AssetSpec, Definitions", "specs = []"]
    lines.append(f"for g in range({LARGE_GROUPS}):")
    lines.append(f"    for i in range({LARGE_PER_GROUP}):")
    lines.append("        deps = [f'g{g}_a{i - 1}'] if i else ([f'g{g - 1}_a0'] if g else [])")
    lines.append("        specs.append(AssetSpec(f'g{g}_a{i}', deps=deps, group_name=f'group_{g}'))")
    lines.append("defs = Definitions(assets=specs)")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_large_graph_collapses_groups_and_culls(tmp_path: Path, browser: Any) -> None:
    """3,000 assets open with their groups collapsed; an opened group draws only what is in
    view."""
    for large, _ in serve(tmp_path, large_defs(tmp_path / "large.py")):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        try:
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.goto(f"{large.url}/assets")
            # The first view is readable rather than all-in: the nearest groups are drawn and
            # the group filter lists every one.
            expect(page.locator('[data-group="group_0"]')).to_be_visible()
            expect(page.get_by_label("Filter by group").locator("option")).to_have_count(LARGE_GROUPS + 1)
            shot(page, "large-graph-collapsed")
            page.locator('[data-group="group_3"]').click()
            expect(page.locator('[data-asset="g3_a0"]')).to_be_visible()
            page.get_by_role("searchbox", name="Search assets").fill("g3_a250")
            page.keyboard.press("Enter")
            panel = page.get_by_role("complementary", name="Selected assets")
            expect(panel).to_contain_text("g3_a250")
            expect(page.locator('[data-asset="g3_a250"]')).to_be_visible()
            rendered = int(page.locator("svg.graph-svg").get_attribute("data-rendered-nodes") or 0)
            assert 0 < rendered < LARGE_PER_GROUP
            shot(page, "large-graph-group")
        finally:
            context.close()
