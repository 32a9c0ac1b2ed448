"""A Pipes session: the context sent to the external process and the reports it sends back.

`open_pipes_session(context, context_injector, message_reader, extras=)` writes the step's
context where the injector says, starts the reader, and yields a `PipesSession` whose
bootstrap parameters the launcher passes on (as environment variables, CLI arguments or a
mapping). Messages are handled as they arrive: log lines go to the run's log at once;
materializations and check results are kept and returned by `get_results()`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from headwater.definitions.checks.result import AssetCheckResult
from headwater.definitions.checks.spec import AssetCheckSeverity
from headwater.definitions.key import AssetKey
from headwater.definitions.metadata.value import MetadataValue
from headwater.definitions.ops.data_version import DataVersion
from headwater.definitions.ops.output import AssetMaterialization, MaterializeResult
from headwater.definitions.tags import DATA_VERSION_TAG
from headwater.errors import HeadwaterPipesExecutionError
from headwater_pipes import (
    CONTEXT_CLI_ARG,
    CONTEXT_ENV_VAR,
    MESSAGES_CLI_ARG,
    MESSAGES_ENV_VAR,
    PIPES_COMPOSITE_WRITERS_KEY,
    PIPES_PROTOCOL_VERSION_FIELD,
    encode_param,
)

if TYPE_CHECKING:
    from headwater.pipes.channels import PipesContextInjector, PipesMessageReader

PipesExecutionResult = MaterializeResult | AssetCheckResult

_LOG_LEVELS = {"DEBUG": "debug", "INFO": "info", "WARNING": "warning", "WARN": "warning",
               "ERROR": "error", "CRITICAL": "critical"}


def build_context_data(context: Any, extras: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the external process learns of the step: its assets, partition, run and extras."""
    keys: list[AssetKey] = []
    code_versions: dict[str, str | None] = {}
    if getattr(context, "has_assets_def", False):
        assets_def = context.assets_def
        keys = sorted(context.selected_asset_keys, key=lambda k: k.path)
        versions = assets_def.code_versions_by_key
        code_versions = {k.to_user_string(): versions.get(k) for k in keys}
        if not keys:  # a check step: the assets its checks target
            keys = sorted({c.asset_key for c in context.selected_asset_check_keys},
                          key=lambda k: k.path)
    data: dict[str, Any] = {
        "asset_keys": [k.to_user_string() for k in keys] or None,
        "code_version_by_asset_key": code_versions or None,
        "provenance_by_asset_key": None,
        "partition_key": None, "partition_key_range": None, "partition_time_window": None,
        "run_id": context.run_id, "job_name": context.job_name,
        "retry_number": context.retry_number, "extras": dict(extras or {}),
    }
    if context.has_partition_key_range or context.has_partition_key:
        span = context.partition_key_range
        data["partition_key_range"] = {"start": span.start, "end": span.end}
        if context.has_partition_key:
            data["partition_key"] = context.partition_key
        try:
            window = context.partition_time_window
        except Exception:  # noqa: BLE001 - not time-partitioned
            window = None
        if window is not None:
            data["partition_time_window"] = {"start": window.start.isoformat(),
                                             "end": window.end.isoformat()}
    return data


