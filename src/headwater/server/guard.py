"""What the webserver refuses before any route runs: one ASGI middleware, outermost.

A webserver on 127.0.0.1 with no token is reachable from every web page the user opens, so it
refuses what a browser can be made to send without the user's intent:

- a `Host` not on the allow-list (a DNS-rebinding page reaches 127.0.0.1 under its own name):
  400, naming `--allowed-host`. `LOOPBACK_HOSTS` by default; `*` allows any.
- a mutating request (POST, PUT, PATCH, DELETE) that is neither JSON nor carries
  `X-Headwater-Request`: 403. Forms and no-cors fetches can send neither; the UI sends both.
- a body over `max_request_bytes` (announced or streamed): 413, before the app reads it.
- a NUL character in an API path, a query string or a request body (raw, or JSON's
  `\\u0000`): 400. PostgreSQL cannot store or even compare text holding one, and no name,
  key, tag or cursor headwater keeps has one.

Every answer carries headers that forbid framing, sniffing and referrers, and a
Content-Security-Policy the built UI satisfies. CORS stays closed unless origins are
configured (app.py adds Starlette's CORSMiddleware for those). Imports Starlette only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from starlette.datastructures import Headers, MutableHeaders

#: the header the UI (and any API client that sends no JSON body) puts on mutating requests
REQUEST_HEADER = "X-Headwater-Request"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'",
    # Styles also inline: the launchpad's editor (CodeMirror) writes its own <style> element,
    # and without its styles its cursor and lines misbehave. Scripts stay 'self' only. Images
    # also from https (markdown may link them).
    "style-src 'self' 'unsafe-inline'", "img-src 'self' data: https:", "font-src 'self' data:",
    "connect-src 'self'", "worker-src 'self'", "object-src 'none'", "base-uri 'none'",
    "form-action 'self'", "frame-ancestors 'none'",
])
SECURITY_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)


def host_name(host_header: str) -> str:
    """The name part of a Host header, lowercased: "[::1]:3000" -> "::1"."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    name, colon, port = host.rpartition(":")
    if colon and port.isdigit():
        host = name
    return host.rstrip(".")


def normalize_host(entry: str) -> str:
    """An allow-list entry as compared with `host_name`: "[::1]" -> "::1", case folded."""
    entry = entry.strip().lower()
    return entry[1:-1] if entry.startswith("[") and entry.endswith("]") else entry


class Guard:
    """The outermost middleware: Host allow-list, write-request check, body cap, headers."""

    def __init__(self, app: Any, allowed_hosts: Iterable[str] = LOOPBACK_HOSTS,
                 max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES) -> None:
        self.app = app
        self.allowed_hosts = frozenset(normalize_host(h) for h in allowed_hosts)
        self.max_request_bytes = max_request_bytes

    def __repr__(self) -> str:
        return (f"Guard(allowed_hosts={sorted(self.allowed_hosts)!r}, "
                f"max_request_bytes={self.max_request_bytes})")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers[name.decode()] = value.decode()
            await send(message)

        headers = Headers(scope=scope)
        refusal = self._refusal(scope, headers) or _nul_in_address(scope)
        if refusal is None and scope["method"] in MUTATING:
            refusal, receive = await self._read_body(headers, receive)
        if refusal is not None:
            status, detail = refusal
            await _answer(send_with_headers, status, detail)
            return
        await self.app(scope, receive, send_with_headers)

    def _refusal(self, scope: Any, headers: Headers) -> tuple[int, str] | None:
        given = headers.get("host", "")
        if "*" not in self.allowed_hosts and host_name(given) not in self.allowed_hosts:
            allowed = ", ".join(sorted(self.allowed_hosts))
            return 400, (f"This webserver does not answer to Host {given!r} (it answers to "
                         f"{allowed}). If that is how you reach it, restart it with "
                         f"--allowed-host {host_name(given) or 'NAME'} (or list it under "
                         "webserver: allowed_hosts in headwater.yaml); the check keeps web "
                         "pages from reaching it through DNS rebinding.")
        if scope["method"] in MUTATING and not _sent_by_a_client(headers):
            return 403, (f"{scope['method']} {scope['path']} changes something, so it must "
                         f"send a JSON body (Content-Type: application/json) or the header "
                         f"'{REQUEST_HEADER}: 1'; web forms and other sites' pages can send "
                         "neither, which is why it is asked for.")
        return None

    async def _read_body(self, headers: Headers, receive: Any) -> tuple[tuple[int, str] | None,
                                                                         Any]:
        """Refuse a body over the cap; else the body, read whole, replayed to the app."""
        too_big = (413, f"The request body is over this webserver's limit of "
                        f"{self.max_request_bytes} bytes (webserver: max_request_bytes in "
                        "headwater.yaml raises it).")
        length = headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                return (400, f"Content-Length {length!r} is not a number of bytes."), receive
            if int(length) > self.max_request_bytes:
                return too_big, receive
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return (400, "The client went away before sending its request body."), receive
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_request_bytes:
                return too_big, receive
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if b"\x00" in body or b"\\u0000" in body:
            return (400, _NUL + " (the request body holds one)."), receive
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                return dict(await receive())
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        return None, replay


_NUL = ("Text with a NUL character (\\u0000) is not accepted: no name, key, tag or cursor "
        "can hold one")


def _nul_in_address(scope: Any) -> tuple[int, str] | None:
    """A NUL in the query string, or in the path of an API route (the UI's and the API
    docs' file routes answer 404 for those themselves)."""
    path = scope.get("path", "")
    query = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        return 400, _NUL + " (the query string holds one)."
    if "\x00" in path and path.startswith("/api/") and not path.startswith("/api/docs"):
        return 400, _NUL + " (the path holds one)."
    return None


def _sent_by_a_client(headers: Headers) -> bool:
    if headers.get(REQUEST_HEADER):
        return True
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    return media_type == "application/json"


async def _answer(send: Any, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
