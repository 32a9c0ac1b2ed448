"""headwater_pipes: the side of Headwater Pipes that runs in the external process.

A script launched by a headwater Pipes client (for example `PipesSubprocessClient`) calls
`open_headwater_pipes()` to read the context of the step that launched it (asset keys,
partition, run id, extras) and to report back: log lines, asset materializations with
metadata and data versions, asset check results and custom messages.

```python
from headwater_pipes import open_headwater_pipes

with open_headwater_pipes() as pipes:
    pipes.log.info(f"computing {pipes.asset_key} for {pipes.get_extra('day')}")
    pipes.report_asset_materialization(metadata={"rows": 42}, data_version="v3")
```

This package depends on the standard library only, so the external process needs nothing
else of headwater: any Python environment that can import it can take part.

How the two sides meet: the launching process sets two environment variables (or passes the
same values as CLI arguments), `HEADWATER_PIPES_CONTEXT` and `HEADWATER_PIPES_MESSAGES`. Each
holds a JSON object, zlib-compressed and base64-encoded (`encode_param`), that says where the
context is (`{"path": file}` or `{"data": {...}}`) and where messages go (`{"path": file}`
or `{"stdio": "stderr"}`). Messages are JSON lines:
`{"__headwater_pipes_version": "0.1", "method": ..., "params": {...}}`.
"""

from __future__ import annotations

import base64
import datetime
import io
import json
import logging
import os
import sys
import threading
import traceback
import warnings
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import IO, Any

PIPES_PROTOCOL_VERSION = "0.1"
PIPES_PROTOCOL_VERSION_FIELD = "__headwater_pipes_version"
CONTEXT_ENV_VAR = "HEADWATER_PIPES_CONTEXT"
MESSAGES_ENV_VAR = "HEADWATER_PIPES_MESSAGES"
CONTEXT_CLI_ARG = "--headwater-pipes-context"
MESSAGES_CLI_ARG = "--headwater-pipes-messages"
# In the message parameters of a session with several writers (`PipesCompositeMessageReader`
# on the orchestrating side): the list of each writer's own parameters.
PIPES_COMPOSITE_WRITERS_KEY = "writers"

# The metadata types a reported value may name; "__infer__" lets the orchestrator choose.
METADATA_TYPES = frozenset({
    "__infer__", "text", "url", "path", "notebook", "json", "md", "float", "int", "bool",
    "headwater_run", "asset", "null", "timestamp",
})

__all__ = [
    "HeadwaterPipesError", "PipesContext", "PipesParamsLoader", "PipesEnvVarParamsLoader",
    "PipesCliArgsParamsLoader", "PipesMappingParamsLoader", "PipesContextLoader",
    "PipesDefaultContextLoader", "PipesMessageWriter", "PipesDefaultMessageWriter",
    "open_headwater_pipes", "is_headwater_pipes_process", "encode_param", "decode_param",
    "encode_env_var", "decode_env_var", "PipesS3ContextLoader", "PipesS3MessageWriter",
]


class HeadwaterPipesError(Exception):
    """A problem on the external side of Pipes: bad parameters, a closed context, a bad call."""


# ---- parameters ------------------------------------------------------------------------------

def encode_param(value: Any) -> str:
    """JSON, compressed and base64-encoded: safe in an environment variable or a CLI argument."""
    return base64.b64encode(zlib.compress(json.dumps(value).encode("utf-8"))).decode("ascii")


def decode_param(value: str) -> Any:
    """The inverse of `encode_param`."""
    try:
        return json.loads(zlib.decompress(base64.b64decode(value)).decode("utf-8"))
    except Exception as exc:  # noqa: BLE001 - any corruption means the same thing here
        raise HeadwaterPipesError(
            f"cannot decode a Pipes parameter ({type(exc).__name__}: {exc}); it must be the "
            "value the launching process set, unchanged.") from exc


encode_env_var = encode_param
decode_env_var = decode_param


class PipesParamsLoader(ABC):
    """Where the launching process put the two bootstrap parameters."""

    @abstractmethod
    def is_headwater_pipes_process(self) -> bool: ...

    @abstractmethod
    def load_context_params(self) -> dict[str, Any]: ...

    @abstractmethod
    def load_messages_params(self) -> dict[str, Any]: ...


