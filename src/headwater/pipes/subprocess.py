"""Pipes clients: `PipesClient` (what every client offers) and `PipesSubprocessClient`.

```python
@asset
def report(context: AssetExecutionContext, pipes_subprocess_client: PipesSubprocessClient):
    return pipes_subprocess_client.run(
        command=[sys.executable, "report.py"], context=context, extras={"day": "2024-01-01"}
    ).get_materialize_result()

defs = Definitions(assets=[report],
                   resources={"pipes_subprocess_client": PipesSubprocessClient()})
```

A client is a plain resource: a parameter annotated with a client class is filled from the
resources of the same name. The subprocess inherits this process's environment, plus `env`
of the client and of the call, plus the two bootstrap variables. Its stdout and stderr pass
through to ours; the end of stderr is kept for the error raised when it exits non-zero.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

from headwater.definitions.checks.result import AssetCheckResult
from headwater.definitions.ops.output import MaterializeResult
from headwater.errors import HeadwaterInvariantViolationError, HeadwaterPipesExecutionError
from headwater.pipes.channels import (
    PipesCompositeMessageReader,
    PipesContextInjector,
    PipesMessageReader,
    PipesTempFileContextInjector,
    PipesTempFileMessageReader,
)
from headwater.pipes.session import PipesExecutionResult, PipesSession, open_pipes_session

_STDERR_TAIL = 40


class PipesClientCompletedInvocation:
    """What a finished external process reported: what a client's `run(...)` returns.

    Return `get_materialize_result()` from a single asset, `get_asset_check_result()` from a
    check, or `yield from get_results()` for a multi-asset; `get_custom_messages()` gives
    what `pipes.report_custom_message(...)` sent.

    Args:
        session: the session the process reported to.
        metadata: metadata about the invocation (the exit code, for a subprocess).

    Example:
        ```python
        import pathlib, sys
        from headwater import AssetExecutionContext, PipesSubprocessClient, asset, materialize
        from headwater import PipesClientCompletedInvocation
        pathlib.Path("count_rows.py").write_text('''from headwater_pipes import open_headwater_pipes

        with open_headwater_pipes() as pipes:
            pipes.report_asset_materialization(metadata={"rows": 42})
        ''')  # the external script; written here to run on its own

        @asset
        def table(context: AssetExecutionContext, pipes_subprocess_client: PipesSubprocessClient):
            done = pipes_subprocess_client.run(command=[sys.executable, "count_rows.py"], context=context)
            assert isinstance(done, PipesClientCompletedInvocation) and done.metadata["exit code"] == 0
            return done.get_materialize_result()

        client = PipesSubprocessClient()
        result = materialize([table], resources={"pipes_subprocess_client": client})
        [event] = result.get_asset_materialization_events()
        assert event.materialization.metadata["rows"].value == 42
        ```
    """

    def __init__(self, session: PipesSession, metadata: Mapping[str, Any] | None = None):
        self._session = session
        self.metadata = dict(metadata or {})

    def get_results(self, *, implicit_materializations: bool = True) -> list[PipesExecutionResult]:
        """Materializations and check results, to `yield from` or return from the asset."""
        return self._session.get_results(implicit_materializations=implicit_materializations)

    def get_materialize_result(self, *, implicit_materialization: bool = True) -> MaterializeResult:
        """The one materialization of a single-asset step, with the checks reported for it."""
        results = self.get_results(implicit_materializations=implicit_materialization)
        materializations = [r for r in results if isinstance(r, MaterializeResult)]
        if len(materializations) != 1:
            raise HeadwaterPipesExecutionError(
                f"get_materialize_result() needs exactly one materialization, the process "
                f"reported {len(materializations)}; use get_results() for a multi-asset step.")
        found = materializations[0]
        checks = [r for r in results if isinstance(r, AssetCheckResult)]
        return MaterializeResult(asset_key=found.asset_key, metadata=found.metadata,
                                 data_version=found.data_version, check_results=checks or None)

    def get_asset_check_result(self) -> AssetCheckResult:
        """The one check result of a check step."""
        checks = [r for r in self.get_results(implicit_materializations=False)
                  if isinstance(r, AssetCheckResult)]
        if len(checks) != 1:
            raise HeadwaterPipesExecutionError(
                f"get_asset_check_result() needs exactly one check result, the process "
                f"reported {len(checks)}.")
        return checks[0]

    def get_custom_messages(self) -> list[Any]:
        return self._session.get_custom_messages()


class PipesClient(ABC):
    """A way to run code in another process or system with a Pipes session (the base class).

    A client is a resource as it is: pass it in `resources=` and declare a parameter of its
    type. `run(context=..., extras=..., ...)` launches the code, waits, and returns a
    `PipesClientCompletedInvocation`; subclasses add their own arguments (`command=`).

    Example:
        ```python
        import pathlib, sys
        from headwater import AssetExecutionContext, PipesSubprocessClient, asset, materialize
        from headwater import PipesClient
        pathlib.Path("count_rows.py").write_text('''from headwater_pipes import open_headwater_pipes

        with open_headwater_pipes() as pipes:
            pipes.report_asset_materialization(metadata={"rows": 42})
        ''')  # the external script; written here to run on its own

        @asset
        def table(context: AssetExecutionContext, pipes_subprocess_client: PipesSubprocessClient):
            return pipes_subprocess_client.run(
                command=[sys.executable, "count_rows.py"], context=context
            ).get_materialize_result()

        client = PipesSubprocessClient()
        assert isinstance(client, PipesClient)
        result = materialize([table], resources={"pipes_subprocess_client": client})
        [event] = result.get_asset_materialization_events()
        assert event.materialization.metadata["rows"].value == 42
        ```
    """

    __headwater_resource__ = True

    @abstractmethod
    def run(self, *, context: Any, extras: Mapping[str, Any] | None = None,
            **kwargs: Any) -> PipesClientCompletedInvocation: ...

    def get_resource_definition(self) -> Any:
        from headwater.definitions.config.resource import ResourceDefinition

        return ResourceDefinition.hardcoded_resource(self)


class PipesSubprocessClient(PipesClient):
    """Run a command in a subprocess of this one, with a Pipes session: the usual Pipes client.

    The subprocess inherits this environment plus `env` and the bootstrap variables; its
    stdout and stderr pass through. A non-zero exit, or a report headwater cannot use,
    raises `HeadwaterPipesExecutionError` with the end of stderr.

    Args:
        env: environment variables added for every run.
        cwd: the working directory of the subprocess; this one by default.
        context_injector: how the context reaches it; a temporary file by default.
        message_reader: how its messages come back; a temporary file by default.
        forward_termination: terminate the subprocess when the step is interrupted.
        forward_stdio: pass its stdout and stderr through (else stdout is discarded).
        termination_timeout_seconds: how long to wait after terminating before killing it.

    Example:
        ```python
        import pathlib, sys
        from headwater import AssetExecutionContext, PipesSubprocessClient, asset, materialize

        pathlib.Path("count_rows.py").write_text('''from headwater_pipes import open_headwater_pipes

        with open_headwater_pipes() as pipes:
            pipes.report_asset_materialization(metadata={"rows": 42})
        ''')  # the external script; written here to run on its own

        @asset
        def table(context: AssetExecutionContext, pipes_subprocess_client: PipesSubprocessClient):
            return pipes_subprocess_client.run(
                command=[sys.executable, "count_rows.py"], context=context
            ).get_materialize_result()

        client = PipesSubprocessClient(env={"WAREHOUSE": "test"})
        result = materialize([table], resources={"pipes_subprocess_client": client})
        [event] = result.get_asset_materialization_events()
        assert event.materialization.metadata["rows"].value == 42
        ```
    """

    def __init__(self, env: Mapping[str, str] | None = None, cwd: str | None = None,
                 context_injector: PipesContextInjector | None = None,
                 message_reader: PipesMessageReader | None = None,
                 forward_termination: bool = True, forward_stdio: bool = True,
                 termination_timeout_seconds: float = 20):
        if isinstance(message_reader, PipesCompositeMessageReader) and \
                len(message_reader.readers) > 1:
            raise HeadwaterInvariantViolationError(
                "PipesSubprocessClient runs one process, which writes to one message channel; "
                f"it cannot take a PipesCompositeMessageReader of {len(message_reader.readers)} "
                "readers. Launch the writers yourself inside open_pipes_session(...) with "
                "session.get_per_writer_bootstrap_env_vars().")
        self.env = dict(env or {})
        self.cwd = cwd
        self.context_injector = context_injector or PipesTempFileContextInjector()
        self.message_reader = message_reader or PipesTempFileMessageReader()
        self.forward_termination = forward_termination
        self.forward_stdio = forward_stdio
        self.termination_timeout_seconds = termination_timeout_seconds

    def run(self, *, context: Any, extras: Mapping[str, Any] | None = None,
            command: str | Sequence[str] | None = None, env: Mapping[str, str] | None = None,
            cwd: str | None = None, **kwargs: Any) -> PipesClientCompletedInvocation:
        if kwargs:
            raise TypeError(f"PipesSubprocessClient.run() got unexpected argument(s) "
                            f"{', '.join(sorted(kwargs))}; it takes context, command, extras, "
                            "env and cwd.")
        if not command:
            raise TypeError("PipesSubprocessClient.run() needs command=, e.g. "
                            "[sys.executable, 'script.py'].")
        argv = [command] if isinstance(command, str) else [str(c) for c in command]
        shown = " ".join(argv)
        with open_pipes_session(context, self.context_injector, self.message_reader,
                                extras) as session:
            full_env = {**os.environ, **self.env, **(env or {}),
                        **session.get_bootstrap_env_vars()}
            try:
                process = subprocess.Popen(
                    argv, env=full_env, cwd=cwd or self.cwd, shell=isinstance(command, str),
                    stdout=None if self.forward_stdio else subprocess.DEVNULL,
                    stderr=subprocess.PIPE, text=True, errors="replace")
            except OSError as exc:
                raise HeadwaterPipesExecutionError(
                    f"cannot start the Pipes subprocess `{shown}`: {exc}. Check that the "
                    "program exists and is executable (cwd: "
                    f"{cwd or self.cwd or os.getcwd()}).") from exc
            tail: collections.deque[str] = collections.deque(maxlen=_STDERR_TAIL)
            pump = threading.Thread(target=self._pump, args=(process, tail), daemon=True)
            pump.start()
            try:
                code = process.wait()
            except BaseException:
                if self.forward_termination and process.poll() is None:
                    context.log.info(f"terminating the Pipes subprocess `{shown}`")
                    process.send_signal(signal.SIGTERM)
                    try:
                        process.wait(self.termination_timeout_seconds)
                    except subprocess.TimeoutExpired:
                        process.kill()
                raise
            finally:
                pump.join()
        launched = f"the Pipes subprocess `{shown}`"
        session.check(launched, exit_code=code, stderr="".join(tail).rstrip())
        if not session.message_handler.opened:
            context.log.warning(
                f"{launched} exited 0 without opening a Pipes session, so it reported nothing "
                "(its assets are recorded as materialized without metadata); call "
                "open_headwater_pipes() in it to report materializations, checks and logs.")
        return PipesClientCompletedInvocation(session, {"exit code": code})

    def _pump(self, process: subprocess.Popen[str], tail: collections.deque[str]) -> None:
        assert process.stderr is not None
        for line in process.stderr:
            tail.append(line)
            if self.forward_stdio:
                sys.stderr.write(line)
                sys.stderr.flush()
