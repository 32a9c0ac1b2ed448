"""A code server reachable over the network: `headwater code-server start`.

    headwater code-server start -f defs.py -h 0.0.0.0 -p 4000 --token-file token.txt \\
        [--tls-cert cert.pem --tls-key key.pem]

The same `CodeServer` as the subprocess one (code/server.py: the calls of the closed table in
code/calls.py, plus `ping` and `reload`) behind the standard library's threading HTTP server.
One request is `POST /v1/call` with `{"method": ..., "params": {...}}` and the header
`Authorization: Bearer <token>`; the answer is `{"result": ...}` or `{"error": {...}}` with
status 200 (an error of the user's code is an answer, not a failure of the transport), 401
for a missing or wrong token (compared in constant time), 404 for any other path. `ping`
also tells the server's id (new at each start) and the origin of the code it holds, which
the client records on runs. `shutdown` is refused: whoever started the server stops it.
`start_run` starts a run's worker process on the server's machine, in the code's directory:
the default run launcher of a webserver or daemon sends it for runs of this location, so the
run imports the code where the code is (Dagster's gRPC servers start runs the same way).

Requests are answered one at a time: user code (sensors, schedules) need not be thread-safe,
and a `reload` never runs beside a call using the modules it replaces. Imports `code`.
"""

from __future__ import annotations

import hmac
import http.server
import json
import os
import socket
import ssl
import sys
import threading
import uuid
from collections.abc import Callable
from typing import Any

from headwater.code.location import CodeLocationOrigin
from headwater.code.remote import CALL_PATH
from headwater.code.server import CodeServer
from headwater.storage.home import resolve_home

#: the largest request body read (run config and params are small; snapshots go the other way)
MAX_REQUEST_BYTES = 16 * 1024 * 1024


class NetworkCodeServer(http.server.ThreadingHTTPServer):
    """One code location served over HTTP(S) to holders of `token`."""

    daemon_threads = True

    def __init__(self, origin: CodeLocationOrigin, host: str, port: int, *,
                 token: str | None, tls: ssl.SSLContext | None = None):
        self.code = CodeServer(origin)
        self.token = token
        self.server_id = uuid.uuid4().hex
        self.lock = threading.Lock()
        self.tls = tls
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), _Handler)
        if tls is not None:
            # The handshake runs in the request's thread (_Handler.setup), so that a slow
            # client cannot hold up the accept loop.
            self.socket = tls.wrap_socket(self.socket, server_side=True,
                                          do_handshake_on_connect=False)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def load(self) -> None:
        with self.lock:
            self.code.load()

    def status(self) -> dict[str, Any]:
        origin = self.code.location.origin
        return {**self.code.status(), "server_id": self.server_id,
                "origin": {k: v for k, v in (
                    ("python_file", origin.python_file), ("module_name", origin.module_name),
                    ("working_directory", origin.working_directory),
                    ("attribute", origin.attribute)) if v}}

    def answer(self, request: Any) -> dict[str, Any]:
        """The reply to one decoded request body."""
        method = request.get("method") if isinstance(request, dict) else None
        if method == "shutdown":
            return {"error": {"kind": "bad_request", "message": (
                "A network code server is not stopped by its clients; stop the "
                "`headwater code-server start` process itself.")}}
        if method == "start_run":
            return self.start_run(request.get("params") or {})
        with self.lock:
            if method == "ping":
                return {"result": self.status()}
            reply = self.code.handle(request)
        reply.pop("id", None)
        return reply

    def start_run(self, params: Any) -> dict[str, Any]:
        """Start `headwater run-worker RUN_ID` on this machine, in the code's directory,
        against the instance database the launcher named (and this machine's instance home
        for its log and settings); reply with its pid and host."""
        run_id, url = params.get("run_id"), params.get("instance_url")
        if not isinstance(run_id, str) or not run_id or not isinstance(url, str) or not url:
            return {"error": {"kind": "bad_request", "message": (
                "start_run needs params run_id and instance_url, both strings")}}
        from headwater.code.run import spawn_run_worker

        proc = spawn_run_worker(run_id, url, resolve_home(),
                                self.code.location.origin.working_directory or os.getcwd())
        # Waited on by a thread of its own, so that a finished worker leaves no zombie.
        threading.Thread(target=proc.wait, name=f"reap-run-worker-{proc.pid}",
                         daemon=True).start()
        return {"result": {"pid": proc.pid, "host": socket.gethostname()}}

    def authorized(self, header: str | None) -> bool:
        if self.token is None:
            return True
        scheme, _, given = (header or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), self.token.encode())

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up or failed the TLS handshake is one line, not a traceback.
        exc = sys.exc_info()[1]
        print(f"headwater code-server: request from {client_address[0]} failed: "
              f"{type(exc).__name__}: {exc}", file=sys.stderr)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: NetworkCodeServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(30.0)
            self.request.do_handshake()
            self.request.settimeout(None)
        super().setup()

    def do_POST(self) -> None:  # noqa: N802 - the name http.server dispatches to
        if self.path != CALL_PATH:
            self._send(404, {"error": {"kind": "bad_request", "message": (
                f"No such path {self.path!r}; requests are POST {CALL_PATH}.")}})
            return
        if not self.server.authorized(self.headers.get("Authorization")):
            given = "a wrong token" if self.headers.get("Authorization") else "no token"
            self._send(401, {"error": {"kind": "unauthorized", "message": (
                f"this code server requires its token, and the request carried {given}")}})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            self._send(413, {"error": {"kind": "bad_request", "message": (
                f"request body of {length} bytes is over the {MAX_REQUEST_BYTES} limit")}})
            return
        try:
            request = json.loads(self.rfile.read(length))
        except ValueError as exc:
            self._send(400, {"error": {"kind": "bad_request", "message": f"Not JSON: {exc}"}})
            return
        self._send(200, self.server.answer(request))

    def do_GET(self) -> None:  # noqa: N802
        self._send(405, {"error": {"kind": "bad_request", "message": (
            f"Requests are POST {CALL_PATH} with a JSON body.")}})

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body, default=repr).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request would drown the user's own output


def tls_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    """A server TLS context from a PEM certificate (chain) and its key."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    return context


def serve_forever(server: NetworkCodeServer, say: Callable[[str], None]) -> None:
    """Load the code, say where it is served, and answer until interrupted."""
    server.load()
    status = server.status()
    loaded = "loaded" if status["loaded"] else \
        f"FAILED to load ({(status['error'] or {}).get('message')})"
    host, port = server.server_address[:2]
    host = host.decode() if isinstance(host, bytes) else host
    scheme = "https" if server.tls is not None else "http"
    say(f"headwater code-server: location {status['location_name']!r} {loaded}; serving on "
        f"{scheme}://{host}:{port} (pid {os.getpid()}). Ctrl-C to stop.")
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
