"""Logging inside runs: `context.log` and `get_headwater_logger`.

Messages become LOG events of the run (and go to Python logging under "headwater").
Records of `get_headwater_logger()` loggers made while a step runs are captured too. The
loggers a job carries (`Definitions(loggers=...)`, `@job(logger_defs=...)`) are built once
per run and receive the message of every LOG event the run records, wherever its step ran
(`with_job_loggers`).

Compute logs, the second half of this module: what a step's code writes to `sys.stdout` and
`sys.stderr`, kept per step. While a step attempt runs against an instance that lives on
disk, its writes go to `<storage>/<run_id>/compute_logs/steps/<step_key>.out` (stdout) and
`.err` (stderr), and to `run.out` / `run.err` beside them (the whole run's output, in the
order written, whichever process wrote it), as well as to the process's own streams (a run
worker's log, a terminal). Retries append to the same files. An ephemeral instance keeps
none. The first capture in a process replaces `sys.stdout` and `sys.stderr` with a `_Tee`
that asks a context variable which step is writing, so that steps running at the same time
in threads each land in their own file; with no step current the tee only passes the text
through. Files open on the first write (a step that prints nothing costs a context variable)
and are flushed on every write, so that a reader (the webserver) sees each line while the
step runs. Only Python-level writes are captured: output written to file descriptor 1 or 2
directly (C extensions, child processes) goes to the process's streams alone.

Imports `definitions` and `event` of this layer.
"""

from __future__ import annotations

import contextvars
import logging
import os
import sys
import threading
from collections.abc import Callable, Mapping
from typing import IO, Any

from headwater.definitions.config.logger import InitLoggerContext
from headwater.execution import event as ev

_CURRENT: contextvars.ContextVar[Callable[[int, str], None] | None] = contextvars.ContextVar(
    "headwater_log_sink", default=None
)
_FORWARD = logging.getLogger("headwater.run")


class _CaptureHandler(logging.Handler):
    """Turns records of `headwater.*` loggers made during a step into run events."""

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "_headwater_emitted", False):
            return
        sink = _CURRENT.get()
        if sink is not None:
            sink(record.levelno, record.getMessage())


_ROOT = logging.getLogger("headwater")
_ROOT.addHandler(_CaptureHandler())
if _ROOT.level == logging.NOTSET:
    _ROOT.setLevel(logging.DEBUG)
_ROOT.propagate = True


class LogManager:
    """The run's log, as `context.log`: each message is recorded in the run's event log.

    Has the `logging.Logger` methods (`debug`, `info`, `warning`, `error`, `critical`,
    `exception`, `log`); messages show in the UI with the step they came from, and go to
    the job's loggers. The engine builds it for each step.

    Args:
        sink: where each `(level, message)` goes; messages are dropped when None.
        name: the logger's name, shown with each message.

    Example:
        ```python
        from headwater import asset, materialize

        @asset
        def prices(context) -> list[int]:
            context.log.info("fetched %d prices", 2)
            return [3, 4]

        result = materialize([prices])
        messages = [e.message for e in result.instance.all_logs(result.run_id)]
        assert "fetched 2 prices" in messages
        ```
    """

    __slots__ = ("_sink", "name")

    def __init__(self, sink: Callable[[int, str], None] | None = None, name: str = "headwater"):
        self._sink = sink
        self.name = name

    def log(self, level: int | str, msg: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(level, str):
            level = logging.getLevelName(level.upper())
            if not isinstance(level, int):
                raise ValueError(f"Unknown log level {level!r}")
        text = str(msg) % args if args else str(msg)
        if self._sink is not None:
            self._sink(level, text)
        if _FORWARD.isEnabledFor(level):
            _FORWARD.log(level, text, extra={"_headwater_emitted": True})

    def debug(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self.log(logging.DEBUG, msg, *args)

    def info(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self.log(logging.INFO, msg, *args)

    def warning(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self.log(logging.WARNING, msg, *args)

    warn = warning

    def error(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self.log(logging.ERROR, msg, *args)

    def critical(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self.log(logging.CRITICAL, msg, *args)

    def exception(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self.log(logging.ERROR, msg, *args)

    def isEnabledFor(self, level: int) -> bool:  # noqa: N802 - logging.Logger's spelling
        return True


def capture_logs(sink: Callable[[int, str], None]) -> contextvars.Token[Any]:
    return _CURRENT.set(sink)


def release_logs(token: contextvars.Token[Any]) -> None:
    _CURRENT.reset(token)


def get_headwater_logger(name: str | None = None) -> logging.Logger:
    """Get a standard Python logger whose messages, made while a step runs, join the run's log.

    Use it in code that has no `context` (helpers, libraries called by ops); messages made
    outside a step go to Python logging only.

    Args:
        name: a name for the logger (under `headwater.`); `headwater.user` when omitted.

    Example:
        ```python
        from headwater import asset, get_headwater_logger, materialize

        logger = get_headwater_logger("pricing")

        @asset
        def prices() -> list[int]:
            logger.info("fetched %d prices", 2)
            return [3, 4]

        result = materialize([prices])
        messages = [e.message for e in result.instance.all_logs(result.run_id)]
        assert "fetched 2 prices" in messages
        ```
    """
    return logging.getLogger(f"headwater.{name}" if name else "headwater.user")


def with_job_loggers(job: Any, run_config: Mapping[str, Any], run_id: str,
                     on_event: Callable[[ev.HeadwaterEvent], None] | None
                     ) -> Callable[[ev.HeadwaterEvent], None] | None:
    """`on_event`, also handing the message of each LOG event to the job's loggers, each
    built once with its `loggers: {name: {config: ...}}` run config."""
    if not job.logger_defs:
        return on_event
    configs = run_config.get("loggers") or {}
    loggers = [
        logger_def(InitLoggerContext(logger_config=(configs.get(name) or {}).get("config"),
                                     logger_def=logger_def, job_def=job, run_id=run_id))
        for name, logger_def in job.logger_defs.items()
    ]

    def deliver(event: ev.HeadwaterEvent) -> None:
        if event.event_type is ev.HeadwaterEventType.LOG:
            level = event.payload.level if isinstance(event.payload, ev.LogData) else logging.INFO
            for logger in loggers:
                logger.log(level, event.message)
        if on_event is not None:
            on_event(event)

    return deliver


# Dagster's public name for the type of `context.log`, after the rename.
HeadwaterLogManager = LogManager


# --- compute logs: a step's stdout and stderr ----------------------------------------------
IO_EXTENSIONS = {"stdout": "out", "stderr": "err"}

_OUTPUT: contextvars.ContextVar[_StepCapture | None] = contextvars.ContextVar(
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
        capture = _OUTPUT.get()
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
    if isinstance(sys.stdout, _Tee) and isinstance(sys.stderr, _Tee):
        return
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
    return _OUTPUT.set(capture), capture


def release_compute_logs(started: tuple[contextvars.Token[Any], _StepCapture] | None) -> None:
    if started is None:
        return
    token, capture = started
    _OUTPUT.reset(token)
    capture.close()
