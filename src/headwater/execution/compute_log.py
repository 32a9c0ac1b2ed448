"""Compute logs: what a step's code writes to `sys.stdout` and `sys.stderr`, kept per step.

While a step attempt runs against an instance that lives on disk, its writes go to
`<storage>/<run_id>/compute_logs/steps/<step_key>.out` (stdout) and `.err` (stderr), and to
`run.out` / `run.err` beside them (the whole run's output, interleaved in the order written,
whichever process wrote it), as well as to the process's own streams (a run worker's log,
a terminal). Retries append to the same files. An ephemeral instance keeps no compute logs.

How: the first capture in a process replaces `sys.stdout` and `sys.stderr` with a `_Tee`
that asks a context variable which step is writing, so that steps running at the same time
in threads each land in their own file; with no step current the tee only passes the text
through. Files open on the first write (a step that prints nothing costs a context variable)
and are flushed on every write, so that a reader sees each line while the step runs. Only
Python-level writes are captured: output written to file descriptor 1 or 2 directly (C
extensions, child processes) goes to the process's streams alone.

`step_log_path` and `run_log_path` say where a reader (the webserver) finds the files.
Imports nothing of headwater.
"""

from __future__ import annotations

import contextvars
import os
import sys
import threading
from typing import IO, Any

IO_EXTENSIONS = {"stdout": "out", "stderr": "err"}

_CURRENT: contextvars.ContextVar[_StepCapture | None] = contextvars.ContextVar(
    "headwater_compute_log", default=None)
_INSTALL_LOCK = threading.Lock()


def compute_log_directory(storage_directory: str, run_id: str) -> str:
    """Where a run's compute logs live under its instance's storage directory."""
    return os.path.join(storage_directory, run_id, "compute_logs")


def step_log_path(storage_directory: str, run_id: str, step_key: str, io: str) -> str:
    """The file holding one step's stdout or stderr (`io`)."""
    return os.path.join(compute_log_directory(storage_directory, run_id), "steps",
                        f"{step_key}.{IO_EXTENSIONS[io]}")


def run_log_path(storage_directory: str, run_id: str, io: str) -> str:
    """The file holding the stdout or stderr (`io`) of every step of a run."""
    return os.path.join(compute_log_directory(storage_directory, run_id),
                        f"run.{IO_EXTENSIONS[io]}")


class _StepCapture:
    """The files one step attempt writes to, opened on first use."""

    __slots__ = ("_files", "_lock", "_where")

    def __init__(self, storage_directory: str, run_id: str, step_key: str):
        self._where = (storage_directory, run_id, step_key)
        self._files: dict[str, tuple[IO[str], IO[str]]] = {}
        self._lock = threading.Lock()

    def write(self, io: str, text: str) -> None:
        with self._lock:
            files = self._files.get(io)
            if files is None:
                storage, run_id, step_key = self._where
                step_path = step_log_path(storage, run_id, step_key, io)
                run_path = run_log_path(storage, run_id, io)
                os.makedirs(os.path.dirname(step_path), exist_ok=True)
                files = self._files[io] = (
                    open(step_path, "a", encoding="utf-8", errors="replace"),  # noqa: SIM115
                    open(run_path, "a", encoding="utf-8", errors="replace"))  # noqa: SIM115
            for handle in files:
                handle.write(text)
                handle.flush()

    def close(self) -> None:
        with self._lock:
            for files in self._files.values():
                for handle in files:
                    handle.close()
            self._files.clear()


class _Tee:
    """Stands in for sys.stdout or sys.stderr: the text goes to the current step's file too."""

    def __init__(self, inner: Any, io: str):
        self._inner = inner
        self._io = io

    def write(self, text: str) -> int:
        capture = _CURRENT.get()
        if capture is not None and text:
            try:
                capture.write(self._io, text)
            except (OSError, ValueError):
                pass  # a full disk or a closed file must not fail the user's print()
        return int(self._inner.write(text) or 0)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._inner.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _install() -> None:
    with _INSTALL_LOCK:
        if not isinstance(sys.stdout, _Tee) and sys.stdout is not None:
            sys.stdout = _Tee(sys.stdout, "stdout")
        if not isinstance(sys.stderr, _Tee) and sys.stderr is not None:
            sys.stderr = _Tee(sys.stderr, "stderr")


def capture_compute_logs(instance: Any, run_id: str, step_key: str
                         ) -> tuple[contextvars.Token[Any], _StepCapture] | None:
    """Start sending this context's writes to the step's compute log files (None when the
    instance keeps none); hand the result to `release_compute_logs`."""
    if instance is None or instance.is_ephemeral:
        return None
    _install()
    capture = _StepCapture(instance.storage_directory(), run_id, step_key)
    return _CURRENT.set(capture), capture


def release_compute_logs(started: tuple[contextvars.Token[Any], _StepCapture] | None) -> None:
    if started is None:
        return
    token, capture = started
    _CURRENT.reset(token)
    capture.close()
