"""The code blocks of a docs page: how they are found, and how a page's blocks are run.

The conventions (docs/ is written to them; test_snippets.py enforces them):

- every ```python block runs as its own script, in a fresh temporary directory (the cwd) with
  HEADWATER_HOME inside it, and the interpreter's bin folder first on PATH (as in an
  activated virtualenv);
- `<!-- continue -->` on the line just before a fence continues the page's previous python
  block: same namespace, same directory;
- `<!-- skip: reason -->` there means the block is not run; the reason is required; the blocks
  continuing a skipped block are skipped too;
- `<!-- output -->` before a ```text block means that text is what the python block just
  before it prints (compared line by line, trailing whitespace ignored).

`parse_page` reads the markers. `run_page` runs the blocks of one page and says, block by
block, what each printed and how it failed; test_snippets.py runs it in a subprocess per page
(`python doc_snippets.py PAGE REPORT`) so that pages share no modules, cwd or environment.
Within a page each chain (a block and the blocks continuing it) runs in a process forked for
it, with its own directory, its own `__main__` namespace and its own environment.
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import json
import os
import re
import sys
import tempfile
import textwrap
import traceback
import types
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

_MARKER = re.compile(r"^\s*<!--\s*(continue|skip|output)\b\s*(:?)\s*(.*?)\s*-->\s*$")
_OPEN = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)(.*)$")


class SnippetSyntaxError(ValueError):
    """A docs page uses the markers wrongly (a marker not right before a fence, a skip without
    a reason, an output marker on something other than a text block)."""


@dataclass(frozen=True)
class Block:
    """One ```python block of a page, with what its markers say."""

    page: str
    number: int  # 1-based among the page's python blocks
    line: int  # the line of the first line of code (1-based)
    code: str
    continues: bool = False
    skip: str | None = None
    output: str | None = None  # the text block marked <!-- output --> right after it

    @property
    def id(self) -> str:
        return f"{self.page}:{self.number}"


def parse_page(text: str, page: str = "page.md") -> list[Block]:
    """The python blocks of a Markdown page, in order, with their markers applied."""
    lines = text.splitlines()
    blocks: list[Block] = []
    pending: tuple[str, str] | None = None  # a marker waiting for the fence on the next line
    index = 0
    while index < len(lines):
        line = lines[index]
        marker = _MARKER.match(line)
        if marker:
            following = lines[index + 1] if index + 1 < len(lines) else ""
            pending = _read_marker(marker, following, f"{page}:{index + 1}")
            index += 1
            continue
        opening = _OPEN.match(line)
        if not opening:
            index += 1
            continue
        indent, fence, language, _attributes = opening.groups()
        body, index = _fence_body(lines, index, indent, fence)
        kind, reason = pending or ("", "")
        pending = None
        if language == "python":
            if kind == "output":
                raise SnippetSyntaxError(
                    f"{page}:{body.line - 1}: '<!-- output -->' marks a ```text block, "
                    f"not a python one")
            if kind == "continue" and not blocks:
                raise SnippetSyntaxError(
                    f"{page}:{body.line - 1}: '<!-- continue -->' on the page's first python "
                    f"block: there is nothing to continue")
            blocks.append(Block(page=page, number=len(blocks) + 1, line=body.line,
                                code=body.text, continues=kind == "continue",
                                skip=reason if kind == "skip" else None))
        elif kind == "output":
            if language != "text":
                raise SnippetSyntaxError(
                    f"{page}:{body.line - 1}: '<!-- output -->' marks a ```text block, not "
                    f"```{language}")
            if not blocks:
                raise SnippetSyntaxError(
                    f"{page}:{body.line - 1}: '<!-- output -->' with no python block before it")
            last = blocks[-1]
            if last.output is not None:
                raise SnippetSyntaxError(
                    f"{page}:{body.line - 1}: a second '<!-- output -->' for block {last.id}")
            blocks[-1] = dataclasses.replace(last, output=body.text)
        elif kind:
            raise SnippetSyntaxError(
                f"{page}:{body.line - 1}: '<!-- {kind} -->' marks a ```python block, not "
                f"```{language or ' (no language)'}")
    return blocks


