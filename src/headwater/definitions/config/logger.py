"""Custom loggers: `@logger` functions that build a `logging.Logger` from config.

A LoggerDefinition can be called directly in tests with a context from
`build_init_logger_context()`. Imports `errors` and `definitions.config` only.
"""

from __future__ import annotations

import inspect
import json
import logging
import sys
from collections.abc import Callable
from typing import Any

from headwater.definitions.config.schema import Field, process_config
from headwater.errors import HeadwaterInvalidConfigError, HeadwaterInvalidInvocationError


class InitLoggerContext:
    """What a logger function receives: its config, the job and the logger definition.

    Built by headwater for each run; in tests, `build_init_logger_context()` makes one.

    Args:
        logger_config: the checked `loggers.<name>.config` of the run config.
        logger_def: the LoggerDefinition being initialised.
        job_def: the job being run.
        run_id: the run's id.

    Example:
        ```python
        import logging

        from headwater import InitLoggerContext, logger

        @logger(config_schema={"name": str})
        def named(init_context: InitLoggerContext) -> logging.Logger:
            return logging.Logger(init_context.logger_config["name"])

        assert named(InitLoggerContext(logger_config={"name": "etl"})).name == "etl"
        ```
    """

    def __init__(self, logger_config: Any = None, logger_def: Any = None, job_def: Any = None,
                 run_id: str | None = None):
        self.logger_config = logger_config
        self.logger_def = logger_def
        self.job_def = job_def
        self.run_id = run_id


def build_init_logger_context(logger_config: Any = None, job_def: Any = None) -> InitLoggerContext:
    """A context for calling a logger function directly in a test.

    Calling a LoggerDefinition with it checks `logger_config` against the logger's schema
    (filling defaults) as a run would; bad config raises HeadwaterInvalidConfigError.

    Args:
        logger_config: the logger's config, as run config would give it.
        job_def: the job the logger is for, if the function reads it.

    Example:
        ```python
        import logging

        from headwater import build_init_logger_context, logger

        @logger(config_schema={"level": str})
        def leveled(init_context) -> logging.Logger:
            return logging.Logger("leveled", init_context.logger_config["level"])

        log = leveled(build_init_logger_context(logger_config={"level": "DEBUG"}))
        assert log.level == logging.DEBUG
        ```
    """
    return InitLoggerContext(logger_config=logger_config, job_def=job_def)


class LoggerDefinition:
    """A function from an InitLoggerContext to a `logging.Logger`, with a config schema.

    Usually made with `@logger`. Give loggers to `@job(logger_defs={name: ...})` or
    `Definitions(loggers=...)`; every `context.log` message of a run goes to each of them,
    configured under `loggers.<name>.config`. Call it with a context from
    `build_init_logger_context()` to build the logger in a test.

    Args:
        logger_fn: `fn(init_context) -> logging.Logger`.
        config_schema: the schema of `loggers.<name>.config`.
        description: shown in the UI.

    Example:
        ```python
        import logging

        from headwater import LoggerDefinition, job, op

        class ListHandler(logging.Handler):
            def __init__(self):
                super().__init__()
                self.messages: list[str] = []

            def emit(self, record: logging.LogRecord) -> None:
                self.messages.append(record.getMessage())

        HANDLER = ListHandler()

        def make_logger(init_context) -> logging.Logger:
            log = logging.Logger("capture", logging.INFO)
            log.addHandler(HANDLER)
            return log

        @op
        def hello(context) -> None:
            context.log.info("hello from the op")

        @job(logger_defs={"capture": LoggerDefinition(make_logger)})
        def greet():
            hello()

        greet.execute_in_process()
        assert "hello from the op" in HANDLER.messages
        ```
    """

    def __init__(self, logger_fn: Callable[..., Any], config_schema: Any = None,
                 description: str | None = None):
        self.logger_fn = logger_fn
        self.config_schema = config_schema
        self.description = description

    @property
    def name(self) -> str:
        return getattr(self.logger_fn, "__name__", "logger")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        params = list(inspect.signature(self.logger_fn).parameters)
        if len(args) + len(kwargs) > 1:
            raise HeadwaterInvalidInvocationError(
                f"Initialization of logger received multiple arguments. Call logger '{self.name}' "
                "with only its context: build_init_logger_context(...)."
            )
        if args:
            context = args[0]
        elif kwargs:
            (key, context), = kwargs.items()
            if not params or key != params[0]:
                raise HeadwaterInvalidInvocationError(
                    f"Logger initialization expected argument '{params[0] if params else ''}', "
                    f"got '{key}'."
                )
        else:
            raise HeadwaterInvalidInvocationError(
                "Logger initialization function has context argument, but no context argument "
                f"was provided when invoking. Pass one: {self.name}(build_init_logger_context())."
            )
        context = context or InitLoggerContext()
        config = context.logger_config
        if self.config_schema is not None:
            try:
                config = process_config(self.config_schema, config, f"loggers.{self.name}.config")
            except HeadwaterInvalidConfigError as exc:
                raise HeadwaterInvalidConfigError(
                    f"Error in config for logger '{self.name}' (pass it with "
                    "build_init_logger_context(logger_config=...)):", exc.errors, config,
                ) from None
        bound = InitLoggerContext(logger_config=config, logger_def=self, job_def=context.job_def,
                                  run_id=context.run_id)
        return self.logger_fn(bound)

    def __repr__(self) -> str:
        return f"LoggerDefinition(name={self.name!r})"


