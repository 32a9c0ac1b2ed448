"""Running bash: `execute_shell_command` (a command string, written to a temporary script) and
`execute_shell_script` (a script file), each a real `bash` subprocess whose combined stdout and
stderr is logged line by line as it arrives (STREAM), all at once when it ends (BUFFER), or not
at all (NONE), and returned with the exit code.

The child runs in its own session so that stopping it (the step fails or is canceled while the
script runs) stops every process the script started, not just bash. Imports only the standard
library; a logger is anything with `.info()`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Mapping
from typing import Any

OUTPUT_LOGGING_OPTIONS = ("STREAM", "BUFFER", "NONE")
_STOP_GRACE_SECONDS = 5


def execute_shell_script(shell_script_path: str, output_logging: str, log: Any,
                         cwd: str | None = None, env: Mapping[str, str] | None = None,
                         log_shell_command: bool = True) -> tuple[str, int]:
    """Run `bash <shell_script_path>` and return (its combined output, its exit code).

    `cwd` defaults to the script's directory; `env` is the child's whole environment (None:
    this process's). With `log_shell_command` the script's text is logged before it runs.
    """
    if output_logging not in OUTPUT_LOGGING_OPTIONS:
        raise ValueError(f"output_logging={output_logging!r} is not one of "
                         f"{list(OUTPUT_LOGGING_OPTIONS)}: STREAM logs each line as it comes, "
                         "BUFFER logs the whole output at the end, NONE logs nothing.")
    if not os.path.isfile(shell_script_path):
        raise FileNotFoundError(f"Shell script {shell_script_path!r} does not exist (resolved "
                                f"against {os.getcwd()}). Give an existing path, e.g. "
                                "file_relative_path(__file__, 'script.sh').")
    cwd = cwd or os.path.dirname(os.path.abspath(shell_script_path))
    if not os.path.isdir(cwd):
        raise NotADirectoryError(f"cwd {cwd!r} for shell script {shell_script_path!r} is not a "
                                 "directory: create it or set cwd to an existing directory.")
    if log_shell_command:
        with open(shell_script_path, encoding="utf-8") as script:
            log.info(f"Running command:\n{script.read()}")
    # bash is looked up here, so that an `env` without PATH still finds it
    process = subprocess.Popen(
        [shutil.which("bash") or "/bin/bash", shell_script_path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        cwd=cwd, env=dict(env) if env is not None else None, text=True, encoding="utf-8",
        errors="replace", start_new_session=True)
    log.info(f"Command pid: {process.pid}")
    try:
        output = _collect(process, output_logging, log)
        code = process.wait()
    finally:
        _stop(process)
    log.info(f"Command exited with return code {code}")
    return output, code


def execute_shell_command(shell_command: str, output_logging: str, log: Any,
                          cwd: str | None = None, env: Mapping[str, str] | None = None,
                          log_shell_command: bool = True) -> tuple[str, int]:
    """Run `shell_command` with bash (from a temporary script file) and return (its combined
    output, its exit code). `cwd` defaults to the temporary directory holding the script."""
    with tempfile.TemporaryDirectory(prefix="headwater-shell-") as folder:
        path = os.path.join(folder, "command.sh")
        with open(path, "w", encoding="utf-8") as script:
            script.write(shell_command)
        return execute_shell_script(path, output_logging, log, cwd=cwd or folder, env=env,
                                    log_shell_command=log_shell_command)


def _collect(process: subprocess.Popen[str], output_logging: str, log: Any) -> str:
    assert process.stdout is not None  # Popen was given stdout=PIPE
    if output_logging != "STREAM":
        output = process.stdout.read()
        if output_logging == "BUFFER" and output:
            log.info(output.rstrip("\n"))
        return output
    lines = []
    for line in process.stdout:
        log.info(line.rstrip("\n"))
        lines.append(line)
    return "".join(lines)


def _stop(process: subprocess.Popen[str]) -> None:
    """End the child's whole process group if it is still running (the step was interrupted)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=_STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass
    if process.stdout is not None:
        process.stdout.close()


def output_tail(output: str, lines: int = 20) -> str:
    """The last `lines` lines of the output: what a failure message shows."""
    kept = output.rstrip("\n").splitlines()[-lines:]
    return "\n".join(kept)
