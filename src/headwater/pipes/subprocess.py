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
    """What a finished external invocation reported."""

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
    """Runs code elsewhere with a Pipes session; usable as a resource as it is."""

    __headwater_resource__ = True

    @abstractmethod
    def run(self, *, context: Any, extras: Mapping[str, Any] | None = None,
            **kwargs: Any) -> PipesClientCompletedInvocation: ...

    def get_resource_definition(self) -> Any:
        from headwater.definitions.config.resource import ResourceDefinition

        return ResourceDefinition.hardcoded_resource(self)


class PipesSubprocessClient(PipesClient):
    """Runs a command in a subprocess of this one."""

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