def logger(config_schema: Any = None, description: str | None = None) -> Any:
    """Declare a logger: `@logger` or `@logger(config_schema, description)`.

    The function gets an InitLoggerContext and returns a `logging.Logger`; the result is
    a LoggerDefinition, named after the function.

    Args:
        config_schema: the schema of `loggers.<name>.config`.
        description: shown in the UI.

    Example:
        ```python
        import logging

        from headwater import Field, job, logger, op

        class ListHandler(logging.Handler):
            def __init__(self):
                super().__init__()
                self.messages: list[str] = []

            def emit(self, record: logging.LogRecord) -> None:
                self.messages.append(record.getMessage())

        HANDLER = ListHandler()

        @logger(config_schema={"level": Field(str, default_value="INFO")})
        def capture(init_context) -> logging.Logger:
            log = logging.Logger("capture", init_context.logger_config["level"])
            log.addHandler(HANDLER)
            return log

        @op
        def work(context) -> None:
            context.log.debug("detail")
            context.log.warning("careful")

        @job(logger_defs={"capture": capture})
        def chores():
            work()

        chores.execute_in_process(run_config={"loggers": {"capture": {"config": {"level": "WARNING"}}}})
        assert HANDLER.messages == ["careful"]
        ```
    """
    if callable(config_schema) and not isinstance(config_schema, type) and \
            not hasattr(config_schema, "config_type") and description is None and \
            inspect.isfunction(config_schema):
        return LoggerDefinition(config_schema)

    def decorate(fn: Callable[..., Any]) -> LoggerDefinition:
        return LoggerDefinition(fn, config_schema=config_schema, description=description)

    return decorate


# --- the built-in console loggers ----------------------------------------------------------
_CONSOLE_CONFIG = {
    "log_level": Field(str, default_value="INFO", is_required=False,
                       description="The lowest level written: DEBUG, INFO, WARNING, ERROR."),
    "name": Field(str, default_value="headwater", is_required=False,
                  description="The logger's name, shown on every line."),
}
_COLORS = {logging.DEBUG: "\033[34m", logging.INFO: "\033[32m", logging.WARNING: "\033[33m",
           logging.ERROR: "\033[31m", logging.CRITICAL: "\033[1;31m"}


class _ColoredFormatter(logging.Formatter):
    """Plain lines, with the level name colored when the stream is a terminal."""

    def __init__(self, color: bool):
        super().__init__("%(asctime)s - %(name)s - %(levelname)s - %(message)s")
        self.color = color

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        color = _COLORS.get(record.levelno) if self.color else None
        if color is None:
            return line
        return line.replace(record.levelname, f"{color}{record.levelname}\033[0m", 1)


class JsonLogFormatter(logging.Formatter):
    """A `logging.Formatter` writing one JSON object a line: time, logger, level, message.

    The formatter of the built-in `json_console_logger`; use it in a logger of your own
    when logs go to a collector that parses JSON.

    Args:
        fmt: ignored by `format`, which always writes JSON (kept for logging.Formatter).
        datefmt: as for logging.Formatter.
        style: as for logging.Formatter.
        validate: as for logging.Formatter.
        defaults: as for logging.Formatter.

    Example:
        ```python
        import io
        import json
        import logging

        from headwater import JsonLogFormatter

        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(JsonLogFormatter())
        log = logging.Logger("etl")
        log.addHandler(handler)
        log.warning("disk %s", "full")
        line = json.loads(stream.getvalue())
        assert (line["name"], line["level"], line["message"]) == ("etl", "WARNING", "disk full")
        ```
    """

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps({"timestamp": record.created, "name": record.name,
                           "level": record.levelname, "message": record.getMessage()})


def _console_logger(context: InitLoggerContext, formatter: logging.Formatter) -> logging.Logger:
    config = context.logger_config or {}
    level_name = str(config.get("log_level", "INFO")).upper()
    level = logging.getLevelName(level_name)
    if not isinstance(level, int):
        raise HeadwaterInvalidConfigError(
            f"Error in config for logger: log_level {config.get('log_level')!r} is not a "
            "logging level; use DEBUG, INFO, WARNING, ERROR or CRITICAL.", [], config)
    # A Logger of its own (not logging.getLogger): every run gets one handler, never two.
    log = logging.Logger(str(config.get("name", "headwater")), level)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    log.addHandler(handler)
    return log


def _colored(context: InitLoggerContext) -> logging.Logger:
    """Writes a run's log messages to stderr, the level colored in a terminal."""
    return _console_logger(context, _ColoredFormatter(color=sys.stderr.isatty()))


def _json(context: InitLoggerContext) -> logging.Logger:
    """Writes a run's log messages to stderr as JSON lines."""
    return _console_logger(context, JsonLogFormatter())


colored_console_logger = LoggerDefinition(_colored, config_schema=_CONSOLE_CONFIG,
                                          description=_colored.__doc__)
json_console_logger = LoggerDefinition(_json, config_schema=_CONSOLE_CONFIG,
                                       description=_json.__doc__)


def default_loggers() -> dict[str, LoggerDefinition]:
    """The loggers a job uses when it names none: `{"console": colored_console_logger}`.

    The console logger writes to stderr (the level colored in a terminal); its config is
    `log_level` (default INFO) and `name`. Add it to your own `logger_defs` to keep it.

    Example:
        ```python
        from headwater import default_loggers

        loggers = default_loggers()
        assert list(loggers) == ["console"]
        ```
    """
    return {"console": colored_console_logger}
