"""CodeServerClient: start a code server subprocess and talk to it with timeouts.

    with CodeServerClient(CodeLocationOrigin(python_file="defs.py")) as client:
        snapshot = client.snapshot()

Requests name a call the server offers (`code/calls.py`), e.g. `client.call("evaluate_sensor",
{...})`. The caller never imports user code: a broken definitions file comes back as a
`CodeServerError` carrying the server's structured error (file, line, traceback); a slow
or hanging one as `CodeServerTimeoutError` (and the server is killed, since it can no
longer be trusted to answer in order); a server that died is started again on the next
request. Imports `code.location`.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import IO, Any

from headwater.code.location import CodeLocationOrigin
from headwater.errors import HeadwaterError, HeadwaterInvalidInvocationError

# Requests that may be sent again after the server died mid-way (they change nothing).
_RETRYABLE = frozenset({"ping", "snapshot", "list_jobs", "run_config_schema",
                        "validate_run_config", "reload", "partition_keys", "partition_counts"})


class CodeServerError(HeadwaterError):
    """The code server answered with an error, or could not be reached."""

    def __init__(self, message: str, error: Mapping[str, Any] | None = None):
        self.error = dict(error or {"kind": "server_error", "message": message})
        self.kind = self.error.get("kind")
        self.file = self.error.get("file")
        self.line = self.error.get("line")
        self.traceback_text = self.error.get("traceback") or ""
        where = f" ({self.file}:{self.line})" if self.file and self.line else ""
        super().__init__(f"{message}{where}")


class CodeServerTimeoutError(CodeServerError):
    """The code server took longer than the timeout to start or to answer."""


#: headwater.yaml `code_servers:` settings (seconds); unset ones keep the caller's default
TIMEOUT_SETTINGS = ("request_timeout_seconds", "startup_timeout_seconds")


def code_server_timeouts(instance: Any, request: float, startup: float) -> dict[str, float]:
    """The `timeout` and `startup_timeout` for the code servers of a long-lived process:
    headwater.yaml `code_servers:` over the given defaults. A mistyped name or a value that
    is not a positive number is refused, naming it."""
    get = getattr(instance, "get_settings", None)
    given = dict(get("code_servers") if callable(get) else {})
    unknown = sorted(set(given) - set(TIMEOUT_SETTINGS))
    if unknown:
        raise HeadwaterInvalidInvocationError(
            f"headwater.yaml code_servers: unknown setting(s) {', '.join(unknown)}; the "
            f"settings are {', '.join(TIMEOUT_SETTINGS)} (seconds).")
    for name, value in given.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise HeadwaterInvalidInvocationError(
                f"headwater.yaml code_servers.{name}: expected a positive number of seconds, "
                f"got {value!r}.")
    return {"timeout": float(given.get("request_timeout_seconds", request)),
            "startup_timeout": float(given.get("startup_timeout_seconds", startup))}


class CodeServerCalls:
    """The calls a code server offers (code/calls.py) as methods, over `request`: shared by
    the subprocess client below and the network one (code/remote.py)."""

    def request(self, method: str, params: Mapping[str, Any] | None = None,
                timeout: float | None = None) -> Any:
        raise NotImplementedError

    def snapshot(self) -> dict[str, Any]:
        return self.request("snapshot")

    def reload(self) -> dict[str, Any]:
        return self.request("reload")

    def list_jobs(self) -> list[str]:
        return self.request("list_jobs")

    def run_config_schema(self, job: str) -> Any:
        return self.request("run_config_schema", {"job": job})

    def validate_run_config(self, job: str, config: Mapping[str, Any] | None) -> dict[str, Any]:
        return self.request("validate_run_config", {"job": job, "config": dict(config or {})})

    def call(self, name: str, params: Mapping[str, Any] | None = None,
             timeout: float | None = None) -> Any:
        """One of the calls the server offers (code/calls.py), by name."""
        return self.request(name, params, timeout)


class CodeServerClient(CodeServerCalls):
    """One code server subprocess for one location, restarted when it dies."""

    def __init__(self, origin: CodeLocationOrigin, *, timeout: float = 30.0,
                 startup_timeout: float = 60.0, env: Mapping[str, str] | None = None):
        self.origin = origin.resolved()
        self.timeout = timeout
        self.startup_timeout = startup_timeout
        self.env = dict(env) if env is not None else None
        self.ready: dict[str, Any] | None = None
        self.restarts = 0
        self._process: subprocess.Popen[str] | None = None
        self._replies: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=200)
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self._started_once = False

    @property
    def name(self) -> str:
        return self.origin.name

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def stderr_tail(self) -> str:
        """The last lines the server (and the user code in it) wrote to stderr."""
        return "".join(self._stderr)

    def is_alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # --- lifecycle ---------------------------------------------------------------------
    def start(self) -> dict[str, Any]:
        """Start the server and wait until it has imported the code; returns its status."""
        with self._lock:
            if self.is_alive() and self.ready is not None:
                return self.ready
            self._stop_process()
            if self._started_once:
                self.restarts += 1
            self._started_once = True
            replies: queue.Queue[dict[str, Any] | None] = queue.Queue()
            self._replies = replies
            cmd = [sys.executable, "-m", "headwater.code.server", *self.origin.to_args()]
            env = {**os.environ, **(self.env or {}), "PYTHONUNBUFFERED": "1"}
            self._process = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True, encoding="utf-8", bufsize=1, env=env)
            _pump(self._process.stdout, _json_lines(replies.put), lambda: replies.put(None))
            _pump(self._process.stderr, self._stderr.append)
            ready = self._next_message(self.startup_timeout, "load its code")
            if ready.get("event") != "ready":
                raise CodeServerError(f"Code server for {self.name!r} sent {ready!r} before "
                                      "announcing it was ready.")
            self.ready = ready
            return ready

    def shutdown(self, timeout: float = 2.0) -> None:
        """Ask the server to exit; kill it if it does not within `timeout` seconds."""
        with self._lock:
            process = self._process
            if process is None:
                return
            if process.poll() is None:
                try:
                    assert process.stdin is not None
                    process.stdin.write(json.dumps({"id": 0, "method": "shutdown"}) + "\n")
                    process.stdin.flush()
                    process.wait(timeout)
                except (OSError, ValueError, subprocess.TimeoutExpired):
                    pass
            self._stop_process()

    close = shutdown

    def _stop_process(self) -> None:
        process, self._process, self.ready = self._process, None, None
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout, process.stderr):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass

    def __enter__(self) -> CodeServerClient:
        self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.shutdown()

    def __repr__(self) -> str:
        return f"CodeServerClient({self.origin!r}, timeout={self.timeout})"

    # --- requests ----------------------------------------------------------------------
    def request(self, method: str, params: Mapping[str, Any] | None = None,
                timeout: float | None = None) -> Any:
        """Send one request and return its result; raise CodeServerError for an error reply."""
        with self._lock:
            attempts = 2 if method in _RETRYABLE else 1
            for attempt in range(attempts):
                if not self.is_alive() or self.ready is None:
                    self.start()
                try:
                    reply = self._exchange(method, params, timeout)
                except _ServerGone:
                    if attempt + 1 < attempts:
                        continue
                    raise CodeServerError(
                        f"Code server for {self.name!r} exited while answering {method!r}."
                        f"{self._stderr_hint()}") from None
                if "error" in reply:
                    error = reply["error"] or {}
                    raise CodeServerError(f"{method} on code location {self.name!r} failed: "
                                          f"{error.get('message')}", error)
                return reply.get("result")
            raise AssertionError("unreachable")

    def _exchange(self, method: str, params: Mapping[str, Any] | None,
                  timeout: float | None) -> dict[str, Any]:
        process = self._process
        assert process is not None and process.stdin is not None
        request_id = next(self._ids)
        line = json.dumps({"id": request_id, "method": method, "params": dict(params or {})})
        try:
            process.stdin.write(line + "\n")
            process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            self._stop_process()
            raise _ServerGone() from None
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            reply = self._next_message(deadline - time.monotonic(), f"answer {method!r}")
            if reply.get("id") == request_id:
                return reply

    def _next_message(self, timeout: float, doing: str) -> dict[str, Any]:
        try:
            message = self._replies.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            # It may still be working on the request; its next reply would be out of order.
            self._stop_process()
            raise CodeServerTimeoutError(
                f"Code server for {self.name!r} did not {doing} within {timeout:.1f}s; it was "
                "stopped. Look for slow or blocking work at import time in the definitions "
                f"file, or raise the timeout.{self._stderr_hint()}") from None
        if message is None:
            try:
                returncode = self._process.wait(1.0) if self._process is not None else None
            except subprocess.TimeoutExpired:
                returncode = None
            if doing == "load its code":
                self._stop_process()
                raise CodeServerError(f"Code server for {self.name!r} exited with code "
                                      f"{returncode} while loading.{self._stderr_hint()}")
            self._stop_process()
            raise _ServerGone()
        return message

    def _stderr_hint(self) -> str:
        time.sleep(0.05)  # let the stderr pump catch the last lines
        tail = "".join(list(self._stderr)[-10:]).strip()
        return f"\nIts last output:\n{tail}" if tail else ""

    # --- the protocol, as methods ------------------------------------------------------
    def ping(self) -> dict[str, Any]:
        return self.request("ping")



class _ServerGone(Exception):
    """The server process ended (or its pipe broke) before replying."""


def _json_lines(put: Callable[[Any], None]) -> Callable[[str], None]:
    def on_line(line: str) -> None:
        try:
            put(json.loads(line))
        except ValueError:
            pass  # not a protocol line
    return on_line


def _pump(stream: IO[str] | None, on_line: Callable[[str], None],
          on_end: Callable[[], None] | None = None) -> None:
    """Hand each line of a pipe to `on_line` on a daemon thread; call `on_end` at EOF."""
    def run() -> None:
        assert stream is not None
        try:
            for line in stream:
                on_line(line)
        except (OSError, ValueError):
            pass
        finally:
            if on_end is not None:
                on_end()

    threading.Thread(target=run, daemon=True, name="headwater-code-server-pipe").start()