def _read_marker(marker: re.Match[str], following: str, where: str) -> tuple[str, str]:
    """(kind, reason) of a marker comment, checked; `following` is the line after it."""
    kind, colon, reason = marker.groups()
    if kind == "skip" and not (colon and reason):
        raise SnippetSyntaxError(f"{where}: '<!-- skip -->' needs a reason: '<!-- skip: why -->'")
    if kind != "skip" and (colon or reason):
        raise SnippetSyntaxError(f"{where}: '<!-- {kind} -->' takes no argument")
    if not _OPEN.match(following):
        raise SnippetSyntaxError(
            f"{where}: '<!-- {kind} -->' must be on the line just before a code fence")
    return kind, reason


@dataclass(frozen=True)
class _Body:
    text: str
    line: int


def _fence_body(lines: list[str], start: int, indent: str, fence: str) -> tuple[_Body, int]:
    """The dedented text of the fence opening at `start`, and the index after its close."""
    close = re.compile(rf"^\s*{re.escape(fence[0]) * len(fence)}{re.escape(fence[0])}*\s*$")
    end = start + 1
    while end < len(lines) and not close.match(lines[end]):
        end += 1
    content = [line[len(indent):] if line.startswith(indent) else line.lstrip()
               for line in lines[start + 1:end]]
    text = textwrap.dedent("\n".join(content))
    return _Body(text=text + "\n" if text else "", line=start + 2), end + 1


def same_output(printed: str, shown: str) -> bool:
    """True when what a block printed is what the page shows (trailing whitespace ignored)."""
    return _normalise(printed) == _normalise(shown)


