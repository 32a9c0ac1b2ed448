"""headwater_shell: bash commands and scripts as ops, under the names of Dagster's
`dagster_shell`.

- `execute_shell_command`, `execute_shell_script` (command.py): run bash in a subprocess,
  log its output as it streams, return (output, exit code).
- `shell_op`, `create_shell_command_op`, `create_shell_script_op`, `ShellOpConfig`,
  `OutputType` (ops.py): ops around them that fail the step with the exit code and the
  output's last lines.

Needs no extra (bash and the standard library). Imports headwater's public names and pydantic;
`import headwater` never imports this package.
"""

from headwater_shell.command import execute_shell_command, execute_shell_script
from headwater_shell.ops import (
    OutputType,
    ShellOpConfig,
    create_shell_command_op,
    create_shell_script_op,
    shell_op,
)

__all__ = [
    "OutputType",
    "ShellOpConfig",
    "create_shell_command_op",
    "create_shell_script_op",
    "execute_shell_command",
    "execute_shell_script",
    "shell_op",
]
