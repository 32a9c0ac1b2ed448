"""Markdown metadata (MetadataValue.md) shows as formatted text on the asset page, sanitised:
no script runs, no javascript: link survives, and data: images are kept."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

from test_browser import browser, expect, page, serve, shot  # noqa: F401

from headwater import materialize

PIXEL = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR4"
         "nGNgYAAAAAMAASsJTYQAAAAASUVORK5CYII=")
NOTES = f"""# Daily report

Rows **loaded**: 42, see the [docs](https://example.com/docs).

- first item
- second item

<script>window.__pwned = 1</script>
<img src="x" onerror="window.__pwned = 2">
[click me](javascript:window.__pwned=3)
<a href="javascript:window.__pwned=4">raw link</a>

![pixel]({PIXEL})
"""


def md_defs(path: Path) -> Path:
    path.write_text(
        "from headwater import Definitions, MaterializeResult, MetadataValue, asset\n"
        f"NOTES = {NOTES!r}\n"
        "@asset\n"
        "def report():\n"
        "    return MaterializeResult(metadata={'notes': MetadataValue.md(NOTES)})\n"
        "defs = Definitions(assets=[report])\n")
    return path


def test_markdown_metadata_is_formatted_and_sanitised(tmp_path: Path, page: Any) -> None:  # noqa: F811
    """The asset page renders the markdown's heading, bold text, list and data: image, and
    drops the script, the event handler and the javascript: links."""
    defs = md_defs(tmp_path / "md_project.py")
    for server, instance in serve(tmp_path, defs):
        module = runpy.run_path(str(defs))
        assert materialize([module["report"]], instance=instance).success
        page.goto(f"{server.url}/assets/report")
        notes = page.locator(".markdown").first
        expect(notes.locator("h1")).to_have_text("Daily report")
        expect(notes.locator("strong")).to_have_text("loaded")
        expect(notes.locator("li")).to_have_count(2)
        docs = notes.get_by_role("link", name="docs")
        expect(docs).to_have_attribute("href", "https://example.com/docs")
        expect(docs).to_have_attribute("rel", "noopener noreferrer")
        expect(notes.locator(f'img[src="{PIXEL}"]')).to_have_count(1)
        expect(notes.locator("script")).to_have_count(0)
        expect(notes.locator("[onerror]")).to_have_count(0)
        expect(notes.locator('a[href^="javascript:"]')).to_have_count(0)
        for link in ("click me", "raw link"):
            found = notes.get_by_text(link)
            if found.count():
                found.first.click()
        page.wait_for_timeout(300)
        assert page.evaluate("window.__pwned") is None
        shot(page, "asset-markdown-metadata")