def _normalise(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


@dataclass
class Result:
    """What running one block gave: its stdout, or the error that stopped it."""

    number: int
    stdout: str = ""
    error: str | None = None
    skipped: str | None = None


def run_page(path: Path, page: str | None = None) -> list[Result]:
    """Run the python blocks of the page at `path`, chain by chain, and say what each did.

    Each chain runs in a child process forked from this one (where there is fork), so that
    what a chain leaves in the interpreter (caches keyed by a relative path, threads,
    atexit handlers) cannot reach the next one."""
    blocks = parse_page(path.read_text(), page or path.name)
    results: list[Result] = []
    for chain in _chains(blocks):
        results.extend(_in_child(functools.partial(_run_chain, chain, path), chain)
                       if hasattr(os, "fork") else _run_chain(chain, path))
    return results


def _chains(blocks: list[Block]) -> list[list[Block]]:
    """The blocks split where one does not continue the one before."""
    chains: list[list[Block]] = []
    for block in blocks:
        if block.continues and chains:
            chains[-1].append(block)
        else:
            chains.append([block])
    return chains


def _run_chain(blocks: list[Block], path: Path) -> list[Result]:
    results: list[Result] = []
    chain = _Chain()
    skipped = blocks[0].skip  # only a chain's first block can be skipped: it has no continue
    try:
        for block in blocks:
            if block.skip is not None:
                results.append(Result(block.number, skipped=block.skip))
            elif skipped is not None:
                results.append(Result(block.number, skipped=f"continues skipped block "
                                                            f"{blocks[0].number}: {skipped}"))
            elif chain.failed is not None:
                results.append(Result(block.number, error=f"not run: block {chain.failed}, "
                                                          f"which it continues, failed"))
            else:
                result = chain.run(block, path)
                if result.error is not None:
                    chain.failed = block.number
                results.append(result)
    finally:
        chain.close()
    return results


def _in_child(run: Callable[[], list[Result]], blocks: list[Block]) -> list[Result]:
    """`run()` in a forked child; its results come back through a pipe."""
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        try:
            report = json.dumps([asdict(result) for result in run()])
        except BaseException:
            report = json.dumps({"crash": traceback.format_exc()})
        with os.fdopen(write_end, "w") as pipe:
            pipe.write(report)
        atexit._run_exitfuncs()  # what the blocks registered (Spark, MLflow) ends cleanly
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        report = pipe.read()
    _, status = os.waitpid(pid, 0)
    data = json.loads(report) if report else {"crash": f"the process running the blocks "
                                                        f"died (wait status {status})"}
    if isinstance(data, dict):
        return [Result(block.number, error=data["crash"]) for block in blocks]
    return [Result(**item) for item in data]


class _Chain:
    """A block and the blocks continuing it: one directory, one namespace, one environment."""

    def __init__(self) -> None:
        self.failed: int | None = None
        self.directory = tempfile.TemporaryDirectory(prefix="headwater-docs-")
        root = Path(self.directory.name).resolve()
        self.root = root
        # The chain's namespace is a real __main__ module, as a script's is, so what looks a
        # class's module up (typing.get_type_hints, pickle) finds the block's names.
        self.main = types.ModuleType("__main__")
        self.main.__file__ = str(root / "main.py")  # a script's file is in its directory
        self.namespace = self.main.__dict__
        self.saved_main = sys.modules["__main__"]
        sys.modules["__main__"] = self.main
        self.environ = dict(os.environ)
        self.cwd = os.getcwd()
        self.path = list(sys.path)
        self.modules = set(sys.modules)
        os.chdir(root)
        os.environ["HEADWATER_HOME"] = str(root / ".headwater")
        # As in an activated environment: `headwater`, `spark-submit`, `dbt` are on PATH.
        bin_dir = os.path.dirname(sys.executable)
        os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
        sys.path.insert(0, str(root))

    def run(self, block: Block, path: Path) -> Result:
        # Padding puts each statement on its own line of the page, so a traceback names the
        # Markdown line and linecache shows the right source.
        code = "\n" * (block.line - 1) + block.code
        with tempfile.TemporaryFile(mode="w+b") as capture:
            # Both the file descriptor (child processes, C code) and sys.stdout (which a test
            # runner may have replaced) write to the capture, line by line, in order.
            sys.stdout.flush()
            saved_fd, saved_stdout = os.dup(1), sys.stdout
            os.dup2(capture.fileno(), 1)
            sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
            error = None
            try:
                exec(compile(code, str(path), "exec"), self.namespace)  # noqa: S102
            except BaseException as exc:  # SystemExit and KeyboardInterrupt fail the block too
                # The first frame is this exec; the block's own frames follow.
                error = "".join(traceback.format_exception(
                    type(exc), exc, exc.__traceback__.tb_next if exc.__traceback__ else None))
            finally:
                sys.stdout.flush()
                sys.stdout = saved_stdout
                os.dup2(saved_fd, 1)
                os.close(saved_fd)
            capture.seek(0)
            stdout = capture.read().decode(errors="replace")
        return Result(block.number, stdout=stdout, error=error)

    def close(self) -> None:
        sys.modules["__main__"] = self.saved_main
        os.chdir(self.cwd)
        os.environ.clear()
        os.environ.update(self.environ)
        sys.path[:] = self.path
        for name in set(sys.modules) - self.modules:
            module_file = getattr(sys.modules[name], "__file__", None) or ""
            if module_file.startswith(str(self.root)):
                del sys.modules[name]
        self.namespace.clear()
        self.directory.cleanup()


def main(argv: list[str]) -> int:
    """`doc_snippets.py PAGE REPORT [NAME]`: run PAGE's blocks, write the results as JSON."""
    page_path, report = Path(argv[0]).resolve(), Path(argv[1])
    name = argv[2] if len(argv) > 2 else page_path.name
    from headwater.errors import HeadwaterDeprecationWarning

    # The pages must not teach what is deprecated.
    warnings.filterwarnings("error", category=HeadwaterDeprecationWarning)
    results = run_page(page_path, name)
    report.write_text(json.dumps([asdict(result) for result in results]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
