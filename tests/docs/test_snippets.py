"""Every ```python block in docs/ runs, and every output a page shows is what its block prints.

One test per block (`partitions.md:3`, `integrations/aws.md:2`), run by the conventions of
doc_snippets.py: each page runs once, in its own subprocess, the first time one of its blocks
is asked for; a block marked `<!-- skip: reason -->` is reported skipped with its reason.
Pages whose blocks take over ~20 s (Spark, dbt) are marked slow.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

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


@functools.cache
def _run(page: str) -> dict[int, dict[str, str | None]]:
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


@pytest.mark.parametrize("block", [_param(block) for block in _blocks()])
def test_block_runs(block: Block) -> None:
    result = _run(block.page)[block.number]
    if result["skipped"] is not None:
        pytest.skip(f"{block.id}: {result['skipped']}")
    where = f"{block.id} (docs/{block.page}, line {block.line})"
    if result["error"] is not None:
        pytest.fail(f"{where} fails:\n{result['error']}", pytrace=False)
    stdout = result["stdout"] or ""
    if block.output is not None and not same_output(stdout, block.output):
        pytest.fail(f"{where} prints\n{stdout}\nbut the page shows\n{block.output}",
                    pytrace=False)
