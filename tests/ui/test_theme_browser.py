"""Dark mode: the UI follows the system's prefers-color-scheme, and the top bar's theme choice
overrides it and persists across reloads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from test_browser import Server, browser, expect, server, shot  # noqa: F401


def background(page: Any) -> str:
    return str(page.evaluate("getComputedStyle(document.body).backgroundColor"))


def is_dark(color: str) -> bool:
    """Whether an rgb(...) color is dark (its mean channel below half)."""
    channels = [int(c) for c in color[color.index("(") + 1:color.index(")")].split(",")[:3]]
    return sum(channels) / 3 < 128


@pytest.fixture
def dark_system(browser: Any) -> Iterator[Any]:  # noqa: F811
    """A page in a browser whose system prefers dark colors."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, color_scheme="dark")
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    context.close()


def test_dark_mode_follows_the_system_and_the_toggle_persists(server: Server,  # noqa: F811
                                                              dark_system: Any) -> None:
    """A dark system gives dark pages (the graph's nodes included); choosing Light overrides it
    and survives a reload; choosing System again follows the system."""
    page = dark_system
    page.goto(f"{server.url}/assets")
    expect(page.locator('[data-asset="orders"]')).to_be_visible()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert is_dark(background(page))
    node_fill = page.locator('[data-asset="orders"] .asset-bg').evaluate("e => getComputedStyle(e).fill")
    assert is_dark(node_fill)
    toggle = page.get_by_label("Color theme")
    expect(toggle).to_have_value("system")
    expect(toggle.locator("option").first).to_have_text("System (dark)")
    shot(page, "dark-asset-graph")

    toggle.select_option("light")
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    assert not is_dark(background(page))
    page.reload()
    expect(page.get_by_label("Color theme")).to_have_value("light")
    assert not is_dark(background(page))

    page.get_by_label("Color theme").select_option("system")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.emulate_media(color_scheme="light")
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    assert not is_dark(background(page))
    page.get_by_label("Color theme").select_option("dark")
    page.goto(f"{server.url}/runs")
    expect(page.get_by_label("Color theme")).to_have_value("dark")
    assert is_dark(background(page))
    shot(page, "dark-runs")