class PipesMappingParamsLoader(PipesParamsLoader):
    """Reads the parameters from a mapping holding the encoded values (by default the
    environment)."""

    def __init__(self, mapping: Mapping[str, str]):
        self._mapping = mapping

    def is_headwater_pipes_process(self) -> bool:
        return CONTEXT_ENV_VAR in self._mapping

    def load_context_params(self) -> dict[str, Any]:
        return self._load(CONTEXT_ENV_VAR)

    def load_messages_params(self) -> dict[str, Any]:
        return self._load(MESSAGES_ENV_VAR)

    def _load(self, name: str) -> dict[str, Any]:
        raw = self._mapping.get(name)
        if raw is None:
            raise HeadwaterPipesError(f"{name} is not set: this process was not launched by a "
                                      "headwater Pipes client.")
        value = decode_param(raw) if isinstance(raw, str) else raw
        if not isinstance(value, dict):
            raise HeadwaterPipesError(f"{name} must hold a JSON object, got {value!r}.")
        return value


class PipesEnvVarParamsLoader(PipesMappingParamsLoader):
    """Reads `HEADWATER_PIPES_CONTEXT` and `HEADWATER_PIPES_MESSAGES` from the environment."""

    def __init__(self) -> None:
        super().__init__(os.environ)


class PipesCliArgsParamsLoader(PipesParamsLoader):
    """Reads `--headwater-pipes-context VALUE --headwater-pipes-messages VALUE` from argv."""

    def __init__(self, argv: Sequence[str] | None = None):
        self._argv = list(sys.argv[1:] if argv is None else argv)

    def _value(self, flag: str) -> str | None:
        for i, arg in enumerate(self._argv):
            if arg == flag and i + 1 < len(self._argv):
                return self._argv[i + 1]
            if arg.startswith(flag + "="):
                return arg[len(flag) + 1:]
        return None

    def is_headwater_pipes_process(self) -> bool:
        return self._value(CONTEXT_CLI_ARG) is not None

    def load_context_params(self) -> dict[str, Any]:
        return PipesMappingParamsLoader({CONTEXT_ENV_VAR: self._value(CONTEXT_CLI_ARG) or ""}
                                        )._load(CONTEXT_ENV_VAR)

    def load_messages_params(self) -> dict[str, Any]:
        return PipesMappingParamsLoader({MESSAGES_ENV_VAR: self._value(MESSAGES_CLI_ARG) or ""}
                                        )._load(MESSAGES_ENV_VAR)


# ---- context ---------------------------------------------------------------------------------

class PipesContextLoader(ABC):
    @abstractmethod
    def load_context(self, params: Mapping[str, Any]) -> dict[str, Any]: ...


class PipesDefaultContextLoader(PipesContextLoader):
    """The context is inline (`{"data": {...}}`) or in a JSON file (`{"path": file}`)."""

    def load_context(self, params: Mapping[str, Any]) -> dict[str, Any]:
        if "data" in params:
            return dict(params["data"])
        if "path" in params:
            with open(params["path"], encoding="utf-8") as f:
                return dict(json.load(f))
        raise HeadwaterPipesError(f"the context parameters {dict(params)!r} name neither "
                                  "'data' nor 'path'.")


# ---- messages --------------------------------------------------------------------------------

class PipesMessageWriter(ABC):
    """Opens the channel messages travel on for the life of the context."""

    @abstractmethod
    @contextmanager
    def open(self, params: Mapping[str, Any]) -> Iterator[IO[str]]: ...


class PipesDefaultMessageWriter(PipesMessageWriter):
    """Appends JSON lines to a file (`{"path": file}`) or writes them to stdout/stderr
    (`{"stdio": "stdout" | "stderr"}`)."""

    @contextmanager
    def open(self, params: Mapping[str, Any]) -> Iterator[IO[str]]:
        if "path" in params:
            with open(params["path"], "a", encoding="utf-8") as stream:
                yield stream
        elif params.get("stdio") in ("stdout", "stderr"):
            yield sys.stdout if params["stdio"] == "stdout" else sys.stderr
        elif PIPES_COMPOSITE_WRITERS_KEY in params:
            raise HeadwaterPipesError(
                "these message parameters are those of a session with several writers: give "
                "each process its own entry of the launching side's "
                "session.get_per_writer_bootstrap_env_vars().")
        else:
            raise HeadwaterPipesError(f"the message parameters {dict(params)!r} name neither "
                                      "'path' nor 'stdio' (stdout or stderr).")


