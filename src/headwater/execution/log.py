"""Logging inside runs: `context.log` and `get_headwater_logger`.

Messages become LOG events of the run (and go to Python logging under "headwater").
Records of `get_headwater_logger()` loggers made while a step runs are captured too. The
loggers a job carries (`Definitions(loggers=...)`, `@job(logger_defs=...)`) are built once
per run and receive the message of every LOG event the run records, wherever its step ran
(`with_job_loggers`). Imports `definitions` and `event` of this layer.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Mapping
from typing import Any

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
    """`context.log`: debug/info/warning/error/critical, each recorded as a LOG event."""

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
    """A Python logger whose records, made while a step runs, appear in the run's events."""
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
