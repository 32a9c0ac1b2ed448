"""Running the webserver on uvicorn, in the foreground, until Ctrl-C or SIGTERM.

`serve(instance, origins, host=..., port=...)` builds the app (which starts one code server
subprocess per location) and runs it; on exit the app's lifespan stops the code servers.
`listen(host, port)` binds the address first (the CLI calls it before it starts anything, so a
port in use is one line with nothing to stop), and the "webserver on http://..." line is
printed once uvicorn accepts connections on it, with the real port when -p 0 chose one.
Binding anything but a loopback address without a token prints a warning: the API can launch
runs of the user's code. The Host allow-list is the loopback names plus the bound host (none
for a wildcard address) plus what the user lists (`--allowed-host`, `webserver: allowed_hosts`
in headwater.yaml); `webserver: max_request_bytes` and `cors_origins` tune the rest of
server/guard.py. Imports this package and uvicorn.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import sys
from collections.abc import Sequence
from typing import Any

from headwater.code.location import CodeLocationOrigin
from headwater.code.remote import RemoteOrigin
from headwater.errors import HeadwaterInvalidInvocationError
from headwater.server.app import create_app
from headwater.server.guard import DEFAULT_MAX_REQUEST_BYTES, LOOPBACK_HOSTS, normalize_host

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3000
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})
#: the keys of headwater.yaml's `webserver:` section
SETTINGS = ("allowed_hosts", "max_request_bytes", "cors_origins")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_hosts_for(bind_host: str, given: Sequence[str]) -> tuple[str, ...]:
    """The Host names the webserver answers to when bound to `bind_host`, with the names the
    user `given` (`*` alone: any)."""
    names = [normalize_host(h) for h in given if h.strip()]
    for name in names:
        if name != "*" and (not name or any(c in name for c in "/ ,@?#")):
            raise HeadwaterInvalidInvocationError(
                f"--allowed-host {name!r} is not a host name: give the bare name or address "
                "the browser uses (e.g. --allowed-host hw.example.com, without scheme, port "
                "or path), one per flag.")
    if "*" in names:
        return ("*",)
    hosts = list(LOOPBACK_HOSTS)
    bound = normalize_host(bind_host)
    if bound not in WILDCARD_HOSTS:
        hosts.append(bound)
    hosts.extend(names)
    return tuple(dict.fromkeys(hosts))


def checked_cors_origins(origins: Sequence[str]) -> list[str]:
    """The CORS origins, each a scheme and host (and port) with no path; `*` is refused."""
    for origin in origins:
        scheme, sep, rest = origin.partition("://")
        if origin == "*" or not sep or scheme not in ("http", "https") or not rest or \
                "/" in rest:
            raise HeadwaterInvalidInvocationError(
                f"--cors-origin {origin!r} is not an origin: give the scheme and host (and port) "
                "of the site whose pages may call the API, e.g. --cors-origin "
                "https://tools.example.com; '*' is refused, since any page could then drive "
                "the webserver.")
    return list(origins)


def webserver_settings(instance: Any) -> dict[str, Any]:
    """headwater.yaml's `webserver:` section, checked."""
    get = getattr(instance, "get_settings", None)
    settings = get("webserver") if callable(get) else {}
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise HeadwaterInvalidInvocationError(
            f"headwater.yaml `webserver:` has unknown setting(s) {unknown}; the settings are "
            f"{', '.join(SETTINGS)}.")
    for key in ("allowed_hosts", "cors_origins"):
        value = settings.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise HeadwaterInvalidInvocationError(
                f"headwater.yaml `webserver: {key}` must be a list of strings, e.g. "
                f"`{key}: [hw.example.com]`, got {value!r}.")
    cap = settings.get("max_request_bytes", DEFAULT_MAX_REQUEST_BYTES)
    if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1024:
        raise HeadwaterInvalidInvocationError(
            "headwater.yaml `webserver: max_request_bytes` must be a number of bytes of at "
            f"least 1024 (default {DEFAULT_MAX_REQUEST_BYTES}), got {cap!r}.")
    return {"allowed_hosts": settings.get("allowed_hosts", []), "max_request_bytes": cap,
            "cors_origins": settings.get("cors_origins", [])}


