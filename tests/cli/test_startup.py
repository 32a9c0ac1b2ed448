"""`headwater --help` and every group's --help load click and the command modules, and none
of the engine, storage, server or their heavy dependencies."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import headwater
from headwater.cli.main import COMMANDS, main

SRC = os.path.dirname(os.path.dirname(os.path.abspath(headwater.__file__)))
# What a --help must not import: the layers below the CLI, and what they bring with them.
HEAVY = ("headwater.execution", "headwater.storage", "headwater.code", "headwater.daemon",
         "headwater.server", "headwater.definitions", "headwater.integrations", "sqlalchemy",
         "alembic", "pydantic", "yaml", "rich", "uvicorn", "fastapi", "starlette")
HELP = """
import json, sys
from headwater.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    assert exc.code == 0, exc.code
print(json.dumps(sorted(sys.modules)))
"""


def _imported_by(*args: str) -> list[str]:
    """The modules loaded by `headwater ARGS` in a fresh interpreter."""
    env = {**os.environ, "PYTHONPATH": SRC}
    result = subprocess.run([sys.executable, "-c", HELP, *args], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in HEAVY or
            any(m == h or m.startswith(h + ".") for h in HEAVY)]


def test_help_imports_no_engine_storage_or_server():
    """`headwater --help` lists every command without importing what the commands run."""
    modules = _imported_by("--help")
    assert "headwater.cli.asset" in modules  # the listing did load the command modules
    assert _heavy(modules) == []


@pytest.mark.parametrize("group", sorted(COMMANDS))
def test_a_command_help_imports_no_engine_storage_or_server(group):
    """`headwater GROUP --help` loads that command's module and nothing heavy."""
    assert _heavy(_imported_by(group, "--help")) == []


@pytest.mark.parametrize("command", [("asset", "materialize"), ("job", "execute"),
                                     ("instance", "info"), ("run", "list"), ("daemon", "run")])
def test_a_subcommand_help_imports_no_engine_storage_or_server(command):
    """`headwater GROUP COMMAND --help` (the options a newcomer looks up) loads nothing heavy."""
    assert _heavy(_imported_by(*command, "--help")) == []


def test_every_registered_command_answers_to_its_name():
    """Each COMMANDS entry names a click command whose own name is the entry's."""
    ctx = main.make_context("headwater", [], resilient_parsing=True)
    for name in COMMANDS:
        command = main.get_command(ctx, name)
        assert command is not None and command.name == name, name
