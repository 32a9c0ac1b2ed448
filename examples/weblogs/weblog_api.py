"""A tiny web-log API over the bundled events.json, so the example runs offline.

`GET /events?since=<ISO time>&limit=<n>` answers `{"events": [...], "next": <url or null>}`:
the page views at or after `since`, oldest first, `limit` to a page, with the URL of the next
page. That is the shape of many analytics exports, and what dlt's REST client pages through
with a JSON-link paginator.

`serve()` runs it on 127.0.0.1 in a background thread for the length of a `with` block;
`python weblog_api.py [port]` serves it until Ctrl-C, for pointing `WEBLOG_API_URL` at.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

EVENTS_FILE = Path(__file__).with_name("events.json")
DEFAULT_LIMIT = 100


def load_events(path: Path = EVENTS_FILE) -> list[dict[str, Any]]:
    """The bundled page views, oldest first."""
    return sorted(json.loads(path.read_text()), key=lambda e: (e["ts"], e["id"]))


def _page(events: list[dict[str, Any]], query: dict[str, list[str]], base: str
          ) -> dict[str, Any]:
    since = query.get("since", [""])[0]
    limit = max(1, min(int(query.get("limit", [DEFAULT_LIMIT])[0]), 1000))
    offset = int(query.get("offset", ["0"])[0])
    matching = [e for e in events if e["ts"] >= since]
    chunk = matching[offset:offset + limit]
    more = offset + limit < len(matching)
    next_url = (f"{base}/events?{urlencode({'since': since, 'limit': limit, 'offset': offset + limit})}"
                if more else None)
    return {"events": chunk, "next": next_url}


def _handler(events: list[dict[str, Any]]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            url = urlparse(self.path)
            if url.path.rstrip("/") != "/events":
                return self._send(404, {"error": f"no endpoint {url.path}; try /events"})
            base = f"http://{self.headers.get('Host', '127.0.0.1')}"
            try:
                body = _page(events, parse_qs(url.query), base)
            except ValueError as exc:
                return self._send(400, {"error": f"bad query: {exc}"})
            return self._send(200, body)

        def _send(self, status: int, body: dict[str, Any]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:  # quiet: dlt logs what it fetches
            pass

    return Handler


@contextmanager
def serve(events_file: Path = EVENTS_FILE, port: int = 0) -> Iterator[str]:
    """Serve the events on 127.0.0.1 (a free port unless given); yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(load_events(events_file)))
    thread = threading.Thread(target=server.serve_forever, name="weblog-api", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8765
    with serve(port=port) as url:
        print(f"serving {EVENTS_FILE.name} at {url}/events (Ctrl-C stops)")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