class PipesS3ContextLoader(PipesContextLoader):
    """Reads the context from the S3 object `{"bucket", "key"}` names, through `client` (a
    boto3 S3 client the script builds: this package does not import boto3)."""

    def __init__(self, client: Any):
        self._client = client

    def load_context(self, params: Mapping[str, Any]) -> dict[str, Any]:
        if "bucket" not in params or "key" not in params:
            raise HeadwaterPipesError(f"the context parameters {dict(params)!r} do not name an "
                                      "S3 object ('bucket' and 'key'): launch with "
                                      "PipesS3ContextInjector, or use the default loader.")
        body = self._client.get_object(Bucket=params["bucket"], Key=params["key"])["Body"]
        return dict(json.loads(body.read()))


class PipesS3MessageWriter(PipesMessageWriter):
    """Uploads messages as numbered chunks `<key_prefix>/<n>.json` (n = 1, 2, ...) to the
    bucket the parameters name, every `interval` seconds and when the context closes, through
    `client` (a boto3 S3 client)."""

    def __init__(self, client: Any, *, interval: float = 10):
        self._client = client
        self._interval = interval

    @contextmanager
    def open(self, params: Mapping[str, Any]) -> Iterator[IO[str]]:
        if "bucket" not in params or "key_prefix" not in params:
            raise HeadwaterPipesError(f"the message parameters {dict(params)!r} do not name an "
                                      "S3 location ('bucket' and 'key_prefix'): launch with "
                                      "PipesS3MessageReader, or use the default writer.")
        bucket, prefix = params["bucket"], params["key_prefix"]
        buffer = io.StringIO()
        lock = threading.Lock()
        done = threading.Event()
        counter = [0]

        def upload() -> None:
            with lock:
                text = buffer.getvalue()
                if not text:
                    return
                buffer.seek(0)
                buffer.truncate()
                counter[0] += 1
                key = f"{prefix}/{counter[0]}.json"
            self._client.put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"))

        def every_interval() -> None:
            while not done.wait(self._interval):
                upload()

        class _Stream(io.StringIO):
            def write(self, text: str) -> int:
                with lock:
                    return buffer.write(text)

        uploader = threading.Thread(target=every_interval, daemon=True,
                                    name="headwater-pipes-s3-writer")
        uploader.start()
        try:
            yield _Stream()
        finally:
            done.set()
            uploader.join()
            upload()


class _PipesLogHandler(logging.Handler):
    def __init__(self, context: PipesContext):
        super().__init__()
        self._context = context

    def emit(self, record: logging.LogRecord) -> None:
        self._context._write("log", {"message": self.format(record), "level": record.levelname})


def _normalize_metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if metadata is None:
        return None
    out: dict[str, Any] = {}
    for name, value in metadata.items():
        if not isinstance(name, str):
            raise HeadwaterPipesError(f"metadata names must be strings, got {name!r}.")
        if isinstance(value, Mapping) and "raw_value" in value:
            kind = value.get("type", "__infer__")
            if kind not in METADATA_TYPES:
                raise HeadwaterPipesError(
                    f"metadata {name!r} has type {kind!r}; use one of "
                    f"{', '.join(sorted(METADATA_TYPES))}.")
            out[name] = {"raw_value": value["raw_value"], "type": kind}
        else:
            out[name] = {"raw_value": value, "type": "__infer__"}
        try:
            json.dumps(out[name])
        except TypeError as exc:
            raise HeadwaterPipesError(f"metadata {name!r} = {value!r} cannot be sent: only "
                                      "JSON values travel over Pipes.") from exc
    return out


