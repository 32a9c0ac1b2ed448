"""RemoteCodeServerClient: talk to a code server another process started, over the network.

    origin = RemoteOrigin(host="code.internal", port=4000, location_name="sales",
                          token="...", tls=True, tls_ca_file="ca.pem")
    with RemoteCodeServerClient(origin) as client:
        snapshot = client.snapshot()

It has the interface of `CodeServerClient` (`call`, `snapshot`, `reload`, `ping`, `start`,
`shutdown`, timeouts), so the webserver's workspace and the daemon use either. The wire
format is plain HTTP with JSON bodies (code/network.py serves it): one `POST /v1/call` per
request, a bearer token on each, optionally over TLS. Each request opens its own connection,
so a server that was restarted is simply reached again on the next call; there is nothing to
reconnect. A server that cannot be reached is a `CodeServerError` of kind `unreachable`
naming the address, and `unreachable` stays set until a request gets through again, which is
how the workspace and the daemon notice that a location went away and came back.

`shutdown` forgets the server but never stops it: its lifetime belongs to whoever started it
(`headwater code-server start`). The origin of the code the server holds (file or module and
directory, as paths on the server's machine) is learned from its `ping` and recorded on the
runs it creates, with the server's address: the default run launcher asks that server to
start the run's worker (`start_run`), on its machine, where the code is. Imports
`code.client` and `code.location`.
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from headwater.code.client import CodeServerCalls, CodeServerError, CodeServerTimeoutError
from headwater.code.location import CodeLocationOrigin

#: the environment variable both `headwater code-server start` and the clients read the
#: shared token from when nothing else gives it
TOKEN_ENV = "HEADWATER_CODE_SERVER_TOKEN"
#: the one path requests are sent to
CALL_PATH = "/v1/call"
# Requests that change nothing, so one may be sent again after a dropped connection.
_RETRYABLE = frozenset({"ping", "snapshot", "list_jobs", "run_config_schema",
                        "validate_run_config", "partition_keys", "partition_counts",
                        "upstream_partitions"})


@dataclass(frozen=True)
class RemoteOrigin:
    """Where a code server listens, and how to prove who we are to it."""

    host: str
    port: int
    location_name: str | None = None
    token: str | None = field(default=None, repr=False)
    tls: bool = False
    tls_ca_file: str | None = None  # trust this CA (e.g. a self-signed cert) besides the system's

    @property
    def name(self) -> str:
        return self.location_name or f"{self.host}:{self.port}"

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    def resolved(self) -> RemoteOrigin:
        return self


#: every code server a client of this process reached (a ping answered: its token and TLS
#: settings work), by address: how a run launcher finds the settings of the server a run's
#: origin names
_KNOWN: dict[str, RemoteOrigin] = {}


class RemoteCodeServerClient(CodeServerCalls):
    """A code server reached over HTTP(S); see the module docstring."""

    def __init__(self, origin: RemoteOrigin, *, timeout: float = 30.0,
                 startup_timeout: float = 60.0):
        self.remote = origin
        self.timeout = timeout
        self.startup_timeout = startup_timeout
        self.ready: dict[str, Any] | None = None
        self.restarts = 0  # times the server was found restarted (a new server id)
        self.unreachable: dict[str, Any] | None = None  # the last failure to reach it
        self._origin: CodeLocationOrigin | None = None
        self._tls_context: ssl.SSLContext | None = None

    @property
    def name(self) -> str:
        return self.remote.name

    @property
    def origin(self) -> CodeLocationOrigin:
        """The code the server holds, as paths on its machine: what runs record, so that a
        run worker loads the same code. Known once the server answered a ping."""
        if self._origin is None:
            self.start()
        assert self._origin is not None
        return self._origin

    @property
    def server_id(self) -> str | None:
        """Changes whenever the server process is restarted."""
        return (self.ready or {}).get("server_id")

    @property
    def pid(self) -> int | None:
        return None  # the process is on another machine, and not ours to signal

    @property
    def stderr_tail(self) -> str:
        return ""  # the server's output is in its own log

    def is_alive(self) -> bool:
        """Whether the last request reached the server."""
        return self.ready is not None and self.unreachable is None

    def __repr__(self) -> str:
        return f"RemoteCodeServerClient({self.remote!r}, timeout={self.timeout})"

    # --- lifecycle ---------------------------------------------------------------------
    def start(self) -> dict[str, Any]:
        """Reach the server and learn what it serves; its status (as `ping`)."""
        return self.ping(timeout=self.startup_timeout)

    def shutdown(self, timeout: float = 2.0) -> None:
        """Forget the server (it keeps running: it is not ours to stop)."""
        self.ready = None

    close = shutdown

    def __enter__(self) -> RemoteCodeServerClient:
        self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.shutdown()

    # --- requests ----------------------------------------------------------------------
    def request(self, method: str, params: Mapping[str, Any] | None = None,
                timeout: float | None = None) -> Any:
        """Send one request and return its result; raise CodeServerError for an error reply
        or a server that cannot be reached."""
        if method == "create_run":  # the run's origin names this server, which starts it
            params = {**(params or {}), "code_server": self.remote.address}
        attempts = 2 if method in _RETRYABLE else 1
        for attempt in range(attempts):
            try:
                reply = self._exchange(method, params, timeout)
            except _Dropped as exc:
                if attempt + 1 < attempts:
                    continue
                raise self._gone(f"dropped the connection while answering {method!r} "
                                 f"({exc})") from None
            break
        self.unreachable = None
        if "error" in reply:
            error = reply["error"] or {}
            raise CodeServerError(f"{method} on code location {self.name!r} failed: "
                                  f"{error.get('message')}", error)
        return reply.get("result")

    def _exchange(self, method: str, params: Mapping[str, Any] | None,
                  timeout: float | None) -> dict[str, Any]:
        wait = self.timeout if timeout is None else timeout
        body = json.dumps({"method": method, "params": dict(params or {})})
        headers = {"Content-Type": "application/json"}
        if self.remote.token:
            headers["Authorization"] = f"Bearer {self.remote.token}"
        connection = self._connection(wait)
        try:
            connection.request("POST", CALL_PATH, body=body, headers=headers)
            response = connection.getresponse()
            status, payload = response.status, response.read()
        except TimeoutError:
            raise CodeServerTimeoutError(
                f"Code server for {self.name!r} at {self.remote.address} did not answer "
                f"{method!r} within {wait:.1f}s; look for slow work in the call, or raise the "
                "timeout (headwater.yaml code_servers: request_timeout_seconds).") from None
        except ssl.SSLError as exc:
            raise self._gone(f"refused the TLS handshake ({exc.reason or exc}); check tls "
                             "and tls_ca_file against the server's --tls-cert", "tls") from None
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected,
                http.client.IncompleteRead) as exc:
            raise _Dropped(type(exc).__name__) from None
        except OSError as exc:
            raise self._gone(f"is unreachable ({exc.strerror or exc})") from None
        finally:
            connection.close()
        return self._decode(method, status, payload)

    def _decode(self, method: str, status: int, payload: bytes) -> dict[str, Any]:
        try:
            reply = json.loads(payload)
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            raise self._gone(f"answered {method!r} with HTTP {status} and no JSON: is "
                             f"{self.remote.address} a headwater code server?", "bad_reply")
        if status == 401:
            error = reply.get("error") or {}
            raise self._gone(f"refused our token ({error.get('message')}); give this location "
                             f"the server's token (token_file or token_env in workspace.yaml, "
                             f"or {TOKEN_ENV})", "unauthorized")
        return reply

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        if not self.remote.tls:
            return http.client.HTTPConnection(self.remote.host, self.remote.port,
                                              timeout=timeout)
        if self._tls_context is None:
            self._tls_context = ssl.create_default_context(cafile=self.remote.tls_ca_file)
        return http.client.HTTPSConnection(self.remote.host, self.remote.port,
                                           timeout=timeout, context=self._tls_context)

    def _gone(self, what: str, kind: str = "unreachable") -> CodeServerError:
        message = (f"Code server for location {self.name!r} at {self.remote.address} {what}. "
                   "The location is unavailable until it answers again.")
        self.unreachable = {"kind": kind, "message": message, "since": time.time()}
        return CodeServerError(message, self.unreachable)

    # --- the protocol, as methods ------------------------------------------------------
    def ping(self, timeout: float | None = None) -> dict[str, Any]:
        status = self.request("ping", timeout=timeout)
        if self.ready is not None and status.get("server_id") != self.server_id:
            self.restarts += 1
        self.ready = status
        served = dict(status.get("origin") or {})
        self._origin = replace(CodeLocationOrigin(**served), location_name=self.name,
                               code_server=self.remote.address)
        _KNOWN[self.remote.address] = self.remote  # its token and TLS settings were accepted
        return status

    def start_run(self, run_id: str, instance_url: str) -> dict[str, Any]:
        """Ask the server to start the run worker of `run_id` on its machine, against the
        instance at `instance_url`; its `{"pid": ..., "host": ...}`."""
        return dict(self.request("start_run", {"run_id": run_id, "instance_url": instance_url}))


def client_at(address: str, *, timeout: float = 30.0) -> RemoteCodeServerClient:
    """A client of the code server at `address` (`http(s)://host:port`, as recorded on runs):
    with the token and TLS settings this process's workspace gave it, else with the token of
    $HEADWATER_CODE_SERVER_TOKEN and the system's trusted CAs."""
    known = _KNOWN.get(address)
    if known is None:
        parts = urlsplit(address)
        if parts.scheme not in ("http", "https") or not parts.hostname or not parts.port:
            raise CodeServerError(f"{address!r} is no code server address (http(s)://host:port)",
                                  {"kind": "bad_request"})
        known = RemoteOrigin(parts.hostname, parts.port, token=os.environ.get(TOKEN_ENV) or None,
                             tls=parts.scheme == "https")
    return RemoteCodeServerClient(known, timeout=timeout)


class _Dropped(Exception):
    """The connection was cut after the request was sent."""


def client_for(origin: CodeLocationOrigin | RemoteOrigin, *, timeout: float = 30.0,
               startup_timeout: float = 60.0) -> Any:
    """The client of a location: a code server subprocess for a local origin, a connection
    for a remote one (`CodeServerClient` or `RemoteCodeServerClient`)."""
    if isinstance(origin, RemoteOrigin):
        return RemoteCodeServerClient(origin, timeout=timeout, startup_timeout=startup_timeout)
    from headwater.code.client import CodeServerClient

    return CodeServerClient(origin, timeout=timeout, startup_timeout=startup_timeout)
