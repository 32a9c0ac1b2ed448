"""Running the webserver on uvicorn, in the foreground, until Ctrl-C or SIGTERM.

`serve(instance, origins, host=..., port=...)` builds the app (which starts one code server
subprocess per location) and runs it; on exit the app's lifespan stops the code servers.
Binding anything but a loopback address without a token prints a warning: the API can launch
runs of the user's code. Imports this package and uvicorn.
"""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Sequence
from typing import Any

from headwater.code.location import CodeLocationOrigin
from headwater.server.app import create_app

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3000


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(instance: Any, origins: Sequence[CodeLocationOrigin], host: str = DEFAULT_HOST,
          port: int = DEFAULT_PORT, read_only: bool = False, token: str | None = None,
          log_level: str = "warning") -> None:
    """Serve the API and UI on http://host:port until interrupted."""
    import uvicorn

    if not is_loopback(host) and not token:
        print(f"Warning: the webserver listens on {host}, reachable from other machines, "
              "without an access token; pass --token (or set HEADWATER_TOKEN) unless the "
              "network is trusted.", file=sys.stderr)
    app = create_app(instance, origins, read_only=read_only, token=token)
    shown = f"[{host}]" if ":" in host else host
    for location in app.state.headwater.workspace.locations():
        if location["status"] == "error":
            error = location["error"] or {}
            print(f"Code location {location['name']!r} failed to load: {error.get('message')}",
                  file=sys.stderr)
    mode = " (read-only)" if read_only else ""
    print(f"headwater webserver{mode} on http://{shown}:{port}", file=sys.stderr, flush=True)
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="on",
                            timeout_graceful_shutdown=3)
    try:
        uvicorn.Server(config).run()
    finally:
        app.state.headwater.workspace.shutdown()
