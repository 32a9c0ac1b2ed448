"""Code references in a real Chromium: the asset page links an asset to its source, as an
editor link for a local file and as a web link for a git host."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from test_browser import ROOT, Server, browser, expect, page, serve, shot  # noqa: F401

PROJECT = ROOT / "tests" / "fixtures" / "code_refs_project.py"


@pytest.fixture(scope="module")
def refs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    for found in serve(tmp_path_factory.mktemp("refs"), PROJECT):
        yield found[0]


def test_code_references_are_links(refs_server: Server, page: Any) -> None:  # noqa: F811
    page.goto(f"{refs_server.url}/assets/local_ref")
    local = page.locator(".code-references a").first
    where = f"{PROJECT}:14"  # the line of the decorated function (its decorator)
    expect(local).to_have_attribute("href", "vscode://file/" + where.lstrip("/"))
    expect(local).to_contain_text(where)
    shot(page, "code-references")

    page.goto(f"{refs_server.url}/assets/git_ref")
    linked = page.locator(".code-references a").first
    expect(linked).to_have_attribute(
        "href", "https://github.com/acme/shop/tree/main/defs/code_refs_project.py")
