"""The snippet test's own parts: the markers parse_page reads, and how run_page runs a page."""

from __future__ import annotations

from pathlib import Path

import pytest
from doc_snippets import SnippetSyntaxError, parse_page, run_page, same_output

PAGE = """\
# A page

```python
x = 1
```

Text between blocks.

<!-- continue -->
```python
print(x + 1)
```

<!-- output -->
```text
2
```

```bash
echo not python
```

<!-- skip: needs an AWS account -->
```python
import boto3
```

- a list item with an indented block:

    ```python
    print("indented")
    ```
"""


def test_parse_page_reads_each_python_block_with_its_markers() -> None:
    """Blocks are numbered per page, carry their line, and the markers land on the right one."""
    blocks = parse_page(PAGE, "guide.md")
    assert [block.id for block in blocks] == ["guide.md:1", "guide.md:2", "guide.md:3",
                                              "guide.md:4"]
    first, second, skipped, indented = blocks
    assert (first.code, first.line, first.continues, first.output) == ("x = 1\n", 4, False, None)
    assert (second.continues, second.output, second.line) == (True, "2\n", 11)
    assert skipped.skip == "needs an AWS account" and not skipped.continues
    assert indented.code == 'print("indented")\n'


def test_a_text_block_without_the_output_marker_is_not_compared() -> None:
    """Only a ```text block marked <!-- output --> is taken as the block's output."""
    blocks = parse_page("```python\nprint(1)\n```\n\n```text\nanything\n```\n")
    assert blocks[0].output is None


@pytest.mark.parametrize(("text", "message"), [
    ("<!-- skip -->\n```python\npass\n```\n", "needs a reason"),
    ("<!-- skip: -->\n```python\npass\n```\n", "needs a reason"),
    ("<!-- continue -->\n\n```python\npass\n```\n", "line just before a code fence"),
    ("<!-- continue -->\n```python\npass\n```\n", "nothing to continue"),
    ("<!-- output -->\n```python\npass\n```\n", "marks a ```text block, not a python one"),
    ("```python\npass\n```\n<!-- output -->\n```bash\nls\n```\n", "not ```bash"),
    ("<!-- output -->\n```text\n1\n```\n", "no python block before it"),
    ("```python\npass\n```\n<!-- continue -->\n```bash\nls\n```\n", "marks a ```python block"),
    ("<!-- continue: x -->\n```python\npass\n```\n", "takes no argument"),
])
def test_a_misused_marker_is_an_error_naming_the_line(text: str, message: str) -> None:
    """A marker that would be silently ignored, or that has nothing to act on, is refused."""
    with pytest.raises(SnippetSyntaxError, match=message) as error:
        parse_page(text, "bad.md")
    assert str(error.value).startswith("bad.md:")


def test_same_output_ignores_trailing_whitespace_only() -> None:
    """Trailing spaces and blank lines at the end do not count; anything else does."""
    assert same_output("a  \nb\n\n", "a\nb")
    assert not same_output("a\nb\n", "a\n b\n")
    assert not same_output("a\n", "a\nb\n")


def _run(tmp_path: Path, text: str) -> list[dict[str, object]]:
    page = tmp_path / "page.md"
    page.write_text(text)
    return [vars(result) for result in run_page(page)]


def test_a_continued_block_shares_the_namespace_and_directory(tmp_path: Path) -> None:
    """`<!-- continue -->` keeps names and cwd; a block without it starts afresh."""
    results = _run(tmp_path, """\
```python
import os
from pathlib import Path
Path("made.txt").write_text("here")
value = 41
print(os.environ["HEADWATER_HOME"].startswith(os.getcwd()))
```

<!-- continue -->
```python
print(value + 1, Path("made.txt").read_text())
```

```python
from pathlib import Path
print(Path("made.txt").exists())
print(value)
```
""")
    assert [r["stdout"] for r in results[:2]] == ["True\n", "42 here\n"]
    assert results[2]["stdout"] == "False\n"
    assert "NameError: name 'value' is not defined" in str(results[2]["error"])
    assert 'page.md", line 17' in str(results[2]["error"])  # the Markdown line


def test_a_skipped_block_is_reported_and_not_run(tmp_path: Path) -> None:
    """A skipped block gives its reason and runs nothing; the blocks continuing it are skipped
    too, and the next chain runs."""
    results = _run(tmp_path, """\
<!-- skip: needs credentials -->
```python
raise RuntimeError("the skipped block ran")
```

<!-- continue -->
```python
raise RuntimeError("its continuation ran")
```

```python
print("runs")
```
""")
    assert [r["skipped"] for r in results] == [
        "needs credentials", "continues skipped block 1: needs credentials", None]
    assert results[2]["stdout"] == "runs\n" and results[2]["error"] is None


def test_a_failed_block_stops_the_blocks_continuing_it(tmp_path: Path) -> None:
    """The blocks after a failure in one chain are reported not run; the next chain runs."""
    results = _run(tmp_path, """\
```python
raise ValueError("broken example")
```

<!-- continue -->
```python
print("never")
```

```python
print("next chain")
```
""")
    assert "ValueError: broken example" in str(results[0]["error"])
    assert results[1]["error"] == "not run: block 1, which it continues, failed"
    assert results[2]["stdout"] == "next chain\n"


def test_output_of_subprocesses_is_captured_and_modules_do_not_leak(tmp_path: Path) -> None:
    """What a child process prints counts as the block's output, and a module a block wrote
    and imported is not seen by the next chain."""
    results = _run(tmp_path, """\
```python
import subprocess, sys
from pathlib import Path
Path("helper.py").write_text("NAME = 'first'")
import helper
subprocess.run([sys.executable, "-c", "print('from a child')"], check=True)
```

```python
import sys
print("helper" in sys.modules, __name__)
```
""")
    assert results[0]["stdout"] == "from a child\n"
    assert results[1]["stdout"] == "False __main__\n"
