"""Ops that run bash: `shell_op` (the command arrives as an input), and the factories
`create_shell_command_op` (a command fixed when the job is defined) and
`create_shell_script_op` (a script file). Each is configured by `ShellOpConfig` (`env` added to
this process's environment, `output_logging`, `cwd`), returns the command's output, and fails
the step with the exit code and the output's last lines when bash exits non-zero.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping, Set
from typing import Any

from pydantic import Field

from headwater import Config, Failure, In, MetadataValue, Nothing, OpDefinition, Out, op
from headwater_shell.command import execute_shell_command, execute_shell_script, output_tail


class OutputType(enum.Enum):
    """How the command's output is logged."""

    STREAM = "STREAM"  # each line as it is printed
    BUFFER = "BUFFER"  # the whole output when the command ends
    NONE = "NONE"  # not logged (still returned)


class ShellOpConfig(Config):
    """Run config of every shell op."""

    env: dict[str, str] | None = Field(
        default=None, description="Environment variables added to this process's for the "
                                  "command.")
    output_logging: OutputType = Field(default=OutputType.BUFFER,
                                       description="STREAM, BUFFER or NONE.")
    cwd: str | None = Field(default=None, description="Working directory of the command.")

    def to_execute_params(self) -> dict[str, Any]:
        """The keyword arguments of execute_shell_command / execute_shell_script."""
        return {"env": {**os.environ, **(self.env or {})},
                "output_logging": OutputType(self.output_logging).value, "cwd": self.cwd}


def _succeeded(output: str, code: int, what: str) -> str:
    if code:
        raise Failure(
            description=f"{what} exited with code {code}. Last lines of its output:\n"
                        f"{output_tail(output) or '(no output)'}",
            metadata={"exit_code": MetadataValue.int(code),
                      "output_tail": MetadataValue.md(f"```\n{output_tail(output)}\n```")})
    return output


@op(name="shell_op", ins={"shell_command": In(str)}, out=Out(str),
    description="Runs the shell command it receives as input with bash and returns its output.")
def shell_op(context: Any, shell_command: str, config: ShellOpConfig) -> str:
    """Run the command an upstream op built; for a command known when the job is defined, use
    `create_shell_command_op`."""
    output, code = execute_shell_command(shell_command, log=context.log,
                                         **config.to_execute_params())
    return _succeeded(output, code, "Shell command")


def create_shell_command_op(shell_command: str, name: str, description: str | None = None,
                            required_resource_keys: Set[str] | None = None,
                            tags: Mapping[str, str] | None = None) -> OpDefinition:
    """An op named `name` that runs `shell_command` with bash and returns its output. It has
    one Nothing input, `start`, to order it after other ops."""

    @op(name=name, description=description, ins={"start": In(Nothing)}, out=Out(str),
        required_resource_keys=sorted(required_resource_keys or ()), tags=dict(tags or {}))
    def _shell_command(context: Any, config: ShellOpConfig) -> str:
        output, code = execute_shell_command(shell_command, log=context.log,
                                             **config.to_execute_params())
        return _succeeded(output, code, f"Shell command of op '{name}'")

    return _shell_command


def create_shell_script_op(shell_script_path: str, name: str = "create_shell_script_op",
                           ins: Mapping[str, In] | None = None, **kwargs: Any) -> OpDefinition:
    """An op that runs the script at `shell_script_path` with bash and returns its output.
    Other keyword arguments go to `@op`; without `ins` it has one Nothing input, `start`."""
    if "config" in kwargs or "config_schema" in kwargs:
        raise TypeError(f"create_shell_script_op({name!r}): a shell op's config is "
                        "ShellOpConfig (env, output_logging, cwd) and cannot be replaced; wrap "
                        "the op in a @graph to configure it differently.")
    if not isinstance(shell_script_path, str):
        raise TypeError(f"create_shell_script_op({name!r}): shell_script_path must be a str, "
                        f"got {shell_script_path!r}.")
    description = kwargs.pop("description", "Runs a shell script with bash.")

    @op(name=name, description=description, ins=dict(ins or {"start": In(Nothing)}),
        out=Out(str), **kwargs)
    def _shell_script(context: Any, config: ShellOpConfig, **_inputs: Any) -> str:
        output, code = execute_shell_script(shell_script_path, log=context.log,
                                            **config.to_execute_params())
        return _succeeded(output, code, f"Shell script {shell_script_path}")

    return _shell_script