class PipesContext:
    """The step that launched this process, and the channel back to it."""

    _instance: PipesContext | None = None

    @classmethod
    def is_initialized(cls) -> bool:
        return cls._instance is not None

    @classmethod
    def get(cls) -> PipesContext:
        if cls._instance is None:
            raise HeadwaterPipesError("no Pipes context is open: call open_headwater_pipes() "
                                      "first.")
        return cls._instance

    @classmethod
    def set(cls, context: PipesContext | None) -> None:
        cls._instance = context

    def __init__(self, params_loader: PipesParamsLoader, context_loader: PipesContextLoader,
                 message_writer: PipesMessageWriter):
        self._data = context_loader.load_context(params_loader.load_context_params())
        self._writer_cm = message_writer.open(params_loader.load_messages_params())
        self._stream: IO[str] = self._writer_cm.__enter__()
        self._closed = False
        self._materialized: set[str] = set()
        self._logger = logging.getLogger(f"headwater_pipes.{id(self)}")
        self._logger.setLevel(logging.DEBUG)
        self._logger.propagate = False
        self._logger.addHandler(_PipesLogHandler(self))
        self._write("opened", {})

    # -- the channel --
    def _write(self, method: str, params: Mapping[str, Any] | None) -> None:
        if self._closed:
            raise HeadwaterPipesError(f"cannot send {method!r}: the Pipes context is closed.")
        line = json.dumps({PIPES_PROTOCOL_VERSION_FIELD: PIPES_PROTOCOL_VERSION,
                           "method": method, "params": params})
        self._stream.write(line + "\n")
        self._stream.flush()

    def close(self, exc: BaseException | None = None) -> None:
        if self._closed:
            return
        params: dict[str, Any] = {}
        if exc is not None:
            params["exception"] = {
                "name": type(exc).__name__, "message": str(exc),
                "stack": traceback.format_exception(type(exc), exc, exc.__traceback__)}
        self._write("closed", params)
        self._closed = True
        self._writer_cm.__exit__(None, None, None)

    @property
    def is_closed(self) -> bool:
        return self._closed

    def __enter__(self) -> PipesContext:
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.close(exc)
        if PipesContext._instance is self:
            PipesContext.set(None)

    # -- what the step is --
    @property
    def log(self) -> logging.Logger:
        """A logger whose records appear in the launching run's logs."""
        return self._logger

    @property
    def extras(self) -> dict[str, Any]:
        return dict(self._data.get("extras") or {})

    def get_extra(self, key: str) -> Any:
        extras = self._data.get("extras") or {}
        if key not in extras:
            raise HeadwaterPipesError(f"no extra {key!r}; the launching step passed "
                                      f"{sorted(extras) or 'none'}.")
        return extras[key]

    @property
    def is_asset_step(self) -> bool:
        return bool(self._data.get("asset_keys"))

    @property
    def asset_keys(self) -> list[str]:
        keys = self._data.get("asset_keys")
        if not keys:
            raise HeadwaterPipesError("the launching step materializes no assets.")
        return list(keys)

    @property
    def asset_key(self) -> str:
        keys = self.asset_keys
        if len(keys) != 1:
            raise HeadwaterPipesError(f"the launching step has {len(keys)} assets "
                                      f"({', '.join(keys)}); use asset_keys.")
        return keys[0]

    @property
    def code_version_by_asset_key(self) -> dict[str, str | None]:
        return dict(self._data.get("code_version_by_asset_key") or {})

    @property
    def code_version(self) -> str | None:
        return self.code_version_by_asset_key.get(self.asset_key)

    @property
    def provenance_by_asset_key(self) -> dict[str, Any]:
        return dict(self._data.get("provenance_by_asset_key") or {})

    @property
    def provenance(self) -> Any:
        return self.provenance_by_asset_key.get(self.asset_key)

    @property
    def is_partition_step(self) -> bool:
        return self._data.get("partition_key_range") is not None

    @property
    def partition_key(self) -> str:
        key = self._data.get("partition_key")
        if key is None:
            raise HeadwaterPipesError("the launching step has no single partition key.")
        return str(key)

    @property
    def partition_key_range(self) -> dict[str, str]:
        span = self._data.get("partition_key_range")
        if span is None:
            raise HeadwaterPipesError("the launching step is not partitioned.")
        return dict(span)

    @property
    def partition_time_window(self) -> dict[str, datetime.datetime] | None:
        window = self._data.get("partition_time_window")
        if window is None:
            return None
        return {k: datetime.datetime.fromisoformat(v) for k, v in window.items()}

    @property
    def run_id(self) -> str:
        return str(self._data["run_id"])

    @property
    def job_name(self) -> str | None:
        return self._data.get("job_name")

    @property
    def retry_number(self) -> int:
        return int(self._data.get("retry_number") or 0)

    # -- reports --
    def _resolve_key(self, asset_key: str | None, method: str) -> str:
        if asset_key is None:
            keys = self._data.get("asset_keys") or []
            if len(keys) != 1:
                raise HeadwaterPipesError(
                    f"{method}: pass asset_key=, the launching step has "
                    f"{len(keys)} assets ({', '.join(keys) or 'none'}).")
            return str(keys[0])
        if asset_key not in (self._data.get("asset_keys") or []):
            raise HeadwaterPipesError(
                f"{method}: {asset_key!r} is not an asset of the launching step; it has "
                f"{', '.join(self._data.get('asset_keys') or []) or 'none'}.")
        return asset_key

    def report_asset_materialization(self, metadata: Mapping[str, Any] | None = None,
                                     data_version: str | None = None,
                                     asset_key: str | None = None) -> None:
        key = self._resolve_key(asset_key, "report_asset_materialization")
        if key in self._materialized:
            raise HeadwaterPipesError(f"report_asset_materialization: {key!r} was already "
                                      "reported in this step.")
        self._materialized.add(key)
        self._write("report_asset_materialization", {
            "asset_key": key, "metadata": _normalize_metadata(metadata),
            "data_version": data_version})

    def report_asset_check(self, check_name: str, passed: bool, severity: str = "ERROR",
                           metadata: Mapping[str, Any] | None = None,
                           asset_key: str | None = None) -> None:
        if severity not in ("ERROR", "WARN"):
            raise HeadwaterPipesError(f"report_asset_check: severity is ERROR or WARN, got "
                                      f"{severity!r}.")
        key = self._resolve_key(asset_key, "report_asset_check")
        self._write("report_asset_check", {
            "asset_key": key, "check_name": check_name, "passed": bool(passed),
            "severity": severity, "metadata": _normalize_metadata(metadata)})

    def report_custom_message(self, payload: Any) -> None:
        try:
            json.dumps(payload)
        except TypeError as exc:
            raise HeadwaterPipesError("report_custom_message: the payload must be JSON "
                                      f"serializable ({exc}).") from exc
        self._write("report_custom_message", {"payload": payload})


