"""Every command of `headwater` explains itself in --help."""

from __future__ import annotations

import click
from click.testing import CliRunner

from headwater.cli.main import main


def _walk(command: click.Command, path: tuple[str, ...]):
    yield path, command
    if isinstance(command, click.Group):  # the root group loads its commands on demand
        ctx = click.Context(command, info_name=path[-1] if path else "headwater")
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, (path, name)
            yield from _walk(sub, (*path, name))


def test_every_command_has_a_help_text():
    """Each command and group in the tree, hidden ones included, has a non-empty help text."""
    missing = [" ".join(path) or "headwater" for path, command in _walk(main, ())
               if not (command.help or "").strip()]
    assert missing == []


def test_help_runs_for_every_command():
    """`--help` of every command exits 0 and prints its help text's first line."""
    for path, command in _walk(main, ()):
        result = CliRunner().invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        first = (command.help or "").strip().splitlines()[0].split()[0]
        assert first in result.output, path


def test_bash_completion_script_is_generated():
    """_HEADWATER_COMPLETE=bash_source prints a bash completion function for `headwater`."""
    result = CliRunner().invoke(main, [], prog_name="headwater",
                                env={"_HEADWATER_COMPLETE": "bash_source"})
    assert result.exit_code == 0
    assert "_headwater_completion()" in result.output and "complete -o" in result.output


def test_completion_lists_subcommands():
    """Completing `headwater run w` offers `wipe`."""
    result = CliRunner().invoke(main, [], prog_name="headwater",
                                env={"_HEADWATER_COMPLETE": "bash_complete",
                                     "COMP_WORDS": "headwater run w", "COMP_CWORD": "2"})
    assert "plain,wipe" in result.output.splitlines()
