"""Google-style docstrings of decorated functions: the cleaned text (`docstring`) and the
descriptions of arguments and of the return value (`parse_docstring`), which fill in the
descriptions of inputs and outputs. Imports nothing of headwater.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

_DOC_RETURN_TYPE = re.compile(r"^[A-Za-z_][\w.\[\], |]*:\s+")
_DOC_SECTION = re.compile(r"^(Args|Arguments|Parameters|Returns|Yields|Raises|Examples?):\s*$")
_DOC_ARG = re.compile(r"^(\*{0,2}\w+)\s*(\([^)]*\))?\s*:\s*(.*)$")


def docstring(fn: Any) -> str | None:
    """The cleaned docstring of a decorated function (`inspect.getdoc` also searches base
    classes of methods, which costs more than the rest of a decorator on a doc-less function)."""
    doc = getattr(fn, "__doc__", None)
    return inspect.cleandoc(doc) if isinstance(doc, str) else None


def parse_docstring(fn: Callable[..., Any]) -> tuple[dict[str, str], str | None]:
    """Descriptions of arguments and of the return value in a Google-style docstring."""
    doc = docstring(fn) or ""
    args: dict[str, str] = {}
    returns: list[str] = []
    section = None
    current = None
    for raw in doc.splitlines():
        line = raw.strip()
        header = _DOC_SECTION.match(line) if raw == raw.lstrip() else None
        if header:
            section, current = header.group(1), None
            continue
        if section in ("Args", "Arguments", "Parameters") and line:
            match = _DOC_ARG.match(line) if raw.startswith("    ") and not raw.startswith(
                "        ") else None
            if match:
                current = match.group(1).lstrip("*")
                args[current] = match.group(3).strip()
            elif current:
                args[current] = f"{args[current]} {line}".strip()
        elif section == "Returns" and line:
            # Google style may lead with the type ("int: the count"); the type is the
            # annotation's business, the description is the rest.
            returns.append(_DOC_RETURN_TYPE.sub("", line, count=1) if not returns else line)
    return args, " ".join(returns) or None
