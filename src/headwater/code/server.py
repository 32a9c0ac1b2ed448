"""The code server: one subprocess per code location, holding the user's definitions.

    python -m headwater.code.server -f defs.py        (or -m pkg.defs, -d dir, -a defs)

It imports the user code once, then answers newline-delimited JSON requests on stdin,
one reply per line on stdout:

    -> {"id": 1, "method": "snapshot", "params": {}}
    <- {"id": 1, "result": {...}}      or      {"id": 1, "error": {"kind": ..., "message": ...}}

The first line it writes is `{"event": "ready", ...}`, once the code is imported. A broken
definitions file is reported in replies (kind, message, file, line, traceback); the server
keeps serving so that `reload` can pick up a fix. Whatever user code prints goes to stderr,
never into the protocol. Methods: ping, snapshot, reload, list_jobs, run_config_schema,
validate_run_config, call, shutdown. `call` is the extension point for work done later in
this process (schedule and sensor evaluation): a name registered with `register_call`, or
"package.module:function", called as fn(defs, **params).

Imports `code`, `definitions`, `execution` (for run-config validation).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable, Mapping
from typing import IO, Any

import headwater
from headwater.code import evaluation
from headwater.code.loader import CodeLoadError, error_from_exception
from headwater.code.location import CodeLocation, CodeLocationOrigin
from headwater.code.run_config import validate_run_config
from headwater.code.snapshot import build_snapshot, run_config_schema_function
from headwater.definitions.definitions import Definitions

CALLS: dict[str, Callable[..., Any]] = dict(evaluation.CALLS)  # evaluate_schedule/_sensor


def register_call(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Make `fn(defs, **params)` answer `call(name, params)` requests."""
    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        CALLS[name] = fn
        return fn
    return decorate


class RequestError(Exception):
    """A request the server cannot answer (unknown job, bad params, code not loaded)."""

    def __init__(self, kind: str, message: str, **extra: Any):
        super().__init__(message)
        self.data = {"kind": kind, "message": message, **extra}


class CodeServer:
    """The state of one code location in this process, and the request handlers."""

    def __init__(self, origin: CodeLocationOrigin):
        self.location = CodeLocation(origin.resolved())
        self._snapshot: dict[str, Any] | None = None

    # --- loading -----------------------------------------------------------------------
    def load(self) -> None:
        self._snapshot = None
        try:
            self.location.load()
        except BaseException as exc:  # e.g. sys.exit() in the user's module
            if isinstance(exc, KeyboardInterrupt):
                raise
            self.location.status, self.location.error = "error", error_from_exception(
                exc, "load_error")

    def unload(self) -> list[str]:
        """Forget the modules imported from the user's directories, so the next load is fresh."""
        roots = _user_roots(self.location.origin)
        removed = [name for name, module in list(sys.modules.items())
                   if _is_user_module(module, roots)]
        for name in removed:
            del sys.modules[name]
        importlib.invalidate_caches()
        self.location.definitions = None
        return removed

    def _defs(self) -> Definitions:
        if self.location.definitions is None:
            error = self.location.error or {"kind": "load_error",
                                            "message": "Definitions are not loaded."}
            raise RequestError(**error)
        return self.location.definitions

    def status(self) -> dict[str, Any]:
        return {"location_name": self.location.name, "pid": os.getpid(),
                "loaded": self.location.status == "loaded", "error": self.location.error}

    # --- handlers ----------------------------------------------------------------------
    def ping(self) -> dict[str, Any]:
        return self.status()

    def snapshot(self) -> dict[str, Any]:
        if self._snapshot is None:
            self._snapshot = build_snapshot(self._defs(), self.location.name)
        return self._snapshot

    def reload(self) -> dict[str, Any]:
        self.unload()
        self.load()
        reply = self.status()
        if self.location.status == "loaded":
            reply["snapshot_id"] = self.snapshot()["snapshot_id"]
        return reply

    def list_jobs(self) -> list[str]:
        return sorted(job.name for job in self._defs().get_all_job_defs())

    def run_config_schema(self, job: str) -> Any:
        schema_fn = run_config_schema_function()
        if schema_fn is None:
            raise RequestError("unsupported", "Run-config schemas are not available in this "
                               "version of headwater (no run_config_schema(job) function).")
        return schema_fn(self._job(job))

    def validate_run_config(self, job: str, config: Mapping[str, Any] | None = None) -> Any:
        return validate_run_config(self._job(job), dict(config or {}))

    def call(self, name: str, params: Mapping[str, Any] | None = None) -> Any:
        fn = CALLS.get(name)
        if fn is None and ":" in name:
            module_name, _, attr = name.partition(":")
            try:
                fn = getattr(importlib.import_module(module_name), attr, None)
            except ImportError as exc:
                raise RequestError("bad_request", f"call {name!r}: cannot import "
                                   f"{module_name!r}: {exc}") from exc
        if fn is None:
            known = ", ".join(sorted(CALLS)) or "none registered"
            raise RequestError("bad_request", f"call {name!r}: no such function (known: {known};"
                               " or pass 'package.module:function').")
        return fn(self._defs(), **dict(params or {}))

    def _job(self, name: str) -> Any:
        defs = self._defs()
        if not defs.has_job(name):
            jobs = ", ".join(self.list_jobs()) or "none"
            raise RequestError("bad_request", f"Location {self.location.name!r} has no job "
                               f"{name!r}. Jobs: {jobs}.")
        return defs.resolve_job_def(name)

    METHODS = ("ping", "snapshot", "reload", "list_jobs", "run_config_schema",
               "validate_run_config", "call")

    def handle(self, request: Any) -> dict[str, Any]:
        """One reply for one request; never raises."""
        request_id = request.get("id") if isinstance(request, dict) else None
        try:
            if not isinstance(request, dict) or not isinstance(request.get("method"), str):
                raise RequestError("bad_request", 'A request is {"id": .., "method": "..", '
                                   '"params": {..}}.')
            method = request["method"]
            if method not in self.METHODS:
                raise RequestError("bad_request", f"Unknown method {method!r}; known: "
                                   f"{', '.join(self.METHODS)}, shutdown.")
            params = request.get("params") or {}
            if not isinstance(params, dict):
                raise RequestError("bad_request", f"{method}: params must be an object.")
            try:
                result = getattr(self, method)(**params)
            except TypeError as exc:
                if exc.__traceback__ is not None and exc.__traceback__.tb_next is None:
                    raise RequestError("bad_request", f"{method}: {exc}") from exc
                raise
            return {"id": request_id, "result": result}
        except RequestError as exc:
            return {"id": request_id, "error": exc.data}
        except CodeLoadError as exc:
            return {"id": request_id, "error": exc.to_dict()}
        except Exception as exc:
            return {"id": request_id, "error": error_from_exception(exc)}


