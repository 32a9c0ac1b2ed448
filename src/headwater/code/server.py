"""The code server: one subprocess per code location, holding the user's definitions.

    python -m headwater.code.server -f defs.py        (or -m pkg.defs, -d dir, -a defs)

It imports the user code once, then answers newline-delimited JSON requests on stdin,
one reply per line on stdout:

    -> {"id": 1, "method": "snapshot", "params": {}}
    <- {"id": 1, "result": {...}}      or      {"id": 1, "error": {"kind": ..., "message": ...}}

The first line it writes is `{"event": "ready", ...}`, once the code is imported. A broken
definitions file is reported in replies (kind, message, file, line, traceback); the server
keeps serving so that `reload` can pick up a fix. Whatever user code prints goes to stderr,
never into the protocol. A method is one of the server's own (`ping`, `reload`, `shutdown`)
or one of the calls of the closed table in `code/calls.py`; any other name is refused with
an `unknown_call` error listing what is offered, and nothing is imported or run for it.

Imports `code`, `definitions`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Mapping
from typing import IO, Any

import headwater
from headwater.code.calls import CALLS, RequestError
from headwater.code.loader import CodeLoadError, error_from_exception
from headwater.code.location import CodeLocation, CodeLocationOrigin

# The server's own methods, besides the calls of the table.
LIFECYCLE = ("ping", "reload", "shutdown")


class CodeServer:
    """The state of one code location in this process, and the request handlers."""

    def __init__(self, origin: CodeLocationOrigin):
        self.location = CodeLocation(origin.resolved())

    # --- loading -----------------------------------------------------------------------
    def load(self) -> None:
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

    def status(self) -> dict[str, Any]:
        return {"location_name": self.location.name, "pid": os.getpid(),
                "loaded": self.location.status == "loaded", "error": self.location.error}

    # --- lifecycle ---------------------------------------------------------------------
    def ping(self) -> dict[str, Any]:
        return self.status()

    def reload(self) -> dict[str, Any]:
        self.unload()
        self.load()
        reply = self.status()
        if self.location.status == "loaded":
            reply["snapshot_id"] = CALLS["snapshot"](self.location)["snapshot_id"]
        return reply

    # --- requests ----------------------------------------------------------------------
    def handle(self, request: Any) -> dict[str, Any]:
        """One reply for one request; never raises."""
        request_id = request.get("id") if isinstance(request, dict) else None
        try:
            if not isinstance(request, dict) or not isinstance(request.get("method"), str):
                raise RequestError("bad_request", 'A request is {"id": .., "method": "..", '
                                   '"params": {..}}.')
            method = request["method"]
            params = request.get("params") or {}
            if not isinstance(params, dict):
                raise RequestError("bad_request", f"{method}: params must be an object.")
            return {"id": request_id, "result": self._dispatch(method, params)}
        except RequestError as exc:
            return {"id": request_id, "error": exc.data}
        except CodeLoadError as exc:
            return {"id": request_id, "error": exc.to_dict()}
        except Exception as exc:
            return {"id": request_id, "error": error_from_exception(exc)}

    def _dispatch(self, method: str, params: Mapping[str, Any]) -> Any:
        args: tuple[Any, ...] = ()
        if method in ("ping", "reload"):
            fn = getattr(self, method)
        elif method in CALLS:
            fn, args = CALLS[method], (self.location,)
        else:
            offered = ", ".join(sorted([*CALLS, *LIFECYCLE]))
            raise RequestError("unknown_call", f"The code server offers no call {method!r}; "
                                               f"it offers: {offered}.")
        try:
            return fn(*args, **params)
        except TypeError as exc:
            # Raised by the call itself (wrong or missing params), not from deeper inside.
            if exc.__traceback__ is not None and exc.__traceback__.tb_next is None:
                raise RequestError("bad_request", f"{method}: {exc}") from exc
            raise


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