class _StandaloneParams(PipesParamsLoader):
    """Outside headwater: an empty context, and messages to stderr."""

    def is_headwater_pipes_process(self) -> bool:
        return False

    def load_context_params(self) -> dict[str, Any]:
        return {"data": {"asset_keys": None, "run_id": "standalone", "extras": {}}}

    def load_messages_params(self) -> dict[str, Any]:
        return {"stdio": "stderr"}


def is_headwater_pipes_process() -> bool:
    """Whether a headwater Pipes client launched this process."""
    return PipesEnvVarParamsLoader().is_headwater_pipes_process()


def open_headwater_pipes(*, params_loader: PipesParamsLoader | None = None,
                         context_loader: PipesContextLoader | None = None,
                         message_writer: PipesMessageWriter | None = None) -> PipesContext:
    """Open the context of the launching step (once per process; later calls return it).

    Use it as a context manager so that an exception in the script reaches the launching
    run's logs. Run outside headwater (no `HEADWATER_PIPES_CONTEXT`), it warns and gives a
    context with no assets whose messages go to stderr, so the script still runs by hand."""
    if PipesContext.is_initialized():
        return PipesContext.get()
    loader = params_loader or PipesEnvVarParamsLoader()
    if not loader.is_headwater_pipes_process():
        warnings.warn("this process was not launched by headwater Pipes: reports go to stderr",
                      stacklevel=2)
        loader = _StandaloneParams()
    context = PipesContext(loader, context_loader or PipesDefaultContextLoader(),
                           message_writer or PipesDefaultMessageWriter())
    PipesContext.set(context)
    return context
