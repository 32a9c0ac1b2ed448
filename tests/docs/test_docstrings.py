"""Every public name documents itself: what it is, its arguments, and an example that runs.

The API reference (docs/reference/) is generated from these docstrings, so a name whose
docstring is one line is a name the reference cannot explain. Docstrings are Google style:

    One line saying what it is.

    More about when to use it.

    Args:
        name: what it is for.

    Example:
        ```python
        from headwater import asset
        ...
        ```

The example block is executed on its own (its imports included) by test_example_runs.
Exceptions and enums need no Args or Example: they say when they are raised / what the members
mean. Names that are plain re-exports of builtins or typing objects are not checked.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import re
import sys
import textwrap
import types

import pytest

from headwater._exports import EXPORTS

_FENCE = re.compile(r"```python\n(.*?)```", re.S)


def _public_objects() -> dict[str, object]:
    """One entry per distinct public object (aliases share one), keyed by its first name."""
    seen: dict[int, str] = {}
    objects: dict[str, object] = {}
    for name in sorted(EXPORTS):
        module, attribute = EXPORTS[name]
        value = getattr(importlib.import_module(module), attribute)
        if not getattr(value, "__module__", "").startswith("headwater"):
            continue  # builtins and typing re-exported for Dagster's spelling
        if not (inspect.isclass(value) or inspect.isfunction(value)):
            continue  # instances (config scalars, sentinels) are documented by their class
        if id(value) in seen:
            continue
        seen[id(value)] = name
        objects[name] = value
    return objects


OBJECTS = _public_objects()


def _parameters(value: object) -> list[str]:
    target = value.__init__ if inspect.isclass(value) else value  # type: ignore[misc]
    if inspect.isclass(value) and target is object.__init__:
        return []
    try:
        signature = inspect.signature(target)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return []
    return [
        p.name
        for p in signature.parameters.values()
        if p.name not in ("self", "cls")
        and not p.name.startswith("_")
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


def _is_plain(value: object) -> bool:
    """Exceptions and enums: a description is enough."""
    return inspect.isclass(value) and issubclass(value, (BaseException, enum.Enum))


@pytest.mark.parametrize("name", sorted(OBJECTS))
def test_docstring_says_what_it_is(name: str) -> None:
    value = OBJECTS[name]
    doc = inspect.getdoc(value) or ""
    own = value.__dict__.get("__doc__") if inspect.isclass(value) else value.__doc__
    assert own, f"{name} ({value.__module__}) has no docstring of its own"
    lines = [line for line in doc.splitlines() if line.strip()]
    assert len(lines) >= 2, f"{name}: a one-line docstring; say what it is, its arguments, an example"
    if _is_plain(value):
        return
    missing = [p for p in _parameters(value) if not re.search(rf"^\s+{re.escape(p)}\b.*:", doc, re.M)]
    assert not missing, f"{name}: the docstring's Args section does not describe {missing}"
    assert _FENCE.search(doc), f"{name}: the docstring has no ```python example block"


@pytest.mark.parametrize("name", sorted(n for n, v in OBJECTS.items() if not _is_plain(v)))
def test_example_runs(name: str, tmp_path, monkeypatch) -> None:
    doc = inspect.getdoc(OBJECTS[name]) or ""
    blocks = _FENCE.findall(doc)
    if not blocks:
        pytest.fail(f"{name}: no ```python example block")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path / "home"))
    # a real module, as a user's script is: dataclasses and typing look their module up
    module = types.ModuleType("__example__")
    monkeypatch.setitem(sys.modules, "__example__", module)
    for block in blocks:
        code = textwrap.dedent(block)
        exec(compile(code, f"<docstring example of {name}>", "exec", dont_inherit=True),
             module.__dict__)
