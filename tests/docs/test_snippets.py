"""Every ```python block in docs/ runs, and every output a page shows is what its block prints.

One test per block (`partitions.md:3`, `integrations/aws.md:2`), run by the conventions of
doc_snippets.py: each page of the selected tests runs once, in its own subprocess, one page per
CPU at a time; a block marked `<!-- skip: reason -->` is reported skipped with its reason.
Pages whose blocks take over ~20 s (Spark, dbt) are marked slow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from doc_snippets import Block, parse_page, same_output

DOCS = Path(__file__).resolve().parents[2] / "docs"
RUNNER = Path(__file__).resolve().with_name("doc_snippets.py")
# Pages whose blocks start Spark sessions or several dbt processes: over ~20 s each.
SLOW_PAGES = {"integrations/spark.md", "integrations/dbt.md", "pipes.md"}
PAGE_TIMEOUT = 600  # seconds; a page that hangs fails instead of stalling the suite


def _pages() -> list[str]:
    return sorted(path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md"))


def _blocks() -> list[Block]:
    return [block for page in _pages() for block in parse_page((DOCS / page).read_text(), page)]


def _param(block: Block) -> object:
    marks = [pytest.mark.slow, pytest.mark.timeout(PAGE_TIMEOUT)] if block.page in SLOW_PAGES \
        else []
    return pytest.param(block, id=block.id, marks=marks)


def _run(page: str) -> dict[int, dict[str, Any]]:
    """Run `page` in a fresh interpreter; its results keyed by block number."""
    with tempfile.TemporaryDirectory(prefix="headwater-docs-run-") as directory:
        report = Path(directory) / "report.json"
        process = subprocess.run(
            [sys.executable, str(RUNNER), str(DOCS / page), str(report), page],
            cwd=directory, capture_output=True, text=True, timeout=PAGE_TIMEOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        if not report.exists():
            raise AssertionError(f"running the blocks of {page} crashed the interpreter "
                                 f"(exit {process.returncode}):\n{process.stderr[-4000:]}")
        return {result["number"]: result for result in json.loads(report.read_text())}


@pytest.fixture(scope="session")
def page_runs(request: pytest.FixtureRequest) -> Iterator[dict[str, Future[dict[int, Any]]]]:
    """The selected pages, run a few at a time (one per CPU) in the order the tests ask."""
    pages: dict[str, None] = {}
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        block = callspec.params.get("block") if callspec is not None else None
        if isinstance(block, Block):
            pages.setdefault(block.page)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {page: pool.submit(_run, page) for page in pages}
        yield futures
        for future in futures.values():
            future.cancel()


@pytest.mark.parametrize("block", [_param(block) for block in _blocks()])
def test_block_runs(block: Block, page_runs: dict[str, Future[dict[int, Any]]]) -> None:
    """The block runs without an error, and prints what the page shows after it."""
    result = page_runs[block.page].result()[block.number]
    if result["skipped"] is not None:
        pytest.skip(f"{block.id}: {result['skipped']}")
    where = f"{block.id} (docs/{block.page}, line {block.line})"
    if result["error"] is not None:
        pytest.fail(f"{where} fails:\n{result['error']}", pytrace=False)
    stdout = result["stdout"] or ""
    if block.output is not None and not same_output(stdout, block.output):
        pytest.fail(f"{where} prints\n{stdout}\nbut the page shows\n{block.output}",
                    pytrace=False)