def listen(host: str, port: int) -> list[socket.socket]:
    """Sockets listening on every address `host` names (as uvicorn would bind them), on `port`
    (0: one the system picks); a port in use, a privileged port or an address this machine
    lacks is one error that says which -p or -h to pass instead."""
    try:
        found = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise HeadwaterInvalidInvocationError(
            f"-h {host}: cannot resolve it ({exc.strerror}); pass an address or host name of "
            "this machine, e.g. -h 127.0.0.1 (this machine only) or -h 0.0.0.0 (every "
            "interface).") from None
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(found):
            sock = socket.socket(family, kind, proto)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:  # as asyncio binds: one family per socket
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            if sockets:  # with -p 0, every address gets the port the first one was given
                address = (address[0], sockets[0].getsockname()[1], *address[2:])
            try:
                sock.bind(address)
            except OSError as exc:
                sock.close()
                if exc.errno == errno.EADDRNOTAVAIL and len(found) > 1:
                    continue  # e.g. ::1 of "localhost" where IPv6 is off, as asyncio skips it
                raise
            sock.listen(2048)
            sockets.append(sock)
        if not sockets:
            raise OSError(errno.EADDRNOTAVAIL, "address not available")
    except OSError as exc:
        for sock in sockets:
            sock.close()
        raise _listen_error(host, port, exc) from None
    return sockets


def _listen_error(host: str, port: int, exc: OSError) -> HeadwaterInvalidInvocationError:
    if exc.errno == errno.EADDRINUSE:
        other = port + 1 if port < 65535 else port - 1
        return HeadwaterInvalidInvocationError(
            f"port {port} on {host} is in use; pass -p with another port (e.g. -p {other}).")
    if exc.errno == errno.EACCES:
        return HeadwaterInvalidInvocationError(
            f"port {port} on {host} needs privileges this user lacks (ports below 1024 do); "
            "pass -p with a port of 1024 or above (e.g. -p 3000).")
    if exc.errno == errno.EADDRNOTAVAIL:
        return HeadwaterInvalidInvocationError(
            f"-h {host} is not an address of this machine; pass one of its addresses, e.g. "
            "-h 127.0.0.1 (this machine only) or -h 0.0.0.0 (every interface).")
    return HeadwaterInvalidInvocationError(
        f"cannot listen on {host} port {port}: {exc.strerror or exc}; pass another -h or -p.")


def serve(instance: Any, origins: Sequence[CodeLocationOrigin | RemoteOrigin], host: str = DEFAULT_HOST,
          port: int = DEFAULT_PORT, read_only: bool = False, token: str | None = None,
          log_level: str = "warning", allowed_hosts: Sequence[str] = (),
          cors_origins: Sequence[str] = (), sockets: list[socket.socket] | None = None) -> None:
    """Serve the API and UI on http://host:port until interrupted; it answers to the
    `allowed_hosts` besides the loopback names and `host` itself. `sockets` are the ones
    `listen(host, port)` bound already (else it is called here)."""
    import uvicorn

    if sockets is None:
        sockets = listen(host, port)
    port = sockets[0].getsockname()[1]
    settings = webserver_settings(instance)
    hosts = allowed_hosts_for(host, [*allowed_hosts, *settings["allowed_hosts"]])
    if not is_loopback(host) and not token:
        print(f"Warning: the webserver listens on {host}, reachable from other machines, "
              "without an access token; pass --token-file (or set "
              "HEADWATER_WEBSERVER_TOKEN) unless the network is trusted.", file=sys.stderr)
    if hosts == ("*",):
        print("Warning: --allowed-host '*' answers requests for any Host name, so a web page "
              "can reach this webserver through DNS rebinding; use it only behind a proxy "
              "that checks Host itself.", file=sys.stderr)
    elif normalize_host(host) in WILDCARD_HOSTS and len(hosts) == len(LOOPBACK_HOSTS):
        print(f"Note: listening on {host} but answering only to {', '.join(hosts)}: other "
              "machines get 400 until you name the host they use, e.g. --allowed-host "
              "hw.example.com.", file=sys.stderr)
    app = create_app(instance, origins, read_only=read_only, token=token, allowed_hosts=hosts,
                     max_request_bytes=settings["max_request_bytes"],
                     cors_origins=checked_cors_origins([*cors_origins,
                                                        *settings["cors_origins"]]))
    shown = f"[{host}]" if ":" in host else host
    for location in app.state.headwater.workspace.locations():
        if location["status"] == "error":
            error = location["error"] or {}
            print(f"Code location {location['name']!r} failed to load: {error.get('message')}",
                  file=sys.stderr)
    mode = " (read-only)" if read_only else ""
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="on",
                            timeout_graceful_shutdown=3)
    server = _announcing_server(config, f"headwater webserver{mode} on http://{shown}:{port}")
    try:
        server.run(sockets=sockets)
    finally:
        app.state.headwater.workspace.shutdown()


def _announcing_server(config: Any, line: str) -> Any:
    """A uvicorn server that prints `line` to stderr once it accepts connections."""
    import uvicorn

    class AnnouncingServer(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if not self.should_exit:
                print(line, file=sys.stderr, flush=True)

    return AnnouncingServer(config)
