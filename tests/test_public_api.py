"""The public names of `headwater`: all resolvable, lazily loaded, and listed for type checkers."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import headwater

INIT = pathlib.Path(headwater.__file__)


def test_every_exported_name_resolves():
    """Each name in headwater.__all__ loads from the module the export table names."""
    missing = [name for name in headwater.__all__ if getattr(headwater, name, None) is None]
    assert missing == []


def test_type_checking_imports_match_the_export_table():
    """The TYPE_CHECKING imports (what IDEs and mypy see) list exactly the exported names."""
    tree = ast.parse(INIT.read_text())
    guarded = next(n for n in tree.body if isinstance(n, ast.If))
    seen = {}
    for node in guarded.body:
        assert isinstance(node, ast.ImportFrom)
        for alias in node.names:
            seen[alias.asname or alias.name] = (node.module, alias.name)
    assert seen == headwater._EXPORTS


def test_import_is_lazy_and_the_engine_loads_on_first_use():
    """`import headwater` loads no definitions; defining and running a job loads the engine."""
    code = (
        "import sys, headwater\n"
        "assert 'headwater.definitions.assets.definition' not in sys.modules\n"
        "assert 'headwater.execution' not in sys.modules\n"
        "from headwater import op, job\n"
        "@op\n"
        "def one():\n"
        "    return 1\n"
        "@job\n"
        "def j():\n"
        "    one()\n"
        "assert j.execute_in_process().output_for_node('one') == 1\n"
        "assert 'sqlalchemy' not in sys.modules and 'pydantic' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unknown_name_raises_attribute_error():
    """A name headwater does not export fails like any missing module attribute."""
    try:
        headwater.NoSuchThing  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")
