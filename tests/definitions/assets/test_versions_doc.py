"""Every Python example of docs/versions-and-staleness.md runs as written."""

from __future__ import annotations

import pathlib
import re

import pytest

DOC = pathlib.Path(__file__).resolve().parents[3] / "docs" / "versions-and-staleness.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)


def test_the_doc_has_examples():
    """The doc keeps its four runnable examples."""
    assert len(EXAMPLES) == 4


@pytest.mark.parametrize("source", EXAMPLES, ids=[f"example{i}" for i in range(len(EXAMPLES))])
def test_doc_example_runs(source):
    """The example executes without error (its asserts included)."""
    exec(compile(source, f"{DOC.name}", "exec"), {"__name__": "doc_example"})
