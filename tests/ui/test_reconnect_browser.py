"""Disconnects in a real Chromium: the uvicorn server is stopped and started again on the same
port (a webserver restart) while a page is open. One connection banner shows while it is
away (no list stuck on "Failed to fetch"), the run page's header says the stream is down,
and once the server is back the banner goes, the run stream resumes where it stopped (the
header says it reconnected) and lists load."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from run_helpers import launch, wait_run
from test_browser import ROOT, Server, browser, expect, page, shot, uvicorn  # noqa: F401

from headwater.code.location import CodeLocationOrigin
from headwater.server import create_app
from headwater.storage.instance import HeadwaterInstance

PROJECT = ROOT / "tests" / "fixtures" / "run_states_project.py"


class Restartable:
    """A webserver that can be stopped and started again on the same port, each start a new
    app over the same instance, as a restarted `headwater webserver` would be."""

    def __init__(self, home: Path):
        self.instance = HeadwaterInstance.from_url(f"sqlite:///{home}/headwater.db", str(home))
        self.server: Server | None = None
        self.apps: list[Any] = []
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        app = create_app(self.instance, [CodeLocationOrigin(python_file=str(PROJECT))])
        self.apps.append(app)
        server = Server(app)
        if self.port:  # the same port again
            server.port, server.url = self.port, self.url
            config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                    lifespan="on", timeout_graceful_shutdown=1)
            server.server = uvicorn.Server(config)
            server.thread = threading.Thread(target=server.server.run, daemon=True)
        self.port = server.port
        self.server = server.__enter__()

    def stop(self) -> None:
        assert self.server is not None
        self.server.__exit__(None, None, None)
        self.server = None

    def close(self) -> None:
        if self.server is not None:
            self.stop()
        for app in self.apps:
            app.state.headwater.workspace.shutdown()
        self.instance.dispose()


@pytest.fixture
def restartable(tmp_path: Path) -> Iterator[Restartable]:
    home = tmp_path / "home"
    home.mkdir()
    server = Restartable(home)
    server.start()
    try:
        yield server
    finally:
        server.close()


def test_the_ui_survives_a_webserver_restart(restartable: Restartable, page: Any) -> None:  # noqa: F811
    """Stop the server under a live run page, then start it again on the same port: one
    banner while it is away, then the stream resumes and lists load again."""
    run_id = launch(restartable.url, "ticking")
    page.goto(f"{restartable.url}/runs/{run_id}")
    header = page.locator(".page-header")
    expect(header).to_contain_text("streaming live")
    log = page.get_by_role("log", name="Run events")
    expect(log).to_contain_text("tick 1")

    restartable.stop()
    banner = page.locator(".connection-banner")
    expect(banner).to_be_visible(timeout=15_000)
    expect(banner).to_contain_text("Cannot reach the webserver")
    expect(header).to_contain_text("reconnecting")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Runs").click()
    expect(page.locator(".connection-banner")).to_have_count(1)
    expect(page.get_by_text("Loading")).to_be_visible()
    time.sleep(1.5)
    expect(page.get_by_text(re.compile("Failed to fetch|cannot be reached"))).to_have_count(0)
    shot(page, "disconnected")

    restartable.start()
    expect(banner).to_have_count(0, timeout=30_000)
    row = page.locator(f'table.runs-table tr:has(a[href="/runs/{run_id}"])')
    expect(row).to_be_visible()

    page.go_back()
    expect(header).to_contain_text("streaming live")
    restartable.stop()
    expect(banner).to_be_visible(timeout=15_000)
    expect(header).to_contain_text("reconnecting")
    restartable.start()
    expect(banner).to_have_count(0, timeout=30_000)
    expect(header).to_contain_text("streaming live (reconnected)")
    expect(log).to_contain_text("tick 59", timeout=60_000)
    expect(page.locator('.page-header [data-status="SUCCESS"]')).to_be_visible(timeout=60_000)
    ticks = log.get_by_text(re.compile(r"^tick \d+$"))
    expect(ticks).to_have_count(60)
    assert wait_run(restartable.url, run_id)["status"] == "SUCCESS"