def _metadata(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, entry in (raw or {}).items():
        value, kind = entry.get("raw_value"), entry.get("type", "__infer__")
        if kind == "__infer__":
            out[name] = value
        elif kind == "null":
            out[name] = MetadataValue.null()
        elif kind == "asset":
            out[name] = MetadataValue.asset(AssetKey.from_user_string(value))
        else:
            make = getattr(MetadataValue, kind, None)
            if make is None:
                raise ValueError(f"unknown metadata type {kind!r} for {name!r}")
            out[name] = make(value)
    return out


class PipesMessageHandler:
    """Turn the external process's messages into log lines and results, as they arrive.

    Each session has one (`session.message_handler`); readers hand it each line they read.
    Logs go to the step's log at once; materializations and check results are kept for
    `session.get_results()`; a line that is not a Pipes message is kept as a problem that
    fails the step.

    Args:
        context: the step's context.
        message_reader: the reader feeding it, named in error messages.

    Example:
        ```python
        import os, pathlib, subprocess, sys
        from headwater import AssetExecutionContext, asset, materialize, open_pipes_session
        from headwater import PipesTempFileContextInjector, PipesTempFileMessageReader
        pathlib.Path("count_rows.py").write_text('''from headwater_pipes import open_headwater_pipes

        with open_headwater_pipes() as pipes:
            pipes.report_asset_materialization(metadata={"rows": 42})
        ''')  # the external script; written here to run on its own

        @asset
        def table(context: AssetExecutionContext):
            with open_pipes_session(context, PipesTempFileContextInjector(), PipesTempFileMessageReader()) as session:
                env = {**os.environ, **session.get_bootstrap_env_vars()}
                subprocess.run([sys.executable, "count_rows.py"], env=env, check=True)
            assert session.message_handler.opened and session.message_handler.closed
            yield from session.get_results()

        result = materialize([table])
        [event] = result.get_asset_materialization_events()
        assert event.materialization.metadata["rows"].value == 42
        ```
    """

    def __init__(self, context: Any, message_reader: PipesMessageReader | None = None):
        self._context = context
        self._reader = message_reader
        self._asset_keys = {k.to_user_string(): k for k in _step_asset_keys(context)}
        self.results: list[PipesExecutionResult] = []
        self.custom_messages: list[Any] = []
        # (where in the channel, what is wrong); the session raises them at the end, so that
        # every message before and after a bad one is still handled.
        self.problems: list[tuple[str | None, str]] = []
        self.lines_read = 0
        self.channel_label: str | None = None  # set on the handler of one of several writers
        self._root = self
        self._lock = threading.Lock()
        self.writers = 1
        self.opened_count = 0
        self.closed_count = 0
        self.closing_exception: dict[str, Any] | None = None

    @property
    def opened(self) -> bool:
        """Whether a writer opened its Pipes session."""
        return self._root.opened_count > 0

    @property
    def closed(self) -> bool:
        """Whether every writer closed its Pipes session."""
        root = self._root
        return root.closed_count >= root.writers

    def for_writer(self, label: str) -> PipesMessageHandler:
        """A handler for one of several writers (`PipesCompositeMessageReader`): its own line
        count and label, everything it hears gathered here."""
        child = PipesMessageHandler(self._context, self._reader)
        child.results, child.custom_messages, child.problems = (
            self.results, self.custom_messages, self.problems)
        child.channel_label, child._root = label, self
        return child

    def handle_line(self, line: str) -> None:
        """One line of the message channel; a line that is not a message is a problem."""
        self.lines_read += 1
        text = line.strip()
        if not text:
            return
        where = self._where(self.lines_read)
        try:
            message = json.loads(text)
        except json.JSONDecodeError as exc:
            self.problems.append((where, f"not JSON ({exc.msg} at column {exc.colno}): "
                                         f"{text[:200]!r}"))
            return
        self.handle_message(message, where)

    def _where(self, line: int) -> str:
        return f"{self.channel_label} line {line}" if self.channel_label else f"line {line}"

    def handle_message(self, message: Any, line: str | None = None) -> None:
        if not isinstance(message, dict) or PIPES_PROTOCOL_VERSION_FIELD not in message:
            self.problems.append((line, f"JSON without {PIPES_PROTOCOL_VERSION_FIELD}, so not "
                                        f"a Pipes message: {str(message)[:200]!r}"))
            return
        method, params = message.get("method"), message.get("params") or {}
        try:
            self._dispatch(method, params)
        except Exception as exc:  # noqa: BLE001 - reported at the end of the session
            self.problems.append((line, f"{method!r} message refused: {exc}"))

    def _dispatch(self, method: Any, params: dict[str, Any]) -> None:
        root = self._root
        if method == "opened":
            with root._lock:
                root.opened_count += 1
        elif method == "closed":
            with root._lock:
                root.closed_count += 1
                if params.get("exception") is not None:
                    root.closing_exception = params["exception"]
        elif method == "log":
            level = _LOG_LEVELS.get(str(params.get("level", "INFO")).upper(), "info")
            getattr(self._context.log, level)(str(params.get("message", "")))
        elif method == "report_asset_materialization":
            key = self._key(params.get("asset_key"))
            version = params.get("data_version")
            self.results.append(MaterializeResult(
                asset_key=key, metadata=_metadata(params.get("metadata")),
                data_version=DataVersion(version) if version is not None else None))
        elif method == "report_asset_check":
            key = self._key(params.get("asset_key"))
            self.results.append(AssetCheckResult(
                asset_key=key, check_name=params["check_name"], passed=bool(params["passed"]),
                severity=AssetCheckSeverity(params.get("severity", "ERROR")),
                metadata=_metadata(params.get("metadata"))))
        elif method == "report_custom_message":
            self.custom_messages.append(params.get("payload"))
        else:
            raise ValueError(f"unknown method {method!r}")

    def _key(self, name: Any) -> AssetKey:
        if name is None and len(self._asset_keys) == 1:
            return next(iter(self._asset_keys.values()))
        if name not in self._asset_keys:
            raise ValueError(f"asset {name!r} is not one of this step's assets "
                             f"({', '.join(self._asset_keys) or 'none'})")
        return self._asset_keys[name]


def _step_asset_keys(context: Any) -> list[AssetKey]:
    if not getattr(context, "has_assets_def", False):
        return []
    keys = list(context.selected_asset_keys)
    return keys or [c.asset_key for c in context.selected_asset_check_keys]


def _channel(params: Mapping[str, Any]) -> str:
    if "path" in params:
        return f"the message file {params['path']}"
    if "stdio" in params:
        return f"its {params['stdio']}"
    return f"the message channel {dict(params)}"


@dataclass
class PipesSession:
    """An open Pipes session: what to hand the external process, and what it reported.

    Yielded by `open_pipes_session`. Pass `get_bootstrap_env_vars()` (or
    `get_bootstrap_cli_arguments()`) to the process you launch; after it ends,
    `get_results()` gives the `MaterializeResult`s and `AssetCheckResult`s to return from
    the step.

    Args:
        context_data: the context sent to the process (assets, partition, run, extras).
        message_handler: the handler of the messages heard.
        context_injector_params: where the injector put the context.
        message_reader_params: where the reader listens.
        context: the step's context.

    Example:
        ```python
        import os, pathlib, subprocess, sys
        from headwater import AssetExecutionContext, asset, materialize, open_pipes_session
        from headwater import PipesEnvContextInjector, PipesTempFileMessageReader
        pathlib.Path("count_rows.py").write_text('''from headwater_pipes import open_headwater_pipes

        with open_headwater_pipes() as pipes:
            pipes.report_asset_materialization(metadata={"rows": 42})
        ''')  # the external script; written here to run on its own

        @asset
        def table(context: AssetExecutionContext):
            with open_pipes_session(context, PipesEnvContextInjector(), PipesTempFileMessageReader()) as session:
                env = {**os.environ, **session.get_bootstrap_env_vars()}
                subprocess.run([sys.executable, "count_rows.py"], env=env, check=True)
            assert session.context_data["asset_keys"] == ["table"]
            yield from session.get_results()

        result = materialize([table])
        [event] = result.get_asset_materialization_events()
        assert event.materialization.metadata["rows"].value == 42
        ```
    """

    context_data: dict[str, Any]
    message_handler: PipesMessageHandler
    context_injector_params: dict[str, Any]
    message_reader_params: dict[str, Any]
    context: Any
    _extras: dict[str, Any] = field(default_factory=dict)

    def get_bootstrap_params(self) -> dict[str, Any]:
        """The two parameters, unencoded (for `PipesMappingParamsLoader`)."""
        return {CONTEXT_ENV_VAR: self.context_injector_params,
                MESSAGES_ENV_VAR: self.message_reader_params}

    def get_bootstrap_env_vars(self) -> dict[str, str]:
        return {CONTEXT_ENV_VAR: encode_param(self.context_injector_params),
                MESSAGES_ENV_VAR: encode_param(self.message_reader_params)}

    def get_bootstrap_cli_arguments(self) -> dict[str, str]:
        return {CONTEXT_CLI_ARG: encode_param(self.context_injector_params),
                MESSAGES_CLI_ARG: encode_param(self.message_reader_params)}

    def get_per_writer_bootstrap_env_vars(self) -> list[dict[str, str]]:
        """The environment of each writer of a `PipesCompositeMessageReader` session (the
        context shared, a message channel each); one entry for a single-writer session."""
        writers = self.message_reader_params.get(PIPES_COMPOSITE_WRITERS_KEY)
        if writers is None:
            return [self.get_bootstrap_env_vars()]
        return [{CONTEXT_ENV_VAR: encode_param(self.context_injector_params),
                 MESSAGES_ENV_VAR: encode_param(writer)} for writer in writers]

    def get_reported_results(self) -> list[PipesExecutionResult]:
        """What the external process reported, in order."""
        return list(self.message_handler.results)

    def get_results(self, *, implicit_materializations: bool = True) -> list[PipesExecutionResult]:
        """The reported results, plus (by default) a bare materialization of each asset of the
        step the process did not report, so that the asset is recorded as materialized."""
        results = self.get_reported_results()
        if implicit_materializations:
            reported = {r.asset_key for r in results if isinstance(r, MaterializeResult)}
            for key in sorted(getattr(self.context, "selected_asset_keys", set()) or set(),
                              key=lambda k: k.path):
                if key not in reported:
                    results.append(MaterializeResult(asset_key=key))
        return results

    def get_custom_messages(self) -> list[Any]:
        return list(self.message_handler.custom_messages)

    def channel(self) -> str:
        """Where the external process wrote its messages, in words."""
        params = self.message_reader_params
        writers = params.get(PIPES_COMPOSITE_WRITERS_KEY)
        if writers is not None:
            return f"its {len(writers)} message channels (" + ", ".join(
                f"writer {n}: {_channel(w)}" for n, w in enumerate(writers, start=1)) + ")"
        return _channel(params)

    def keep_reported_materializations(self) -> list[AssetKey]:
        """Record, as materialization events of the step, what the process reported before
        it failed; the step fails next, and these assets were written all the same."""
        kept = []
        for result in self.get_reported_results():
            if isinstance(result, MaterializeResult) and result.asset_key is not None:
                tags = ({DATA_VERSION_TAG: result.data_version.value}
                        if result.data_version is not None else None)
                self.context.log_event(AssetMaterialization(
                    asset_key=result.asset_key, metadata=result.metadata, tags=tags,
                    description="reported through Pipes before the process failed"))
                kept.append(result.asset_key)
        return kept

    def check(self, launched: str, exit_code: int | None = None, stderr: str = "") -> None:
        """Raise `HeadwaterPipesExecutionError` if the process failed (`exit_code` non-zero),
        closed on an exception, or sent what is not a Pipes message, after recording the
        materializations it reported (`launched` names the process in the message)."""
        handler = self.message_handler
        failed = exit_code not in (None, 0)
        exc = handler.closing_exception
        if not failed and exc is None and not handler.problems:
            return
        parts = [f"{launched} exited with code {exit_code}." if failed else f"{launched} failed."]
        if exc is not None:
            stack = "".join(exc.get("stack") or []).rstrip()
            parts.append(f"It raised {exc.get('name')}: {exc.get('message')}\n{stack}")
        elif failed and stderr:
            parts.append(f"The end of its stderr:\n{stderr}")
        if failed and not handler.opened:
            parts.append("It failed before opening its Pipes session (open_headwater_pipes()).")
        if handler.problems:
            listed = "\n".join(f"  {where}: {what}" if where else f"  {what}"
                                for where, what in handler.problems[:5])
            more = len(handler.problems) - 5
            parts.append(
                f"It sent {len(handler.problems)} message(s) headwater cannot use on "
                f"{self.channel()}:\n{listed}" + (f"\n  ... and {more} more" if more > 0 else "")
                + "\nOnly headwater_pipes should write to that channel (print other output "
                "to stdout); a refused report names what to change in it.")
        kept = self.keep_reported_materializations()
        if kept:
            parts.append("Kept the materializations it reported before failing: "
                         + ", ".join(k.to_user_string() for k in kept) + ".")
        raise HeadwaterPipesExecutionError("\n".join(parts))


@contextmanager
def open_pipes_session(context: Any, context_injector: PipesContextInjector,
                       message_reader: PipesMessageReader,
                       extras: Mapping[str, Any] | None = None) -> Iterator[PipesSession]:
    """Open a Pipes session for a step: send its context out, listen for reports, yield the session.

    For launching the external process yourself (a client does it for you): start it
    inside the block with the session's bootstrap parameters, then return or yield
    `session.get_results()`. Leaving the block stops the reader after a last read.

    Args:
        context: the step's context (asset, check or op).
        context_injector: how the context reaches the process.
        message_reader: how the process's messages come back.
        extras: values the process reads with `pipes.get_extra(name)`.

    Example:
        ```python
        import os, pathlib, subprocess, sys
        from headwater import AssetExecutionContext, asset, materialize, open_pipes_session
        from headwater import PipesEnvContextInjector, PipesFileMessageReader
        pathlib.Path("count_rows.py").write_text('''from headwater_pipes import open_headwater_pipes

        with open_headwater_pipes() as pipes:
            pipes.report_asset_materialization(metadata={"rows": 42})
        ''')  # the external script; written here to run on its own

        @asset
        def table(context: AssetExecutionContext):
            with open_pipes_session(context, PipesEnvContextInjector(), PipesFileMessageReader("messages.jsonl")) as session:
                env = {**os.environ, **session.get_bootstrap_env_vars()}
                subprocess.run([sys.executable, "count_rows.py"], env=env, check=True)
            yield from session.get_results()

        result = materialize([table])
        [event] = result.get_asset_materialization_events()
        assert event.materialization.metadata["rows"].value == 42
        ```
    """
    data = build_context_data(context, extras)
    handler = PipesMessageHandler(context, message_reader)
    with ExitStack() as stack:
        context_params = stack.enter_context(context_injector.inject_context(data))
        reader_params = stack.enter_context(message_reader.read_messages(handler))
        yield PipesSession(data, handler, dict(context_params), dict(reader_params), context,
                           dict(extras or {}))

