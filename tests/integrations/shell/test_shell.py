"""headwater_shell against real bash subprocesses: output returned and logged as it streams,
env and cwd, failures with the exit code and the output's tail, the op factories and the
errors a user can meet."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from headwater import In, graph, job, op
from headwater_shell import (
    create_shell_command_op,
    create_shell_script_op,
    execute_shell_command,
    execute_shell_script,
    shell_op,
)


class Recorder:
    """A logger keeping each message with the time it arrived."""

    def __init__(self) -> None:
        self.messages: list[tuple[float, str]] = []

    def info(self, message: str) -> None:
        self.messages.append((time.monotonic(), message))

    def texts(self) -> list[str]:
        return [m for _, m in self.messages]



def test_execute_shell_command_returns_output_and_exit_code():
    """Stdout and stderr come back together, with bash's exit code."""
    log = Recorder()
    output, code = execute_shell_command("echo out; echo err >&2; exit 3", "BUFFER", log)
    assert (output, code) == ("out\nerr\n", 3)
    assert "out\nerr" in log.texts()
    assert "Command exited with return code 3" in log.texts()


def test_stream_logs_each_line_as_it_is_printed():
    """In STREAM mode a line is logged before the command has finished."""
    log = Recorder()
    output, code = execute_shell_command("echo first; sleep 1; echo second", "STREAM", log)
    assert code == 0 and output == "first\nsecond\n"
    first = next(t for t, m in log.messages if m == "first")
    second = next(t for t, m in log.messages if m == "second")
    assert second - first >= 0.9  # buffered output would arrive all at once


def test_env_without_path_still_runs_bash():
    """`env` is the whole environment; bash is found even when it has no PATH."""
    output, code = execute_shell_command('echo "${PATH:-unset} $ONLY"', "NONE", Recorder(),
                                         env={"ONLY": "me"})
    assert code == 0 and output.split()[-1] == "me"


def test_none_logs_no_output_but_returns_it():
    """NONE keeps the output out of the log."""
    log = Recorder()
    output, _ = execute_shell_command("echo quiet", "NONE", log, log_shell_command=False)
    assert output == "quiet\n"
    assert not any("quiet" in m for m in log.texts())


def test_env_and_cwd_reach_the_command(tmp_path: Path):
    """`env` is the child's environment and `cwd` its working directory."""
    output, code = execute_shell_command('echo "$GREETING"; pwd', "BUFFER", Recorder(),
                                         cwd=str(tmp_path), env={"GREETING": "hello",
                                                                 "PATH": "/usr/bin:/bin"})
    assert code == 0 and output.splitlines() == ["hello", str(tmp_path)]


def test_execute_shell_script_defaults_cwd_to_its_folder(tmp_path: Path):
    """A script runs from its own directory unless cwd is given."""
    script = tmp_path / "where.sh"
    script.write_text("pwd\nls\n")
    (tmp_path / "data.csv").write_text("x")
    output, code = execute_shell_script(str(script), "STREAM", Recorder())
    assert code == 0 and output.splitlines()[0] == str(tmp_path)
    assert "data.csv" in output


def test_shell_op_runs_a_command_from_upstream_and_config(tmp_path: Path):
    """shell_op takes its command as an input; config sets env, cwd and output logging."""
    @op
    def command() -> str:
        return 'echo "$COLOR in $(pwd)"'

    @job
    def echo_job():
        shell_op(command())

    result = echo_job.execute_in_process(run_config={"ops": {"shell_op": {"config": {
        "env": {"COLOR": "teal"}, "cwd": str(tmp_path), "output_logging": "STREAM"}}}})
    assert result.success
    assert result.output_for_node("shell_op") == f"teal in {tmp_path}\n"


def test_failing_command_fails_the_step_with_code_and_tail():
    """A non-zero exit fails the step; the failure names the code and ends with the output."""
    noisy = create_shell_command_op(
        "for i in $(seq 1 40); do echo line$i; done; echo boom >&2; exit 7", name="noisy")

    @job
    def failing():
        noisy()

    result = failing.execute_in_process(raise_on_error=False)
    assert not result.success
    failure = result.failure_data_for_node("noisy")
    message = failure.error.message
    assert "exited with code 7" in message and "boom" in message and "line40" in message
    assert "line5\n" not in message  # only the tail
    assert failure.user_failure_data.metadata["exit_code"].value == 7


def test_create_shell_command_op_orders_after_start_and_returns_output():
    """The `start` Nothing input runs the shell op after another op."""
    order = []

    @op
    def before() -> None:
        order.append("before")

    hello = create_shell_command_op("echo hello", name="hello", tags={"kind": "shell"})

    @op
    def after(text: str) -> None:
        order.append(text.strip())

    @job
    def ordered():
        after(hello(start=before()))

    assert ordered.execute_in_process().success
    assert order == ["before", "hello"]
    assert hello.tags["kind"] == "shell"


def test_create_shell_script_op_runs_a_file(tmp_path: Path):
    """A script file runs with bash; extra keyword arguments reach @op."""
    script = tmp_path / "count.sh"
    script.write_text("echo $((2 + 3))\n")
    count = create_shell_script_op(str(script), name="count", description="adds")

    @graph
    def counting():
        count()

    result = counting.to_job().execute_in_process()
    assert result.output_for_node("count") == "5\n"
    assert count.description == "adds"


def test_user_errors_name_the_fix(tmp_path: Path):
    """Missing script, bad cwd, bad logging mode and replaced config are explained."""
    with pytest.raises(FileNotFoundError, match="missing.sh"):
        execute_shell_script(str(tmp_path / "missing.sh"), "BUFFER", Recorder())
    with pytest.raises(NotADirectoryError, match="not a directory"):
        execute_shell_command("true", "BUFFER", Recorder(), cwd=str(tmp_path / "nope"))
    with pytest.raises(ValueError, match="STREAM logs each line"):
        execute_shell_command("true", "LOUD", Recorder())
    with pytest.raises(TypeError, match="cannot be replaced"):
        create_shell_script_op(str(tmp_path / "x.sh"), name="x", config_schema={"a": int})


def test_an_interrupted_command_is_stopped_with_its_children(tmp_path: Path):
    """When the caller stops reading (an error in the logger), bash and its children end."""
    marker = tmp_path / "pid"

    class Exploding(Recorder):
        def info(self, message: str) -> None:
            if message == "ready":
                raise KeyboardInterrupt
            super().info(message)

    with pytest.raises(KeyboardInterrupt):
        execute_shell_command(f"sleep 30 & echo $! > {marker}; echo ready; wait", "STREAM",
                              Exploding())
    child = int(marker.read_text())
    time.sleep(0.2)
    assert not Path(f"/proc/{child}").exists() or "Z" in Path(
        f"/proc/{child}/stat").read_text().split()[2]


def test_python_logger_works_as_log():
    """Any object with .info() is a log, e.g. a logging.Logger."""
    output, code = execute_shell_command("echo ok", "STREAM", logging.getLogger("shell-test"))
    assert (output, code) == ("ok\n", 0)


def test_create_shell_script_op_with_custom_ins(tmp_path: Path):
    """Given `ins`, the script op takes those inputs instead of `start`."""
    script = tmp_path / "hi.sh"
    script.write_text("echo hi\n")

    @op
    def name() -> str:
        return "ignored by the script"

    hi = create_shell_script_op(str(script), name="hi", ins={"who": In(str)})

    @job
    def with_input():
        hi(who=name())

    assert with_input.execute_in_process().output_for_node("hi") == "hi\n"