def _user_roots(origin: CodeLocationOrigin) -> list[str]:
    roots = [origin.working_directory] if origin.working_directory else []
    if origin.python_file:
        roots.append(os.path.dirname(os.path.abspath(origin.python_file)))
    if origin.module_name and not origin.working_directory:
        roots.append(os.getcwd())
    return [os.path.join(os.path.abspath(r), "") for r in roots]


_NEVER_USER = tuple(os.path.join(os.path.abspath(p), "") for p in {
    sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(headwater.__file__)})


def _is_user_module(module: Any, roots: list[str]) -> bool:
    path = getattr(module, "__file__", None)
    if not path:
        return False
    path = os.path.abspath(path)
    if path.startswith(_NEVER_USER) or "site-packages" in path:
        return False
    return path.startswith(tuple(roots))


def _write(out: IO[str], message: Mapping[str, Any]) -> None:
    out.write(json.dumps(message, default=repr) + "\n")
    out.flush()


def serve(server: CodeServer, stdin: IO[str], out: IO[str]) -> None:
    """Load the code, announce readiness, then answer requests until shutdown or EOF."""
    server.load()
    _write(out, {"event": "ready", **server.status()})
    for line in stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except ValueError as exc:
            _write(out, {"id": None, "error": {"kind": "bad_request",
                                               "message": f"Not JSON: {exc}"}})
            continue
        if isinstance(request, dict) and request.get("method") == "shutdown":
            _write(out, {"id": request.get("id"), "result": "bye"})
            return
        _write(out, server.handle(request))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m headwater.code.server")
    parser.add_argument("-f", "--python-file")
    parser.add_argument("-m", "--module-name")
    parser.add_argument("-d", "--working-directory")
    parser.add_argument("-a", "--attribute")
    parser.add_argument("--location-name")
    args = parser.parse_args(argv)
    # The protocol owns the real stdin and stdout: user code that reads input() sees an
    # empty stdin, and anything written to fd 1 (print(), C extensions) lands on stderr.
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    sys.stdout = sys.stderr
    origin = CodeLocationOrigin(args.python_file, args.module_name, args.working_directory,
                                args.attribute, args.location_name)
    serve(CodeServer(origin), requests, out)


if __name__ == "__main__":
    main()
