"""Browser tests wait up to 15 s for what a live run shows: a run worker is a new process, and
on a loaded 2-core machine it can take several seconds to start (Playwright's default is 5 s)."""

from __future__ import annotations

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
playwright_api.expect.set_options(timeout=15_000)
